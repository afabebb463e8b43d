// The preset schema: every key of a resolved preset is checked before any job starts.
#include "codecbench/config/preset.hpp"

#include <fmt/core.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <functional>
#include <initializer_list>
#include <limits>

#include "codecbench/catalog/catalog.hpp"
#include "codecbench/config/search_spec.hpp"
#include "codecbench/core/av.hpp"
#include "codecbench/core/fingerprint.hpp"
#include "codecbench/core/limits.hpp"
#include "codecbench/media/test_streams.hpp"
#include "codecbench/metrics/metrics.hpp"

namespace codecbench {
namespace {

using config::ConfigError;
using config::Node;
using config::NodePtr;

constexpr double kMaxSeconds = 1e7;  // about 116 days of media
constexpr std::int64_t kMaxRepeats = 10000;

std::size_t distance(const std::string& a, const std::string& b) {
  std::vector<std::size_t> prev(b.size() + 1), cur(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) prev[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    cur[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      cur[j] =
          std::min({prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1)});
    }
    std::swap(prev, cur);
  }
  return prev[b.size()];
}

void check_keys(const NodePtr& map, const std::string& path,
                const std::vector<std::string>& known) {
  for (const auto& [k, v] : map->map) {
    if (std::find(known.begin(), known.end(), k) != known.end()) continue;
    std::string best;
    std::size_t best_d = 4;
    for (const auto& c : known) {
      // At least the difference in length apart: a huge key is not compared.
      if ((k.size() > c.size() ? k.size() - c.size() : c.size() - k.size()) >= best_d) continue;
      const std::size_t d = distance(k, c);
      if (d < best_d) {
        best_d = d;
        best = c;
      }
    }
    std::string all;
    for (const auto& c : known) all += (all.empty() ? "" : ", ") + c;
    throw ConfigError(
        v->loc, fmt::format("{}{}: unknown key{} (valid: {})", path.empty() ? "" : path + ".", k,
                            best.empty() ? "" : fmt::format(" (did you mean '{}'?)", best), all));
  }
}

[[noreturn]] void wrong_type(const NodePtr& n, const std::string& path, const char* want) {
  throw ConfigError(n->loc, fmt::format("{}: expected {}, got {} '{}'", path, want, n->type_name(),
                                        n->is_scalar() ? n->scalar_text() : "..."));
}

NodePtr need_map(const NodePtr& n, const std::string& path) {
  if (n->kind != Node::Kind::kMap) wrong_type(n, path, "a map");
  return n;
}

std::string get_string(const NodePtr& n, const std::string& path) {
  if (n->kind != Node::Kind::kString) wrong_type(n, path, "a string");
  return n->s;
}

std::int64_t get_int(const NodePtr& n, const std::string& path, std::int64_t min,
                     std::int64_t max = std::numeric_limits<int>::max()) {
  if (n->kind != Node::Kind::kInt) wrong_type(n, path, "an integer");
  if (n->i < min)
    throw ConfigError(n->loc, fmt::format("{}: must be at least {} (got {})", path, min, n->i));
  if (n->i > max)
    throw ConfigError(n->loc, fmt::format("{}: must be at most {} (got {})", path, max, n->i));
  return n->i;
}

// A finite number in [min, max] (NaN and infinities are refused: `start: .nan` would pass
// every comparison below).
double get_number(const NodePtr& n, const std::string& path, double min, double max) {
  double x = 0;
  if (n->kind == Node::Kind::kInt) {
    x = static_cast<double>(n->i);
  } else if (n->kind == Node::Kind::kFloat) {
    x = n->f;
  } else {
    wrong_type(n, path, "a number");
  }
  if (!std::isfinite(x) || x < min || x > max) {
    throw ConfigError(n->loc, fmt::format("{}: must be a number from {} to {} (got {})", path, min,
                                          max, n->scalar_text()));
  }
  return x;
}

std::string scalar(const NodePtr& n, const std::string& path) {
  if (!n->is_scalar() || n->kind == Node::Kind::kNull) wrong_type(n, path, "a scalar value");
  return n->scalar_text();
}

std::string input_name(const std::string& uri) {
  if (uri.rfind("lavfi:", 0) == 0) {
    const std::string graph = uri.substr(6);
    return graph.substr(0, graph.find_first_of("=,:"));
  }
  return std::filesystem::path(uri).filename().string();
}

// A relative file path written in a preset file is relative to that file's folder; one from
// the command line (or a test's in-memory preset) to the working folder.
std::string resolve_path(const std::string& value, const config::Location& loc) {
  if (value.empty() || value.rfind("lavfi:", 0) == 0 || value.rfind("stream:", 0) == 0 ||
      value.find("://") != std::string::npos)
    return value;
  const std::filesystem::path p(value);
  if (p.is_absolute() || loc.file.empty() || loc.file.front() == '<') return value;
  std::error_code ec;
  const auto dir = std::filesystem::absolute(loc.file, ec).parent_path();
  if (ec) return value;
  return (dir / p).lexically_normal().string();
}

std::string get_path(const NodePtr& n, const std::string& path) {
  return resolve_path(get_string(n, path), n->loc);
}

PresetInput parse_input(const NodePtr& n, const std::string& path) {
  PresetInput in;
  if (n->kind == Node::Kind::kString) {
    in.source.uri = resolve_path(n->s, n->loc);
  } else if (n->kind == Node::Kind::kMap) {
    check_keys(n, path,
               {"uri", "name", "type", "stream", "start", "frames", "duration", "allow_damaged",
                "max_pixels"});
    if (auto v = n->get("type")) {
      const std::string t = get_string(v, path + ".type");
      const auto parsed = parse_media_type(t);
      if (!parsed || (*parsed != MediaType::kVideo && *parsed != MediaType::kAudio)) {
        throw ConfigError(v->loc, fmt::format("{}.type: '{}' is not video or audio", path, t));
      }
      in.type = *parsed;
    }
    const NodePtr uri = n->get("uri");
    if (!uri)
      throw ConfigError(n->loc, fmt::format("{}: missing 'uri' (a file or lavfi:GRAPH)", path));
    in.source.uri = get_path(uri, path + ".uri");
    if (auto v = n->get("name")) in.name = get_string(v, path + ".name");
    if (auto v = n->get("stream"))
      in.source.stream_index = static_cast<int>(get_int(v, path + ".stream", 0));
    if (auto v = n->get("start"))
      in.source.start_s = get_number(v, path + ".start", 0, kMaxSeconds);
    if (auto v = n->get("frames")) in.source.max_frames = get_int(v, path + ".frames", 1);
    if (auto v = n->get("duration"))
      in.source.duration_s = get_number(v, path + ".duration", 1e-6, kMaxSeconds);
    if (auto v = n->get("allow_damaged")) {
      if (v->kind != Node::Kind::kBool) wrong_type(v, path + ".allow_damaged", "true or false");
      in.source.allow_damaged = v->b;
    }
    if (auto v = n->get("max_pixels")) in.source.max_pixels = get_int(v, path + ".max_pixels", 1);
  } else {
    wrong_type(n, path, "a string (file or lavfi:GRAPH) or a map with uri");
  }
  if (in.source.uri.empty()) throw ConfigError(n->loc, fmt::format("{}: empty input", path));
  if (in.name.empty()) in.name = input_name(in.source.uri);
  if (in.type == MediaType::kUnknown) {
    in.type = in.source.uri.rfind("stream:", 0) == 0 ? MediaType::kVideo
                                                     : source_media_type(in.source.uri);
  }
  return in;
}

// `scale:` (a size or a list), `scaler:` and `allow_upscale:` of an encoder.
void parse_scales(const NodePtr& n, const std::string& path, PresetEncoder& e) {
  std::string scaler = "bicubic";
  bool allow_upscale = false;
  if (auto v = n->get("scaler")) {
    scaler = get_string(v, path + ".scaler");
    try {
      (void)scaler_flags(scaler);
    } catch (const UsageError& err) {
      throw ConfigError(v->loc, fmt::format("{}.scaler: {}", path, err.what()));
    }
  }
  if (auto v = n->get("allow_upscale")) {
    if (v->kind != Node::Kind::kBool) wrong_type(v, path + ".allow_upscale", "true or false");
    allow_upscale = v->b;
  }
  auto s = n->get("scale");
  if (!s) {
    if (n->get("scaler") || n->get("allow_upscale")) {
      throw ConfigError(n->loc, fmt::format("{}: scaler and allow_upscale need a scale", path));
    }
    return;
  }
  std::vector<NodePtr> items = s->kind == Node::Kind::kList ? s->list : std::vector<NodePtr>{s};
  if (items.empty()) wrong_type(s, path + ".scale", "a size (1280x720, 720p) or a list of them");
  for (std::size_t i = 0; i < items.size(); ++i) {
    const std::string p =
        s->kind == Node::Kind::kList ? fmt::format("{}.scale.{}", path, i) : path + ".scale";
    const std::string text = scalar(items[i], p);
    ScaleSpec spec;
    if (text != "source") {
      try {
        spec = parse_scale(text);
      } catch (const UsageError& err) {
        throw ConfigError(items[i]->loc, fmt::format("{}: {}", p, err.what()));
      }
    }
    spec.scaler = scaler;
    spec.allow_upscale = allow_upscale;
    for (const auto& seen : e.scales) {
      if (seen.width == spec.width && seen.height == spec.height) {
        throw ConfigError(items[i]->loc, fmt::format("{}: '{}' is listed twice", p, text));
      }
    }
    e.scales.push_back(spec);
  }
}

// An encoder's `key: FORMAT` (pix_fmt, sample_fmt): checked with `known`, refused when the
// options already set the format under one of `aliases`, then added as option `option`.
void format_key(const NodePtr& n, const std::string& path, const char* key, const char* option,
                std::initializer_list<const char*> aliases,
                const std::function<bool(const std::string&)>& known, const char* what,
                std::vector<std::pair<std::string, std::string>>& options) {
  const auto v = n->get(key);
  if (!v) return;
  const std::string f = get_string(v, fmt::format("{}.{}", path, key));
  if (!known(f)) {
    throw ConfigError(v->loc, fmt::format("{}.{}: '{}' is not {}", path, key, f, what));
  }
  for (const auto& o : options) {
    for (const char* alias : aliases) {
      if (o.first == alias) {
        throw ConfigError(v->loc,
                          fmt::format("{}.{}: the options already set {}", path, key, o.first));
      }
    }
  }
  options.emplace_back(option, f);
}

PresetEncoder parse_encoder(const std::string& label, const NodePtr& n, const std::string& path) {
  PresetEncoder e;
  e.label = label;
  if (n->kind == Node::Kind::kString) {
    e.codec = n->s;
    return e;
  }
  need_map(n, path);
  check_keys(n, path,
             {"codec", "options", "axes", "threads", "decode_after", "pix_fmt", "sample_fmt",
              "scale", "scaler", "allow_upscale"});
  const NodePtr codec = n->get("codec");
  if (!codec)
    throw ConfigError(n->loc, fmt::format("{}: missing 'codec' (a libavcodec encoder name)", path));
  e.codec = get_string(codec, path + ".codec");
  if (auto opts = n->get("options")) {
    if (opts->kind != Node::Kind::kNull) {
      need_map(opts, path + ".options");
      for (const auto& [k, v] : opts->map)
        e.options.emplace_back(k, scalar(v, path + ".options." + k));
    }
  }
  if (auto axes = n->get("axes")) {
    need_map(axes, path + ".axes");
    for (const auto& [k, v] : axes->map) {
      const std::string p = path + ".axes." + k;
      if (v->kind != Node::Kind::kList || v->list.empty())
        wrong_type(v, p, "a non-empty list of values");
      std::vector<std::string> values;
      for (std::size_t i = 0; i < v->list.size(); ++i) {
        values.push_back(scalar(v->list[i], fmt::format("{}.{}", p, i)));
      }
      e.axes.emplace_back(k, values);
    }
  }
  if (auto t = n->get("threads"))
    e.threads = static_cast<int>(get_int(t, path + ".threads", 0, limits::kThreads));
  // The encoder's pixel and sample formats: the job converts its frames or samples to them
  // (options of the job, under the names the options would use).
  format_key(
      n, path, "pix_fmt", "pixel_format", {"pixel_format", "pix_fmt"},
      [](const std::string& f) { return av_get_pix_fmt(f.c_str()) != AV_PIX_FMT_NONE; },
      "a pixel format FFmpeg knows (ffmpeg -pix_fmts)", e.options);
  format_key(
      n, path, "sample_fmt", "sample_fmt", {"sample_fmt"},
      [](const std::string& f) { return av_get_sample_fmt(f.c_str()) != AV_SAMPLE_FMT_NONE; },
      "a sample format FFmpeg knows (ffmpeg -sample_fmts)", e.options);
  if (auto v = n->get("decode_after")) {
    if (v->kind != Node::Kind::kBool) wrong_type(v, path + ".decode_after", "true or false");
    e.decode_after = v->b;
  }
  parse_scales(n, path, e);
  return e;
}

PresetDecoder parse_decoder(const std::string& label, const NodePtr& n, const std::string& path) {
  PresetDecoder d;
  d.label = label;
  if (n->kind == Node::Kind::kString) {
    d.decoder = n->s;
  } else if (n->kind != Node::Kind::kNull) {
    need_map(n, path);
    check_keys(n, path, {"decoder", "threads", "thread_type", "md5"});
    if (auto v = n->get("decoder")) d.decoder = get_string(v, path + ".decoder");
    if (auto v = n->get("threads")) {
      if (v->kind == Node::Kind::kList) {
        if (v->list.empty()) wrong_type(v, path + ".threads", "a thread count or a list of them");
        for (std::size_t i = 0; i < v->list.size(); ++i) {
          d.threads.push_back(static_cast<int>(
              get_int(v->list[i], fmt::format("{}.threads.{}", path, i), 0, limits::kThreads)));
        }
      } else {
        d.threads.push_back(static_cast<int>(get_int(v, path + ".threads", 0, limits::kThreads)));
      }
    }
    if (auto v = n->get("thread_type")) {
      std::vector<NodePtr> items = v->kind == Node::Kind::kList ? v->list : std::vector<NodePtr>{v};
      for (std::size_t i = 0; i < items.size(); ++i) {
        const std::string p = v->kind == Node::Kind::kList
                                  ? fmt::format("{}.thread_type.{}", path, i)
                                  : path + ".thread_type";
        const std::string t = get_string(items[i], p);
        if (t != "frame" && t != "slice" && t != "frame+slice" && t != "default") {
          throw ConfigError(
              items[i]->loc,
              fmt::format("{}: '{}' is not frame, slice, frame+slice or default", p, t));
        }
        d.thread_types.push_back(t == "default" ? "" : t);
      }
    }
    if (auto v = n->get("md5")) {
      if (v->kind != Node::Kind::kBool) wrong_type(v, path + ".md5", "true or false");
      d.md5 = v->b;
    }
  }
  if (!d.decoder.empty() && avcodec_find_decoder_by_name(d.decoder.c_str()) == nullptr) {
    std::string hint;
    for (const auto& c : suggest_codec_names(d.decoder)) hint += (hint.empty() ? "" : ", ") + c;
    throw ConfigError(n->loc, fmt::format("{}: no decoder '{}' in this FFmpeg{}", path, d.decoder,
                                          hint.empty() ? "" : " (did you mean: " + hint + "?)"));
  }
  return d;
}

void parse_launcher(const NodePtr& n, PresetLauncher& l) {
  need_map(n, "launcher");
  check_keys(n, "launcher",
             {"shards", "partition", "time", "account", "array_parallelism", "sbatch_args", "dir",
              "split"});
  if (auto v = n->get("shards")) l.shards = static_cast<int>(get_int(v, "launcher.shards", 1));
  if (auto v = n->get("partition")) l.partition = scalar(v, "launcher.partition");
  if (auto v = n->get("time")) l.time = scalar(v, "launcher.time");
  if (auto v = n->get("account")) l.account = scalar(v, "launcher.account");
  if (auto v = n->get("array_parallelism"))
    l.array_parallelism = static_cast<int>(get_int(v, "launcher.array_parallelism", 0));
  if (auto v = n->get("sbatch_args")) {
    if (v->kind != Node::Kind::kList) wrong_type(v, "launcher.sbatch_args", "a list of strings");
    for (std::size_t i = 0; i < v->list.size(); ++i)
      l.sbatch_args.push_back(get_string(v->list[i], fmt::format("launcher.sbatch_args.{}", i)));
  }
  if (auto v = n->get("dir")) l.dir = get_path(v, "launcher.dir");
  if (auto v = n->get("split")) {
    l.split = scalar(v, "launcher.split");
    if (l.split != "dynamic" && l.split != "static")
      throw ConfigError(
          v->loc, fmt::format("launcher.split: expected 'dynamic' or 'static', got '{}'", l.split));
  }
}

void parse_search(const NodePtr& n, PresetSearch& s) {
  need_map(n, "search");
  check_keys(n, "search",
             {"param", "range", "target", "pool", "also", "samples", "sample_duration"});
  for (const char* k : {"param", "range", "target"}) {
    if (!n->get(k)) throw ConfigError(n->loc, fmt::format("search: missing '{}'", k));
  }
  s.param = scalar(n->get("param"), "search.param");
  s.range = scalar(n->get("range"), "search.range");
  s.target = scalar(n->get("target"), "search.target");
  if (auto v = n->get("pool")) s.pool = scalar(v, "search.pool");
  if (auto v = n->get("also")) {
    std::vector<NodePtr> items = v->kind == Node::Kind::kList ? v->list : std::vector<NodePtr>{v};
    for (std::size_t i = 0; i < items.size(); ++i)
      s.also.push_back(scalar(items[i], fmt::format("search.also.{}", i)));
  }
  if (auto v = n->get("samples"))
    s.samples = static_cast<int>(get_int(v, "search.samples", 0, 100));
  if (auto v = n->get("sample_duration"))
    s.sample_duration = get_number(v, "search.sample_duration", 0.04, 3600);
  // The same checks as the command line's, with the file and line.
  try {
    SearchSpec spec;
    parse_range(s.range, spec);
    (void)parse_target(s.target, s.pool);
    for (const auto& c : s.also) (void)parse_constraint(c);
  } catch (const UsageError& e) {
    throw ConfigError(n->loc, fmt::format("search: {}", e.what()));
  }
}

}  // namespace

