#pragma once
/// @file store.hpp
/// The SQLite results store: runs, jobs and per-repeat measurements, with a schema version
/// and migrations (docs/presets.md, "The results store"). Every job is committed in its own
/// transaction, so a killed run leaves a consistent store holding everything finished so far.
/// It reads and writes the one run record (run_record.hpp); the store sink (sink.hpp) is how a
/// batch writes into it.

#include <cstdint>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "codecbench/run_record.hpp"

struct sqlite3;

namespace codecbench {

/// Current schema version of the store.
inline constexpr int kStoreSchemaVersion = 5;

/// One row of the runs table, for listings.
struct RunRow {
  std::int64_t id = 0;
  std::string uuid;
  std::string started, finished;
  RunStatus status = RunStatus::kRunning;
  std::string preset_name, preset_hash;
  int jobs_total = 0, jobs_failed = 0;
};

/// An open results store. Thread-safe (one connection behind a mutex).
class ResultStore {
 public:
  /// Opens or creates the store at `path` (creating its folder) and migrates it.
  /// Throws InputError when it cannot be opened or is not a codecbench store.
  explicit ResultStore(const std::string& path);
  ~ResultStore();
  ResultStore(const ResultStore&) = delete;
  ResultStore& operator=(const ResultStore&) = delete;

  /// Stores the run's header (its jobs come one by one through record_job); sets run.id.
  void begin_run(RunRecord& run);
  /// Stores one job of a begun run, with its measurements, in one transaction.
  void record_job(std::int64_t run_id, const JobRecord& job);
  /// Stores several jobs of a run in one transaction (a merge), first deleting the run's jobs
  /// with the keys in `replace_keys`: all or nothing.
  /// Each job is given with its position in the run (JobRecord::index is replaced by it).
  void record_jobs(std::int64_t run_id, const std::vector<std::pair<const JobRecord*, int>>& jobs,
                   const std::vector<std::string>& replace_keys = {});
  /// Stores how the run ended (status, finished, wall_s, failed count).
  void finish_run(const RunRecord& run);
  /// Keys of the jobs finished successfully in earlier runs of the same resolved preset.
  std::set<std::string> completed_keys(const std::string& preset_hash);
  /// The newest job with this key that finished ok, in any run, with its result; nullopt when
  /// the store has none (what a repeated search reuses instead of encoding again).
  std::optional<JobRecord> find_job(const std::string& key);
  /// Every run, oldest first.
  std::vector<RunRow> runs();
  /// The run with this id and all its jobs, as one record (throws InputError when absent).
  RunRecord load_run(std::int64_t id);
  /// The newest run's id (throws InputError when the store has none).
  std::int64_t latest_run();
  /// Stored sweeps (their JSON documents, newest last) of a preset hash ("" = all).
  std::vector<nlohmann::json> sweeps(const std::string& preset_hash);
  /// The id of the run with this UUID; 0 when the store has none.
  std::int64_t find_run(const std::string& uuid);
  /// The status of every job of a run by key, without reading the records.
  std::map<std::string, JobStatus> job_statuses(std::int64_t run_id);
  /// Deletes a run with its jobs and measurements; false when absent.
  bool remove_run(std::int64_t id);
  /// Stores a scaling sweep (its JSON form, sweep.hpp) made by a run header's preset on its
  /// machine; returns its id.
  std::int64_t record_sweep(const RunRecord& header, const nlohmann::json& sweep);
  [[nodiscard]] int schema_version();
  [[nodiscard]] const std::string& path() const { return path_; }

 private:
  void exec(const std::string& sql);
  void take_reserve();
  bool release_reserve() noexcept;
  std::string path_;
  std::string reserve_path_;  ///< space held back for closing the run on a full disk
  bool full_ = false;         ///< a write failed for want of space
  sqlite3* db_ = nullptr;
  std::mutex mutex_;
};

}  // namespace codecbench
