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

}  // namespace

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
BENCHMARK_MAIN();
