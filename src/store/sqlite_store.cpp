// The SQLite backend of the results store (store.hpp): one file, versioned and migrated, in WAL
// mode, with a reserve of disk space for closing a run when the disk fills.
#include <fcntl.h>
#include <fmt/core.h>
#include <sqlite3.h>
#include <sys/stat.h>
#include <tbb/blocked_range.h>
#include <tbb/parallel_for.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <thread>
#include <utility>

#include "codecbench/config/preset.hpp"
#include "codecbench/core/error.hpp"
#include "codecbench/core/json.hpp"
#include "codecbench/core/limits.hpp"
#include "codecbench/core/process.hpp"
#include "codecbench/core/version.hpp"
#include "codecbench/store/store.hpp"
#include "store_backends.hpp"

namespace codecbench {
namespace {

// Migrations: entry i brings a store from version i to i + 1.
const std::vector<std::string> kMigrations = {
    R"sql(
CREATE TABLE runs (
  id INTEGER PRIMARY KEY,
  started TEXT NOT NULL, finished TEXT, status TEXT NOT NULL,
  preset_name TEXT, preset_path TEXT, preset_yaml TEXT, preset_hash TEXT,
  host TEXT, cpu_model TEXT, physical_cores INTEGER, logical_cores INTEGER,
  tool_version TEXT, git_revision TEXT, ffmpeg_version TEXT,
  jobs_total INTEGER, jobs_failed INTEGER);
CREATE TABLE jobs (
  id INTEGER PRIMARY KEY,
  run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
  job_key TEXT NOT NULL, input TEXT, encoder_label TEXT, encoder TEXT, options TEXT,
  variant TEXT, threads INTEGER, status TEXT NOT NULL, error TEXT, repeats INTEGER,
  wall_median REAL, wall_min REAL, wall_max REAL, wall_stddev REAL, encode_median REAL,
  noisy INTEGER, result_json TEXT, finished TEXT);
CREATE INDEX jobs_by_key ON jobs(job_key);
CREATE INDEX jobs_by_run ON jobs(run_id);
CREATE TABLE measurements (
  job_id INTEGER NOT NULL REFERENCES jobs(id) ON DELETE CASCADE,
  repeat INTEGER NOT NULL, wall_s REAL, encode_s REAL, decode_s REAL, metric_s REAL,
  cpu_s REAL, peak_rss_kib INTEGER, result_json TEXT);
)sql",
    R"sql(
CREATE TABLE sweeps (
  id INTEGER PRIMARY KEY,
  started TEXT NOT NULL, preset_name TEXT, preset_path TEXT, preset_yaml TEXT, preset_hash TEXT,
  level TEXT, mode TEXT, host TEXT, cpu_model TEXT, physical_cores INTEGER,
  logical_cores INTEGER, tool_version TEXT, git_revision TEXT, ffmpeg_version TEXT,
  fit_law TEXT, fit_value REAL, fit_low REAL, fit_high REAL, result_json TEXT);
CREATE TABLE sweep_points (
  sweep_id INTEGER NOT NULL REFERENCES sweeps(id) ON DELETE CASCADE,
  n INTEGER, threads INTEGER, jobs INTEGER, median_s REAL, cv REAL, speedup REAL,
  efficiency REAL, karp_flatt REAL, throughput REAL, oversubscribed INTEGER, times_json TEXT);
)sql",
    // 3: the one run record. Runs get a UUID (identity across machines and stores) and their
    // wall time; jobs get the machine they ran on (one run may span nodes) and their record as
    // JSON, so a stored job reads back as exactly the record that was written. Rows of older
    // versions take their run's machine and a fresh UUID.
    R"sql(
ALTER TABLE runs ADD COLUMN uuid TEXT;
ALTER TABLE runs ADD COLUMN wall_s REAL;
ALTER TABLE runs ADD COLUMN shard TEXT;
ALTER TABLE runs ADD COLUMN planned_keys TEXT;
ALTER TABLE jobs ADD COLUMN host TEXT;
ALTER TABLE jobs ADD COLUMN cpu_model TEXT;
ALTER TABLE jobs ADD COLUMN physical_cores INTEGER;
ALTER TABLE jobs ADD COLUMN logical_cores INTEGER;
ALTER TABLE jobs ADD COLUMN tool_version TEXT;
ALTER TABLE jobs ADD COLUMN git_revision TEXT;
ALTER TABLE jobs ADD COLUMN ffmpeg_version TEXT;
ALTER TABLE jobs ADD COLUMN record_json TEXT;
UPDATE runs SET uuid = lower(hex(randomblob(4))) || '-' || lower(hex(randomblob(2))) || '-4' ||
  substr(lower(hex(randomblob(2))), 2) || '-' || substr('89ab', 1 + abs(random()) % 4, 1) ||
  substr(lower(hex(randomblob(2))), 2) || '-' || lower(hex(randomblob(6)));
UPDATE jobs SET (host, cpu_model, physical_cores, logical_cores, tool_version, git_revision,
  ffmpeg_version) = (SELECT host, cpu_model, physical_cores, logical_cores, tool_version,
  git_revision, ffmpeg_version FROM runs WHERE runs.id = jobs.run_id);
CREATE UNIQUE INDEX runs_by_uuid ON runs(uuid);
)sql",
    // 4: the process that writes a run (host, boot, pid, start time) while it runs, so a run
    // whose process was killed is shown as stale instead of running for ever.
    R"sql(
ALTER TABLE runs ADD COLUMN owner TEXT;
)sql",
    // 5: the conditions the run was launched under (governor, boost, SMT, load, memory,
    // VM/container: machine.hpp) as JSON; jobs carry them in their record_json.
    R"sql(
ALTER TABLE runs ADD COLUMN conditions_json TEXT;
)sql",
};

constexpr off_t kReserveBytes = 64 * 1024;

std::string reserve_name(const std::string& store) {
  return fmt::format("{}-reserve.{}", store, ::getpid());
}

