// The one metric registry: every metric's descriptor, video first. A new metric adds one line
// here (its descriptor comes from its own file).
#include <fmt/core.h>

#include <algorithm>

#include "codecbench/core/error.hpp"
#include "codecbench/metrics/audio_metrics.hpp"
#include "codecbench/metrics/metrics.hpp"
#include "planes.hpp"

namespace codecbench {

namespace detail {
MetricDescriptor psnr_descriptor();
MetricDescriptor ssim_descriptor();
MetricDescriptor ms_ssim_descriptor();
MetricDescriptor vmaf_descriptor();
std::vector<MetricDescriptor> audio_descriptors();

PlaneLayout::PlaneLayout(AVPixelFormat fmt, int w, int h) {
  const AVPixFmtDescriptor* d = av_pix_fmt_desc_get(fmt);
  count = d->nb_components;
  depth = d->comp[0].depth;
  rgb = (d->flags & AV_PIX_FMT_FLAG_RGB) != 0;
  std::int64_t total = 0;
  for (int p = 0; p < count; ++p) {
    const bool chroma = !rgb && (p == 1 || p == 2);
    width[p] = chroma ? AV_CEIL_RSHIFT(w, d->log2_chroma_w) : w;
    height[p] = chroma ? AV_CEIL_RSHIFT(h, d->log2_chroma_h) : h;
    total += static_cast<std::int64_t>(width[p]) * height[p];
  }
  for (int p = 0; p < count; ++p) {
    weight[p] = static_cast<double>(width[p]) * height[p] / static_cast<double>(total);
    label[p] = 'a';
  }
  if (rgb) {
    // Component j (r, g, b, a) lives in plane comp[j].plane (GBR formats store G first).
    const char names[4] = {'r', 'g', 'b', 'a'};
    for (int j = 0; j < count; ++j) label[d->comp[j].plane] = names[j];
  } else {
    const char names[4] = {'y', 'u', 'v', 'a'};
    for (int p = 0; p < count; ++p) label[p] = count == 2 && p == 1 ? 'a' : names[p];
  }
}

std::vector<MetricOutput> plane_outputs(const std::string& title, const std::string& unit) {
  std::vector<MetricOutput> out;
  for (const char* p : {"y", "u", "v", "r", "g", "b", "a"}) {
    std::string upper = p;
    upper[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(upper[0])));
    out.push_back({p, unit, Better::kHigher, true, title + "-" + upper});
  }
  return out;
}
}  // namespace detail

bool planar_metric_format(AVPixelFormat fmt) {
  const AVPixFmtDescriptor* d = av_pix_fmt_desc_get(fmt);
  if (d == nullptr) return false;
  const auto bad = AV_PIX_FMT_FLAG_BE | AV_PIX_FMT_FLAG_PAL | AV_PIX_FMT_FLAG_BITSTREAM |
                   AV_PIX_FMT_FLAG_HWACCEL | AV_PIX_FMT_FLAG_FLOAT | AV_PIX_FMT_FLAG_BAYER;
  if ((d->flags & bad) != 0) return false;
  if (d->nb_components > 1 && (d->flags & AV_PIX_FMT_FLAG_PLANAR) == 0) return false;
  const int depth = d->comp[0].depth;
  if (depth < 8 || depth > 16) return false;
  for (int i = 0; i < d->nb_components; ++i) {
    // One component per plane, no packing: step is the sample size.
    if (d->comp[i].depth != depth || d->comp[i].shift != 0 || d->comp[i].offset != 0) return false;
    if (d->comp[i].step != (depth > 8 ? 2 : 1)) return false;
  }
  return true;
}

const std::vector<MetricDescriptor>& metric_registry() {
  static const std::vector<MetricDescriptor> kRegistry = [] {
    std::vector<MetricDescriptor> r = {
        detail::psnr_descriptor(),
        detail::ssim_descriptor(),
        detail::ms_ssim_descriptor(),
        detail::vmaf_descriptor(),
    };
    for (auto& a : detail::audio_descriptors()) r.push_back(std::move(a));
    return r;
  }();
  return kRegistry;
}

std::string metric_names_text(MediaType type) {
  std::string out;
  for (const auto& m : metric_registry()) {
    if (type == MediaType::kUnknown || m.type == type) out += (out.empty() ? "" : ", ") + m.name;
  }
  return out;
}

