#include "codecbench/run/sweep.hpp"

#include <fmt/core.h>

#include <algorithm>
#include <chrono>
#include <map>
#include <set>
#include <thread>

#include "codecbench/core/error.hpp"
#include "codecbench/core/limits.hpp"
#include "codecbench/media/decode.hpp"
#include "codecbench/media/reference_cache.hpp"
#include "codecbench/run/executor.hpp"
#include "codecbench/store/run_record.hpp"

namespace codecbench {

const char* sweep_level_name(SweepLevel level) noexcept {
  switch (level) {
    case SweepLevel::kCodec:
      return "codec";
    case SweepLevel::kJobs:
      return "jobs";
    case SweepLevel::kGrid:
      return "grid";
    case SweepLevel::kRanks:
      return "ranks";
  }
  return "?";
}

namespace {

using Clock = std::chrono::steady_clock;

double work_of(const JobResult& r) {
  return r.type == MediaType::kAudio ? r.duration_s : static_cast<double>(r.frames);
}

struct RunOutcome {
  double seconds = 0;
  double work = 0;
  std::set<std::string> thread_types;
};

// Runs `jobs` once: `concurrency` at a time, each with `threads` codec threads in an arena of
// that size; a fresh reference cache per run so every run does the same work.
RunOutcome run_workload(const std::vector<BatchJob>& jobs, int threads, int concurrency) {
  ReferenceCache references;
  std::vector<JobResult> results(jobs.size());
  std::vector<std::string> errors(jobs.size());
  const auto start = Clock::now();
  std::vector<DecodeResult> decodes(jobs.size());
  for_each_job(jobs.size(), concurrency, [&](std::size_t i) {
    try {
      if (jobs[i].kind == JobKind::kDecode) {
        // A decode job: the decoder with N threads, timed alone (no hashing).
        DecodeSpec d = jobs[i].decode;
        d.threads = threads;
        d.md5 = false;
        d.reset_peak_rss = false;  // other jobs may run at once; no peak is reported here
        decodes[i] = run_decode(d);
        if (d.max_frames > 0 && decodes[i].frames < d.max_frames) {
          throw UsageError(fmt::format(
              "weak scaling needs {} frames of {}, which has {}: trim the input (frames:) so "
              "that N times it fits the stream",
              d.max_frames, jobs[i].input, decodes[i].frames));
        }
        return;
      }
      JobSpec spec = jobs[i].spec;
      spec.threads = threads;
      spec.references = &references;
      results[i] = run_job_in_arena(spec);
    } catch (const std::exception& e) {
      errors[i] = e.what();
    }
  });
  RunOutcome out;
  out.seconds = std::chrono::duration<double>(Clock::now() - start).count();
  for (std::size_t i = 0; i < jobs.size(); ++i) {
    if (!errors[i].empty()) {
      throw Error(fmt::format("{} {} on {}: {}", jobs[i].encoder_label,
                              options_text(jobs[i].spec.options), jobs[i].input, errors[i]));
    }
  }
  // Decode jobs one at a time: the decoders' own time (packets in memory, no hashing), as
  // `codecbench decode` reports it, not opening and reading the streams.
  const bool all_decode = std::all_of(jobs.begin(), jobs.end(),
                                      [](const BatchJob& j) { return j.kind == JobKind::kDecode; });
  if (all_decode && concurrency == 1) {
    out.seconds = 0;
    for (const auto& d : decodes) out.seconds += d.decode_s;
  }
  for (std::size_t i = 0; i < jobs.size(); ++i) {
    if (jobs[i].kind == JobKind::kDecode) {
      out.work += static_cast<double>(decodes[i].frames);
      out.thread_types.insert(decodes[i].decoder_thread_type);
    } else {
      out.work += work_of(results[i]);
      out.thread_types.insert(results[i].encoder_thread_type);
    }
  }
  return out;
}

// N times the frames (or duration) of every input: weak scaling at the codec level.
std::vector<BatchJob> scaled_inputs(const std::vector<BatchJob>& jobs, int n) {
  std::vector<BatchJob> out = jobs;
  for (auto& j : out) {
    auto& in = j.spec.input;
    if (j.kind == JobKind::kDecode) {
      if (j.decode.max_frames <= 0) {
        throw UsageError(fmt::format(
            "weak scaling at the codec level decodes N times the frames: give input '{}' a "
            "frames: trim in the preset",
            j.input));
      }
      j.decode.max_frames *= n;
      continue;
    }
    if (in.max_frames > 0) {
      in.max_frames *= n;
    } else if (in.duration_s > 0) {
      in.duration_s *= n;
    } else {
      throw UsageError(fmt::format(
          "weak scaling at the codec level grows each input N times: give input '{}' a frames: "
          "or duration: trim in the preset",
          j.input));
    }
  }
  return out;
}

std::vector<BatchJob> replicated(const std::vector<BatchJob>& jobs, int n) {
  std::vector<BatchJob> out;
  for (int k = 0; k < n; ++k) out.insert(out.end(), jobs.begin(), jobs.end());
  return out;
}

// Fits, warnings: the analysis every non-grid level shares.
void analyse(SweepResult& r) {
  r.points = analyse_scaling(r.samples, r.spec.mode, r.work);
  if (r.samples.size() >= 2) r.fit = fit_with_interval(r.samples, r.spec.mode);
  for (const auto& p : r.points) {
    if (p.cv > 0.05) {
      r.warnings.push_back(fmt::format("N={}: run-to-run variation {:.1f}% (above 5%): add repeats",
                                       p.n, 100 * p.cv));
    }
    const auto outliers = std::count(p.outliers.begin(), p.outliers.end(), true);
    if (outliers > 0) {
      r.warnings.push_back(
          fmt::format("N={}: {} outlier repeat(s) by modified z-score", p.n, outliers));
    }
  }
}

// Level ranks: N worker processes (MPI ranks) run the job list; weak mode gives them N copies.
// Work is counted in jobs. The launch of the processes is part of the measured time: it is
// part of what running on N ranks costs, and Amdahl's serial fraction shows it.
SweepResult sweep_ranks(const std::vector<BatchJob>& jobs, const SweepSpec& spec,
                        const SweepProgress& progress, SweepResult r) {
  if (!spec.run_ranks) throw UsageError("--level ranks: no way to start MPI ranks here");
  for (int n : r.spec.counts) {
    const int replicas = spec.mode == ScalingMode::kWeak ? n : 1;
    ScalingSample s{n, {}};
    for (int w = 0; w < spec.warmup; ++w) (void)spec.run_ranks(n, replicas);
    for (int k = 0; k < spec.repeats; ++k) {
      s.times.push_back(spec.run_ranks(n, replicas));
      if (progress)
        progress(
            fmt::format("ranks={} repeat {}/{}: {:.3f} s", n, k + 1, spec.repeats, s.times.back()));
    }
    r.samples.push_back(s);
    r.work.push_back(static_cast<double>(jobs.size()) * replicas);
    r.oversubscribed.push_back(n + 1 > r.logical_cores);  // rank 0 coordinates
  }
  analyse(r);
  return r;
}

}  // namespace

namespace {

void check_spec(const std::vector<BatchJob>& jobs, const SweepSpec& spec) {
  if (jobs.empty()) throw UsageError("the preset gives no jobs to sweep");
  if (spec.counts.empty()) throw UsageError("--threads: give at least one count");
  if (spec.repeats < 1) throw UsageError("--repeats must be at least 1");
  for (int n : spec.counts) {
    if (n < 1) throw UsageError(fmt::format("--threads: counts must be positive (got {})", n));
    if (n > limits::kThreads) {
      throw UsageError(fmt::format("--threads: {} is above the limit of {}", n, limits::kThreads));
    }
  }
}

// At the codec level, encoders apart from decoders, and decoders by thread type: each group
// its own points and fit. The groups in order (encoders first), or one group of all jobs.
std::vector<std::vector<BatchJob>> codec_groups(const std::vector<BatchJob>& jobs) {
  std::vector<BatchJob> enc;
  std::vector<std::pair<std::string, std::vector<BatchJob>>> dec;  // by thread type, in order
  for (const auto& j : jobs) {
    if (j.kind != JobKind::kDecode) {
      enc.push_back(j);
      continue;
    }
    auto it = std::find_if(dec.begin(), dec.end(),
                           [&](const auto& g) { return g.first == j.decode.thread_type; });
    if (it == dec.end()) it = dec.insert(dec.end(), {j.decode.thread_type, {}});
    it->second.push_back(j);
  }
  std::vector<std::vector<BatchJob>> groups;
  if (!enc.empty()) groups.push_back(std::move(enc));
  for (auto& [type, g] : dec) groups.push_back(std::move(g));
  return groups;
}

// The result's workload, thread type, sorted counts, machine and a warning when a strong sweep
// over jobs has fewer jobs than workers.
SweepResult sweep_header(const std::vector<BatchJob>& jobs, const SweepSpec& spec) {
  SweepResult r;
  r.spec = spec;
  const auto decodes = std::count_if(jobs.begin(), jobs.end(),
                                     [](const BatchJob& j) { return j.kind == JobKind::kDecode; });
  const bool all_decodes = decodes == static_cast<std::ptrdiff_t>(jobs.size());
  if (decodes > 0 && all_decodes) {
    r.thread_type =
        jobs.front().decode.thread_type.empty() ? "default" : jobs.front().decode.thread_type;
  }
  r.workload = decodes == 0 ? "encode" : all_decodes ? "decode" : "mixed";
  std::sort(r.spec.counts.begin(), r.spec.counts.end());
  r.spec.counts.erase(std::unique(r.spec.counts.begin(), r.spec.counts.end()), r.spec.counts.end());
  if (spec.level != SweepLevel::kCodec && spec.mode == ScalingMode::kStrong &&
      jobs.size() < static_cast<std::size_t>(r.spec.counts.back())) {
    r.warnings.push_back(
        fmt::format("the preset gives {} job(s): with up to {} concurrent jobs some workers have "
                    "nothing to do; "
                    "add inputs or an option axis, or use --mode weak",
                    jobs.size(), r.spec.counts.back()));
  }
  const MachineInfo machine = MachineInfo::this_machine();
  r.physical_cores = machine.physical_cores;
  r.logical_cores = machine.logical_cores;
  return r;
}

// Times workloads: warm-up runs, then the repeats, each reported; the codec thread types seen.
struct Measurer {
  const SweepSpec& spec;
  const SweepProgress& progress;
  std::set<std::string> thread_types;

