// `codecbench run PRESET [overrides]` and `codecbench config PRESET [overrides]`.
#include <fmt/core.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cmath>
#include <csignal>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <optional>
#include <regex>

#include "codecbench/cluster/mpi_run.hpp"
#include "codecbench/cluster/shard.hpp"
#include "codecbench/cluster/slurm.hpp"
#include "codecbench/config/config.hpp"
#include "codecbench/config/preset.hpp"
#include "codecbench/config/preset_path.hpp"
#include "codecbench/core/error.hpp"
#include "codecbench/core/files.hpp"
#include "codecbench/core/install.hpp"
#include "codecbench/report/views.hpp"
#include "codecbench/run/batch.hpp"
#include "codecbench/store/merge.hpp"
#include "codecbench/store/sink.hpp"
#include "codecbench/store/store.hpp"
#include "commands.hpp"
#include "output.hpp"

namespace codecbench::cli {
namespace {

std::atomic<bool> g_stop{false};  // set by SIGINT/SIGTERM: the one global, for the handler

// SIGINT (^C) and SIGTERM (what Slurm sends at a time limit, and kill's default) stop the run
// the same way: no job starts after it, the running ones finish, the run is closed as
// interrupted (the stream gets its end line). A second signal ends the process at once.
extern "C" void on_stop_signal(int sig) {
  if (g_stop.exchange(true)) std::_Exit(128 + sig);
}

struct RunSettings {
  std::string preset;
  std::vector<std::string> overrides;
  bool multirun = false;
  bool resume = false;
  bool dry_run = false;
  std::string store;
  std::string stream;
  std::string shard;     // K/N; from Slurm's array variables when empty
  std::string run_uuid;  // shared by the shards of one launch
  std::string costs;     // a store or run document with earlier timings
  std::string claims;    // folder of job claims shared by the shards (dynamic balance)
  bool mpi = false;      // mpirun -n N codecbench run --mpi
  int replicas = 1;      // the job list this many times over (weak scaling over ranks)
  bool force = false;    // overwrite output files codecbench did not write
  OutputOptions out;
};

// Where the run writes, said before anything is written (and by --dry-run), and checked: a
// preset's output.json or output.csv may not replace a file codecbench did not write.
void announce_outputs(const RunSettings& s, const Preset& first) {
  // No output may be the store (or its -wal/-shm): it would destroy every run in it.
  const std::string store = store_file(s.store.empty() ? first.output.store : s.store);
  const std::string store_role = "the results store";
  refuse_outputs_over(s.out, store, store_role);
  refuse_same_file(s.stream, "--stream", store, store_role);
  std::string text;
  for (const auto& [role, path] : output_paths(first, s.store)) {
    if (role != "store") refuse_same_file(path, role, store, store_role);
    const bool replaced =
        (role == "output.json" && s.out.json()) || (role == "output.csv" && s.out.csv());
    if (replaced) continue;  // the command line names where that format goes
    if (role == "output.json") check_overwrite(path, OutputKind::kJson, role, s.force);
    if (role == "output.csv") check_overwrite(path, OutputKind::kCsv, role, s.force);
    text += fmt::format("{}{} {}", text.empty() ? "" : ", ", role, path);
  }
  if (!s.stream.empty()) text += fmt::format(", stream {}", s.stream == "-" ? "stdout" : s.stream);
  if (!s.out.quiet) std::fprintf(stderr, "writes: %s\n", text.c_str());
}

// The jobs this process runs: all of them, or its shard's.
std::vector<BatchJob> my_jobs(const RunSettings& s, const PresetBundle& l,
                              std::optional<ShardSpec>& shard) {
  shard = !s.shard.empty() ? std::optional<ShardSpec>(parse_shard(s.shard)) : shard_from_slurm();
  if (!shard || shard->count == 1) return l.jobs;
  std::vector<RunRecord> earlier;
  if (!s.costs.empty()) earlier = read_runs(s.costs);
  if (!s.claims.empty()) return claim_order(l.jobs, *shard, measured_wall_times(earlier));
  return shard_jobs(l.jobs, *shard, measured_wall_times(earlier));
}

// Who holds a claim: "shard K/N on HOST, pid P".
std::string claimant(const std::optional<ShardSpec>& shard) {
  char host[256] = {};
  if (::gethostname(host, sizeof host - 1) != 0) host[0] = '\0';
  return fmt::format("shard {} on {}, pid {}", shard ? shard->text() : "1/1",
                     host[0] != '\0' ? host : "?", static_cast<long>(::getpid()));
}

std::string run_uuid(const RunSettings& s, const PresetBundle& l) {
  if (!s.run_uuid.empty()) {
    static const std::regex kUuid("^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$");
    if (!std::regex_match(s.run_uuid, kUuid))
      throw UsageError(
          fmt::format("--run-uuid '{}': not a UUID in lower-case hex "
                      "(xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx)",
                      s.run_uuid));
    return s.run_uuid;
  }
  const std::string slurm = slurm_array_run_uuid(l.hash);
  return slurm.empty() ? new_uuid() : slurm;
}

PresetBundle load(const RunSettings& s, bool expand = true) {
  return load_bundle(s.preset, s.overrides, s.multirun, expand);
}

std::function<void(const BatchEvent&)> progress(bool quiet) { return batch_progress(quiet); }

}  // namespace

std::function<void(const BatchEvent&)> batch_progress(bool quiet) {
  if (quiet) return {};
  const bool tty = stderr_is_tty();
  const auto start = std::chrono::steady_clock::now();
  return [tty, start](const BatchEvent& e) {
    const double elapsed =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    if (tty) {
      const double eta =
          e.done > 0 ? elapsed / static_cast<double>(e.done) * static_cast<double>(e.total - e.done)
                     : 0;
      const int bar = e.total > 0 ? static_cast<int>(20 * e.done / e.total) : 0;
      std::fprintf(stderr, "\r\033[K[%s%s] %zu/%zu, %zu failed, %.0f s, ETA %.0f s: %s %s",
                   std::string(static_cast<std::size_t>(bar), '#').c_str(),
                   std::string(static_cast<std::size_t>(20 - bar), '.').c_str(), e.done, e.total,
                   e.failed, elapsed, eta, e.job->encoder_label.c_str(),
                   e.result != nullptr ? job_options_text(*e.result).c_str()
                                       : options_text(e.job->spec.options).c_str());
    } else if (e.kind == BatchEvent::Kind::kFinished) {
      const bool failed = e.result->status == JobStatus::kFailed;
      std::fprintf(stderr, "[%zu/%zu] %s %s on %s: %s%s\n", e.done, e.total,
                   e.job->encoder_label.c_str(), job_options_text(*e.result).c_str(),
                   e.job->input.c_str(), job_status_name(e.result->status),
                   failed ? (": " + e.result->error).c_str() : "");
    }
    std::fflush(stderr);
  };
}

namespace {

int dry_run(const RunSettings& s, const std::vector<BatchJob>& jobs) {
  // The job list as it would run: checked, expanded, nothing encoded or stored.
  View v;
  v.table.header = {"key", "input", "encoder", "options", "variant"};
  v.document = nlohmann::json::array();
  for (const auto& j : jobs) {
    nlohmann::json o = nlohmann::json::array();
    for (const auto& [k, val] : j.spec.options) o.push_back({k, val});
    const bool decode = j.kind == JobKind::kDecode;
    nlohmann::json rec = {{"key", j.key},
                          {"kind", job_kind_name(j.kind)},
                          {"input", j.input},
                          {"encoder_label", j.encoder_label},
                          {"encoder", decode ? j.decode.decoder : j.spec.encoder},
                          {"options", o},
                          {"variant", j.variant},
                          {"threads", j.spec.threads}};
    if (!decode && j.spec.scale.active()) rec["scale"] = scale_text(j.spec.scale);
    v.document.push_back(rec);
    v.records.push_back(rec);
    std::string opts = options_text(j.spec.options);
    if (decode) {
      opts = fmt::format("decode threads={}{}", j.decode.threads,
                         j.decode.thread_type.empty() ? "" : " type=" + j.decode.thread_type);
    } else if (j.decode_after) {
      opts += (opts.empty() ? "" : " ") + std::string("+decode");
    }
    if (!decode && j.spec.scale.active()) {
      opts += (opts.empty() ? "scale=" : " scale=") + scale_text(j.spec.scale);
    }
    v.table.rows.push_back({j.key, j.input, j.encoder_label, opts, j.variant});
  }
  emit(v, s.out);
  if (!s.out.quiet) std::fprintf(stderr, "%zu jobs\n", jobs.size());
  return 0;
}

int run(const RunSettings& s) {
  if (!s.claims.empty() && s.mpi)
    throw UsageError("--claims: not with --mpi (rank 0 hands out the jobs itself)");
  std::unique_ptr<MpiSession> mpi;
  if (s.mpi) mpi = std::make_unique<MpiSession>();
  PresetBundle l = load(s);
  check_jobs(l.jobs);
  if (s.replicas < 1 || s.replicas > 10000)
    throw UsageError(fmt::format("--replicas {}: from 1 to 10000", s.replicas));
  if (s.replicas > 1) l.jobs = replicate_jobs(l.jobs, s.replicas);
  if (mpi && mpi->rank() > 0) {  // a worker: runs what rank 0 sends, prints nothing
    mpi_work(*mpi, l.variants.front(), l.jobs);
    return 0;
  }
  std::optional<ShardSpec> shard;
  const std::vector<BatchJob> jobs = my_jobs(s, l, shard);
  const Preset& first = l.variants.front();
  announce_outputs(s, first);
  if (s.dry_run) return dry_run(s, jobs);
  RunRecord header = run_header(l, s.preset, run_uuid(s, l));
  header.shard = shard && shard->count > 1 ? shard->text() : "";
  // The claims folder first: one of another launch is refused before anything is written.
  std::optional<JobClaims> claims;
  if (!s.claims.empty()) claims.emplace(s.claims, claimant(shard), header.uuid);
  if (!(mpi && mpi->size() > 1)) {
    warn_about_machine(header.machine, cores_wanted(first, header.machine.logical_cores),
                       s.out.quiet);
  }
  const auto store = open_store(s.store.empty() ? first.output.store : s.store);
  StoreSink store_sink(*store);
  SinkList sinks;
  sinks.add(store_sink);
  std::unique_ptr<JsonLinesSink> stream;
  if (!s.stream.empty()) {
    stream = std::make_unique<JsonLinesSink>(s.stream);
    sinks.add(*stream);
  }
  BatchOptions opts;
  if (s.resume) opts.skip_keys = store->completed_keys(l.hash);
  if (claims) opts.claim = [&claims](const BatchJob& j) { return claims->claim(j.key); };
  opts.stop = &g_stop;
  opts.on_event = progress(s.out.quiet);
  std::signal(SIGINT, on_stop_signal);
  std::signal(SIGTERM, on_stop_signal);
  BatchSummary summary;
  if (mpi && mpi->size() > 1) {
    try {
      summary = mpi_coordinate(*mpi, jobs, header, sinks, opts);
    } catch (const Error& e) {
      // Workers may still be running jobs; a normal finalize would wait for them forever.
      std::fprintf(stderr, "codecbench: error: %s\n", e.what());
      std::fflush(stderr);
      mpi->abort(static_cast<int>(e.code()));
    }
  } else {
    summary = run_batch(first, jobs, header, sinks, opts);
  }
  std::signal(SIGINT, SIG_DFL);
  std::signal(SIGTERM, SIG_DFL);
  const RunRecord& r = summary.run;
  if (!s.out.quiet) {
    if (stderr_is_tty()) std::fprintf(stderr, "\r\033[K");
    for (const auto& w : summary.warnings)
      std::fprintf(stderr, "codecbench: warning: %s\n", w.c_str());
    std::fprintf(stderr,
                 "run %lld (%s%s%s): %zu jobs in %.1f s, %zu failed, %zu skipped%s; store %s\n",
                 static_cast<long long>(r.id), r.uuid.c_str(), r.shard.empty() ? "" : ", shard ",
                 r.shard.c_str(), r.jobs.size(), r.wall_s, r.count(JobStatus::kFailed),
                 r.count(JobStatus::kSkipped), summary.interrupted ? ", interrupted" : "",
                 store->location().c_str());
    if (claims && r.jobs.size() < jobs.size() && !summary.interrupted) {
      std::fprintf(stderr,
                   "codecbench: note: %zu of %zu jobs were claimed by other processes of "
                   "this run in %s%s\n",
                   jobs.size() - r.jobs.size(), jobs.size(), claims->folder().c_str(),
                   r.jobs.empty() ? "; this one ran none" : "");
    }
  }
  const View view = run_view(r);
  // The preset's output.json / output.csv, unless the command line names where they go.
  if (!first.output.json.empty() && !s.out.json())
    write_output(first.output.json, exporter("json").render(view, {}));
  if (!first.output.csv.empty() && !s.out.csv())
    write_output(first.output.csv, exporter("csv").render(view, {}));
  emit(view, s.out);
  if (summary.interrupted) return static_cast<int>(ExitCode::kInterrupted);
  if (r.count(JobStatus::kFailed) > 0) return static_cast<int>(ExitCode::kJobsFailed);
  return 0;
}

struct SlurmSettings {
  RunSettings run;
  int shards = 0;
  std::string split;  // dynamic | static ("": the preset's, else dynamic)
  std::string dir;
  bool submit = false;
  SlurmLaunch launch;
};

int slurm(SlurmSettings& s) {
  const PresetBundle l = load(s.run);
  check_jobs(l.jobs);
  if (l.jobs.empty()) throw UsageError("the preset gives no jobs");
  const Preset& first = l.variants.front();
  SlurmLaunch& launch = s.launch;
  launch.codecbench = executable_path();
  launch.preset = std::filesystem::absolute(s.run.preset).lexically_normal().string();
  launch.overrides = s.run.overrides;
  launch.preset_name = first.name;
  // The preset's launcher: section, each field overridden by the command line.
  const PresetLauncher& pl = first.launcher;
  if (launch.partition.empty()) launch.partition = pl.partition;
  if (launch.time.empty()) launch.time = pl.time;
  if (launch.account.empty()) launch.account = pl.account;
  if (launch.array_parallelism == 0) launch.array_parallelism = pl.array_parallelism;
  launch.dynamic = (!s.split.empty() ? s.split : pl.split) != "static";
  launch.sbatch_args.insert(launch.sbatch_args.begin(), pl.sbatch_args.begin(),
                            pl.sbatch_args.end());
  const int wanted = s.shards > 0 ? s.shards : pl.shards > 0 ? pl.shards : 8;
  if (wanted > kMaxShards) throw UsageError(fmt::format("--shards: at most {}", kMaxShards));
  launch.shards = std::min<int>(wanted, static_cast<int>(l.jobs.size()));
  int threads = 1;
  for (const auto& j : l.jobs) threads = std::max(threads, j.spec.threads);
  launch.cpus_per_task = std::max(1, first.jobs) * threads;
  launch.run_uuid = new_uuid();
  std::string dir = !s.dir.empty() ? s.dir : pl.dir;
  if (dir.empty()) dir = default_slurm_dir(first.name, launch.run_uuid);
  launch.dir = std::filesystem::absolute(dir).lexically_normal().string();
  View v;
  v.table.header = {"folder", "shards", "cpus/task", "run uuid", "array job", "merge job"};
  std::string array_job, merge_job;
  if (s.submit) {
    const SlurmSubmission sub = submit_slurm(launch);
    array_job = sub.array_job;
    merge_job = sub.merge_job;
    v.notes.push_back(
        fmt::format("results: {}/merged.sqlite when job {} ends; logs in {}/logs; squeue -j {},{}",
                    launch.dir, merge_job, launch.dir, array_job, merge_job));
  } else {
    write_slurm_scripts(launch);
    v.notes.push_back(
        fmt::format("submit: id=$(sbatch --parsable {0}/array.sbatch) && sbatch "
                    "--dependency=afterany:$id {0}/merge.sbatch   (or add --submit)",
                    launch.dir));
  }
  v.table.rows.push_back(
      {launch.dir, std::to_string(launch.shards), std::to_string(launch.cpus_per_task),
       launch.run_uuid, array_job.empty() ? "-" : array_job, merge_job.empty() ? "-" : merge_job});
  records_from_table(v);
  v.document = v.records.front();
  emit(v, s.run.out);
  return 0;
}

int print_config(const RunSettings& s) {
  const PresetBundle l = load(s, false);
  write_output("", l.yaml);
  return 0;
}

}  // namespace

void register_run(CLI::App& app, CommandRunner& runner) {
  auto s = std::make_shared<RunSettings>();
  auto* cmd = app.add_subcommand(
      "run", "Run a batch described by a YAML preset (OmegaConf/Hydra semantics)");
  cmd->add_option("PRESET", s->preset, kPresetHelp)->required();
  cmd->add_option("OVERRIDES", s->overrides, "Overrides: key=value, +key=value, ++key=value, ~key");
  cmd->add_flag("-m,--multirun", s->multirun,
                "Sweep: key=a,b,c and range(start,stop[,step]) expand to jobs");
  cmd->add_flag("--resume", s->resume,
                "Run only the jobs the store lacks for the same resolved preset");
  cmd->add_option("--store", s->store, "Results store (default: the preset's output.store)");
  cmd->add_flag("--dry-run", s->dry_run,
                "Check the preset and list its jobs and the files it would write, without "
                "running them");
  cmd->add_flag("--force", s->force,
                "Let the preset's output.json/output.csv replace a file codecbench did not write");
  cmd->add_option("--shard", s->shard,
                  "Run the K-th of N cost-balanced parts of the job list (default: from Slurm's "
                  "SLURM_ARRAY_TASK_* in a job array)")
      ->type_name("K/N");
  cmd->add_option("--run-uuid", s->run_uuid,
                  "The run's UUID: give the shards of one launch the same one (default: from "
                  "SLURM_ARRAY_JOB_ID in a job array, else new)");
  cmd->add_option("--costs", s->costs,
                  "Balance shards by the timings of earlier runs in this store or run document")
      ->type_name("STORE|FILE");
  cmd->add_option("--claims", s->claims,
                  "Balance shards dynamically: each job is claimed in this folder (shared by "
                  "every shard of the launch) before it runs, and a shard that has run its own "
                  "part takes the jobs the others have not started")
      ->type_name("DIR");
  cmd->add_flag("--mpi", s->mpi,
                "Under mpirun: rank 0 hands out jobs, longest first, to the other ranks and "
                "stores their results");
  cmd->add_option("--replicas", s->replicas,
                  "Run the job list this many times over, each copy its own jobs (the growing "
                  "work of weak-scaling measurements)")
      ->capture_default_str()
      ->check(bounded(1, 10000));
  cmd->add_option("--stream", s->stream,
                  "Also stream every job as JSON Lines to FILE as it finishes (- for stdout)")
      ->type_name("FILE");
  add_output_options(cmd, s->out);
  cmd->callback([s, &runner] {
    runner = [s] {
      s->preset = find_preset(s->preset);
      return run(*s);
    };
  });

  auto sl = std::make_shared<SlurmSettings>();
  auto* scmd = app.add_subcommand(
      "slurm", "Run a preset as a Slurm job array (a shard per task) with a merge job after it");
  scmd->add_option("PRESET", sl->run.preset, kPresetHelp)->required();
  scmd->add_option("OVERRIDES", sl->run.overrides, "Overrides as for run");
  scmd->add_option("--shards", sl->shards, "Array tasks (default: 8, at most one per job)")
      ->check(bounded(1, kMaxShards));
  scmd->add_option("--dir", sl->dir,
                   "Folder for the scripts, shard stores, logs and merged.sqlite (default: "
                   "./slurm-PRESET-UUID)");
  scmd->add_option("--partition", sl->launch.partition, "Slurm partition");
  scmd->add_option("--time", sl->launch.time, "Time limit per task, as sbatch takes it");
  scmd->add_option("--account", sl->launch.account, "Slurm account");
  scmd->add_option("--array-parallelism", sl->launch.array_parallelism,
                   "At most this many tasks at once (0: no limit)")
      ->check(bounded(0, kMaxShards));
  scmd->add_option("--sbatch-arg", sl->launch.sbatch_args,
                   "A further #SBATCH line, e.g. --sbatch-arg=--qos=short (repeatable)");
  scmd->add_option("--split", sl->split,
                   "dynamic (default): tasks claim jobs in the run folder, so one that finishes "
                   "early takes jobs the others have not started; static: each task runs "
                   "exactly its shard")
      ->check(CLI::IsMember({"dynamic", "static"}));
  scmd->add_flag("--submit", sl->submit, "Submit both jobs with sbatch and print their ids");
  scmd->add_flag("--force", sl->launch.force,
                 "Replace array.sbatch/merge.sbatch in the folder even if codecbench did not "
                 "write them (a link there is replaced, never written through)");
  add_output_options(scmd, sl->run.out);
  scmd->callback([sl, &runner] {
    runner = [sl] {
      sl->run.preset = find_preset(sl->run.preset);
      return slurm(*sl);
    };
  });

  auto c = std::make_shared<RunSettings>();
  auto* cfg =
      app.add_subcommand("config", "Print the fully resolved preset as YAML (Hydra's --cfg job)");
  cfg->add_option("PRESET", c->preset, kPresetHelp)->required();
  cfg->add_option("OVERRIDES", c->overrides, "Overrides as for run");
  cfg->add_flag("-m,--multirun", c->multirun, "Print every variant of the sweep");
  cfg->callback([c, &runner] {
    runner = [c] {
      c->preset = find_preset(c->preset);
      return print_config(*c);
    };
  });
}

}  // namespace codecbench::cli
