#pragma once
/// @file sink.hpp
/// Result sinks: where the executor hands a run's header, each finished job and the run's end.
/// The SQLite store is one sink, a JSON Lines stream another; a remote collector (an MPI rank
/// gathering shards) is a third kind to come. The executor calls a sink from one thread at a
/// time, as each job finishes, so whatever finished is kept even if the process is killed.

#include <cstdio>
#include <string>
#include <vector>

#include "codecbench/store/run_record.hpp"

namespace codecbench {

class ResultStore;

/// Receives a run as it happens.
class ResultSink {
 public:
  virtual ~ResultSink() = default;
  /// The run starts: its header (no jobs yet). A sink may assign `run.id`.
  virtual void begin_run(RunRecord& run) = 0;
  /// One job ended (any status); `run` is the header.
  virtual void record_job(const RunRecord& run, const JobRecord& job) = 0;
  /// The run ended: status, finished and wall_s are set; `run.jobs` holds every job.
  virtual void finish_run(const RunRecord& run) = 0;
};

/// Writes into the results store, one transaction per job.
class StoreSink final : public ResultSink {
 public:
  explicit StoreSink(ResultStore& store) : store_(store) {}
  void begin_run(RunRecord& run) override;
  void record_job(const RunRecord& run, const JobRecord& job) override;
  void finish_run(const RunRecord& run) override;

 private:
  ResultStore& store_;
};

/// Writes a JSON Lines stream, flushed after every line: `{"record": "run", "schema_version",
/// "run": {...}}` first, then `{"record": "job", "run_uuid", "job": {...}}` per job, and
/// `{"record": "end", "run": {...}}` last (docs/json.md). A stream cut short by a killed process
/// still holds every finished job; read_json_lines() turns it back into a run record.
class JsonLinesSink final : public ResultSink {
 public:
  /// Opens `path` for writing ("-" = stdout). Throws InputError naming the file otherwise.
  explicit JsonLinesSink(const std::string& path);
  ~JsonLinesSink() override;
  JsonLinesSink(const JsonLinesSink&) = delete;
  JsonLinesSink& operator=(const JsonLinesSink&) = delete;
  void begin_run(RunRecord& run) override;
  void record_job(const RunRecord& run, const JobRecord& job) override;
  void finish_run(const RunRecord& run) override;

 private:
  void write_line(const std::string& line);
  std::string path_;
  std::FILE* file_ = nullptr;
  bool owned_ = false;
};

/// Hands everything to several sinks, in order (the first assigns the run id).
class SinkList final : public ResultSink {
 public:
  void add(ResultSink& sink) { sinks_.push_back(&sink); }
  void begin_run(RunRecord& run) override;
  void record_job(const RunRecord& run, const JobRecord& job) override;
  void finish_run(const RunRecord& run) override;

 private:
  std::vector<ResultSink*> sinks_;
};

/// Reads a JSON Lines stream written by JsonLinesSink back into a run record (a stream without
/// its end line gives the jobs it has and status "running"). A last line cut short (no newline
/// after it and not whole JSON: its writer was killed while writing it) is left out, and a
/// line saying so is added to `warnings` (when given). InputError naming the file and line
/// otherwise.
RunRecord read_json_lines(const std::string& path, std::vector<std::string>* warnings = nullptr);
/// The same from text; `name` starts every error and warning.
RunRecord parse_json_lines(const std::string& text, const std::string& name,
                           std::vector<std::string>* warnings = nullptr);

}  // namespace codecbench
