#pragma once
/// @file batch.hpp
/// Batch runs: a job list run through the executor (executor.hpp) with `jobs` concurrency,
/// warmup and repeats, failures recorded and the batch going on, cooperative stop (SIGINT),
/// resume, and every finished job handed to a result sink (sink.hpp) as it ends.

#include <atomic>
#include <functional>
#include <set>
#include <string>
#include <vector>

#include "codecbench/config/preset.hpp"
#include "codecbench/store/run_record.hpp"
#include "codecbench/store/sink.hpp"

namespace codecbench {

/// Progress callbacks (called from worker threads, one at a time).
struct BatchEvent {
  enum class Kind { kStarted, kFinished } kind = Kind::kStarted;
  const BatchJob* job = nullptr;
  const JobRecord* result = nullptr;  ///< kFinished only
  std::size_t done = 0, failed = 0, total = 0;
};

struct BatchOptions {
  /// Keys not to run (--resume: the jobs the store has for this preset); they are recorded
  /// with status skipped.
  std::set<std::string> skip_keys;
  const std::atomic<bool>* stop = nullptr;          ///< set: start no new job
  std::function<void(const BatchEvent&)> on_event;  ///< progress
  /// Called just before a job starts (run --claims: JobClaims::claim of its key). False:
  /// another process runs it; the job is left out of this run (no record, not counted).
  std::function<bool(const BatchJob&)> claim;
};

struct BatchSummary {
  RunRecord run;                      ///< the header and every job, in job-list order
  bool interrupted = false;           ///< stopped before every job started
  std::vector<std::string> warnings;  ///< e.g. oversubscription
};

/// The record of one job from its measured repeats: timing statistics over them and the
/// result of the repeat with the median wall time (sizes and quality are the same in every
/// repeat); status ok. `machine` is where it ran.
JobRecord job_record(const BatchJob& job, const std::vector<JobResult>& repeats,
                     const MachineInfo& machine);

/// A new run's header for a loaded preset: its plan (every job key, in order), the first
/// variant's name, `preset_path` as given, the resolved YAML and hash, this machine, started
/// now, with `uuid` (a new one when empty). Its jobs come from run_batch.
RunRecord run_header(const PresetBundle& bundle, const std::string& preset_path,
                     std::string uuid = {});

/// Runs the jobs (from one or more preset variants sharing `jobs`, `repeats`, `warmup`,
/// `reference_budget_mib` and `output.keep_dir`). `header` is the run without jobs (preset,
/// machine, UUID); the sink gets it, then each job as it ends, then the run's end.
BatchSummary run_batch(const Preset& settings, const std::vector<BatchJob>& jobs, RunRecord header,
                       ResultSink& sink, const BatchOptions& options);

/// Checks every job before any starts: encoders exist (UsageError with suggestions otherwise)
/// and metric names are known for the encoder's media type.
void check_jobs(const std::vector<BatchJob>& jobs);

}  // namespace codecbench
