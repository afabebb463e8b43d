#pragma once
/// @file shard.hpp
/// Sharding a job list over processes and nodes (run --shard K/N, Slurm job arrays): every
/// shard computes the same split from the same job list, so N processes started anywhere run
/// disjoint parts that together are the whole list. The split balances an estimate of each
/// job's cost (docs/cluster.md).

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "codecbench/config/preset.hpp"
#include "codecbench/store/run_record.hpp"

namespace codecbench {

/// The K-th of N parts (1 <= K <= N).
struct ShardSpec {
  int index = 1;
  int count = 1;
  /// "K/N".
  [[nodiscard]] std::string text() const;
};

/// The most shards a launch may have.
inline constexpr int kMaxShards = 100000;

/// Parses "K/N"; UsageError naming the text and the rule otherwise.
ShardSpec parse_shard(const std::string& text);

/// The shard of a Slurm job-array task: SLURM_ARRAY_TASK_ID - SLURM_ARRAY_TASK_MIN + 1 of
/// SLURM_ARRAY_TASK_COUNT; nullopt outside a job array. UsageError when the variables are
/// inconsistent.
std::optional<ShardSpec> shard_from_slurm();

/// A run UUID shared by every task of one Slurm job array (derived from SLURM_CLUSTER_NAME,
/// SLURM_ARRAY_JOB_ID and the preset's identity), or "" outside a job array.
std::string slurm_array_run_uuid(const std::string& preset_hash);

/// Relative cost of each job: frames x pixels per frame (video) or seconds x channels x
/// sample rate / 1000 (audio), times a per-encoder factor (libx265 and the AV1 encoders cost
/// more than mpeg4). Inputs are opened once each to learn their size and length; the estimate
/// is the same on every machine for the same inputs.
std::vector<double> estimate_costs(const std::vector<BatchJob>& jobs);

/// Replaces estimates by measured median wall times (`measured`: key -> seconds, from an
/// earlier run) where a job has one; the other jobs' estimates are scaled by the median ratio
/// seconds / estimate over the jobs that have both, so all costs are in seconds.
void refine_costs(std::vector<double>& costs, const std::vector<BatchJob>& jobs,
                  const std::map<std::string, double>& measured);

/// The job list `copies` times over, each copy's keys distinct (the first copy keeps them):
/// the growing work of weak-scaling measurements over processes (run --replicas, sweep --level
/// ranks --mode weak).
std::vector<BatchJob> replicate_jobs(const std::vector<BatchJob>& jobs, int copies);

/// Median wall time of every job key finished (ok) in these runs, the latest run winning:
/// what refine_costs takes.
std::map<std::string, double> measured_wall_times(const std::vector<RunRecord>& runs);

/// The jobs of one shard, in job-list order: estimate_costs, refined by `measured` when given,
/// then assign_shards.
std::vector<BatchJob> shard_jobs(const std::vector<BatchJob>& jobs, const ShardSpec& shard,
                                 const std::map<std::string, double>& measured = {});

/// The jobs shard `shard` runs when shards balance dynamically (run --claims): its own jobs
/// (those of shard_jobs) longest first, then every other shard's jobs, taken from the end of
/// their owner's order (the jobs the owner would reach last, the shortest) round-robin over
/// the other shards starting with the next one. Each job is claimed (JobClaims) before it
/// runs, so a shard that finishes early takes what the slower ones have not started.
std::vector<BatchJob> claim_order(const std::vector<BatchJob>& jobs, const ShardSpec& shard,
                                  const std::map<std::string, double>& measured = {});

/// Claims on jobs shared by the shards of one launch through a folder they all see (on a
/// cluster, the run folder on the shared file system): a claim is a file named after the job
/// key, created exclusively (O_CREAT | O_EXCL, atomic on local file systems and NFS v3 and
/// later), holding who claimed it. The first process to claim a key runs the job; the others
/// leave it out. Claims are never released: a job whose process died is a gap that merge
/// names and `run --resume` fills, as without claims.
///
/// Claims belong to one run (its UUID, shared by the shards of a launch): each claim file
/// holds the claimant and `run UUID`, made whole before it appears (written under a temporary
/// name, then linked into place), so a folder left by another launch is refused instead of
/// silently leaving every job out.
class JobClaims {
 public:
  /// Creates `folder` (and its parents) if needed; `claimant` is written into each claim
  /// ("shard 2/8 on node17, pid 4242") with `run_uuid`. InputError naming the folder when it
  /// cannot be made, or when it holds a claim of another run.
  JobClaims(std::string folder, std::string claimant, std::string run_uuid);

  /// True when this call claimed `key` (the caller runs the job), false when another process
  /// of the same run already had. InputError naming the claim file when the folder cannot be
  /// written, or when the key's claim is another run's.
  bool claim(const std::string& key) const;

  [[nodiscard]] const std::string& folder() const { return folder_; }

 private:
  std::string folder_;
  std::string claimant_;
  std::string run_uuid_;
};

/// The shard (1..count) of every job: the longest job first to the least loaded shard
/// (LPT), ties broken by key and by shard number, so the split is deterministic.
std::vector<int> assign_shards(const std::vector<BatchJob>& jobs, const std::vector<double>& costs,
                               int count);

}  // namespace codecbench
