#pragma once
/// @file export.hpp
/// Exporters: every command builds one View of its results, and one list of exporters renders
/// it as the terminal table, JSON, JSON Lines, CSV or a Markdown table (as hyperfine offers,
/// for pull requests and papers). A command never branches on the format; a new format is one
/// new entry in exporters().

#include <functional>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace codecbench {

/// A table of text cells.
struct TextTable {
  std::vector<std::string> header;
  std::vector<std::vector<std::string>> rows;
  std::vector<bool> right;      ///< per column: right-aligned (numbers); default left
  std::vector<bool> highlight;  ///< per row: drawn in red on a terminal (failures)
};

/// What a command shows: the same results for every exporter.
struct View {
  nlohmann::json document;              ///< --json: the command's JSON document
  std::vector<nlohmann::json> records;  ///< --jsonl: one line each; --csv: one row each
  TextTable table;                      ///< the terminal table and --markdown
  std::vector<std::string> notes;       ///< lines under the table (terminal and Markdown)
  /// The terminal rendering when it is not the table (`codecs` prints ffmpeg's own listing);
  /// "" = the table.
  std::string text;
  /// CSV columns to put first, in this order (the others follow in first-seen order).
  std::vector<std::string> columns;
};

/// One JSON object per row of a table, keyed by the header, and the header as the CSV column
/// order: for views whose rows are their records.
void records_from_table(View& view);

/// Terminal styling for the table (empty strings: none).
struct TextStyle {
  std::string bold, red, reset;
};

/// One exporter (one file each in src/report/exporters/).
struct Exporter {
  std::string name;  ///< "table", "json", "jsonl", "csv", "markdown": how code and options name it
  std::string flag;  ///< command-line flag ("--json"), "" for the table
  std::string help;  ///< one line for --help
  std::function<std::string(const View&, const TextStyle&)> render;
};

/// Every exporter, the table first.
const std::vector<Exporter>& exporters();

/// The exporter with this name; Error for a name no exporter has (a programming error).
const Exporter& exporter(std::string_view name);

/// A CSV document: header then rows, RFC 4180 quoting.
std::string to_csv(const std::vector<std::string>& header,
                   const std::vector<std::vector<std::string>>& rows);

/// Flattens a JSON object into (dotted.key, text) columns, in document order; arrays of
/// scalars are joined with spaces, arrays of [key, value] pairs become `k=v` text, other
/// arrays of structures are skipped (one row per document).
std::vector<std::pair<std::string, std::string>> flatten_json(const nlohmann::json& j);

/// A CSV document from JSON objects, one row each, flattened as flatten_json does. The columns
/// are `first_columns`, then those of the widest row, then any others in first-seen order; a row
/// lacking a column (a failed job has no result) gets an empty cell there, so every cell stays
/// under its header.
std::string json_rows_to_csv(const std::vector<nlohmann::json>& rows,
                             const std::vector<std::string>& first_columns = {});

}  // namespace codecbench
