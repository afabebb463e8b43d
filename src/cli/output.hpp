#pragma once
// CLI-side output conventions: results on stdout, progress and logs on stderr, --json/--csv
// to FILE or stdout, colour only on a terminal and never with NO_COLOR.
#include <CLI/CLI.hpp>
#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "codecbench/report/export.hpp"
#include "codecbench/report/plot.hpp"

namespace codecbench::cli {

/// Options every command shares: one [FILE] flag per exporter (export.hpp) and --quiet.
struct OutputOptions {
  /// One exporter's flag: given or not, and its FILE ("" = stdout).
  struct Request {
    CLI::Option* option = nullptr;
    std::string path;
  };
  /// By exporter name, every exporter but the table (add_output_options fills it).
  std::map<std::string, Request, std::less<>> requests;
  bool quiet = false;

  /// Whether the exporter was asked for (the table: always, unless another goes to stdout).
  [[nodiscard]] bool wants(std::string_view exporter) const;
  /// Its file ("" = stdout).
  [[nodiscard]] const std::string& path(std::string_view exporter) const;
  [[nodiscard]] bool json() const { return wants("json"); }
  [[nodiscard]] bool csv() const { return wants("csv"); }
  /// Whether any exporter's flag was given.
  [[nodiscard]] bool any_requested() const;
  /// True when the human-readable table should go to stdout (no other format to stdout).
  [[nodiscard]] bool text_on_stdout() const;
};

/// Help text of every command's PRESET argument.
inline constexpr const char* kPresetHelp =
    "Preset: a file (presets/quick.yaml) or a name looked up on the preset path (quick; "
    "`codecbench presets` lists them)";

/// The items of a comma-separated option value, empty items dropped ("psnr,,ssim": two).
std::vector<std::string> split_list(const std::string& text);

/// The numbers of a comma-separated option value (at most 1000). UsageError naming `option`,
/// the value and the item when one is not a finite number (or, with `positive`, not > 0);
/// `what` names the quantity in that message ("bitrate (kbit/s)"; default "number").
std::vector<double> number_list(const std::string& text, const char* option, bool positive,
                                const char* what = "number");

/// UsageError when an exporter's FILE is `input` (the results store, or a file the command
/// reads): writing it would destroy what the command reads or keeps (same_file, files.hpp).
void refuse_outputs_over(const OutputOptions& out, const std::string& input,
                         const std::string& input_role);

/// Adds every exporter's flag (--json, --jsonl, --csv, --markdown [FILE]) and --quiet.
void add_output_options(CLI::App* app, OutputOptions& out);

/// Renders the view with every exporter asked for, each to its file or stdout; the table on
/// stdout when no other format goes there (coloured on a terminal).
void emit(const View& view, const OutputOptions& out);

/// Writes text to FILE, or to stdout when path is empty. Throws InputError when FILE cannot be
/// written.
void write_output(const std::string& path, const std::string& text);

/// The files of `figures` for a folder, made in memory: NAME.svg and NAME.png (rasterised by
/// FFmpeg's librsvg decoder), for papers, and the data as NAME.csv.
struct FigureFiles {
  std::string dir;
  std::vector<std::pair<std::string, std::string>> files;  ///< path, content
};

/// Renders every figure for `dir` before anything is written, so a figure that cannot be
/// rasterised, or a `dir` that is a file, stops the command before its other outputs (the
/// HTML report) are written: UsageError when `dir` exists and is not a folder, the rasteriser's
/// error naming the figure otherwise.
FigureFiles render_figures(const std::string& dir, const std::vector<plot::Figure>& figures);

/// Writes rendered figures into their folder (created if needed). InputError when the folder
/// cannot be made or a file written.
void write_figures(const FigureFiles& files);

/// A CLI11 check that the value is a finite number from lo to hi. (CLI::Range lets NaN through,
/// and `--frames -1` or `--probe-timeout nan` must be usage errors, exit 2.)
CLI::Validator bounded(double lo, double hi);

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
