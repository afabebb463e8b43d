#pragma once
/// @file sweep.hpp
/// Thread-scaling sweeps over a preset's job list: the encoder's own threads (`codec`),
/// concurrent single-threaded jobs (`jobs`), or every threads x jobs cell under a thread budget
/// (`grid`), in strong or weak mode, with warmup and repeats per point.

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "codecbench/analysis/scaling.hpp"
#include "codecbench/config/preset.hpp"

namespace codecbench {

enum class SweepLevel { kCodec, kJobs, kGrid, kRanks };

/// "codec", "jobs", "grid", "ranks".
const char* sweep_level_name(SweepLevel level) noexcept;

struct SweepSpec {
  std::vector<int> counts{1, 2};  ///< N values (threads or jobs); grid: the budgets
  ScalingMode mode = ScalingMode::kStrong;
  SweepLevel level = SweepLevel::kCodec;
  int repeats = 3;  ///< measured runs per point
  int warmup = 1;   ///< unmeasured runs per point first
  /// Codec level: decode every decode job once more at each N hashing its frames, and check
  /// them against the smallest N's (docs/scaling.md). Needs strong mode.
  bool check_exact = false;
  /// Level ranks: runs the job list once over `ranks` worker processes (MPI) with the list
  /// replicated `replicas` times, and returns its wall time in seconds. The CLI runs mpirun.
  std::function<double(int ranks, int replicas)> run_ranks;
};

/// A decode job's frames at one thread count against the smallest count's (check_exact).
struct SweepExactness {
  std::string job;        ///< "LABEL on INPUT"
  int n = 0;              ///< decoder threads
  std::string md5;        ///< output MD5 at n
  bool identical = true;  ///< the same frames as at the smallest N
  std::string reason;     ///< where they differ ("" when identical)
};

/// One grid cell (level grid): codec threads x concurrent jobs.
struct SweepCell {
  int threads = 1;
  int jobs = 1;
  ScalingSample sample;         ///< n = threads x jobs
  double work = 0;              ///< frames (video) or seconds of audio per run
  double throughput = 0;        ///< work / median time
  bool oversubscribed = false;  ///< threads x jobs above the physical cores
};

struct SweepResult {
  SweepSpec spec;
  int physical_cores = 0;
  int logical_cores = 0;
  std::vector<ScalingSample> samples;  ///< codec/jobs levels: one per N
  std::vector<double> work;            ///< work units per run at each N
  std::vector<ScalingPoint> points;
  std::vector<bool> oversubscribed;       ///< per point: N above the physical cores
  std::optional<FitResult> fit;           ///< Amdahl f (strong) or Gustafson s (weak)
  std::vector<SweepCell> grid;            ///< level grid
  std::optional<SweepCell> best;          ///< level grid: the highest throughput
  std::vector<std::string> thread_types;  ///< codec threading seen (frame, slice, other)
  /// What the swept jobs do: "encode", "decode" (a preset's decoders) or "mixed".
  std::string workload = "encode";
  std::vector<std::string> warnings;      ///< noisy points, outliers
  std::vector<SweepExactness> exactness;  ///< check_exact: one per decode job and N
  /// Decode workloads: the decoders' thread type ("default" for FFmpeg's), "" otherwise.
  std::string thread_type;
  /// A codec-level sweep whose preset has encoders and decoders, or decoders of several thread
  /// types: each is measured apart, so that their scaling can be read side by side. This result
  /// holds the encode jobs (or the first thread type's decode jobs), `decoders` one sweep per
  /// (further) thread type of decode jobs; empty otherwise.
  std::vector<SweepResult> decoders;
};

/// Progress: a line of text per finished run.
using SweepProgress = std::function<void(const std::string&)>;

/// Runs the sweep. Throws UsageError for impossible settings (weak codec-level sweeps need
/// inputs with `frames:` or `duration:`), and the job's error when a run fails.
SweepResult run_sweep(const std::vector<BatchJob>& jobs, const SweepSpec& spec,
                      const SweepProgress& progress = {});

}  // namespace codecbench

#include <nlohmann/json.hpp>

namespace codecbench {

/// JSON form of a sweep (docs/scaling.md): schema_version, spec, machine, points or grid, fit.
void to_json(nlohmann::json& j, const SweepResult& r);

}  // namespace codecbench
