#pragma once
/// @file executor.hpp
/// The one job executor: jobs run on a TBB arena of `concurrency` workers, each job in an
/// arena of its own codec thread budget, so that jobs x threads is the thread count and
/// concurrent jobs do not steal each other's tasks. Batches (batch.hpp) and scaling sweeps
/// (sweep.hpp) both run their jobs through it; what happens around a job (repeats, sinks,
/// stopping) is theirs.

#include <cstddef>
#include <functional>

#include "codecbench/media/transcode.hpp"

namespace codecbench {

/// Calls task(i) for every i in [0, count), `concurrency` at a time (at least 1), starting
/// them in index order. Returns when all have returned; a task must not throw.
void for_each_job(std::size_t count, int concurrency, const std::function<void(std::size_t)>& task);

/// The CPUs this process may use (at least 1): its affinity mask's count, capped inside a
/// Slurm job (SLURM_JOB_ID set) by SLURM_CPUS_PER_TASK, since Slurm's task/none plugin leaves
/// the mask whole while the allocation is smaller.
int hardware_threads() noexcept;

/// allotted_cpus's rule on given values: `mask_cpus` (the affinity mask's count; 0 when
/// unknown: `fallback`), capped by `cpus_per_task` when `slurm_job_id` is set and non-empty
/// and `cpus_per_task` is a positive integer. Null pointers stand for unset variables.
int allotted_cpus(int mask_cpus, int fallback, const char* slurm_job_id,
                  const char* cpus_per_task) noexcept;

/// Makes FFmpeg's automatic thread counts (codec threads 0) follow hardware_threads() when
/// Slurm allotted fewer CPUs than the mask holds (av_cpu_force_count). libx264 and other
/// external libraries count CPUs themselves and are not affected.
void follow_cpu_allotment() noexcept;

/// The number of threads a codec thread setting uses (0 = FFmpeg's auto = hardware threads).
int effective_threads(int threads) noexcept;

/// Runs one job in an arena of its codec thread budget (`spec.threads`; 0 = all hardware
/// threads). Throws what run_job throws.
JobResult run_job_in_arena(const JobSpec& spec);

}  // namespace codecbench
