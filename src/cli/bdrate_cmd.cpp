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
  std::string run;
  std::string store = "results/codecbench.sqlite";
  std::string points;
  std::string anchor;
  std::string test;
  std::string metric;
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
    return bdrate_from_store(s.run, s.store, s.anchor, s.test,
                             s.metric.empty() ? "psnr-y" : s.metric, *interp, s.out);
  }
  if (!s.run.empty()) throw UsageError("give either RUN or --points, not both");
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
  const std::string metric = s.metric.empty() ? "quality" : s.metric;
  nlohmann::json j = {{"anchor", s.anchor},        {"test", s.test},   {"metric", metric},
                      {"interpolation", s.interp}, {"valid", r.valid}, {"reason", r.reason}};
  j["bd_rate_pct"] = r.valid ? nlohmann::json(r.rate_pct) : nlohmann::json(nullptr);
  j["bd_quality"] = r.quality_valid ? nlohmann::json(r.quality) : nlohmann::json(nullptr);
  j["quality_reason"] = r.quality_reason;
  if (s.out.json()) write_output(s.out.json_path, j.dump(2) + "\n");
  if (s.out.csv()) {
    write_output(
        s.out.csv_path,
        to_csv(
            {"anchor", "test", "metric", "interpolation", "bd_rate_pct", "bd_quality", "reason",
             "quality_reason"},
            {{s.anchor, s.test, metric, s.interp, r.valid ? fmt::format("{}", r.rate_pct) : "",
              r.quality_valid ? fmt::format("{}", r.quality) : "", r.reason, r.quality_reason}}));
  }
  if (s.out.text_on_stdout()) {
    write_output(
        "", fmt::format(
                "{} vs {} ({}, {}): BD-rate {}, BD-{} {}\n", s.test, s.anchor, metric, s.interp,
                r.valid ? fmt::format("{:+.2f} %", r.rate_pct) : "n/a (" + r.reason + ")", metric,
                r.quality_valid ? fmt::format("{:+.4f}", r.quality)
                                : "n/a (" + r.quality_reason + ")"));
  }
  return 0;
}

}  // namespace

void register_bdrate(CLI::App& app, CommandRunner& runner) {
  auto s = std::make_shared<BdSettings>();
  auto* cmd =
      app.add_subcommand("bdrate", "Bjontegaard BD-rate and BD-quality between two RD curves");
  cmd->add_option("RUN", s->run,
                  "Run id in the store, or a `run --json` file (default: the latest run)");
  cmd->add_option("--store", s->store, "Results store")->capture_default_str();
  cmd->add_option("--points", s->points, "CSV with columns curve,bitrate,quality instead of a run");
  cmd->add_option("--anchor", s->anchor, "Anchor curve name")->required();
  cmd->add_option("--test", s->test, "Test curve name")->required();
  cmd->add_option("--metric", s->metric,
                  "Runs: psnr-y (default), psnr, psnr-u, psnr-v, ssim, ssim-y, ms-ssim, snr, "
                  "si-sdr, segsnr; "
                  "--points: a label")
      ->capture_default_str();
  cmd->add_option("--interp", s->interp, "pchip (default, JCT-VC CTC), cubic (VCEG-M33) or akima")
      ->capture_default_str();
  add_output_options(cmd, s->out);
  cmd->callback([s, &runner] { runner = [s] { return run(*s); }; });
}

}  // namespace codecbench::cli
