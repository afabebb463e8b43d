// VMAF's pieces on inputs whose answers can be worked out by hand, the SVM on a hand-made
// model, the shipped model against a frame libvmaf scored, pooling, and the metric's options.
// Agreement with libvmaf on real streams is tests/oracle/test_vmaf_oracle.py.
#include <doctest/doctest.h>

#include <cmath>
#include <cstdlib>
#include <random>

#include "codecbench/core/error.hpp"
#include "codecbench/metrics/metrics.hpp"
#include "codecbench/metrics/vmaf.hpp"

using namespace codecbench;

namespace {

const std::string kModels = std::string(CODECBENCH_SOURCE_ROOT) + "/models/";

// `s` with the first `from` replaced by `to`.
std::string sub(std::string s, const std::string& from, const std::string& to) {
  const auto at = s.find(from);
  REQUIRE(at != std::string::npos);
  return s.replace(at, from.size(), to);
}

vmaf::Plane texture(int w, int h, unsigned seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> u(-60.0f, 60.0f);
  vmaf::Plane p(w, h);
  for (auto& v : p.px) v = u(rng);
  return p;
}

vmaf::Plane transform(const vmaf::Plane& in, float gain, float offset) {
  vmaf::Plane out = in;
  for (auto& v : out.px) v = v * gain + offset;
  return out;
}

// A one-feature model: f(x) = 1.0 exp(-0.5 (x - 0.5)^2) - 0.5 exp(-0.5 (x - 1)^2) - 0.1.
std::string tiny_model(const std::string& extra = "") {
  return R"({"model_dict": {"model_type": "LIBSVMNUSVR", "norm_type": "none",
    "feature_names": ["VMAF_feature_adm2_score"], )" +
         extra + R"("model": "svm_type nu_svr\nkernel_type rbf\ngamma 0.5\nnr_class 2\n)" +
         R"(total_sv 2\nrho 0.1\nSV\n1 1:0.5 \n-0.5 1:1.0 \n"}})";
}

}  // namespace

TEST_CASE("VIF and ADM are 1 for a brightness offset, below 1 for lost contrast") {
  const vmaf::Plane ref = texture(96, 80, 1);
  // An offset changes no local variance or wavelet detail: nothing is lost.
  const vmaf::Plane brighter = transform(ref, 1.0f, 10.0f);
  const vmaf::VifScores v = vmaf::vif(ref, brighter);
  for (int s = 0; s < 4; ++s) CHECK(v.scale(s) == doctest::Approx(1.0).epsilon(1e-5));
  CHECK(vmaf::adm(ref, brighter).adm2(96, 80) == doctest::Approx(1.0).epsilon(1e-5));
  // Halving the contrast loses information at every scale and detail at every level.
  const vmaf::Plane flat = transform(ref, 0.5f, 0.0f);
  const vmaf::VifScores lost = vmaf::vif(ref, flat);
  for (int s = 0; s < 4; ++s) CHECK(lost.scale(s) < 0.9);
  CHECK(vmaf::adm(ref, flat).adm2(96, 80) < 0.9);
}

TEST_CASE("VIF's enhancement gain: limit 1 (NEG) scores a contrast boost lower") {
  const vmaf::Plane ref = texture(96, 80, 2);
  const vmaf::Plane boosted = transform(ref, 1.3f, 0.0f);
  vmaf::FeatureOptions neg;
  neg.vif_enhn_gain_limit = 1.0;
  neg.adm_enhn_gain_limit = 1.0;
  const vmaf::VifScores free = vmaf::vif(ref, boosted);
  const vmaf::VifScores capped = vmaf::vif(ref, boosted, neg);
  CHECK(free.scale(0) > 1.0);  // an enhancement scores above 1 without a limit
  CHECK(capped.scale(0) <= 1.0 + 1e-6);
  CHECK(vmaf::adm(ref, boosted, neg).adm2(96, 80) <= vmaf::adm(ref, boosted).adm2(96, 80));
}

