// The HTML report: everything inline (styles, charts, the table-sorting script), so the file
// works offline and can be mailed or archived as it is.
#include "codecbench/report/report.hpp"

#include <fmt/core.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <set>
#include <span>

#include "codecbench/analysis/bdrate.hpp"
#include "codecbench/analysis/hull.hpp"
#include "codecbench/metrics/figures.hpp"
#include "codecbench/report/plot.hpp"
#include "src/report/vega_bundle.hpp"

namespace codecbench {
namespace {

std::string esc(const std::string& s) {
  std::string o;
  for (char c : s) {
    switch (c) {
      case '&':
        o += "&amp;";
        break;
      case '<':
        o += "&lt;";
        break;
      case '>':
        o += "&gt;";
        break;
      case '"':
        o += "&quot;";
        break;
      default:
        o += c;
    }
  }
  return o;
}

// Text for a data: URL (RFC 3986): unreserved characters as they are, every other byte as %XX,
// so the URL holds no quote, '<', '&' or newline that HTML would read.
std::string percent_encode(const std::string& text) {
  std::string o;
  o.reserve(text.size() * 2);
  for (const char ch : text) {
    const auto c = static_cast<unsigned char>(ch);
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~' || c == ',') {
      o += static_cast<char>(c);
    } else {
      o += fmt::format("%{:02X}", c);
    }
  }
  return o;
}

std::string slug(const std::string& s) {
  std::string o;
  for (char c : s) o += std::isalnum(static_cast<unsigned char>(c)) ? c : '-';
  return o;
}

double get(const nlohmann::json& j, std::initializer_list<const char*> path) {
  const nlohmann::json* p = &j;
  for (const char* k : path) {
    if (!p->is_object() || !p->contains(k)) return std::nan("");
    p = &(*p)[k];
  }
  if (p->is_string()) return std::numeric_limits<double>::infinity();
  return p->is_number() ? p->get<double>() : std::nan("");
}

struct Point {
  double rate = 0;
  std::map<std::string, double> values;  ///< figure name -> value
  bool audio = false;
  std::string options;  ///< the job's options, shown with the point
};

// input -> label -> points sorted by rate; a label with a resolution ladder also gets
// "LABEL hull", its per-title convex hull for each charted figure
std::map<std::string, std::map<std::string, std::vector<Point>>> rd_points(const ReportData& d) {
  std::map<std::string, std::map<std::string, std::vector<Point>>> out;
  std::map<std::pair<std::string, std::string>, std::vector<std::pair<std::string, Point>>> ladders;
  for (const auto& j : d.run.jobs) {
    if (j.status != JobStatus::kOk || !j.result.is_object() || j.kind == JobKind::kDecode) continue;
    Point p;
    p.rate = bitrate_of(j.result);
    p.audio = is_audio(j.result);
    p.options = options_text(j.options);
    for (const auto& f : charted_figures()) p.values[f.name()] = figure_value(j.result, f);
    out[j.input][curve_label(j)].push_back(p);
    // A resolution ladder (jobs of one label at several scales) also gets its per-title hull.
    ladders[{j.input, j.encoder_label}].push_back({j.scale, std::move(p)});
  }
  for (const auto& [key, jobs] : ladders) {
    std::set<std::string> scales;
    for (const auto& [scale, p] : jobs) scales.insert(scale);
    if (scales.size() < 2) continue;
    // One series: each job that is a hull vertex for some figure, with only those figures.
    std::vector<Point> hull(jobs.size());
    std::vector<Point> ladder(jobs.size());
    std::vector<bool> used(jobs.size(), false);
    std::vector<bool> chosen(jobs.size(), false);
    for (std::size_t i = 0; i < jobs.size(); ++i) {
      hull[i].rate = jobs[i].second.rate;
      hull[i].audio = jobs[i].second.audio;
      hull[i].options = jobs[i].second.options;
      ladder[i] = hull[i];
    }
    for (const auto& f : charted_figures()) {
      std::vector<HullPoint> hp;
      std::vector<std::size_t> index;
      for (std::size_t i = 0; i < jobs.size(); ++i) {
        const auto v = jobs[i].second.values.find(f.name());
        if (v == jobs[i].second.values.end() || !std::isfinite(v->second)) continue;
        HullPoint h;
        h.rate = jobs[i].second.rate;
        h.quality = v->second;
        hp.push_back(h);
        index.push_back(i);
      }
      // convex_hull keeps the usable points in order, so its indexes map back through `index`.
      std::vector<std::size_t> usable;
      for (std::size_t k = 0; k < hp.size(); ++k) {
        if (hp[k].rate > 0 && std::isfinite(hp[k].rate)) usable.push_back(index[k]);
      }
      const Hull h = convex_hull(hp);
      for (std::size_t k : h.on_hull) {
        hull[usable[k]].values[f.name()] = h.points[k].quality;
        used[usable[k]] = true;
      }
      for (const auto& pick : ladder_for_rates(h, d.ladder_rates)) {
        if (!pick) continue;
        ladder[usable[*pick]].values[f.name()] = h.points[*pick].quality;
        chosen[usable[*pick]] = true;
      }
    }
    auto& series = out[key.first][key.second + " hull"];
    for (std::size_t i = 0; i < jobs.size(); ++i) {
      if (used[i]) series.push_back(std::move(hull[i]));
    }
    if (std::find(chosen.begin(), chosen.end(), true) != chosen.end()) {
      auto& picked = out[key.first][key.second + " ladder"];
      for (std::size_t i = 0; i < jobs.size(); ++i) {
        if (chosen[i]) picked.push_back(std::move(ladder[i]));
      }
    }
  }
  for (auto& [in, m] : out) {
    for (auto& [l, pts] : m) {
      std::sort(pts.begin(), pts.end(),
                [](const Point& a, const Point& b) { return a.rate < b.rate; });
    }
  }
  return out;
}

// The BD-rate table: for each input, between the encoder labels that have a ladder (two or
// more points): the chosen anchor (or the first such label) against every other. One column per
// charted figure of the registry: the primary one first (the media type's primary figure: PSNR
// average for video, SNR for audio) with BD-quality beside it, then every other charted figure
// (PSNR-Y, SSIM, MS-SSIM, SI-SDR); an average row per pair over several inputs.
// What the BD-rate table is made of: the run's RD samples per column and its ladders.
struct BdData {
  // (column key, title): "primary" first, then the other charted figures.
  std::vector<std::pair<std::string, std::string>> metrics = {{"primary", ""}};
  std::map<std::string, std::vector<RdSample>> samples;      // column -> samples
  std::map<std::string, std::map<std::string, int>> points;  // input -> label -> jobs
  bool any_audio = false, any_video = false;
};

BdData bd_data(const ReportData& d) {
  BdData b;
  for (const auto& f : charted_figures()) {
    if (f.name() != primary_figure(f.metric->type).name())
      b.metrics.emplace_back(f.name(), f.title());
  }
  for (const auto& j : d.run.jobs) {
    if (j.status != JobStatus::kOk || !j.result.is_object() || j.kind == JobKind::kDecode) continue;
    const auto& r = j.result;
    (is_audio(r) ? b.any_audio : b.any_video) = true;
    ++b.points[j.input][curve_label(j)];
    for (const auto& [m, title] : b.metrics) {
      const double q =
          m == "primary" ? figure_value(r, primary_figure(result_type(r))) : quality_of(r, m);
      if (std::isfinite(q)) b.samples[m].push_back({j.input, curve_label(j), bitrate_of(r), q});
    }
  }
  return b;
}

// (anchor, test) pairs: per input, the anchor (or the first label with a ladder) against
// every other label with a ladder.
std::set<std::pair<std::string, std::string>> bd_pairs(const BdData& b, const std::string& anchor) {
  std::set<std::pair<std::string, std::string>> pairs;
  for (const auto& [input, labels] : b.points) {
    std::vector<std::string> ladder;
    for (const auto& [label, n] : labels)
      if (n >= 2) ladder.push_back(label);
    if (ladder.size() < 2) continue;
    if (anchor.empty()) {
      for (std::size_t k = 1; k < ladder.size(); ++k) pairs.insert({ladder[0], ladder[k]});
    } else if (std::find(ladder.begin(), ladder.end(), anchor) != ladder.end()) {
      for (const auto& l : ladder)
        if (l != anchor) pairs.insert({anchor, l});
    }
  }
  return pairs;
}

std::string bd_cell(bool ok, double v, const std::string& why, const char* f) {
  return ok ? fmt::format(fmt::runtime(f), v) : "n/a: " + esc(why);
}

// The rows of one (anchor, test) pair: one per input, and their average over several.
std::string bd_pair_rows(BdData& b, const std::vector<std::pair<std::string, std::string>>& columns,
                         const std::string& anchor, const std::string& test,
                         BdInterpolation interp) {
  std::map<std::string, std::string> rows;  // input -> cells
  std::string average;
  for (std::size_t c = 0; c < columns.size(); ++c) {
    const BdTable t = bd_table(b.samples[columns[c].first], anchor, test, interp);
    std::map<std::string, const BdResult*> by_input;
    for (const auto& row : t.rows) by_input[row.input] = &row.result;
    for (const auto& [input, labels] : b.points) {
      if (!labels.count(anchor) || !labels.count(test)) continue;
      const auto it = by_input.find(input);
      std::string& cells = rows[input];
      if (it == by_input.end()) {
        cells += c == 0 ? "<td></td><td></td>" : "<td></td>";
        continue;
      }
      const BdResult& r = *it->second;
      cells += "<td>" + bd_cell(r.valid, r.rate_pct, r.reason, "{:+.2f} %") + "</td>";
      if (c == 0)
        cells +=
            "<td>" + bd_cell(r.quality_valid, r.quality, r.quality_reason, "{:+.3f}") + "</td>";
    }
    average +=
        "<td>" + bd_cell(t.rate_count > 0, t.mean_rate_pct, "none defined", "{:+.2f} %") + "</td>";
    if (c == 0)
      average += "<td>" + bd_cell(t.quality_count > 0, t.mean_quality, "none defined", "{:+.3f}") +
                 "</td>";
  }
  std::string h;
  for (const auto& [input, cells] : rows) {
    h += fmt::format(
        "<tr><td class=\"l\">{}</td><td class=\"l\">{}</td><td class=\"l\">{}</td>{}</tr>\n",
        esc(input), esc(anchor), esc(test), cells);
  }
  if (rows.size() > 1) {
    h += fmt::format(
        "<tr class=\"avg\"><td class=\"l\">average (inputs where defined)</td><td "
        "class=\"l\">{}</td><td class=\"l\">{}</td>{}</tr>\n",
        esc(anchor), esc(test), average);
  }
  return h;
}

std::string bd_section(const ReportData& d) {
  BdData b = bd_data(d);
  const std::string primary = b.any_audio && b.any_video ? "PSNR/SNR"
                              : b.any_audio              ? "SNR"
                                                         : "PSNR";
  const auto pairs = bd_pairs(b, d.bd_anchor);
  if (pairs.empty()) {
    if (d.run.jobs.empty()) return {};
    return d.bd_anchor.empty()
               ? "<h2>BD-rate</h2>\n<p>None: no input has two encoder labels with a rate ladder "
                 "(a BD-rate needs at least 4 points per curve; see "
                 "presets/x264-crf-ladder.yaml).</p>\n"
               : fmt::format(
                     "<h2>BD-rate</h2>\n<p>None: no input has a ladder of the anchor '{}' "
                     "and of another label.</p>\n",
                     esc(d.bd_anchor));
  }
  std::vector<std::pair<std::string, std::string>> columns;
  for (const auto& m : b.metrics)
    if (b.samples.count(m.first)) columns.push_back(m);
  std::string h = fmt::format(
      "<h2>BD-rate</h2>\n<p>Bjontegaard delta ({}) of each test label against the "
      "anchor: negative BD-rate = the same quality for fewer bits; BD-{} in dB at the "
      "same bitrate. Per metric and pair: <code>codecbench bdrate</code>; another "
      "anchor: <code>codecbench report --anchor LABEL</code>.</p>\n"
      "<table><tr><th class=\"l\">input</th><th class=\"l\">anchor</th><th "
      "class=\"l\">test</th>",
      bd_interpolation_name(d.bd_interp), primary);
  for (std::size_t c = 0; c < columns.size(); ++c) {
    const std::string title = c == 0 && columns[c].first == "primary" ? primary : columns[c].second;
    h += fmt::format("<th>BD-rate {}</th>", title);
    if (c == 0) h += fmt::format("<th>BD-{} (dB)</th>", title);
  }
  h += "</tr>\n";
  for (const auto& [anchor, test] : pairs) h += bd_pair_rows(b, columns, anchor, test, d.bd_interp);
  return h + "</table>\n";
}

}  // namespace

