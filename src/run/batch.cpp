#include "codecbench/run/batch.hpp"

#include <fmt/core.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <exception>
#include <filesystem>
#include <map>
#include <mutex>
#include <optional>
#include <tuple>

#include "codecbench/catalog/catalog.hpp"
#include "codecbench/core/error.hpp"
#include "codecbench/core/machine.hpp"
#include "codecbench/metrics/audio_metrics.hpp"
#include "codecbench/run/executor.hpp"

namespace codecbench {

namespace {

// The repeat whose time is closest to the median of all (what a record's result is); null for
// none.
template <class T, class Time>
const T* median_repeat(const std::vector<T>& repeats, Time time) {
  std::vector<double> times;
  for (const auto& x : repeats) times.push_back(time(x));
  const double median = TimingStats::of(times).median;
  const T* best = nullptr;
  for (const auto& x : repeats) {
    if (best == nullptr || std::fabs(time(x) - median) < std::fabs(time(*best) - median)) best = &x;
  }
  return best;
}

}  // namespace

JobRecord job_record(const BatchJob& job, const std::vector<JobResult>& repeats,
                     const MachineInfo& machine) {
  JobRecord r;
  r.key = job.key;
  r.kind = job.kind;
  r.input = job.input;
  r.encoder_label = job.encoder_label;
  r.encoder = job.kind == JobKind::kDecode ? job.decode.decoder : job.spec.encoder;
  r.options = job.spec.options;
  if (job.kind == JobKind::kDecode && !job.decode.thread_type.empty())
    r.options = {{"thread_type", job.decode.thread_type}};
  r.variant = job.variant;
  if (job.kind == JobKind::kEncode) r.scale = scale_text(job.spec.scale);
  r.threads = job.spec.threads;
  r.machine = machine;
  r.status = JobStatus::kOk;
  std::vector<double> wall, enc;
  for (const auto& m : repeats) {
    r.measurements.push_back({m.wall_s, m.encode_s, m.decode_s, m.metric_s,
                              m.cpu_user_s + m.cpu_sys_s,
                              static_cast<std::int64_t>(m.peak_rss_kib)});
    wall.push_back(m.wall_s);
    enc.push_back(m.encode_s);
  }
  r.wall = TimingStats::of(wall);
  r.encode = TimingStats::of(enc);
  r.noisy = repeats.size() > 1 && r.wall.cv > 0.05;
  if (const JobResult* best = median_repeat(repeats, [](const JobResult& m) { return m.wall_s; }))
    r.result = *best;
  // Repeats answer whether the encoder is deterministic at no extra cost.
  if (repeats.size() >= 2) r.result["determinism"] = determinism_of(repeats);
  return r;
}

namespace {

nlohmann::json decode_result_json(const std::vector<DecodeResult>& repeats,
                                  const DecodeResult* hashed) {
  const DecodeResult* best =
      median_repeat(repeats, [](const DecodeResult& d) { return d.decode_s; });
  if (best == nullptr) return nullptr;
  nlohmann::json j = *best;
  j["kind"] = job_kind_name(JobKind::kDecode);
  j["repeats"] = repeats.size();
  if (hashed != nullptr) {
    j["md5"] = hashed->output_md5;
    j["hash_s"] = hashed->hash_s;
    j["hashed_s"] = hashed->decode_s;
  }
  return j;
}

JobRecord decode_job_record(const BatchJob& job, const std::vector<DecodeResult>& repeats,
                            const DecodeResult* hashed, const MachineInfo& machine) {
  JobRecord r = job_record(job, {}, machine);
  std::vector<double> times;
  for (const auto& d : repeats) {
    r.measurements.push_back({d.decode_s, 0, d.decode_s, 0, d.cpu_user_s + d.cpu_sys_s,
                              static_cast<std::int64_t>(d.peak_rss_kib)});
    times.push_back(d.decode_s);
  }
  r.wall = TimingStats::of(times);
  r.encode = r.wall;
  r.noisy = repeats.size() > 1 && r.wall.cv > 0.05;
  if (!repeats.empty()) r.encoder = repeats.front().decoder;
  r.result = decode_result_json(repeats, hashed);
  return r;
}

// Timed decodes (no hashing), then one hashed decode when asked.
std::pair<std::vector<DecodeResult>, std::optional<DecodeResult>> measure_decode(
    const DecodeSpec& spec, int warmup, int repeats) {
  DecodeSpec timed = spec;
  timed.md5 = false;
  std::vector<DecodeResult> out;
  for (int w = 0; w < warmup; ++w) (void)run_decode(timed);
  for (int k = 0; k < repeats; ++k) out.push_back(run_decode(timed));
  std::optional<DecodeResult> hashed;
  if (spec.md5) {
    DecodeSpec h = spec;
    h.keep_frame_md5 = false;
    hashed = run_decode(h);
  }
  return {std::move(out), std::move(hashed)};
}

std::vector<std::string> oversubscription(const Preset& settings,
                                          const std::vector<BatchJob>& jobs) {
  const int hw = hardware_threads();
  for (const auto& j : jobs) {
    const int t = effective_threads(j.spec.threads);
    if (settings.jobs * t > hw) {
      return {fmt::format(
          "{} concurrent jobs x {} codec threads = {} threads on {} CPU{}{}: oversubscribed, "
          "timings will include contention",
          settings.jobs, t, settings.jobs * t, hw, hw == 1 ? "" : "s",
          std::getenv("SLURM_JOB_ID") != nullptr ? " of this Slurm task" : "")};
    }
  }
  return {};
}

JobRecord unmeasured(const BatchJob& job, JobStatus status, const MachineInfo& machine) {
  JobRecord r = job_record(job, {}, machine);
  r.status = status;
  return r;
}

}  // namespace

namespace {

// What a job needs from its batch: the preset's settings, the shared decoded references and
// the machine it runs on.
struct JobContext {
  const Preset& settings;
  ReferenceCache& references;
  const MachineInfo& machine;
};

JobRecord failed_record(const BatchJob& job, const MachineInfo& machine, const std::exception& e) {
  JobRecord r = unmeasured(job, JobStatus::kFailed, machine);
  r.error = e.what();
  return r;
}

// A decode job: the decoder's repeats (and one hashed decode when asked).
JobRecord measure_decode_job(const BatchJob& job, const JobContext& c) {
  try {
    DecodeSpec d = job.decode;
    d.reset_peak_rss = c.settings.jobs == 1;  // the process's mark: only when alone
    auto [timed, hashed] = measure_decode(d, c.settings.warmup, c.settings.repeats);
    return decode_job_record(job, timed, hashed ? &*hashed : nullptr, c.machine);
  } catch (const std::exception& e) {
    return failed_record(job, c.machine, e);
  }
}

// An encode job: warm-up and measured repeats of encode, decode and measure (and the stream's
// decode afterwards with decode_after).
JobRecord measure_encode_job(const BatchJob& job, const JobContext& c) {
  JobSpec spec = job.spec;
  spec.references = &c.references;
  if (!c.settings.output.keep_dir.empty()) {
    spec.keep_path =
        (std::filesystem::path(c.settings.output.keep_dir) / (job.key + ".mkv")).string();
  }
  // decode_after needs the stream: kept in the keep folder, else in a scratch file.
  std::filesystem::path scratch;
  if (job.decode_after && spec.keep_path.empty()) {
    scratch = std::filesystem::temp_directory_path() /
              fmt::format("codecbench-{}-{}.mkv", ::getpid(), job.key);
    spec.keep_path = scratch.string();
  }
  struct Remove {
    std::filesystem::path p;
    ~Remove() {
      std::error_code ec;
      if (!p.empty()) std::filesystem::remove(p, ec);
    }
  } remove_scratch{scratch};
  std::vector<JobResult> repeats;
  std::vector<DecodeResult> decodes;
  std::optional<DecodeResult> hashed;
  try {
    for (int w = 0; w < c.settings.warmup; ++w) (void)run_job_in_arena(spec);
    for (int k = 0; k < c.settings.repeats; ++k) repeats.push_back(run_job_in_arena(spec));
    if (job.decode_after) {
      DecodeSpec d;
      d.reset_peak_rss = c.settings.jobs == 1;
      d.input = spec.keep_path;
      d.threads = spec.threads;
      d.thread_type = spec.thread_type;
      std::tie(decodes, hashed) = measure_decode(d, c.settings.warmup, c.settings.repeats);
    }
  } catch (const std::exception& e) {
    return failed_record(job, c.machine, e);
  }
  JobRecord record = job_record(job, repeats, c.machine);
  if (job.decode_after)
    record.result["decode"] = decode_result_json(decodes, hashed ? &*hashed : nullptr);
  return record;
}

// Runs a job of any kind and makes its record; a failure is a failed record, never a throw.
JobRecord measure_job(const BatchJob& job, const JobContext& c) {
  switch (job.kind) {
    case JobKind::kDecode:
      return measure_decode_job(job, c);
    case JobKind::kEncode:
      break;
  }
  return measure_encode_job(job, c);
}

// The run's header as the sink gets it; the keep folder made first.
void open_run(RunRecord& header, std::size_t jobs, bool claims, const Preset& settings,
              ResultSink& sink) {
  header.jobs.clear();
  // With claims, how many jobs this process runs is known at the end only.
  header.jobs_total = claims ? 0 : static_cast<int>(jobs);
  header.status = RunStatus::kRunning;
  if (const std::string& dir = settings.output.keep_dir; !dir.empty()) {
    std::error_code ec;
    std::filesystem::create_directories(dir, ec);
    if (ec)
      throw InputError(fmt::format("{}: cannot create the keep folder ({})", dir, ec.message()));
  }
  sink.begin_run(header);
}

// Each key's position in the launch's plan.
std::map<std::string, int> positions(const std::vector<std::string>& planned_keys) {
  std::map<std::string, int> out;
  for (std::size_t k = 0; k < planned_keys.size(); ++k)
    out.emplace(planned_keys[k], static_cast<int>(k));
  return out;
}

// With claims, only the jobs this process claimed belong to its run.
void keep_claimed(RunRecord& run, const std::vector<char>& elsewhere, std::size_t lost) {
  std::vector<JobRecord> mine;
  mine.reserve(run.jobs.size() - lost);
  for (std::size_t i = 0; i < run.jobs.size(); ++i)
    if (elsewhere[i] == 0) mine.push_back(std::move(run.jobs[i]));
  run.jobs = std::move(mine);
  run.jobs_total = static_cast<int>(run.jobs.size());
}

// After a sink failed: closes the run where the sink still can and rethrows the sink's first
// failure, saying what was kept.
[[noreturn]] void close_after_sink_failure(const RunRecord& run, ResultSink& sink,
                                           const std::exception_ptr& sink_error, std::size_t stored,
                                           std::size_t total) {
  try {
    sink.finish_run(run);
  } catch (...) {  // the sink's first failure is the one to report
  }
  try {
    std::rethrow_exception(sink_error);
  } catch (const Error& e) {
    throw Error(fmt::format("{} ({} of {} jobs finished before it and are kept; the run is "
                            "marked failed)",
                            e.what(), stored, total),
                e.code());
  }
}

}  // namespace

RunRecord run_header(const PresetBundle& bundle, const std::string& preset_path, std::string uuid) {
  RunRecord h;
  h.uuid = uuid.empty() ? new_uuid() : std::move(uuid);
  for (const auto& j : bundle.jobs) h.planned_keys.push_back(j.key);
  h.started = now_iso8601();
  h.machine = MachineInfo::this_machine();
  if (!bundle.variants.empty()) h.preset_name = bundle.variants.front().name;
  h.preset_path = preset_path;
  h.preset_yaml = bundle.yaml;
  h.preset_hash = bundle.hash;
  return h;
}

BatchSummary run_batch(const Preset& settings, const std::vector<BatchJob>& jobs, RunRecord header,
                       ResultSink& sink, const BatchOptions& options) {
  const auto start = std::chrono::steady_clock::now();
  BatchSummary summary;
  follow_cpu_allotment();  // FFmpeg's automatic thread counts within a Slurm task's CPUs
  summary.warnings = oversubscription(settings, jobs);
  open_run(header, jobs.size(), static_cast<bool>(options.claim), settings, sink);
  RunRecord& run = summary.run;
  run = header;
  run.jobs.resize(jobs.size());
  const MachineInfo machine = MachineInfo::this_machine();
  const std::string scheduler_job = scheduler_job_id();
  const std::map<std::string, int> plan_position = positions(header.planned_keys);

  ReferenceCache references(settings.reference_budget_mib << 20);
  std::mutex mutex;
  std::size_t done = 0, failed = 0;
  std::vector<char> elsewhere(jobs.size(), 0);  // claimed by another process
  std::size_t lost = 0;
  // The first sink failure (a full disk under the store) or claim failure: no job starts after
  // it, the run is closed as interrupted where the sink still can, and the failure is rethrown
  // at the end.
  std::exception_ptr sink_error;
  std::atomic<bool> sink_failed{false};
  std::size_t stored = 0;          // finished jobs the sink took
  auto keep_first_failure = [&] {  // under the lock
    if (!sink_error) sink_error = std::current_exception();
    sink_failed = true;
  };
  auto finish = [&](std::size_t i, JobRecord record) {
    std::lock_guard lock(mutex);
    record.finished = record.status == JobStatus::kNotRun ? "" : now_iso8601();
    // The position in the launch's whole job list (a shard holds part of it).
    const auto pos = plan_position.find(record.key);
    record.index = pos != plan_position.end() ? pos->second : static_cast<int>(i);
    record.scheduler_job = scheduler_job;
    run.jobs[i] = std::move(record);
    const JobRecord& r = run.jobs[i];
    // Its own transaction (store) or line (JSON Lines): a killed run keeps this job.
    try {
      sink.record_job(header, r);
      if (r.status == JobStatus::kOk || r.status == JobStatus::kFailed) ++stored;
    } catch (...) {
      keep_first_failure();
    }
    if (r.status == JobStatus::kOk || r.status == JobStatus::kFailed) {
      ++done;
      if (r.status == JobStatus::kFailed) ++failed;
      if (options.on_event)
        options.on_event(
            {BatchEvent::Kind::kFinished, &jobs[i], &r, done, failed, jobs.size() - lost});
    }
  };
  // A job this process did not claim: no record, and not counted in its run.
  auto leave_out = [&](std::size_t i) {
    std::lock_guard lock(mutex);
    elsewhere[i] = 1;
    ++lost;
  };
  auto run_one = [&](std::size_t i) {
    const BatchJob& job = jobs[i];
    if (options.skip_keys.count(job.key) != 0)
      return finish(i, unmeasured(job, JobStatus::kSkipped, machine));
    if ((options.stop != nullptr && options.stop->load()) || sink_failed) {
      if (options.claim) return leave_out(i);  // unclaimed, so no one's yet: no record here
      return finish(i, unmeasured(job, JobStatus::kNotRun, machine));
    }
    if (options.claim) {
      bool mine = false;  // a claim that throws is not this process's either
      try {
        mine = options.claim(job);
      } catch (...) {
        std::lock_guard lock(mutex);
        keep_first_failure();
      }
      if (!mine) return leave_out(i);
    }
    if (options.on_event) {
      std::lock_guard lock(mutex);
      options.on_event(
          {BatchEvent::Kind::kStarted, &job, nullptr, done, failed, jobs.size() - lost});
    }
    finish(i, measure_job(job, {settings, references, machine}));
  };
  for_each_job(jobs.size(), settings.jobs, run_one);
  if (options.claim) keep_claimed(run, elsewhere, lost);
  summary.interrupted = (options.stop != nullptr && options.stop->load()) || sink_failed;
  run.status = sink_failed           ? RunStatus::kFailed
               : summary.interrupted ? RunStatus::kInterrupted
               : failed > 0          ? RunStatus::kFailedJobs
                                     : RunStatus::kOk;
  run.finished = now_iso8601();
  run.wall_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  if (sink_error) close_after_sink_failure(run, sink, sink_error, stored, jobs.size());
  sink.finish_run(run);
  return summary;
}

void check_jobs(const std::vector<BatchJob>& jobs) {
  for (const auto& j : jobs) {
    if (j.kind == JobKind::kDecode) continue;  // decoders are checked when the preset is read
    const AVCodec* c = avcodec_find_encoder_by_name(j.spec.encoder.c_str());
    if (c == nullptr) {
      std::string hint;
      for (const auto& s : suggest_codec_names(j.spec.encoder))
        hint += (hint.empty() ? "" : ", ") + s;
      throw UsageError(fmt::format("encoders.{}: no encoder '{}' in this FFmpeg{}", j.encoder_label,
                                   j.spec.encoder,
                                   hint.empty() ? "" : " (did you mean: " + hint + "?)"));
    }
    for (const auto& m : j.spec.metrics) {
      if (m == "none") continue;
      (void)find_metric(m, c->type == AVMEDIA_TYPE_AUDIO ? MediaType::kAudio : MediaType::kVideo);
    }
  }
}

}  // namespace codecbench