TEST_CASE("a Scratch kept across frames and sizes gives the results of fresh buffers") {
  // Frames of one size, then a smaller and a larger one, through one Scratch: what an earlier
  // frame left in its buffers (ADM's masking sums above all) must not reach a later frame.
  vmaf::Scratch scratch;
  vmaf::FeatureOptions neg;
  neg.vif_enhn_gain_limit = 1.0;
  neg.adm_enhn_gain_limit = 1.0;
  const std::pair<int, int> sizes[] = {{96, 80}, {96, 80}, {50, 36}, {130, 70}};
  unsigned seed = 10;
  for (const auto& size : sizes) {
    const int w = size.first, h = size.second;  // (clang 14 cannot capture a structured binding)
    CAPTURE(w);
    CAPTURE(h);
    const vmaf::Plane ref = texture(w, h, seed++);
    const vmaf::Plane dist = transform(texture(w, h, seed++), 0.4f, 0.0f);
    const vmaf::Plane mixed = [&] {
      vmaf::Plane m = ref;
      for (std::size_t i = 0; i < m.px.size(); ++i) m.px[i] = 0.7f * ref.px[i] + dist.px[i];
      return m;
    }();
    for (const vmaf::FeatureOptions& o : {vmaf::FeatureOptions{}, neg}) {
      const vmaf::VifScores fresh_v = vmaf::vif(ref, mixed, o);
      const vmaf::VifScores kept_v = vmaf::vif(ref, mixed, o, scratch);
      CHECK(fresh_v.num == kept_v.num);
      CHECK(fresh_v.den == kept_v.den);
      const vmaf::AdmScores fresh_a = vmaf::adm(ref, mixed, o);
      const vmaf::AdmScores kept_a = vmaf::adm(ref, mixed, o, scratch);
      CHECK(fresh_a.num == kept_a.num);
      CHECK(fresh_a.den == kept_a.den);
      CHECK(kept_a.adm2(w, h) < 0.99);  // a real distortion, not a trivially equal pair
    }
  }
}

TEST_CASE("motion is the mean absolute difference of blurred frames") {
  const vmaf::Plane a = texture(64, 48, 3);
  // The blur's taps sum to 1, so a uniform shift of 3 survives it: motion 3.
  const vmaf::Plane b = transform(a, 1.0f, 3.0f);
  CHECK(vmaf::motion_sad(vmaf::motion_blur(a), vmaf::motion_blur(b)) ==
        doctest::Approx(3.0).epsilon(1e-5));
  CHECK(vmaf::motion_sad(vmaf::motion_blur(a), vmaf::motion_blur(a)) == 0.0);
  // A constant plane stays constant under the blur, borders included.
  const vmaf::Plane c = transform(a, 0.0f, 7.0f);
  const vmaf::Plane bc = vmaf::motion_blur(c);
  CHECK(bc.at(0, 0) == doctest::Approx(7.0f).epsilon(1e-6));
  CHECK(bc.at(63, 47) == doctest::Approx(7.0f).epsilon(1e-6));
}

TEST_CASE("SVM regression on a hand-made model") {
  const vmaf::Model m = vmaf::parse_model(tiny_model(), "tiny.json");
  CHECK(m.features == std::vector<std::string>{"adm2"});
  CHECK(m.sv.size() == 2);
  vmaf::Features f;
  f.adm2 = 0.7;
  const double want = 1.0 * std::exp(-0.5 * 0.04) - 0.5 * std::exp(-0.5 * 0.09) - 0.1;
  CHECK(vmaf::predict(m, f) == doctest::Approx(want).epsilon(1e-12));

  // Feature and score rescaling, then the clip.
  const vmaf::Model r = vmaf::parse_model(
      sub(tiny_model(
              R"("slopes": [0.01, 2.0], "intercepts": [-0.5, -0.3], "score_clip": [0, 100],)"),
          R"("norm_type": "none")", R"("norm_type": "linear_rescale")"),
      "rescaled.json");
  const double x = 2.0 * 0.7 - 0.3;  // the rescaled feature
  const double y =
      std::exp(-0.5 * (x - 0.5) * (x - 0.5)) - 0.5 * std::exp(-0.5 * (x - 1) * (x - 1)) - 0.1;
  CHECK(vmaf::predict(r, f) == doctest::Approx((y + 0.5) / 0.01).epsilon(1e-12));
  f.adm2 = 5.0;  // far from both vectors: only -rho is left, (-0.1 + 0.5) / 0.01
  CHECK(vmaf::predict(r, f) == doctest::Approx(40.0).epsilon(1e-6));
}

