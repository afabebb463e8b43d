// `codecbench search INPUT -c ENC --param crf --range 10:51 --target vmaf=95`: the value of an
// encoder parameter that meets a quality target with the smallest size (search.hpp), every
// probe a stored job that a repeated search reuses.
#include <fmt/core.h>
#include <fmt/format.h>

#include <chrono>
#include <cmath>
#include <filesystem>
#include <memory>

#include "codecbench/config/preset.hpp"
#include "codecbench/core/error.hpp"
#include "codecbench/core/files.hpp"
#include "codecbench/core/fingerprint.hpp"
#include "codecbench/metrics/figures.hpp"
#include "codecbench/run/batch.hpp"
#include "codecbench/run/search.hpp"
#include "codecbench/store/store.hpp"
#include "commands.hpp"
#include "output.hpp"

namespace codecbench::cli {
namespace {

struct SearchSettings {
  std::vector<std::string> overrides;  // preset mode: INPUT is the preset
  CLI::Option* store_opt = nullptr;
  JobSpec job;
  std::vector<std::string> options;
  std::string param;
  std::string range;
  std::string target;
  std::string pool;
  std::vector<std::string> also;
  std::string metrics;
  int samples = 0;
  double sample_duration = 4;
  std::string store = kDefaultStoreLocation;
  bool no_store = false;
  OutputOptions out;
};

std::string num(double v) { return std::isfinite(v) ? fmt::format("{:.4f}", v) : "-"; }

nlohmann::json number_or_null(double v) {
  return std::isfinite(v) ? nlohmann::json(v) : nlohmann::json(nullptr);
}

nlohmann::json probe_json(const SearchProbe& p, const SearchSpec& spec) {
  nlohmann::json also = nlohmann::json::object();
  for (std::size_t k = 0; k < spec.also.size() && k < p.also.size(); ++k)
    also[spec.also[k].figure] = number_or_null(p.also[k]);
  return {{"value", p.value},
          {"quality", number_or_null(p.quality)},
          {"ci_low", number_or_null(p.ci_low)},
          {"ci_high", number_or_null(p.ci_high)},
          {"also", also},
          {"bitrate_kbps", p.bitrate_kbps},
          {"bytes", p.bytes},
          {"meets", p.meets},
          {"jobs_run", p.jobs},
          {"jobs_reused", p.reused},
          {"seconds", p.seconds},
          {"job_keys", p.keys}};
}

// One search's results as a view (its probes) with its document; `found` when it has an answer.
struct OneSearch {
  View view;
  bool found = false;
  std::string reason;
};

// Checks the settings that do not depend on the input and fills the search spec.
void parse_spec(const SearchSettings& s, const std::string& encoder, SearchSpec& spec) {
  spec.param = s.param;
  parse_range(s.range, spec);
  spec.target = parse_target(s.target, s.pool);
  for (const auto& c : s.also) spec.also.push_back(parse_constraint(c));
  // The parameter must be one the encoder has: one probe would otherwise fail after the first
  // encode's worth of time; FFmpeg's option table answers at once.
  const AVCodec* codec = avcodec_find_encoder_by_name(encoder.c_str());
  if (codec == nullptr) throw UsageError(fmt::format("no encoder named '{}'", encoder));
  av::CodecContextPtr ctx = av::make_codec_context(codec);
  if (av_opt_find(ctx.get(), s.param.c_str(), nullptr, 0, AV_OPT_SEARCH_CHILDREN) == nullptr) {
    throw UsageError(fmt::format("encoder '{}' has no option '{}' (codecbench codecs show {})",
                                 encoder, s.param, encoder));
  }
  if (s.samples < 0 || s.samples > 100) throw UsageError("--samples: from 1 to 100");
  if (s.samples > 0 && !(s.sample_duration > 0)) {
    throw UsageError("--sample-duration: a positive number of seconds");
  }
}

// The run a search's probes are stored under: a preset of its own, named by its settings.
RunRecord search_run_header(const SearchSettings& s, const QualitySearch& q) {
  RunRecord header;
  header.uuid = new_uuid();
  header.started = now_iso8601();
  header.machine = MachineInfo::this_machine();
  header.preset_name = "search";
  header.preset_path = q.base.input.uri;
  header.preset_yaml = fmt::format(
      "search: {{input: {}, encoder: {}, options: {}, param: {}, range: {}, target: {}, "
      "pool: {}, also: [{}], samples: {}, sample_duration: {}}}\n",
      q.identity, q.base.encoder, options_text(q.base.options), s.param, s.range, s.target, s.pool,
      fmt::format("{}", fmt::join(s.also, ", ")), s.samples, s.sample_duration);
  header.preset_hash = stable_hash(header.preset_yaml);
  return header;
}

// Closes the search's run: the jobs it encoded (reused ones belong to the runs that made them)
// and whether it found a value.
void finish_search_run(ResultStore& store, RunRecord& header, const QualitySearchResult& result,
                       double wall) {
  for (const auto& p : result.outcome.probes) header.jobs_total += p.jobs;
  if (result.full) header.jobs_total += result.full->jobs;
  header.status = result.outcome.chosen ? RunStatus::kOk : RunStatus::kFailedJobs;
  header.finished = now_iso8601();
  header.wall_s = wall;
  store.finish_run(header);
}

// The probes: a table row and a record each (the chosen one marked), and the document's list;
// `encoded` and `reused` count their jobs.
nlohmann::json add_probes(const std::string& param, const SearchSpec& spec, const SearchOutcome& o,
                          View& v, int& encoded, int& reused) {
  v.table.header = {param, "kbit/s", spec.target.figure, "95% interval"};
  for (const auto& c : spec.also) v.table.header.push_back(c.figure);
  v.table.header.push_back("meets");
  v.table.header.push_back("jobs");
  v.table.right = std::vector<bool>(v.table.header.size(), true);
  nlohmann::json probes = nlohmann::json::array();
  for (std::size_t i = 0; i < o.probes.size(); ++i) {
    const auto& p = o.probes[i];
    encoded += p.jobs;
    reused += p.reused;
    probes.push_back(probe_json(p, spec));
    nlohmann::json rec = probe_json(p, spec);
    rec.erase("also");
    rec.erase("job_keys");
    rec["chosen"] = o.chosen && *o.chosen == i;
    v.records.push_back(std::move(rec));
    std::vector<std::string> row{
        fmt::format("{:g}", p.value), fmt::format("{:.1f}", p.bitrate_kbps), num(p.quality),
        std::isfinite(p.ci_low) ? fmt::format("{:.3f}..{:.3f}", p.ci_low, p.ci_high) : "-"};
    for (double a : p.also) row.push_back(num(a));
    row.push_back(o.chosen && *o.chosen == i ? "CHOSEN" : p.meets ? "yes" : "no");
    row.push_back(p.jobs == 0 ? "stored" : std::to_string(p.jobs));
    v.table.rows.push_back(std::move(row));
  }
  return probes;
}

// The chosen value as the document's answer, and its note.
nlohmann::json answer_json(const std::string& param, const SearchSpec& spec, const SearchProbe& c,
                           std::vector<std::string>& notes) {
  const bool confident = std::isfinite(c.ci_low) && c.ci_low >= spec.target.min;
  notes.push_back(fmt::format(
      "{}={:g}: {} {:.4f} (95% interval {}), {:.1f} kbit/s; target {} >= {:g} {}", param, c.value,
      spec.target.figure, c.quality,
      std::isfinite(c.ci_low) ? fmt::format("{:.3f}..{:.3f}", c.ci_low, c.ci_high) : "n/a",
      c.bitrate_kbps, spec.target.figure, spec.target.min,
      confident ? "met with 95% confidence" : "met, but not with 95% confidence"));
  return {{"value", c.value},
          {"quality", c.quality},
          {"ci_low", number_or_null(c.ci_low)},
          {"ci_high", number_or_null(c.ci_high)},
          {"met_with_confidence", confident},
          {"bitrate_kbps", c.bitrate_kbps},
          {"bytes", c.bytes}};
}

// Sample mode's verifying full encode `f` of the chosen value `c`: in the answer with the
// samples' error, and as a note.
void add_full_encode(const std::string& param, const SearchSpec& spec, const SearchProbe& c,
                     const SearchProbe& f, nlohmann::json& answer,
                     std::vector<std::string>& notes) {
  const double rate_pct =
      f.bitrate_kbps > 0 ? 100.0 * (c.bitrate_kbps - f.bitrate_kbps) / f.bitrate_kbps : 0.0;
  answer["full"] = probe_json(f, spec);
  answer["sample_error"] = {{"quality", c.quality - f.quality}, {"bitrate_pct", rate_pct}};
  notes.push_back(fmt::format(
      "full encode at {}={:g}: {} {:.4f}, {:.1f} kbit/s ({}); the samples predicted {:+.4f} "
      "quality and {:+.1f}% rate off it",
      param, c.value, spec.target.figure, f.quality, f.bitrate_kbps,
      f.meets ? "meets the target" : "BELOW the target", c.quality - f.quality, rate_pct));
}

OneSearch search_one(const SearchSettings& s, QualitySearch q, ResultStore* store) {
  for (auto it = q.base.options.begin(); it != q.base.options.end();) {
    it = it->first == s.param ? q.base.options.erase(it) : it + 1;
  }
  q.samples = s.samples;
  q.sample_duration_s = s.sample_duration;
  if (s.samples > 0) q.input_duration_s = input_duration(q.base.input);
  RunRecord header;
  if (store != nullptr) {
    header = search_run_header(s, q);
    store->begin_run(header);
    q.store = store;
    q.run_id = header.id;
  }
  const auto started = std::chrono::steady_clock::now();
  auto on_probe = [&](const SearchProbe& p) {
    if (s.out.quiet) return;
    std::fprintf(stderr, "%s %s=%s: %s %s, %.1f kbit/s, %s%s\n", p.full ? "full encode" : "probe",
                 s.param.c_str(), fmt::format("{:g}", p.value).c_str(),
                 q.spec.target.figure.c_str(), num(p.quality).c_str(), p.bitrate_kbps,
                 p.meets ? "meets" : "below", p.jobs == 0 ? " (stored)" : "");
  };
  QualitySearchResult result;
  try {
    result = run_quality_search(q, on_probe);
  } catch (...) {
    if (store != nullptr) {
      header.status = RunStatus::kFailedJobs;
      header.finished = now_iso8601();
      store->finish_run(header);
    }
    throw;
  }
  const double wall =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  const SearchOutcome& o = result.outcome;
  if (store != nullptr) finish_search_run(*store, header, result, wall);

  OneSearch one;
  View& v = one.view;
  int encoded = 0, reused = 0;
  const nlohmann::json probes = add_probes(s.param, q.spec, o, v, encoded, reused);
  const std::size_t values = search_values(q.spec).size();
  nlohmann::json answer = nullptr;
  if (o.chosen) {
    const SearchProbe& c = o.probes[*o.chosen];
    answer = answer_json(s.param, q.spec, c, v.notes);
    if (result.full) {
      const SearchProbe& f = *result.full;
      add_full_encode(s.param, q.spec, c, f, answer, v.notes);
      encoded += f.jobs;
      reused += f.reused;
    }
  } else {
    v.notes.push_back(o.reason);
  }
  for (const auto& w : o.not_monotone) {
    v.notes.push_back(fmt::format("warning: quality not monotone in {}: {}", s.param, w));
  }
  v.notes.push_back(
      fmt::format("{} probes of {} values, {} encodes ({} reused from the store), "
                  "{:.1f} s{}",
                  o.probes.size(), values, encoded, reused, wall,
                  store != nullptr ? fmt::format("; store {}", store->location()) : ""));
  v.document = {
      {"schema_version", 1},
      {"input", q.base.input.uri},
      {"encoder", q.base.encoder},
      {"options", options_text(q.base.options)},
      {"param", s.param},
      {"range", {{"lo", q.spec.lo}, {"hi", q.spec.hi}, {"step", q.spec.step}}},
      {"values", values},
      {"target", {{"figure", q.spec.target.figure}, {"min", q.spec.target.min}}},
      {"also", nlohmann::json::array()},
      {"samples", s.samples},
      {"sample_duration_s", s.samples > 0 ? nlohmann::json(s.sample_duration) : nullptr},
      {"probes", probes},
      {"answer", answer},
      {"reason", o.reason},
      {"not_monotone", o.not_monotone},
      {"encodes", encoded},
      {"reused", reused},
      {"wall_s", wall},
      {"run_uuid", store != nullptr ? nlohmann::json(header.uuid) : nlohmann::json(nullptr)}};
  for (const auto& c : q.spec.also) {
    v.document["also"].push_back({{"figure", c.figure}, {"min", c.min}});
  }
  v.columns = {"value",  "bitrate_kbps", "quality",  "ci_low",      "ci_high", "meets",
               "chosen", "bytes",        "jobs_run", "jobs_reused", "seconds"};
  one.found = o.chosen.has_value();
  one.reason = o.reason;
  return one;
}

// `search PRESET [overrides]`: the preset's `search:` for every input and encoder.
// The results store probes are looked up in and recorded in (none with --no-store); no
// output may be it.
std::unique_ptr<ResultStore> open_search_store(const SearchSettings& s) {
  if (s.no_store) return nullptr;
  refuse_outputs_over(s.out, store_file(s.store), "the results store");
  return open_store(s.store);
}

// One search per input and encoder label: its first encode job (the searched option is
// removed from it by search_one).
std::vector<const BatchJob*> first_encode_jobs(const std::vector<BatchJob>& jobs) {
  std::vector<const BatchJob*> firsts;
  for (const auto& j : jobs) {
    if (j.kind != JobKind::kEncode) continue;
    const bool seen = std::any_of(firsts.begin(), firsts.end(), [&](const BatchJob* f) {
      return f->input == j.input && f->encoder_label == j.encoder_label;
    });
    if (!seen) firsts.push_back(&j);
  }
  return firsts;
}

int run_preset(SearchSettings& s) {
  const PresetBundle l = load_bundle(s.job.input.uri, s.overrides, false);
  const Preset& p = l.variants.front();
  if (!p.search.present() && s.param.empty()) {
    throw UsageError(
        fmt::format("{}: the preset has no search: section (or give --param, --range and --target)",
                    s.job.input.uri));
  }
  // The command line's settings win over the preset's.
  if (s.param.empty()) s.param = p.search.param;
  if (s.range.empty()) s.range = p.search.range;
  if (s.target.empty()) s.target = p.search.target;
  if (s.pool.empty()) s.pool = p.search.pool;
  if (s.also.empty()) s.also = p.search.also;
  if (s.samples == 0) s.samples = p.search.samples;
  if (s.store_opt != nullptr && s.store_opt->count() == 0) s.store = p.output.store;
  if (s.param.empty() || s.range.empty() || s.target.empty()) {
    throw UsageError("search: give param, range and target (preset or command line)");
  }
  const std::unique_ptr<ResultStore> store = open_search_store(s);
  const std::vector<const BatchJob*> firsts = first_encode_jobs(l.jobs);
  if (firsts.empty()) throw UsageError(fmt::format("{}: no encode jobs", s.job.input.uri));
  View v;
  v.table.header = {"input",        "encoder", s.param,   "kbit/s", "quality",
                    "95% interval", "probes",  "encodes", "result"};
  v.table.right = {false, false, true, true, true, true, true, true, false};
  nlohmann::json searches = nlohmann::json::array();
  int not_found = 0;
  for (const BatchJob* j : firsts) {
    QualitySearch q;
    parse_spec(s, j->spec.encoder, q.spec);
    q.base = j->spec;
    q.base.threads = s.job.threads > 0 ? s.job.threads : j->spec.threads;
    PresetInput in;
    in.source = j->spec.input;
    in.name = j->input;
    q.identity = input_identity(in);
    q.input_name = j->input;
    if (!s.out.quiet) {
      std::fprintf(stderr, "search %s on %s\n", j->encoder_label.c_str(), j->input.c_str());
    }
    OneSearch one = search_one(s, q, store.get());
    const nlohmann::json& d = one.view.document;
    nlohmann::json doc = d;
    doc["input_name"] = j->input;
    doc["encoder_label"] = j->encoder_label;
    const auto& a = d["answer"];
    const int probes = static_cast<int>(d["probes"].size());
    if (one.found) {
      v.table.rows.push_back(
          {j->input, j->encoder_label, fmt::format("{:g}", a["value"].get<double>()),
           fmt::format("{:.1f}", a["bitrate_kbps"].get<double>()),
           fmt::format("{:.4f}", a["quality"].get<double>()),
           a["ci_low"].is_number() ? fmt::format("{:.3f}..{:.3f}", a["ci_low"].get<double>(),
                                                 a["ci_high"].get<double>())
                                   : "-",
           std::to_string(probes), std::to_string(d["encodes"].get<int>()),
           a["met_with_confidence"].get<bool>() ? "met (95%)" : "met"});
    } else {
      ++not_found;
      v.table.rows.push_back({j->input, j->encoder_label, "-", "-", "-", "-",
                              std::to_string(probes), std::to_string(d["encodes"].get<int>()),
                              "not met"});
      v.notes.push_back(fmt::format("{} {}: {}", j->input, j->encoder_label, one.reason));
    }
    nlohmann::json rec = {
        {"input", j->input},
        {"encoder_label", j->encoder_label},
        {"param", s.param},
        {"value", a.is_null() ? nlohmann::json(nullptr) : a["value"]},
        {"quality", a.is_null() ? nlohmann::json(nullptr) : a["quality"]},
        {"bitrate_kbps", a.is_null() ? nlohmann::json(nullptr) : a["bitrate_kbps"]},
        {"probes", probes},
        {"encodes", d["encodes"]}};
    v.records.push_back(std::move(rec));
    searches.push_back(std::move(doc));
  }
  v.document = {{"schema_version", 1},
                {"preset", s.job.input.uri},
                {"target", s.target},
                {"searches", searches}};
  v.columns = {"input",   "encoder_label", "param",  "value",
               "quality", "bitrate_kbps",  "probes", "encodes"};
  emit(v, s.out);
  if (not_found > 0) {
    throw Error(fmt::format("{} of {} searches found no value that meets {}", not_found,
                            firsts.size(), s.target),
                ExitCode::kNotMet);
  }
  return 0;
}

int run(SearchSettings& s) {
  for (const auto& kv : s.options) {
    const auto eq = kv.find('=');
    if (eq == std::string::npos || eq == 0) {
      throw UsageError(fmt::format("-o '{}': expected key=value", kv));
    }
    s.job.options.emplace_back(kv.substr(0, eq), kv.substr(eq + 1));
  }
  s.job.metrics = split_list(s.metrics);
  if (s.job.encoder.empty()) return run_preset(s);
  if (!s.overrides.empty()) {
    throw UsageError(
        fmt::format("'{}': overrides go with a PRESET (without -c)", s.overrides.front()));
  }
  if (s.param.empty() || s.range.empty() || s.target.empty()) {
    throw UsageError("search INPUT -c ENC needs --param, --range and --target");
  }
  for (const auto& [k, v] : s.job.options) {
    if (k == s.param)
      throw UsageError(fmt::format("-o {}={}: that is the searched parameter", k, v));
  }
  QualitySearch q;
  parse_spec(s, s.job.encoder, q.spec);
  q.base = s.job;
  PresetInput in;
  in.source = s.job.input;
  in.name = std::filesystem::path(s.job.input.uri).filename().string();
  q.identity = input_identity(in);
  q.input_name = in.name;
  const std::unique_ptr<ResultStore> store = open_search_store(s);
  OneSearch one = search_one(s, q, store.get());
  emit(one.view, s.out);
  if (!one.found) {
    // The one line on stderr; the probes are in the table and the store.
    throw Error(one.reason, ExitCode::kNotMet);
  }
  return 0;
}

}  // namespace

void register_search(CLI::App& app, CommandRunner& runner) {
  auto s = std::make_shared<SearchSettings>();
  auto* cmd = app.add_subcommand(
      "search",
      "Target quality: the value of an encoder parameter (crf, qp, b) that meets a quality "
      "target with the smallest size");
  cmd->add_option("INPUT", s->job.input.uri,
                  "Input file or lavfi:GRAPH; without -c, a preset whose search: section runs "
                  "for each of its inputs and encoders")
      ->required();
  cmd->add_option("OVERRIDES", s->overrides, "Preset overrides (without -c), as for run");
  cmd->add_option("-c,--encoder", s->job.encoder, "libavcodec encoder name");
  cmd->add_option("-o,--option", s->options, "Fixed encoder option key=value (repeatable)");
  cmd->add_option("--param", s->param, "The encoder option to search (crf, qp, b, ...)");
  cmd->add_option("--range", s->range, "LO:HI[:STEP] of the parameter (10:51; 200k:8M:100k)");
  cmd->add_option("--target", s->target, "FIGURE=VALUE to reach (vmaf=95, psnr=40, ssim=0.97)");
  cmd->add_option("--pool", s->pool, "Pooling of the target: mean, harmonic, min, p1, p5 (VMAF)");
  cmd->add_option("--also", s->also,
                  "A further constraint, FIGURE>=V or POOL:FIGURE>=V (min:vmaf>=85; repeatable)");
  cmd->add_option("--metrics", s->metrics,
                  "Metric specs to measure with (vmaf:model=neg); the figures' metrics are added");
  cmd->add_option("--samples", s->samples,
                  "Encode N evenly spaced samples per probe, then verify the answer with one full "
                  "encode");
  cmd->add_option("--sample-duration", s->sample_duration, "Seconds per sample (default 4)");
  cmd->add_option("--threads", s->job.threads, "Encoder/decoder thread_count (0 = auto)");
  cmd->add_option("--start", s->job.input.start_s, "Skip to this time (seconds)");
  cmd->add_option("--frames", s->job.input.max_frames, "Use at most this many frames");
  cmd->add_option("--duration", s->job.input.duration_s, "Use at most this many seconds");
  cmd->add_option("--max-pixels", s->job.input.max_pixels,
                  "Largest frame accepted, width x height in pixels (default 8192x8192); a bigger "
                  "input is refused as too large")
      ->check(bounded(1, 1e12));
  s->store_opt =
      cmd->add_option("--store", s->store,
                      "Results store: probes are stored and reused (a preset: its output.store)")
          ->capture_default_str();
  cmd->add_flag("--no-store", s->no_store, "Neither store nor reuse probes");
  add_output_options(cmd, s->out);
  cmd->callback([s, &runner] { runner = [s] { return run(*s); }; });
}

}  // namespace codecbench::cli
