#pragma once
/// @file batch.hpp
/// Batch runs: a job list run on a TBB arena of `jobs` concurrency, with warmup and repeats,
/// failures recorded and the batch going on, cooperative stop (SIGINT), resume, and every
/// finished job committed to the results store.

#include <atomic>
#include <functional>
#include <string>
#include <vector>

#include "codecbench/preset.hpp"
#include "codecbench/store.hpp"

namespace codecbench {

/// Median, extremes and spread of one timing over the repeats.
struct RepeatStats {
  double median = 0, min = 0, max = 0, stddev = 0;  ///< seconds; stddev is the sample stddev
  /// Coefficient of variation stddev / mean (0 for one repeat).
  double cv = 0;
  static RepeatStats of(std::vector<double> values);
};

/// What one job of a batch gave.
struct BatchJobResult {
  BatchJob job;
  std::string status;           ///< "ok", "failed", "skipped" (resume), "not run" (stopped)
  std::string error;            ///< why it failed
  std::vector<JobResult> runs;  ///< the measured repeats
  RepeatStats wall;             ///< job wall time over repeats
  RepeatStats encode;           ///< encoder time over repeats
  bool noisy = false;           ///< wall-time CV above 5%: more repeats advised
  /// The repeat with the median wall time (sizes and quality are the same in every repeat).
  [[nodiscard]] const JobResult* representative() const;
};

/// Progress callbacks (called from worker threads, one at a time).
struct BatchEvent {
  enum class Kind { kStarted, kFinished } kind = Kind::kStarted;
  const BatchJob* job = nullptr;
  const BatchJobResult* result = nullptr;  ///< kFinished only
  std::size_t done = 0, failed = 0, total = 0;
};

struct BatchOptions {
  bool resume = false;                              ///< skip jobs the store has for this preset
  const std::atomic<bool>* stop = nullptr;          ///< set: start no new job
  std::function<void(const BatchEvent&)> on_event;  ///< progress
};

struct BatchSummary {
  std::int64_t run_id = 0;
  RunInfo info;
  std::vector<BatchJobResult> results;  ///< in job-list order
  std::size_t failed = 0, skipped = 0, not_run = 0;
  bool interrupted = false;
  double wall_s = 0;
  std::vector<std::string> warnings;  ///< e.g. oversubscription
};

/// Runs the jobs (from one or more preset variants sharing `jobs`, `repeats`, `warmup`).
BatchSummary run_batch(const Preset& settings, const std::vector<BatchJob>& jobs, RunInfo info,
                       ResultStore& store, const BatchOptions& options);

}  // namespace codecbench

namespace codecbench {

/// Checks every job before any starts: encoders exist (UsageError with suggestions otherwise)
/// and metric names are known.
void check_jobs(const std::vector<BatchJob>& jobs);

}  // namespace codecbench
