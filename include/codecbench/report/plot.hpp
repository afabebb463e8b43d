#pragma once
/// @file plot.hpp
/// Charts, described once and drawn two ways: as self-contained static SVG (no scripts, no
/// external fonts; PNG through FFmpeg) for papers and the `--plots`/`--figures` folders, and as
/// Vega-Lite specifications that the HTML report renders interactively (zoom, pan, tooltips with
/// exact values).

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <variant>
#include <vector>

namespace codecbench::plot {

struct Series {
  std::string name;
  std::vector<double> x, y;
  bool dashed = false;             ///< reference curves (ideal, fitted law)
  bool markers = true;             ///< measured points
  std::vector<std::string> notes;  ///< per point, shown in its tooltip (e.g. "crf=23"); optional
};

struct LineChart {
  std::string title, x_label, y_label;
  std::vector<Series> series;
  std::optional<double> shade_from_x;  ///< shade x >= this (e.g. oversubscribed N)
  std::string shade_label;
  bool y_from_zero = true;
  bool x_log_option = false;  ///< the report offers a log-scale x axis (bitrates of a ladder)
};

struct HeatMap {
  std::string title, x_label, y_label, unit;
  std::vector<int> x, y;                                   ///< column and row values
  std::vector<std::vector<std::optional<double>>> values;  ///< [row][column]; empty cells allowed
};

/// A horizontal bar chart (one bar per label).
struct BarChart {
  std::string title, unit;
  std::vector<std::string> labels;
  std::vector<double> values;
};

/// One named figure of a report or a sweep.
struct Figure {
  std::string name;  ///< file stem, e.g. "rd-cityCC0-psnr"
  std::string title;
  std::variant<LineChart, BarChart, HeatMap> chart;
  /// Figures with the same non-empty group are small multiples: the report draws them as
  /// panels of one grid (the RD curves of one input, one panel per metric).
  std::string group;
};

/// The data a figure draws, as CSV with a header row: `series,x,y,note` for a line chart (x and
/// y named by their axis labels), `label,value` for bars, `x,y,value` for a heat map. Values
/// are written with 17 significant digits, so they read back exactly.
std::string figure_csv(const Figure& figure);

/// SVG text of a line chart (640x400).
std::string line_chart_svg(const LineChart& chart);

/// SVG text of a heat map with the value written in each cell.
std::string heat_map_svg(const HeatMap& map);

/// SVG text of a bar chart; its height grows with the number of bars.
std::string bar_chart_svg(const BarChart& chart);

/// SVG text of whichever chart the figure holds.
std::string figure_svg(const Figure& figure);

/// Vega-Lite (v6) specification of a line chart: lines, markers with a tooltip on each point
/// (series, x and y at full precision), dashed reference curves, the shaded region, and scales
/// bound to the mouse for zooming and panning.
nlohmann::json line_chart_vega_lite(const LineChart& chart);

/// Vega-Lite specification of a heat map: coloured cells with their value written and in a
/// tooltip.
nlohmann::json heat_map_vega_lite(const HeatMap& map);

/// Vega-Lite specification of a bar chart, bars in the given order, a tooltip on each.
nlohmann::json bar_chart_vega_lite(const BarChart& chart);

/// Vega-Lite specification of whichever chart the figure holds.
nlohmann::json figure_vega_lite(const Figure& figure);

/// Rasterises SVG text to PNG bytes with FFmpeg's own codecs (the librsvg decoder, then the png
/// encoder), at `scale` times the SVG's size. Throws Error when this FFmpeg has no SVG decoder.
std::string svg_to_png(const std::string& svg, int scale = 2);

}  // namespace codecbench::plot