// A failed SQLite call as an exception: the machine's fault (full disk, I/O error, read-only
// file) is an input error naming the store's file (exit 3); anything else is internal.
[[noreturn]] void fail(sqlite3* db, int rc, const std::string& message) {
  const int primary = rc & 0xff;
  if (primary == SQLITE_TOOBIG) {
    const char* file = sqlite3_db_filename(db, "main");
    throw InputError(fmt::format(
        "{}: results store: a value larger than {} MiB (the most one field of a store may hold)",
        file != nullptr && *file != '\0' ? file : "?", limits::kStoreValueBytes >> 20));
  }
  if (primary == SQLITE_FULL || primary == SQLITE_IOERR || primary == SQLITE_READONLY ||
      primary == SQLITE_CANTOPEN || primary == SQLITE_BUSY || primary == SQLITE_LOCKED) {
    const char* file = sqlite3_db_filename(db, "main");
    // Give back this process's reserve (see SqliteStore::take_reserve) so that the run can
    // still be closed as failed.
    if (primary == SQLITE_FULL && file != nullptr) ::unlink(reserve_name(file).c_str());
    throw InputError(fmt::format("{}: results store: {}", file != nullptr ? file : "?",
                                 primary == SQLITE_FULL ? "the disk is full" : message));
  }
  throw Error(fmt::format("results store: {}", message));
}

// Undoes an open transaction, if one is still open: SQLite has already rolled back after some
// errors (a full disk), and a second ROLLBACK would replace the real cause with "cannot
// rollback - no transaction is active".
void rollback(sqlite3* db) noexcept {
  if (sqlite3_get_autocommit(db) == 0) sqlite3_exec(db, "ROLLBACK", nullptr, nullptr, nullptr);
}

class Statement {
 public:
  Statement(sqlite3* db, const char* sql) : db_(db) {
    if (sqlite3_prepare_v2(db, sql, -1, &stmt_, nullptr) != SQLITE_OK) {
      throw Error(fmt::format("results store: {}", sqlite3_errmsg(db)));
    }
  }
  ~Statement() { sqlite3_finalize(stmt_); }
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;
  Statement& bind(int i, const std::string& v) {
    sqlite3_bind_text(stmt_, i, v.c_str(), static_cast<int>(v.size()), SQLITE_TRANSIENT);
    return *this;
  }
  Statement& bind(int i, double v) {
    sqlite3_bind_double(stmt_, i, v);
    return *this;
  }
  Statement& bind(int i, std::int64_t v) {
    sqlite3_bind_int64(stmt_, i, v);
    return *this;
  }
  Statement& bind(int i, int v) { return bind(i, static_cast<std::int64_t>(v)); }
  /// Makes a stepped statement ready to bind and run again.
  void reset() {
    sqlite3_reset(stmt_);
    sqlite3_clear_bindings(stmt_);
  }
  bool step() {
    const int rc = sqlite3_step(stmt_);
    if (rc == SQLITE_ROW) return true;
    if (rc == SQLITE_DONE) return false;
    fail(db_, rc, sqlite3_errmsg(db_));
  }
  std::string text(int col) {
    const auto* p = sqlite3_column_text(stmt_, col);
    return p != nullptr ? reinterpret_cast<const char*>(p) : "";
  }
  std::int64_t integer(int col) { return sqlite3_column_int64(stmt_, col); }
  double real(int col) { return sqlite3_column_double(stmt_, col); }

 private:
  sqlite3* db_;
  sqlite3_stmt* stmt_ = nullptr;
};

// Longest a write transaction waits for another process's to end.
constexpr std::chrono::seconds kWriteWait{600};

// One SQLite file; one connection behind a mutex.
class SqliteStore final : public ResultStore {
 public:
  SqliteStore(const std::string& path, StoreAccess access);
  ~SqliteStore() override;
  SqliteStore(const SqliteStore&) = delete;
  SqliteStore& operator=(const SqliteStore&) = delete;

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
  [[nodiscard]] int schema_version() override;
  [[nodiscard]] const std::string& location() const override { return path_; }

 private:
  void exec(const std::string& sql);
  void open_db(const std::string& name, int flags);
  void open_for_writing();
  void open_for_reading();
  void migrate();
  void require_writable() const;
  void take_reserve();
  bool release_reserve() noexcept;
  std::string path_;
  bool read_only_ = false;
  std::string reserve_path_;  // space held back for closing the run on a full disk
  bool full_ = false;         // a write failed for want of space
  sqlite3* db_ = nullptr;
  // Held for a whole write_transaction, whose body calls the other methods on this thread.
  std::recursive_mutex mutex_;
  int depth_ = 0;  // write transactions open: 0, or 1 + savepoints inside the outer one
  // A write transaction: BEGIN IMMEDIATE, or a savepoint inside one already open; its end.
  void begin_write();
  void commit_write();
  void rollback_write() noexcept;
};

// A database object as sqlite_master has it, with a table's column names.
struct Shape {
  std::string type;
  std::set<std::string> columns;
};

std::map<std::string, Shape> shapes_of(sqlite3* db) {
  std::map<std::string, Shape> out;
  {
    Statement s(db, "SELECT name, type FROM sqlite_master");
    while (s.step()) out[s.text(0)].type = s.text(1);
  }
  for (auto& [name, shape] : out) {
    if (shape.type != "table") continue;
    Statement c(db, "SELECT name FROM pragma_table_info(?)");
    c.bind(1, name);
    while (c.step()) shape.columns.insert(c.text(0));
  }
  return out;
}

// What the migrations make: every table with its columns, every index.
const std::map<std::string, Shape>& expected_shapes() {
  static const std::map<std::string, Shape> kShapes = [] {
    sqlite3* db = nullptr;
    sqlite3_open(":memory:", &db);
    std::string sql = "CREATE TABLE schema_version (version INTEGER NOT NULL);";
    for (const auto& m : kMigrations) sql += m;
    sqlite3_exec(db, sql.c_str(), nullptr, nullptr, nullptr);
    auto shapes = shapes_of(db);
    sqlite3_close(db);
    return shapes;
  }();
  return kShapes;
}