Preset preset_from_tree(const NodePtr& root, const std::string& default_name) {
  need_map(root, "<preset>");
  check_keys(root, "",
             {"name", "description", "paths", "vars", "inputs", "encoders", "decoders", "threads",
              "jobs", "repeats", "warmup", "metrics", "output", "launcher", "reference_budget_mib",
              "sweep", "hydra", "search"});
  Preset p;
  p.name = default_name;
  if (auto v = root->get("name")) p.name = get_string(v, "name");
  if (auto v = root->get("description")) p.description = get_string(v, "description");
  for (const char* free : {"paths", "vars"}) {
    if (auto v = root->get(free)) need_map(v, free);
  }
  const NodePtr inputs = root->get("inputs");
  if (!inputs) throw ConfigError(root->loc, "missing 'inputs': a list of files or lavfi: sources");
  if (inputs->kind != Node::Kind::kList || inputs->list.empty())
    wrong_type(inputs, "inputs", "a non-empty list");
  for (std::size_t i = 0; i < inputs->list.size(); ++i) {
    p.inputs.push_back(parse_input(inputs->list[i], fmt::format("inputs.{}", i)));
  }
  const NodePtr encoders = root->get("encoders");
  const NodePtr decoders = root->get("decoders");
  if (!encoders && !decoders) {
    throw ConfigError(root->loc,
                      "missing 'encoders': a map LABEL: {codec: ..., options: {...}} (or "
                      "'decoders': LABEL: {decoder: ..., threads: ...} for decode jobs)");
  }
  if (encoders) {
    need_map(encoders, "encoders");
    if (encoders->map.empty()) throw ConfigError(encoders->loc, "encoders: at least one encoder");
    for (const auto& [label, e] : encoders->map)
      p.encoders.push_back(parse_encoder(label, e, "encoders." + label));
  }
  if (decoders) {
    need_map(decoders, "decoders");
    if (decoders->map.empty()) throw ConfigError(decoders->loc, "decoders: at least one decoder");
    for (const auto& [label, d] : decoders->map)
      p.decoders.push_back(parse_decoder(label, d, "decoders." + label));
  }
  if (auto v = root->get("threads"))
    p.threads = static_cast<int>(get_int(v, "threads", 0, limits::kThreads));
  if (auto v = root->get("jobs"))
    p.jobs = static_cast<int>(get_int(v, "jobs", 1, limits::kThreads));
  if (auto v = root->get("repeats"))
    p.repeats = static_cast<int>(get_int(v, "repeats", 1, kMaxRepeats));
  if (auto v = root->get("warmup"))
    p.warmup = static_cast<int>(get_int(v, "warmup", 0, kMaxRepeats));
  if (auto v = root->get("reference_budget_mib")) {
    p.reference_budget_mib = static_cast<std::uint64_t>(get_int(v, "reference_budget_mib", 0));
  }
  if (auto v = root->get("metrics")) {
    if (v->kind != Node::Kind::kList) wrong_type(v, "metrics", "a list of metric names");
    for (std::size_t i = 0; i < v->list.size(); ++i)
      p.metrics.push_back(get_string(v->list[i], fmt::format("metrics.{}", i)));
  }
  if (auto out = root->get("output")) {
    need_map(out, "output");
    check_keys(out, "output", {"store", "json", "csv", "keep_dir"});
    if (auto v = out->get("store")) p.output.store = get_path(v, "output.store");
    if (auto v = out->get("json")) p.output.json = get_path(v, "output.json");
    if (auto v = out->get("csv")) p.output.csv = get_path(v, "output.csv");
    if (auto v = out->get("keep_dir")) p.output.keep_dir = get_path(v, "output.keep_dir");
  }
  if (auto l = root->get("launcher")) parse_launcher(l, p.launcher);
  if (auto v = root->get("search")) parse_search(v, p.search);
  return p;
}

