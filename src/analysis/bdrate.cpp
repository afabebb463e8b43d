// Bjontegaard delta metrics. Sources: G. Bjontegaard, "Calculation of average PSNR differences
// between RD-curves", VCEG-M33, 2001 (cubic fit of log-rate against PSNR, integrated over the
// overlap); F. Bossen, JCTVC-L1100, 2013 (piecewise cubic Hermite interpolation in the CTC
// spreadsheet); F. N. Fritsch and R. E. Carlson, "Monotone piecewise cubic interpolation",
// SIAM J. Numer. Anal. 17(2), 1980 (PCHIP slopes, with the shape-preserving end conditions of
// Moler's pchip); H. Akima, "A new method of interpolation and smooth curve fitting based on
// local procedures", JACM 17(4), 1970; C. Herglotz et al., "Beyond Bjontegaard", 2022 (Akima for
// BD). All three interpolants are cubic on each interval, so Simpson's rule integrates them
// exactly.
#include "codecbench/analysis/bdrate.hpp"

#include <fmt/core.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <map>
#include <numeric>
#include <optional>
#include <sstream>

#include "codecbench/core/error.hpp"
#include "codecbench/core/limits.hpp"

namespace codecbench {

const char* bd_interpolation_name(BdInterpolation i) noexcept {
  switch (i) {
    case BdInterpolation::kPchip:
      return "pchip";
    case BdInterpolation::kCubic:
      return "cubic";
    case BdInterpolation::kAkima:
      return "akima";
  }
  return "?";
}

std::optional<BdInterpolation> parse_bd_interpolation(const std::string& t) noexcept {
  if (t == "pchip") return BdInterpolation::kPchip;
  if (t == "cubic") return BdInterpolation::kCubic;
  if (t == "akima") return BdInterpolation::kAkima;
  return std::nullopt;
}

namespace {

// End slope of Moler's pchip: a three-point estimate kept shape-preserving.
double pchip_end(double h1, double h2, double d1, double d2) {
  double d = ((2 * h1 + h2) * d1 - h1 * d2) / (h1 + h2);
  if (d * d1 <= 0) {
    d = 0;
  } else if (d1 * d2 < 0 && std::fabs(d) > std::fabs(3 * d1)) {
    d = 3 * d1;
  }
  return d;
}

std::vector<double> akima_slopes(const std::vector<double>& x, const std::vector<double>& y) {
  const std::size_t n = x.size();
  // m has two extra secants at each end, extrapolated linearly (Akima 1970).
  std::vector<double> m(n + 3);
  for (std::size_t k = 0; k + 1 < n; ++k) m[k + 2] = (y[k + 1] - y[k]) / (x[k + 1] - x[k]);
  m[1] = 2 * m[2] - m[3];
  m[0] = 2 * m[1] - m[2];
  m[n + 1] = 2 * m[n] - m[n - 1];
  m[n + 2] = 2 * m[n + 1] - m[n];
  std::vector<double> d(n);
  for (std::size_t i = 0; i < n; ++i) {
    const double w1 = std::fabs(m[i + 3] - m[i + 2]);
    const double w2 = std::fabs(m[i + 1] - m[i]);
    d[i] = w1 + w2 > 0 ? (w1 * m[i + 1] + w2 * m[i + 2]) / (w1 + w2) : (m[i + 1] + m[i + 2]) / 2;
  }
  return d;
}

// Least-squares cubic polynomial (normal equations on centred, scaled x for conditioning).
std::vector<double> cubic_fit(const std::vector<double>& x, const std::vector<double>& y,
                              double& cx, double& sx) {
  const std::size_t n = x.size();
  cx = std::accumulate(x.begin(), x.end(), 0.0) / static_cast<double>(n);
  sx = 0;
  for (double v : x) sx = std::max(sx, std::fabs(v - cx));
  if (sx == 0) sx = 1;
  double a[4][5] = {};
  for (std::size_t i = 0; i < n; ++i) {
    const double t = (x[i] - cx) / sx;
    double p[4] = {1, t, t * t, t * t * t};
    for (int r = 0; r < 4; ++r) {
      for (int c = 0; c < 4; ++c) a[r][c] += p[r] * p[c];
      a[r][4] += p[r] * y[i];
    }
  }
  for (int c = 0; c < 4; ++c) {  // Gauss-Jordan with partial pivoting
    int piv = c;
    for (int r = c + 1; r < 4; ++r) {
      if (std::fabs(a[r][c]) > std::fabs(a[piv][c])) piv = r;
    }
    std::swap(a[c], a[piv]);
    for (int r = 0; r < 4; ++r) {
      if (r == c || a[c][c] == 0) continue;
      const double f = a[r][c] / a[c][c];
      for (int k = c; k < 5; ++k) a[r][k] -= f * a[c][k];
    }
  }
  std::vector<double> coef(4);
  for (int r = 0; r < 4; ++r)
    coef[static_cast<std::size_t>(r)] = a[r][r] == 0 ? 0 : a[r][4] / a[r][r];
  return coef;
}

}  // namespace

std::vector<double> pchip_slopes(const std::vector<double>& x, const std::vector<double>& y) {
  const std::size_t n = x.size();
  std::vector<double> h(n - 1), del(n - 1), d(n, 0.0);
  for (std::size_t k = 0; k + 1 < n; ++k) {
    h[k] = x[k + 1] - x[k];
    del[k] = (y[k + 1] - y[k]) / h[k];
  }
  if (n == 2) return {del[0], del[0]};
  for (std::size_t k = 1; k + 1 < n; ++k) {
    if (del[k - 1] * del[k] > 0) {
      const double w1 = 2 * h[k] + h[k - 1], w2 = h[k] + 2 * h[k - 1];
      d[k] = (w1 + w2) / (w1 / del[k - 1] + w2 / del[k]);
    }
  }
  d[0] = pchip_end(h[0], h[1], del[0], del[1]);
  d[n - 1] = pchip_end(h[n - 2], h[n - 3], del[n - 2], del[n - 3]);
  return d;
}

// Value of the cubic Hermite interpolant with slopes d at v (x[k] <= v <= x[k+1]).
double hermite_at(const std::vector<double>& x, const std::vector<double>& y,
                  const std::vector<double>& d, double v) {
  std::size_t k = static_cast<std::size_t>(std::upper_bound(x.begin(), x.end(), v) - x.begin());
  k = std::clamp<std::size_t>(k, 1, x.size() - 1) - 1;
  const double h = x[k + 1] - x[k];
  const double t = (v - x[k]) / h;
  const double t2 = t * t, t3 = t2 * t;
  return (2 * t3 - 3 * t2 + 1) * y[k] + (t3 - 2 * t2 + t) * h * d[k] +
         (-2 * t3 + 3 * t2) * y[k + 1] + (t3 - t2) * h * d[k + 1];
}

double integrate_interpolant(const std::vector<double>& x, const std::vector<double>& y, double a,
                             double b, BdInterpolation interp) {
  if (interp == BdInterpolation::kCubic) {
    double cx = 0, sx = 1;
    const std::vector<double> c = cubic_fit(x, y, cx, sx);
    // Antiderivative of c0 + c1 t + c2 t^2 + c3 t^3 in t = (v - cx) / sx, times sx.
    auto prim = [&](double v) {
      const double t = (v - cx) / sx;
      return sx * (c[0] * t + c[1] * t * t / 2 + c[2] * t * t * t / 3 + c[3] * t * t * t * t / 4);
    };
    return prim(b) - prim(a);
  }
  const std::vector<double> d =
      interp == BdInterpolation::kPchip ? pchip_slopes(x, y) : akima_slopes(x, y);
  // Split [a, b] at the knots; each piece is one cubic, which Simpson's rule integrates exactly.
  std::vector<double> cuts{a};
  for (double k : x) {
    if (k > a && k < b) cuts.push_back(k);
  }
  cuts.push_back(b);
  double total = 0;
  for (std::size_t i = 0; i + 1 < cuts.size(); ++i) {
    const double l = cuts[i], r = cuts[i + 1];
    total +=
        (r - l) / 6 *
        (hermite_at(x, y, d, l) + 4 * hermite_at(x, y, d, (l + r) / 2) + hermite_at(x, y, d, r));
  }
  return total;
}

namespace {

// Sorts a curve by rate and checks it: >= 4 points, positive rates, quality strictly
// increasing with rate.
std::optional<std::string> prepare(const RdCurve& c, const char* which,
                                   std::vector<double>& log_rate, std::vector<double>& quality) {
  if (c.rate.size() != c.quality.size())
    return fmt::format("{}: rates and qualities differ in count", which);
  if (c.rate.size() < 4)
    return fmt::format("{}: {} points, BD needs at least 4", which, c.rate.size());
  std::vector<std::size_t> order(c.rate.size());
  std::iota(order.begin(), order.end(), 0);
  std::sort(order.begin(), order.end(),
            [&](std::size_t i, std::size_t j) { return c.rate[i] < c.rate[j]; });
  log_rate.clear();
  quality.clear();
  for (std::size_t i : order) {
    if (!(c.rate[i] > 0) || !std::isfinite(c.quality[i])) {
      return fmt::format("{}: rates must be positive and qualities finite", which);
    }
    if (!log_rate.empty() &&
        (std::log(c.rate[i]) <= log_rate.back() || c.quality[i] <= quality.back())) {
      return fmt::format("{}: not monotonic (quality must rise strictly with rate)", which);
    }
    log_rate.push_back(std::log(c.rate[i]));
    quality.push_back(c.quality[i]);
  }
  return std::nullopt;
}

}  // namespace

BdResult bd_metrics(const RdCurve& anchor, const RdCurve& test, BdInterpolation interp) {
  BdResult r;
  std::vector<double> la, qa, lt, qt;
  std::optional<std::string> bad = prepare(anchor, "anchor", la, qa);
  if (!bad) bad = prepare(test, "test", lt, qt);
  if (bad) {
    r.reason = r.quality_reason = *bad;
    return r;
  }
  // BD-rate: log-rate as a function of quality over the common quality range.
  const double q_lo = std::max(qa.front(), qt.front()), q_hi = std::min(qa.back(), qt.back());
  if (q_hi > q_lo) {
    const double avg = (integrate_interpolant(qt, lt, q_lo, q_hi, interp) -
                        integrate_interpolant(qa, la, q_lo, q_hi, interp)) /
                       (q_hi - q_lo);
    r.rate_pct = (std::exp(avg) - 1) * 100;
    r.valid = true;
  } else {
    r.reason = "the curves share no quality range";
  }
  // BD-quality: quality as a function of log-rate over the common rate range.
  const double r_lo = std::max(la.front(), lt.front()), r_hi = std::min(la.back(), lt.back());
  if (r_hi > r_lo) {
    r.quality = (integrate_interpolant(lt, qt, r_lo, r_hi, interp) -
                 integrate_interpolant(la, qa, r_lo, r_hi, interp)) /
                (r_hi - r_lo);
    r.quality_valid = true;
  } else {
    r.quality_reason = "the curves share no rate range";
  }
  return r;
}

BdTable bd_table(const std::vector<RdSample>& samples, const std::string& anchor,
                 const std::string& test, BdInterpolation interp) {
  std::map<std::string, std::map<std::string, RdCurve>> curves;  // input -> label -> curve
  for (const RdSample& s : samples) {
    if (s.label != anchor && s.label != test) continue;
    RdCurve& c = curves[s.input][s.label];
    c.rate.push_back(s.rate);
    c.quality.push_back(s.quality);
  }
  BdTable t;
  for (const auto& [input, by_label] : curves) {
    const auto a = by_label.find(anchor), b = by_label.find(test);
    if (a == by_label.end() || b == by_label.end()) continue;
    BdRow row{input, bd_metrics(a->second, b->second, interp)};
    if (row.result.valid) {
      t.mean_rate_pct += row.result.rate_pct;
      ++t.rate_count;
    }
    if (row.result.quality_valid) {
      t.mean_quality += row.result.quality;
      ++t.quality_count;
    }
    t.rows.push_back(std::move(row));
  }
  if (t.rate_count > 0) t.mean_rate_pct /= t.rate_count;
  if (t.quality_count > 0) t.mean_quality /= t.quality_count;
  return t;
}

namespace {

std::vector<std::string> split_csv_line(const std::string& line) {
  std::vector<std::string> out;
  std::string cur;
  bool quoted = false;
  for (std::size_t i = 0; i < line.size(); ++i) {
    const char c = line[i];
    if (quoted) {
      if (c == '"' && i + 1 < line.size() && line[i + 1] == '"') {
        cur += '"';
        ++i;
      } else if (c == '"') {
        quoted = false;
      } else {
        cur += c;
      }
    } else if (c == '"') {
      quoted = true;
    } else if (c == ',') {
      out.push_back(cur);
      cur.clear();
    } else if (c != '\r') {
      cur += c;
    }
  }
  out.push_back(cur);
  return out;
}

}  // namespace

std::vector<RdSample> parse_points_csv(const std::string& text, const std::string& path) {
  std::istringstream f(text);
  std::string line;
  if (!std::getline(f, line)) throw InputError(fmt::format("{}: empty file", path));
  const auto header = split_csv_line(line);
  auto col = [&](const char* name) -> std::optional<std::size_t> {
    for (std::size_t i = 0; i < header.size(); ++i) {
      if (header[i] == name) return i;
    }
    return std::nullopt;
  };
  auto need = [&](const char* name) {
    const auto c = col(name);
    if (!c)
      throw InputError(
          fmt::format("{}: no '{}' column (need curve,bitrate,quality[,input])", path, name));
    return *c;
  };
  const std::size_t c_curve = need("curve"), c_rate = need("bitrate"), c_quality = need("quality");
  const auto c_input = col("input");
  std::vector<RdSample> samples;
  int line_no = 1;
  while (std::getline(f, line)) {
    ++line_no;
    if (line.empty() || line == "\r") continue;
    const auto cells = split_csv_line(line);
    const auto number = [&](std::size_t col) {
      const auto x = limits::parse_finite(col < cells.size() ? cells[col] : std::string());
      if (!x) {
        throw InputError(fmt::format("{}:{}: expected curve,bitrate,quality with finite numbers",
                                     path, line_no));
      }
      return *x;
    };
    const std::size_t width = std::max({c_curve, c_rate, c_quality, c_input.value_or(0)});
    if (cells.size() <= width) {
      throw InputError(
          fmt::format("{}:{}: expected curve,bitrate,quality with numbers", path, line_no));
    }
    samples.push_back({c_input ? cells[*c_input] : std::string(), cells[c_curve], number(c_rate),
                       number(c_quality)});
  }
  return samples;
}

}  // namespace codecbench
