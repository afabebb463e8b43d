// The HTML report: everything inline (styles, charts, the table-sorting script), so the file
// works offline and can be mailed or archived as it is.
#include "codecbench/report.hpp"

#include <fmt/core.h>

#include <cmath>
#include <map>
#include <set>

#include "codecbench/bdrate.hpp"
#include "codecbench/plot.hpp"

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
  double rate, quality, ssim, psnr_y, ms_ssim;
};

// input -> label -> points sorted by rate
std::map<std::string, std::map<std::string, std::vector<Point>>> rd_points(const ReportData& d) {
  std::map<std::string, std::map<std::string, std::vector<Point>>> out;
  for (const auto& j : d.jobs) {
    if (j.status != "ok" || j.result_json.empty()) continue;
    const auto r = nlohmann::json::parse(j.result_json);
    const bool audio = r.value("type", "video") == "audio";
    const double q =
        audio ? get(r, {"quality", "snr", "db"}) : get(r, {"quality", "psnr", "average"});
    const double s =
        audio ? get(r, {"quality", "si_sdr", "db"}) : get(r, {"quality", "ssim", "all"});
    out[j.input][j.encoder_label].push_back(
        {get(r, {"size", "bitrate_kbps"}), q, s,
         audio ? std::nan("") : get(r, {"quality", "psnr", "y"}),
         audio ? std::nan("") : get(r, {"quality", "ms_ssim", "y"})});
  }
  for (auto& [in, m] : out) {
    for (auto& [l, pts] : m) {
      std::sort(pts.begin(), pts.end(),
                [](const Point& a, const Point& b) { return a.rate < b.rate; });
    }
  }
  return out;
}

}  // namespace

std::vector<ReportFigure> report_figures(const ReportData& d) {
  std::vector<ReportFigure> figs;
  for (const auto& [input, labels] : rd_points(d)) {
    bool ladder = false;
    for (const auto& [l, pts] : labels) ladder = ladder || pts.size() > 1;
    if (!ladder) continue;
    struct Axis {
      const char* key;
      const char* title;
      const char* unit;
      double Point::*field;
    };
    static const Axis kAxes[] = {{"psnr", "PSNR (average; audio: SNR)", "dB", &Point::quality},
                                 {"psnr-y", "PSNR-Y", "dB", &Point::psnr_y},
                                 {"ssim", "SSIM (All; audio: SI-SDR dB)", "", &Point::ssim},
                                 {"ms-ssim", "MS-SSIM (Y)", "", &Point::ms_ssim}};
    for (const Axis& axis : kAxes) {
      plot::LineChart c;
      c.title = fmt::format("{}: {} against bitrate", input, axis.title);
      c.x_label = "bitrate (kbit/s)";
      c.y_label = *axis.unit != '\0' ? fmt::format("{} ({})", axis.title, axis.unit)
                                     : std::string(axis.title);
      c.y_from_zero = false;
      for (const auto& [label, pts] : labels) {
        plot::Series s;
        s.name = label;
        for (const auto& p : pts) {
          const double v = p.*(axis.field);
          if (!std::isfinite(v)) continue;
          s.x.push_back(p.rate);
          s.y.push_back(v);
        }
        if (!s.x.empty()) c.series.push_back(std::move(s));
      }
      if (c.series.empty()) continue;
      figs.push_back(
          {fmt::format("rd-{}-{}", slug(input), axis.key), c.title, plot::line_chart_svg(c)});
    }
  }
  plot::BarChart ratio{"Compression ratio (raw / bitstream)", "x", {}, {}};
  plot::BarChart speed{"Encoding speed", "fps", {}, {}};
  for (const auto& j : d.jobs) {
    if (j.status != "ok" || j.result_json.empty()) continue;
    const auto r = nlohmann::json::parse(j.result_json);
    const std::string label =
        fmt::format("{} {} {}", j.input, j.encoder_label, j.options).substr(0, 40);
    ratio.labels.push_back(label);
    ratio.values.push_back(get(r, {"size", "compression_ratio"}));
    const bool audio = r.value("type", "video") == "audio";
    speed.labels.push_back(label);
    speed.values.push_back(audio ? get(r, {"speed", "realtime_factor"})
                                 : get(r, {"speed", "encode_fps"}));
  }
  if (!ratio.values.empty()) {
    figs.push_back({"compression-ratio", ratio.title, plot::bar_chart_svg(ratio)});
    speed.unit = "fps (audio: x realtime)";
    figs.push_back({"encode-speed", speed.title, plot::bar_chart_svg(speed)});
  }
  int k = 0;
  for (const auto& s : d.sweeps) {
    ++k;
    if (!s.contains("points") || s["points"].size() < 2) continue;
    const bool strong = s.value("mode", "strong") == "strong";
    plot::LineChart c;
    c.title = fmt::format("Sweep {}: {} scaling, level {}", k, strong ? "strong" : "weak",
                          s.value("level", ""));
    c.x_label = "N";
    c.y_label = strong ? "speedup" : "scaled speedup";
    plot::Series m{"measured", {}, {}, false, true};
    for (const auto& p : s["points"]) {
      m.x.push_back(p["n"].get<double>());
      m.y.push_back(p.value(strong ? "speedup" : "scaled_speedup", 0.0));
    }
    const double n0 = m.x.front(), n1 = m.x.back();
    plot::Series ideal{"ideal", {n0, n1}, {1.0, n1 / n0}, true, false};
    c.series = {m, ideal};
    if (s.contains("fit")) {
      const double f = s["fit"]["value"].get<double>();
      plot::Series law{
          fmt::format("{} {}={:.3f}", strong ? "Amdahl" : "Gustafson", strong ? "f" : "s", f),
          {},
          {},
          true,
          false};
      for (double x = n0; x <= n1 + 1e-9; x += (n1 - n0) / 50) {
        const double kx = x / n0;
        law.x.push_back(x);
        law.y.push_back(strong ? 1 / (f + (1 - f) / kx) : kx - f * (kx - 1));
      }
      c.series.push_back(law);
    }
    const int cores = s.value("physical_cores", 0);
    if (cores > 0 && cores + 0.5 < n1) {
      c.shade_from_x = cores + 0.5;
      c.shade_label = "oversubscribed";
    }
    figs.push_back({fmt::format("sweep-{}", k), c.title, plot::line_chart_svg(c)});
  }
  return figs;
}

