// `codecbench codecs`: the codec catalog, `show NAME`, and `--probe`.
#include <fmt/core.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <memory>

#include "codecbench/catalog/catalog.hpp"
#include "codecbench/catalog/catalog_json.hpp"
#include "codecbench/catalog/probe.hpp"
#include "codecbench/core/error.hpp"
#include "codecbench/core/limits.hpp"
#include "codecbench/core/version.hpp"
#include "commands.hpp"
#include "output.hpp"

namespace codecbench::cli {
namespace {

struct CodecsSettings {
  bool encoders = false;
  bool decoders = false;
  std::string type;
  bool lossless = false;
  bool lossy = false;
  bool intra = false;
  std::string grep;
  bool probe = false;
  bool no_legend = false;
  ProbeOptions probe_options;
  OutputOptions out;
  // show
  std::string show_name;
  OutputOptions show_out;
};

CodecFilter make_filter(const CodecsSettings& s) {
  CodecFilter f;
  if (!s.type.empty()) {
    f.type = parse_media_type(s.type);
    if (!f.type) {
      throw UsageError(fmt::format(
          "--type '{}': unknown media type (use video, audio, subtitle, data or attachment)",
          s.type));
    }
  }
  f.lossless = s.lossless;
  f.lossy = s.lossy;
  f.intra = s.intra;
  if (!s.grep.empty()) f.grep = s.grep;
  f.validate();
  return f;
}

std::string yes(bool b) { return b ? "1" : "0"; }

std::string join(const std::vector<std::string>& v, const char* sep = " ") {
  std::string out;
  for (const auto& s : v) out += (out.empty() ? "" : sep) + s;
  return out;
}

nlohmann::json envelope(const char* view, nlohmann::json items) {
  return {{"schema_version", kCatalogSchemaVersion},
          {"view", view},
          {"ffmpeg", version_info().ffmpeg},
          {"items", std::move(items)}};
}

int run_list(const CodecsSettings& s) {
  const CodecFilter filter = make_filter(s);
  if (s.encoders && s.decoders) throw UsageError("--encoders and --decoders exclude each other");
  if (s.encoders || s.decoders) {
    std::vector<Implementation> impls;
    for (auto& i : list_implementations(s.encoders)) {
      if (filter.matches(i)) impls.push_back(std::move(i));
    }
    View v;
    v.document = envelope(s.encoders ? "encoders" : "decoders", impls);
    v.table.header = {"name",          "codec",           "type",
                      "frame_threads", "slice_threads",   "other_threads",
                      "experimental",  "draw_horiz_band", "direct_rendering",
                      "hardware",      "wrapper",         "long_name"};
    for (const auto& i : impls) {
      v.table.rows.push_back({i.name, i.codec, media_type_name(i.type), yes(i.frame_threads),
                              yes(i.slice_threads), yes(i.other_threads), yes(i.experimental),
                              yes(i.draw_horiz_band), yes(i.direct_rendering), yes(i.hardware),
                              i.wrapper, i.long_name});
    }
    records_from_table(v);
    v.text = format_implementations(impls, s.encoders, !s.no_legend);
    emit(v, s.out);
    return 0;
  }
  std::vector<CodecEntry> codecs;
  for (auto& c : list_codecs()) {
    if (filter.matches(c)) codecs.push_back(std::move(c));
  }
  View v;
  v.document = envelope("codecs", codecs);
  v.table.header = {"name",  "type",     "decoding", "encoding", "intra_only",
                    "lossy", "lossless", "decoders", "encoders", "long_name"};
  for (const auto& c : codecs) {
    v.table.rows.push_back({c.name, media_type_name(c.type), yes(c.can_decode), yes(c.can_encode),
                            yes(c.intra_only), yes(c.lossy), yes(c.lossless), join(c.decoders),
                            join(c.encoders), c.long_name});
  }
  records_from_table(v);
  v.text = format_codecs(codecs, !s.no_legend);  // line for line as ffmpeg -codecs
  emit(v, s.out);
  return 0;
}

int run_probe(const CodecsSettings& s) {
  if (s.decoders) throw UsageError("--probe tests encoders; it cannot be combined with --decoders");
  if (s.probe_options.timeout_s <= 0) throw UsageError("--probe-timeout must be positive");
  const CodecFilter filter = make_filter(s);
  std::vector<Implementation> impls;
  for (auto& i : list_implementations(true)) {
    if (filter.matches(i)) impls.push_back(std::move(i));
  }
  std::vector<std::string> names;
  for (const auto& i : impls) names.push_back(i.name);

  const bool tty = stderr_is_tty() && !s.out.quiet;
  const auto start = std::chrono::steady_clock::now();
  auto results = probe_encoders(
      names, s.probe_options, [&](const ProbeResult& r, std::size_t done, std::size_t total) {
        if (!tty) return;
        std::fprintf(stderr, "\r\033[Kprobing [%zu/%zu] %s", done, total, r.encoder.c_str());
        std::fflush(stderr);
      });
  const double elapsed =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::size_t usable = 0;
  for (const auto& r : results) usable += r.usable ? 1 : 0;
  if (tty) std::fprintf(stderr, "\r\033[K");
  if (!s.out.quiet) {
    std::fprintf(stderr, "probed %zu encoders in %.1f s: %zu usable, %zu not\n", results.size(),
                 elapsed, usable, results.size() - usable);
  }
  View v;
  v.document = envelope("probe", results);
  v.table.header = {"encoder",      "codec",   "type",    "status", "format",
                    "experimental", "packets", "seconds", "reason"};
  const Palette p = Palette::for_fd(STDOUT_FILENO);
  for (const auto& r : results) {
    v.table.rows.push_back({r.encoder, r.codec, media_type_name(r.type), r.status, r.format,
                            yes(r.experimental), std::to_string(r.packets),
                            fmt::format("{:.3f}", r.seconds), r.reason});
    const std::string& colour = r.usable ? p.green : (r.status == "unusable" ? p.red : p.yellow);
    std::string line = fmt::format("{}{:<9}{} {:<5} {:<20} {}", colour, r.status, p.reset,
                                   media_type_name(r.type), r.encoder, r.reason);
    while (!line.empty() && line.back() == ' ') line.pop_back();
    v.text += line + "\n";
  }
  records_from_table(v);
  emit(v, s.out);
  return 0;
}

std::string range_text(const OptionInfo& o) {
  if (!o.min || !o.max) return "";
  auto num = [](double v) -> std::string {
    if (v >= 9.2e18) return "INT64_MAX";
    if (v <= -9.2e18) return "INT64_MIN";
    if (v >= 2147483647.0 && v < 2147483648.0) return "INT_MAX";
    if (v <= -2147483648.0 && v > -2147483649.0) return "INT_MIN";
    if (v >= 3.4e38) return "FLT_MAX";
    if (v <= -3.4e38) return "-FLT_MAX";
    if (v >= 1.7e308) return "DBL_MAX";
    if (v <= -1.7e308) return "-DBL_MAX";
    return fmt::format("{:g}", v);
  };
  return fmt::format("[{} .. {}]", num(*o.min), num(*o.max));
}

std::string describe_text(const ImplementationDetails& d, const Palette& p) {
  const Implementation& i = d.impl;
  std::string t =
      fmt::format("{}{}{} ({} {}) {}\n", p.bold, i.name, p.reset, media_type_name(i.type),
                  i.encoder ? "encoder" : "decoder", i.long_name);
  auto line = [&](const char* label, const std::string& value) {
    t += fmt::format("  {:<17}{}\n", label, value.empty() ? "-" : value);
  };
  line("codec:", i.codec);
  if (!i.wrapper.empty()) line("wraps:", i.wrapper);
  line("capabilities:", join(d.capabilities, ", "));
  line("threading:", d.threading.empty() ? "none (single thread)" : join(d.threading, ", "));
  if (i.type == MediaType::kVideo) line("pixel formats:", join(d.pix_fmts));
  if (i.type == MediaType::kAudio) {
    line("sample formats:", join(d.sample_fmts));
    std::vector<std::string> rates;
    for (int r : d.sample_rates) rates.push_back(std::to_string(r));
    line("sample rates:", rates.empty() ? "any" : join(rates));
    line("channel layouts:", d.channel_layouts.empty() ? "any" : join(d.channel_layouts, ", "));
  }
  std::vector<std::string> profiles;
  for (const auto& pr : d.profiles) profiles.push_back(pr.name);
  line("profiles:", join(profiles, ", "));
  std::vector<std::string> hw;
  for (const auto& h : d.hw_configs) {
    hw.push_back(fmt::format("{} ({}; {})", h.device_type, h.pix_fmt, join(h.methods, "+")));
  }
  line("hardware:", join(hw, ", "));
  t += fmt::format("  private options ({}):\n", d.options.size());
  for (const auto& o : d.options) {
    t += fmt::format("    -{:<22} {:<10} default {}{}{}\n", o.name, o.type,
                     o.default_value.empty() ? "-" : o.default_value,
                     range_text(o).empty() ? "" : "  " + range_text(o),
                     o.help.empty() ? "" : "  " + p.dim + o.help + p.reset);
    for (const auto& c : o.constants) {
      t += fmt::format("        {:<20} {:<6} {}\n", c.name, c.value, c.help);
    }
  }
  return t;
}

int run_show(const CodecsSettings& s) {
  const CodecDescription d = describe_codec(s.show_name);
  View v;
  v.document = d;
  v.document["schema_version"] = kCatalogSchemaVersion;
  // Table, CSV and JSON Lines: one row per private option.
  v.table.header = {"implementation", "kind", "option", "type", "default", "min", "max",
                    "constants",      "help"};
  auto add = [&](const std::vector<ImplementationDetails>& list) {
    for (const auto& impl : list) {
      for (const auto& o : impl.options) {
        std::vector<std::string> consts;
        for (const auto& c : o.constants) consts.push_back(c.name);
        v.table.rows.push_back({impl.impl.name, impl.impl.encoder ? "encoder" : "decoder", o.name,
                                o.type, o.default_value, o.min ? fmt::format("{}", *o.min) : "",
                                o.max ? fmt::format("{}", *o.max) : "", join(consts, "|"), o.help});
      }
    }
  };
  add(d.encoders);
  add(d.decoders);
  records_from_table(v);
  const Palette p = Palette::for_fd(STDOUT_FILENO);
  if (d.codec) v.text += format_codecs({*d.codec}, false) + "\n";
  for (const auto& e : d.encoders) v.text += describe_text(e, p) + "\n";
  for (const auto& e : d.decoders) v.text += describe_text(e, p) + "\n";
  emit(v, s.show_out);
  return 0;
}

}  // namespace

void register_codecs(CLI::App& app, CommandRunner& runner) {
  auto settings = std::make_shared<CodecsSettings>();
  auto* cmd = app.add_subcommand(
      "codecs", "List codecs, encoders and decoders as `ffmpeg -codecs` does; probe encoders");
  cmd->add_flag("--encoders", settings->encoders,
                "List encoder implementations (ffmpeg -encoders)");
  cmd->add_flag("--decoders", settings->decoders,
                "List decoder implementations (ffmpeg -decoders)");
  cmd->add_option("--type", settings->type, "Only this media type")
      ->check(CLI::IsMember({"video", "audio", "subtitle", "data", "attachment"}));
  cmd->add_flag("--lossless", settings->lossless, "Only codecs with lossless compression");
  cmd->add_flag("--lossy", settings->lossy, "Only codecs with lossy compression");
  cmd->add_flag("--intra", settings->intra, "Only intra frame-only codecs");
  cmd->add_option("--grep", settings->grep,
                  "Only names or descriptions matching this regular expression (case-insensitive)");
  cmd->add_flag("--probe", settings->probe,
                "Open each selected encoder with a tiny frame and report whether it works");
  cmd->add_option("--probe-timeout", settings->probe_options.timeout_s,
                  "Seconds before a probe is killed")
      ->capture_default_str()
      ->check(bounded(0.001, 86400));
  cmd->add_option("--probe-jobs", settings->probe_options.concurrency,
                  "Probes run at once (0 = hardware threads)")
      ->capture_default_str()
      ->check(bounded(0, limits::kProbeJobs));
  cmd->add_flag("--no-legend", settings->no_legend, "Omit the flag legend above the listing");
  add_output_options(cmd, settings->out);

  auto* show = cmd->add_subcommand(
      "show", "Describe one encoder, decoder or codec: formats, threading, profiles, options");
  show->add_option("NAME", settings->show_name, "Encoder, decoder or codec name")->required();
  add_output_options(show, settings->show_out);

  cmd->callback([settings, show, &runner] {
    if (show->parsed()) {
      runner = [settings] { return run_show(*settings); };
    } else if (settings->probe) {
      runner = [settings] { return run_probe(*settings); };
    } else {
      runner = [settings] { return run_list(*settings); };
    }
  });
}

}  // namespace codecbench::cli
