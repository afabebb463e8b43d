// The "vmaf" metric: the features of vmaf_features.cpp per frame pair, the model's regression
// per frame, pooled over the run. Motion needs the next frame (a frame's motion2 is the smaller
// of its motion to the previous frame and the next frame's), so per-frame scores are final only
// at the end; the accumulator keeps six features per frame and one blurred reference frame.
#include "codecbench/metrics/vmaf.hpp"

#include <fmt/core.h>
#include <tbb/parallel_invoke.h>

#include <algorithm>
#include <array>

#include "codecbench/core/error.hpp"
#include "codecbench/metrics/metrics.hpp"
#include "planes.hpp"

namespace codecbench::detail {
namespace {

std::string option(const MetricOptionValues& opts, const std::string& key,
                   const std::string& fallback) {
  for (const auto& [k, v] : opts) {
    if (k == key) return v;
  }
  return fallback;
}

bool flag(const MetricOptionValues& opts, const std::string& key) {
  const std::string v = option(opts, key, "false");
  if (v == "1" || v == "true" || v == "yes") return true;
  if (v == "0" || v == "false" || v == "no") return false;
  throw UsageError(fmt::format("vmaf option {}={}: want true or false", key, v));
}

// Luma as libvmaf's float extractors read it: 8-bit range, minus 128.
template <typename T>
void luma(const AVFrame& f, int w, int h, int depth, vmaf::Plane& p) {
  p.width = w;
  p.height = h;
  p.px.resize(static_cast<std::size_t>(w) * static_cast<std::size_t>(h));  // once per run
  const float scale = 1.0f / static_cast<float>(1 << (depth - 8));
  for (int y = 0; y < h; ++y) {
    const T* row =
        reinterpret_cast<const T*>(f.data[0] + static_cast<std::ptrdiff_t>(y) * f.linesize[0]);
    for (int x = 0; x < w; ++x) p.at(x, y) = static_cast<float>(row[x]) * scale - 128.0f;
  }
}

class Vmaf final : public VideoMetric {
 public:
  Vmaf(AVPixelFormat fmt, int w, int h, const MetricOptionValues& opts)
      : w_(w), h_(h), depth_(PlaneLayout(fmt, w, h).depth) {
    model_ = vmaf::load_model(vmaf::model_path(option(opts, "model", "vmaf_float_v0.6.1")));
    pool_ = option(opts, "pool", "mean");
    (void)vmaf::pool_by(vmaf::Pooled{}, pool_);  // validates the name
    phone_ = flag(opts, "phone");
    features_ = model_.feature_options;
    if (flag(opts, "neg")) {
      features_.adm_enhn_gain_limit = 1.0;
      features_.vif_enhn_gain_limit = 1.0;
    }
  }

  MetricValues add(const AVFrame& reference, const AVFrame& distorted) override {
    // The luma planes are converted into buffers kept from frame to frame, side by side.
    if (depth_ > 8) {
      tbb::parallel_invoke([&] { luma<std::uint16_t>(reference, w_, h_, depth_, ref_); },
                           [&] { luma<std::uint16_t>(distorted, w_, h_, depth_, dist_); });
    } else {
      tbb::parallel_invoke([&] { luma<std::uint8_t>(reference, w_, h_, depth_, ref_); },
                           [&] { luma<std::uint8_t>(distorted, w_, h_, depth_, dist_); });
    }
    const vmaf::Plane& ref = ref_;
    const vmaf::Plane& dist = dist_;
    vmaf::VifScores v;
    vmaf::AdmScores a;
    // Two blur buffers, kept for the run: this frame's and the previous one's.
    vmaf::Plane& blurred = blur_[frames_.size() % 2];
    const vmaf::Plane& previous = blur_[(frames_.size() + 1) % 2];
    double motion = 0;
    tbb::parallel_invoke([&] { v = vmaf::vif(ref, dist, features_, scratch_); },
                         [&] { a = vmaf::adm(ref, dist, features_, scratch_); },
                         [&] {
                           vmaf::motion_blur(ref, blurred);
                           if (!frames_.empty()) motion = vmaf::motion_sad(blurred, previous);
                         });
    Frame f;
    f.adm2 = a.adm2(w_, h_);
    for (int s = 0; s < 4; ++s) f.vif[static_cast<std::size_t>(s)] = v.scale(s);
    f.motion = motion;
    frames_.push_back(f);
    done_ = false;
    return {};  // final only when the next frame's motion is known: see frame_values()
  }

