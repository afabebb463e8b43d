// `codecbench bdrate --points FILE.csv --anchor A --test B`: BD-rate and BD-quality between two
// rate-quality curves given as CSV rows curve,bitrate,quality (figures from anywhere).
#include <fmt/core.h>

#include <fstream>
#include <map>
#include <memory>
#include <sstream>

#include "codecbench/bdrate.hpp"
#include "codecbench/error.hpp"
#include "commands.hpp"
#include "output.hpp"

namespace codecbench::cli {
namespace {

struct BdSettings {
  std::string points;
  std::string anchor;
  std::string test;
  std::string metric = "quality";
  std::string interp = "pchip";
  OutputOptions out;
};

std::vector<std::string> split_csv_line(const std::string& line) {
  std::vector<std::string> out;
  std::string cur;
  bool quoted = false;
  for (std::size_t i = 0; i < line.size(); ++i) {
    const char c = line[i];
    if (quoted) {
      if (c == '"' && i + 1 < line.size() && line[i + 1] == '"') {
        cur += '"';
        ++i;
      } else if (c == '"') {
        quoted = false;
      } else {
        cur += c;
      }
    } else if (c == '"') {
      quoted = true;
    } else if (c == ',') {
      out.push_back(cur);
      cur.clear();
    } else if (c != '\r') {
      cur += c;
    }
  }
  out.push_back(cur);
  return out;
}

std::map<std::string, RdCurve> read_points(const std::string& path) {
  std::ifstream f(path);
  if (!f) throw InputError(fmt::format("{}: cannot read", path));
  std::string line;
  if (!std::getline(f, line)) throw InputError(fmt::format("{}: empty file", path));
  const auto header = split_csv_line(line);
  auto col = [&](const char* name) {
    for (std::size_t i = 0; i < header.size(); ++i) {
      if (header[i] == name) return i;
    }
    throw InputError(fmt::format("{}: no '{}' column (need curve,bitrate,quality)", path, name));
  };
  const std::size_t c_curve = col("curve"), c_rate = col("bitrate"), c_quality = col("quality");
  std::map<std::string, RdCurve> curves;
  int line_no = 1;
  while (std::getline(f, line)) {
    ++line_no;
    if (line.empty()) continue;
    const auto cells = split_csv_line(line);
    try {
      const std::string& name = cells.at(c_curve);
      curves[name].rate.push_back(std::stod(cells.at(c_rate)));
      curves[name].quality.push_back(std::stod(cells.at(c_quality)));
    } catch (const std::exception&) {
      throw InputError(
          fmt::format("{}:{}: expected curve,bitrate,quality with numbers", path, line_no));
    }
  }
  return curves;
}

int run(const BdSettings& s) {
  const auto interp = parse_bd_interpolation(s.interp);
  if (!interp) throw UsageError(fmt::format("--interp '{}': pchip, cubic or akima", s.interp));
  if (s.points.empty()) {
    throw UsageError("give --points FILE.csv (results from the store come with the report issue)");
  }
  const auto curves = read_points(s.points);
  auto find = [&](const std::string& name) -> const RdCurve& {
    auto it = curves.find(name);
    if (it == curves.end()) {
      std::string known;
      for (const auto& [k, v] : curves) known += (known.empty() ? "" : ", ") + k;
      throw UsageError(fmt::format("{}: no curve '{}' (curves: {})", s.points, name, known));
    }
    return it->second;
  };
  const BdResult r = bd_metrics(find(s.anchor), find(s.test), *interp);
  nlohmann::json j = {{"anchor", s.anchor},        {"test", s.test},   {"metric", s.metric},
                      {"interpolation", s.interp}, {"valid", r.valid}, {"reason", r.reason}};
  j["bd_rate_pct"] = r.valid ? nlohmann::json(r.rate_pct) : nlohmann::json(nullptr);
  j["bd_quality"] = r.valid ? nlohmann::json(r.quality) : nlohmann::json(nullptr);
  if (s.out.json()) write_output(s.out.json_path, j.dump(2) + "\n");
  if (s.out.csv()) {
    write_output(
        s.out.csv_path,
        to_csv({"anchor", "test", "metric", "interpolation", "bd_rate_pct", "bd_quality", "reason"},
               {{s.anchor, s.test, s.metric, s.interp, r.valid ? fmt::format("{}", r.rate_pct) : "",
                 r.valid ? fmt::format("{}", r.quality) : "", r.reason}}));
  }
  if (s.out.text_on_stdout()) {
    if (r.valid) {
      write_output("", fmt::format("{} vs {} ({}, {}): BD-rate {:+.2f} %, BD-{} {:+.4f}\n", s.test,
                                   s.anchor, s.metric, s.interp, r.rate_pct, s.metric, r.quality));
    } else {
      write_output("", fmt::format("{} vs {}: n/a ({})\n", s.test, s.anchor, r.reason));
    }
  }
  return 0;
}

}  // namespace

void register_bdrate(CLI::App& app, CommandRunner& runner) {
  auto s = std::make_shared<BdSettings>();
  auto* cmd =
      app.add_subcommand("bdrate", "Bjontegaard BD-rate and BD-quality between two RD curves");
  cmd->add_option("--points", s->points, "CSV with columns curve,bitrate,quality");
  cmd->add_option("--anchor", s->anchor, "Anchor curve name")->required();
  cmd->add_option("--test", s->test, "Test curve name")->required();
  cmd->add_option("--metric", s->metric, "Name of the quality metric, for labels")
      ->capture_default_str();
  cmd->add_option("--interp", s->interp, "pchip (default, JCT-VC CTC), cubic (VCEG-M33) or akima")
      ->capture_default_str();
  add_output_options(cmd, s->out);
  cmd->callback([s, &runner] { runner = [s] { return run(*s); }; });
}

}  // namespace codecbench::cli
