#pragma once
/// @file report.hpp
/// The self-contained HTML report of a run: metadata, a sortable results table, RD curves,
/// the BD-rate table, compression and speed charts, and the thread-scaling sweeps of the same
/// preset. One file, no network: charts are inline SVG with hover tooltips.

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "codecbench/store.hpp"

namespace codecbench {

/// What a report shows.
struct ReportData {
  std::int64_t run_id = 0;
  RunInfo info;
  std::string status;
  std::vector<ResultStore::JobRow> jobs;
  std::vector<nlohmann::json> sweeps;  ///< sweep documents (sweep.hpp) of the same preset
};

/// One figure of the report, also written alone for papers (SVG text).
struct ReportFigure {
  std::string name;  ///< file stem, e.g. "rd-cityCC0-psnr"
  std::string title;
  std::string svg;
};

/// The figures of a report, in order.
std::vector<ReportFigure> report_figures(const ReportData& data);

/// The report as one HTML document.
std::string render_report(const ReportData& data);

}  // namespace codecbench