  [[nodiscard]] MetricValues summary() const override {
    finish();
    if (scores_.empty()) return {};
    const vmaf::Pooled p = vmaf::pool(scores_);
    const auto ci = vmaf::bootstrap_interval(scores_, pool_);
    return {{"score", vmaf::pool_by(p, pool_)},
            {"mean", p.mean},
            {"harmonic_mean", p.harmonic_mean},
            {"min", p.min},
            {"p1", p.p1},
            {"p5", p.p5},
            {"ci_low", ci[0]},
            {"ci_high", ci[1]}};
  }

  [[nodiscard]] bool defers_frames() const override { return true; }

  [[nodiscard]] std::vector<MetricValues> frame_values() const override {
    finish();
    std::vector<MetricValues> out;
    out.reserve(frames_.size());
    for (std::size_t i = 0; i < frames_.size(); ++i) {
      const Frame& f = frames_[i];
      out.push_back({{"score", scores_[i]},
                     {"adm2", f.adm2},
                     {"motion2", motion2(i)},
                     {"vif_scale0", f.vif[0]},
                     {"vif_scale1", f.vif[1]},
                     {"vif_scale2", f.vif[2]},
                     {"vif_scale3", f.vif[3]}});
    }
    return out;
  }

 private:
  struct Frame {
    double adm2 = 0;
    double motion = 0;  // mean absolute difference to the previous blurred reference
    std::array<double, 4> vif{};
  };

  // motion2: 0 for the first frame, the smaller of this and the next frame's motion between,
  // this frame's own for the last.
  [[nodiscard]] double motion2(std::size_t i) const {
    if (i == 0) return 0.0;
    if (i + 1 < frames_.size()) return std::min(frames_[i].motion, frames_[i + 1].motion);
    return frames_[i].motion;
  }

  void finish() const {
    if (done_) return;
    scores_.clear();
    for (std::size_t i = 0; i < frames_.size(); ++i) {
      vmaf::Features f;
      f.adm2 = frames_[i].adm2;
      f.motion2 = motion2(i);
      f.vif = frames_[i].vif;
      scores_.push_back(vmaf::predict(model_, f, phone_));
    }
    done_ = true;
  }

  int w_, h_, depth_;
  vmaf::Model model_;
  std::string pool_;
  bool phone_ = false;
  vmaf::FeatureOptions features_;
  std::array<vmaf::Plane, 2> blur_;
  vmaf::Plane ref_, dist_;
  vmaf::Scratch scratch_;  // VIF's and ADM's buffers, kept for the run
  std::vector<Frame> frames_;
  mutable std::vector<double> scores_;
  mutable bool done_ = false;
};

bool luma_format(AVPixelFormat fmt) {
  if (!planar_metric_format(fmt)) return false;
  const AVPixFmtDescriptor* d = av_pix_fmt_desc_get(fmt);
  return (d->flags & AV_PIX_FMT_FLAG_RGB) == 0;
}

}  // namespace

MetricDescriptor vmaf_descriptor() {
  MetricDescriptor d;
  d.name = "vmaf";
  d.type = MediaType::kVideo;
  d.title = "VMAF";
  d.description =
      "VMAF (Netflix, 2016) computed natively: VIF at 4 scales, ADM and motion on luma, "
      "the model's SVM regression (default vmaf_float_v0.6.1), pooled over frames";
  d.outputs = {{"score", "", Better::kHigher, false, "VMAF", true},
               {"mean", "", Better::kHigher, false, "VMAF mean"},
               {"harmonic_mean", "", Better::kHigher, false, "VMAF harmonic mean"},
               {"min", "", Better::kHigher, false, "VMAF min"},
               {"p1", "", Better::kHigher, false, "VMAF 1st percentile"},
               {"p5", "", Better::kHigher, false, "VMAF 5th percentile"},
               {"ci_low", "", Better::kHigher, false, "VMAF 95% CI low"},
               {"ci_high", "", Better::kHigher, false, "VMAF 95% CI high"}};
  d.options = {
      {"model", "vmaf_float_v0.6.1",
       "model: a shipped model's name (vmaf_float_v0.6.1, vmaf_float_v0.6.1neg, "
       "vmaf_float_4k_v0.6.1; or default, neg, 4k) or a path to a model .json"},
      {"pool", "mean", "pooling of frame scores for 'score': mean, harmonic_mean, min, p1, p5"},
      {"phone", "false", "apply the model's phone-viewing score transform"},
      {"neg", "false", "no enhancement gain (VIF and ADM gain limits 1, as the NEG models)"},
  };
  d.measured_by_default = false;
  d.cost = 25;
  d.supports = luma_format;
  d.create = [](AVPixelFormat fmt, int w, int h,
                const MetricOptionValues& opts) -> std::unique_ptr<VideoMetric> {
    return std::make_unique<Vmaf>(fmt, w, h, opts);
  };
  d.min_size = 32;
  return d;
}

}  // namespace codecbench::detail