std::string input_identity(const PresetInput& in) {
  if (in.source.uri.rfind("lavfi:", 0) == 0) return in.source.uri;
  if (in.source.uri.find("://") != std::string::npos) return "url:" + in.source.uri;
  return fmt::format("file:{}#{}", in.name, file_fingerprint(in.source.uri));
}

std::string job_identity_text(const std::string& input_identity, const JobSpec& spec) {
  auto options = spec.options;
  std::stable_sort(options.begin(), options.end(),
                   [](const auto& a, const auto& b) { return a.first < b.first; });
  std::vector<std::string> metrics = spec.metrics;
  if (metrics.empty()) {
    if (const AVCodec* c = avcodec_find_encoder_by_name(spec.encoder.c_str()))
      metrics = default_metric_names(media_type_from_av(c->type));
  }
  std::sort(metrics.begin(), metrics.end());
  metrics.erase(std::unique(metrics.begin(), metrics.end()), metrics.end());
  std::string text = "codecbench job 2\n";
  text += fmt::format("input {}\n", input_identity);
  text += fmt::format("stream {} start {} frames {} duration {}\n", spec.input.stream_index,
                      spec.input.start_s, spec.input.max_frames, spec.input.duration_s);
  text += fmt::format("encoder {}\n", spec.encoder);
  for (const auto& [k, v] : options) text += fmt::format("option {}={}\n", k, v);
  text += fmt::format("threads {}\n", spec.threads);
  // Only scaled jobs carry the line, so the keys of every other job stay what they were.
  if (spec.scale.active()) {
    text += fmt::format("scale {}x{} {}\n", spec.scale.width, spec.scale.height, spec.scale.scaler);
  }
  for (const auto& m : metrics) text += fmt::format("metric {}\n", m);
  return text;
}

