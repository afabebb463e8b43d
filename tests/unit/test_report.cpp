#include <doctest/doctest.h>

#include <cmath>

#include "codecbench/report/plot.hpp"
#include "codecbench/report/report.hpp"

using namespace codecbench;
using nlohmann::json;

namespace {

int count(const std::string& s, const std::string& what) {
  int n = 0;
  for (auto p = s.find(what); p != std::string::npos; p = s.find(what, p + 1)) ++n;
  return n;
}

// A sweep document as sweep.hpp writes it: strong scaling over 1, 2, 4 with Amdahl f = 0.1.
json amdahl_sweep(double f, int cores) {
  json points = json::array();
  for (int n : {1, 2, 4}) {
    const double s = 1 / (f + (1 - f) / n);
    points.push_back({{"n", n}, {"speedup", s}, {"efficiency", s / n}, {"throughput", 10 * s}});
  }
  return {{"mode", "strong"},    {"level", "codec"},
          {"counts", {1, 2, 4}}, {"physical_cores", cores},
          {"points", points},    {"fit", {{"law", "amdahl"}, {"parameter", "f"}, {"value", f}}}};
}

const plot::Series* find_series(const plot::LineChart& c, const std::string& prefix) {
  for (const auto& s : c.series)
    if (s.name.rfind(prefix, 0) == 0) return &s;
  return nullptr;
}

}  // namespace

TEST_CASE("Vega-Lite line chart: every finite point, one tooltip per marker, the shaded range") {
  plot::LineChart c;
  c.title = "t";
  c.x_label = "N";
  c.y_label = "speedup";
  c.series = {{"measured", {1, 2, 4}, {1, 1.8, std::nan("")}, false, true, {}},
              {"ideal", {1, 4}, {1, 4}, true, false, {}}};
  c.shade_from_x = 2.5;
  c.shade_label = "oversubscribed";
  const json spec = plot::line_chart_vega_lite(c);
  CHECK(spec["$schema"] == "https://vega.github.io/schema/vega-lite/v6.json");
  CHECK(spec["data"]["values"].size() == 4);  // the NaN point is left out, not drawn at 0
  REQUIRE(spec["layer"].size() == 3);         // shade, lines, markers
  CHECK(spec["layer"][0]["data"]["values"][0]["from"] == 2.5);
  CHECK(spec["layer"][0]["data"]["values"][0]["to"] == 4.0);
  const json& markers = spec["layer"][2];
  CHECK(markers["transform"][0]["filter"] == "datum.marker");
  CHECK(markers["encoding"]["tooltip"].size() == 3);
  CHECK(markers["encoding"]["x"]["axis"]["tickMinStep"] == 1);  // counts: whole-number ticks
  CHECK(spec["layer"][1]["params"][0]["bind"] == "scales");     // zoom and pan
  c.shade_from_x = 8;                                           // beyond the data: no shaded layer
  CHECK(plot::line_chart_vega_lite(c)["layer"].size() == 2);
}

TEST_CASE("Vega-Lite bar chart: a repeated label keeps a bar of its own") {
  plot::BarChart b{"speed", "fps", {"a", "b", "a"}, {1, 2, std::nan("")}};
  const json spec = plot::bar_chart_vega_lite(b);
  const json& rows = spec["data"]["values"];
  REQUIRE(rows.size() == 3);
  CHECK(rows[0]["label"] == "a");
  CHECK(rows[2]["label"] == "a #3");
  CHECK(rows[2]["value"].is_null());
}

