#include "codecbench/store.hpp"

#include <fmt/core.h>
#include <sqlite3.h>
#include <unistd.h>

#include <chrono>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <thread>
#include <utility>

#include "codecbench/batch.hpp"
#include "codecbench/error.hpp"
#include "codecbench/version.hpp"

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
};

std::string now_iso() {
  const std::time_t t = std::time(nullptr);
  std::tm tm{};
  localtime_r(&t, &tm);
  char buf[64];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S%z", &tm);
  return buf;
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
  bool step() {
    const int rc = sqlite3_step(stmt_);
    if (rc == SQLITE_ROW) return true;
    if (rc == SQLITE_DONE) return false;
    throw Error(fmt::format("results store: {}", sqlite3_errmsg(db_)));
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

int count_physical_cores() {
  std::ifstream f("/proc/cpuinfo");
  std::set<std::pair<std::string, std::string>> cores;
  std::string line, phys = "0";
  while (std::getline(f, line)) {
    if (line.rfind("physical id", 0) == 0) phys = line.substr(line.find(':') + 1);
    if (line.rfind("core id", 0) == 0) cores.emplace(phys, line.substr(line.find(':') + 1));
  }
  return cores.empty() ? static_cast<int>(std::thread::hardware_concurrency())
                       : static_cast<int>(cores.size());
}

std::string read_cpu_model() {
  std::ifstream f("/proc/cpuinfo");
  std::string line;
  while (std::getline(f, line)) {
    if (line.rfind("model name", 0) == 0) {
      std::string m = line.substr(line.find(':') + 1);
      return m.substr(m.find_first_not_of(' '));
    }
  }
  return "unknown";
}

}  // namespace

RunInfo RunInfo::this_machine() {
  RunInfo r;
  r.started = now_iso();
  char host[256] = {};
  gethostname(host, sizeof host - 1);
  r.host = host;
  r.cpu_model = read_cpu_model();
  r.physical_cores = count_physical_cores();
  r.logical_cores = static_cast<int>(std::thread::hardware_concurrency());
  const VersionInfo v = version_info();
  r.tool_version = v.tool;
  r.git_revision = v.git_revision;
  r.ffmpeg_version = v.ffmpeg;
  return r;
}

ResultStore::ResultStore(const std::string& path) : path_(path) {
  std::error_code ec;
  const auto dir = std::filesystem::path(path).parent_path();
  if (!dir.empty()) std::filesystem::create_directories(dir, ec);
  if (sqlite3_open_v2(path.c_str(), &db_,
                      SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_FULLMUTEX,
                      nullptr) != SQLITE_OK) {
    const std::string msg = db_ != nullptr ? sqlite3_errmsg(db_) : "out of memory";
    sqlite3_close(db_);
    db_ = nullptr;
    throw InputError(fmt::format("{}: cannot open the results store ({})", path, msg));
  }
  sqlite3_busy_timeout(db_, 5000);
  try {
    // WAL with synchronous=NORMAL: a commit is not an fsync, yet a killed process loses no
    // committed job (the OS has the WAL); only a power cut could lose the last few.
    exec("PRAGMA foreign_keys = ON; PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL;");
    exec("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)");
    int version = schema_version();
    if (version > kStoreSchemaVersion) {
      throw InputError(fmt::format("{}: store schema version {} is newer than this codecbench ({})",
                                   path, version, kStoreSchemaVersion));
    }
    for (; version < kStoreSchemaVersion; ++version) {
      exec("BEGIN");
      exec(kMigrations[static_cast<std::size_t>(version)]);
      exec("DELETE FROM schema_version");
      exec(fmt::format("INSERT INTO schema_version VALUES ({})", version + 1));
      exec("COMMIT");
    }
  } catch (const Error& e) {
    sqlite3_close(db_);
    db_ = nullptr;
    throw InputError(fmt::format("{}: not a usable results store ({})", path, e.what()));
  }
}

ResultStore::~ResultStore() { sqlite3_close(db_); }

void ResultStore::exec(const std::string& sql) {
  char* err = nullptr;
  if (sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &err) != SQLITE_OK) {
    const std::string msg = err != nullptr ? err : "unknown error";
    sqlite3_free(err);
    throw Error(fmt::format("results store: {}", msg));
  }
}

int ResultStore::schema_version() {
  Statement s(db_, "SELECT version FROM schema_version");
  return s.step() ? static_cast<int>(s.integer(0)) : 0;
}

std::int64_t ResultStore::begin_run(const RunInfo& r) {
  std::lock_guard lock(mutex_);
  Statement s(
      db_,
      "INSERT INTO runs (started, status, preset_name, preset_path, preset_yaml, preset_hash, "
      "host, "
      "cpu_model, physical_cores, logical_cores, tool_version, git_revision, ffmpeg_version, "
      "jobs_total, jobs_failed) VALUES (?, 'running', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0)");
  s.bind(1, r.started).bind(2, r.preset_name).bind(3, r.preset_path).bind(4, r.preset_yaml);
  s.bind(5, r.preset_hash).bind(6, r.host).bind(7, r.cpu_model).bind(8, r.physical_cores);
  s.bind(9, r.logical_cores).bind(10, r.tool_version).bind(11, r.git_revision);
  s.bind(12, r.ffmpeg_version).bind(13, r.jobs_total);
  s.step();
  return sqlite3_last_insert_rowid(db_);
}

