// Vega-Lite specifications of the charts of plot.hpp. The report inlines Vega, Vega-Lite and
// vega-embed (tools/fetch-vega) and renders these; the grammar is documented at
// https://vega.github.io/vega-lite/docs/. Numbers go in unrounded, so tooltips show them exactly.
#include <algorithm>
#include <cmath>
#include <map>

#include "codecbench/report/plot.hpp"

namespace codecbench::plot {
namespace {

using nlohmann::json;

constexpr const char* kSchema = "https://vega.github.io/schema/vega-lite/v6.json";
constexpr const char* kNumber = ".8~g";  // tooltip format: 8 significant digits, no trailing 0s

// Axis labels never overlap: a label that would touch its neighbour is left out ("greedy"),
// and the end labels stay inside the plot ("labelFlush").
json base(const std::string& title) {
  return {{"$schema", kSchema},
          {"title", {{"text", title}, {"anchor", "start"}}},
          {"config",
           {{"font", "sans-serif"},
            {"view", {{"stroke", "#888"}}},
            {"axis", {{"labelOverlap", "greedy"}, {"labelSeparation", 4}}},
            {"axisX", {{"labelFlush", true}}}}}};
}

// Finite numbers only: JSON has no NaN, and a missing value is better left out than drawn at 0.
bool ok(double v) { return std::isfinite(v); }

}  // namespace

json line_chart_vega_lite(const LineChart& c) {
  json rows = json::array();
  double x_max = -1e300;
  bool notes = false;
  for (const Series& s : c.series) {
    for (std::size_t k = 0; k < s.x.size() && k < s.y.size(); ++k) {
      if (!ok(s.x[k]) || !ok(s.y[k])) continue;
      json row = {{"series", s.name},
                  {"x", s.x[k]},
                  {"y", s.y[k]},
                  {"i", k},
                  {"line", s.dashed ? "reference" : "measured"},
                  {"marker", s.markers}};
      if (k < s.notes.size()) {
        row["note"] = s.notes[k];
        notes = true;
      }
      rows.push_back(std::move(row));
      x_max = std::max(x_max, s.x[k]);
    }
  }
  std::vector<std::string> names;
  bool integer_x = true;  // thread or job counts: ticks on whole numbers only
  for (const Series& s : c.series) {
    names.push_back(s.name);
    if (!s.markers) continue;
    for (double v : s.x) integer_x = integer_x && v == std::round(v);
  }
  json x = {{"field", "x"},
            {"type", "quantitative"},
            {"title", c.x_label},
            {"scale", {{"zero", false}, {"nice", false}, {"padding", 10}}}};
  if (integer_x) x["axis"] = {{"tickMinStep", 1}, {"format", "d"}};
  json y = {{"field", "y"},
            {"type", "quantitative"},
            {"title", c.y_label},
            {"scale", {{"zero", c.y_from_zero}}}};
  if (!c.y_from_zero) y["scale"]["padding"] = 10;  // else the axis would dip below zero
  const json color = {{"field", "series"},
                      {"type", "nominal"},
                      {"title", nullptr},
                      {"scale", {{"domain", names}}},
                      {"legend", {{"orient", "right"}, {"labelLimit", 220}}}};
  json layers = json::array();
  if (c.shade_from_x && *c.shade_from_x < x_max) {
    layers.push_back(
        {{"data",
          {{"values", {{{"from", *c.shade_from_x}, {"to", x_max}, {"what", c.shade_label}}}}}},
         {"mark", {{"type", "rect"}, {"color", "#d62728"}, {"opacity", 0.1}}},
         {"encoding",
          {{"x", {{"field", "from"}, {"type", "quantitative"}}},
           {"x2", {{"field", "to"}}},
           {"tooltip", {{{"field", "what"}, {"title", "region"}}}}}}});
  }
  layers.push_back(
      {{"mark", {{"type", "line"}, {"strokeWidth", 2}}},
       {"params", {{{"name", "zoom"}, {"select", "interval"}, {"bind", "scales"}}}},
       {"encoding",
        {{"x", x},
         {"y", y},
         {"color", color},
         {"order", {{"field", "i"}, {"type", "quantitative"}}},
         {"strokeDash",
          {{"field", "line"},
           {"type", "nominal"},
           {"legend", nullptr},
           {"scale", {{"domain", {"measured", "reference"}}, {"range", {{1, 0}, {6, 4}}}}}}}}}});
  json tooltip = {
      {{"field", "series"}, {"type", "nominal"}, {"title", "series"}},
      {{"field", "x"}, {"type", "quantitative"}, {"title", c.x_label}, {"format", kNumber}},
      {{"field", "y"}, {"type", "quantitative"}, {"title", c.y_label}, {"format", kNumber}}};
  if (notes) tooltip.push_back({{"field", "note"}, {"type", "nominal"}, {"title", "job"}});
  layers.push_back({{"transform", {{{"filter", "datum.marker"}}}},
                    {"mark", {{"type", "point"}, {"filled", true}, {"size", 50}}},
                    {"encoding", {{"x", x}, {"y", y}, {"color", color}, {"tooltip", tooltip}}}});
  json spec = base(c.title);
  spec["width"] = 560;
  spec["height"] = 320;
  spec["data"] = {{"values", rows}};
  spec["layer"] = layers;
  return spec;
}

json bar_chart_vega_lite(const BarChart& c) {
  // Bars are keyed by label; a repeated label gets its position appended so that it keeps a
  // bar of its own instead of being stacked onto the first.
  std::map<std::string, int> seen;
  json rows = json::array();
  for (std::size_t i = 0; i < c.labels.size() && i < c.values.size(); ++i) {
    std::string label = c.labels[i];
    if (seen[label]++ > 0) label += " #" + std::to_string(i + 1);
    json row = {{"label", label}, {"i", i}};
    row["value"] = ok(c.values[i]) ? json(c.values[i]) : json(nullptr);
    rows.push_back(std::move(row));
  }
  json spec = base(c.title);
  spec["width"] = 480;
  spec["height"] = {{"step", 18}};
  spec["data"] = {{"values", rows}};
  spec["mark"] = {{"type", "bar"}, {"color", "#1f77b4"}};
  spec["encoding"] = {
      {"y",
       {{"field", "label"},
        {"type", "nominal"},
        {"sort", {{"field", "i"}}},
        {"title", nullptr},
        {"axis", {{"labelLimit", 300}}}}},  // longer labels end in an ellipsis
      {"x", {{"field", "value"}, {"type", "quantitative"}, {"title", c.unit}}},
      {"tooltip",
       {{{"field", "label"}, {"type", "nominal"}, {"title", "job"}},
        {{"field", "value"}, {"type", "quantitative"}, {"title", c.unit}, {"format", kNumber}}}}};
  return spec;
}

json heat_map_vega_lite(const HeatMap& m) {
  json rows = json::array();
  double lo = 1e300, hi = -1e300;
  for (std::size_t r = 0; r < m.y.size() && r < m.values.size(); ++r) {
    for (std::size_t k = 0; k < m.x.size() && k < m.values[r].size(); ++k) {
      if (!m.values[r][k] || !ok(*m.values[r][k])) continue;
      rows.push_back({{"x", m.x[k]}, {"y", m.y[r]}, {"value", *m.values[r][k]}});
      lo = std::min(lo, *m.values[r][k]);
      hi = std::max(hi, *m.values[r][k]);
    }
  }
  const double mid = rows.empty() ? 0 : (lo + hi) / 2;
  const json x = {{"field", "x"}, {"type", "ordinal"}, {"title", m.x_label}, {"sort", m.x}};
  // Smallest row at the bottom, as in the SVG.
  const json y_sort = std::vector<int>(m.y.rbegin(), m.y.rend());
  const json y = {{"field", "y"}, {"type", "ordinal"}, {"title", m.y_label}, {"sort", y_sort}};
  json spec = base(m.title);
  spec["width"] = 420;
  spec["height"] = 300;
  spec["data"] = {{"values", rows}};
  spec["encoding"] = {{"x", x}, {"y", y}};
  spec["layer"] = {
      {{"mark", "rect"},
       {"encoding",
        {{"color",
          {{"field", "value"},
           {"type", "quantitative"},
           {"title", m.unit},
           {"scale", {{"scheme", "blues"}}}}},
         {"tooltip",
          {{{"field", "x"}, {"type", "ordinal"}, {"title", m.x_label}},
           {{"field", "y"}, {"type", "ordinal"}, {"title", m.y_label}},
           {{"field", "value"},
            {"type", "quantitative"},
            {"title", m.unit},
            {"format", kNumber}}}}}}},
      {{"mark", {{"type", "text"}, {"baseline", "middle"}}},
       {"encoding",
        {{"text", {{"field", "value"}, {"type", "quantitative"}, {"format", ".3~g"}}},
         {"color",
          {{"condition", {{"test", "datum.value > " + std::to_string(mid)}, {"value", "white"}}},
           {"value", "black"}}}}}}};
  return spec;
}

json figure_vega_lite(const Figure& f) {
  if (const auto* c = std::get_if<LineChart>(&f.chart)) {
    json spec = line_chart_vega_lite(*c);
    if (!f.group.empty()) {
      // A panel of a grid: as wide as its cell, shorter, the legend below, fewer ticks.
      spec["width"] = "container";
      spec["height"] = 240;
      spec["autosize"] = {{"type", "fit-x"}, {"contains", "padding"}};
      spec["title"]["fontSize"] = 12;
      spec["title"]["limit"] = 0;
      for (auto& layer : spec["layer"]) {
        auto& enc = layer["encoding"];
        if (enc.contains("color"))
          enc["color"]["legend"] = {{"orient", "bottom"}, {"columns", 3}, {"labelLimit", 160}};
        if (enc.contains("x") && enc["x"].contains("title")) enc["x"]["axis"]["tickCount"] = 5;
      }
    }
    if (c->x_log_option) spec["usermeta"] = {{"x_log_option", true}};
    return spec;
  }
  if (const auto* c = std::get_if<BarChart>(&f.chart)) return bar_chart_vega_lite(*c);
  return heat_map_vega_lite(std::get<HeatMap>(f.chart));
}

}  // namespace codecbench::plot