TEST_CASE("the shipped default model scores a frame as libvmaf did") {
  const vmaf::Model m = vmaf::load_model(kModels + "vmaf_float_v0.6.1.json");
  CHECK(m.features.size() == 6);
  CHECK(m.sv.size() == 211);
  CHECK(m.clip);
  // Frame 0 of testsrc2 352x288 after libx264 crf 38: libvmaf 1.3.7's features (5 decimals)
  // and its score 71.71101.
  vmaf::Features f;
  f.adm2 = 0.94596;
  f.motion2 = 0.0;
  f.vif = {0.58987, 0.80718, 0.85771, 0.89197};
  CHECK(vmaf::predict(m, f) == doctest::Approx(71.71101).epsilon(2e-4));
  // The phone transform raises it (out_gte_in) and keeps it within the clip.
  const double phone = vmaf::predict(m, f, true);
  CHECK(phone > 71.72);
  CHECK(phone <= 100.0);
  // The NEG model carries its gain limits.
  const vmaf::Model neg = vmaf::load_model(kModels + "vmaf_float_v0.6.1neg.json");
  CHECK(neg.feature_options.vif_enhn_gain_limit == 1.0);
  CHECK(neg.feature_options.adm_enhn_gain_limit == 1.0);
  CHECK(m.feature_options.vif_enhn_gain_limit == 100.0);
}

TEST_CASE("model files of another form are refused, naming the file") {
  auto refused = [](const std::string& text, const std::string& part) {
    try {
      (void)vmaf::parse_model(text, "m.json");
      return false;
    } catch (const InputError& e) {
      const std::string what = e.what();
      return what.find("m.json") != std::string::npos && what.find(part) != std::string::npos;
    }
  };
  CHECK(refused("(dp0\nS'param_dict'", "not JSON"));
  CHECK(refused(R"({"param_dict": {}})", "model_dict"));
  CHECK(refused(sub(tiny_model(), "LIBSVMNUSVR", "BOOTSTRAP_LIBSVMNUSVR"), "model_type"));
  CHECK(refused(sub(tiny_model(), "adm2_score", "psnr_score"), "feature 'psnr'"));
  CHECK(refused(sub(tiny_model(), "kernel_type rbf", "kernel_type linear"), "kernel_type"));
  CHECK(refused(sub(tiny_model(), "1 1:0.5", "1 7:0.5"), "index 7"));
  CHECK_THROWS_AS(vmaf::load_model("/nonexistent/model.json"), InputError);
}

TEST_CASE("pooling: mean, harmonic mean, minimum, low percentiles, bootstrap interval") {
  const std::vector<double> s = {10, 20, 30, 40};
  const vmaf::Pooled p = vmaf::pool(s);
  CHECK(p.mean == 25.0);
  CHECK(p.harmonic_mean ==
        doctest::Approx(4.0 / (1.0 / 11 + 1.0 / 21 + 1.0 / 31 + 1.0 / 41) - 1.0));
  CHECK(p.min == 10.0);
  CHECK(p.p1 == doctest::Approx(10.3));  // rank 0.03 between 10 and 20
  CHECK(p.p5 == doctest::Approx(11.5));
  CHECK(vmaf::pool_by(p, "harmonic_mean") == p.harmonic_mean);
  CHECK_THROWS_AS(vmaf::pool_by(p, "median"), UsageError);
  const auto ci = vmaf::bootstrap_interval(s, "mean");
  CHECK(ci[0] < 25.0);
  CHECK(ci[1] > 25.0);
  CHECK(ci[0] >= 10.0);
  CHECK(ci[1] <= 40.0);
  CHECK(vmaf::bootstrap_interval(s, "mean") == ci);  // fixed seed
  const auto same = vmaf::bootstrap_interval({50, 50, 50}, "min");
  CHECK(same[0] == 50.0);
  CHECK(same[1] == 50.0);
}

TEST_CASE("metric specs: vmaf takes options, others refuse them") {
  const MetricSpec s = parse_metric_spec("vmaf:model=neg:pool=harmonic_mean");
  CHECK(s.name == "vmaf");
  REQUIRE(s.options.size() == 2);
  CHECK(s.options[0] == std::pair<std::string, std::string>{"model", "neg"});
  CHECK(s.options[1].second == "harmonic_mean");
  CHECK(find_metric("vmaf:phone=true").name == "vmaf");
  CHECK_THROWS_AS(parse_metric_spec("vmaf:modle=neg"), UsageError);
  CHECK_THROWS_AS(parse_metric_spec("vmaf:model"), UsageError);
  CHECK_THROWS_AS(parse_metric_spec("psnr:model=neg"), UsageError);
  CHECK_THROWS_AS(find_metric("vmaf:pool=x", MediaType::kAudio), UsageError);
}