// A store is trusted only when its objects are the ones codecbench made: a view or a trigger
// in a store (a `jobs` replaced by a recursive view made merge and runs run for ever while
// SQLite's temporary files filled the disk), an unknown object or a table that lacks a column
// codecbench reads is refused, naming it. SQLite's own objects (sqlite_*) are left alone.
void check_objects(sqlite3* db) {
  const auto& want = expected_shapes();
  for (const auto& [name, shape] : shapes_of(db)) {
    if (name.rfind("sqlite_", 0) == 0) continue;
    const auto it = want.find(name);
    if (it == want.end()) {
      throw InputError(fmt::format("it holds the {} '{}', which codecbench did not make",
                                   shape.type, name.substr(0, 200)));
    }
    if (shape.type != it->second.type) {
      throw InputError(fmt::format("'{}' is a {}, not the {} codecbench made", name, shape.type,
                                   it->second.type));
    }
    for (const auto& column : it->second.columns) {
      if (shape.columns.count(column) == 0)
        throw InputError(fmt::format("table '{}' lacks the column '{}'", name, column));
    }
  }
  for (const auto& [name, shape] : want) {
    if (shape.type == "table") {
      Statement s(db, "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?");
      s.bind(1, name);
      if (!s.step()) throw InputError(fmt::format("the table '{}' is missing", name));
    }
  }
}

}  // namespace

SqliteStore::SqliteStore(const std::string& path, StoreAccess access)
    : path_(path), read_only_(access == StoreAccess::kReadOnly) {
  if (read_only_) {
    open_for_reading();
  } else {
    open_for_writing();
  }
}

namespace {

// An SQLite URI naming `path` (percent-encoded), for opening with query parameters.
std::string file_uri(const std::string& path) {
  const std::string abs = std::filesystem::absolute(path).string();
  std::string uri = "file:";
  for (const char c : abs) {
    const auto u = static_cast<unsigned char>(c);
    const bool plain = (u >= 'a' && u <= 'z') || (u >= 'A' && u <= 'Z') || (u >= '0' && u <= '9') ||
                       c == '/' || c == '.' || c == '-' || c == '_';
    uri += plain ? std::string(1, c) : fmt::format("%{:02X}", u);
  }
  return uri;
}

}  // namespace

void SqliteStore::open_db(const std::string& name, int flags) {
  // A relative file name that starts with "file:" is a path here, never a URI.
  const bool uri_like = (flags & SQLITE_OPEN_URI) == 0 && name.rfind("file:", 0) == 0;
  const std::string file = uri_like ? "./" + name : name;
  if (sqlite3_open_v2(file.c_str(), &db_, flags | SQLITE_OPEN_FULLMUTEX, nullptr) != SQLITE_OK) {
    const std::string msg = db_ != nullptr ? sqlite3_errmsg(db_) : "out of memory";
    sqlite3_close(db_);
    db_ = nullptr;
    throw InputError(fmt::format("{}: cannot open the results store ({})", path_, msg));
  }
  sqlite3_busy_timeout(db_, 5000);
  // A tampered row's 900 MB value would be read whole before any check of ours: SQLite refuses
  // to read or write a value past this (SQLITE_TOOBIG), named as such by fail().
  sqlite3_limit(db_, SQLITE_LIMIT_LENGTH, static_cast<int>(limits::kStoreValueBytes));
}

void SqliteStore::open_for_writing() {
  std::error_code ec;
  const auto dir = std::filesystem::path(path_).parent_path();
  if (!dir.empty()) std::filesystem::create_directories(dir, ec);
  open_db(path_, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE);
  try {
    // WAL with synchronous=NORMAL: a commit is not an fsync, yet a killed process loses no
    // committed job (the OS has the WAL); only a power cut could lose the last few. Switching
    // a new file to WAL while another process creates the same store can fail at once with
    // "database is locked" (SQLite does not always call the busy handler there): retried for
    // up to 5 s, like every other lock wait.
    auto retried = [&](const char* sql) {
      for (int attempt = 0;; ++attempt) {
        try {
          exec(sql);
          return;
        } catch (const Error& e) {
          const bool locked = std::string(e.what()).find("locked") != std::string::npos;
          if (!locked || attempt >= 100) throw;
          std::this_thread::sleep_for(std::chrono::milliseconds(50));
        }
      }
    };
    retried("PRAGMA foreign_keys = ON; PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL;");
    // The version is read and the migrations run inside one write transaction: two processes
    // creating one new store at the same moment would otherwise both read "no version" and
    // the second would fail on the first's tables. BEGIN IMMEDIATE waits (busy_timeout) for
    // the other's migration to commit, then sees its version.
    retried("BEGIN IMMEDIATE");
    try {
      migrate();
      exec("COMMIT");
    } catch (...) {
      rollback(db_);
      throw;
    }
  } catch (const Error& e) {
    sqlite3_close(db_);
    db_ = nullptr;
    throw InputError(fmt::format("{}: not a usable results store ({})", path_, e.what()));
  }
}