std::vector<plot::Figure> sweep_figures(const nlohmann::json& sw) {
  std::vector<plot::Figure> figs;
  const bool strong = sw.value("mode", "strong") == "strong";
  const std::string level = sw.value("level", "codec");
  const std::string workload = sw.value("workload", "encode");
  const std::string what = level == "codec" && workload == "decode"   ? "decoder threads"
                           : level == "codec" && workload == "encode" ? "encoder threads"
                           : level == "codec"                         ? "codec threads"
                           : level == "ranks"                         ? "MPI ranks"
                                                                      : "concurrent jobs";
  if (level == "grid") {
    plot::HeatMap m;
    m.title = "Throughput by codec threads and concurrent jobs";
    m.x_label = "codec threads";
    m.y_label = "concurrent jobs";
    m.unit = "units/s";
    m.x = sw.value("counts", std::vector<int>{});
    m.y = m.x;
    m.values.assign(m.y.size(), std::vector<std::optional<double>>(m.x.size()));
    for (const auto& c : sw.value("grid", nlohmann::json::array())) {
      const auto xi = std::find(m.x.begin(), m.x.end(), c.value("threads", 0)) - m.x.begin();
      const auto yi = std::find(m.y.begin(), m.y.end(), c.value("jobs", 0)) - m.y.begin();
      if (xi < static_cast<std::ptrdiff_t>(m.x.size()) &&
          yi < static_cast<std::ptrdiff_t>(m.y.size()))
        m.values[static_cast<std::size_t>(yi)][static_cast<std::size_t>(xi)] =
            c.value("throughput", 0.0);
    }
    figs.push_back({"grid", m.title, m, ""});
    return figs;
  }
  const auto& points = sw.value("points", nlohmann::json::array());
  if (points.size() < 2) return figs;
  std::vector<double> n, speedup, eff, thr;
  for (const auto& p : points) {
    n.push_back(p.value("n", 0.0));
    speedup.push_back(p.value(strong ? "speedup" : "scaled_speedup", 0.0));
    eff.push_back(p.value("efficiency", 0.0));
    thr.push_back(p.value("throughput", 0.0));
  }
  const bool fitted = sw.contains("fit") && sw["fit"].contains("value");
  const double f = fitted ? sw["fit"]["value"].get<double>() : 0;
  std::vector<double> dense, ideal, law;
  for (double x = n.front(); x <= n.back() + 1e-9;
       x += std::max(0.05, (n.back() - n.front()) / 100)) {
    const double k = x / n.front();
    dense.push_back(x);
    ideal.push_back(k);
    if (fitted) law.push_back(strong ? 1.0 / (f + (1 - f) / k) : k - f * (k - 1));
  }
  const int cores = sw.value("physical_cores", 0);
  plot::LineChart s;
  s.title = fmt::format(
      "{} scaling: {}{}", strong ? "Strong" : "Weak", what,
      sw.contains("thread_type") ? fmt::format(" ({})", sw["thread_type"].get<std::string>()) : "");
  s.x_label = fmt::format("N ({})", what);
  s.y_label = strong ? "speedup T(1)/T(N)" : "scaled speedup N T(1)/T(N)";
  s.series = {{"measured", n, speedup, false, true, {}}, {"ideal", dense, ideal, true, false, {}}};
  if (fitted) {
    s.series.push_back(
        {fmt::format("{} {}={:.3f}", strong ? "Amdahl" : "Gustafson", strong ? "f" : "s", f),
         dense,
         law,
         true,
         false,
         {}});
  }
  if (cores > 0 && cores + 0.5 <= n.back()) s.shade_from_x = cores + 0.5;
  s.shade_label = "oversubscribed";
  figs.push_back({"speedup", s.title, s, ""});
  plot::LineChart e = s;
  e.title = fmt::format("Efficiency: {}", what);
  e.y_label = "efficiency";
  e.series = {{"measured", n, eff, false, true, {}},
              {"ideal", {n.front(), n.back()}, {1.0, 1.0}, true, false, {}}};
  figs.push_back({"efficiency", e.title, e, ""});
  plot::LineChart t = s;
  t.title = fmt::format("Throughput: {}", what);
  t.y_label = "work units per second";
  t.series = {{"measured", n, thr, false, true, {}}};
  figs.push_back({"throughput", t.title, t, ""});
  return figs;
}

