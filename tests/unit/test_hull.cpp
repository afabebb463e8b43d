#include <doctest/doctest.h>

#include <cmath>
#include <random>

#include "codecbench/analysis/hull.hpp"

using namespace codecbench;

namespace {

HullPoint pt(const std::string& res, double rate, double q) {
  HullPoint p;
  p.resolution = res;
  p.rate = rate;
  p.quality = q;
  return p;
}

std::vector<std::pair<double, double>> vertices(const Hull& h) {
  std::vector<std::pair<double, double>> v;
  for (std::size_t i : h.on_hull) v.emplace_back(h.points[i].rate, h.points[i].quality);
  return v;
}

// The hull's piecewise-linear quality at `rate` (inside its range).
double hull_at(const Hull& h, double rate) {
  for (std::size_t k = 1; k < h.on_hull.size(); ++k) {
    const auto& a = h.points[h.on_hull[k - 1]];
    const auto& b = h.points[h.on_hull[k]];
    if (rate <= b.rate)
      return a.quality + (rate - a.rate) / (b.rate - a.rate) * (b.quality - a.quality);
  }
  return h.points[h.on_hull.back()].quality;
}

}  // namespace

TEST_CASE("hull: dominated points and points under a chord are dropped") {
  // (100, 30) is dominated by (90, 31); (300, 36) lies under the chord (200,38)-(400,40)
  // (39 at 300); (150, 34.5) under the chord (90,31)-(200,38) (34.82 at 150).
  const Hull h = convex_hull({pt("a", 100, 30), pt("a", 90, 31), pt("b", 200, 38), pt("b", 300, 36),
                              pt("a", 150, 34.5), pt("b", 400, 40)});
  CHECK(vertices(h) == std::vector<std::pair<double, double>>{{90, 31}, {200, 38}, {400, 40}});
  CHECK(h.points.size() == 6);
}

TEST_CASE("hull: collinear points are not vertices; a single point is its own hull") {
  const Hull h =
      convex_hull({pt("a", 100, 10), pt("a", 200, 20), pt("a", 300, 30), pt("a", 400, 35)});
  CHECK(vertices(h) == std::vector<std::pair<double, double>>{{100, 10}, {300, 30}, {400, 35}});
  const Hull one = convex_hull({pt("a", 100, 10)});
  CHECK(one.on_hull.size() == 1);
  const Hull none = convex_hull({pt("a", 0, 10), pt("a", 100, NAN)});
  CHECK(none.points.empty());
  CHECK(none.on_hull.empty());
}

TEST_CASE("hull: a single resolution's concave curve is all hull; a ladder reads it") {
  std::vector<HullPoint> p;
  for (double r : {100.0, 200.0, 400.0, 800.0, 1600.0})
    p.push_back(pt("720p", r, 10 * std::log2(r)));
  const Hull h = convex_hull(p);
  CHECK(h.on_hull.size() == 5);
  CHECK(h.crossovers.empty());
  const auto by_rate = ladder_for_rates(h, {50, 100, 1000, 5000});
  CHECK(!by_rate[0].has_value());
  CHECK(h.points[*by_rate[1]].rate == 100);
  CHECK(h.points[*by_rate[2]].rate == 800);
  CHECK(h.points[*by_rate[3]].rate == 1600);
  // 10 log2(r): 66.4, 76.4, 86.4, 96.4, 106.4
  const auto by_q = ladder_for_qualities(h, {70, 86.4, 86.5, 200});
  CHECK(h.points[*by_q[0]].rate == 200);
  CHECK(h.points[*by_q[1]].rate == 400);
  CHECK(h.points[*by_q[2]].rate == 800);
  CHECK(!by_q[3].has_value());
  const RdCurve c = hull_curve(h);
  CHECK(c.rate.size() == 5);
  CHECK(c.quality[2] == doctest::Approx(10 * std::log2(400.0)));
}

TEST_CASE("hull: two resolutions cross where their log-rate curves meet") {
  // low: q = 20 + 5 log2(r/100); high: q = 10 + 10 log2(r/100): equal at log2(r/100) = 2.
  std::vector<HullPoint> p;
  for (double r : {100.0, 200.0, 400.0, 800.0, 1600.0}) {
    p.push_back(pt("360p", r, 20 + 5 * std::log2(r / 100)));
    p.push_back(pt("720p", r, 10 + 10 * std::log2(r / 100)));
  }
  const Hull h = convex_hull(p);
  REQUIRE(h.crossovers.size() == 1);
  CHECK(h.crossovers[0].from == "360p");
  CHECK(h.crossovers[0].to == "720p");
  CHECK(h.crossovers[0].rate == doctest::Approx(400));
  CHECK(h.crossovers[0].quality == doctest::Approx(30));
  // The hull starts on the low resolution and ends on the high one.
  CHECK(h.points[h.on_hull.front()].resolution == "360p");
  CHECK(h.points[h.on_hull.back()].resolution == "720p");
}

TEST_CASE("hull: random point sets against brute force") {
  std::mt19937 rng(7);
  std::uniform_real_distribution<double> rate(10, 5000), noise(-3, 3);
  for (int trial = 0; trial < 200; ++trial) {
    std::vector<HullPoint> p;
    const int n = 1 + trial % 25;
    for (int i = 0; i < n; ++i) {
      const double r = rate(rng);
      p.push_back(pt(i % 3 == 0 ? "a" : "b", r, 8 * std::log(r) + noise(rng)));
    }
    const Hull h = convex_hull(p);
    REQUIRE(!h.on_hull.empty());
    const auto v = vertices(h);
    // Strictly increasing in rate and quality, and strictly concave (no collinear vertex).
    for (std::size_t k = 1; k < v.size(); ++k) {
      CHECK(v[k].first > v[k - 1].first);
      CHECK(v[k].second > v[k - 1].second);
    }
    for (std::size_t k = 2; k < v.size(); ++k) {
      const double s1 = (v[k - 1].second - v[k - 2].second) / (v[k - 1].first - v[k - 2].first);
      const double s2 = (v[k].second - v[k - 1].second) / (v[k].first - v[k - 1].first);
      CHECK(s2 < s1);
    }
    // Every point lies on or under the hull, and none reaches more quality for less rate than
    // the hull's first point or more than its last.
    for (const auto& q : h.points) {
      if (q.rate < v.front().first) {
        CHECK(q.quality < v.front().second);
      } else if (q.rate > v.back().first) {
        CHECK(q.quality <= v.back().second);
      } else {
        CHECK(q.quality <= hull_at(h, q.rate) + 1e-9);
      }
    }
    // The highest-quality point is the last vertex; the lowest-rate point the first.
    double best = -1e9, cheapest = 1e9;
    for (const auto& q : h.points) {
      best = std::max(best, q.quality);
      cheapest = std::min(cheapest, q.rate);
    }
    CHECK(v.back().second == best);
    CHECK(v.front().first == cheapest);
  }
}
