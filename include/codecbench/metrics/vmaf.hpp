#pragma once
/// @file vmaf.hpp
/// VMAF computed natively: the elementary features of the VMAF v0.6.1 model family and the
/// support-vector regression that maps them to a score, written from their published
/// definitions (Li, Aaron, Katsavounidis, Moorthy, Manohara, "Toward a practical perceptual
/// video quality metric", Netflix tech blog 2016, and the VMAF documentation; VIF: Sheikh and
/// Bovik, "Image information and visual quality", IEEE TIP 2006; ADM/DLM: Li, Ma, Ngan,
/// "Image quality assessment by separately evaluating detail losses and additive impairments",
/// IEEE TMM 2011; the motion feature: the mean absolute difference of blurred luma).
///
/// Everything here works on the luma plane as floats (8-bit values, or high bit depth values
/// scaled to 8-bit range, minus 128, as libvmaf's float extractors read them). The metric
/// registry's "vmaf" entry (metrics.hpp) wraps these pieces into a streaming accumulator;
/// they are public so that doctest can check each feature on hand-made inputs.

#include <array>
#include <memory>
#include <string>
#include <vector>

namespace codecbench::vmaf {

/// A luma plane of floats, row-major, `width` values per row.
struct Plane {
  int width = 0;
  int height = 0;
  std::vector<float> px;
  Plane() = default;
  Plane(int w, int h);
  [[nodiscard]] float at(int x, int y) const {
    return px[static_cast<std::size_t>(y) * static_cast<std::size_t>(width) +
              static_cast<std::size_t>(x)];
  }
  float& at(int x, int y) {
    return px[static_cast<std::size_t>(y) * static_cast<std::size_t>(width) +
              static_cast<std::size_t>(x)];
  }
};

/// Buffers the feature extractors reuse from frame to frame: the reduced VIF scales, the
/// wavelet bands and ADM's per-pixel terms (about 2.7 planes' worth per stream). Keep one per
/// stream of frames, so that a run allocates them once: fresh buffers for every frame cost page
/// faults and zeroing, about a tenth of VMAF's time at 720p. vif() and adm() use disjoint parts
/// of it, so one Scratch may serve both running at once; two calls of the same function must not
/// share one.
class Scratch {
 public:
  Scratch();
  ~Scratch();
  Scratch(Scratch&&) noexcept;
  Scratch& operator=(Scratch&&) noexcept;
  Scratch(const Scratch&) = delete;
  Scratch& operator=(const Scratch&) = delete;
  struct Buffers;  ///< defined by the extractors
  Buffers& buffers() { return *buffers_; }

