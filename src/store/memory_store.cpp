// The in-memory backend of the results store (store.hpp, `memory:`): everything a store keeps,
// held by this process and gone with it. It is the second implementation that keeps the store
// an interface (the same test cases run against it and SQLite) and a store for throw-away runs.
// Jobs are kept as their JSON documents, so what reads back is what a document would hold,
// exactly as the SQLite backend gives it.
#include <fmt/core.h>

#include <algorithm>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <utility>

#include "codecbench/core/error.hpp"
#include "codecbench/store/store.hpp"
#include "store_backends.hpp"

namespace codecbench {
namespace {

class MemoryStore final : public ResultStore {
 public:
  void begin_run(RunRecord& run) override;
  void record_job(std::int64_t run_id, const JobRecord& job) override;
  void record_jobs(std::int64_t run_id, const std::vector<std::pair<const JobRecord*, int>>& jobs,
                   const std::vector<std::string>& replace_keys) override;
  void finish_run(const RunRecord& run) override;
  std::set<std::string> completed_keys(const std::string& preset_hash) override;
  std::optional<JobRecord> find_job(const std::string& key) override;
  std::vector<RunRow> runs() override;
  RunRecord load_run(std::int64_t id) override;
  std::vector<nlohmann::json> sweeps(const std::string& preset_hash) override;
  std::int64_t find_run(const std::string& uuid) override;
  std::map<std::string, JobStatus> job_statuses(std::int64_t run_id) override;
  bool remove_run(std::int64_t id) override;
  std::int64_t record_sweep(const RunRecord& header, const nlohmann::json& sweep) override;
  void write_transaction(const std::function<void()>& body) override;
  [[nodiscard]] int schema_version() override { return kStoreSchemaVersion; }
  [[nodiscard]] const std::string& location() const override { return location_; }

 private:
  // A stored job: its run, key and status for the queries, its record as a document.
  struct Job {
    std::int64_t run_id = 0;
    std::string key;
    JobStatus status = JobStatus::kFailed;
    nlohmann::json record;
  };
  struct Run {
    RunRecord header;  // no jobs
    int jobs_failed = 0;
  };
  struct Sweep {
    std::string preset_hash;
    nlohmann::json document;
  };

  Run& run_at(std::int64_t id);
  void add_job(std::int64_t run_id, const JobRecord& job, int index);

  // Everything the store holds: copied whole at the start of a write transaction, so an
  // exception in its body puts it back.
  struct State {
    std::map<std::int64_t, Run> runs;
    std::map<std::int64_t, Job> jobs;  // by id: the order jobs were stored in
    std::map<std::int64_t, Sweep> sweeps;
    std::int64_t next_run = 1, next_job = 1, next_sweep = 1;
  };

