#include <doctest/doctest.h>

#include <cmath>
#include <random>

#include "codecbench/core/error.hpp"
#include "codecbench/metrics/metrics.hpp"

using namespace codecbench;

namespace {

av::FramePtr make(AVPixelFormat fmt, int w, int h) {
  auto f = av::make_frame();
  f->format = fmt;
  f->width = w;
  f->height = h;
  REQUIRE(av_frame_get_buffer(f.get(), 0) >= 0);
  return f;
}

int plane_w(const AVFrame& f, int p) {
  const AVPixFmtDescriptor* d = av_pix_fmt_desc_get(static_cast<AVPixelFormat>(f.format));
  return (p == 1 || p == 2) ? AV_CEIL_RSHIFT(f.width, d->log2_chroma_w) : f.width;
}
int plane_h(const AVFrame& f, int p) {
  const AVPixFmtDescriptor* d = av_pix_fmt_desc_get(static_cast<AVPixelFormat>(f.format));
  return (p == 1 || p == 2) ? AV_CEIL_RSHIFT(f.height, d->log2_chroma_h) : f.height;
}

double value(const MetricValues& v, const std::string& k) {
  for (const auto& [name, x] : v) {
    if (name == k) return x;
  }
  FAIL("missing value " << k);
  return 0;
}

// SSIM of one plane straight from the definition (8x8 windows at stride 4, sums over 64
// samples, double arithmetic): an independent check of the block-sum kernel.
double reference_ssim(const AVFrame& a, const AVFrame& b, int p) {
  const int w = plane_w(a, p), h = plane_h(a, p);
  const double c1 = .01 * .01 * 255 * 255 * 64, c2 = .03 * .03 * 255 * 255 * 64 * 63;
  double total = 0;
  int n = 0;
  for (int by = 0; by + 1 < h / 4; ++by) {
    for (int bx = 0; bx + 1 < w / 4; ++bx) {
      double s1 = 0, s2 = 0, ss = 0, s12 = 0;
      for (int y = 4 * by; y < 4 * by + 8; ++y) {
        for (int x = 4 * bx; x < 4 * bx + 8; ++x) {
          const double va = a.data[p][y * a.linesize[p] + x];
          const double vb = b.data[p][y * b.linesize[p] + x];
          s1 += va;
          s2 += vb;
          ss += va * va + vb * vb;
          s12 += va * vb;
        }
      }
      const double vars = ss * 64 - s1 * s1 - s2 * s2;
      const double covar = s12 * 64 - s1 * s2;
      total += (2 * s1 * s2 + c1) * (2 * covar + c2) / ((s1 * s1 + s2 * s2 + c1) * (vars + c2));
      ++n;
    }
  }
  return total / n;
}

}  // namespace

TEST_CASE("PSNR of a constant error: MSE 4 on every plane gives 10 log10(255^2/4)") {
  auto a = make(AV_PIX_FMT_YUV420P, 64, 48);
  auto b = make(AV_PIX_FMT_YUV420P, 64, 48);
  for (int p = 0; p < 3; ++p) {
    for (int y = 0; y < plane_h(*a, p); ++y) {
      for (int x = 0; x < plane_w(*a, p); ++x) {
        a->data[p][y * a->linesize[p] + x] = static_cast<uint8_t>(100 + (x % 7));
        b->data[p][y * b->linesize[p] + x] = static_cast<uint8_t>(102 + (x % 7));
      }
    }
  }
  auto m = find_video_metric("psnr").create(AV_PIX_FMT_YUV420P, 64, 48, {});
  const MetricValues f = m->add(*a, *b);
  const double expected = 10 * std::log10(255.0 * 255.0 / 4.0);  // 42.1102...
  CHECK(value(f, "y") == doctest::Approx(expected).epsilon(1e-12));
  CHECK(value(f, "u") == doctest::Approx(expected).epsilon(1e-12));
  CHECK(value(f, "average") == doctest::Approx(expected).epsilon(1e-12));
  CHECK(value(f, "mse") == doctest::Approx(4.0));
}