// An input store (merge, runs, report, compare) is only read: opened read-only, never switched
// to WAL or migrated in place (an older schema is migrated in a copy in memory), so a store on
// a read-only filesystem or of another user can be read, and reading never changes a file. A
// missing file reads as an empty store and is not created.
void SqliteStore::open_for_reading() {
  struct stat st {};
  if (::stat(path_.c_str(), &st) != 0) {
    open_db(":memory:", SQLITE_OPEN_READWRITE);
    exec("BEGIN");
    migrate();
    exec("COMMIT");
    return;
  }
  try {
    open_db(path_, SQLITE_OPEN_READONLY);
    int version = 0;
    try {
      version = schema_version();
    } catch (const Error&) {
      // A WAL store in a folder this process cannot write (its -shm cannot be made): read as
      // an immutable file, which needs no lock file.
      sqlite3_close(db_);
      db_ = nullptr;
      open_db(file_uri(path_) + "?immutable=1", SQLITE_OPEN_READONLY | SQLITE_OPEN_URI);
      version = schema_version();
    }
    if (version < kStoreSchemaVersion) {
      // An older store: copied into memory and migrated there, the file left as it is.
      sqlite3* copy = nullptr;
      sqlite3_open_v2(":memory:", &copy, SQLITE_OPEN_READWRITE | SQLITE_OPEN_FULLMUTEX, nullptr);
      sqlite3_backup* b =
          copy != nullptr ? sqlite3_backup_init(copy, "main", db_, "main") : nullptr;
      const int rc = b != nullptr ? sqlite3_backup_step(b, -1) : SQLITE_NOMEM;
      sqlite3_backup_finish(b);
      sqlite3_close(db_);
      db_ = copy;
      if (rc != SQLITE_DONE) fail(db_, rc, "copying an older store into memory to migrate it");
      exec("BEGIN");
      migrate();
      exec("COMMIT");
    } else {
      migrate();  // checks only: the version is current, nothing to write
    }
  } catch (const Error& e) {
    sqlite3_close(db_);
    db_ = nullptr;
    throw InputError(fmt::format("{}: not a usable results store ({})", path_, e.what()));
  }
}

// Refuses another program's database and a newer schema, migrates an older one (inside the
// caller's transaction) and checks the objects against what the migrations make.
void SqliteStore::migrate() {
  // Another program's database (a preset set output.store to somebody's places.sqlite) is
  // refused, not given our tables.
  {
    Statement t(db_,
                "SELECT group_concat(name, ', ') FROM sqlite_master WHERE type = 'table' AND "
                "name NOT IN (SELECT name FROM sqlite_master WHERE name = 'schema_version') "
                "AND NOT EXISTS (SELECT 1 FROM sqlite_master WHERE name = 'schema_version')");
    if (t.step() && !t.text(0).empty()) {
      throw InputError(
          fmt::format("an SQLite database of another program (tables {}); "
                      "codecbench will not add its tables to it",
                      t.text(0)));
    }
  }
  int version = schema_version();
  if (version > kStoreSchemaVersion) {
    throw InputError(fmt::format("{}: store schema version {} is newer than this codecbench ({})",
                                 path_, version, kStoreSchemaVersion));
  }
  if (version < kStoreSchemaVersion) {
    exec("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)");
    for (; version < kStoreSchemaVersion; ++version) {
      exec(kMigrations[static_cast<std::size_t>(version)]);
      exec("DELETE FROM schema_version");
      exec(fmt::format("INSERT INTO schema_version VALUES ({})", version + 1));
    }
  }
  check_objects(db_);
}

void SqliteStore::require_writable() const {
  if (read_only_) throw Error(fmt::format("{}: the store was opened read-only", path_));
}

SqliteStore::~SqliteStore() {
  release_reserve();
  sqlite3_close(db_);
}

// A writer keeps a small file of reserved space beside the store. When the disk fills, the
// reserve is given back first, so the run can still be marked as failed and its finished jobs
// stay readable instead of the run being left "running".
void SqliteStore::take_reserve() {
  if (!reserve_path_.empty()) return;
  // Reserves of writers that were killed are removed first.
  std::error_code ec;
  const std::filesystem::path store(path_);
  const std::string prefix = store.filename().string() + "-reserve.";
  const auto dir = store.has_parent_path() ? store.parent_path() : std::filesystem::path(".");
  for (const auto& e : std::filesystem::directory_iterator(dir, ec)) {
    const std::string name = e.path().filename().string();
    if (name.rfind(prefix, 0) != 0) continue;
    const std::string pid = name.substr(prefix.size());
    if (pid.empty() || pid.find_first_not_of("0123456789") != std::string::npos) continue;
    if (::kill(static_cast<pid_t>(std::stol(pid)), 0) != 0 && errno == ESRCH)
      std::filesystem::remove(e.path(), ec);
  }
  const std::string p = reserve_name(path_);
  const int fd = ::open(p.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return;
  const bool ok = ::posix_fallocate(fd, 0, kReserveBytes) == 0;
  ::close(fd);
  if (ok) {
    reserve_path_ = p;
  } else {
    ::unlink(p.c_str());
  }
}

bool SqliteStore::release_reserve() noexcept {
  if (reserve_path_.empty()) return false;
  ::unlink(reserve_path_.c_str());
  reserve_path_.clear();
  return true;
}

void SqliteStore::exec(const std::string& sql) {
  char* err = nullptr;
  if (const int rc = sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &err); rc != SQLITE_OK) {
    const std::string msg = err != nullptr ? err : sqlite3_errstr(rc);
    sqlite3_free(err);
    fail(db_, rc, msg);
  }
}

void SqliteStore::begin_write() {
  if (depth_ == 0) {
    exec("BEGIN IMMEDIATE");
  } else {
    exec(fmt::format("SAVEPOINT w{}", depth_));
  }
  ++depth_;
}

void SqliteStore::commit_write() {
  --depth_;
  try {
    exec(depth_ == 0 ? std::string("COMMIT") : fmt::format("RELEASE w{}", depth_));
  } catch (...) {
    ++depth_;  // still open: the caller's rollback_write ends it
    throw;
  }
}

void SqliteStore::rollback_write() noexcept {
  if (depth_ == 0) return;
  --depth_;
  if (depth_ == 0) {
    rollback(db_);
  } else {
    const std::string sql = fmt::format("ROLLBACK TO w{0}; RELEASE w{0}", depth_);
    sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, nullptr);
  }
}

void SqliteStore::write_transaction(const std::function<void()>& body) {
  require_writable();
  std::lock_guard lock(mutex_);
  if (depth_ == 0) {
    // Another process's write transaction (a concurrent merge into this store) may hold the
    // store for a while: waited for, in 5 s steps of SQLite's busy handler, up to the limit.
    const auto start = std::chrono::steady_clock::now();
    for (;;) {
      try {
        begin_write();
        break;
      } catch (const Error& e) {
        const bool locked = std::string(e.what()).find("locked") != std::string::npos;
        if (!locked || std::chrono::steady_clock::now() - start > kWriteWait) {
          if (locked) {
            throw InputError(fmt::format(
                "{}: another process held the store for writing for more than {} s", path_,
                std::chrono::duration_cast<std::chrono::seconds>(kWriteWait).count()));
          }
          throw;
        }
      }
    }
  } else {
    begin_write();
  }
  try {
    body();
    commit_write();
  } catch (...) {
    rollback_write();
    throw;
  }
}

