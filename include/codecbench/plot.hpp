#pragma once
/// @file plot.hpp
/// Self-contained SVG charts (no scripts, no external fonts) for papers and reports: line
/// charts with markers and a shaded region, and heat maps.

#include <optional>
#include <string>
#include <vector>

namespace codecbench::plot {

struct Series {
  std::string name;
  std::vector<double> x, y;
  bool dashed = false;  ///< reference curves (ideal, fitted law)
  bool markers = true;  ///< measured points
};

struct LineChart {
  std::string title, x_label, y_label;
  std::vector<Series> series;
  std::optional<double> shade_from_x;  ///< shade x >= this (e.g. oversubscribed N)
  std::string shade_label;
  bool y_from_zero = true;
};

/// SVG text of a line chart (640x400).
std::string line_chart_svg(const LineChart& chart);

struct HeatMap {
  std::string title, x_label, y_label, unit;
  std::vector<int> x, y;                                   ///< column and row values
  std::vector<std::vector<std::optional<double>>> values;  ///< [row][column]; empty cells allowed
};

/// SVG text of a heat map with the value written in each cell.
std::string heat_map_svg(const HeatMap& map);

}  // namespace codecbench::plot

namespace codecbench::plot {

/// Rasterises SVG text to PNG bytes with FFmpeg's own codecs (the librsvg decoder, then the png
/// encoder), at `scale` times the SVG's size. Throws Error when this FFmpeg has no SVG decoder.
std::string svg_to_png(const std::string& svg, int scale = 2);

}  // namespace codecbench::plot

namespace codecbench::plot {

/// A horizontal bar chart (one bar per label).
struct BarChart {
  std::string title, unit;
  std::vector<std::string> labels;
  std::vector<double> values;
};

/// SVG text of a bar chart; its height grows with the number of bars.
std::string bar_chart_svg(const BarChart& chart);

}  // namespace codecbench::plot