TEST_CASE("PSNR's per-plane MSE equals the direct sum on random frames of odd sizes") {
  // Also the kernel's tail and full-width extremes: differences of +-255 at the edges.
  std::mt19937 rng(7);
  for (const auto& size : {std::pair{67, 45}, std::pair{1283, 9}, std::pair{8, 8}}) {
    const int w = size.first, h = size.second;
    CAPTURE(w);
    auto a = make(AV_PIX_FMT_YUV420P, w, h);
    auto b = make(AV_PIX_FMT_YUV420P, w, h);
    double sse[3] = {0, 0, 0};
    for (int p = 0; p < 3; ++p) {
      for (int y = 0; y < plane_h(*a, p); ++y) {
        for (int x = 0; x < plane_w(*a, p); ++x) {
          const bool edge = x == 0 || x == plane_w(*a, p) - 1;
          const int va = edge ? 255 : static_cast<int>(rng() % 256);
          const int vb = edge ? 0 : static_cast<int>(rng() % 256);
          a->data[p][y * a->linesize[p] + x] = static_cast<uint8_t>(va);
          b->data[p][y * b->linesize[p] + x] = static_cast<uint8_t>(vb);
          sse[p] += static_cast<double>(va - vb) * (va - vb);
        }
      }
    }
    auto m = find_video_metric("psnr").create(AV_PIX_FMT_YUV420P, w, h, {});
    const MetricValues f = m->add(*a, *b);
    for (int p = 0; p < 3; ++p) {
      const double mse = sse[p] / (static_cast<double>(plane_w(*a, p)) * plane_h(*a, p));
      CHECK(value(f, std::string(1, "yuv"[p])) ==
            doctest::Approx(10 * std::log10(65025.0 / mse)).epsilon(1e-12));
    }
  }
}

TEST_CASE("PSNR run average is the PSNR of the mean MSE, weighted 4:1:1 for yuv420p") {
  auto a = make(AV_PIX_FMT_YUV420P, 32, 32);
  auto b = make(AV_PIX_FMT_YUV420P, 32, 32);
  auto fill = [](AVFrame& f, int p, int v) {
    for (int y = 0; y < plane_h(f, p); ++y) {
      for (int x = 0; x < plane_w(f, p); ++x)
        f.data[p][y * f.linesize[p] + x] = static_cast<uint8_t>(v);
    }
  };
  auto m = find_video_metric("psnr").create(AV_PIX_FMT_YUV420P, 32, 32, {});
  // Frame 1: luma error 3 (MSE 9), chroma exact. Frame 2: luma exact, U error 6 (MSE 36).
  for (int p = 0; p < 3; ++p) {
    fill(*a, p, 50);
    fill(*b, p, p == 0 ? 53 : 50);
  }
  m->add(*a, *b);
  for (int p = 0; p < 3; ++p) fill(*b, p, p == 1 ? 56 : 50);
  m->add(*a, *b);
  const MetricValues s = m->summary();
  // weights: Y 4/6, U 1/6, V 1/6. Frame MSEs: 9*4/6 = 6 and 36/6 = 6; mean 6.
  CHECK(value(s, "average") == doctest::Approx(10 * std::log10(65025.0 / 6.0)));
  CHECK(value(s, "y") == doctest::Approx(10 * std::log10(65025.0 / 4.5)));
  CHECK(value(s, "u") == doctest::Approx(10 * std::log10(65025.0 / 18.0)));
  CHECK(std::isinf(value(s, "v")));
  CHECK(value(s, "min") == doctest::Approx(10 * std::log10(65025.0 / 6.0)));
}

TEST_CASE("SSIM kernel equals the definition computed directly, and 1 for identical frames") {
  std::mt19937 rng(42);
  for (const auto& size : {std::pair{64, 48}, std::pair{90, 70}, std::pair{37, 29}}) {
    const int w = size.first, h = size.second;  // (clang 14 cannot capture bindings)
    CAPTURE(w);
    auto a = make(AV_PIX_FMT_YUV420P, w, h);
    auto b = make(AV_PIX_FMT_YUV420P, w, h);
    for (int p = 0; p < 3; ++p) {
      for (int y = 0; y < plane_h(*a, p); ++y) {
        for (int x = 0; x < plane_w(*a, p); ++x) {
          const int v = static_cast<int>((x * 3 + y * 5) % 200 + rng() % 40);
          a->data[p][y * a->linesize[p] + x] = static_cast<uint8_t>(v);
          b->data[p][y * b->linesize[p] + x] =
              static_cast<uint8_t>(std::clamp<int>(v + static_cast<int>(rng() % 21) - 10, 0, 255));
        }
      }
    }
    auto m = find_video_metric("ssim").create(AV_PIX_FMT_YUV420P, w, h, {});
    const MetricValues f = m->add(*a, *b);
    for (int p = 0; p < 3; ++p) {
      const std::string key(1, "yuv"[p]);
      CHECK(value(f, key) == doctest::Approx(reference_ssim(*a, *b, p)).epsilon(1e-6));
    }
    auto same = find_video_metric("ssim").create(AV_PIX_FMT_YUV420P, w, h, {});
    CHECK(value(same->add(*a, *a), "all") == doctest::Approx(1.0).epsilon(1e-7));
  }
}

