#pragma once
/// @file store.hpp
/// The SQLite results store: runs, jobs and per-repeat measurements, with a schema version
/// and migrations. Every job is committed in its own transaction, so a killed run leaves a
/// consistent store holding everything finished so far.

#include <cstdint>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <vector>

struct sqlite3;

namespace codecbench {

struct BatchJobResult;

/// Current schema version of the store (docs/store.md).
inline constexpr int kStoreSchemaVersion = 2;

/// The machine and software a run was made on.
struct RunInfo {
  std::string started;  ///< ISO 8601 local time
  std::string preset_name;
  std::string preset_path;
  std::string preset_yaml;  ///< the fully resolved preset (all variants)
  std::string preset_hash;  ///< stable hash of preset_yaml
  std::string host;
  std::string cpu_model;
  int physical_cores = 0;
  int logical_cores = 0;
  std::string tool_version;
  std::string git_revision;
  std::string ffmpeg_version;
  int jobs_total = 0;

  /// Fills host, CPU and versions from this machine; `started` from the clock.
  static RunInfo this_machine();
};

/// One row of the runs table, for listings.
struct RunRow {
  std::int64_t id = 0;
  std::string started, finished, status, preset_name, preset_hash;
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

  std::int64_t begin_run(const RunInfo& info);
  void record_job(std::int64_t run_id, const BatchJobResult& result);
  void finish_run(std::int64_t run_id, const std::string& status, int jobs_failed);
  /// Keys of the jobs finished successfully in earlier runs of the same resolved preset.
  std::set<std::string> completed_keys(const std::string& preset_hash);
  std::vector<RunRow> runs();
  /// One job row as stored.
  struct JobRow {
    std::int64_t id = 0;
    std::string key, input, encoder_label, encoder, options, variant, status, error;
    int threads = 0, repeats = 0;
    double wall_median = 0, wall_stddev = 0;
    std::string result_json;           ///< the median repeat's result ("" for failed jobs)
    std::vector<double> repeat_walls;  ///< wall_s of every repeat
  };
  /// The run with this id (throws InputError when absent) and its jobs.
  RunRow run(std::int64_t id);
  std::vector<JobRow> jobs(std::int64_t run_id);
  /// The newest run's id (throws InputError when the store has none).
  std::int64_t latest_run();
  /// The full run record (machine, versions, resolved preset).
  RunInfo run_info(std::int64_t id);
  /// Stored sweeps (their JSON documents, newest last) of a preset hash ("" = all).
  std::vector<nlohmann::json> sweeps(const std::string& preset_hash);
  /// Deletes a run with its jobs and measurements; false when absent.
  bool remove_run(std::int64_t id);
  /// Stores a scaling sweep (its JSON form, sweep.hpp) and its points; returns its id.
  std::int64_t record_sweep(const RunInfo& info, const nlohmann::json& sweep);
  [[nodiscard]] int schema_version();
  [[nodiscard]] const std::string& path() const { return path_; }

 private:
  void exec(const std::string& sql);
  std::string path_;
  sqlite3* db_ = nullptr;
  std::mutex mutex_;
};

}  // namespace codecbench
