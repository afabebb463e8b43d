// Batches over MPI ranks: rank 0 hands out jobs longest first and records results as they come.
#include "codecbench/cluster/mpi_run.hpp"

#include <fmt/core.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <map>
#include <numeric>
#include <thread>

#include "codecbench/cluster/shard.hpp"
#include "codecbench/core/error.hpp"
#include "codecbench/core/fingerprint.hpp"
#include "codecbench/core/json.hpp"
#include "codecbench_mpi.h"

#if CODECBENCH_HAVE_MPI
// The C API only: Open MPI's deprecated C++ bindings would need their own library.
#define OMPI_SKIP_MPICXX 1
#define MPICH_SKIP_MPICXX 1
#include <mpi.h>
#endif

namespace codecbench {

bool mpi_built() noexcept { return CODECBENCH_HAVE_MPI != 0; }

#if CODECBENCH_HAVE_MPI

namespace {

enum Tag : int { kReady = 1, kJob = 2, kResult = 3 };
constexpr int kStop = -1;

// Keeps what a batch hands its sink: the worker's one job.
class CollectSink final : public ResultSink {
 public:
  void begin_run(RunRecord& /*run*/) override {}
  void record_job(const RunRecord& /*run*/, const JobRecord& job) override { jobs.push_back(job); }
  void finish_run(const RunRecord& /*run*/) override {}
  std::vector<JobRecord> jobs;
};

std::string list_identity(const std::vector<BatchJob>& jobs) {
  std::string keys;
  for (const auto& j : jobs) keys += j.key + "\n";
  return stable_hash(keys);
}

void send_text(const std::string& text, int to, int tag) {
  MPI_Send(text.data(), static_cast<int>(text.size()), MPI_CHAR, to, tag, MPI_COMM_WORLD);
}

// Receives a text message of `tag` from any rank; sets `from`.
std::string receive_text(int tag, int& from) {
  MPI_Status status;
  // Poll with a short sleep rather than MPI_Probe: Open MPI's blocking calls spin, and rank 0
  // spinning for the whole run takes a core from the ranks that do the work (measured: 1.7x
  // slower with 3 ranks on 2 cores).
  for (int flag = 0;;) {
    MPI_Iprobe(MPI_ANY_SOURCE, tag, MPI_COMM_WORLD, &flag, &status);
    if (flag != 0) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  int size = 0;
  MPI_Get_count(&status, MPI_CHAR, &size);
  std::string text(static_cast<std::size_t>(size), '\0');
  MPI_Recv(text.data(), size, MPI_CHAR, status.MPI_SOURCE, tag, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
  from = status.MPI_SOURCE;
  return text;
}

void send_job(int index, int to) { MPI_Send(&index, 1, MPI_INT, to, kJob, MPI_COMM_WORLD); }

}  // namespace

MpiSession::MpiSession() {
  int provided = 0;
  MPI_Init_thread(nullptr, nullptr, MPI_THREAD_FUNNELED, &provided);
  MPI_Comm_rank(MPI_COMM_WORLD, &rank_);
  MPI_Comm_size(MPI_COMM_WORLD, &size_);
}

MpiSession::~MpiSession() { MPI_Finalize(); }

void MpiSession::abort(int code) const {
  MPI_Abort(MPI_COMM_WORLD, code);
  std::_Exit(code);  // MPI_Abort does not return; this is for the compiler
}

BatchSummary mpi_coordinate(const MpiSession& session, const std::vector<BatchJob>& jobs,
                            RunRecord header, ResultSink& sink, const BatchOptions& options) {
  const auto start = std::chrono::steady_clock::now();
  // Longest first: the estimate of run --shard.
  const std::vector<double> costs = estimate_costs(jobs);
  std::vector<int> order(jobs.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](int a, int b) {
    return costs[static_cast<std::size_t>(a)] > costs[static_cast<std::size_t>(b)];
  });
  std::map<std::string, int> plan;
  for (std::size_t k = 0; k < header.planned_keys.size(); ++k)
    plan.emplace(header.planned_keys[k], static_cast<int>(k));

  BatchSummary summary;
  header.jobs.clear();
  header.jobs_total = static_cast<int>(jobs.size());
  header.status = RunStatus::kRunning;
  sink.begin_run(header);
  RunRecord& run = summary.run;
  run = header;
  run.jobs.resize(jobs.size());
  std::vector<bool> recorded(jobs.size(), false);
  const std::string identity = list_identity(jobs);
  std::size_t next = 0, outstanding = 0, done = 0, failed = 0;
  auto stopping = [&] { return options.stop != nullptr && options.stop->load(); };
  auto hand_out = [&](int to) {
    while (next < order.size() &&
           options.skip_keys.count(jobs[static_cast<std::size_t>(order[next])].key)) {
      const auto i = static_cast<std::size_t>(order[next++]);
      JobRecord r = job_record(jobs[i], {}, header.machine);
      r.status = JobStatus::kSkipped;
      r.index = plan.count(r.key) ? plan[r.key] : static_cast<int>(i);
      sink.record_job(header, r);
      run.jobs[i] = std::move(r);
      recorded[i] = true;
    }
    if (next < order.size() && !stopping()) {
      send_job(order[next++], to);
      ++outstanding;
    } else {
      send_job(kStop, to);
    }
  };
  // Every worker says it is ready with the identity of its job list; a rank that expanded
  // another list is stopped, and the run fails loudly rather than mixing presets.
  std::string mismatch;
  for (int k = 1; k < session.size(); ++k) {
    int from = 0;
    const std::string theirs = receive_text(kReady, from);
    if (theirs != identity) {
      mismatch = fmt::format("rank {} expanded another job list ({} against rank 0's {})", from,
                             theirs, identity);
      send_job(kStop, from);
      continue;
    }
    hand_out(from);
  }
  while (outstanding > 0) {
    int from = 0;
    JobRecord r =
        run_from_json(parse_json(receive_text(kResult, from), fmt::format("rank {}", from)))
            .jobs.at(0);  // one-job run documents travel
    --outstanding;
    // The worker returns the job's position in the list it was sent (keys may repeat when two
    // variants give the same job).
    const auto i = static_cast<std::size_t>(r.index);
    if (r.index < 0 || i >= jobs.size() || jobs[i].key != r.key)
      throw Error(fmt::format("rank {} returned a job that is not in the list", from));
    r.index = plan.count(r.key) ? plan[r.key] : static_cast<int>(i);
    sink.record_job(header, r);
    ++done;
    if (r.status == JobStatus::kFailed) ++failed;
    run.jobs[i] = std::move(r);
    recorded[i] = true;
    if (options.on_event)
      options.on_event(
          {BatchEvent::Kind::kFinished, &jobs[i], &run.jobs[i], done, failed, jobs.size()});
    hand_out(from);
  }
  for (std::size_t i = 0; i < jobs.size(); ++i) {
    if (recorded[i]) continue;
    JobRecord r = job_record(jobs[i], {}, header.machine);
    r.status = JobStatus::kNotRun;
    r.index = plan.count(r.key) ? plan[r.key] : static_cast<int>(i);
    sink.record_job(header, r);
    run.jobs[i] = std::move(r);
  }
  summary.interrupted = stopping() || !mismatch.empty();
  run.status = summary.interrupted ? RunStatus::kInterrupted
               : failed > 0        ? RunStatus::kFailedJobs
                                   : RunStatus::kOk;
  run.finished = now_iso8601();
  run.wall_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  sink.finish_run(run);
  if (!mismatch.empty()) throw InputError(mismatch);
  return summary;
}

void mpi_work(const MpiSession& /*session*/, const Preset& settings,
              const std::vector<BatchJob>& jobs) {
  send_text(list_identity(jobs), 0, kReady);
  for (;;) {
    int index = kStop;
    MPI_Recv(&index, 1, MPI_INT, 0, kJob, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
    if (index == kStop || index < 0 || static_cast<std::size_t>(index) >= jobs.size()) return;
    // One job through the same executor as any batch: warmup, repeats, failures recorded.
    CollectSink collect;
    RunRecord header;
    (void)run_batch(settings, {jobs[static_cast<std::size_t>(index)]}, header, collect, {});
    RunRecord one;
    one.jobs = std::move(collect.jobs);
    for (auto& j : one.jobs) j.index = index;  // its position in the list, for rank 0
    send_text(dump_json(nlohmann::json(one)), 0, kResult);
  }
}

#else  // built without MPI

namespace {
[[noreturn]] void no_mpi() {
  throw UsageError(
      "--mpi: this codecbench was built without MPI (install libopenmpi-dev and "
      "reconfigure: meson setup --reconfigure build -Dmpi=enabled)");
}
}  // namespace

MpiSession::MpiSession() { no_mpi(); }
MpiSession::~MpiSession() = default;
void MpiSession::abort(int code) const { std::_Exit(code); }
BatchSummary mpi_coordinate(const MpiSession&, const std::vector<BatchJob>&, RunRecord, ResultSink&,
                            const BatchOptions&) {
  no_mpi();
}
void mpi_work(const MpiSession&, const Preset&, const std::vector<BatchJob>&) { no_mpi(); }

#endif

}  // namespace codecbench
