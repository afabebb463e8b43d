#pragma once
/// @file executor.hpp
/// The one job executor: jobs run on a TBB arena of `concurrency` workers, each job in an
/// arena of its own codec thread budget, so that jobs x threads is the thread count and
/// concurrent jobs do not steal each other's tasks. Batches (batch.hpp) and scaling sweeps
/// (sweep.hpp) both run their jobs through it; what happens around a job (repeats, sinks,
/// stopping) is theirs.

#include <cstddef>
#include <functional>

#include "codecbench/transcode.hpp"

namespace codecbench {

/// Calls task(i) for every i in [0, count), `concurrency` at a time (at least 1), starting
/// them in index order. Returns when all have returned; a task must not throw.
void for_each_job(std::size_t count, int concurrency, const std::function<void(std::size_t)>& task);

/// The hardware threads (at least 1).
int hardware_threads() noexcept;

/// The number of threads a codec thread setting uses (0 = FFmpeg's auto = hardware threads).
int effective_threads(int threads) noexcept;

/// Runs one job in an arena of its codec thread budget (`spec.threads`; 0 = all hardware
/// threads). Throws what run_job throws.
JobResult run_job_in_arena(const JobSpec& spec);

}  // namespace codecbench
