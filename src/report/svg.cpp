// Minimal SVG charts written by hand: a few dozen elements each, so a figure for a paper needs
// no browser and no plotting library.
#include <fmt/core.h>

#include <algorithm>
#include <cmath>

#include "codecbench/report/export.hpp"
#include "codecbench/report/plot.hpp"

namespace codecbench::plot {
namespace {

constexpr double kW = 640, kH = 400, kLeft = 70, kRight = 160, kTop = 40, kBottom = 55;
constexpr const char* kColors[] = {"#1f77b4", "#d62728", "#2ca02c",
                                   "#9467bd", "#ff7f0e", "#8c564b"};

std::string esc(const std::string& s) {
  std::string o;
  for (char c : s) {
    if (c == '&')
      o += "&amp;";
    else if (c == '<')
      o += "&lt;";
    else if (c == '>')
      o += "&gt;";
    else if (c == '"')
      o += "&quot;";
    else
      o += c;
  }
  return o;
}

// At most `n` bytes of a label, "..." marking a cut (never inside a UTF-8 sequence); the full
// text goes in tooltips.
std::string shortened(const std::string& s, std::size_t n) {
  if (s.size() <= n) return s;
  std::size_t cut = n - 3;
  while (cut > 0 && (static_cast<unsigned char>(s[cut]) & 0xC0) == 0x80) --cut;
  return s.substr(0, cut) + "...";
}

// "Nice" tick step for a range (1, 2 or 5 times a power of ten).
double tick_step(double range, int target) {
  const double raw = range / std::max(1, target);
  const double p = std::pow(10.0, std::floor(std::log10(raw)));
  for (double m : {1.0, 2.0, 5.0, 10.0}) {
    if (raw <= m * p) return m * p;
  }
  return 10 * p;
}

std::string number(double v) {
  if (std::fabs(v) >= 100 || std::fabs(v - std::round(v)) < 1e-9) return fmt::format("{:.0f}", v);
  return fmt::format("{:.2g}", v);
}

std::string header(const std::string& title) {
  return fmt::format(
      "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{0}\" height=\"{1}\" viewBox=\"0 0 {0} "
      "{1}\" "
      "font-family=\"sans-serif\" font-size=\"12\">\n<rect width=\"100%\" height=\"100%\" "
      "fill=\"white\"/>\n"
      "<text x=\"{2}\" y=\"24\" font-size=\"15\" font-weight=\"bold\">{3}</text>\n",
      kW, kH, kLeft, esc(title));
}

// The x title under the plot area and the y title turned along its left side.
std::string axis_titles(const std::string& x_label, const std::string& y_label) {
  const double pw = kW - kLeft - kRight, ph = kH - kTop - kBottom;
  return fmt::format(
      "<text x=\"{:.1f}\" y=\"{}\" text-anchor=\"middle\">{}</text>\n"
      "<text x=\"16\" y=\"{:.1f}\" text-anchor=\"middle\" transform=\"rotate(-90 16 "
      "{:.1f})\">{}</text>\n",
      kLeft + pw / 2, kH - 12, esc(x_label), kTop + ph / 2, kTop + ph / 2, esc(y_label));
}

}  // namespace

std::string line_chart_svg(const LineChart& c) {
  double x0 = 1e300, x1 = -1e300, y0 = c.y_from_zero ? 0 : 1e300, y1 = -1e300;
  for (const auto& s : c.series) {
    for (double x : s.x) {
      x0 = std::min(x0, x);
      x1 = std::max(x1, x);
    }
    for (double y : s.y) {
      if (!std::isfinite(y)) continue;
      y0 = std::min(y0, y);
      y1 = std::max(y1, y);
    }
  }
  if (x1 <= x0) x1 = x0 + 1;
  if (y1 <= y0) y1 = y0 + 1;
  y1 += (y1 - y0) * 0.05;
  const double pw = kW - kLeft - kRight, ph = kH - kTop - kBottom;
  auto px = [&](double x) { return kLeft + (x - x0) / (x1 - x0) * pw; };
  auto py = [&](double y) { return kTop + ph - (y - y0) / (y1 - y0) * ph; };
  std::string o = header(c.title);
  if (c.shade_from_x && *c.shade_from_x < x1) {
    const double sx = px(std::max(*c.shade_from_x, x0));
    o += fmt::format(
        "<rect x=\"{:.1f}\" y=\"{}\" width=\"{:.1f}\" height=\"{}\" fill=\"#f3e6e6\"/>\n"
        "<text x=\"{:.1f}\" y=\"{}\" fill=\"#a05050\" font-size=\"11\">{}</text>\n",
        sx, kTop, kLeft + pw - sx, ph, sx + 4, kTop + 14, esc(c.shade_label));
  }
  // Axes, ticks and grid.
  const double xs = tick_step(x1 - x0, 8), ys = tick_step(y1 - y0, 6);
  for (double t = std::ceil(x0 / xs) * xs; t <= x1 + 1e-9; t += xs) {
    o += fmt::format(
        "<line x1=\"{0:.1f}\" y1=\"{1}\" x2=\"{0:.1f}\" y2=\"{2}\" stroke=\"#eee\"/>"
        "<text x=\"{0:.1f}\" y=\"{3}\" text-anchor=\"middle\">{4}</text>\n",
        px(t), kTop, kTop + ph, kTop + ph + 16, number(t));
  }
  for (double t = std::ceil(y0 / ys) * ys; t <= y1 + 1e-9; t += ys) {
    o += fmt::format(
        "<line x1=\"{0}\" y1=\"{1:.1f}\" x2=\"{2}\" y2=\"{1:.1f}\" stroke=\"#eee\"/>"
        "<text x=\"{3}\" y=\"{4:.1f}\" text-anchor=\"end\">{5}</text>\n",
        kLeft, py(t), kLeft + pw, kLeft - 6, py(t) + 4, number(t));
  }
  o += fmt::format(
      "<rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" fill=\"none\" stroke=\"#333\"/>\n", kLeft,
      kTop, pw, ph);
  o += axis_titles(c.x_label, c.y_label);
  for (std::size_t i = 0; i < c.series.size(); ++i) {
    const Series& s = c.series[i];
    const char* color = kColors[i % std::size(kColors)];
    std::string pts;
    for (std::size_t k = 0; k < s.x.size() && k < s.y.size(); ++k) {
      if (!std::isfinite(s.y[k])) continue;
      pts += fmt::format("{:.1f},{:.1f} ", px(s.x[k]), py(s.y[k]));
    }
    o += fmt::format("<polyline points=\"{}\" fill=\"none\" stroke=\"{}\" stroke-width=\"2\"{}/>\n",
                     pts, color, s.dashed ? " stroke-dasharray=\"6 4\"" : "");
    if (s.markers) {
      for (std::size_t k = 0; k < s.x.size() && k < s.y.size(); ++k) {
        if (!std::isfinite(s.y[k])) continue;
        o += fmt::format(
            "<circle cx=\"{:.1f}\" cy=\"{:.1f}\" r=\"4\" fill=\"{}\"><title>{}{}: {} = {}, "
            "{}</title></circle>\n",
            px(s.x[k]), py(s.y[k]), color, esc(s.name),
            k < s.notes.size() ? " " + esc(s.notes[k]) : std::string(), esc(c.x_label),
            number(s.x[k]), fmt::format("{:.4g}", s.y[k]));
      }
    }
    const double ly = kTop + 10 + 20 * static_cast<double>(i);
    o += fmt::format(
        "<line x1=\"{0}\" y1=\"{1:.1f}\" x2=\"{2}\" y2=\"{1:.1f}\" stroke=\"{3}\" "
        "stroke-width=\"2\"{4}/>"
        "<text x=\"{5}\" y=\"{6:.1f}\">{7}</text>\n",
        kW - kRight + 12, ly, kW - kRight + 36, color, s.dashed ? " stroke-dasharray=\"6 4\"" : "",
        kW - kRight + 42, ly + 4, esc(s.name));
  }
  return o + "</svg>\n";
}

std::string heat_map_svg(const HeatMap& m) {
  double lo = 1e300, hi = -1e300;
  for (const auto& row : m.values) {
    for (const auto& v : row) {
      if (!v) continue;
      lo = std::min(lo, *v);
      hi = std::max(hi, *v);
    }
  }
  if (hi <= lo) hi = lo + 1;
  const double pw = kW - kLeft - kRight, ph = kH - kTop - kBottom;
  const double cw = pw / std::max<std::size_t>(1, m.x.size()),
               ch = ph / std::max<std::size_t>(1, m.y.size());
  std::string o = header(m.title);
  for (std::size_t r = 0; r < m.y.size(); ++r) {
    for (std::size_t k = 0; k < m.x.size(); ++k) {
      const double x = kLeft + cw * static_cast<double>(k);
      const double y = kTop + ph - ch * static_cast<double>(r + 1);
      const auto& v = r < m.values.size() && k < m.values[r].size() ? m.values[r][k] : std::nullopt;
      if (!v) {
        o += fmt::format(
            "<rect x=\"{:.1f}\" y=\"{:.1f}\" width=\"{:.1f}\" height=\"{:.1f}\" fill=\"#f4f4f4\" "
            "stroke=\"white\"/>\n",
            x, y, cw, ch);
        continue;
      }
      const double t = (*v - lo) / (hi - lo);  // light to dark blue
      const int red = static_cast<int>(235 - 200 * t), green = static_cast<int>(242 - 150 * t),
                blue = static_cast<int>(250 - 70 * t);
      o += fmt::format(
          "<rect x=\"{:.1f}\" y=\"{:.1f}\" width=\"{:.1f}\" height=\"{:.1f}\" "
          "fill=\"rgb({},{},{})\" stroke=\"white\">"
          "<title>{} {} x {} {}: {:.4g} {}</title></rect>\n"
          "<text x=\"{:.1f}\" y=\"{:.1f}\" text-anchor=\"middle\" fill=\"{}\">{:.3g}</text>\n",
          x, y, cw, ch, red, green, blue, esc(m.x_label), m.x[k], esc(m.y_label), m.y[r], *v,
          esc(m.unit), x + cw / 2, y + ch / 2 + 4, t > 0.6 ? "white" : "black", *v);
    }
  }
  for (std::size_t k = 0; k < m.x.size(); ++k) {
    o += fmt::format("<text x=\"{:.1f}\" y=\"{}\" text-anchor=\"middle\">{}</text>\n",
                     kLeft + cw * (static_cast<double>(k) + 0.5), kTop + ph + 16, m.x[k]);
  }
  for (std::size_t r = 0; r < m.y.size(); ++r) {
    o += fmt::format("<text x=\"{}\" y=\"{:.1f}\" text-anchor=\"end\">{}</text>\n", kLeft - 6,
                     kTop + ph - ch * (static_cast<double>(r) + 0.5) + 4, m.y[r]);
  }
  o += axis_titles(m.x_label, m.y_label);
  o += fmt::format("<text x=\"{}\" y=\"{}\">{}</text>\n", kW - kRight + 12, kTop + 14, esc(m.unit));
  return o + "</svg>\n";
}

std::string bar_chart_svg(const BarChart& c) {
  const double row = 22, top = 40, left = 260, right = 90;
  const double height = top + row * static_cast<double>(c.values.size()) + 20;
  double hi = 0;
  for (double v : c.values) {
    if (std::isfinite(v)) hi = std::max(hi, v);
  }
  if (hi <= 0) hi = 1;
  std::string o = fmt::format(
      "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{0}\" height=\"{1:.0f}\" viewBox=\"0 0 "
      "{0} {1:.0f}\" "
      "font-family=\"sans-serif\" font-size=\"12\">\n<rect width=\"100%\" height=\"100%\" "
      "fill=\"white\"/>\n"
      "<text x=\"10\" y=\"24\" font-size=\"15\" font-weight=\"bold\">{2}</text>\n",
      kW, height, esc(c.title));
  const double pw = kW - left - right;
  for (std::size_t i = 0; i < c.values.size(); ++i) {
    const double y = top + row * static_cast<double>(i);
    const double v = std::isfinite(c.values[i]) ? c.values[i] : 0;
    const double w = v / hi * pw;
    o += fmt::format(
        "<text x=\"{:.0f}\" y=\"{:.1f}\" text-anchor=\"end\">{}</text>"
        "<rect x=\"{:.0f}\" y=\"{:.1f}\" width=\"{:.1f}\" height=\"{:.1f}\" fill=\"{}\">"
        "<title>{}: {:.4g} {}</title></rect>"
        "<text x=\"{:.1f}\" y=\"{:.1f}\">{:.3g} {}</text>\n",
        left - 6, y + 14, esc(shortened(c.labels[i], 40)), left, y + 3, w, row - 6, kColors[0],
        esc(c.labels[i]), c.values[i], esc(c.unit), left + w + 4, y + 14, c.values[i], esc(c.unit));
  }
  return o + "</svg>\n";
}

std::string figure_svg(const Figure& f) {
  if (const auto* c = std::get_if<LineChart>(&f.chart)) return line_chart_svg(*c);
  if (const auto* c = std::get_if<BarChart>(&f.chart)) return bar_chart_svg(*c);
  return heat_map_svg(std::get<HeatMap>(f.chart));
}

}  // namespace codecbench::plot