TEST_CASE("sweep figures: speedup with the fitted Amdahl law, efficiency, throughput; grid") {
  const auto figs = sweep_figures(amdahl_sweep(0.1, 2));
  REQUIRE(figs.size() == 3);
  CHECK(figs[0].name == "speedup");
  const auto& speedup = std::get<plot::LineChart>(figs[0].chart);
  const plot::Series* law = find_series(speedup, "Amdahl f=0.100");
  REQUIRE(law != nullptr);
  CHECK(law->x.back() == doctest::Approx(4.0));
  CHECK(law->y.back() == doctest::Approx(1 / (0.1 + 0.9 / 4)));  // 3.0769
  REQUIRE(speedup.shade_from_x.has_value());
  CHECK(*speedup.shade_from_x == 2.5);  // 2 physical cores: N = 4 is oversubscribed
  CHECK(std::get<plot::LineChart>(figs[1].chart).series[0].y[2] ==
        doctest::Approx(1 / (0.1 + 0.9 / 4) / 4));
  const json grid = {{"mode", "strong"},
                     {"level", "grid"},
                     {"counts", {1, 2}},
                     {"grid",
                      {{{"threads", 1}, {"jobs", 1}, {"throughput", 10.0}},
                       {{"threads", 2}, {"jobs", 1}, {"throughput", 17.0}}}}};
  const auto g = sweep_figures(grid);
  REQUIRE(g.size() == 1);
  const auto& map = std::get<plot::HeatMap>(g[0].chart);
  CHECK(map.values[0][1] == 17.0);
  CHECK_FALSE(map.values[1][0].has_value());
  CHECK(plot::heat_map_vega_lite(map)["data"]["values"].size() == 2);
}

TEST_CASE("the report: a hostile name cannot close a script element or inject markup") {
  ReportData d;
  d.run.id = 7;
  d.run.preset_name = "p<i>";
  for (int crf : {20, 30}) {
    JobRecord j;
    j.input = "</script><b>x";
    j.encoder_label = "enc";
    j.options = {{"crf", std::to_string(crf)}};
    j.status = JobStatus::kOk;
    j.result = json({{"type", "video"},
                     {"size", {{"bitrate_kbps", 1000.0 / crf}, {"compression_ratio", 5.0}}},
                     {"quality", {{"psnr", {{"average", 60.0 - crf}, {"y", 61.0 - crf}}}}}});
    d.run.jobs.push_back(j);
  }
  d.sweeps.push_back(amdahl_sweep(0.2, 64));
  const std::string html = render_report(d);
  CHECK(count(html, "<script") == count(html, "</script>"));
  // Outside the scripts the name is escaped text; inside the chart data "</" is written "<\/".
  std::string markup;
  for (std::size_t p = 0;;) {
    const auto open = html.find("<script", p);
    markup += html.substr(p, open == std::string::npos ? std::string::npos : open - p);
    if (open == std::string::npos) break;
    p = html.find("</script>", open) + 9;
  }
  CHECK(markup.find("<b>x") == std::string::npos);
  CHECK(markup.find("&lt;/script&gt;&lt;b&gt;x") != std::string::npos);
  CHECK(markup.find("p<i>") == std::string::npos);
  if (html.find("chart-specs") != std::string::npos)  // built with Vega
    CHECK(html.find("\\u003c/script>\\u003cb>x") != std::string::npos);
  const auto figs = report_figures(d);
  // RD: PSNR and PSNR-Y (no SSIM measured); ratio and speed bars; the sweep's three figures.
  CHECK(figs.size() == 7);
  CHECK(count(html, "<div class=\"chart\"") == static_cast<int>(figs.size()));
  CHECK(figs.back().name == "sweep-1-throughput");
}

TEST_CASE(
    "static bar chart: long labels are cut between UTF-8 characters, kept whole in tooltips") {
  std::string label;
  for (int i = 0; i < 30; ++i) label += "\xc3\xa9";  // 30 x "é", 60 bytes
  const plot::Figure f{"bars", "t", plot::BarChart{"t", "fps", {label}, {3.0}}, ""};
  const std::string svg = plot::figure_svg(f);
  // Every byte sequence must be valid UTF-8: lead bytes followed by their continuation bytes.
  bool valid = true;
  for (std::size_t i = 0; i < svg.size();) {
    const auto c = static_cast<unsigned char>(svg[i]);
    const std::size_t len = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : 4;
    for (std::size_t k = 1; k < len; ++k)
      valid =
          valid && i + k < svg.size() && (static_cast<unsigned char>(svg[i + k]) & 0xC0) == 0x80;
    i += len;
  }
  CHECK(valid);
  CHECK(svg.find("...") != std::string::npos);
  CHECK(svg.find(label + ": 3 fps") != std::string::npos);  // the tooltip keeps it whole
  CHECK(plot::figure_vega_lite(f)["data"]["values"][0]["label"] == label);
}
