// Upper convex hull of rate-quality points across resolutions, ladders and crossovers.
#include "codecbench/analysis/hull.hpp"

#include <algorithm>
#include <cmath>
#include <map>

#include "codecbench/metrics/figures.hpp"

namespace codecbench {
namespace {

// > 0 when o -> a -> b turns left (counter-clockwise) in the (rate, quality) plane.
double cross(const HullPoint& o, const HullPoint& a, const HullPoint& b) {
  return (a.rate - o.rate) * (b.quality - o.quality) - (a.quality - o.quality) * (b.rate - o.rate);
}

// Indexes of the points no other point dominates, by increasing rate (and quality).
std::vector<std::size_t> pareto(const std::vector<HullPoint>& p, std::vector<std::size_t> idx) {
  std::sort(idx.begin(), idx.end(), [&](std::size_t a, std::size_t b) {
    if (p[a].rate != p[b].rate) return p[a].rate < p[b].rate;
    return p[a].quality > p[b].quality;
  });
  std::vector<std::size_t> out;
  for (std::size_t i : idx) {
    if (out.empty() || p[i].quality > p[out.back()].quality) out.push_back(i);
  }
  return out;
}

// Quality of a curve (points by increasing rate) at `rate`, linear in log(rate).
double at(const std::vector<HullPoint>& p, const std::vector<std::size_t>& c, double rate) {
  for (std::size_t k = 1; k < c.size(); ++k) {
    const HullPoint& a = p[c[k - 1]];
    const HullPoint& b = p[c[k]];
    if (rate <= b.rate) {
      const double t = (std::log(rate) - std::log(a.rate)) / (std::log(b.rate) - std::log(a.rate));
      return a.quality + t * (b.quality - a.quality);
    }
  }
  return p[c.back()].quality;
}

// The first rate in the curves' common range where `hi` stops being worse than `lo`.
std::optional<Crossover> crossing(const std::vector<HullPoint>& p,
                                  const std::vector<std::size_t>& lo,
                                  const std::vector<std::size_t>& hi) {
  if (lo.size() < 2 || hi.size() < 2) return std::nullopt;
  const double from = std::max(p[lo.front()].rate, p[hi.front()].rate);
  const double to = std::min(p[lo.back()].rate, p[hi.back()].rate);
  if (!(from < to)) return std::nullopt;
  std::vector<double> knots{from, to};
  for (const auto* c : {&lo, &hi}) {
    for (std::size_t i : *c) {
      if (p[i].rate > from && p[i].rate < to) knots.push_back(p[i].rate);
    }
  }
  std::sort(knots.begin(), knots.end());
  auto diff = [&](double r) { return at(p, hi, r) - at(p, lo, r); };
  double d0 = diff(knots.front());
  if (d0 >= 0) return std::nullopt;  // no crossing inside the range: better from the start
  for (std::size_t k = 1; k < knots.size(); ++k) {
    const double d1 = diff(knots[k]);
    if (d1 >= 0) {
      // Both curves are linear in log(rate) between knots, so is their difference.
      const double la = std::log(knots[k - 1]);
      const double lb = std::log(knots[k]);
      const double l = la + (lb - la) * (-d0) / (d1 - d0);
      Crossover c;
      c.rate = std::exp(l);
      c.quality = at(p, lo, c.rate);
      return c;
    }
    d0 = d1;
  }
  return std::nullopt;
}

}  // namespace

Hull convex_hull(std::vector<HullPoint> points) {
  Hull h;
  for (auto& q : points) {
    if (q.rate > 0 && std::isfinite(q.rate) && std::isfinite(q.quality))
      h.points.push_back(std::move(q));
  }
  std::vector<std::size_t> all(h.points.size());
  for (std::size_t i = 0; i < all.size(); ++i) all[i] = i;
  // Monotone chain over the non-dominated points: rate and quality both increase, so the upper
  // hull is the chain that only turns clockwise.
  for (std::size_t i : pareto(h.points, all)) {
    while (h.on_hull.size() >= 2 && cross(h.points[h.on_hull[h.on_hull.size() - 2]],
                                          h.points[h.on_hull.back()], h.points[i]) >= 0) {
      h.on_hull.pop_back();
    }
    h.on_hull.push_back(i);
  }
  // Crossovers between resolutions that follow each other along the hull.
  std::map<std::string, std::vector<std::size_t>> curves;
  for (std::size_t i = 0; i < h.points.size(); ++i) curves[h.points[i].resolution].push_back(i);
  for (auto& [name, idx] : curves) idx = pareto(h.points, idx);
  std::vector<std::string> order;
  for (std::size_t i : h.on_hull) {
    if (order.empty() || order.back() != h.points[i].resolution)
      order.push_back(h.points[i].resolution);
  }
  for (std::size_t k = 1; k < order.size(); ++k) {
    if (auto c = crossing(h.points, curves[order[k - 1]], curves[order[k]])) {
      c->from = order[k - 1];
      c->to = order[k];
      h.crossovers.push_back(*c);
    }
  }
  return h;
}

std::vector<std::optional<std::size_t>> ladder_for_rates(const Hull& hull,
                                                         const std::vector<double>& rates) {
  std::vector<std::optional<std::size_t>> out;
  for (double r : rates) {
    std::optional<std::size_t> best;
    for (std::size_t i : hull.on_hull) {
      if (hull.points[i].rate <= r) best = i;
    }
    out.push_back(best);
  }
  return out;
}

std::vector<std::optional<std::size_t>> ladder_for_qualities(const Hull& hull,
                                                             const std::vector<double>& qualities) {
  std::vector<std::optional<std::size_t>> out;
  for (double q : qualities) {
    std::optional<std::size_t> best;
    for (std::size_t i : hull.on_hull) {
      if (hull.points[i].quality >= q) {
        best = i;
        break;
      }
    }
    out.push_back(best);
  }
  return out;
}

RdCurve hull_curve(const Hull& hull) {
  RdCurve c;
  for (std::size_t i : hull.on_hull) {
    c.rate.push_back(hull.points[i].rate);
    c.quality.push_back(hull.points[i].quality);
  }
  return c;
}

std::vector<TitleHull> run_hulls(const RunRecord& run, const std::string& figure) {
  const QualityFigure f = parse_figure(figure);
  std::map<std::pair<std::string, std::string>, std::vector<HullPoint>> groups;
  std::vector<std::pair<std::string, std::string>> order;
  for (const auto& j : run.jobs) {
    if (j.status != JobStatus::kOk || j.kind != JobKind::kEncode || !j.result.is_object()) continue;
    HullPoint p;
    p.resolution = j.scale.empty() ? "source" : j.scale;
    p.setting = job_options_text(j);
    if (const auto v = j.result.find("video"); v != j.result.end() && v->is_object()) {
      p.width = v->value("width", 0);
      p.height = v->value("height", 0);
    }
    p.rate = bitrate_of(j.result);
    p.quality = figure_value(j.result, f);
    const auto key = std::make_pair(j.input, j.encoder_label);
    if (groups.count(key) == 0) order.push_back(key);
    groups[key].push_back(std::move(p));
  }
  std::vector<TitleHull> out;
  for (const auto& key : order) {
    TitleHull t;
    t.input = key.first;
    t.label = key.second;
    t.hull = convex_hull(std::move(groups[key]));
    if (!t.hull.points.empty()) out.push_back(std::move(t));
  }
  return out;
}

std::vector<RdSample> hull_samples(const std::vector<TitleHull>& hulls) {
  std::vector<RdSample> out;
  for (const auto& t : hulls) {
    for (std::size_t i : t.hull.on_hull) {
      out.push_back({t.input, t.label, t.hull.points[i].rate, t.hull.points[i].quality});
    }
  }
  return out;
}

}  // namespace codecbench
