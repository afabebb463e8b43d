// The JSON exporter: the view's document, indented.
#include <fmt/core.h>

#include "codecbench/report/export.hpp"
#include "codecbench/store/run_record.hpp"

namespace codecbench {
namespace {

std::string render_json(const View& v, const TextStyle& /*style*/) {
  return dump_json(v.document, 2) + "\n";
}

}  // namespace

namespace detail {
Exporter json_exporter() {
  return {"json", "--json", "Write results as JSON to FILE, or to stdout without FILE",
          render_json};
}
}  // namespace detail

}  // namespace codecbench
