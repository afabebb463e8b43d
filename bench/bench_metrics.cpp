// Kernel timings for the video metrics on one 1280x720 yuv420p frame pair
// (meson benchmark target: `meson test -C build --benchmark` or run build/bench/bench-metrics).
#include <benchmark/benchmark.h>
#include <tbb/global_control.h>

#include <cstdio>
#include <cstdlib>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "../src/metrics/simd.hpp"
#include "codecbench/metrics/metrics.hpp"
#include "codecbench/metrics/vmaf.hpp"

namespace {

codecbench::av::FramePtr frame(int w, int h, unsigned seed) {
  auto f = codecbench::av::make_frame();
  f->format = AV_PIX_FMT_YUV420P;
  f->width = w;
  f->height = h;
  if (av_frame_get_buffer(f.get(), 0) < 0) std::abort();
  std::mt19937 rng(seed);
  for (int p = 0; p < 3; ++p) {
    const int ph = p == 0 ? h : h / 2;
    const int pw = p == 0 ? w : w / 2;
    for (int y = 0; y < ph; ++y) {
      for (int x = 0; x < pw; ++x) {
        f->data[p][y * f->linesize[p] + x] = static_cast<uint8_t>((x + y) % 200 + rng() % 50);
      }
    }
  }
  return f;
}

void run_metric(benchmark::State& state, const char* name, int threads = 0) {
  // threads > 0: the metric's internal parallelism capped (VMAF's one-thread figure).
  std::unique_ptr<tbb::global_control> cap;
  if (threads > 0) {
    cap = std::make_unique<tbb::global_control>(tbb::global_control::max_allowed_parallelism,
                                                static_cast<std::size_t>(threads));
  }
  const int w = 1280, h = 720;
  auto a = frame(w, h, 1);
  auto b = frame(w, h, 2);
  // VMAF's shipped models: the source tree's models/ unless CODECBENCH_DATA_DIR says otherwise.
  setenv("CODECBENCH_DATA_DIR", CODECBENCH_SOURCE_ROOT, 0);
  auto m = codecbench::find_video_metric(name).create(AV_PIX_FMT_YUV420P, w, h, {});
  for (auto _ : state) benchmark::DoNotOptimize(m->add(*a, *b));
  state.SetItemsProcessed(state.iterations());
  state.counters["fps"] =
      benchmark::Counter(static_cast<double>(state.iterations()), benchmark::Counter::kIsRate);
}

// The kernel on real frames read from two raw yuv420p files, one thread, cycling through them:
// CODECBENCH_BENCH_RAW="REF:DIST:WIDTH:HEIGHT:FRAMES" (tools/bench --only kernels sets it to
// the files it gives FFmpeg's filters). Skipped without it.
void run_raw(benchmark::State& state, const char* name) {
  const char* spec = std::getenv("CODECBENCH_BENCH_RAW");
  if (spec == nullptr) {
    state.SkipWithError("CODECBENCH_BENCH_RAW is not set");
    return;
  }
  std::string text = spec;
  std::vector<std::string> part;
  for (std::size_t start = 0;;) {
    const auto colon = text.find(':', start);
    part.push_back(text.substr(start, colon - start));
    if (colon == std::string::npos) break;
    start = colon + 1;
  }
  if (part.size() != 5) {
    state.SkipWithError("CODECBENCH_BENCH_RAW: REF:DIST:WIDTH:HEIGHT:FRAMES");
    return;
  }
  const int w = std::stoi(part[2]), h = std::stoi(part[3]), n = std::stoi(part[4]);
  auto load = [&](const std::string& path) {
    std::vector<codecbench::av::FramePtr> frames;
    std::FILE* f = std::fopen(path.c_str(), "rb");
    for (int i = 0; f != nullptr && i < n; ++i) {
      auto fr = codecbench::av::make_frame();
      fr->format = AV_PIX_FMT_YUV420P;
      fr->width = w;
      fr->height = h;
      if (av_frame_get_buffer(fr.get(), 0) < 0) std::abort();
      bool ok = true;
      for (int p = 0; p < 3 && ok; ++p) {
        const int pw = p == 0 ? w : (w + 1) / 2, ph = p == 0 ? h : (h + 1) / 2;
        for (int y = 0; y < ph && ok; ++y) {
          ok = std::fread(fr->data[p] + y * fr->linesize[p], 1, static_cast<std::size_t>(pw), f) ==
               static_cast<std::size_t>(pw);
        }
      }
      if (!ok) break;
      frames.push_back(std::move(fr));
    }
    if (f != nullptr) std::fclose(f);
    return frames;
  };
  const auto ref = load(part[0]);
  const auto dist = load(part[1]);
  if (ref.empty() || ref.size() != dist.size()) {
    state.SkipWithError("CODECBENCH_BENCH_RAW: cannot read the frames");
    return;
  }
  tbb::global_control one(tbb::global_control::max_allowed_parallelism, 1);
  auto m = codecbench::find_video_metric(name).create(AV_PIX_FMT_YUV420P, w, h, {});
  std::size_t i = 0;
  for (auto _ : state) {
    benchmark::DoNotOptimize(m->add(*ref[i], *dist[i]));
    i = (i + 1) % ref.size();
  }
  state.counters["fps"] =
      benchmark::Counter(static_cast<double>(state.iterations()), benchmark::Counter::kIsRate);
}

void BM_ssim_raw_1thread(benchmark::State& s) { run_raw(s, "ssim"); }
void BM_psnr_raw_1thread(benchmark::State& s) { run_raw(s, "psnr"); }

void BM_psnr_720p(benchmark::State& s) { run_metric(s, "psnr"); }
void BM_ssim_720p(benchmark::State& s) { run_metric(s, "ssim"); }
void BM_ssim_720p_1thread(benchmark::State& s) { run_metric(s, "ssim", 1); }
void BM_psnr_720p_1thread(benchmark::State& s) { run_metric(s, "psnr", 1); }
void BM_ms_ssim_720p(benchmark::State& s) { run_metric(s, "ms_ssim"); }
void BM_vmaf_720p(benchmark::State& s) { run_metric(s, "vmaf"); }
void BM_vmaf_720p_1thread(benchmark::State& s) { run_metric(s, "vmaf", 1); }
void BM_ms_ssim_720p_1thread(benchmark::State& s) { run_metric(s, "ms_ssim", 1); }

// Multiply-adds fed by loads that cycle over `span` KiB: twelve 8-lane multiply-adds per step,
// each multiplying a freshly loaded vector, 96 floats a step. Built like the metric kernels
// (simd.hpp clones, no FMA). On the build machine the rate drops by a third to a half once the
// loads cycle over more than a few KiB, though all of these spans fit the 32 KiB L1
// (docs/performance.md): why the window filters load each input once for several
// multiply-adds.
CODECBENCH_SIMD_CLONES void streamed_mul_adds(const float* __restrict buf, std::size_t span,
                                              std::size_t steps, float* __restrict out) {
  using codecbench::detail::v8;
  v8 a0 = {}, a1 = {}, a2 = {}, a3 = {}, a4 = {}, a5 = {}, a6 = {}, a7 = {}, a8 = {}, a9 = {},
     a10 = {}, a11 = {};
  const float g = 0.5F;
  std::size_t pos = 0;
  for (std::size_t s = 0; s < steps; ++s) {
    const float* p = buf + pos;
    v8 v0, v1, v2, v3, v4, v5, v6, v7, v8_, v9, v10, v11;
    CODECBENCH_LOAD8(v0, p);
    CODECBENCH_LOAD8(v1, p + 8);
    CODECBENCH_LOAD8(v2, p + 16);
    CODECBENCH_LOAD8(v3, p + 24);
    CODECBENCH_LOAD8(v4, p + 32);
    CODECBENCH_LOAD8(v5, p + 40);
    CODECBENCH_LOAD8(v6, p + 48);
    CODECBENCH_LOAD8(v7, p + 56);
    CODECBENCH_LOAD8(v8_, p + 64);
    CODECBENCH_LOAD8(v9, p + 72);
    CODECBENCH_LOAD8(v10, p + 80);
    CODECBENCH_LOAD8(v11, p + 88);
    a0 += g * v0;
    a1 += g * v1;
    a2 += g * v2;
    a3 += g * v3;
    a4 += g * v4;
    a5 += g * v5;
    a6 += g * v6;
    a7 += g * v7;
    a8 += g * v8_;
    a9 += g * v9;
    a10 += g * v10;
    a11 += g * v11;
    pos += 96;
    if (pos + 96 > span) pos = 0;
  }
  const v8 sum = ((a0 + a1) + (a2 + a3)) + ((a4 + a5) + (a6 + a7)) + ((a8 + a9) + (a10 + a11));
  CODECBENCH_STORE8(out, sum);
}

// Argument: the span in KiB. Items: 8-lane multiply-adds.
void BM_streamed_mul_adds(benchmark::State& state) {
  const auto span = static_cast<std::size_t>(state.range(0)) * 1024 / sizeof(float);
  std::vector<float> buf(span + 96, 1.0F);
  float out[8];
  const std::size_t steps = 1 << 16;
  for (auto _ : state) {
    streamed_mul_adds(buf.data(), span, steps, out);
    benchmark::DoNotOptimize(out);
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * steps * 12));
}
}  // namespace

