#include "output.hpp"

#include <fmt/core.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>

#include "codecbench/error.hpp"

namespace codecbench::cli {

void add_output_options(CLI::App* app, OutputOptions& out) {
  out.json_opt = app->add_option("--json", out.json_path,
                                 "Write results as JSON to FILE, or to stdout without FILE")
                     ->expected(0, 1)
                     ->type_name("[FILE]");
  out.csv_opt = app->add_option("--csv", out.csv_path,
                                "Write results as CSV to FILE, or to stdout without FILE")
                    ->expected(0, 1)
                    ->type_name("[FILE]");
  app->add_flag("-q,--quiet", out.quiet, "No progress or log lines on stderr");
}

void write_output(const std::string& path, const std::string& text) {
  if (path.empty() || path == "-") {
    std::fwrite(text.data(), 1, text.size(), stdout);
    std::fflush(stdout);
    return;
  }
  std::ofstream f(path, std::ios::binary | std::ios::trunc);
  if (!f) throw InputError(path + ": cannot open for writing: " + std::strerror(errno));
  f << text;
  if (!f.flush()) throw InputError(path + ": write failed: " + std::strerror(errno));
}

std::string to_csv(const std::vector<std::string>& header,
                   const std::vector<std::vector<std::string>>& rows) {
  auto field = [](const std::string& s) {
    if (s.find_first_of(",\"\n\r") == std::string::npos) return s;
    std::string q = "\"";
    for (char c : s) {
      if (c == '"') q += '"';
      q += c;
    }
    return q + "\"";
  };
  auto line = [&](const std::vector<std::string>& cells) {
    std::string out;
    for (std::size_t i = 0; i < cells.size(); ++i) {
      if (i > 0) out += ',';
      out += field(cells[i]);
    }
    return out + "\n";
  };
  std::string out = line(header);
  for (const auto& r : rows) out += line(r);
  return out;
}

namespace {

void flatten_into(const nlohmann::json& j, const std::string& prefix,
                  std::vector<std::pair<std::string, std::string>>& out) {
  if (j.is_object()) {
    for (const auto& [k, v] : j.items())
      flatten_into(v, prefix.empty() ? k : prefix + "." + k, out);
    return;
  }
  if (j.is_array()) {
    std::string joined;
    for (const auto& v : j) {
      if (v.is_structured()) return;
      joined += (joined.empty() ? "" : " ") + (v.is_string() ? v.get<std::string>() : v.dump());
    }
    out.emplace_back(prefix, joined);
    return;
  }
  out.emplace_back(prefix, j.is_string() ? j.get<std::string>() : j.dump());
}

}  // namespace

std::vector<std::pair<std::string, std::string>> flatten_json(const nlohmann::json& j) {
  std::vector<std::pair<std::string, std::string>> out;
  flatten_into(j, "", out);
  return out;
}

std::string json_rows_to_csv(const std::vector<nlohmann::json>& items) {
  std::vector<std::vector<std::pair<std::string, std::string>>> flat;
  std::size_t widest = 0;
  for (const auto& item : items) {
    flat.push_back(flatten_json(item));
    if (flat.back().size() > flat[widest].size()) widest = flat.size() - 1;
  }
  std::vector<std::string> header;
  std::map<std::string, std::size_t> column;
  auto add = [&](const std::string& k) {
    if (column.emplace(k, header.size()).second) header.push_back(k);
  };
  if (!flat.empty()) {
    for (const auto& kv : flat[widest]) add(kv.first);
  }
  for (const auto& row : flat) {
    for (const auto& kv : row) add(kv.first);
  }
  std::vector<std::vector<std::string>> rows;
  for (const auto& row : flat) {
    std::vector<std::string> cells(header.size());
    for (const auto& [k, v] : row) cells[column.at(k)] = v;
    rows.push_back(std::move(cells));
  }
  return to_csv(header, rows);
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

void write_figures(const std::string& dir, const std::vector<plot::Figure>& figures) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) throw InputError(fmt::format("{}: cannot create the folder ({})", dir, ec.message()));
  for (const auto& f : figures) {
    const std::string svg = plot::figure_svg(f);
    write_output((std::filesystem::path(dir) / (f.name + ".svg")).string(), svg);
    write_output((std::filesystem::path(dir) / (f.name + ".png")).string(), plot::svg_to_png(svg));
  }
}

}  // namespace codecbench::cli