int SqliteStore::schema_version() {
  {
    Statement t(db_, "SELECT 1 FROM sqlite_master WHERE name = 'schema_version'");
    if (!t.step()) return 0;
  }
  Statement s(db_, "SELECT version FROM schema_version");
  return s.step() ? static_cast<int>(s.integer(0)) : 0;
}

void SqliteStore::begin_run(RunRecord& r) {
  require_writable();
  std::lock_guard lock(mutex_);
  if (r.uuid.empty()) r.uuid = new_uuid();
  {
    Statement found(db_, "SELECT id FROM runs WHERE uuid = ?");
    found.bind(1, r.uuid);
    if (found.step()) {
      throw InputError(fmt::format(
          "{}: the store already holds run {} ({}): each shard of a launch writes its own "
          "store, and codecbench merge joins them",
          path_, found.integer(0), r.uuid));
    }
  }
  Statement s(db_,
              "INSERT INTO runs (uuid, started, status, preset_name, preset_path, preset_yaml, "
              "preset_hash, host, cpu_model, physical_cores, logical_cores, tool_version, "
              "git_revision, ffmpeg_version, jobs_total, jobs_failed, shard, planned_keys, "
              "owner, conditions_json) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0, ?, "
              "?, ?, ?)");
  const MachineInfo& m = r.machine;
  s.bind(1, r.uuid).bind(2, r.started).bind(3, std::string(run_status_name(r.status)));
  s.bind(4, r.preset_name).bind(5, r.preset_path).bind(6, r.preset_yaml).bind(7, r.preset_hash);
  s.bind(8, m.host).bind(9, m.cpu_model).bind(10, m.physical_cores).bind(11, m.logical_cores);
  s.bind(12, m.tool_version).bind(13, m.git_revision).bind(14, m.ffmpeg_version);
  s.bind(15, r.jobs_total).bind(16, r.shard).bind(17, dump_json(r.planned_keys));
  s.bind(18, process_token());
  if (!m.conditions.empty()) s.bind(19, dump_json(nlohmann::json(m.conditions)));
  s.step();
  r.id = sqlite3_last_insert_rowid(db_);
  take_reserve();
}

namespace {

// Every field of a job record but its result (the bulk), copied.
JobRecord without_result(const JobRecord& r) {
  JobRecord m;
  m.key = r.key;
  m.index = r.index;
  m.input = r.input;
  m.kind = r.kind;
  m.encoder_label = r.encoder_label;
  m.encoder = r.encoder;
  m.options = r.options;
  m.variant = r.variant;
  m.scale = r.scale;
  m.threads = r.threads;
  m.status = r.status;
  m.error = r.error;
  m.measurements = r.measurements;
  m.wall = r.wall;
  m.encode = r.encode;
  m.noisy = r.noisy;
  m.finished = r.finished;
  m.machine = r.machine;
  m.scheduler_job = r.scheduler_job;
  return m;
}

// A job's two JSON columns, serialised: the result document and the record without it.
struct JobTexts {
  std::string result;
  std::string record;
};

// `index` replaces the record's position (a merge places jobs in the launch's order).
JobTexts job_texts(const JobRecord& r, int index) {
  // The record without its result (kept in its own column), built without copying the result.
  nlohmann::json record = without_result(r);
  record["index"] = index;
  record.erase("result");
  return {r.result.is_null() ? std::string() : dump_json(r.result), dump_json(record)};
}

// Inserts jobs with their measurements through two statements prepared once: a merge of
// thousands of jobs would otherwise spend more time compiling SQL than storing rows.
class JobInserter {
 public:
  explicit JobInserter(sqlite3* db)
      : db_(db),
        job_(db,
             "INSERT INTO jobs (run_id, job_key, input, encoder_label, encoder, options, "
             "variant, threads, status, error, repeats, wall_median, wall_min, wall_max, "
             "wall_stddev, encode_median, noisy, result_json, finished, host, cpu_model, "
             "physical_cores, logical_cores, tool_version, git_revision, ffmpeg_version, "
             "record_json) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, "
             "?, ?, ?, ?, ?, ?)"),
        measurement_(db,
                     "INSERT INTO measurements (job_id, repeat, wall_s, encode_s, decode_s, "
                     "metric_s, cpu_s, peak_rss_kib) VALUES (?, ?, ?, ?, ?, ?, ?, ?)") {}

  void insert(std::int64_t run_id, const JobRecord& r, const JobTexts& texts) {
    Statement& s = job_;
    s.reset();
    s.bind(1, run_id).bind(2, r.key).bind(3, r.input).bind(4, r.encoder_label).bind(5, r.encoder);
    s.bind(6, options_text(r.options)).bind(7, r.variant).bind(8, r.threads);
    s.bind(9, std::string(job_status_name(r.status))).bind(10, r.error);
    s.bind(11, static_cast<int>(r.measurements.size())).bind(12, r.wall.median);
    s.bind(13, r.wall.min).bind(14, r.wall.max).bind(15, r.wall.stddev).bind(16, r.encode.median);
    s.bind(17, r.noisy ? 1 : 0).bind(18, texts.result);
    s.bind(19, r.finished);
    const MachineInfo& m = r.machine;
    s.bind(20, m.host).bind(21, m.cpu_model).bind(22, m.physical_cores).bind(23, m.logical_cores);
    s.bind(24, m.tool_version).bind(25, m.git_revision).bind(26, m.ffmpeg_version);
    s.bind(27, texts.record);
    s.step();
    const std::int64_t job_id = sqlite3_last_insert_rowid(db_);
    for (std::size_t i = 0; i < r.measurements.size(); ++i) {
      const Measurement& x = r.measurements[i];
      Statement& ms = measurement_;
      ms.reset();
      ms.bind(1, job_id).bind(2, static_cast<int>(i)).bind(3, x.wall_s).bind(4, x.encode_s);
      ms.bind(5, x.decode_s).bind(6, x.metric_s).bind(7, x.cpu_s).bind(8, x.peak_rss_kib);
      ms.step();
    }
  }