std::string decode_identity_text(const std::string& input_identity, const DecodeSpec& spec) {
  std::string text = "codecbench decode job 1\n";
  text += fmt::format("input {}\n", input_identity);
  text += fmt::format("stream {} frames {}\n", spec.stream_index, spec.max_frames);
  text += fmt::format("decoder {}\n", spec.decoder);
  text += fmt::format("threads {}\n", spec.threads);
  text += fmt::format("thread_type {}\n", spec.thread_type);
  text += fmt::format("md5 {}\n", spec.md5 ? 1 : 0);
  return text;
}

std::string job_key(const std::string& input_identity, const JobSpec& spec) {
  return stable_hash(job_identity_text(input_identity, spec));
}

std::vector<std::pair<std::string, std::string>> output_paths(const Preset& p,
                                                              const std::string& store) {
  std::vector<std::pair<std::string, std::string>> out{
      {"store", store.empty() ? p.output.store : store}};
  if (!p.output.json.empty()) out.emplace_back("output.json", p.output.json);
  if (!p.output.csv.empty()) out.emplace_back("output.csv", p.output.csv);
  if (!p.output.keep_dir.empty()) out.emplace_back("output.keep_dir", p.output.keep_dir);
  return out;
}

namespace {

using OptionList = std::vector<std::pair<std::string, std::string>>;

// The Cartesian product of an encoder's option axes, the first axis varying slowest; its size
// (times the scales) is checked against the jobs per run limit, with `planned` jobs so far,
// before it is built.
std::vector<OptionList> axis_combinations(const PresetEncoder& e, std::size_t planned) {
  std::size_t product = std::max<std::size_t>(1, e.scales.size());
  for (const auto& [k, values] : e.axes) {
    product *= values.size();
    if (product > limits::kJobsPerRun) {
      throw InputError(
          fmt::format("encoders.{}.axes: more than {} combinations (the jobs "
                      "per run limit)",
                      e.label, limits::kJobsPerRun));
    }
  }
  if (planned + product > limits::kJobsPerRun) {
    throw InputError(fmt::format("the preset has more than {} jobs (the jobs per run limit)",
                                 limits::kJobsPerRun));
  }
  std::vector<OptionList> combos{{}};
  for (const auto& [k, values] : e.axes) {
    std::vector<OptionList> next;
    for (const auto& c : combos) {
      for (const auto& v : values) {
        auto n = c;
        n.emplace_back(k, v);
        next.push_back(std::move(n));
      }
    }
    combos = std::move(next);
  }
  return combos;
}

// One encode job of encoder `e` on input `in`: its options with an axis combination applied.
BatchJob encode_job(const Preset& p, const PresetInput& in, const std::string& identity,
                    const PresetEncoder& e, const ScaleSpec& scale, const OptionList& combo,
                    const std::string& variant) {
  BatchJob j;
  j.spec.scale = scale;
  j.input = in.name;
  j.encoder_label = e.label;
  j.variant = variant;
  j.spec.input = in.source;
  j.spec.encoder = e.codec;
  j.spec.options = e.options;
  for (const auto& kv : combo) {
    auto it = std::find_if(j.spec.options.begin(), j.spec.options.end(),
                           [&](const auto& o) { return o.first == kv.first; });
    if (it != j.spec.options.end()) {
      it->second = kv.second;
    } else {
      j.spec.options.push_back(kv);
    }
  }
  j.spec.threads = e.threads >= 0 ? e.threads : p.threads;
  j.spec.metrics = p.metrics;
  j.decode_after = e.decode_after;
  // decode_after changes what the job measures; without it the key is as before.
  j.key = e.decode_after ? stable_hash(job_identity_text(identity, j.spec) + "decode_after 1\n")
                         : job_key(identity, j.spec);
  return j;
}

// Every encoder's jobs on one input: scales x axis combinations, in that order.
void add_encode_jobs(const Preset& p, const PresetInput& in, const std::string& identity,
                     const std::string& variant, std::vector<BatchJob>& jobs) {
  for (const auto& e : p.encoders) {
    // Video encoders get video inputs, audio encoders audio ones (files offer both).
    if (const AVCodec* c = avcodec_find_encoder_by_name(e.codec.c_str())) {
      const MediaType et = c->type == AVMEDIA_TYPE_AUDIO ? MediaType::kAudio : MediaType::kVideo;
      if (in.type != MediaType::kUnknown && in.type != et) continue;
    }
    const std::vector<OptionList> combos = axis_combinations(e, jobs.size());
    const std::vector<ScaleSpec> scales =
        e.scales.empty() ? std::vector<ScaleSpec>{ScaleSpec{}} : e.scales;
    for (const auto& scale : scales) {
      for (const auto& combo : combos)
        jobs.push_back(encode_job(p, in, identity, e, scale, combo, variant));
    }
  }
}

// One decode job: decoder configuration `d` with `threads` of `type` on input `in`.
BatchJob decode_job(const PresetInput& in, const std::string& identity, const PresetDecoder& d,
                    int threads, const std::string& type, const std::string& variant) {
  BatchJob j;
  j.kind = JobKind::kDecode;
  j.input = in.name;
  j.encoder_label = d.label;
  j.variant = variant;
  j.spec.input = in.source;
  j.spec.threads = threads;
  j.spec.thread_type = type;
  j.decode.input = in.source.uri;
  j.decode.stream_index = in.source.stream_index;
  j.decode.max_frames = in.source.max_frames;
  j.decode.decoder = d.decoder;
  j.decode.threads = threads;
  j.decode.thread_type = type;
  j.decode.md5 = d.md5;
  j.decode.keep_frame_md5 = false;
  j.decode.allow_damaged = in.source.allow_damaged;
  j.decode.max_pixels = in.source.max_pixels;
  j.key = stable_hash(decode_identity_text(identity, j.decode));
  return j;
}

// Decode jobs: every decoder configuration on the input when it is an encoded file the
// decoder can decode; `used[di]` counts decoder di's jobs.
void add_decode_jobs(const Preset& p, const PresetInput& in, const std::string& identity,
                     const std::string& variant, std::vector<BatchJob>& jobs,
                     std::vector<std::size_t>& used) {
  const bool file = in.source.uri.rfind("lavfi:", 0) != 0 &&
                    in.source.uri.find("://") == std::string::npos && in.type != MediaType::kAudio;
  const std::string codec = file && !p.decoders.empty()
                                ? video_codec_of(in.source.uri, in.source.stream_index)
                                : std::string();
  for (std::size_t di = 0; di < p.decoders.size() && !codec.empty(); ++di) {
    const PresetDecoder& d = p.decoders[di];
    if (!d.decoder.empty()) {
      const AVCodec* c = avcodec_find_decoder_by_name(d.decoder.c_str());
      if (c == nullptr || codec != avcodec_get_name(c->id)) continue;
    }
    const std::vector<int> counts = d.threads.empty() ? std::vector<int>{p.threads} : d.threads;
    const std::vector<std::string> types =
        d.thread_types.empty() ? std::vector<std::string>{""} : d.thread_types;
    for (const auto& type : types) {
      for (const int n : counts) {
        if (jobs.size() + 1 > limits::kJobsPerRun) {
          throw InputError(fmt::format("the preset has more than {} jobs (the jobs per run limit)",
                                       limits::kJobsPerRun));
        }
        jobs.push_back(decode_job(in, identity, d, n, type, variant));
        ++used[di];
      }
    }
  }
}

}  // namespace

