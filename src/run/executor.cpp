// The job executor shared by batches and sweeps.
#include "codecbench/executor.hpp"

#include <tbb/parallel_for.h>
#include <tbb/task_arena.h>

#include <algorithm>
#include <thread>

namespace codecbench {

int hardware_threads() noexcept {
  return static_cast<int>(std::max(1U, std::thread::hardware_concurrency()));
}

int effective_threads(int threads) noexcept {
  return threads == 0 ? hardware_threads() : std::max(1, threads);
}

void for_each_job(std::size_t count, int concurrency,
                  const std::function<void(std::size_t)>& task) {
  // simple_partitioner with grain 1: one job per task, so a free worker takes the next job.
  tbb::task_arena arena(std::max(1, concurrency));
  arena.execute([&] {
    tbb::parallel_for(
        tbb::blocked_range<std::size_t>(0, count, 1),
        [&](const tbb::blocked_range<std::size_t>& range) {
          for (std::size_t i = range.begin(); i < range.end(); ++i) task(i);
        },
        tbb::simple_partitioner());
  });
}

JobResult run_job_in_arena(const JobSpec& spec) {
  // A job's own stages and metric kernels run in an arena of its codec thread budget
  // (threads=1: one thread, so jobs x threads really is the batch's thread count).
  tbb::task_arena job_arena(effective_threads(spec.threads));
  return job_arena.execute([&] { return run_job(spec); });
}

}  // namespace codecbench