  ScalingSample measure(const std::vector<BatchJob>& work, int threads, int concurrency,
                        const std::string& label, double& units) {
    ScalingSample s{threads * concurrency, {}};
    for (int w = 0; w < spec.warmup; ++w) (void)run_workload(work, threads, concurrency);
    for (int k = 0; k < spec.repeats; ++k) {
      const RunOutcome o = run_workload(work, threads, concurrency);
      s.times.push_back(o.seconds);
      units = o.work;
      thread_types.insert(o.thread_types.begin(), o.thread_types.end());
      if (progress)
        progress(fmt::format("{} repeat {}/{}: {:.3f} s", label, k + 1, spec.repeats, o.seconds));
    }
    return s;
  }
};

// check_exact: each decode job's frames at N threads against the smallest N's.
struct FrameCheck {
  std::map<std::size_t, DecodeResult> baseline;

  void check(const std::vector<BatchJob>& work, int n, std::vector<SweepExactness>& out) {
    for (std::size_t i = 0; i < work.size(); ++i) {
      if (work[i].kind != JobKind::kDecode) continue;
      DecodeSpec d = work[i].decode;
      d.threads = n;
      d.md5 = true;
      d.keep_frame_md5 = true;
      DecodeResult h = run_decode(d);
      SweepExactness e;
      e.job = fmt::format("{} on {}", work[i].encoder_label, work[i].input);
      e.n = n;
      e.md5 = h.output_md5;
      const auto base = baseline.find(i);
      if (base == baseline.end()) {
        baseline.emplace(i, std::move(h));
      } else {
        const ExactnessDifference diff = compare_decodes(base->second, h);
        e.identical = diff.identical;
        if (!diff.identical) {
          e.reason = fmt::format("{} threads against {}: {}", n, base->second.threads_requested,
                                 diff.reason);
        }
      }
      out.push_back(std::move(e));
    }
  }
};

// Every threads x jobs cell within the largest count, and the best by throughput.
void sweep_grid(const std::vector<BatchJob>& jobs, const SweepSpec& spec, Measurer& m,
                SweepResult& r) {
  const int budget = r.spec.counts.back();
  for (int t : r.spec.counts) {
    for (int j : r.spec.counts) {
      if (t * j > budget) continue;
      SweepCell c;
      c.threads = t;
      c.jobs = j;
      c.sample = m.measure(spec.mode == ScalingMode::kWeak ? replicated(jobs, j) : jobs, t, j,
                           fmt::format("threads={} jobs={}", t, j), c.work);
      c.throughput = c.work / median_of(c.sample.times);
      c.oversubscribed = t * j > r.physical_cores;
      r.grid.push_back(c);
    }
  }
  for (const auto& c : r.grid) {
    if (!r.best || c.throughput > r.best->throughput) r.best = c;
  }
}

// One point per count: codec threads, or concurrent jobs; weak scaling grows the work with N.
void sweep_points(const std::vector<BatchJob>& jobs, const SweepSpec& spec, Measurer& m,
                  SweepResult& r) {
  FrameCheck frames;
  for (int n : r.spec.counts) {
    std::vector<BatchJob> work = jobs;
    int threads = 1, concurrency = 1;
    if (spec.level == SweepLevel::kCodec) {
      threads = n;
      if (spec.mode == ScalingMode::kWeak) work = scaled_inputs(jobs, n);
    } else {
      concurrency = n;
      if (spec.mode == ScalingMode::kWeak) work = replicated(jobs, n);
    }
    double units = 0;
    ScalingSample s = m.measure(work, threads, concurrency, fmt::format("N={}", n), units);
    if (spec.check_exact) frames.check(work, n, r.exactness);
    s.n = n;
    r.samples.push_back(s);
    r.work.push_back(units);
    r.oversubscribed.push_back(n > r.physical_cores);
  }
  analyse(r);
}

}  // namespace

SweepResult run_sweep(const std::vector<BatchJob>& jobs, const SweepSpec& spec,
                      const SweepProgress& progress) {
  check_spec(jobs, spec);
  if (spec.level == SweepLevel::kCodec) {
    auto groups = codec_groups(jobs);
    if (groups.size() > 1) {
      SweepResult r = run_sweep(groups.front(), spec, progress);
      for (std::size_t g = 1; g < groups.size(); ++g)
        r.decoders.push_back(run_sweep(groups[g], spec, progress));
      return r;
    }
  }
  SweepResult r = sweep_header(jobs, spec);
  if (spec.level == SweepLevel::kRanks) return sweep_ranks(jobs, spec, progress, std::move(r));
  if (spec.check_exact && (spec.level != SweepLevel::kCodec || spec.mode != ScalingMode::kStrong))
    throw UsageError(
        "--check-exact compares decoders' frames across thread counts: it needs "
        "--level codec and --mode strong");
  Measurer m{spec, progress, {}};
  if (spec.level == SweepLevel::kGrid) {
    sweep_grid(jobs, spec, m, r);
  } else {
    sweep_points(jobs, spec, m, r);
  }
  r.thread_types.assign(m.thread_types.begin(), m.thread_types.end());
  return r;
}

}  // namespace codecbench

