#pragma once
/// @file report.hpp
/// The self-contained HTML report of a run: metadata, a sortable results table, RD curves,
/// the BD-rate table, compression and speed charts, and the thread-scaling sweeps of the same
/// preset. One file, no network: charts are Vega-Lite views drawn by the Vega libraries inlined
/// into the file (zoom, pan, tooltips), over static SVG copies that show where scripts do not
/// run or where codecbench was built without Vega.

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "codecbench/analysis/bdrate.hpp"
#include "codecbench/report/plot.hpp"
#include "codecbench/store/run_record.hpp"

namespace codecbench {

/// What a report shows.
struct ReportData {
  RunRecord run;                       ///< the run and its jobs
  std::vector<nlohmann::json> sweeps;  ///< sweep documents (sweep.hpp) of the same preset
  /// BD-rate table: the anchor label ("" = the first label with a ladder, per input) and the
  /// interpolation.
  std::string bd_anchor;
  BdInterpolation bd_interp = BdInterpolation::kPchip;
  /// Target bitrates (kbit/s) of a ladder: each resolution ladder's chart marks the hull point
  /// chosen for each (hull.hpp, ladder_for_rates) as the series "LABEL ladder".
  std::vector<double> ladder_rates;
};

/// The figures of a report, in order: RD curves per input and metric, compression ratio and
/// encoding speed, then each sweep's figures (names prefixed "sweep-K-").
std::vector<plot::Figure> report_figures(const ReportData& data);

/// The figures of one sweep document (sweep.hpp's JSON): speedup with the ideal line, the fitted
/// law and the oversubscribed range, efficiency and throughput against N; for a grid sweep the
/// throughput heat map. Names: speedup, efficiency, throughput, grid.
std::vector<plot::Figure> sweep_figures(const nlohmann::json& sweep);

/// Which charting the report uses: "vega-lite" with the bundled versions, or "static SVG".
std::string report_charting();

/// JSON text made safe inside an HTML <script> element: every '<' is written \u003c (the same
/// string to JSON.parse), so no value can close the element ("</script>") or switch the HTML
/// parser into its escaped script states ("<!--<script>").
std::string json_for_script(const std::string& json);

/// The warning a report (or a listing) shows above a run that did not finish normally: why it
/// is incomplete ("" for ok and failed-jobs runs).
std::string unfinished_note(RunStatus status);

/// The report as one HTML document.
std::string render_report(const ReportData& data);

}  // namespace codecbench
