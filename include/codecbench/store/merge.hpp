#pragma once
/// @file merge.hpp
/// Merging runs: the shards of one launch (run --shard, Slurm array tasks, or simply runs of
/// the same preset on several machines) into one run of one store (codecbench merge).

#include <cstdint>
#include <string>
#include <vector>

#include "codecbench/store/run_record.hpp"
#include "codecbench/store/store.hpp"

namespace codecbench {

/// What a merge did.
struct MergeResult {
  std::int64_t run_id = 0;  ///< the merged run in the output store
  std::string uuid;
  std::size_t planned = 0;     ///< jobs of the launch (union of the inputs' plans)
  std::size_t added = 0;       ///< jobs written by this merge
  std::size_t kept = 0;        ///< jobs the output already had (merging twice adds nothing)
  std::size_t duplicates = 0;  ///< further ok records of a job already merged (ignored)
  std::size_t failed = 0;      ///< planned jobs whose best record failed
  /// Planned keys without a measured (ok or failed) record: a shard missing, killed or
  /// stopped. `run --resume` on the merged store runs these (and the failed ones).
  std::vector<std::string> missing;
  RunStatus status = RunStatus::kOk;  ///< ok, failed jobs, or interrupted (jobs missing)
};

/// The runs in a file: every run of a results store (SQLite), the run of a run document
/// (run --json, runs export --json) or of a JSON Lines stream (run --stream). InputError naming
/// the file when it is none of these. What was read with a warning (a stream's last line cut
/// short: read_json_lines) adds a line to `warnings` when given.
std::vector<RunRecord> read_runs(const std::string& path,
                                 std::vector<std::string>* warnings = nullptr);

/// The runs of several files (read_runs of each), in the order given. The files are parsed
/// side by side on the machine's cores; the first file's error is thrown when several fail.
/// Warnings in the order of the files.
std::vector<RunRecord> read_runs(const std::vector<std::string>& paths,
                                 std::vector<std::string>* warnings = nullptr);

/// Empties `runs`, freeing their jobs' result documents side by side on the machine's cores
/// (for 10,000 jobs, freeing them one by one costs a fifth of a merge).
void release_runs(std::vector<RunRecord>& runs);

/// Merges `inputs` into one run of `out`. All inputs must be runs of the same preset (same
/// preset_hash; InputError naming two that differ otherwise). The merged run takes the
/// inputs' UUID when they share one (else the first's), and is the output's run with that
/// UUID when it has one: merging is idempotent and can be repeated as shards arrive. Per job
/// key the best record wins: ok over failed over skipped or not run, the first of equals;
/// a job the output has as ok is never replaced.
MergeResult merge_runs(ResultStore& out, const std::vector<RunRecord>& inputs);

}  // namespace codecbench