std::vector<BatchJob> expand_jobs(const Preset& p) {
  std::vector<BatchJob> jobs;
  std::string variant;
  for (const auto& v : p.variant) variant += (variant.empty() ? "" : " ") + v;
  std::vector<std::size_t> decoder_jobs(p.decoders.size(), 0);
  for (const auto& given : p.inputs) {
    // A test stream (stream:NAME) is made once and cached; the job reads the cached file.
    PresetInput in = given;
    in.source.uri = resolve_stream_input(in.source.uri);
    // A test stream is named by its recipe (the cached file's name carries the hash of the
    // recipe, the sample and libavcodec), not its bytes: an encoder with threads need not give
    // the same bytes on every node, and the job must have the same key everywhere.
    const std::string identity =
        given.source.uri.rfind("stream:", 0) == 0
            ? "stream:" + std::filesystem::path(in.source.uri).stem().string()
            : input_identity(in);
    add_encode_jobs(p, in, identity, variant, jobs);
    add_decode_jobs(p, in, identity, variant, jobs, decoder_jobs);
  }
  for (std::size_t di = 0; di < p.decoders.size(); ++di) {
    if (decoder_jobs[di] == 0) {
      const auto& d = p.decoders[di];
      throw InputError(fmt::format(
          "decoders.{}: no input is a stream {} decodes (decode jobs read encoded files or "
          "stream:NAME test streams)",
          d.label, d.decoder.empty() ? "this FFmpeg" : "'" + d.decoder + "'"));
    }
  }
  return jobs;
}

}  // namespace codecbench