namespace {

// Most bars in one bar chart. A bar a job is readable up to a few dozen; 20,000 made an SVG
// that librsvg would not rasterise and a page that drew for seconds.
constexpr std::size_t kMaxBars = 60;

// The chart as it is when it has at most kMaxBars bars; otherwise one bar per group (`groups`,
// one per bar: input and encoder label) at the median of its jobs' values, in the order the
// groups first appear, the first kMaxBars of them, the title saying so.
plot::BarChart bounded_bars(plot::BarChart c, const std::vector<std::string>& groups) {
  if (c.values.size() <= kMaxBars) return c;
  std::vector<std::string> order;
  std::map<std::string, std::vector<double>> values;
  std::map<std::string, std::size_t> jobs;
  for (std::size_t i = 0; i < c.values.size(); ++i) {
    if (jobs[groups[i]]++ == 0) order.push_back(groups[i]);
    if (std::isfinite(c.values[i])) values[groups[i]].push_back(c.values[i]);
  }
  plot::BarChart out{c.title, c.unit, {}, {}};
  for (std::size_t g = 0; g < order.size() && g < kMaxBars; ++g) {
    auto& v = values[order[g]];
    double median = std::numeric_limits<double>::quiet_NaN();
    if (!v.empty()) {
      std::sort(v.begin(), v.end());
      const std::size_t n = v.size();
      median = n % 2 == 1 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
    }
    out.labels.push_back(fmt::format("{} (median of {})", order[g], jobs[order[g]]));
    out.values.push_back(median);
  }
  out.title += fmt::format(
      " (median per input and encoder of {} jobs{})", c.values.size(),
      order.size() > kMaxBars ? fmt::format("; the first {} of {}", kMaxBars, order.size()) : "");
  return out;
}

}  // namespace