void ResultStore::record_job(std::int64_t run_id, const BatchJobResult& r) {
  std::lock_guard lock(mutex_);
  exec("BEGIN IMMEDIATE");
  try {
    const JobResult* rep = r.representative();
    std::string json;
    if (rep != nullptr) json = nlohmann::json(*rep).dump();
    Statement s(
        db_,
        "INSERT INTO jobs (run_id, job_key, input, encoder_label, encoder, options, variant, "
        "threads, "
        "status, error, repeats, wall_median, wall_min, wall_max, wall_stddev, encode_median, "
        "noisy, "
        "result_json, finished) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
    s.bind(1, run_id).bind(2, r.job.key).bind(3, r.job.input).bind(4, r.job.encoder_label);
    s.bind(5, r.job.spec.encoder).bind(6, options_text(r.job.spec.options)).bind(7, r.job.variant);
    s.bind(8, r.job.spec.threads).bind(9, r.status).bind(10, r.error);
    s.bind(11, static_cast<int>(r.runs.size())).bind(12, r.wall.median).bind(13, r.wall.min);
    s.bind(14, r.wall.max)
        .bind(15, r.wall.stddev)
        .bind(16, r.encode.median)
        .bind(17, r.noisy ? 1 : 0);
    s.bind(18, json).bind(19, now_iso());
    s.step();
    const std::int64_t job_id = sqlite3_last_insert_rowid(db_);
    for (std::size_t i = 0; i < r.runs.size(); ++i) {
      const JobResult& m = r.runs[i];
      Statement ms(
          db_,
          "INSERT INTO measurements (job_id, repeat, wall_s, encode_s, decode_s, metric_s, cpu_s, "
          "peak_rss_kib, result_json) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)");
      ms.bind(1, job_id).bind(2, static_cast<int>(i)).bind(3, m.wall_s).bind(4, m.encode_s);
      ms.bind(5, m.decode_s).bind(6, m.metric_s).bind(7, m.cpu_user_s + m.cpu_sys_s);
      ms.bind(8, static_cast<std::int64_t>(m.peak_rss_kib)).bind(9, nlohmann::json(m).dump());
      ms.step();
    }
    exec("COMMIT");
  } catch (...) {
    exec("ROLLBACK");
    throw;
  }
}

void ResultStore::finish_run(std::int64_t run_id, const std::string& status, int jobs_failed) {
  std::lock_guard lock(mutex_);
  Statement s(db_, "UPDATE runs SET finished = ?, status = ?, jobs_failed = ? WHERE id = ?");
  s.bind(1, now_iso()).bind(2, status).bind(3, jobs_failed).bind(4, run_id);
  s.step();
}

std::set<std::string> ResultStore::completed_keys(const std::string& preset_hash) {
  std::lock_guard lock(mutex_);
  Statement s(db_,
              "SELECT DISTINCT jobs.job_key FROM jobs JOIN runs ON jobs.run_id = runs.id "
              "WHERE runs.preset_hash = ? AND jobs.status = 'ok'");
  s.bind(1, preset_hash);
  std::set<std::string> out;
  while (s.step()) out.insert(s.text(0));
  return out;
}

std::int64_t ResultStore::record_sweep(const RunInfo& info, const nlohmann::json& sweep) {
  std::lock_guard lock(mutex_);
  exec("BEGIN IMMEDIATE");
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
    s.bind(8, info.host)
        .bind(9, info.cpu_model)
        .bind(10, info.physical_cores)
        .bind(11, info.logical_cores);
    s.bind(12, info.tool_version).bind(13, info.git_revision).bind(14, info.ffmpeg_version);
    if (sweep.contains("fit")) {
      const auto& f = sweep["fit"];
      s.bind(15, f["law"].get<std::string>()).bind(16, f["value"].get<double>());
      s.bind(17, f["ci95"][0].get<double>()).bind(18, f["ci95"][1].get<double>());
    }
    s.bind(19, sweep.dump());
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
    exec("COMMIT");
    return id;
  } catch (...) {
    exec("ROLLBACK");
    throw;
  }
}

RunRow ResultStore::run(std::int64_t id) {
  std::lock_guard lock(mutex_);
  Statement s(db_,
              "SELECT id, started, IFNULL(finished, ''), status, IFNULL(preset_name, ''), "
              "IFNULL(preset_hash, ''), IFNULL(jobs_total, 0), IFNULL(jobs_failed, 0) FROM runs "
              "WHERE id = ?");
  s.bind(1, id);
  if (!s.step()) throw InputError(fmt::format("{}: no run {}", path_, id));
  return {s.integer(0),
          s.text(1),
          s.text(2),
          s.text(3),
          s.text(4),
          s.text(5),
          static_cast<int>(s.integer(6)),
          static_cast<int>(s.integer(7))};
}

