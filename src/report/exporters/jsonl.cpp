// The JSON Lines exporter: one record per line.
#include <fmt/core.h>

#include "codecbench/report/export.hpp"
#include "codecbench/store/run_record.hpp"

namespace codecbench {
namespace {

std::string render_jsonl(const View& v, const TextStyle& /*style*/) {
  std::string out;
  for (const auto& r : v.records) out += dump_json(r) + "\n";
  return out;
}

}  // namespace

namespace detail {
Exporter jsonl_exporter() {
  return {"jsonl", "--jsonl",
          "Write results as JSON Lines (one object per row) to FILE, or to stdout", render_jsonl};
}
}  // namespace detail

}  // namespace codecbench