namespace codecbench::plot {
namespace {

std::string csv_number(double v) {
  if (std::isnan(v)) return "";
  if (std::isinf(v)) return v > 0 ? "inf" : "-inf";
  return fmt::format("{:.17g}", v);
}

}  // namespace

std::string figure_csv(const Figure& f) {
  std::vector<std::vector<std::string>> rows;
  if (const auto* c = std::get_if<LineChart>(&f.chart)) {
    for (const Series& s : c->series) {
      for (std::size_t k = 0; k < s.x.size() && k < s.y.size(); ++k) {
        rows.push_back(
            {s.name, csv_number(s.x[k]), csv_number(s.y[k]), k < s.notes.size() ? s.notes[k] : ""});
      }
    }
    return to_csv({"series", c->x_label, c->y_label, "note"}, rows);
  }
  if (const auto* c = std::get_if<BarChart>(&f.chart)) {
    for (std::size_t i = 0; i < c->labels.size() && i < c->values.size(); ++i) {
      rows.push_back({c->labels[i], csv_number(c->values[i])});
    }
    return to_csv({"label", c->unit}, rows);
  }
  const auto& m = std::get<HeatMap>(f.chart);
  for (std::size_t r = 0; r < m.y.size() && r < m.values.size(); ++r) {
    for (std::size_t k = 0; k < m.x.size() && k < m.values[r].size(); ++k) {
      if (!m.values[r][k]) continue;
      rows.push_back({std::to_string(m.x[k]), std::to_string(m.y[r]), csv_number(*m.values[r][k])});
    }
  }
  return to_csv({m.x_label, m.y_label, m.unit}, rows);
}

}  // namespace codecbench::plot
