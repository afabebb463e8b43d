// VMAF model files (Netflix's JSON form), the SVM regression they describe, and the pooling of
// per-frame scores. The regression is libsvm's (Chang and Lin, "LIBSVM: a library for support
// vector machines", ACM TIST 2011): f(x) = sum_i coef_i exp(-gamma |x - sv_i|^2) - rho, on
// features rescaled by the model's slopes and intercepts, the output rescaled back.
#include <fmt/core.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <random>
#include <sstream>

#include "codecbench/core/error.hpp"
#include "codecbench/core/install.hpp"
#include "codecbench/core/json.hpp"
#include "codecbench/metrics/vmaf.hpp"

namespace codecbench::vmaf {
namespace {

const std::vector<std::string>& known_features() {
  static const std::vector<std::string> k = {"adm2",       "motion2",    "vif_scale0",
                                             "vif_scale1", "vif_scale2", "vif_scale3"};
  return k;
}

[[noreturn]] void bad(const std::string& origin, const std::string& why) {
  throw InputError(fmt::format("{}: not a VMAF model this tool reads: {}", origin, why));
}

// The libsvm model text: a header of "key value" lines, "SV", then one line per support
// vector: "coef index:value index:value ...".
void parse_svm(const std::string& text, std::size_t n_features, Model& m) {
  std::istringstream in(text);
  std::string line;
  bool in_sv = false;
  std::string svm_type, kernel;
  bool have_gamma = false, have_rho = false;
  while (std::getline(in, line)) {
    if (line.empty()) continue;
    std::istringstream ls(line);
    if (!in_sv) {
      std::string key;
      ls >> key;
      if (key == "SV") {
        in_sv = true;
      } else if (key == "svm_type") {
        ls >> svm_type;
      } else if (key == "kernel_type") {
        ls >> kernel;
      } else if (key == "gamma") {
        have_gamma = static_cast<bool>(ls >> m.gamma);
      } else if (key == "rho") {
        have_rho = static_cast<bool>(ls >> m.rho);
      }
      continue;
    }
    double coef = 0;
    if (!(ls >> coef)) bad(m.origin, fmt::format("support vector line '{}'", line.substr(0, 40)));
    std::vector<double> sv(n_features, 0.0);
    std::string item;
    while (ls >> item) {
      const auto colon = item.find(':');
      int index = 0;
      double value = 0;
      try {
        if (colon == std::string::npos) throw std::invalid_argument(item);
        index = std::stoi(item.substr(0, colon));
        value = std::stod(item.substr(colon + 1));
      } catch (const std::exception&) {
        bad(m.origin, fmt::format("support vector entry '{}'", item));
      }
      if (index < 1 || static_cast<std::size_t>(index) > n_features) {
        bad(m.origin, fmt::format("support vector index {} outside 1..{}", index, n_features));
      }
      sv[static_cast<std::size_t>(index - 1)] = value;
    }
    m.coef.push_back(coef);
    m.sv.push_back(std::move(sv));
  }
  if (svm_type != "nu_svr" && svm_type != "epsilon_svr") {
    bad(m.origin, fmt::format("svm_type '{}' (want nu_svr or epsilon_svr)", svm_type));
  }
  if (kernel != "rbf") bad(m.origin, fmt::format("kernel_type '{}' (want rbf)", kernel));
  if (!have_gamma || !have_rho) bad(m.origin, "the SVM has no gamma or rho");
  if (m.sv.empty()) bad(m.origin, "the SVM has no support vectors");
}

double number(const nlohmann::json& j, const std::string& origin, const std::string& what) {
  if (!j.is_number()) bad(origin, fmt::format("{} is not a number", what));
  return j.get<double>();
}

bool truthy(const nlohmann::json& j) {
  if (j.is_boolean()) return j.get<bool>();
  if (j.is_string()) return j.get<std::string>() == "true";
  return false;
}

// The model's features by their short names (adm2, motion2, vif_scale0..3), each known and
// listed once.
std::vector<std::string> model_features(const nlohmann::json& md, const std::string& origin) {
  std::vector<std::string> features;
  if (!md.contains("feature_names") || !md["feature_names"].is_array()) {
    bad(origin, "no feature_names");
  }
  for (const auto& f : md["feature_names"]) {
    std::string name = f.is_string() ? f.get<std::string>() : "";
    const std::string prefix = "VMAF_feature_";
    const std::string suffix = "_score";
    if (name.rfind(prefix, 0) == 0 && name.size() > prefix.size() + suffix.size() &&
        name.compare(name.size() - suffix.size(), suffix.size(), suffix) == 0) {
      name = name.substr(prefix.size(), name.size() - prefix.size() - suffix.size());
    }
    if (std::find(known_features().begin(), known_features().end(), name) ==
        known_features().end()) {
      bad(origin, fmt::format("feature '{}' (known: adm2, motion2, vif_scale0..3)", name));
    }
    // Each feature once: a model listing one 200,000 times made the SVM's vectors that wide.
    if (std::find(features.begin(), features.end(), name) != features.end()) {
      bad(origin, fmt::format("feature '{}' is listed twice", name));
    }
    features.push_back(name);
  }
  return features;
}

}  // namespace

Model parse_model(const std::string& json_text, const std::string& origin) {
  Model m;
  m.origin = origin;
  m.name = std::filesystem::path(origin).stem().string();
  nlohmann::json doc = parse_json(json_text, origin + ": not a VMAF model");
  if (!doc.is_object() || !doc.contains("model_dict") || !doc["model_dict"].is_object()) {
    bad(origin, "no model_dict object (a pickle model? use the .json form)");
  }
  const nlohmann::json& md = doc["model_dict"];
  const std::string type = md.value("model_type", "");
  if (type != "LIBSVMNUSVR") {
    bad(origin, fmt::format("model_type '{}' (this tool evaluates LIBSVMNUSVR models)", type));
  }
  m.features = model_features(md, origin);
  const std::size_t n = m.features.size();
  if (n == 0) bad(origin, "no features");
  const std::string norm = md.value("norm_type", "none");
  if (norm == "linear_rescale") {
    m.linear_rescale = true;
    for (const char* key : {"slopes", "intercepts"}) {
      if (!md.contains(key) || !md[key].is_array() || md[key].size() != n + 1) {
        bad(origin,
            fmt::format("{} must list {} numbers (the score, then each feature)", key, n + 1));
      }
    }
    for (std::size_t i = 0; i <= n; ++i) {
      m.slopes.push_back(number(md["slopes"][i], origin, "a slope"));
      m.intercepts.push_back(number(md["intercepts"][i], origin, "an intercept"));
    }
    if (m.slopes[0] == 0) bad(origin, "the score's slope is 0");
  } else if (norm == "none") {
    m.linear_rescale = false;
  } else {
    bad(origin, fmt::format("norm_type '{}' (want linear_rescale or none)", norm));
  }
  if (md.contains("score_clip") && !md["score_clip"].is_null()) {
    const auto& c = md["score_clip"];
    if (!c.is_array() || c.size() != 2) bad(origin, "score_clip is not [min, max]");
    m.clip = true;
    m.clip_min = number(c[0], origin, "score_clip");
    m.clip_max = number(c[1], origin, "score_clip");
  }
  if (md.contains("score_transform") && md["score_transform"].is_object()) {
    const auto& t = md["score_transform"];
    m.has_transform = true;
    m.p0 = t.contains("p0") ? number(t["p0"], origin, "p0") : 0.0;
    m.p1 = t.contains("p1") ? number(t["p1"], origin, "p1") : 1.0;
    m.p2 = t.contains("p2") ? number(t["p2"], origin, "p2") : 0.0;
    m.out_gte_in = t.contains("out_gte_in") && truthy(t["out_gte_in"]);
    m.out_lte_in = t.contains("out_lte_in") && truthy(t["out_lte_in"]);
    if (t.contains("knots")) bad(origin, "score_transform knots are not supported");
  }
  if (md.contains("feature_opts_dicts")) {
    const auto& dicts = md["feature_opts_dicts"];
    if (!dicts.is_array()) bad(origin, "feature_opts_dicts is not a list");
    for (const auto& d : dicts) {
      if (!d.is_object()) bad(origin, "feature_opts_dicts holds a non-object");
      for (const auto& [k, v] : d.items()) {
        const double x = number(v, origin, k);
        if (k == "adm_enhn_gain_limit") {
          m.feature_options.adm_enhn_gain_limit = x;
        } else if (k == "vif_enhn_gain_limit") {
          m.feature_options.vif_enhn_gain_limit = x;
        } else {
          bad(origin, fmt::format("feature option '{}' (known: adm_enhn_gain_limit, "
                                  "vif_enhn_gain_limit)",
                                  k));
        }
        if (x < 1) bad(origin, fmt::format("{} {} is below 1", k, x));
      }
    }
  }
  if (!md.contains("model") || !md["model"].is_string()) bad(origin, "no libsvm model text");
  parse_svm(md["model"].get<std::string>(), n, m);
  return m;
}

Model load_model(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw InputError(fmt::format("{}: cannot read the VMAF model file", path));
  std::ostringstream s;
  s << in.rdbuf();
  // A model file is tens of kilobytes; refuse anything absurd before parsing it.
  if (s.str().size() > (64u << 20)) {
    throw InputError(fmt::format("{}: not a VMAF model: larger than 64 MiB", path));
  }
  return parse_model(s.str(), path);
}

std::string model_path(const std::string& name) {
  if (name.find('/') != std::string::npos ||
      (name.size() > 5 && name.compare(name.size() - 5, 5, ".json") == 0)) {
    if (!std::filesystem::exists(name)) {
      throw UsageError(fmt::format("VMAF model file '{}' does not exist", name));
    }
    return name;
  }
  std::string stem = name;
  if (stem.empty() || stem == "default") stem = "vmaf_float_v0.6.1";
  if (stem == "neg") stem = "vmaf_float_v0.6.1neg";
  if (stem == "4k") stem = "vmaf_float_4k_v0.6.1";
  const DataDir dir = data_dir();
  if (dir.origin != DataOrigin::kNone) {
    const auto p = dir.path / "models" / (stem + ".json");
    if (std::filesystem::exists(p)) return p.string();
  }
  throw UsageError(fmt::format(
      "unknown VMAF model '{}' (shipped: vmaf_float_v0.6.1 (default), vmaf_float_v0.6.1neg "
      "(neg), vmaf_float_4k_v0.6.1 (4k); or a path to a model .json){}",
      name,
      dir.origin == DataOrigin::kNone ? "; no data folder found for the shipped models" : ""));
}

double feature_value(const Features& f, const std::string& name) {
  if (name == "adm2") return f.adm2;
  if (name == "motion2") return f.motion2;
  for (int s = 0; s < 4; ++s) {
    if (name == fmt::format("vif_scale{}", s)) return f.vif[static_cast<std::size_t>(s)];
  }
  throw UsageError(fmt::format("unknown VMAF feature '{}'", name));
}

double predict(const Model& model, const Features& f, bool phone) {
  const std::size_t n = model.features.size();
  std::vector<double> x(n);
  for (std::size_t i = 0; i < n; ++i) {
    x[i] = feature_value(f, model.features[i]);
    if (model.linear_rescale) x[i] = model.slopes[i + 1] * x[i] + model.intercepts[i + 1];
  }
  double y = -model.rho;
  for (std::size_t k = 0; k < model.sv.size(); ++k) {
    double d2 = 0;
    for (std::size_t i = 0; i < n; ++i) {
      const double d = x[i] - model.sv[k][i];
      d2 += d * d;
    }
    y += model.coef[k] * std::exp(-model.gamma * d2);
  }
  if (model.linear_rescale) y = (y - model.intercepts[0]) / model.slopes[0];
  if (phone && model.has_transform) {
    const double in = y;
    y = model.p0 + model.p1 * in + model.p2 * in * in;
    if (model.out_gte_in) y = std::max(y, in);
    if (model.out_lte_in) y = std::min(y, in);
  }
  if (model.clip) y = std::clamp(y, model.clip_min, model.clip_max);
  return y;
}

namespace {
// Percentile of sorted values with linear interpolation between closest ranks (numpy's
// default).
double percentile_sorted(const std::vector<double>& v, double q) {
  const double pos = q / 100.0 * static_cast<double>(v.size() - 1);
  const auto lo = static_cast<std::size_t>(std::floor(pos));
  const std::size_t hi = std::min(lo + 1, v.size() - 1);
  return v[lo] + (pos - static_cast<double>(lo)) * (v[hi] - v[lo]);
}

// percentile_sorted's value without sorting: the two order statistics it interpolates between
// are selected (linear time; a bootstrap over a long film draws a thousand resamples of all
// its frames). Reorders v.
double percentile_selected(std::vector<double>& v, double q) {
  const double pos = q / 100.0 * static_cast<double>(v.size() - 1);
  const auto lo = static_cast<std::size_t>(std::floor(pos));
  const auto at = v.begin() + static_cast<std::ptrdiff_t>(lo);
  std::nth_element(v.begin(), at, v.end());
  const double low = *at;
  const double high = lo + 1 < v.size() ? *std::min_element(at + 1, v.end()) : low;
  return low + (pos - static_cast<double>(lo)) * (high - low);
}
}  // namespace

Pooled pool(const std::vector<double>& scores) {
  Pooled p;
  if (scores.empty()) return p;
  double sum = 0, inv = 0;
  p.min = scores.front();
  for (double s : scores) {
    sum += s;
    inv += 1.0 / (s + 1.0);
    p.min = std::min(p.min, s);
  }
  const auto n = static_cast<double>(scores.size());
  p.mean = sum / n;
  p.harmonic_mean = n / inv - 1.0;
  std::vector<double> sorted = scores;
  std::sort(sorted.begin(), sorted.end());
  p.p1 = percentile_sorted(sorted, 1);
  p.p5 = percentile_sorted(sorted, 5);
  return p;
}

double pool_by(const Pooled& p, const std::string& method) {
  if (method == "mean") return p.mean;
  if (method == "harmonic_mean") return p.harmonic_mean;
  if (method == "min") return p.min;
  if (method == "p1") return p.p1;
  if (method == "p5") return p.p5;
  throw UsageError(
      fmt::format("unknown VMAF pooling '{}' (known: mean, harmonic_mean, min, p1, p5)", method));
}

std::array<double, 2> bootstrap_interval(const std::vector<double>& scores,
                                         const std::string& method, int resamples) {
  if (scores.size() < 2) {
    const double v = scores.empty() ? 0.0 : scores.front();
    return {v, v};
  }
  std::mt19937_64 rng(0x766d6166);  // fixed seed: "vmaf"
  std::uniform_int_distribution<std::size_t> pick(0, scores.size() - 1);
  std::vector<double> stats;
  stats.reserve(static_cast<std::size_t>(resamples));
  (void)pool_by(Pooled{}, method);  // validates the name before the work
  std::vector<double> draw(scores.size());
  const auto n = static_cast<double>(draw.size());
  for (int r = 0; r < resamples; ++r) {
    for (auto& d : draw) d = scores[pick(rng)];
    // Only the statistic asked for: a sum or a minimum is linear, a percentile a selection.
    double v = 0;
    if (method == "mean" || method == "harmonic_mean") {
      double sum = 0;
      for (double d : draw) sum += method == "mean" ? d : 1.0 / (d + 1.0);
      v = method == "mean" ? sum / n : n / sum - 1.0;
    } else if (method == "min") {
      v = *std::min_element(draw.begin(), draw.end());
    } else {
      v = percentile_selected(draw, method == "p1" ? 1 : 5);
    }
    stats.push_back(v);
  }
  std::sort(stats.begin(), stats.end());
  return {percentile_sorted(stats, 2.5), percentile_sorted(stats, 97.5)};
}

}  // namespace codecbench::vmaf
