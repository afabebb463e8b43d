// Welch's t-test and the Mann-Whitney U test. The t distribution's tail is I_x(df/2, 1/2) with x =
// df / (df + t^2), the regularized incomplete beta function, evaluated with Lentz's continued
// fraction (Abramowitz and Stegun 26.5.8 and 26.7.1).
#include "codecbench/analysis/stats.hpp"

#include <algorithm>
#include <cmath>
#include <numeric>

namespace codecbench {
namespace {

double beta_continued_fraction(double a, double b, double x) {
  constexpr double kTiny = 1e-300;
  double c = 1, d = 1 - (a + b) * x / (a + 1);
  if (std::fabs(d) < kTiny) d = kTiny;
  d = 1 / d;
  double h = d;
  for (int m = 1; m <= 300; ++m) {
    const double m2 = 2.0 * m;
    double aa = m * (b - m) * x / ((a + m2 - 1) * (a + m2));
    d = 1 + aa * d;
    if (std::fabs(d) < kTiny) d = kTiny;
    c = 1 + aa / c;
    if (std::fabs(c) < kTiny) c = kTiny;
    d = 1 / d;
    h *= d * c;
    aa = -(a + m) * (a + b + m) * x / ((a + m2) * (a + m2 + 1));
    d = 1 + aa * d;
    if (std::fabs(d) < kTiny) d = kTiny;
    c = 1 + aa / c;
    if (std::fabs(c) < kTiny) c = kTiny;
    d = 1 / d;
    const double delta = d * c;
    h *= delta;
    if (std::fabs(delta - 1) < 1e-15) break;
  }
  return h;
}

double incomplete_beta(double a, double b, double x) {
  if (x <= 0) return 0;
  if (x >= 1) return 1;
  const double front = std::exp(std::lgamma(a + b) - std::lgamma(a) - std::lgamma(b) +
                                a * std::log(x) + b * std::log(1 - x));
  if (x < (a + 1) / (a + b + 2)) return front * beta_continued_fraction(a, b, x) / a;
  return 1 - front * beta_continued_fraction(b, a, 1 - x) / b;
}

}  // namespace

double student_t_two_sided_p(double t, double df) {
  if (!std::isfinite(t)) return 0;
  return incomplete_beta(df / 2, 0.5, df / (df + t * t));
}

WelchResult welch_t_test(const std::vector<double>& a, const std::vector<double>& b) {
  WelchResult r;
  if (a.size() < 2 || b.size() < 2) return r;
  auto mean_var = [](const std::vector<double>& v, double& mean, double& var) {
    mean = std::accumulate(v.begin(), v.end(), 0.0) / static_cast<double>(v.size());
    var = 0;
    for (double x : v) var += (x - mean) * (x - mean);
    var /= static_cast<double>(v.size() - 1);
  };
  double ma = 0, va = 0, mb = 0, vb = 0;
  mean_var(a, ma, va);
  mean_var(b, mb, vb);
  const double sa = va / static_cast<double>(a.size()), sb = vb / static_cast<double>(b.size());
  if (sa + sb <= 0) return r;
  r.t = (ma - mb) / std::sqrt(sa + sb);
  r.df =
      (sa + sb) * (sa + sb) /
      (sa * sa / static_cast<double>(a.size() - 1) + sb * sb / static_cast<double>(b.size() - 1));
  r.p = student_t_two_sided_p(r.t, r.df);
  r.valid = true;
  return r;
}

double normal_sf(double z) { return 0.5 * std::erfc(z / std::sqrt(2.0)); }

namespace {

// Number of ways the null distribution reaches each U for sample sizes n1, n2: the recurrence
// f(n1, n2, u) = f(n1 - 1, n2, u - n2) + f(n1, n2 - 1, u) (Mann and Whitney 1947), computed row by
// row. Returns P(U >= u) for integer u.
double exact_upper_tail(int n1, int n2, int u) {
  // counts[j][k]: number of arrangements of i values of a and j of b with U = k, for the
  // current i.
  const int max_u = n1 * n2;
  std::vector<std::vector<double>> prev(static_cast<std::size_t>(n2) + 1),
      cur(static_cast<std::size_t>(n2) + 1);
  for (auto& row : prev) row.assign(static_cast<std::size_t>(max_u) + 1, 0.0);
  for (auto& row : cur) row.assign(static_cast<std::size_t>(max_u) + 1, 0.0);
  for (int j = 0; j <= n2; ++j) prev[static_cast<std::size_t>(j)][0] = 1;  // i = 0: U = 0
  for (int i = 1; i <= n1; ++i) {
    for (auto& row : cur) std::fill(row.begin(), row.end(), 0.0);
    cur[0][0] = 1;  // j = 0: U = 0
    for (int j = 1; j <= n2; ++j) {
      auto& c = cur[static_cast<std::size_t>(j)];
      const auto& left = cur[static_cast<std::size_t>(j) - 1];  // largest value is a b
      const auto& up = prev[static_cast<std::size_t>(j)];       // largest value is an a: +j
      for (int k = 0; k <= i * j; ++k) {
        double v = left[static_cast<std::size_t>(k)];
        if (k >= j) v += up[static_cast<std::size_t>(k - j)];
        c[static_cast<std::size_t>(k)] = v;
      }
    }
    std::swap(prev, cur);
  }
  const auto& dist = prev[static_cast<std::size_t>(n2)];
  const double total = std::accumulate(dist.begin(), dist.end(), 0.0);
  double tail = 0;
  for (int k = std::max(u, 0); k <= max_u; ++k) tail += dist[static_cast<std::size_t>(k)];
  return tail / total;
}

}  // namespace

MannWhitneyResult mann_whitney_u(const std::vector<double>& a, const std::vector<double>& b) {
  MannWhitneyResult r;
  if (a.empty() || b.empty()) return r;
  const auto n1 = a.size(), n2 = b.size(), n = n1 + n2;
  // Mid-ranks of the pooled sample; ties share the mean of their ranks.
  std::vector<std::pair<double, bool>> pooled;  // value, from a
  pooled.reserve(n);
  for (double x : a) pooled.emplace_back(x, true);
  for (double x : b) pooled.emplace_back(x, false);
  std::sort(pooled.begin(), pooled.end(),
            [](const auto& x, const auto& y) { return x.first < y.first; });
  double rank_sum_a = 0, tie_term = 0;
  for (std::size_t i = 0; i < n;) {
    std::size_t j = i;
    while (j < n && pooled[j].first == pooled[i].first) ++j;
    const double mid = (static_cast<double>(i + 1) + static_cast<double>(j)) / 2;
    for (std::size_t k = i; k < j; ++k)
      if (pooled[k].second) rank_sum_a += mid;
    const double t = static_cast<double>(j - i);
    tie_term += t * t * t - t;
    i = j;
  }
  const double dn1 = static_cast<double>(n1), dn2 = static_cast<double>(n2),
               dn = static_cast<double>(n);
  r.u = rank_sum_a - dn1 * (dn1 + 1) / 2;
  const double u_big = std::max(r.u, dn1 * dn2 - r.u);  // the larger of U1 and U2
  r.valid = true;
  if (tie_term == 0 && n1 * n2 <= 400) {
    // Exact: two-sided p = 2 P(U >= max(U1, U2)), as SciPy's method="exact".
    r.exact = true;
    const int i1 = static_cast<int>(n1), i2 = static_cast<int>(n2);
    r.p = std::min(1.0, 2 * exact_upper_tail(i1, i2, static_cast<int>(std::lround(u_big))));
    r.min_p = std::min(1.0, 2 * exact_upper_tail(i1, i2, i1 * i2));
    return r;
  }
  // Normal approximation with the tie correction of the variance and a continuity correction
  // (SciPy's method="asymptotic", use_continuity=True).
  const double mu = dn1 * dn2 / 2;
  const double var = dn1 * dn2 / 12 * ((dn + 1) - tie_term / (dn * (dn - 1)));
  if (var <= 0) {  // every value equal
    r.p = 1;
    r.min_p = 0;
    return r;
  }
  const double z = (u_big - mu - 0.5) / std::sqrt(var);
  r.p = std::min(1.0, 2 * normal_sf(z));
  r.min_p = 0;
  return r;
}

std::optional<SpeedTest> parse_speed_test(std::string_view name) {
  if (name == "welch" || name == "t" || name == "welch-t") return SpeedTest::kWelch;
  if (name == "mann-whitney" || name == "mwu" || name == "mannwhitney" || name == "u")
    return SpeedTest::kMannWhitney;
  return std::nullopt;
}

SpeedTestResult speed_test(SpeedTest test, const std::vector<double>& a,
                           const std::vector<double>& b) {
  SpeedTestResult r;
  if (test == SpeedTest::kWelch) {
    const WelchResult w = welch_t_test(a, b);
    r.test = "welch";
    r.statistic = w.t;
    r.p = w.p;
    r.valid = w.valid;
    return r;
  }
  const MannWhitneyResult m = mann_whitney_u(a, b);
  r.test = "mann-whitney";
  r.statistic = m.u;
  r.p = m.p;
  r.min_p = m.min_p;
  // One value a side is no test at all (p is always 1).
  r.valid = m.valid && a.size() >= 2 && b.size() >= 2;
  return r;
}

}  // namespace codecbench
