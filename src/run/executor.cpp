// The job executor shared by batches and sweeps.
#include "codecbench/run/executor.hpp"

#include <sched.h>
#include <tbb/task_arena.h>
#include <tbb/task_group.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstdlib>
#include <thread>

extern "C" {
#include <libavutil/cpu.h>
}

namespace codecbench {

namespace {

int mask_cpus() noexcept {
  cpu_set_t set;
  CPU_ZERO(&set);
  if (sched_getaffinity(0, sizeof set, &set) != 0) return 0;
  return CPU_COUNT(&set);
}

int online_cpus() noexcept {
  return static_cast<int>(std::max(1U, std::thread::hardware_concurrency()));
}

}  // namespace

int allotted_cpus(int mask, int fallback, const char* slurm_job_id,
                  const char* cpus_per_task) noexcept {
  int cpus = mask > 0 ? mask : std::max(1, fallback);
  if (slurm_job_id != nullptr && *slurm_job_id != '\0' && cpus_per_task != nullptr) {
    char* end = nullptr;
    errno = 0;
    const long c = std::strtol(cpus_per_task, &end, 10);
    if (errno == 0 && end != cpus_per_task && *end == '\0' && c > 0 && c < cpus) {
      cpus = static_cast<int>(c);
    }
  }
  return cpus;
}

int hardware_threads() noexcept {
  return allotted_cpus(mask_cpus(), online_cpus(), std::getenv("SLURM_JOB_ID"),
                       std::getenv("SLURM_CPUS_PER_TASK"));
}

void follow_cpu_allotment() noexcept {
  const int mask = mask_cpus();
  const int cpus = allotted_cpus(mask, online_cpus(), std::getenv("SLURM_JOB_ID"),
                                 std::getenv("SLURM_CPUS_PER_TASK"));
  if (cpus < (mask > 0 ? mask : online_cpus())) av_cpu_force_count(cpus);
}

int effective_threads(int threads) noexcept {
  return threads == 0 ? hardware_threads() : std::max(1, threads);
}

void for_each_job(std::size_t count, int concurrency,
                  const std::function<void(std::size_t)>& task) {
  // `concurrency` workers take the next index from one counter: jobs start in index order
  // (a parallel_for would hand the second worker the middle of the range) and a free worker
  // takes the next job.
  const auto workers = std::min<std::size_t>(static_cast<std::size_t>(std::max(1, concurrency)),
                                             std::max<std::size_t>(count, 1));
  std::atomic<std::size_t> next{0};
  tbb::task_arena arena(static_cast<int>(workers));
  arena.execute([&] {
    tbb::task_group group;
    for (std::size_t w = 0; w < workers; ++w) {
      group.run([&] {
        for (std::size_t i = next.fetch_add(1); i < count; i = next.fetch_add(1)) task(i);
      });
    }
    group.wait();
  });
}

JobResult run_job_in_arena(const JobSpec& spec) {
  // A job's own stages and metric kernels run in an arena of its codec thread budget
  // (threads=1: one thread, so jobs x threads really is the batch's thread count).
  tbb::task_arena job_arena(effective_threads(spec.threads));
  return job_arena.execute([&] { return run_job(spec); });
}

}  // namespace codecbench