std::string render_report(const ReportData& d) {
  const RunInfo& i = d.info;
  std::string h = R"(<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<title>codecbench report</title>
<style>
body{font-family:sans-serif;margin:2em;max-width:1200px;color:#222}
table{border-collapse:collapse;font-size:13px;margin:1em 0}
th,td{border:1px solid #ccc;padding:3px 8px;text-align:right}
th{background:#f0f0f0;cursor:pointer;user-select:none}
td.l,th.l{text-align:left}
tr.failed td{color:#a00}
figure{margin:1em 0}
figcaption{font-size:12px;color:#555}
pre{background:#f7f7f7;padding:1em;overflow:auto;font-size:12px}
</style></head><body>
)";
  h += fmt::format("<h1>codecbench report: {} (run {})</h1>\n", esc(i.preset_name), d.run_id);
  h += "<table class=\"meta\">\n";
  auto meta = [&](const char* k, const std::string& v) {
    h += fmt::format("<tr><th class=\"l\">{}</th><td class=\"l\">{}</td></tr>\n", k, esc(v));
  };
  meta("started", i.started);
  meta("status", d.status);
  meta("host", i.host);
  meta("CPU", fmt::format("{} ({} physical / {} logical cores)", i.cpu_model, i.physical_cores,
                          i.logical_cores));
  meta("codecbench", fmt::format("{} (git {})", i.tool_version, i.git_revision));
  meta("FFmpeg", i.ffmpeg_version);
  meta("preset", fmt::format("{} ({}), hash {}", i.preset_name, i.preset_path, i.preset_hash));
  h += "</table>\n<details><summary>Resolved preset</summary><pre>" + esc(i.preset_yaml) +
       "</pre></details>\n";

  h += "<h2>Results</h2>\n<p>Click a column header to sort.</p>\n<table id=\"results\"><thead><tr>";
  const std::vector<std::string> cols{"input",       "encoder",    "options",  "status",
                                      "bytes",       "ratio",      "kbit/s",   "PSNR/SNR",
                                      "SSIM/SI-SDR", "fps / x rt", "wall (s)", "repeats"};
  for (std::size_t c = 0; c < cols.size(); ++c) {
    h += fmt::format("<th class=\"{}\" onclick=\"sortTable({})\">{}</th>", c < 4 ? "l" : "", c,
                     esc(cols[c]));
  }
  h += "</tr></thead><tbody>\n";
  for (const auto& j : d.jobs) {
    nlohmann::json r;
    if (!j.result_json.empty()) r = nlohmann::json::parse(j.result_json);
    const bool audio = r.is_object() && r.value("type", "video") == "audio";
    auto num = [&](double v, const char* f) {
      if (std::isnan(v)) return std::string("");
      if (std::isinf(v)) return std::string("inf");
      return fmt::format(fmt::runtime(f), v);
    };
    h += fmt::format(
        "<tr class=\"{}\"><td class=\"l\">{}</td><td class=\"l\">{}</td><td class=\"l\">{}</td>"
        "<td class=\"l\" title=\"{}\">{}</td>",
        j.status, esc(j.input), esc(j.encoder_label), esc(j.options), esc(j.error), esc(j.status));
    h += fmt::format(
        "<td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></"
        "tr>\n",
        num(get(r, {"size", "bitstream_bytes"}), "{:.0f}"),
        num(get(r, {"size", "compression_ratio"}), "{:.2f}"),
        num(get(r, {"size", "bitrate_kbps"}), "{:.1f}"),
        num(audio ? get(r, {"quality", "snr", "db"}) : get(r, {"quality", "psnr", "average"}),
            "{:.3f}"),
        num(audio ? get(r, {"quality", "si_sdr", "db"}) : get(r, {"quality", "ssim", "all"}),
            "{:.4f}"),
        num(audio ? get(r, {"speed", "realtime_factor"}) : get(r, {"speed", "encode_fps"}),
            "{:.1f}"),
        num(j.wall_median, "{:.3f}"), j.repeats);
  }
  h += "</tbody></table>\n";

  // BD-rate: the first label of each input as anchor, every other label as test.
  std::string bd;
  for (const auto& [input, labels] : rd_points(d)) {
    if (labels.size() < 2) continue;
    const auto& [anchor_label, anchor_pts] = *labels.begin();
    RdCurve a;
    for (const auto& p : anchor_pts) {
      a.rate.push_back(p.rate);
      a.quality.push_back(p.quality);
    }
    for (const auto& [label, pts] : labels) {
      if (label == anchor_label) continue;
      RdCurve t;
      for (const auto& p : pts) {
        t.rate.push_back(p.rate);
        t.quality.push_back(p.quality);
      }
      const BdResult r = bd_metrics(a, t);
      bd += fmt::format(
          "<tr><td class=\"l\">{}</td><td class=\"l\">{}</td><td "
          "class=\"l\">{}</td><td>{}</td><td>{}</td></tr>\n",
          esc(input), esc(anchor_label), esc(label),
          r.valid ? fmt::format("{:+.2f} %", r.rate_pct) : "n/a: " + esc(r.reason),
          r.quality_valid ? fmt::format("{:+.3f}", r.quality) : "n/a: " + esc(r.quality_reason));
    }
  }
  if (!bd.empty()) {
    h +=
        "<h2>BD-rate (PCHIP, PSNR average or audio SNR)</h2>\n<table><tr><th class=\"l\">input</th>"
        "<th class=\"l\">anchor</th><th class=\"l\">test</th><th>BD-rate</th><th>BD-PSNR "
        "(dB)</th></tr>\n" +
        bd + "</table>\n";
  }
  h += "<h2>Figures</h2>\n<p>Hover a point or bar for its exact value.</p>\n";
  for (const auto& f : report_figures(d)) {
    h += fmt::format("<figure id=\"{}\">{}<figcaption>{}</figcaption></figure>\n", f.name, f.svg,
                     esc(f.title));
  }
  h += R"(<script>
function sortTable(col){
  const table=document.getElementById('results');const body=table.tBodies[0];
  const rows=Array.from(body.rows);const dir=table.dataset.col==String(col)&&table.dataset.dir=='asc'?'desc':'asc';
  rows.sort((a,b)=>{const x=a.cells[col].textContent,y=b.cells[col].textContent;
    const nx=parseFloat(x),ny=parseFloat(y);
    const c=(!isNaN(nx)&&!isNaN(ny))?nx-ny:x.localeCompare(y);return dir=='asc'?c:-c;});
  rows.forEach(r=>body.appendChild(r));table.dataset.col=col;table.dataset.dir=dir;}
</script>
</body></html>
)";
  return h;
}

}  // namespace codecbench
