// Named figures of a job result document, read through the metric registry.
#include "codecbench/metrics/figures.hpp"

#include <fmt/core.h>

#include <cmath>
#include <limits>

#include "codecbench/core/error.hpp"

namespace codecbench {

std::string QualityFigure::name() const {
  return output == &metric->primary() ? metric->name : metric->name + "." + output->name;
}

std::string QualityFigure::title() const { return output->title; }

std::vector<std::string> figure_names(MediaType type) {
  std::vector<std::string> out;
  for (const auto& m : metric_registry()) {
    if (type != MediaType::kUnknown && m.type != type) continue;
    for (const auto& o : m.outputs) out.push_back(QualityFigure{&m, &o}.name());
  }
  return out;
}

QualityFigure parse_figure(const std::string& name) {
  const std::size_t dot = name.find('.');
  std::string metric = name.substr(0, dot);
  const std::string output = dot == std::string::npos ? "" : name.substr(dot + 1);
  // Old spellings (psnr-y, ms-ssim, si-sdr) name the new one in the error.
  const MetricDescriptor* m = nullptr;
  for (const auto& d : metric_registry()) {
    if (d.name == metric) m = &d;
  }
  if (m != nullptr && output.empty()) return {m, &m->primary()};
  if (m != nullptr) {
    for (const auto& o : m->outputs) {
      if (o.name == output) return {m, &o};
    }
  }
  std::string hint;
  for (const auto& f : figure_names()) {
    std::string a = f, b = name;
    for (auto* s : {&a, &b}) {
      for (char& c : *s) c = (c == '-' || c == '.') ? '_' : c;
    }
    if (a == b) hint = fmt::format(" (did you mean '{}'?)", f);
  }
  std::string known;
  for (const auto& f : figure_names()) known += (known.empty() ? "" : ", ") + f;
  throw UsageError(fmt::format("unknown quality figure '{}'{} (known: {})", name, hint, known));
}

QualityFigure primary_figure(MediaType type) {
  for (const auto& m : metric_registry()) {
    if (m.type == type && m.measured_by_default) return {&m, &m.primary()};
  }
  throw UsageError(fmt::format("no quality metric for {}", media_type_name(type)));
}

std::vector<QualityFigure> charted_figures() {
  std::vector<QualityFigure> out;
  for (const auto& m : metric_registry()) {
    for (const auto& o : m.outputs) {
      if (o.charted) out.push_back({&m, &o});
    }
  }
  return out;
}

double figure_value(const nlohmann::json& result, const QualityFigure& f) {
  if (!result.is_object() || !result.contains("quality")) return std::nan("");
  const auto& q = result["quality"];
  if (!q.contains(f.metric->name) || !q[f.metric->name].contains(f.output->name))
    return std::nan("");
  const auto& v = q[f.metric->name][f.output->name];
  if (v.is_string()) return std::numeric_limits<double>::infinity();  // "inf": identical
  return v.is_number() ? v.get<double>() : std::nan("");
}

double quality_of(const nlohmann::json& result, const std::string& name) {
  return figure_value(result, parse_figure(name));
}

double bitrate_of(const nlohmann::json& result) {
  if (!result.is_object() || !result.contains("size")) return std::nan("");
  const auto& s = result["size"];
  return s.contains("bitrate_kbps") && s["bitrate_kbps"].is_number()
             ? s["bitrate_kbps"].get<double>()
             : std::nan("");
}

bool is_audio(const nlohmann::json& result) {
  return result.is_object() && result.value("type", "video") == "audio";
}

MediaType result_type(const nlohmann::json& result) {
  return is_audio(result) ? MediaType::kAudio : MediaType::kVideo;
}

}  // namespace codecbench
