#pragma once
/// @file run_record.hpp
/// The one run document: a run and its jobs as typed records with `to_json`/`from_json` and a
/// schema version. `run --json`, `runs export --json`, what `compare` and `report` read, what a
/// result sink receives and what a shard hands to a merge are all this record
/// (docs/run.schema.json is its JSON Schema; docs/json.md describes every field).

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "codecbench/core/machine.hpp"
#include "codecbench/media/job_kind.hpp"

namespace codecbench {

/// Version of the run document; docs/json.md lists the changes.
inline constexpr int kRunSchemaVersion = 2;

/// How a job of a run ended.
enum class JobStatus {
  kOk,       ///< measured
  kFailed,   ///< an error; JobRecord::error says why
  kSkipped,  ///< --resume: an earlier run of the same preset has it
  kNotRun,   ///< the run was stopped (SIGINT) before it started
};

/// "ok", "failed", "skipped", "not run".
const char* job_status_name(JobStatus status) noexcept;
/// Inverse of job_status_name; nullopt for anything else.
std::optional<JobStatus> parse_job_status(const std::string& text);

/// How a run ended (or that it is still going).
/// kFailed: the run could not go on (its store's disk filled); finished jobs are kept.
/// kStale: stored as running, but the process writing it is gone (killed); never written,
/// only read back.
enum class RunStatus { kRunning, kOk, kFailedJobs, kInterrupted, kFailed, kStale };

/// "running", "ok", "failed jobs", "interrupted", "failed", "stale".
const char* run_status_name(RunStatus status) noexcept;
std::optional<RunStatus> parse_run_status(const std::string& text);

/// The machine and software something ran on. Recorded per job, since one run may span
/// machines (shards on cluster nodes).
struct MachineInfo {
  std::string host;
  std::string cpu_model;
  int physical_cores = 0;
  int logical_cores = 0;
  std::string tool_version;    ///< codecbench
  std::string git_revision;    ///< of the codecbench build
  std::string ffmpeg_version;  ///< libavcodec's
  /// Frequency policy, SMT, load, memory, VM/container when it ran (machine.hpp); empty in
  /// records written before version 0.2.
  MachineConditions conditions;

  /// This machine and this build.
  static MachineInfo this_machine();
};

/// Median, extremes and spread of one timing over a job's measured repeats.
struct TimingStats {
  double median = 0, min = 0, max = 0;  ///< seconds
  double stddev = 0;                    ///< sample standard deviation, s (0 for one repeat)
  double cv = 0;                        ///< stddev / mean (0 for one repeat)
  std::vector<double> times;            ///< every repeat's value, in run order, s
  static TimingStats of(std::vector<double> values);
};

/// One measured repeat of a job.
struct Measurement {
  double wall_s = 0, encode_s = 0, decode_s = 0, metric_s = 0;  ///< seconds
  double cpu_s = 0;               ///< user + system CPU of the process during the job, s
  std::int64_t peak_rss_kib = 0;  ///< process peak resident memory at the job's end
};

/// One job of a run.
struct JobRecord {
  std::string key;    ///< machine-independent job key (docs/presets.md, "Job identity")
  int index = 0;      ///< position in the run's job list (the order of `run --dry-run`)
  std::string input;  ///< the input's name
  /// kEncode (encode, decode, measure) or kDecode (a decode job: encoder_label is the
  /// decoder's label, encoder the decoder used, and the timings are the decoder's).
  JobKind kind = JobKind::kEncode;
  std::string encoder_label;  ///< the preset's label for the encoder configuration
  std::string encoder;        ///< libavcodec encoder name (decoder name for decode jobs)
  std::vector<std::pair<std::string, std::string>> options;  ///< encoder options, in order
  std::string variant;  ///< multirun overrides that made the job ("" for none)
  /// A scaled encode's size label (scale_text in transcode.hpp: "360p", "640x360/lanczos"),
  /// "" when the job encodes at the source's size. Written to JSON only when set.
  std::string scale;
  int threads = 1;  ///< codec threads (0 = FFmpeg's auto)
  JobStatus status = JobStatus::kNotRun;
  std::string error;                      ///< why it failed ("" otherwise)
  std::vector<Measurement> measurements;  ///< one per measured repeat
  TimingStats wall;                       ///< job wall time over the repeats
  TimingStats encode;    ///< time inside the encoder (decode jobs: the decoder) over the repeats
  bool noisy = false;    ///< wall-time CV above 5%: more repeats advised
  std::string finished;  ///< ISO 8601 time the job ended ("" when not run)
  MachineInfo machine;   ///< where it ran
  std::string scheduler_job;  ///< the batch scheduler's job id it ran under ($SLURM_JOB_ID), or ""
  /// The job result document (transcode --json, docs/json.md) of the median repeat; null
  /// when the job has none (failed, skipped, not run).
  nlohmann::json result;
};

/// A run: one launch of a preset (possibly spread over shards) and its jobs.
struct RunRecord {
  std::string uuid;               ///< identity across machines and stores
  std::int64_t id = 0;            ///< the store's short id (0 when not stored)
  std::string started, finished;  ///< ISO 8601
  RunStatus status = RunStatus::kRunning;
  std::string preset_name;
  std::string preset_path;  ///< as given on the command line
  std::string preset_hash;  ///< stable hash of preset_yaml
  std::string preset_yaml;  ///< the fully resolved preset (every variant)
  MachineInfo machine;      ///< where the run was launched
  /// "K/N" when this record holds the K-th of N shards of a launch (run --shard), else "".
  std::string shard;
  /// The keys of every job of the launch, in job-list order (all shards): what a merge
  /// checks the merged jobs against to say which are missing.
  std::vector<std::string> planned_keys;
  int jobs_total = 0;
  double wall_s = 0;  ///< the run's wall time, s
  std::vector<JobRecord> jobs;