  std::string location_ = "memory:";
  std::recursive_mutex mutex_;  // held for a whole write_transaction
  State state_;
};

MemoryStore::Run& MemoryStore::run_at(std::int64_t id) {
  const auto it = state_.runs.find(id);
  if (it == state_.runs.end()) throw InputError(fmt::format("{}: no run {}", location_, id));
  return it->second;
}

void MemoryStore::add_job(std::int64_t run_id, const JobRecord& job, int index) {
  nlohmann::json record = job;
  record["index"] = index;
  state_.jobs[state_.next_job++] = Job{run_id, job.key, job.status, std::move(record)};
}

void MemoryStore::begin_run(RunRecord& run) {
  std::lock_guard lock(mutex_);
  if (run.uuid.empty()) run.uuid = new_uuid();
  for (const auto& [id, r] : state_.runs) {
    if (r.header.uuid == run.uuid) {
      throw InputError(fmt::format(
          "{}: the store already holds run {} ({}): each shard of a launch writes its own "
          "store, and codecbench merge joins them",
          location_, id, run.uuid));
    }
  }
  run.id = state_.next_run++;
  Run& r = state_.runs[run.id];
  r.header = run.header();
  r.header.id = run.id;
}

void MemoryStore::record_job(std::int64_t run_id, const JobRecord& job) {
  std::lock_guard lock(mutex_);
  run_at(run_id);
  add_job(run_id, job, job.index);
}

void MemoryStore::record_jobs(std::int64_t run_id,
                              const std::vector<std::pair<const JobRecord*, int>>& jobs,
                              const std::vector<std::string>& replace_keys) {
  // Serialised before anything changes: a job that cannot be written leaves the run as it was.
  std::vector<nlohmann::json> records;
  records.reserve(jobs.size());
  for (const auto& [job, index] : jobs) {
    records.push_back(*job);
    records.back()["index"] = index;
  }
  std::lock_guard lock(mutex_);
  run_at(run_id);
  const std::set<std::string> replaced(replace_keys.begin(), replace_keys.end());
  std::erase_if(state_.jobs, [&](const auto& entry) {
    return entry.second.run_id == run_id && replaced.count(entry.second.key) > 0;
  });
  for (std::size_t i = 0; i < jobs.size(); ++i) {
    state_.jobs[state_.next_job++] =
        Job{run_id, jobs[i].first->key, jobs[i].first->status, std::move(records[i])};
  }
}

void MemoryStore::finish_run(const RunRecord& run) {
  std::lock_guard lock(mutex_);
  Run& r = run_at(run.id);
  r.header.finished = run.finished;
  r.header.status = run.status;
  r.header.wall_s = run.wall_s;
  r.header.jobs_total = std::max(r.header.jobs_total, run.jobs_total);
  r.header.shard = run.shard;
  r.jobs_failed = static_cast<int>(run.count(JobStatus::kFailed));
}

std::set<std::string> MemoryStore::completed_keys(const std::string& preset_hash) {
  std::lock_guard lock(mutex_);
  std::set<std::string> out;
  for (const auto& [id, j] : state_.jobs) {
    const auto run = state_.runs.find(j.run_id);
    if (j.status == JobStatus::kOk && run != state_.runs.end() &&
        run->second.header.preset_hash == preset_hash)
      out.insert(j.key);
  }
  return out;
}

std::optional<JobRecord> MemoryStore::find_job(const std::string& key) {
  std::lock_guard lock(mutex_);
  for (auto it = state_.jobs.rbegin(); it != state_.jobs.rend(); ++it) {
    if (it->second.key == key && it->second.status == JobStatus::kOk)
      return it->second.record.get<JobRecord>();
  }
  return std::nullopt;
}

std::vector<RunRow> MemoryStore::runs() {
  std::lock_guard lock(mutex_);
  std::vector<RunRow> out;
  for (const auto& [id, r] : state_.runs) {
    const RunRecord& h = r.header;
    out.push_back(RunRow{id, h.uuid, h.started, h.finished, h.status, h.preset_name, h.preset_hash,
                         h.jobs_total, r.jobs_failed});
  }
  return out;
}

RunRecord MemoryStore::load_run(std::int64_t id) {
  std::lock_guard lock(mutex_);
  RunRecord out = run_at(id).header;
  for (const auto& [job_id, j] : state_.jobs) {
    if (j.run_id == id) out.jobs.push_back(j.record.get<JobRecord>());
  }
  std::stable_sort(out.jobs.begin(), out.jobs.end(),
                   [](const JobRecord& a, const JobRecord& b) { return a.index < b.index; });
  if (out.planned_keys.empty()) {
    for (const auto& j : out.jobs) out.planned_keys.push_back(j.key);
  }
  return out;
}

std::vector<nlohmann::json> MemoryStore::sweeps(const std::string& preset_hash) {
  std::lock_guard lock(mutex_);
  std::vector<nlohmann::json> out;
  for (const auto& [id, s] : state_.sweeps) {
    if (preset_hash.empty() || s.preset_hash == preset_hash) out.push_back(s.document);
  }
  return out;
}

std::int64_t MemoryStore::find_run(const std::string& uuid) {
  std::lock_guard lock(mutex_);
  for (const auto& [id, r] : state_.runs) {
    if (r.header.uuid == uuid) return id;
  }
  return 0;
}

std::map<std::string, JobStatus> MemoryStore::job_statuses(std::int64_t run_id) {
  std::lock_guard lock(mutex_);
  std::map<std::string, JobStatus> out;
  for (const auto& [id, j] : state_.jobs) {
    if (j.run_id == run_id) out[j.key] = j.status;
  }
  return out;
}

bool MemoryStore::remove_run(std::int64_t id) {
  std::lock_guard lock(mutex_);
  if (state_.runs.erase(id) == 0) return false;
  std::erase_if(state_.jobs, [&](const auto& entry) { return entry.second.run_id == id; });
  return true;
}

std::int64_t MemoryStore::record_sweep(const RunRecord& header, const nlohmann::json& sweep) {
  std::lock_guard lock(mutex_);
  const std::int64_t id = state_.next_sweep++;
  state_.sweeps[id] = Sweep{header.preset_hash, sweep};
  return id;
}

}  // namespace

void MemoryStore::write_transaction(const std::function<void()>& body) {
  std::lock_guard lock(mutex_);
  State before = state_;
  try {
    body();
  } catch (...) {
    state_ = std::move(before);
    throw;
  }
}

std::unique_ptr<ResultStore> open_memory_store() { return std::make_unique<MemoryStore>(); }

}  // namespace codecbench
