// Kernel timings for the video metrics on one 1280x720 yuv420p frame pair
// (meson benchmark target: `meson test -C build --benchmark` or run build/bench/bench-metrics).
#include <benchmark/benchmark.h>
#include <tbb/global_control.h>

#include <cstdlib>
#include <memory>
#include <random>

#include "codecbench/metrics.hpp"

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

void BM_psnr_720p(benchmark::State& s) { run_metric(s, "psnr"); }
void BM_ssim_720p(benchmark::State& s) { run_metric(s, "ssim"); }
void BM_ms_ssim_720p(benchmark::State& s) { run_metric(s, "ms_ssim"); }
void BM_vmaf_720p(benchmark::State& s) { run_metric(s, "vmaf"); }
void BM_vmaf_720p_1thread(benchmark::State& s) { run_metric(s, "vmaf", 1); }

}  // namespace

BENCHMARK(BM_psnr_720p)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_ssim_720p)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_ms_ssim_720p)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_vmaf_720p)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_vmaf_720p_1thread)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK_MAIN();
