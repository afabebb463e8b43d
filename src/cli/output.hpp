#pragma once
// CLI-side output conventions: results on stdout, progress and logs on stderr, --json/--csv
// to FILE or stdout, colour only on a terminal and never with NO_COLOR.
#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "codecbench/plot.hpp"

namespace codecbench::cli {

/// Options every command shares.
struct OutputOptions {
  CLI::Option* json_opt = nullptr;
  CLI::Option* csv_opt = nullptr;
  std::string json_path;  ///< empty: stdout
  std::string csv_path;   ///< empty: stdout
  bool quiet = false;

  [[nodiscard]] bool json() const { return json_opt != nullptr && json_opt->count() > 0; }
  [[nodiscard]] bool csv() const { return csv_opt != nullptr && csv_opt->count() > 0; }
  /// True when the human-readable table should go to stdout (no --json/--csv to stdout).
  [[nodiscard]] bool text_on_stdout() const {
    return !(json() && json_path.empty()) && !(csv() && csv_path.empty());
  }
};

/// Adds --json [FILE], --csv [FILE] and --quiet to a (sub)command.
void add_output_options(CLI::App* app, OutputOptions& out);

/// Writes text to FILE, or to stdout when path is empty. Throws InputError when FILE cannot be
/// written.
void write_output(const std::string& path, const std::string& text);

/// Writes each figure into `dir` (created if needed) as NAME.svg and NAME.png (rasterised by
/// FFmpeg's librsvg decoder), for papers. Throws InputError when the folder cannot be made.
void write_figures(const std::string& dir, const std::vector<plot::Figure>& figures);

/// A CSV document: header then rows, RFC 4180 quoting.
std::string to_csv(const std::vector<std::string>& header,
                   const std::vector<std::vector<std::string>>& rows);

/// Flattens a JSON object into (dotted.key, text) columns, in document order; arrays of
/// scalars are joined with spaces, arrays of objects are skipped (one row per document).
std::vector<std::pair<std::string, std::string>> flatten_json(const nlohmann::json& j);

/// A CSV document from JSON objects, one row each, flattened as flatten_json does. The columns
/// are those of the widest row, then any others in first-seen order; a row lacking a column
/// (a failed job has no result) gets an empty cell there, so every cell stays under its header.
std::string json_rows_to_csv(const std::vector<nlohmann::json>& rows);

/// Whether colour may be used on this stream (a terminal, NO_COLOR unset).
bool use_color(int fd);

/// ANSI colours (empty strings when colour is off).
struct Palette {
  std::string green, red, yellow, bold, dim, reset;
  static Palette for_fd(int fd);
};

/// Whether stderr is a terminal (progress redraws with \r only there).
bool stderr_is_tty();

}  // namespace codecbench::cli
