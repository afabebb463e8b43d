// Result sinks: the store, a JSON Lines stream, and a list of sinks.
#include "codecbench/store/sink.hpp"

#include <fmt/core.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include "codecbench/core/error.hpp"
#include "codecbench/core/files.hpp"
#include "codecbench/core/json.hpp"
#include "codecbench/core/limits.hpp"
#include "codecbench/store/store.hpp"

namespace codecbench {

void StoreSink::begin_run(RunRecord& run) { store_.begin_run(run); }

void StoreSink::record_job(const RunRecord& run, const JobRecord& job) {
  store_.record_job(run.id, job);
}

void StoreSink::finish_run(const RunRecord& run) { store_.finish_run(run); }

JsonLinesSink::JsonLinesSink(const std::string& path) : path_(path) {
  if (path.empty() || path == "-") {
    file_ = stdout;
    return;
  }
  file_ = std::fopen(path.c_str(), "w");
  if (file_ == nullptr)
    throw InputError(fmt::format("{}: cannot open for writing: {}", path, std::strerror(errno)));
  owned_ = true;
}

JsonLinesSink::~JsonLinesSink() {
  if (owned_) std::fclose(file_);
}

void JsonLinesSink::write_line(const std::string& line) {
  if (std::fputs(line.c_str(), file_) < 0 || std::fputc('\n', file_) == EOF ||
      std::fflush(file_) != 0) {
    throw InputError(fmt::format("{}: write failed: {}", path_, std::strerror(errno)));
  }
}

namespace {

nlohmann::json header_json(const RunRecord& run) { return nlohmann::json(run.header())["run"]; }

}  // namespace

void JsonLinesSink::begin_run(RunRecord& run) {
  write_line(dump_json(
      {{"record", "run"}, {"schema_version", kRunSchemaVersion}, {"run", header_json(run)}}));
}

void JsonLinesSink::record_job(const RunRecord& run, const JobRecord& job) {
  write_line(dump_json({{"record", "job"}, {"run_uuid", run.uuid}, {"job", job}}));
}

void JsonLinesSink::finish_run(const RunRecord& run) {
  nlohmann::json h = header_json(run);
  // The counts are the whole run's, not the empty header's.
  h["failed"] = run.count(JobStatus::kFailed);
  h["skipped"] = run.count(JobStatus::kSkipped);
  h["not_run"] = run.count(JobStatus::kNotRun);
  write_line(dump_json({{"record", "end"}, {"run", h}}));
}

void SinkList::begin_run(RunRecord& run) {
  for (auto* s : sinks_) s->begin_run(run);
}

void SinkList::record_job(const RunRecord& run, const JobRecord& job) {
  for (auto* s : sinks_) s->record_job(run, job);
}

void SinkList::finish_run(const RunRecord& run) {
  for (auto* s : sinks_) s->finish_run(run);
}

RunRecord read_json_lines(const std::string& path, std::vector<std::string>* warnings) {
  return parse_json_lines(read_data_file(path), path, warnings);
}

RunRecord parse_json_lines(const std::string& text, const std::string& path,
                           std::vector<std::string>* warnings) {
  std::istringstream f(text);
  std::string line;
  int n = 0;
  nlohmann::json header, end;
  std::vector<JobRecord> jobs;  // each line's job made a record at once: one line's JSON held
  const bool unterminated = !text.empty() && text.back() != '\n';
  while (std::getline(f, line)) {
    ++n;
    if (line.empty()) continue;
    nlohmann::json j;
    try {
      j = parse_json(line, fmt::format("{}:{}", path, n));
    } catch (const InputError&) {
      // Only the last line, without its newline, can be a write cut short: the rest is used.
      if (!unterminated || f.peek() != std::char_traits<char>::eof()) throw;
      if (warnings != nullptr) {
        warnings->push_back(fmt::format(
            "{}:{}: the last line was cut short ({} bytes, no newline: its writer stopped while "
            "writing it); the {} lines before it were used",
            path, n, line.size(), n - 1));
      }
      break;
    }
    const std::string kind = j.is_object() && j.contains("record") && j["record"].is_string()
                                 ? j["record"].get<std::string>()
                                 : "";
    if (kind == "run" && j.contains("run") && j["run"].is_object()) {
      header = j;
    } else if (kind == "job" && j.contains("job") && j["job"].is_object()) {
      try {
        jobs.push_back(job_from_json(std::move(j["job"])));
      } catch (const InputError& e) {
        throw InputError(fmt::format("{}:{}: {}", path, n, e.what()));
      }
      if (jobs.size() > limits::kJobsPerRun) {
        throw InputError(fmt::format("{}:{}: more than {} jobs in one run (the limit of a run)",
                                     path, n, limits::kJobsPerRun));
      }
    } else if (kind == "end" && j.contains("run") && j["run"].is_object()) {
      end = j;
    } else {
      throw InputError(
          fmt::format("{}:{}: not a codecbench run record (record '{}')", path, n, kind));
    }
  }
  if (header.is_null()) throw InputError(fmt::format("{}: no run header line", path));
  const auto& version = header["schema_version"];
  nlohmann::json doc = {{"schema_version", version.is_number_integer() ? version.get<int>() : 0},
                        {"run", end.is_null() ? header["run"] : end["run"]},
                        {"jobs", nlohmann::json::array()}};
  try {
    RunRecord r = run_from_parts(std::move(doc), std::move(jobs));
    if (end.is_null()) r.status = RunStatus::kRunning;  // cut short, or still going
    return r;
  } catch (const InputError& e) {
    throw InputError(fmt::format("{}: {}", path, e.what()));
  }
}

}  // namespace codecbench