 private:
  sqlite3* db_;
  Statement job_;
  Statement measurement_;
};

// "k=v k=v" as stored before version 3 (values without spaces).
std::vector<std::pair<std::string, std::string>> parse_options_text(const std::string& text) {
  std::vector<std::pair<std::string, std::string>> out;
  std::size_t p = 0;
  while (p < text.size()) {
    std::size_t end = text.find(' ', p);
    if (end == std::string::npos) end = text.size();
    const std::string kv = text.substr(p, end - p);
    const std::size_t eq = kv.find('=');
    if (!kv.empty()) {
      out.emplace_back(kv.substr(0, eq), eq == std::string::npos ? "" : kv.substr(eq + 1));
    }
    p = end + 1;
  }
  return out;
}

}  // namespace

void SqliteStore::record_job(std::int64_t run_id, const JobRecord& r) {
  require_writable();
  std::lock_guard lock(mutex_);
  // After a full disk, no further job takes the space given back for closing the run.
  if (full_) throw InputError(fmt::format("{}: results store: the disk is full", path_));
  begin_write();
  try {
    JobInserter(db_).insert(run_id, r, job_texts(r, r.index));
    commit_write();
  } catch (...) {
    if ((sqlite3_extended_errcode(db_) & 0xff) == SQLITE_FULL) full_ = true;
    rollback_write();
    throw;
  }
}

void SqliteStore::record_jobs(std::int64_t run_id,
                              const std::vector<std::pair<const JobRecord*, int>>& jobs,
                              const std::vector<std::string>& replace_keys) {
  require_writable();
  // Serialising the JSON columns costs more than storing the rows: done on every core before
  // the transaction, which then only writes.
  std::vector<JobTexts> texts(jobs.size());
  tbb::parallel_for(tbb::blocked_range<std::size_t>(0, jobs.size(), 64),
                    [&](const tbb::blocked_range<std::size_t>& range) {
                      for (std::size_t i = range.begin(); i != range.end(); ++i) {
                        texts[i] = job_texts(*jobs[i].first, jobs[i].second);
                      }
                    });
  std::lock_guard lock(mutex_);
  begin_write();
  try {
    Statement d(db_, "DELETE FROM jobs WHERE run_id = ? AND job_key = ?");
    for (const auto& key : replace_keys) {
      d.reset();
      d.bind(1, run_id).bind(2, key);
      d.step();
    }
    JobInserter inserter(db_);
    for (std::size_t i = 0; i < jobs.size(); ++i) {
      inserter.insert(run_id, *jobs[i].first, texts[i]);
    }
    commit_write();
  } catch (...) {
    rollback_write();
    throw;
  }
}

void SqliteStore::finish_run(const RunRecord& r) {
  require_writable();
  std::lock_guard lock(mutex_);
  Statement s(
      db_,
      "UPDATE runs SET finished = ?, status = ?, jobs_failed = ?, wall_s = ?, owner = NULL, "
      "jobs_total = MAX(IFNULL(jobs_total, 0), ?), shard = ? WHERE id = ?");
  s.bind(1, r.finished).bind(2, std::string(run_status_name(r.status)));
  s.bind(3, static_cast<int>(r.count(JobStatus::kFailed))).bind(4, r.wall_s);
  s.bind(5, r.jobs_total).bind(6, r.shard).bind(7, r.id);
  s.step();
  release_reserve();
}

std::set<std::string> SqliteStore::completed_keys(const std::string& preset_hash) {
  std::lock_guard lock(mutex_);
  Statement s(db_,
              "SELECT DISTINCT jobs.job_key FROM jobs JOIN runs ON jobs.run_id = runs.id "
              "WHERE runs.preset_hash = ? AND jobs.status = 'ok'");
  s.bind(1, preset_hash);
  std::set<std::string> out;
  while (s.step()) out.insert(s.text(0));
  return out;
}

