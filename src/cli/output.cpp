#include "output.hpp"

#include <fmt/core.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>

#include "codecbench/core/error.hpp"
#include "codecbench/core/files.hpp"
#include "codecbench/core/limits.hpp"

namespace codecbench::cli {

bool OutputOptions::wants(std::string_view exporter) const {
  if (exporter == "table") return text_on_stdout();
  const auto it = requests.find(exporter);
  return it != requests.end() && it->second.option != nullptr && it->second.option->count() > 0;
}

const std::string& OutputOptions::path(std::string_view exporter) const {
  static const std::string kStdout;
  const auto it = requests.find(exporter);
  return it != requests.end() ? it->second.path : kStdout;
}

bool OutputOptions::any_requested() const {
  return std::any_of(requests.begin(), requests.end(),
                     [this](const auto& r) { return wants(r.first); });
}

bool OutputOptions::text_on_stdout() const {
  for (const auto& [name, r] : requests) {
    if (r.option != nullptr && r.option->count() > 0 && r.path.empty()) return false;
  }
  return true;
}

std::vector<std::string> split_list(const std::string& text) {
  std::vector<std::string> out;
  for (std::size_t start = 0; start <= text.size();) {
    const auto comma = text.find(',', start);
    std::string item = text.substr(start, comma - start);
    if (!item.empty()) out.push_back(std::move(item));
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  return out;
}

std::vector<double> number_list(const std::string& text, const char* option, bool positive,
                                const char* what) {
  std::vector<double> out;
  for (std::size_t start = 0; !text.empty() && start <= text.size();) {
    const auto comma = text.find(',', start);
    const std::string item = text.substr(start, comma - start);
    double v = 0;
    std::size_t used = 0;
    try {
      v = std::stod(item, &used);
    } catch (const std::exception&) {
      used = 0;
    }
    if (used == 0 || used != item.size() || !std::isfinite(v) || (positive && !(v > 0))) {
      throw UsageError(fmt::format("{} '{}': '{}' is not a {}{}", option, text, item,
                                   positive ? "positive " : "", what));
    }
    out.push_back(v);
    if (out.size() > 1000) throw UsageError(fmt::format("{}: at most 1000 values", option));
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  return out;
}

void refuse_outputs_over(const OutputOptions& out, const std::string& input,
                         const std::string& input_role) {
  for (const auto& e : exporters()) {
    if (e.flag.empty() || !out.wants(e.name)) continue;
    refuse_same_file(out.path(e.name), e.flag, input, input_role);
  }
}

void add_output_options(CLI::App* app, OutputOptions& out) {
  for (const auto& e : exporters()) {
    if (e.flag.empty()) continue;  // the table: no flag
    OutputOptions::Request& r = out.requests[e.name];
    r.option = app->add_option(e.flag, r.path, e.help)->expected(0, 1)->type_name("[FILE]");
  }
  app->add_flag("-q,--quiet", out.quiet, "No progress or log lines on stderr");
}

void emit(const View& view, const OutputOptions& out) {
  for (const auto& e : exporters()) {
    if (e.flag.empty() || !out.wants(e.name)) continue;
    write_output(out.path(e.name), e.render(view, {}));
  }
  if (out.text_on_stdout()) {
    const Palette p = Palette::for_fd(STDOUT_FILENO);
    write_output("", exporter("table").render(view, {p.bold, p.red, p.reset}));
  }
}

void write_output(const std::string& path, const std::string& text) {
  if (path.empty() || path == "-") {
    // A full disk or a closed pipe behind stdout is an error, not a silent exit 0.
    if (std::fwrite(text.data(), 1, text.size(), stdout) != text.size() ||
        std::fflush(stdout) != 0) {
      throw InputError(std::string("stdout: write failed: ") + std::strerror(errno));
    }
    return;
  }
  write_file_atomically(path, text);
}

bool use_color(int fd) {
  const char* no_color = std::getenv("NO_COLOR");
  if (no_color != nullptr && no_color[0] != '\0') return false;
  return ::isatty(fd) != 0;
}

Palette Palette::for_fd(int fd) {
  if (!use_color(fd)) return {};
  return {"\033[32m", "\033[31m", "\033[33m", "\033[1m", "\033[2m", "\033[0m"};
}

bool stderr_is_tty() { return ::isatty(STDERR_FILENO) != 0; }

FigureFiles render_figures(const std::string& dir, const std::vector<plot::Figure>& figures) {
  if (const std::string kind = file_kind(dir); kind != "nothing" && kind != "a directory") {
    throw UsageError(fmt::format("--figures {}: is {}, not a folder", dir, kind));
  }
  FigureFiles files;
  files.dir = dir;
  for (const auto& f : figures) {
    const std::string svg = plot::figure_svg(f);
    const auto at = [&](const char* ext) {
      return (std::filesystem::path(dir) / (f.name + ext)).string();
    };
    std::string png;
    try {
      png = plot::svg_to_png(svg);
    } catch (const Error& e) {
      throw Error(fmt::format("figure {} ({}): {}; nothing was written", f.name, f.title, e.what()),
                  e.code());
    }
    files.files.emplace_back(at(".svg"), svg);
    files.files.emplace_back(at(".png"), std::move(png));
    files.files.emplace_back(at(".csv"), plot::figure_csv(f));
  }
  return files;
}

void write_figures(const FigureFiles& files) {
  std::error_code ec;
  std::filesystem::create_directories(files.dir, ec);
  if (ec) {
    throw InputError(fmt::format("{}: cannot create the folder ({})", files.dir, ec.message()));
  }
  for (const auto& [path, content] : files.files) write_output(path, content);
}

CLI::Validator bounded(double lo, double hi) {
  return CLI::Validator(
      [lo, hi](std::string& text) -> std::string {
        const auto x = limits::parse_finite(text);
        if (!x || *x < lo || *x > hi) {
          return fmt::format("'{}' is not a number from {} to {}", text, lo, hi);
        }
        return "";
      },
      fmt::format("NUMBER in [{} - {}]", lo, hi));
}

}  // namespace codecbench::cli
