#pragma once
/// @file store.hpp
/// The results store: runs, jobs and per-repeat measurements behind one interface, opened
/// from a URL (SQLite files, with a schema version and migrations: docs/presets.md, "The
/// results store"; an in-memory store). Every job is committed on its own, so a killed run
/// leaves a consistent store holding everything finished so far. It reads and writes the one
/// run record (run_record.hpp); the store sink (sink.hpp) is how a batch writes into it.

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "codecbench/core/install.hpp"  // kDefaultStoreLocation
#include "codecbench/store/run_record.hpp"

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

/// An open results store: runs, their jobs and sweeps, however they are kept. Every backend
/// behaves alike (the same test cases run against each, tests/unit/test_store.cpp): a job is
/// kept as soon as record_job returns, a run reads back as exactly the record that was written,
/// and every method may be called from several threads.
///
/// Backends (open_store picks one from a URL):
/// - SQLite, a file (`sqlite:PATH` or a plain path): schema versions and migrations, WAL, a
///   reserve for closing a run on a full disk (docs/presets.md, "The results store");
/// - memory (`memory:`): this process only, gone when closed; for tests and throw-away runs.
class ResultStore {
 public:
  virtual ~ResultStore() = default;
  ResultStore() = default;
  ResultStore(const ResultStore&) = delete;
  ResultStore& operator=(const ResultStore&) = delete;

  /// Stores the run's header (its jobs come one by one through record_job); sets run.id and,
  /// when empty, run.uuid. InputError when the store already holds a run with its UUID.
  virtual void begin_run(RunRecord& run) = 0;
  /// Stores one job of a begun run, with its measurements, at once (one transaction).
  virtual void record_job(std::int64_t run_id, const JobRecord& job) = 0;
  /// Stores several jobs of a run in one transaction (a merge), first deleting the run's jobs
  /// with the keys in `replace_keys`: all or nothing.
  /// Each job is given with its position in the run (JobRecord::index is replaced by it).
  virtual void record_jobs(std::int64_t run_id,
                           const std::vector<std::pair<const JobRecord*, int>>& jobs,
                           const std::vector<std::string>& replace_keys = {}) = 0;
  /// Stores how the run ended (status, finished, wall_s, failed count, shard; jobs_total grows
  /// to run.jobs_total, never shrinks). The shard is the one the run was begun with, except
  /// for a merge into a shard's own run: the merged run is no shard ("").
  virtual void finish_run(const RunRecord& run) = 0;
  /// Keys of the jobs finished successfully in earlier runs of the same resolved preset.
  virtual std::set<std::string> completed_keys(const std::string& preset_hash) = 0;
  /// The newest job with this key that finished ok, in any run, with its result; nullopt when
  /// the store has none (what a repeated search reuses instead of encoding again).
  virtual std::optional<JobRecord> find_job(const std::string& key) = 0;
  /// Every run, oldest first.
  virtual std::vector<RunRow> runs() = 0;
  /// The run with this id and all its jobs in job-list order, as one record (InputError naming
  /// the store when absent).
  virtual RunRecord load_run(std::int64_t id) = 0;
  /// The newest run's id (InputError naming the store when it has none).
  std::int64_t latest_run();
  /// Stored sweeps (their JSON documents, newest last) of a preset hash ("" = all).
  virtual std::vector<nlohmann::json> sweeps(const std::string& preset_hash) = 0;
  /// The id of the run with this UUID; 0 when the store has none.
  virtual std::int64_t find_run(const std::string& uuid) = 0;
  /// The status of every job of a run by key, without reading the records.
  virtual std::map<std::string, JobStatus> job_statuses(std::int64_t run_id) = 0;
  /// Deletes a run with its jobs and measurements; false when absent.
  virtual bool remove_run(std::int64_t id) = 0;
  /// Stores a scaling sweep (its JSON form, sweep.hpp) made by a run header's preset on its
  /// machine; returns its id.
  virtual std::int64_t record_sweep(const RunRecord& header, const nlohmann::json& sweep) = 0;
  /// Runs `body` as one write transaction of this store: no other writer (thread or process)
  /// changes the store between what `body` reads and what it writes, and its writes are kept
  /// together or not at all (an exception from `body` undoes them and passes on). The methods
  /// `body` calls on this store join it. Another process's write transaction is waited for (at
  /// most 600 s, then InputError naming the store). What a merge does, so concurrent merges
  /// into one store each see the others' whole result.
  virtual void write_transaction(const std::function<void()>& body) = 0;
  /// The schema version the store is at (kStoreSchemaVersion once open).
  [[nodiscard]] virtual int schema_version() = 0;
  /// Where the store is, as messages name it: a file's path as given, or `memory:`.
  [[nodiscard]] virtual const std::string& location() const = 0;
};

/// How a store is opened.
enum class StoreAccess {
  kReadWrite,  ///< created when absent, an older schema migrated in place
  kReadOnly,   ///< an input: never created, changed or migrated in place (an older schema is
               ///< migrated in a copy in memory); a missing file reads as an empty store; the
               ///< write methods throw
};

/// Opens the store a URL names; for writing (the default) creating it when absent (a file store
/// creates its folder and migrates an older schema), for reading (StoreAccess::kReadOnly) as
/// an input that is never changed:
/// - `sqlite:PATH`, `sqlite://PATH` or a plain path: the SQLite file at PATH;
/// - `memory:`: an empty store of this process's own.
/// UsageError for an empty location or an unknown scheme (`postgresql://` is not built in yet);
/// InputError when the store cannot be opened or is not a codecbench store.
std::unique_ptr<ResultStore> open_store(const std::string& url,
                                        StoreAccess access = StoreAccess::kReadWrite);

/// The file a store URL keeps its data in (an SQLite store's path); "" for a store with no
/// file (`memory:`) or a URL open_store refuses. What outputs must never overwrite.
std::string store_file(const std::string& url);

}  // namespace codecbench