TEST_CASE("metric registry: formats and unknown names") {
  CHECK(planar_metric_format(AV_PIX_FMT_YUV420P));
  CHECK(planar_metric_format(AV_PIX_FMT_YUV420P10LE));
  CHECK(planar_metric_format(AV_PIX_FMT_GBRP));
  CHECK_FALSE(planar_metric_format(AV_PIX_FMT_NV12));
  CHECK_FALSE(planar_metric_format(AV_PIX_FMT_RGB24));
  CHECK_THROWS_AS(find_video_metric("cambi"), UsageError);
  CHECK_THROWS_AS(find_video_metric("vmaf:model=x:pool"), UsageError);
}

namespace {

// MS-SSIM straight from the definition: direct 2-D Gaussian windows in double, 2x2 averaging.
double reference_ms_ssim(std::vector<double> a, std::vector<double> b, int w, int h) {
  const double weights[5] = {0.0448, 0.2856, 0.3001, 0.2363, 0.1333};
  double g[11], gs = 0;
  for (int i = 0; i < 11; ++i) gs += g[i] = std::exp(-(i - 5.0) * (i - 5.0) / 4.5);
  for (double& v : g) v /= gs;
  const double c1 = 6.5025, c2 = 58.5225;
  double result = 1;
  for (int s = 0; s < 5; ++s) {
    double cs_sum = 0, ssim_sum = 0;
    int n = 0;
    for (int y = 0; y + 11 <= h; ++y) {
      for (int x = 0; x + 11 <= w; ++x) {
        double ma = 0, mb = 0, aa = 0, bb = 0, ab = 0;
        for (int j = 0; j < 11; ++j) {
          for (int i = 0; i < 11; ++i) {
            const double wt = g[i] * g[j];
            const double va = a[(y + j) * w + x + i], vb = b[(y + j) * w + x + i];
            ma += wt * va;
            mb += wt * vb;
            aa += wt * va * va;
            bb += wt * vb * vb;
            ab += wt * va * vb;
          }
        }
        const double cs = (2 * (ab - ma * mb) + c2) / (aa - ma * ma + bb - mb * mb + c2);
        cs_sum += cs;
        ssim_sum += cs * (2 * ma * mb + c1) / (ma * ma + mb * mb + c1);
        ++n;
      }
    }
    result *= std::pow(s < 4 ? cs_sum / n : ssim_sum / n, weights[s]);
    const int hw = w / 2, hh = h / 2;
    std::vector<double> na(hw * hh), nb(hw * hh);
    for (int y = 0; y < hh; ++y) {
      for (int x = 0; x < hw; ++x) {
        na[y * hw + x] = (a[2 * y * w + 2 * x] + a[2 * y * w + 2 * x + 1] +
                          a[(2 * y + 1) * w + 2 * x] + a[(2 * y + 1) * w + 2 * x + 1]) /
                         4;
        nb[y * hw + x] = (b[2 * y * w + 2 * x] + b[2 * y * w + 2 * x + 1] +
                          b[(2 * y + 1) * w + 2 * x] + b[(2 * y + 1) * w + 2 * x + 1]) /
                         4;
      }
    }
    a = std::move(na);
    b = std::move(nb);
    w = hw;
    h = hh;
  }
  return result;
}

}  // namespace

TEST_CASE("MS-SSIM kernel equals the definition computed directly") {
  const int w = 192, h = 180;
  auto a = make(AV_PIX_FMT_GRAY8, w, h);
  auto b = make(AV_PIX_FMT_GRAY8, w, h);
  std::mt19937 rng(5);
  std::vector<double> va(w * h), vb(w * h);
  for (int y = 0; y < h; ++y) {
    for (int x = 0; x < w; ++x) {
      const int v =
          static_cast<int>(128 + 60 * std::sin(x * 0.1) * std::cos(y * 0.07) + rng() % 30);
      const int d = std::clamp(v + static_cast<int>(rng() % 25) - 12, 0, 255);
      a->data[0][y * a->linesize[0] + x] = static_cast<uint8_t>(v);
      b->data[0][y * b->linesize[0] + x] = static_cast<uint8_t>(d);
      va[y * w + x] = v;
      vb[y * w + x] = d;
    }
  }
  auto m = find_video_metric("ms_ssim").create(AV_PIX_FMT_GRAY8, w, h, {});
  const double ours = value(m->add(*a, *b), "y");
  const double expected = reference_ms_ssim(va, vb, w, h);
  CHECK(ours == doctest::Approx(expected).epsilon(1e-5));
  CHECK(ours < 0.99);
  auto same = find_video_metric("ms_ssim").create(AV_PIX_FMT_GRAY8, w, h, {});
  CHECK(value(same->add(*a, *a), "y") == doctest::Approx(1.0).epsilon(1e-6));
  CHECK(find_video_metric("ms_ssim").min_size == 176);
}