 private:
  std::unique_ptr<Buffers> buffers_;
};

/// Options of the features, as the model files' `feature_opts_dicts` set them.
struct FeatureOptions {
  /// Enhancement gain limits (>= 1; 1 disables the gain: the "NEG" models). Default 100.
  double vif_enhn_gain_limit = 100.0;
  double adm_enhn_gain_limit = 100.0;
};

/// VIF at four scales: numerator and denominator sums per scale (scale 0 is full size).
struct VifScores {
  std::array<double, 4> num{};
  std::array<double, 4> den{};
  /// num/den of one scale (the model's vif_scaleN feature).
  [[nodiscard]] double scale(int s) const;
};

/// Visual information fidelity, pixel domain, four scales: Gaussian windows of 17, 9, 5 and 3
/// taps (sigma = taps / 5), decimation by two between scales, neural noise variance 2.
/// Borders are mirrored without repeating the edge sample.
VifScores vif(const Plane& ref, const Plane& dist, const FeatureOptions& options = {});

/// The same, with buffers kept in `scratch` (see Scratch); identical results.
VifScores vif(const Plane& ref, const Plane& dist, const FeatureOptions& options, Scratch& scratch);

/// ADM (detail loss measure) numerator and denominator per scale.
struct AdmScores {
  std::array<double, 4> num{};
  std::array<double, 4> den{};
  /// The model's adm2 feature: sum of numerators over sum of denominators (1 when both vanish).
  [[nodiscard]] double adm2(int width, int height) const;
};

/// ADM on a four-level Daubechies-2 wavelet decomposition: decoupling of the distorted
/// coefficients into restored detail and additive impairment (Li et al. 2011), Watson et al.'s
/// wavelet contrast sensitivity (IEEE TIP 1997, Tables IV-V: 3 picture heights, 1080 lines),
/// contrast masking by the impairment's 3x3 neighbourhood, and Minkowski (p = 3) pooling over
/// the frame less a 10% border on each side.
AdmScores adm(const Plane& ref, const Plane& dist, const FeatureOptions& options = {});

/// The same, with buffers kept in `scratch` (see Scratch); identical results.
AdmScores adm(const Plane& ref, const Plane& dist, const FeatureOptions& options, Scratch& scratch);

/// The motion feature's blur: a 5-tap Gaussian (libvmaf's coefficients), separable, mirrored.
Plane motion_blur(const Plane& in);

/// The same into `out` (resized to `in`'s size; its buffer is reused when large enough).
void motion_blur(const Plane& in, Plane& out);

/// Mean absolute difference of two blurred planes of the same size.
double motion_sad(const Plane& a, const Plane& b);

/// The six features of the v0.6.1 models for one frame, in the models' usual order.
struct Features {
  double adm2 = 0;
  double motion2 = 0;
  std::array<double, 4> vif{};
};

/// One libsvm support-vector regression model with RBF kernel and its feature scaling.
struct Model {
  std::string name;    ///< file stem ("vmaf_float_v0.6.1")
  std::string origin;  ///< the file it came from
  /// Feature of each SVM input, in order ("adm2", "motion2", "vif_scale0", ...).
  std::vector<std::string> features;
  bool linear_rescale = true;      ///< norm_type: linear_rescale (else none)
  std::vector<double> slopes;      ///< [0]: the score, [1..n]: the features
  std::vector<double> intercepts;  ///< same layout as slopes
  double gamma = 0;                ///< RBF kernel: exp(-gamma * |x - sv|^2)
  double rho = 0;
  std::vector<double> coef;             ///< one per support vector
  std::vector<std::vector<double>> sv;  ///< support vectors, dense, n features each
  bool clip = false;
  double clip_min = 0, clip_max = 100;
  /// The score transform ("phone model"): p0 + p1 y + p2 y^2, rectified, applied on request.
  bool has_transform = false;
  double p0 = 0, p1 = 1, p2 = 0;
  bool out_gte_in = false, out_lte_in = false;
  FeatureOptions feature_options;  ///< from feature_opts_dicts (NEG models: gain limits 1)
};

/// Parses a model in Netflix's JSON form (model/vmaf_float_v0.6.1.json). Throws InputError
/// naming `origin` and the cause for anything else (another model type, unknown features).
Model parse_model(const std::string& json_text, const std::string& origin);

/// Reads a model file (parse_model on its contents); InputError when unreadable.
Model load_model(const std::string& path);

/// The model a name selects: a path (contains '/' or ends in ".json"), or the stem of a model
/// shipped in the data folder's models/ (vmaf_float_v0.6.1, vmaf_float_v0.6.1neg,
/// vmaf_float_4k_v0.6.1; "default", "neg" and "4k" are short for these). UsageError when
/// neither exists.
std::string model_path(const std::string& name);

/// The score of one frame's features: normalised, the SVM evaluated, denormalised, the phone
/// transform applied when `phone` (and the model has one), clipped to the model's range.
double predict(const Model& model, const Features& f, bool phone = false);

/// Values of `features` named as a model names its inputs ("adm2" -> f.adm2, ...).
double feature_value(const Features& f, const std::string& name);

/// Pooled statistics of per-frame scores.
struct Pooled {
  double mean = 0;
  double harmonic_mean = 0;  ///< 1 / mean(1 / (x + 1)) - 1, as libvmaf pools
  double min = 0;
  double p1 = 0, p5 = 0;  ///< 1st and 5th percentiles (linear interpolation)
};

/// Pools `scores` (not empty).
Pooled pool(const std::vector<double>& scores);

/// Pooled value by method name: "mean", "harmonic_mean", "min", "p1", "p5". UsageError else.
double pool_by(const Pooled& p, const std::string& method);

/// A 95% percentile-bootstrap interval of a pooling method over frames (`resamples` draws
/// with replacement, fixed seed: the same scores give the same interval).
std::array<double, 2> bootstrap_interval(const std::vector<double>& scores,
                                         const std::string& method, int resamples = 1000);

}  // namespace codecbench::vmaf
