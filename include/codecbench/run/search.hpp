#pragma once
/// @file search.hpp
/// Target-quality search (as ab-av1's crf-search and Av1an's target quality): the value of one
/// encoder parameter (a CRF, a QP, a bitrate) that meets a quality target, and any further
/// constraints, with the smallest size. Quality is taken to be monotone in the parameter; the
/// search brackets the answer and probes where a monotone (piecewise-linear) fit of the probes
/// made so far says the target lies, so a smooth curve takes a few probes and any monotone one
/// at most about log2(values) + 2. Every probe is a job (transcode.hpp), stored and reused.
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "codecbench/config/search_spec.hpp"
#include "codecbench/media/transcode.hpp"
#include "codecbench/store/store.hpp"

namespace codecbench {

/// One probe: a parameter value encoded and measured.
struct SearchProbe {
  double value = 0;
  double quality = 0;                  ///< the target figure
  std::vector<double> also;            ///< each constraint's figure, in SearchSpec::also's order
  double bitrate_kbps = 0;             ///< of the whole probe (all samples)
  std::uint64_t bytes = 0;             ///< bitstream bytes (all samples)
  double ci_low = NAN, ci_high = NAN;  ///< 95% interval of `quality` (NaN when unknown)
  bool meets = false;                  ///< target and every constraint met
  int jobs = 0;                        ///< jobs run for it (0: all reused from the store)
  int reused = 0;                      ///< jobs taken from the store
  double seconds = 0;                  ///< wall time of the jobs run
  std::vector<std::string> keys;       ///< the job keys (one per sample)
  bool full = false;                   ///< sample mode's verifying encode of the whole input
};

/// The outcome.
struct SearchOutcome {
  std::vector<SearchProbe> probes;  ///< in the order made
  /// The index into `probes` of the answer: the value meeting everything with the smallest
  /// bitrate; nullopt when no value of the range meets it (`reason` says why).
  std::optional<std::size_t> chosen;
  std::string reason;
  ParamDirection direction = ParamDirection::kUnknown;  ///< as found
  /// Pairs of probes where quality moved against the direction (the answer then only holds
  /// for the probes made): "crf 30: 41.2 < crf 32: 41.5".
  std::vector<std::string> not_monotone;
};

/// The search over `values` (rising) with `probe` measuring one value; at most values.size()
/// probes, each value at most once, so it ends on any input. The bracket [last value known to
/// meet, first known to fail] shrinks with every probe; the next probe is where a line through
/// the two probes nearest the target crosses it (rounded toward the cheaper side), or the
/// middle of the bracket when there are fewer than two probes or the fit has not halved the
/// bracket in two steps.
SearchOutcome search_values_for(const SearchSpec& spec, const std::vector<double>& values,
                                const std::function<SearchProbe(double)>& probe);

/// A search of one input and encoder through real jobs.
struct QualitySearch {
  JobSpec base;            ///< input, encoder, fixed options, threads (metrics are set here)
  std::string identity;    ///< the input's identity for job keys (preset.hpp input_identity)
  std::string input_name;  ///< how stored probe jobs name the input ("" = the identity)
  SearchSpec spec;
  int samples = 0;               ///< 0: whole input; else N evenly spaced samples
  double sample_duration_s = 0;  ///< each sample's length (samples > 0)
  double input_duration_s = 0;   ///< the input's length (samples > 0), from its probe
  ResultStore* store = nullptr;  ///< probes are looked up here first and recorded here
  std::int64_t run_id = 0;       ///< the store's run the new jobs go to (begun by the caller)
};

/// The length of the input a search samples from, s: its trim (`duration_s`) when set, else the
/// file's duration less `start_s`. UsageError for a source without a known length (a lavfi
/// graph without duration), InputError for a file that cannot be read.
double input_duration(const SourceSpec& input);

/// The jobs of one probe value: the whole input, or one per sample (start, duration).
std::vector<JobSpec> probe_jobs(const QualitySearch& s, double value);

/// Figures of a probe from its jobs' result documents: sample results are pooled by frame count
/// (a frame-weighted mean of each figure), bitrate over the samples' total duration; the interval
/// is the metric's own (VMAF's bootstrap) for one job, a bootstrap over samples otherwise.
SearchProbe probe_from_results(const SearchSpec& spec, double value,
                               const std::vector<nlohmann::json>& results);

/// Runs the search with real jobs (reusing stored ones with the same key), then, in sample
/// mode, one full encode at the chosen value (`full`, when found). `on_probe` gets every probe,
/// the verifying full encode last with `full` true.
struct QualitySearchResult {
  SearchOutcome outcome;
  std::optional<SearchProbe> full;  ///< sample mode: the chosen value on the whole input
};
QualitySearchResult run_quality_search(const QualitySearch& s,
                                       const std::function<void(const SearchProbe&)>& on_probe);

}  // namespace codecbench
