#include "codecbench/batch.hpp"

#include <fmt/core.h>
#include <tbb/parallel_for.h>
#include <tbb/task_arena.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <mutex>
#include <numeric>
#include <thread>

#include "codecbench/audio_metrics.hpp"
#include "codecbench/catalog.hpp"
#include "codecbench/error.hpp"

namespace codecbench {

RepeatStats RepeatStats::of(std::vector<double> v) {
  RepeatStats s;
  if (v.empty()) return s;
  std::sort(v.begin(), v.end());
  const std::size_t n = v.size();
  s.median = n % 2 == 1 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
  s.min = v.front();
  s.max = v.back();
  const double mean = std::accumulate(v.begin(), v.end(), 0.0) / static_cast<double>(n);
  if (n > 1) {
    double ss = 0;
    for (double x : v) ss += (x - mean) * (x - mean);
    s.stddev = std::sqrt(ss / static_cast<double>(n - 1));
    s.cv = mean > 0 ? s.stddev / mean : 0;
  }
  return s;
}

const JobResult* BatchJobResult::representative() const {
  if (runs.empty()) return nullptr;
  const JobResult* best = &runs.front();
  for (const auto& r : runs) {
    if (std::fabs(r.wall_s - wall.median) < std::fabs(best->wall_s - wall.median)) best = &r;
  }
  return best;
}

BatchSummary run_batch(const Preset& settings, const std::vector<BatchJob>& jobs, RunInfo info,
                       ResultStore& store, const BatchOptions& options) {
  const auto start = std::chrono::steady_clock::now();
  BatchSummary summary;
  info.jobs_total = static_cast<int>(jobs.size());
  summary.info = info;
  summary.results.resize(jobs.size());
  const unsigned hw = std::max(1U, std::thread::hardware_concurrency());
  for (const auto& j : jobs) {
    const int t = j.spec.threads == 0 ? static_cast<int>(hw) : j.spec.threads;
    if (static_cast<unsigned>(settings.jobs * t) > hw) {
      summary.warnings.push_back(
          fmt::format("{} concurrent jobs x {} codec threads = {} threads on {} hardware threads: "
                      "oversubscribed, timings will include contention",
                      settings.jobs, t, settings.jobs * t, hw));
      break;
    }
  }
  std::set<std::string> done_before;
  if (options.resume) done_before = store.completed_keys(info.preset_hash);
  summary.run_id = store.begin_run(info);

  ReferenceCache references(settings.reference_budget_mib << 20);
  if (!settings.output.keep_dir.empty()) {
    std::error_code ec;
    std::filesystem::create_directories(settings.output.keep_dir, ec);
    if (ec) {
      throw InputError(fmt::format("{}: cannot create the keep folder ({})",
                                   settings.output.keep_dir, ec.message()));
    }
  }
  std::mutex mutex;
  std::size_t done = 0, failed = 0;
  auto run_one = [&](std::size_t i) {
    BatchJobResult& r = summary.results[i];
    r.job = jobs[i];
    if (done_before.count(r.job.key) != 0) {
      r.status = "skipped";
      std::lock_guard lock(mutex);
      ++summary.skipped;
      return;
    }
    if (options.stop != nullptr && options.stop->load()) {
      r.status = "not run";
      std::lock_guard lock(mutex);
      ++summary.not_run;
      return;
    }
    {
      std::lock_guard lock(mutex);
      if (options.on_event)
        options.on_event({BatchEvent::Kind::kStarted, &r.job, nullptr, done, failed, jobs.size()});
    }
    JobSpec spec = r.job.spec;
    spec.references = &references;
    if (!settings.output.keep_dir.empty()) {
      spec.keep_path =
          (std::filesystem::path(settings.output.keep_dir) / (r.job.key + ".mkv")).string();
    }
    try {
      // A job's own stages and metric kernels run in an arena of its codec thread budget
      // (threads=1: one thread, so jobs x threads really is the batch's thread count), and
      // concurrent jobs do not steal each other's tasks.
      tbb::task_arena job_arena(spec.threads == 0 ? static_cast<int>(hw)
                                                  : std::max(1, spec.threads));
      auto one = [&] { return job_arena.execute([&] { return run_job(spec); }); };
      for (int w = 0; w < settings.warmup; ++w) (void)one();
      for (int k = 0; k < settings.repeats; ++k) r.runs.push_back(one());
      std::vector<double> wall, enc;
      for (const auto& m : r.runs) {
        wall.push_back(m.wall_s);
        enc.push_back(m.encode_s);
      }
      r.wall = RepeatStats::of(wall);
      r.encode = RepeatStats::of(enc);
      r.noisy = r.runs.size() > 1 && r.wall.cv > 0.05;
      r.status = "ok";
    } catch (const std::exception& e) {
      r.status = "failed";
      r.error = e.what();
      r.runs.clear();
    }
    store.record_job(summary.run_id, r);  // its own transaction: a killed run keeps this job
    std::lock_guard lock(mutex);
    ++done;
    if (r.status == "failed") ++failed;
    if (options.on_event)
      options.on_event({BatchEvent::Kind::kFinished, &r.job, &r, done, failed, jobs.size()});
  };
  tbb::task_arena arena(std::max(1, settings.jobs));
  arena.execute([&] {
    tbb::parallel_for(
        tbb::blocked_range<std::size_t>(0, jobs.size(), 1),
        [&](const tbb::blocked_range<std::size_t>& range) {
          for (std::size_t i = range.begin(); i < range.end(); ++i) run_one(i);
        },
        tbb::simple_partitioner());
  });
  summary.failed = failed;
  summary.interrupted = options.stop != nullptr && options.stop->load();
  store.finish_run(summary.run_id,
                   summary.interrupted ? "interrupted" : (failed > 0 ? "failed jobs" : "ok"),
                   static_cast<int>(failed));
  summary.wall_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return summary;
}

}  // namespace codecbench

namespace codecbench {

void check_jobs(const std::vector<BatchJob>& jobs) {
  for (const auto& j : jobs) {
    const AVCodec* c = avcodec_find_encoder_by_name(j.spec.encoder.c_str());
    if (c == nullptr) {
      std::string hint;
      for (const auto& s : suggest_codec_names(j.spec.encoder))
        hint += (hint.empty() ? "" : ", ") + s;
      throw UsageError(fmt::format("encoders.{}: no encoder '{}' in this FFmpeg{}", j.encoder_label,
                                   j.spec.encoder,
                                   hint.empty() ? "" : " (did you mean: " + hint + "?)"));
    }
    for (const auto& m : j.spec.metrics) {
      if (m == "none") continue;
      if (c->type == AVMEDIA_TYPE_AUDIO) {
        (void)find_audio_metric(m);
      } else {
        (void)find_video_metric(m);
      }
    }
  }
}

}  // namespace codecbench