TEST_CASE("the vmaf metric: identical frames score the model's top, per-frame values at the end") {
  setenv("CODECBENCH_DATA_DIR", CODECBENCH_SOURCE_ROOT, 1);
  const int w = 64, h = 48;
  auto frame = [&](unsigned seed) {
    auto f = av::make_frame();
    f->format = AV_PIX_FMT_GRAY8;
    f->width = w;
    f->height = h;
    REQUIRE(av_frame_get_buffer(f.get(), 0) >= 0);
    std::mt19937 rng(seed);
    for (int y = 0; y < h; ++y)
      for (int x = 0; x < w; ++x) f->data[0][y * f->linesize[0] + x] = static_cast<uint8_t>(rng());
    return f;
  };
  const MetricDescriptor& d = find_video_metric("vmaf");
  CHECK_FALSE(d.supports(AV_PIX_FMT_GBRP));
  auto m = d.create(AV_PIX_FMT_GRAY8, w, h, {{"pool", "min"}});
  const auto a = frame(1), b = frame(2), c = frame(3);
  CHECK(m->add(*a, *a).empty());
  CHECK(m->add(*b, *b).empty());
  CHECK(m->add(*c, *c).empty());
  REQUIRE(m->defers_frames());
  const auto frames = m->frame_values();
  REQUIRE(frames.size() == 3);
  auto value = [](const MetricValues& v, const std::string& k) {
    for (const auto& [n, x] : v)
      if (n == k) return x;
    FAIL("no " << k);
    return 0.0;
  };
  CHECK(value(frames[0], "motion2") == 0.0);
  CHECK(value(frames[1], "motion2") > 0.0);
  for (const auto& f : frames) {
    CHECK(value(f, "adm2") == doctest::Approx(1.0));
    CHECK(value(f, "vif_scale0") == doctest::Approx(1.0));
  }
  const MetricValues sum = m->summary();
  CHECK(value(sum, "score") == value(sum, "min"));
  CHECK(value(sum, "mean") > 90.0);
  CHECK_THROWS_AS(d.create(AV_PIX_FMT_GRAY8, w, h, {{"model", "nosuch"}}), UsageError);
  CHECK_THROWS_AS(d.create(AV_PIX_FMT_GRAY8, w, h, {{"pool", "median"}}), UsageError);
  CHECK_THROWS_AS(d.create(AV_PIX_FMT_GRAY8, w, h, {{"phone", "maybe"}}), UsageError);
}

namespace {
// VIF's window of `taps` taps (a Gaussian of sigma taps / 5, normalised), in double.
std::vector<double> naive_window(int taps) {
  std::vector<double> g(static_cast<std::size_t>(taps));
  double sum = 0;
  for (int i = 0; i < taps; ++i) {
    const double x = i - taps / 2, s = taps / 5.0;
    g[static_cast<std::size_t>(i)] = std::exp(-0.5 * x * x / (s * s));
    sum += g[static_cast<std::size_t>(i)];
  }
  for (auto& v : g) v /= sum;
  return g;
}

int naive_mirror(int i, int n) { return i < 0 ? -i : (i >= n ? 2 * n - i - 1 : i); }

// The next VIF scale from its definition: `p` blurred by the window of `taps`, every second
// sample of every second row.
vmaf::Plane naive_decimate(const vmaf::Plane& p, int taps) {
  const std::vector<double> g = naive_window(taps);
  const int r = taps / 2;
  vmaf::Plane out(p.width / 2, p.height / 2);
  for (int y = 0; y < out.height; ++y) {
    for (int x = 0; x < out.width; ++x) {
      double v = 0;
      for (int i = 0; i < taps; ++i)
        for (int j = 0; j < taps; ++j)
          v += g[static_cast<std::size_t>(i)] * g[static_cast<std::size_t>(j)] *
               p.at(naive_mirror(2 * x - r + j, p.width), naive_mirror(2 * y - r + i, p.height));
      out.at(x, y) = static_cast<float>(v);
    }
  }
  return out;
}

// VIF at one scale written directly from its definition, in double, one pixel at a time: the
// reference the vectorised kernels (whichever clone this CPU runs) must agree with.
std::pair<double, double> naive_vif_at(const vmaf::Plane& a, const vmaf::Plane& b, int taps) {
  const int r = taps / 2, w = a.width, h = a.height;
  const std::vector<double> g = naive_window(taps);
  double num = 0, den = 0;
  for (int y = 0; y < h; ++y) {
    for (int x = 0; x < w; ++x) {
      double m1 = 0, m2 = 0, e11 = 0, e22 = 0, e12 = 0;
      for (int i = 0; i < taps; ++i) {
        for (int j = 0; j < taps; ++j) {
          const double c = g[static_cast<std::size_t>(i)] * g[static_cast<std::size_t>(j)];
          const double p = a.at(naive_mirror(x - r + j, w), naive_mirror(y - r + i, h));
          const double q = b.at(naive_mirror(x - r + j, w), naive_mirror(y - r + i, h));
          m1 += c * p;
          m2 += c * q;
          e11 += c * p * p;
          e22 += c * q * q;
          e12 += c * p * q;
        }
      }
      const double s1 = std::max(e11 - m1 * m1, 0.0), s2 = std::max(e22 - m2 * m2, 0.0);
      const double s12 = e12 - m1 * m2;
      if (s1 < 2.0) {  // below the neural noise: the numerator tracks the distortion's variance
        num += 1.0 - s2 * 4.0 / (255.0 * 255.0);
        den += 1.0;
        continue;
      }
      const double gain = std::max(s12 / s1, 0.0);
      const double sv = std::max(s12 < 0 ? s2 : s2 - gain * s12, 1e-10);
      num += s12 < 0 ? 0.0 : std::log2(1.0 + gain * gain * s1 / (sv + 2.0));
      den += std::log2(1.0 + s1 / 2.0);
    }
  }
  return {num, den};
}

std::pair<double, double> naive_vif0(const vmaf::Plane& a, const vmaf::Plane& b) {
  return naive_vif_at(a, b, 17);
}
}  // namespace