// VMAF's features one at a time on one thread (0 VIF, 1 ADM, 2 motion's blur), at 1280x720 and
// at 320x180, in time per pixel: where a feature costs more per pixel at 720p than at the size
// whose planes fit the core's L2, memory traffic and not arithmetic bounds it (ADM was 1.75x
// before its detail bands went row by row).
void BM_vmaf_feature_1thread(benchmark::State& state) {
  namespace vmaf = codecbench::vmaf;
  const tbb::global_control cap(tbb::global_control::max_allowed_parallelism, 1);
  const int feature = static_cast<int>(state.range(0)), w = static_cast<int>(state.range(1));
  const int h = w * 9 / 16;
  vmaf::Plane a(w, h), b(w, h), blurred;
  std::mt19937 rng(3);
  for (int y = 0; y < h; ++y) {
    for (int x = 0; x < w; ++x) {
      a.at(x, y) = static_cast<float>((x + y) % 200 + static_cast<int>(rng() % 50)) - 128.0f;
      b.at(x, y) = a.at(x, y) + static_cast<float>(static_cast<int>(rng() % 9) - 4);
    }
  }
  vmaf::Scratch scratch;
  const vmaf::FeatureOptions options;
  for (auto _ : state) {
    if (feature == 0) {
      benchmark::DoNotOptimize(vmaf::vif(a, b, options, scratch));
    } else if (feature == 1) {
      benchmark::DoNotOptimize(vmaf::adm(a, b, options, scratch));
    } else {
      vmaf::motion_blur(a, blurred);
      benchmark::DoNotOptimize(blurred.px.data());
    }
  }
  // Seconds per pixel (printed with an SI prefix: 11.8n is 11.8 ns).
  state.counters["s_per_px"] =
      benchmark::Counter(static_cast<double>(state.iterations()) * w * h,
                         benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
}

BENCHMARK(BM_psnr_720p)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_ssim_720p)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_ssim_720p_1thread)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_psnr_720p_1thread)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_ms_ssim_720p)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_ms_ssim_720p_1thread)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_vmaf_720p)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_vmaf_720p_1thread)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_ssim_raw_1thread)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_psnr_raw_1thread)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_vmaf_feature_1thread)
    ->ArgsProduct({{0, 1, 2}, {1280, 320}})
    ->ArgNames({"feature", "width"})
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();
BENCHMARK(BM_streamed_mul_adds)->Arg(2)->Arg(4)->Arg(6)->Arg(8)->Arg(12)->Arg(24);
BENCHMARK_MAIN();