namespace codecbench {

void to_json(nlohmann::json& j, const SweepResult& r) {
  const bool strong = r.spec.mode == ScalingMode::kStrong;
  j = {{"schema_version", 1},
       {"level", sweep_level_name(r.spec.level)},
       {"mode", strong ? "strong" : "weak"},
       {"counts", r.spec.counts},
       {"repeats", r.spec.repeats},
       {"warmup", r.spec.warmup},
       {"physical_cores", r.physical_cores},
       {"logical_cores", r.logical_cores},
       {"encoder_thread_types", r.thread_types},
       {"workload", r.workload},
       {"warnings", r.warnings}};
  if (!r.thread_type.empty()) j["thread_type"] = r.thread_type;
  if (!r.decoders.empty()) j["decoders"] = r.decoders;
  if (r.spec.check_exact) {
    auto ex = nlohmann::json::array();
    for (const auto& e : r.exactness) {
      ex.push_back({{"job", e.job},
                    {"threads", e.n},
                    {"md5", e.md5},
                    {"identical", e.identical},
                    {"reason", e.reason}});
    }
    j["exactness"] = ex;
  }
  auto points = nlohmann::json::array();
  for (std::size_t i = 0; i < r.points.size(); ++i) {
    const ScalingPoint& p = r.points[i];
    nlohmann::json pj = {{"n", p.n},
                         {"times_s", r.samples[i].times},
                         {"median_s", p.median},
                         {"min_s", p.min},
                         {"max_s", p.max},
                         {"cv", p.cv},
                         {"outliers", p.outliers},
                         {strong ? "speedup" : "scaled_speedup", p.speedup},
                         {"efficiency", p.efficiency},
                         {"work", r.work[i]},
                         {"throughput", p.throughput},
                         {"oversubscribed", static_cast<bool>(r.oversubscribed[i])}};
    pj["karp_flatt"] = p.karp_flatt ? nlohmann::json(*p.karp_flatt) : nlohmann::json(nullptr);
    points.push_back(std::move(pj));
  }
  j["points"] = std::move(points);
  if (r.fit) {
    j["fit"] = {{"law", strong ? "amdahl" : "gustafson"},
                {"parameter", strong ? "f" : "s"},
                {"value", r.fit->value},
                {"ci95", {r.fit->low, r.fit->high}},
                {"rmse", r.fit->rmse}};
  }
  if (!r.grid.empty()) {
    auto grid = nlohmann::json::array();
    for (const auto& c : r.grid) {
      grid.push_back({{"threads", c.threads},
                      {"jobs", c.jobs},
                      {"times_s", c.sample.times},
                      {"median_s", median_of(c.sample.times)},
                      {"work", c.work},
                      {"throughput", c.throughput},
                      {"oversubscribed", c.oversubscribed}});
    }
    j["grid"] = std::move(grid);
    if (r.best)
      j["best"] = {
          {"threads", r.best->threads}, {"jobs", r.best->jobs}, {"throughput", r.best->throughput}};
  }
}

}  // namespace codecbench
