// Target-quality search: bracketing with a piecewise-linear fit, probes as stored jobs.
#include "codecbench/run/search.hpp"

#include <fmt/core.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <random>

#include "codecbench/analysis/bdrate.hpp"
#include "codecbench/config/preset.hpp"
#include "codecbench/core/error.hpp"
#include "codecbench/metrics/figures.hpp"
#include "codecbench/run/batch.hpp"
#include "codecbench/run/executor.hpp"

namespace codecbench {
namespace {

// The metric registry name of a figure ("vmaf.p5" -> "vmaf").
std::string metric_of(const std::string& figure) { return parse_figure(figure).metric->name; }

std::string value_text(double v) {
  if (v == std::floor(v) && std::fabs(v) < 1e15)
    return fmt::format("{}", static_cast<long long>(v));
  return fmt::format("{:g}", v);
}

double percentile(std::vector<double> v, double p) {
  std::sort(v.begin(), v.end());
  const double pos = p * static_cast<double>(v.size() - 1);
  const auto i = static_cast<std::size_t>(pos);
  const double f = pos - static_cast<double>(i);
  return i + 1 < v.size() ? v[i] + f * (v[i + 1] - v[i]) : v[i];
}

// 95% percentile bootstrap of a weighted mean (fixed seed: the same answer every time).
std::pair<double, double> bootstrap_mean(const std::vector<double>& x,
                                         const std::vector<double>& w) {
  std::mt19937_64 rng(20261203);
  std::uniform_int_distribution<std::size_t> pick(0, x.size() - 1);
  std::vector<double> means;
  constexpr int kResamples = 1000;
  means.reserve(kResamples);
  for (int b = 0; b < kResamples; ++b) {
    double s = 0, ws = 0;
    for (std::size_t k = 0; k < x.size(); ++k) {
      const std::size_t i = pick(rng);
      s += x[i] * w[i];
      ws += w[i];
    }
    means.push_back(s / ws);
  }
  return {percentile(means, 0.025), percentile(means, 0.975)};
}

// Where the monotone piecewise cubic (PCHIP: the interpolation the BD-rate code uses, whose
// slopes it shares) through p reaches `t` on the segment [x[k], x[k+1]] that crosses it.
double pchip_crossing(const std::vector<std::pair<double, double>>& p, std::size_t k, double t) {
  std::vector<double> xs, ys;
  for (const auto& [x, y] : p) {
    xs.push_back(x);
    ys.push_back(y);
  }
  const std::vector<double> d = pchip_slopes(xs, ys);
  auto at = [&](double x) { return hermite_at(xs, ys, d, x); };
  // Falling on the segment: bisection on the cubic.
  double a = p[k].first, b = p[k + 1].first;
  for (int it = 0; it < 60; ++it) {
    const double m = (a + b) / 2;
    (at(m) >= t ? a : b) = m;
  }
  return a;
}

// The next probe (a canonical index j) that a monotone fit of the probes `pts` ((j, quality)
// by j) says is the highest still meeting target `t`, within (lo, hi); `fallback` when the
// segment it uses does not fall. The segment that crosses the target, else the end nearest
// to it, extended; inside the probes the monotone cubic through all of them, beyond it the
// end segment's line.
long fitted_next(const std::vector<std::pair<double, double>>& pts, double t, long lo, long hi,
                 long fallback) {
  std::size_t k = 0;
  if (t > pts.front().second) {
    k = 0;
  } else if (t <= pts.back().second) {
    k = pts.size() - 2;
  } else {
    for (k = 0; k + 1 < pts.size(); ++k) {
      if (pts[k].second >= t && pts[k + 1].second < t) break;
    }
    if (k + 1 >= pts.size()) k = pts.size() - 2;
  }
  const auto [ja, qa] = pts[k];
  const auto [jb, qb] = pts[k + 1];
  if (!(qb < qa)) return fallback;
  const bool inside = qa >= t && t > qb;
  const double x = inside ? pchip_crossing(pts, k, t) : ja + (qa - t) / (qa - qb) * (jb - ja);
  // The highest j the line says still meets the target.
  const double c = std::floor(x + 1e-9);
  if (!std::isfinite(c)) return fallback;
  return static_cast<long>(std::clamp(c, static_cast<double>(lo + 1), static_cast<double>(hi - 1)));
}

// Each pair of neighbouring probes (`order`: probe indices in canonical order) whose quality
// rises where it should fall, as a line.
std::vector<std::string> not_monotone(const std::string& param,
                                      const std::vector<SearchProbe>& probes,
                                      const std::vector<std::size_t>& order) {
  std::vector<std::string> out;
  for (std::size_t k = 1; k < order.size(); ++k) {
    const auto& a = probes[order[k - 1]];
    const auto& b = probes[order[k]];
    if (b.quality > a.quality) {
      out.push_back(fmt::format("{} {}: {:.4f} < {} {}: {:.4f}", param, value_text(a.value),
                                a.quality, param, value_text(b.value), b.quality));
    }
  }
  return out;
}

}  // namespace

SearchOutcome search_values_for(const SearchSpec& spec, const std::vector<double>& values,
                                const std::function<SearchProbe(double)>& probe) {
  SearchOutcome out;
  const long n = static_cast<long>(values.size());
  if (n == 0) throw UsageError("the search range has no values");
  out.direction = param_direction(spec.param);
  std::vector<long> probe_of(values.size(), -1);  // value index -> probe index
  auto measure = [&](long i) {
    out.probes.push_back(probe(values[static_cast<std::size_t>(i)]));
    probe_of[static_cast<std::size_t>(i)] = static_cast<long>(out.probes.size() - 1);
  };
  // Canonical order j: quality falls as j rises (j = i when quality falls with the value).
  auto falls = [&] { return out.direction != ParamDirection::kQualityRises; };
  auto to_i = [&](long j) { return falls() ? j : n - 1 - j; };
  auto to_j = [&](long i) { return falls() ? i : n - 1 - i; };

  long first = (n - 1) / 2;
  measure(first);
  if (out.direction == ParamDirection::kUnknown && n > 1) {
    // One more probe tells the direction: halfway to the top of the range.
    const long second = first + std::max(1L, (n - 1 - first + 1) / 2);
    measure(std::min(second, n - 1));
    const auto& a = out.probes[0];
    const auto& b = out.probes[1];
    out.direction = b.quality < a.quality   ? ParamDirection::kQualityFalls
                    : b.quality > a.quality ? ParamDirection::kQualityRises
                                            : ParamDirection::kQualityFalls;
  }
  // The bracket in canonical order: lo = the highest j known to meet everything (-1: none
  // yet), hi = the lowest j above it known to fail (n: none).
  long lo = -1, hi = n;
  auto update = [&] {
    lo = -1;
    for (long i = 0; i < n; ++i) {
      const long p = probe_of[static_cast<std::size_t>(i)];
      if (p >= 0 && out.probes[static_cast<std::size_t>(p)].meets) lo = std::max(lo, to_j(i));
    }
    hi = n;
    for (long i = 0; i < n; ++i) {
      const long p = probe_of[static_cast<std::size_t>(i)];
      if (p >= 0 && !out.probes[static_cast<std::size_t>(p)].meets && to_j(i) > lo)
        hi = std::min(hi, to_j(i));
    }
  };
  update();
  int fitted_steps = 0;
  long width_before_fit = hi - lo;
  while (hi - lo > 1) {
    // (j, quality) of every probe, by j.
    std::vector<std::pair<double, double>> pts;
    for (long j = 0; j < n; ++j) {
      const long p = probe_of[static_cast<std::size_t>(to_i(j))];
      if (p >= 0)
        pts.emplace_back(static_cast<double>(j), out.probes[static_cast<std::size_t>(p)].quality);
    }
    long next = lo + (hi - lo) / 2;  // bisection
    const bool fit_allowed =
        pts.size() >= 2 && !(fitted_steps >= 2 && hi - lo > width_before_fit / 2);
    if (fit_allowed) {
      next = fitted_next(pts, spec.target.min, lo, hi, next);
      if (fitted_steps == 0) width_before_fit = hi - lo;
      ++fitted_steps;
    } else {
      fitted_steps = 0;
    }
    if (fitted_steps > 2) {  // the fit halved the bracket in two steps: it may go on
      fitted_steps = 1;
      width_before_fit = hi - lo;
    }
    measure(to_i(next));
    update();
  }
  // Quality against the direction between neighbouring probes: reported, not looped on.
  std::vector<std::size_t> order;
  for (long j = 0; j < n; ++j) {
    const long p = probe_of[static_cast<std::size_t>(to_i(j))];
    if (p >= 0) order.push_back(static_cast<std::size_t>(p));
  }
  out.not_monotone = not_monotone(spec.param, out.probes, order);
  if (lo >= 0) {
    out.chosen = static_cast<std::size_t>(probe_of[static_cast<std::size_t>(to_i(lo))]);
  } else {
    const auto& best =
        out.probes[static_cast<std::size_t>(probe_of[static_cast<std::size_t>(to_i(0))])];
    out.reason = fmt::format(
        "no value of {} in {}..{} meets {} >= {:g}{}: the best, {} {}, gives {:.4f}", spec.param,
        value_text(values.front()), value_text(values.back()), spec.target.figure, spec.target.min,
        spec.also.empty() ? "" : " and the constraints", spec.param, value_text(best.value),
        best.quality);
  }
  return out;
}

double input_duration(const SourceSpec& input) {
  if (input.duration_s > 0) return input.duration_s;
  if (input.uri.rfind("lavfi:", 0) == 0) {
    throw UsageError(fmt::format(
        "{}: sample mode needs the input's length: give the graph a duration or --duration",
        input.uri));
  }
  AVFormatContext* raw = nullptr;
  if (avformat_open_input(&raw, input.uri.c_str(), nullptr, nullptr) < 0) {
    throw InputError(fmt::format("{}: cannot be opened to read its length", input.uri));
  }
  av::InputFormatPtr fmt_ctx(raw);
  if (av::find_stream_info(fmt_ctx.get(), input.max_pixels) < 0 || fmt_ctx->duration <= 0) {
    throw InputError(fmt::format("{}: its length is unknown (give --duration)", input.uri));
  }
  const double d = static_cast<double>(fmt_ctx->duration) / AV_TIME_BASE - input.start_s;
  if (d <= 0) throw UsageError(fmt::format("{}: --start is past its end", input.uri));
  return d;
}

std::vector<JobSpec> probe_jobs(const QualitySearch& s, double value) {
  JobSpec j = s.base;
  bool set = false;
  for (auto& [k, v] : j.options) {
    if (k == s.spec.param) {
      v = value_text(value);
      set = true;
    }
  }
  if (!set) j.options.emplace_back(s.spec.param, value_text(value));
  if (s.samples <= 0) return {j};
  std::vector<JobSpec> out;
  const double d = s.input_duration_s;
  const double len = std::min(s.sample_duration_s, d / s.samples);
  for (int k = 0; k < s.samples; ++k) {
    JobSpec sample = j;
    // Evenly spaced: sample k centred at (k + 1/2) / N of the input.
    const double centre = (k + 0.5) * d / s.samples;
    sample.input.start_s = j.input.start_s + std::clamp(centre - len / 2, 0.0, d - len);
    sample.input.duration_s = len;
    sample.input.max_frames = -1;
    out.push_back(std::move(sample));
  }
  return out;
}

SearchProbe probe_from_results(const SearchSpec& spec, double value,
                               const std::vector<nlohmann::json>& results) {
  SearchProbe p;
  p.value = value;
  std::vector<QualityFigure> figures{parse_figure(spec.target.figure)};
  for (const auto& c : spec.also) figures.push_back(parse_figure(c.figure));
  std::vector<std::vector<double>> per_job(figures.size());
  std::vector<double> weights;
  double seconds = 0;
  for (const auto& r : results) {
    const double frames = r.contains("video") ? r["video"].value("frames", 1.0) : 1.0;
    weights.push_back(std::max(1.0, frames));
    for (std::size_t f = 0; f < figures.size(); ++f)
      per_job[f].push_back(figure_value(r, figures[f]));
    p.bytes += r["size"].value("bitstream_bytes", std::uint64_t{0});
    const nlohmann::json& media = r.contains("video") ? r["video"] : r["audio"];
    seconds += media.value("duration_s", 0.0);
  }
  auto pooled = [&](const std::vector<double>& v) {
    double s = 0, ws = 0;
    for (std::size_t k = 0; k < v.size(); ++k) {
      s += v[k] * weights[k];
      ws += weights[k];
    }
    return s / ws;
  };
  p.quality = pooled(per_job[0]);
  for (std::size_t f = 1; f < figures.size(); ++f) {
    // A floor on the worst frames stays the worst over the samples.
    const std::string out = figures[f].output->name;
    p.also.push_back(out == "min" ? *std::min_element(per_job[f].begin(), per_job[f].end())
                                  : pooled(per_job[f]));
  }
  p.bitrate_kbps = seconds > 0 ? 8.0 * static_cast<double>(p.bytes) / seconds / 1000.0 : 0;
  // The interval: over samples when there are several; else the metric's own (VMAF), else a
  // bootstrap of the per-frame values' mean moved onto the pooled figure.
  const QualityFigure& tf = figures[0];
  if (results.size() > 1) {
    const auto [lo, hi] = bootstrap_mean(per_job[0], weights);
    p.ci_low = lo;
    p.ci_high = hi;
  } else if (results.size() == 1) {
    const nlohmann::json& r = results[0];
    const std::string metric = tf.metric->name;
    const auto q = r.find("quality");
    if (q != r.end() && q->contains(metric) && (*q)[metric].contains("ci_low") &&
        (tf.output->name == "score" || tf.output->name == "mean")) {
      p.ci_low = (*q)[metric]["ci_low"].get<double>();
      p.ci_high = (*q)[metric]["ci_high"].get<double>();
    } else if (r.contains("per_frame") && r["per_frame"].contains(metric)) {
      std::vector<double> x;
      for (const auto& f : r["per_frame"][metric]) {
        const auto it = f.find(tf.output->name);
        if (it != f.end() && it->is_number()) x.push_back(it->get<double>());
      }
      if (x.size() >= 2) {
        double mean = 0;
        for (double v : x) mean += v;
        mean /= static_cast<double>(x.size());
        const auto [lo, hi] = bootstrap_mean(x, std::vector<double>(x.size(), 1.0));
        p.ci_low = p.quality - (mean - lo);
        p.ci_high = p.quality + (hi - mean);
      }
    }
  }
  p.meets = std::isfinite(p.quality) && p.quality >= spec.target.min;
  for (std::size_t f = 0; f < spec.also.size(); ++f) {
    if (!(p.also[f] >= spec.also[f].min)) p.meets = false;
  }
  return p;
}

QualitySearchResult run_quality_search(const QualitySearch& s,
                                       const std::function<void(const SearchProbe&)>& on_probe) {
  QualitySearch search = s;
  // The metrics the figures need (a job's own metric specs, e.g. vmaf:model=neg, are kept).
  std::vector<std::string> needed{metric_of(s.spec.target.figure)};
  for (const auto& c : s.spec.also) needed.push_back(metric_of(c.figure));
  for (const auto& m : needed) {
    const bool have =
        std::any_of(search.base.metrics.begin(), search.base.metrics.end(),
                    [&](const std::string& x) { return parse_metric_spec(x).name == m; });
    if (!have) search.base.metrics.push_back(m);
  }
  search.base.per_frame = true;
  const MachineInfo machine = MachineInfo::this_machine();
  auto run_value = [&](double value, bool samples) {
    QualitySearch q = search;
    if (!samples) q.samples = 0;
    std::vector<nlohmann::json> results;
    SearchProbe meta;
    for (const JobSpec& spec : probe_jobs(q, value)) {
      const std::string key = job_key(q.identity, spec);
      meta.keys.push_back(key);
      if (q.store != nullptr) {
        if (auto stored = q.store->find_job(key); stored && stored->result.is_object()) {
          results.push_back(std::move(stored->result));
          ++meta.reused;
          continue;
        }
      }
      const auto start = std::chrono::steady_clock::now();
      const JobResult r = run_job_in_arena(spec);
      meta.seconds +=
          std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
      ++meta.jobs;
      if (q.store != nullptr) {
        BatchJob bj;
        bj.key = key;
        bj.input = q.input_name.empty() ? q.identity : q.input_name;
        bj.encoder_label = spec.encoder;
        bj.spec = spec;
        q.store->record_job(q.run_id, job_record(bj, {r}, machine));
      }
      results.push_back(r);
    }
    SearchProbe p = probe_from_results(q.spec, value, results);
    p.keys = std::move(meta.keys);
    p.jobs = meta.jobs;
    p.reused = meta.reused;
    p.seconds = meta.seconds;
    p.full = !samples && search.samples > 0;
    if (on_probe) on_probe(p);
    return p;
  };
  QualitySearchResult out;
  out.outcome = search_values_for(search.spec, search_values(search.spec),
                                  [&](double v) { return run_value(v, true); });
  if (search.samples > 0 && out.outcome.chosen) {
    out.full = run_value(out.outcome.probes[*out.outcome.chosen].value, false);
  }
  return out;
}

}  // namespace codecbench
