#pragma once
/// @file compare.hpp
/// Run-to-run comparison and its regression rule: job by job (matched by key), the speed
/// change with a significance test over the repeats, the size change and the change of the
/// media type's primary quality figure. `codecbench compare` is this plus rendering.

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "codecbench/analysis/stats.hpp"
#include "codecbench/store/run_record.hpp"

namespace codecbench {

/// What counts as a regression.
struct CompareRule {
  double speed_threshold_pct = 5;   ///< slower by more than this, and significant at alpha
  double size_threshold_pct = 1;    ///< bitstream larger by more than this
  double quality_threshold = 0.05;  ///< primary figure lower by more than this (dB, or units)
  double alpha = 0.05;              ///< significance level of the speed test
  SpeedTest test = SpeedTest::kWelch;
};

/// One job finished in both runs.
struct JobComparison {
  std::string key, input, encoder_label, options;
  double wall_a_s = 0, wall_b_s = 0;  ///< median wall time of each run's repeats
  double speed_change_pct = 0;        ///< (B / A - 1) x 100: positive = slower
  SpeedTestResult speed;              ///< the significance test over the repeat times
  double size_change_pct = 0;         ///< bitstream size change, %
  std::string quality_figure;         ///< the primary figure compared (psnr, snr)
  double quality_change = 0;          ///< B - A (0 when either is missing or infinite)
  /// The two runs measured different references under one job key: their `source_hash`es
  /// differ (a random source without a seed; a file's content is in the key already). Size and
  /// quality changes are then the input's noise, not the codec's, and are not judged.
  bool input_differs = false;
  /// "SLOWER", "LARGER", "WORSE QUALITY" (regressions), "faster", and the notes
  /// "slower? (one repeat: no test)", "slower? (too few repeats for this test)",
  /// "slower (not significant)", "input differs (size and quality not compared)".
  std::vector<std::string> flags;
  bool regression = false;    ///< one of the three regression flags
  bool underpowered = false;  ///< the test cannot reach p < alpha with these repeat counts
};

/// A whole comparison.
struct Comparison {
  CompareRule rule;
  std::vector<JobComparison> jobs;  ///< in run B's job order
  int regressions = 0;
  int underpowered = 0;
};

/// Compares run B against the baseline A: jobs with status ok in both, matched by key.
Comparison compare_runs(const RunRecord& a, const RunRecord& b, const CompareRule& rule);

/// The JSON form (docs/json.md, "Run comparison"); `a` and `b` name the runs.
nlohmann::json comparison_json(const Comparison& c, const std::string& a, const std::string& b);

}  // namespace codecbench