std::vector<plot::Figure> report_figures(const ReportData& d) {
  std::vector<plot::Figure> figs;
  for (const auto& [input, labels] : rd_points(d)) {
    bool ladder = false;
    for (const auto& [l, pts] : labels) ladder = ladder || pts.size() > 1;
    if (!ladder) continue;
    const bool audio = labels.begin()->second.front().audio;
    for (const auto& figure : charted_figures()) {
      if (figure.metric->type != (audio ? MediaType::kAudio : MediaType::kVideo)) continue;
      const std::string key = figure.name();
      const std::string title = figure.title();
      plot::LineChart c;
      c.title = fmt::format("{}: {} against bitrate", input, title);
      c.x_label = "bitrate (kbit/s)";
      c.y_label = figure.unit().empty() ? title : fmt::format("{} ({})", title, figure.unit());
      c.y_from_zero = false;
      c.x_log_option = true;
      for (const auto& [label, pts] : labels) {
        plot::Series s;
        s.name = label;
        for (const auto& p : pts) {
          const auto v = p.values.find(key);
          if (v == p.values.end() || !std::isfinite(v->second)) continue;
          s.x.push_back(p.rate);
          s.y.push_back(v->second);
          s.notes.push_back(p.options);
        }
        if (!s.x.empty()) c.series.push_back(std::move(s));
      }
      if (c.series.empty()) continue;
      figs.push_back({fmt::format("rd-{}-{}", slug(input), slug(key)), c.title, c, input});
    }
  }
  plot::BarChart ratio{"Compression ratio (raw / bitstream)", "x", {}, {}};
  plot::BarChart speed{"Encoding speed", "fps (audio: x realtime)", {}, {}};
  std::vector<std::string> groups;
  for (const auto& j : d.run.jobs) {
    if (j.status != JobStatus::kOk || !j.result.is_object() || j.kind == JobKind::kDecode) continue;
    const auto& r = j.result;
    const std::string label =
        fmt::format("{} {} {}", j.input, j.encoder_label, options_text(j.options));
    ratio.labels.push_back(label);
    groups.push_back(fmt::format("{} {}", j.input, j.encoder_label));
    ratio.values.push_back(get(r, {"size", "compression_ratio"}));
    const bool audio = r.value("type", "video") == "audio";
    speed.labels.push_back(label);
    speed.values.push_back(audio ? get(r, {"speed", "realtime_factor"})
                                 : get(r, {"speed", "encode_fps"}));
  }
  if (!ratio.values.empty()) {
    ratio = bounded_bars(std::move(ratio), groups);
    speed = bounded_bars(std::move(speed), groups);
    figs.push_back({"compression-ratio", ratio.title, ratio, ""});
    figs.push_back({"encode-speed", speed.title, speed, ""});
  }
  plot::BarChart decoding{"Decoding speed", "fps", {}, {}};
  groups.clear();
  for (const auto& j : d.run.jobs) {
    if (j.status != JobStatus::kOk || !j.result.is_object() || j.kind != JobKind::kDecode) continue;
    decoding.labels.push_back(fmt::format("{} {} threads={}{}", j.input, j.encoder_label, j.threads,
                                          j.options.empty() ? "" : " " + j.options.front().second));
    groups.push_back(fmt::format("{} {} threads={}", j.input, j.encoder_label, j.threads));
    decoding.values.push_back(get(j.result, {"fps"}));
  }
  decoding = bounded_bars(std::move(decoding), groups);
  if (!decoding.values.empty()) figs.push_back({"decode-speed", decoding.title, decoding, ""});
  int k = 0;
  for (const auto& sw : d.sweeps) {
    ++k;
    // A sweep of encoders and decoders: the decoders' charts follow the encoders', side by side.
    auto figures = sweep_figures(sw);
    for (const auto& part : sw.value("decoders", nlohmann::json::array())) {
      for (auto& f : sweep_figures(part)) {
        const std::string type = part.value("thread_type", "default");
        f.name = fmt::format("decoders-{}-{}", slug(type), f.name);
        f.title += fmt::format(" ({} threads)", type);
        std::visit([&](auto& c) { c.title = f.title; }, f.chart);
        figures.push_back(std::move(f));
      }
    }
    for (auto& f : figures) {
      f.name = fmt::format("sweep-{}-{}", k, f.name);
      f.title = fmt::format("Sweep {} ({}): {}", k, sw.value("level", ""), f.title);
      std::visit([&](auto& c) { c.title = f.title; }, f.chart);
      figs.push_back(std::move(f));
    }
  }
  return figs;
}