TEST_CASE("the SIMD VIF kernel agrees with VIF written from its definition") {
  const vmaf::Plane ref = texture(70, 45, 5);  // widths that leave vector tails
  vmaf::Plane dist = ref;
  std::mt19937 rng(9);
  std::normal_distribution<float> noise(0.0f, 6.0f);
  for (auto& v : dist.px) v = 0.8f * v + noise(rng);
  const auto [num, den] = naive_vif0(ref, dist);
  const vmaf::VifScores v = vmaf::vif(ref, dist);
  CHECK(v.num[0] == doctest::Approx(num).epsilon(1e-4));
  CHECK(v.den[0] == doctest::Approx(den).epsilon(1e-4));
  CHECK(v.scale(0) < 0.9);
}

TEST_CASE("VIF's row groups and vector widths agree with the definition at every shape") {
  // Widths below, at and past one and two vectors of 8 and 16 lanes, heights that leave 0-3
  // rows after the groups of four: each path of the vertical pass (16 lanes, 8 lanes, one row
  // at a time, the overlapping last step) meets the definition.
  for (const int w : {9, 12, 16, 23, 40}) {
    for (const int h : {9, 10, 11, 12}) {
      CAPTURE(w);
      CAPTURE(h);
      const vmaf::Plane ref = texture(w, h, 11);
      vmaf::Plane dist = ref;
      std::mt19937 rng(static_cast<unsigned>(w * 100 + h));
      std::normal_distribution<float> noise(0.0f, 5.0f);
      for (auto& v : dist.px) v = 0.9f * v + noise(rng);
      const auto expected = naive_vif0(ref, dist);
      const vmaf::VifScores v = vmaf::vif(ref, dist);
      CHECK(v.num[0] == doctest::Approx(expected.first).epsilon(1e-4));
      CHECK(v.den[0] == doctest::Approx(expected.second).epsilon(1e-4));
    }
  }
}

TEST_CASE("VIF's four scales agree with the definition, each window on its wide path") {
  // Widths at which every scale's window (17, 9, 5, 3 taps) has rows of 32 and more, the
  // AVX-512 horizontal pass's step, and a tail after it.
  for (const auto& size : {std::pair{72, 40}, std::pair{150, 90}, std::pair{264, 40}}) {
    const int w = size.first, h = size.second;  // no structured binding: clang 14's CAPTURE
    CAPTURE(w);
    CAPTURE(h);
    vmaf::Plane ref = texture(w, h, 13);
    vmaf::Plane dist = ref;
    std::mt19937 rng(static_cast<unsigned>(w));
    std::normal_distribution<float> noise(0.0f, 7.0f);
    for (auto& v : dist.px) v = 0.85f * v + noise(rng);
    const vmaf::VifScores v = vmaf::vif(ref, dist);
    for (int s = 0; s < 4; ++s) {
      CAPTURE(s);
      const int taps = (1 << (4 - s)) + 1;
      if (s > 0) {
        ref = naive_decimate(ref, taps);
        dist = naive_decimate(dist, taps);
      }
      const auto [num, den] = naive_vif_at(ref, dist, taps);
      CHECK(v.num[static_cast<std::size_t>(s)] == doctest::Approx(num).epsilon(1e-4));
      CHECK(v.den[static_cast<std::size_t>(s)] == doctest::Approx(den).epsilon(1e-4));
    }
  }
}