namespace {
const MetricDescriptor& find_by_name(const std::string& name);
}

MetricSpec parse_metric_spec(const std::string& text) {
  MetricSpec spec;
  const auto colon = text.find(':');
  spec.name = text.substr(0, colon);
  const MetricDescriptor& d = find_by_name(spec.name);
  std::size_t start = colon == std::string::npos ? text.size() : colon + 1;
  while (start < text.size()) {
    const auto next = text.find(':', start);
    const std::string item = text.substr(start, next - start);
    start = next == std::string::npos ? text.size() : next + 1;
    const auto eq = item.find('=');
    if (eq == std::string::npos || eq == 0) {
      throw UsageError(fmt::format("metric '{}': option '{}' is not KEY=VALUE", text, item));
    }
    const std::string key = item.substr(0, eq);
    const bool known = std::any_of(d.options.begin(), d.options.end(),
                                   [&](const MetricOption& o) { return o.name == key; });
    if (!known) {
      std::string names;
      for (const auto& o : d.options) names += (names.empty() ? "" : ", ") + o.name;
      throw UsageError(fmt::format("metric '{}' has no option '{}' ({})", spec.name, key,
                                   names.empty() ? "it takes none" : "its options: " + names));
    }
    spec.options.emplace_back(key, item.substr(eq + 1));
  }
  return spec;
}

const MetricDescriptor& find_metric(const std::string& name) {
  return find_by_name(parse_metric_spec(name).name);
}

std::vector<std::string> with_metric_option(std::vector<std::string> metrics,
                                            const std::string& metric, const std::string& key,
                                            const std::string& value) {
  if (metrics.size() == 1 && metrics[0] == "none") {
    throw UsageError(fmt::format("{} {} given, but the metrics are 'none'", metric, key));
  }
  if (metrics.empty()) metrics = default_metric_names(MediaType::kVideo);
  const std::string item = fmt::format("{}={}", key, value);
  for (auto& m : metrics) {
    const MetricSpec spec = parse_metric_spec(m);
    if (spec.name != metric) continue;
    std::string rebuilt = spec.name;
    for (const auto& [k, v] : spec.options) {
      if (k != key) rebuilt += fmt::format(":{}={}", k, v);
    }
    m = rebuilt + ":" + item;
    (void)parse_metric_spec(m);
    return metrics;
  }
  metrics.push_back(metric + ":" + item);
  (void)parse_metric_spec(metrics.back());
  return metrics;
}

namespace {
const MetricDescriptor& find_by_name(const std::string& name) {
  for (const auto& m : metric_registry()) {
    if (m.name == name) return m;
  }
  // The closest spelling: the same letters without '-' / '_' ("ms-ssim" for "ms_ssim").
  auto squash = [](std::string s) {
    s.erase(std::remove_if(s.begin(), s.end(), [](char c) { return c == '-' || c == '_'; }),
            s.end());
    return s;
  };
  std::string hint;
  for (const auto& m : metric_registry()) {
    if (squash(m.name) == squash(name)) hint = fmt::format(" (did you mean '{}'?)", m.name);
  }
  throw UsageError(
      fmt::format("unknown metric '{}'{} (known: {})", name, hint, metric_names_text()));
}
}  // namespace

const MetricDescriptor& find_metric(const std::string& name, MediaType type) {
  const MetricDescriptor& m = find_metric(name);
  if (m.type != type) {
    throw UsageError(fmt::format("metric '{}' measures {}, not {} (the {} metrics: {})", name,
                                 media_type_name(m.type), media_type_name(type),
                                 media_type_name(type), metric_names_text(type)));
  }
  return m;
}

const MetricDescriptor& find_video_metric(const std::string& name) {
  return find_metric(name, MediaType::kVideo);
}

const MetricDescriptor& find_audio_metric(const std::string& name) {
  return find_metric(name, MediaType::kAudio);
}

std::vector<std::string> default_metric_names(MediaType type) {
  std::vector<std::string> out;
  for (const auto& m : metric_registry()) {
    if (m.type == type && m.measured_by_default) out.push_back(m.name);
  }
  return out;
}

}  // namespace codecbench
