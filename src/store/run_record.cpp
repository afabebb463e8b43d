// The run document: typed records and their JSON form (docs/json.md, docs/run.schema.json).
#include "codecbench/store/run_record.hpp"

#include <fmt/core.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <ctime>
#include <fstream>
#include <iterator>
#include <new>
#include <numeric>
#include <random>
#include <set>
#include <thread>

#include "codecbench/core/error.hpp"
#include "codecbench/core/files.hpp"
#include "codecbench/core/json.hpp"
#include "codecbench/core/limits.hpp"
#include "codecbench/core/process.hpp"
#include "codecbench/core/version.hpp"

namespace codecbench {
namespace {

constexpr std::pair<JobStatus, const char*> kJobStatus[] = {{JobStatus::kOk, "ok"},
                                                            {JobStatus::kFailed, "failed"},
                                                            {JobStatus::kSkipped, "skipped"},
                                                            {JobStatus::kNotRun, "not run"}};
constexpr std::pair<RunStatus, const char*> kRunStatus[] = {
    {RunStatus::kRunning, "running"},        {RunStatus::kOk, "ok"},
    {RunStatus::kFailedJobs, "failed jobs"}, {RunStatus::kInterrupted, "interrupted"},
    {RunStatus::kFailed, "failed"},          {RunStatus::kStale, "stale"}};

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

// A required member of the document, with an error that names it.
const nlohmann::json& need(const nlohmann::json& j, const char* key, const char* where) {
  if (!j.is_object() || !j.contains(key))
    throw InputError(fmt::format("not a codecbench run document: {} has no '{}'", where, key));
  return j.at(key);
}

}  // namespace

namespace {

template <typename Enum, std::size_t N>
const char* name_in(const std::pair<Enum, const char*> (&table)[N], Enum value) noexcept {
  for (const auto& [v, n] : table) {
    if (v == value) return n;
  }
  return "?";
}

template <typename Enum, std::size_t N>
std::optional<Enum> parse_in(const std::pair<Enum, const char*> (&table)[N],
                             const std::string& text) {
  for (const auto& [v, n] : table) {
    if (text == n) return v;
  }
  return std::nullopt;
}

// Version 1 documents had no encoder or options beside the result: take them from it.
void fill_from_result(JobRecord& r) {
  if (r.encoder.empty() && r.result.is_object()) r.encoder = r.result.value("encoder", "");
  if (r.options.empty() && r.result.is_object() && r.result.contains("options")) {
    for (const auto& [k, v] : r.result["options"].items())
      r.options.emplace_back(k, v.is_string() ? v.get<std::string>() : dump_json(v));
  }
}

}  // namespace

const char* job_status_name(JobStatus status) noexcept { return name_in(kJobStatus, status); }

std::optional<JobStatus> parse_job_status(const std::string& text) {
  return parse_in(kJobStatus, text);
}

const char* run_status_name(RunStatus status) noexcept { return name_in(kRunStatus, status); }

std::optional<RunStatus> parse_run_status(const std::string& text) {
  return parse_in(kRunStatus, text);
}

MachineInfo MachineInfo::this_machine() {
  MachineInfo m;
  m.host = this_host_name();
  m.cpu_model = read_cpu_model();
  m.physical_cores = count_physical_cores();
  m.logical_cores = static_cast<int>(std::thread::hardware_concurrency());
  const VersionInfo v = version_info();
  m.tool_version = v.tool;
  m.git_revision = v.git_revision;
  m.ffmpeg_version = v.ffmpeg;
  m.conditions = read_machine_conditions();
  return m;
}

TimingStats TimingStats::of(std::vector<double> v) {
  TimingStats s;
  s.times = v;
  if (v.empty()) return s;
  std::sort(v.begin(), v.end());
  const std::size_t n = v.size();
  s.median = n % 2 == 1 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
  s.min = v.front();
  s.max = v.back();
  const double mean = std::accumulate(v.begin(), v.end(), 0.0) / static_cast<double>(n);
  if (n > 1) {
    double ss = 0;
    for (double x : v) ss += (x - mean) * (x - mean);
    s.stddev = std::sqrt(ss / static_cast<double>(n - 1));
    s.cv = mean > 0 ? s.stddev / mean : 0;
  }
  return s;
}

RunRecord RunRecord::header() const {
  RunRecord h;
  h.uuid = uuid;
  h.id = id;
  h.started = started;
  h.finished = finished;
  h.status = status;
  h.preset_name = preset_name;
  h.preset_path = preset_path;
  h.preset_hash = preset_hash;
  h.preset_yaml = preset_yaml;
  h.machine = machine;
  h.shard = shard;
  h.planned_keys = planned_keys;
  h.jobs_total = jobs_total;
  h.wall_s = wall_s;
  return h;
}

std::size_t RunRecord::count(JobStatus status) const {
  return static_cast<std::size_t>(std::count_if(
      jobs.begin(), jobs.end(), [&](const JobRecord& j) { return j.status == status; }));
}

std::string job_options_text(const JobRecord& job) {
  if (job.kind != JobKind::kDecode) {
    std::string t = options_text(job.options);
    if (!job.scale.empty()) t += (t.empty() ? "scale=" : " scale=") + job.scale;
    return t;
  }
  const std::string opts = options_text(job.options);
  return fmt::format("decode {}threads={}", opts.empty() ? "" : opts + " ", job.threads);
}

std::string curve_label(const JobRecord& job) {
  return job.scale.empty() ? job.encoder_label : job.encoder_label + "@" + job.scale;
}

std::string options_text(const std::vector<std::pair<std::string, std::string>>& options) {
  std::string out;
  for (const auto& [k, v] : options) out += fmt::format("{}{}={}", out.empty() ? "" : " ", k, v);
  return out;
}

std::string dump_json(const nlohmann::json& j, int indent) {
  return j.dump(indent, ' ', false, nlohmann::json::error_handler_t::replace);
}

std::string new_uuid() {
  std::random_device rd;
  std::mt19937_64 gen((static_cast<std::uint64_t>(rd()) << 32) ^ rd() ^
                      static_cast<std::uint64_t>(std::time(nullptr)) ^
                      static_cast<std::uint64_t>(::getpid()));
  std::uint64_t hi = gen(), lo = gen();
  hi = (hi & 0xffffffffffff0fffULL) | 0x0000000000004000ULL;  // version 4
  lo = (lo & 0x3fffffffffffffffULL) | 0x8000000000000000ULL;  // variant 10
  return fmt::format("{:08x}-{:04x}-{:04x}-{:04x}-{:012x}", hi >> 32, (hi >> 16) & 0xffff,
                     hi & 0xffff, lo >> 48, lo & 0xffffffffffffULL);
}

std::string now_iso8601() {
  const std::time_t t = std::time(nullptr);
  std::tm tm{};
  localtime_r(&t, &tm);
  char buf[64];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S%z", &tm);
  return buf;
}

void to_json(nlohmann::json& j, const MachineInfo& m) {
  j = {{"host", m.host},
       {"cpu_model", m.cpu_model},
       {"physical_cores", m.physical_cores},
       {"logical_cores", m.logical_cores},
       {"codecbench", m.tool_version},
       {"git_revision", m.git_revision},
       {"ffmpeg", m.ffmpeg_version}};
  if (!m.conditions.empty()) j["conditions"] = m.conditions;
}

void from_json(const nlohmann::json& j, MachineInfo& m) {
  m.host = j.value("host", "");
  m.cpu_model = j.value("cpu_model", "");
  m.physical_cores = j.value("physical_cores", 0);
  m.logical_cores = j.value("logical_cores", 0);
  m.tool_version = j.value("codecbench", "");
  m.git_revision = j.value("git_revision", "");
  m.ffmpeg_version = j.value("ffmpeg", "");
  if (j.contains("conditions")) m.conditions = j["conditions"].get<MachineConditions>();
}

void to_json(nlohmann::json& j, const TimingStats& t) {
  j = {{"median", t.median}, {"min", t.min}, {"max", t.max},
       {"stddev", t.stddev}, {"cv", t.cv},   {"times", t.times}};
}

void from_json(const nlohmann::json& j, TimingStats& t) {
  if (j.contains("times") && j["times"].is_array()) {
    t = TimingStats::of(j["times"].get<std::vector<double>>());
  }
  // The stored figures win over the recomputed ones (a document may carry only them).
  t.median = j.value("median", t.median);
  t.min = j.value("min", t.min);
  t.max = j.value("max", t.max);
  t.stddev = j.value("stddev", t.stddev);
  t.cv = j.value("cv", t.cv);
}

void to_json(nlohmann::json& j, const Measurement& m) {
  j = {{"wall_s", m.wall_s},     {"encode_s", m.encode_s}, {"decode_s", m.decode_s},
       {"metric_s", m.metric_s}, {"cpu_s", m.cpu_s},       {"peak_rss_kib", m.peak_rss_kib}};
}

void from_json(const nlohmann::json& j, Measurement& m) {
  m.wall_s = j.value("wall_s", 0.0);
  m.encode_s = j.value("encode_s", 0.0);
  m.decode_s = j.value("decode_s", 0.0);
  m.metric_s = j.value("metric_s", 0.0);
  m.cpu_s = j.value("cpu_s", 0.0);
  m.peak_rss_kib = j.value("peak_rss_kib", std::int64_t{0});
}

void to_json(nlohmann::json& j, const JobRecord& r) {
  nlohmann::json options = nlohmann::json::array();
  for (const auto& [k, v] : r.options) options.push_back({k, v});
  j = {{"key", r.key},
       {"index", r.index},
       {"input", r.input},
       {"kind", job_kind_name(r.kind)},
       {"encoder_label", r.encoder_label},
       {"encoder", r.encoder},
       {"options", options},
       {"variant", r.variant},
       {"threads", r.threads},
       {"status", job_status_name(r.status)},
       {"error", r.error},
       {"repeats", r.measurements.size()},
       {"measurements", r.measurements},
       {"wall_s", r.wall},
       {"encode_s", r.encode},
       {"noisy", r.noisy},
       {"finished", r.finished},
       {"machine", r.machine},
       {"scheduler_job", r.scheduler_job},
       {"result", r.result}};
  if (!r.scale.empty()) j["scale"] = r.scale;
}

void from_json(const nlohmann::json& j, JobRecord& r) {
  r.key = need(j, "key", "a job").get<std::string>();
  r.index = j.value("index", 0);
  r.input = j.value("input", "");
  const std::string kind = j.value("kind", "encode");
  const auto job_kind = parse_job_kind(kind);
  if (!job_kind)
    throw InputError(fmt::format("not a codecbench run document: job kind '{}'", kind));
  r.kind = *job_kind;
  r.encoder_label = j.value("encoder_label", "");
  r.encoder = j.value("encoder", "");
  r.options.clear();
  if (j.contains("options") && j["options"].is_array()) {
    for (const auto& kv : j["options"]) r.options.emplace_back(kv.at(0), kv.at(1));
  }
  r.variant = j.value("variant", "");
  r.scale = j.value("scale", "");
  r.threads = j.value("threads", 1);
  const std::string status = need(j, "status", "a job").get<std::string>();
  const auto parsed = parse_job_status(status);
  if (!parsed)
    throw InputError(fmt::format("not a codecbench run document: job status '{}'", status));
  r.status = *parsed;
  r.error = j.value("error", "");
  r.measurements.clear();
  if (j.contains("measurements"))
    r.measurements = j["measurements"].get<std::vector<Measurement>>();
  r.wall = j.contains("wall_s") ? j["wall_s"].get<TimingStats>() : TimingStats{};
  r.encode = j.contains("encode_s") ? j["encode_s"].get<TimingStats>() : TimingStats{};
  if (r.measurements.empty()) {  // version 1 documents: the repeat times only
    for (double t : r.wall.times) r.measurements.push_back({t, 0, 0, 0, 0, 0});
  }
  r.noisy = j.value("noisy", false);
  r.finished = j.value("finished", "");
  if (j.contains("machine")) r.machine = j["machine"].get<MachineInfo>();
  r.scheduler_job = j.value("scheduler_job", "");
  r.result = j.contains("result") ? j["result"] : nlohmann::json();
  fill_from_result(r);
}

void to_json(nlohmann::json& j, const RunRecord& r) {
  nlohmann::json run = {{"uuid", r.uuid},
                        {"id", r.id},
                        {"started", r.started},
                        {"finished", r.finished},
                        {"status", run_status_name(r.status)},
                        {"preset", r.preset_name},
                        {"preset_path", r.preset_path},
                        {"preset_hash", r.preset_hash},
                        {"preset_yaml", r.preset_yaml},
                        {"machine", r.machine},
                        {"shard", r.shard},
                        {"planned_keys", r.planned_keys},
                        {"jobs_total", r.jobs_total},
                        {"failed", r.count(JobStatus::kFailed)},
                        {"skipped", r.count(JobStatus::kSkipped)},
                        {"not_run", r.count(JobStatus::kNotRun)},
                        {"wall_s", r.wall_s}};
  j = {{"schema_version", kRunSchemaVersion}, {"run", run}, {"jobs", r.jobs}};
}

namespace {

// The run's fields of a document, without its jobs; the schema version.
int header_from_json(const nlohmann::json& j, RunRecord& r) {
  const int version = need(j, "schema_version", "the document").get<int>();
  if (version < 1 || version > kRunSchemaVersion) {
    throw InputError(
        fmt::format("run document schema_version {} is not one this codecbench reads (1 to {})",
                    version, kRunSchemaVersion));
  }
  const auto& run = need(j, "run", "the document");
  r.uuid = run.value("uuid", "");
  r.id = run.value("id", std::int64_t{0});
  r.started = run.value("started", "");
  r.finished = run.value("finished", "");
  r.preset_name = run.value("preset", "");
  r.preset_path = run.value("preset_path", "");
  r.preset_hash = run.value("preset_hash", "");
  r.preset_yaml = run.value("preset_yaml", "");
  if (run.contains("machine")) {
    r.machine = run["machine"].get<MachineInfo>();
  } else {
    r.machine = run.get<MachineInfo>();  // version 1: the machine fields sat in `run`
  }
  r.wall_s = run.value("wall_s", 0.0);
  r.shard = run.value("shard", "");
  if (run.contains("planned_keys"))
    r.planned_keys = run["planned_keys"].get<std::vector<std::string>>();
  return version;
}

// What a run's fields say of its jobs, once they are in r.jobs.
void finish_jobs(const nlohmann::json& j, int version, RunRecord& r) {
  const auto& run = j.at("run");
  if (version == 1) {
    for (std::size_t k = 0; k < r.jobs.size(); ++k) r.jobs[k].index = static_cast<int>(k);
  }
  if (r.planned_keys.empty()) {  // documents without a plan: the jobs they hold
    for (const auto& job : r.jobs) r.planned_keys.push_back(job.key);
  }
  r.jobs_total = run.value("jobs_total", static_cast<int>(r.jobs.size()));
  if (auto s = parse_run_status(run.value("status", ""))) {
    r.status = *s;
  } else if (run.value("interrupted", false)) {
    r.status = RunStatus::kInterrupted;
  } else {
    r.status = r.count(JobStatus::kFailed) > 0 ? RunStatus::kFailedJobs : RunStatus::kOk;
  }
}

void check_job_count(std::size_t jobs) {
  if (jobs > limits::kJobsPerRun) {
    throw InputError(
        fmt::format("more than {} jobs in one run (the limit of a run)", limits::kJobsPerRun));
  }
}

}  // namespace

void from_json(const nlohmann::json& j, RunRecord& r) {
  const int version = header_from_json(j, r);
  r.jobs = need(j, "jobs", "the document").get<std::vector<JobRecord>>();
  finish_jobs(j, version, r);
}

JobRecord job_from_json(nlohmann::json&& job) {
  try {
    nlohmann::json result;
    if (job.is_object() && job.contains("result")) {
      result = std::move(job["result"]);  // the bulk: moved, not copied
      job["result"] = nullptr;
    }
    JobRecord r = job.get<JobRecord>();
    r.result = std::move(result);
    fill_from_result(r);
    return r;
  } catch (const Error&) {
    throw;
  } catch (const std::bad_alloc&) {
    throw;
  } catch (const std::exception& e) {  // nlohmann's type errors, and any other of a bad field
    throw InputError(fmt::format("not a codecbench run document ({})", e.what()));
  }
}

RunRecord run_from_parts(nlohmann::json&& doc, std::vector<JobRecord>&& jobs) {
  check_job_count(jobs.size());
  try {
    RunRecord r;
    const int version = header_from_json(doc, r);
    if (!need(doc, "jobs", "the document").is_array()) {
      throw InputError("not a codecbench run document (its jobs are not a list)");
    }
    r.jobs = std::move(jobs);
    finish_jobs(doc, version, r);
    return r;
  } catch (const nlohmann::json::exception& e) {
    throw InputError(fmt::format("not a codecbench run document ({})", e.what()));
  }
}

RunRecord run_from_json(nlohmann::json&& doc) {
  // The job results are the bulk of a document: move them instead of copying each one.
  std::vector<nlohmann::json> results;
  if (doc.is_object() && doc.contains("jobs") && doc["jobs"].is_array()) {
    for (auto& job : doc["jobs"]) {
      if (job.is_object() && job.contains("result")) {
        results.push_back(std::move(job["result"]));
        job["result"] = nullptr;
      } else {
        results.emplace_back();
      }
    }
  }
  // A field of the wrong JSON type (a string where a number belongs) is the document's fault:
  // an InputError like every other, not nlohmann's type_error escaping to the caller.
  try {
    RunRecord r = doc.get<RunRecord>();
    for (std::size_t i = 0; i < r.jobs.size() && i < results.size(); ++i) {
      r.jobs[i].result = std::move(results[i]);
      fill_from_result(r.jobs[i]);
    }
    return r;
  } catch (const nlohmann::json::exception& e) {
    throw InputError(fmt::format("not a codecbench run document ({})", e.what()));
  }
}

RunRecord read_run_file(const std::string& path) {
  // Parsing from memory is several times faster than from a stream (large merged runs).
  return parse_run_document(read_data_file(path), path);
}

RunRecord parse_run_document(const std::string& text, const std::string& name) {
  // Each job is made a record as soon as the parser has it and dropped from the document, so
  // memory holds the records and one job's JSON, not the whole tree (a 256 MiB document of
  // small jobs took 63 times its size). Not JSON, or nested past the limit: InputError naming
  // the file.
  std::vector<JobRecord> jobs;
  std::string top_key;  // the key of the outermost object being read
  const auto each = [&](int depth, nlohmann::json::parse_event_t event, nlohmann::json& parsed) {
    using Event = nlohmann::json::parse_event_t;
    if (depth == 1 && event == Event::key)
      top_key = parsed.is_string() ? parsed.get<std::string>() : "";
    if (depth == 2 && top_key == "jobs" && (event == Event::object_end || event == Event::value)) {
      if (!parsed.is_object()) return true;  // left for from_json to refuse
      jobs.push_back(job_from_json(std::move(parsed)));
      check_job_count(jobs.size());
      return false;
    }
    return true;
  };
  try {
    nlohmann::json doc =
        parse_json(text, fmt::format("{}: not a codecbench run document", name), each);
    if (doc.is_object() && doc.contains("jobs") && doc["jobs"].is_array() && !doc["jobs"].empty()) {
      throw InputError("a job of the document is not an object");
    }
    return run_from_parts(std::move(doc), std::move(jobs));
  } catch (const InputError& e) {
    const std::string what = e.what();
    if (what.rfind(name + ":", 0) == 0) throw;
    throw InputError(fmt::format("{}: {}", name, what));
  } catch (const std::exception& e) {
    throw InputError(fmt::format("{}: not a codecbench run document ({})", name, e.what()));
  }
}

}  // namespace codecbench