namespace {

// A stored "running" run whose writer is gone (killed, or its machine rebooted) is stale.
RunStatus live_status(const std::string& stored, const std::string& owner) {
  const RunStatus status = parse_run_status(stored).value_or(RunStatus::kRunning);
  if (status == RunStatus::kRunning && !owner.empty() &&
      process_state(owner) == ProcessState::kGone)
    return RunStatus::kStale;
  return status;
}

RunRow run_row(Statement& s) {
  RunRow r;
  r.id = s.integer(0);
  r.uuid = s.text(1);
  r.started = s.text(2);
  r.finished = s.text(3);
  r.status = live_status(s.text(4), s.text(9));
  r.preset_name = s.text(5);
  r.preset_hash = s.text(6);
  r.jobs_total = static_cast<int>(s.integer(7));
  r.jobs_failed = static_cast<int>(s.integer(8));
  return r;
}

constexpr const char* kRunRowColumns =
    "SELECT id, IFNULL(uuid, ''), started, IFNULL(finished, ''), status, IFNULL(preset_name, ''), "
    "IFNULL(preset_hash, ''), IFNULL(jobs_total, 0), IFNULL(jobs_failed, 0), IFNULL(owner, '') "
    "FROM runs ";

// The seven machine columns (host, cpu_model, physical_cores, logical_cores, tool_version,
// git_revision, ffmpeg_version) from column `first` on.
MachineInfo machine_at(Statement& s, int first) {
  MachineInfo m;
  m.host = s.text(first);
  m.cpu_model = s.text(first + 1);
  m.physical_cores = static_cast<int>(s.integer(first + 2));
  m.logical_cores = static_cast<int>(s.integer(first + 3));
  m.tool_version = s.text(first + 4);
  m.git_revision = s.text(first + 5);
  m.ffmpeg_version = s.text(first + 6);
  return m;
}

// The columns job_from_row reads, in its order (column 20: the row id).
constexpr const char* kJobColumns =
    "SELECT IFNULL(record_json,''), job_key, IFNULL(input,''), IFNULL(encoder_label,''), "
    "IFNULL(encoder,''), IFNULL(options,''), IFNULL(variant,''), status, "
    "IFNULL(error,''), IFNULL(threads,0), IFNULL(noisy,0), IFNULL(finished,''), "
    "IFNULL(host,''), IFNULL(cpu_model,''), IFNULL(physical_cores,0), "
    "IFNULL(logical_cores,0), IFNULL(tool_version,''), IFNULL(git_revision,''), "
    "IFNULL(ffmpeg_version,''), IFNULL(result_json,''), id FROM jobs ";

// A job row of any version: v3 rows carry their record; older ones are rebuilt from columns.
// A row whose JSON is damaged or nested past the limit is an InputError naming the store and
// the row.
JobRecord job_from_row(Statement& s, const std::string& store) {
  JobRecord j;
  const std::string record = s.text(0);
  const std::string row = fmt::format("{}: job row {}", store, s.integer(20));
  if (!record.empty()) {
    const nlohmann::json doc = parse_json(record, row + ": record_json");
    try {
      j = doc.get<JobRecord>();
    } catch (const std::exception& e) {
      throw InputError(fmt::format("{}: record_json: {}", row, e.what()));
    }
  } else {
    j.key = s.text(1);
    j.input = s.text(2);
    j.encoder_label = s.text(3);
    j.encoder = s.text(4);
    j.options = parse_options_text(s.text(5));
    j.variant = s.text(6);
    j.status = parse_job_status(s.text(7)).value_or(JobStatus::kFailed);
    j.error = s.text(8);
    j.threads = static_cast<int>(s.integer(9));
    j.noisy = s.integer(10) != 0;
    j.finished = s.text(11);
    j.machine = machine_at(s, 12);
  }
  const std::string result = s.text(19);
  j.result = result.empty() ? nlohmann::json() : parse_json(result, row + ": result_json");
  return j;
}

}  // namespace

std::optional<JobRecord> SqliteStore::find_job(const std::string& key) {
  std::lock_guard lock(mutex_);
  Statement s(db_, (std::string(kJobColumns) +
                    "WHERE job_key = ? AND status = 'ok' AND result_json IS NOT NULL "
                    "ORDER BY id DESC LIMIT 1")
                       .c_str());
  s.bind(1, key);
  if (!s.step()) return std::nullopt;
  return job_from_row(s, path_);
}

RunRecord SqliteStore::load_run(std::int64_t id) {
  std::lock_guard lock(mutex_);
  RunRecord r;
  {
    Statement s(db_,
                "SELECT IFNULL(uuid, ''), started, IFNULL(finished, ''), status, "
                "IFNULL(preset_name,''), IFNULL(preset_path,''), IFNULL(preset_yaml,''), "
                "IFNULL(preset_hash,''), IFNULL(host,''), IFNULL(cpu_model,''), "
                "IFNULL(physical_cores,0), IFNULL(logical_cores,0), IFNULL(tool_version,''), "
                "IFNULL(git_revision,''), IFNULL(ffmpeg_version,''), IFNULL(jobs_total,0), "
                "IFNULL(wall_s, 0), IFNULL(shard, ''), IFNULL(planned_keys, ''), "
                "IFNULL(owner, ''), IFNULL(conditions_json, '') FROM runs WHERE id = ?");
    s.bind(1, id);
    if (!s.step()) throw InputError(fmt::format("{}: no run {}", path_, id));
    r.id = id;
    r.uuid = s.text(0);
    r.started = s.text(1);
    r.finished = s.text(2);
    r.status = live_status(s.text(3), s.text(19));
    r.preset_name = s.text(4);
    r.preset_path = s.text(5);
    r.preset_yaml = s.text(6);
    r.preset_hash = s.text(7);
    r.machine = machine_at(s, 8);
    if (const std::string c = s.text(20); !c.empty())
      r.machine.conditions = parse_json(c, fmt::format("{}: run {}: conditions_json", path_, id))
                                 .get<MachineConditions>();
    r.jobs_total = static_cast<int>(s.integer(15));
    r.wall_s = s.real(16);
    r.shard = s.text(17);
    if (const std::string plan = s.text(18); !plan.empty() && plan != "[]")
      r.planned_keys = parse_json(plan, fmt::format("{}: run {}: planned_keys", path_, id))
                           .get<std::vector<std::string>>();
  }
  std::map<std::int64_t, std::size_t> index;
  Statement s(db_, (std::string(kJobColumns) + "WHERE run_id = ? ORDER BY id").c_str());
  s.bind(1, id);
  while (s.step()) {
    const bool old_row = s.text(0).empty();
    if (old_row) index[s.integer(20)] = r.jobs.size();
    r.jobs.push_back(job_from_row(s, path_));
    if (old_row) r.jobs.back().index = static_cast<int>(r.jobs.size() - 1);
  }
  // The job-list order (rows are in the order jobs finished).
  std::stable_sort(r.jobs.begin(), r.jobs.end(),
                   [](const JobRecord& a, const JobRecord& b) { return a.index < b.index; });
  if (r.planned_keys.empty()) {  // runs stored before there was a plan: the jobs they hold
    for (const auto& j : r.jobs) r.planned_keys.push_back(j.key);
  }
  if (index.empty()) return r;
  // Rows before version 3: measurements and timing figures from their own tables.
  Statement m(db_,
              "SELECT m.job_id, IFNULL(m.wall_s,0), IFNULL(m.encode_s,0), IFNULL(m.decode_s,0), "
              "IFNULL(m.metric_s,0), IFNULL(m.cpu_s,0), IFNULL(m.peak_rss_kib,0) FROM "
              "measurements m JOIN jobs j ON m.job_id = j.id WHERE j.run_id = ? "
              "ORDER BY m.job_id, m.repeat");
  m.bind(1, id);
  while (m.step()) {
    const auto it = index.find(m.integer(0));
    if (it == index.end()) continue;
    r.jobs[it->second].measurements.push_back(
        {m.real(1), m.real(2), m.real(3), m.real(4), m.real(5), m.integer(6)});
  }
  for (const auto& [job_id, k] : index) {
    JobRecord& j = r.jobs[k];
    std::vector<double> wall, enc;
    for (const auto& x : j.measurements) {
      wall.push_back(x.wall_s);
      enc.push_back(x.encode_s);
    }
    j.wall = TimingStats::of(wall);
    j.encode = TimingStats::of(enc);
  }
  return r;
}