std::int64_t ResultStore::latest_run() {
  const auto all = runs();
  if (all.empty()) throw InputError(fmt::format("{}: the store has no runs yet", path_));
  return all.back().id;
}

std::vector<ResultStore::JobRow> ResultStore::jobs(std::int64_t run_id) {
  std::lock_guard lock(mutex_);
  std::vector<JobRow> out;
  std::map<std::int64_t, std::size_t> index;
  Statement s(
      db_,
      "SELECT id, job_key, IFNULL(input,''), IFNULL(encoder_label,''), IFNULL(encoder,''), "
      "IFNULL(options,''), IFNULL(variant,''), status, IFNULL(error,''), IFNULL(threads,0), "
      "IFNULL(repeats,0), IFNULL(wall_median,0), IFNULL(wall_stddev,0), IFNULL(result_json,'') "
      "FROM jobs WHERE run_id = ? ORDER BY id");
  s.bind(1, run_id);
  while (s.step()) {
    JobRow j;
    j.id = s.integer(0);
    j.key = s.text(1);
    j.input = s.text(2);
    j.encoder_label = s.text(3);
    j.encoder = s.text(4);
    j.options = s.text(5);
    j.variant = s.text(6);
    j.status = s.text(7);
    j.error = s.text(8);
    j.threads = static_cast<int>(s.integer(9));
    j.repeats = static_cast<int>(s.integer(10));
    j.wall_median = s.real(11);
    j.wall_stddev = s.real(12);
    j.result_json = s.text(13);
    index[j.id] = out.size();
    out.push_back(std::move(j));
  }
  Statement m(db_,
              "SELECT m.job_id, m.wall_s FROM measurements m JOIN jobs j ON m.job_id = j.id "
              "WHERE j.run_id = ? ORDER BY m.job_id, m.repeat");
  m.bind(1, run_id);
  while (m.step()) out[index.at(m.integer(0))].repeat_walls.push_back(m.real(1));
  return out;
}

RunInfo ResultStore::run_info(std::int64_t id) {
  std::lock_guard lock(mutex_);
  Statement s(
      db_,
      "SELECT started, IFNULL(preset_name,''), IFNULL(preset_path,''), IFNULL(preset_yaml,''), "
      "IFNULL(preset_hash,''), IFNULL(host,''), IFNULL(cpu_model,''), IFNULL(physical_cores,0), "
      "IFNULL(logical_cores,0), IFNULL(tool_version,''), IFNULL(git_revision,''), "
      "IFNULL(ffmpeg_version,''), IFNULL(jobs_total,0) FROM runs WHERE id = ?");
  s.bind(1, id);
  if (!s.step()) throw InputError(fmt::format("{}: no run {}", path_, id));
  RunInfo r;
  r.started = s.text(0);
  r.preset_name = s.text(1);
  r.preset_path = s.text(2);
  r.preset_yaml = s.text(3);
  r.preset_hash = s.text(4);
  r.host = s.text(5);
  r.cpu_model = s.text(6);
  r.physical_cores = static_cast<int>(s.integer(7));
  r.logical_cores = static_cast<int>(s.integer(8));
  r.tool_version = s.text(9);
  r.git_revision = s.text(10);
  r.ffmpeg_version = s.text(11);
  r.jobs_total = static_cast<int>(s.integer(12));
  return r;
}

std::vector<nlohmann::json> ResultStore::sweeps(const std::string& preset_hash) {
  std::lock_guard lock(mutex_);
  Statement s(db_, "SELECT result_json FROM sweeps WHERE ? = '' OR preset_hash = ? ORDER BY id");
  s.bind(1, preset_hash).bind(2, preset_hash);
  std::vector<nlohmann::json> out;
  while (s.step()) out.push_back(nlohmann::json::parse(s.text(0)));
  return out;
}

bool ResultStore::remove_run(std::int64_t id) {
  std::lock_guard lock(mutex_);
  Statement s(db_, "DELETE FROM runs WHERE id = ?");
  s.bind(1, id);
  s.step();
  return sqlite3_changes(db_) > 0;
}

std::vector<RunRow> ResultStore::runs() {
  std::lock_guard lock(mutex_);
  Statement s(db_,
              "SELECT id, started, IFNULL(finished, ''), status, IFNULL(preset_name, ''), "
              "IFNULL(preset_hash, ''), IFNULL(jobs_total, 0), IFNULL(jobs_failed, 0) FROM runs "
              "ORDER BY id");
  std::vector<RunRow> out;
  while (s.step()) {
    out.push_back({s.integer(0), s.text(1), s.text(2), s.text(3), s.text(4), s.text(5),
                   static_cast<int>(s.integer(6)), static_cast<int>(s.integer(7))});
  }
  return out;
}

}  // namespace codecbench