  /// Counts of jobs by status.
  [[nodiscard]] std::size_t count(JobStatus status) const;
  /// A copy of the run without its jobs (which can be thousands of result documents).
  [[nodiscard]] RunRecord header() const;
};

/// The RD curve a job's point belongs to: its encoder label, with "@SCALE" for a scaled
/// encode ("x264@360p"), so each resolution of a ladder is its own curve.
std::string curve_label(const JobRecord& job);

/// Options as "k=v k=v" text.
std::string options_text(const std::vector<std::pair<std::string, std::string>>& options);

/// What a job's row shows as its options: its options' text; for a decode job
/// "decode [thread_type=T ]threads=N".
std::string job_options_text(const JobRecord& job);

/// JSON text of a document. Bytes that are not UTF-8 (a file name, an option, an encoder's
/// message) are written as U+FFFD instead of failing after the work is done; indent -1 gives
/// one line.
std::string dump_json(const nlohmann::json& j, int indent = -1);

/// A new random (version 4) UUID, lower-case hex with dashes.
std::string new_uuid();

/// The current local time as ISO 8601 with offset ("2026-11-27T21:34:20+0000").
std::string now_iso8601();

void to_json(nlohmann::json& j, const MachineInfo& m);
void from_json(const nlohmann::json& j, MachineInfo& m);
void to_json(nlohmann::json& j, const TimingStats& t);
void from_json(const nlohmann::json& j, TimingStats& t);
void to_json(nlohmann::json& j, const Measurement& m);
void from_json(const nlohmann::json& j, Measurement& m);
void to_json(nlohmann::json& j, const JobRecord& r);
void from_json(const nlohmann::json& j, JobRecord& r);
/// The run document: {schema_version, run: {...}, jobs: [...]}.
void to_json(nlohmann::json& j, const RunRecord& r);
/// Reads a run document of this schema version or version 1 (`run --json` before the one
/// record). Throws InputError naming the field when the document is not a run.
void from_json(const nlohmann::json& j, RunRecord& r);

/// from_json of a document that is not needed afterwards: the job results are moved out of it
/// rather than copied (the bulk of a large run).
/// InputError when a field has the wrong type or a required one is missing.
RunRecord run_from_json(nlohmann::json&& doc);

/// One job of a run document, from its JSON (moved from, its result not copied). InputError
/// when a field has the wrong type or a required one is missing.
JobRecord job_from_json(nlohmann::json&& job);

/// A run from a document whose jobs were read apart (`jobs`, in order; the document's own
/// "jobs" list is there and empty): what a streaming reader builds. InputError as
/// run_from_json, and past limits::kJobsPerRun jobs.
RunRecord run_from_parts(nlohmann::json&& doc, std::vector<JobRecord>&& jobs);

/// Reads a run document from a file; InputError naming the file and the cause otherwise. The
/// jobs are read one at a time (memory: the records and one job's JSON), at most
/// limits::kJobsPerRun of them.
RunRecord read_run_file(const std::string& path);
/// The same from text; `name` starts every error.
RunRecord parse_run_document(const std::string& text, const std::string& name);

}  // namespace codecbench