namespace codecbench {

PresetBundle load_bundle(const std::string& path, const std::vector<std::string>& overrides,
                         bool multirun, bool expand) {
  using namespace config;
  NodePtr root = load_preset(path);
  std::vector<Override> sweeps;
  for (const auto& text : overrides) {
    Override o = parse_override(text, multirun);
    if (!multirun && parse_override(text, true).values.size() > 1) {
      throw ConfigError(
          {"<command line>", 0},
          fmt::format("override '{}' lists several values: add -m (--multirun) to sweep "
                      "them, or quote the value to keep the commas",
                      text));
    }
    if (o.values.size() > 1) {
      sweeps.push_back(o);
      continue;
    }
    apply_override(root, o);
  }
  // A sweep: section runs only with -m, as in Hydra; without it the section is ignored.
  if (!multirun) root->erase("sweep");
  PresetBundle b;
  const std::string stem = std::filesystem::path(path).stem().string();
  for (auto& v : expand_sweeps(root, sweeps)) {
    NodePtr resolved = resolve(v.tree);
    Preset p = preset_from_tree(resolved, stem);
    p.variant = v.overrides;
    if (!b.yaml.empty()) b.yaml += "---\n";
    if (!v.overrides.empty()) {
      std::string label;
      for (const auto& o : v.overrides) label += (label.empty() ? "" : " ") + o;
      b.yaml += "# " + label + "\n";
    }
    b.yaml += to_yaml(resolved);
    if (expand) {
      for (auto& j : expand_jobs(p)) b.jobs.push_back(std::move(j));
      if (b.jobs.size() > limits::kJobsPerRun) {
        throw InputError(
            fmt::format("{}: the sweep has more than {} jobs (the jobs per run "
                        "limit)",
                        path, limits::kJobsPerRun));
      }
    }
    b.variants.push_back(std::move(p));
  }
  // The bundle's identity for --resume and for finding a preset's sweeps: its jobs' keys and
  // the repeats that measure them, not the resolved text, which holds this checkout's paths.
  std::string identity = "codecbench preset 2\n";
  if (!b.variants.empty()) {
    identity += fmt::format("repeats {} warmup {}\n", b.variants.front().repeats,
                            b.variants.front().warmup);
  }
  for (const auto& j : b.jobs) identity += j.key + "\n";
  b.hash = expand ? stable_hash(identity) : stable_hash(b.yaml);
  return b;
}

int cores_wanted(const Preset& preset, int logical_cores) {
  const long per_job = preset.threads <= 0 ? logical_cores : preset.threads;
  const long all = std::max(1L, static_cast<long>(preset.jobs)) * per_job;
  return static_cast<int>(std::clamp(all, 1L, static_cast<long>(std::max(1, logical_cores))));
}

}  // namespace codecbench