std::vector<RunRow> SqliteStore::runs() {
  std::lock_guard lock(mutex_);
  Statement s(db_, (std::string(kRunRowColumns) + "ORDER BY id").c_str());
  std::vector<RunRow> out;
  while (s.step()) out.push_back(run_row(s));
  return out;
}

std::int64_t SqliteStore::find_run(const std::string& uuid) {
  std::lock_guard lock(mutex_);
  Statement s(db_, "SELECT id FROM runs WHERE uuid = ?");
  s.bind(1, uuid);
  return s.step() ? s.integer(0) : 0;
}

std::map<std::string, JobStatus> SqliteStore::job_statuses(std::int64_t run_id) {
  std::lock_guard lock(mutex_);
  Statement s(db_, "SELECT job_key, status FROM jobs WHERE run_id = ?");
  s.bind(1, run_id);
  std::map<std::string, JobStatus> out;
  while (s.step()) out[s.text(0)] = parse_job_status(s.text(1)).value_or(JobStatus::kFailed);
  return out;
}

bool SqliteStore::remove_run(std::int64_t id) {
  require_writable();
  std::lock_guard lock(mutex_);
  Statement s(db_, "DELETE FROM runs WHERE id = ?");
  s.bind(1, id);
  s.step();
  return sqlite3_changes(db_) > 0;
}
std::int64_t SqliteStore::record_sweep(const RunRecord& info, const nlohmann::json& sweep) {
  require_writable();
  std::lock_guard lock(mutex_);
  begin_write();
  try {
    Statement s(db_,
                "INSERT INTO sweeps (started, preset_name, preset_path, preset_yaml, preset_hash, "
                "level, mode, "
                "host, cpu_model, physical_cores, logical_cores, tool_version, git_revision, "
                "ffmpeg_version, "
                "fit_law, fit_value, fit_low, fit_high, result_json) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
    s.bind(1, info.started)
        .bind(2, info.preset_name)
        .bind(3, info.preset_path)
        .bind(4, info.preset_yaml);
    s.bind(5, info.preset_hash).bind(6, sweep.value("level", "")).bind(7, sweep.value("mode", ""));
    const MachineInfo& m = info.machine;
    s.bind(8, m.host).bind(9, m.cpu_model).bind(10, m.physical_cores).bind(11, m.logical_cores);
    s.bind(12, m.tool_version).bind(13, m.git_revision).bind(14, m.ffmpeg_version);
    if (sweep.contains("fit")) {
      const auto& f = sweep["fit"];
      s.bind(15, f["law"].get<std::string>()).bind(16, f["value"].get<double>());
      s.bind(17, f["ci95"][0].get<double>()).bind(18, f["ci95"][1].get<double>());
    }
    s.bind(19, dump_json(sweep));
    s.step();
    const std::int64_t id = sqlite3_last_insert_rowid(db_);
    auto add = [&](int n, int threads, int jobs, const nlohmann::json& p) {
      Statement ps(db_,
                   "INSERT INTO sweep_points (sweep_id, n, threads, jobs, median_s, cv, speedup, "
                   "efficiency, "
                   "karp_flatt, throughput, oversubscribed, times_json) VALUES (?, ?, ?, ?, ?, ?, "
                   "?, ?, ?, ?, ?, ?)");
      ps.bind(1, id).bind(2, n).bind(3, threads).bind(4, jobs).bind(5, p.value("median_s", 0.0));
      ps.bind(6, p.value("cv", 0.0));
      ps.bind(7,
              p.contains("speedup") ? p["speedup"].get<double>() : p.value("scaled_speedup", 0.0));
      ps.bind(8, p.value("efficiency", 0.0));
      if (p.contains("karp_flatt") && p["karp_flatt"].is_number())
        ps.bind(9, p["karp_flatt"].get<double>());
      ps.bind(10, p.value("throughput", 0.0)).bind(11, p.value("oversubscribed", false) ? 1 : 0);
      ps.bind(12, p["times_s"].dump());
      ps.step();
    };
    const std::string level = sweep.value("level", "");
    for (const auto& p : sweep["points"]) {
      const int n = p["n"].get<int>();
      add(n, level == "codec" ? n : 1, level == "jobs" ? n : 1, p);
    }
    if (sweep.contains("grid")) {
      for (const auto& c : sweep["grid"]) {
        add(c["threads"].get<int>() * c["jobs"].get<int>(), c["threads"].get<int>(),
            c["jobs"].get<int>(), c);
      }
    }
    commit_write();
    return id;
  } catch (...) {
    rollback_write();
    throw;
  }
}

std::vector<nlohmann::json> SqliteStore::sweeps(const std::string& preset_hash) {
  std::lock_guard lock(mutex_);
  Statement s(db_, "SELECT result_json FROM sweeps WHERE ? = '' OR preset_hash = ? ORDER BY id");
  s.bind(1, preset_hash).bind(2, preset_hash);
  std::vector<nlohmann::json> out;
  while (s.step())
    out.push_back(parse_json(s.text(0), fmt::format("{}: a sweep's result_json", path_)));
  return out;
}

std::unique_ptr<ResultStore> open_sqlite_store(const std::string& path, StoreAccess access) {
  return std::make_unique<SqliteStore>(path, access);
}

}  // namespace codecbench