std::string report_charting() {
  const vega::Bundle* b = vega::bundle();
  return b != nullptr ? fmt::format("Vega-Lite ({})", b->versions) : std::string("static SVG");
}

std::string json_for_script(const std::string& json) {
  std::string out;
  out.reserve(json.size());
  for (const char c : json) {
    if (c == '<') {
      out += "\\u003c";
    } else {
      out += c;
    }
  }
  return out;
}

std::string unfinished_note(RunStatus status) {
  switch (status) {
    case RunStatus::kRunning:
      return "This run is still running (or its process runs on another machine): its results "
             "are incomplete.";
    case RunStatus::kStale:
      return "This run did not finish: the process writing it is gone (killed, or its machine "
             "restarted). The jobs below finished before that; run it again with --resume to "
             "complete it.";
    case RunStatus::kInterrupted:
      return "This run was interrupted: some jobs did not run (--resume runs them).";
    case RunStatus::kFailed:
      return "This run failed before its end (its results store could not be written, e.g. a "
             "full disk); the jobs below finished before that.";
    case RunStatus::kOk:
    case RunStatus::kFailedJobs:
      break;
  }
  return "";
}

namespace {

// The page's head: its title and style sheet.
std::string report_head() {
  return R"(<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<title>codecbench report</title>
<style>
body{font-family:sans-serif;margin:2em;max-width:1200px;color:#222}
table{border-collapse:collapse;font-size:13px;margin:1em 0}
th,td{border:1px solid #ccc;padding:3px 8px;text-align:right}
th{background:#f0f0f0;cursor:pointer;user-select:none}
td.l,th.l{text-align:left}
tr.failed td{color:#a00}
tr.avg td{font-weight:bold}
figure{margin:1em 0}
section.multiples div.grid{display:grid;grid-template-columns:repeat(auto-fill,minmax(360px,1fr));gap:1em}
section.multiples figure{margin:0;min-width:0}
section.multiples div.chart{width:100%}
div.static svg{max-width:100%;height:auto}
tr.group-head th{background:#e4ecf4;text-align:left;cursor:default}
tr.group-head span.n{font-weight:normal;color:#555}
a.csv{font-size:11px;margin-left:.5em}
figcaption{font-size:12px;color:#555}
div.chart[data-error]{color:#a00;font-size:12px}
p.warn{color:#a00;border:1px solid #a00;padding:.5em}
pre{background:#f7f7f7;padding:1em;overflow:auto;font-size:12px}
</style></head><body>
)";
}

// The title and the run's metadata: where, on what, with what, and the resolved preset.
std::string meta_section(const RunRecord& i) {
  const MachineInfo& m = i.machine;
  std::string h;
  h += fmt::format("<h1>codecbench report: {} (run {})</h1>\n", esc(i.preset_name), i.id);
  h += "<table class=\"meta\">\n";
  auto meta = [&](const char* k, const std::string& v) {
    h += fmt::format("<tr><th class=\"l\">{}</th><td class=\"l\">{}</td></tr>\n", k, esc(v));
  };
  if (const std::string why = unfinished_note(i.status); !why.empty())
    h += "<p class=\"warn\"><b>" + esc(why) + "</b></p>\n";
  meta("started", i.started);
  meta("run", i.uuid);
  meta("status", run_status_name(i.status));
  meta("host", m.host);
  meta("CPU", fmt::format("{} ({} physical / {} logical cores)", m.cpu_model, m.physical_cores,
                          m.logical_cores));
  if (const std::string c = conditions_text(m.conditions); !c.empty()) meta("conditions", c);
  meta("codecbench", fmt::format("{} (git {})", m.tool_version, m.git_revision));
  meta("FFmpeg", m.ffmpeg_version);
  meta("charts", report_charting());
  meta("preset", fmt::format("{} ({}), hash {}", i.preset_name, i.preset_path, i.preset_hash));
  h += "</table>\n<details><summary>Resolved preset</summary><pre>" + esc(i.preset_yaml) +
       "</pre></details>\n";
  return h;
}

// One job's row of the results table (a decode job: the stream's size and the decoder's fps).
std::string result_row(const JobRecord& j) {
  const nlohmann::json& r = j.result;
  const bool audio = is_audio(r);
  const std::string status = job_status_name(j.status);
  auto num = [&](double v, const char* f) {
    if (std::isnan(v)) return std::string("");
    if (std::isinf(v)) return std::string("inf");
    return fmt::format(fmt::runtime(f), v);
  };
  const bool decode = j.kind == JobKind::kDecode;
  const std::string opts = job_options_text(j);
  std::string h = fmt::format(
      "<tr class=\"{}\"><td class=\"l\">{}</td><td class=\"l\">{}</td><td class=\"l\">{}</td>"
      "<td class=\"l\" title=\"{}\">{}</td>",
      status, esc(j.input), esc(j.encoder_label), esc(opts), esc(j.error), esc(status));
  if (decode) {
    // A decode job: the stream's size and rate, no quality, the decoder's fps.
    const double bytes = get(r, {"stream_bytes"});
    const double seconds = get(r, {"duration_s"});
    h += fmt::format(
        "<td>{}</td><td></td><td>{}</td><td></td><td></td><td>{}</td><td>{}</td><td>{}</td>"
        "</tr>\n",
        num(bytes, "{:.0f}"), num(seconds > 0 ? 8 * bytes / seconds / 1000 : NAN, "{:.1f}"),
        num(get(r, {"fps"}), "{:.1f}"), num(j.wall.median, "{:.3f}"), j.measurements.size());
    return h;
  }
  h += fmt::format(
      "<td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</"
      "td></"
      "tr>\n",
      num(get(r, {"size", "bitstream_bytes"}), "{:.0f}"),
      num(get(r, {"size", "compression_ratio"}), "{:.2f}"),
      num(get(r, {"size", "bitrate_kbps"}), "{:.1f}"),
      num(figure_value(r, primary_figure(result_type(r))), "{:.3f}"),
      num(quality_of(r, audio ? "si_sdr" : "ssim"), "{:.4f}"),
      num(audio ? get(r, {"speed", "realtime_factor"}) : get(r, {"speed", "encode_fps"}), "{:.1f}"),
      num(j.wall.median, "{:.3f}"), j.measurements.size());
  return h;
}

// Every job, one table body per input (in the order inputs first appear), sortable.
std::string results_section(const ReportData& d) {
  std::string h;
  h += "<h2>Results</h2>\n<p>Grouped by input; click a column header to sort within each "
       "group.</p>\n<table id=\"results\"><thead><tr>";
  const std::vector<std::string> cols{"input",       "encoder",    "options",  "status",
                                      "bytes",       "ratio",      "kbit/s",   "PSNR/SNR",
                                      "SSIM/SI-SDR", "fps / x rt", "wall (s)", "repeats"};
  for (std::size_t c = 0; c < cols.size(); ++c) {
    h += fmt::format("<th class=\"{}\" onclick=\"sortTable({})\">{}</th>", c < 4 ? "l" : "", c,
                     esc(cols[c]));
  }
  h += "</tr></thead>\n";
  // One tbody per input, in the order the inputs first appear; its first row names it.
  std::vector<std::string> inputs;
  for (const auto& j : d.run.jobs) {
    if (std::find(inputs.begin(), inputs.end(), j.input) == inputs.end()) inputs.push_back(j.input);
  }
  for (const auto& input : inputs) {
    std::size_t n = 0;
    for (const auto& j : d.run.jobs) n += j.input == input ? 1 : 0;
    h += fmt::format(
        "<tbody class=\"group\"><tr class=\"group-head\"><th class=\"l\" colspan=\"{}\">{} "
        "<span class=\"n\">({} job{})</span></th></tr>\n",
        cols.size(), esc(input), n, n == 1 ? "" : "s");
    for (const auto& j : d.run.jobs) {
      if (j.input != input) continue;
      h += result_row(j);
    }
    h += "</tbody>\n";
  }
  h += "</table>\n";
  return h;
}

// The charting libraries, inlined with their licences, and the script that draws each view.
std::string chart_scripts(const nlohmann::json& specs, const vega::Bundle& vb) {
  std::string h;
  const std::string json_text = json_for_script(dump_json(specs));
  h += "<script type=\"application/json\" id=\"chart-specs\">" + json_text + "</script>\n";
  h += "<script>/*! ";
  h += vb.versions;
  h += ", inlined by codecbench. Their licence notices:\n\n";
  h += vb.licenses;
  h += "\n*/\n";
  h += vb.vega;
  h += "\n</script>\n<script>";
  h += vb.vega_lite;
  h += "\n</script>\n<script>";
  h += vb.vega_embed;
  h += "\n</script>\n";
  h += R"(<script>
  (function(){
    const specs=JSON.parse(document.getElementById('chart-specs').textContent);
    const opts={renderer:'svg',actions:{export:true,source:false,compiled:false,editor:false}};
    // A log-scale x axis for the charts that offer one (bitrates of a ladder).
    function logX(spec){
      const s=JSON.parse(JSON.stringify(spec));
      for(const l of s.layer||[]){const x=l.encoding&&l.encoding.x;
        if(x&&x.field==='x'){x.scale=Object.assign({},x.scale,{type:'log',zero:false});}}
      return s;}
    function draw(el,log){
      const spec=specs[+el.dataset.chart];
      const use=log&&spec.usermeta&&spec.usermeta.x_log_option?logX(spec):spec;
      return vegaEmbed(el,use,opts).then(r=>{
        const marks=el.querySelectorAll('g.mark-symbol path, g.mark-rect path, g.mark-line path').length;
        if(!marks)throw new Error('the view has no marks');
        el.dataset.drawn=String(marks);
        el.dataset.xscale=use===spec?'linear':'log';
        const copy=el.nextElementSibling;
        if(copy&&copy.classList.contains('static'))copy.remove();
      }).catch(e=>{
        el.dataset.error=String(e&&e.message||e);
        el.textContent='interactive chart failed ('+el.dataset.error+'); static copy below';
      });}
    const charts=Array.from(document.querySelectorAll('div.chart'));
    const box=document.getElementById('lograte');
    const views=charts.map(el=>draw(el,box&&box.checked));
    if(box)box.addEventListener('change',()=>{
      document.body.dataset.charts='drawing';
      Promise.allSettled(charts.filter(el=>{const s=specs[+el.dataset.chart];
        return s.usermeta&&s.usermeta.x_log_option;}).map(el=>draw(el,box.checked)))
        .then(()=>{document.body.dataset.charts='done';});});
    Promise.allSettled(views).then(()=>{document.body.dataset.charts='done';});
  })();
  </script>
  )";
  return h;
}

// Each figure: a Vega-Lite view over a static SVG copy (the scripts, when Vega is built in,
// after them).
std::string figures_section(const std::vector<plot::Figure>& figs, const vega::Bundle* vb) {
  std::string h;
  h += "<h2>Figures</h2>\n";
  h += vb != nullptr
           ? "<p>Drag to pan, scroll to zoom, double-click to reset; hover a point, bar or cell "
             "for its exact value; each chart's menu saves it as SVG or PNG. <code>codecbench "
             "report --figures DIR</code> writes static SVG and PNG copies for papers.</p>\n"
           : "<p>Static charts (this codecbench was built without Vega: run tools/bootstrap). "
             "Hover a point or bar for its exact value.</p>\n";
  // Each figure: a Vega-Lite view over a static SVG copy. The copy is what shows without
  // scripts, and it stays if a view fails to draw; a drawn view replaces it.
  nlohmann::json specs = nlohmann::json::array();
  bool log_option = false;
  for (const auto& f : figs) {
    if (const auto* c = std::get_if<plot::LineChart>(&f.chart)) log_option |= c->x_log_option;
  }
  if (vb != nullptr && log_option) {
    h += "<p><label><input type=\"checkbox\" id=\"lograte\"> log-scale bitrate axis</label></p>\n";
  }
  std::string open_group;
  for (std::size_t k = 0; k < figs.size(); ++k) {
    const auto& f = figs[k];
    if (f.group != open_group) {
      if (!open_group.empty()) h += "</div></section>\n";
      if (!f.group.empty()) {
        h += fmt::format(
            "<section class=\"multiples\"><h3>{}: quality against bitrate</h3><div "
            "class=\"grid\">\n",
            esc(f.group));
      }
      open_group = f.group;
    }
    specs.push_back(plot::figure_vega_lite(f));
    h += fmt::format(
        "<figure id=\"{}\"><div class=\"chart\" data-chart=\"{}\"></div><div "
        "class=\"static\">{}</div><figcaption>{} <a class=\"csv\" download=\"{}.csv\" "
        "href=\"data:text/csv;charset=utf-8,{}\">data (CSV)</a></figcaption></figure>\n",
        f.name, k, plot::figure_svg(f), esc(f.title), f.name, percent_encode(plot::figure_csv(f)));
  }
  if (!open_group.empty()) h += "</div></section>\n";
  if (vb != nullptr && !figs.empty()) h += chart_scripts(specs, *vb);
  return h;
}

// Sorting the results table by a clicked column, within each input's group.
std::string sort_script() {
  return R"(<script>
function sortTable(col){
  const table=document.getElementById('results');
  const dir=table.dataset.col==String(col)&&table.dataset.dir=='asc'?'desc':'asc';
  for(const body of table.tBodies){
    const rows=Array.from(body.rows).filter(r=>!r.classList.contains('group-head'));
    rows.sort((a,b)=>{const x=a.cells[col].textContent,y=b.cells[col].textContent;
      const nx=parseFloat(x),ny=parseFloat(y);
      const c=(!isNaN(nx)&&!isNaN(ny))?nx-ny:x.localeCompare(y);return dir=='asc'?c:-c;});
    rows.forEach(r=>body.appendChild(r));}
  table.dataset.col=col;table.dataset.dir=dir;}
</script>
</body></html>
)";
}

}  // namespace

std::string render_report(const ReportData& d) {
  std::string h = report_head();
  h += meta_section(d.run);
  h += results_section(d);
  h += bd_section(d);
  h += figures_section(report_figures(d), vega::bundle());
  h += sort_script();
  return h;
}

}  // namespace codecbench
