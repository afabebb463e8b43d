// The CSV exporter: the records, flattened to dotted columns (json_rows_to_csv).
#include <fmt/core.h>

#include "codecbench/report/export.hpp"
#include "codecbench/store/run_record.hpp"

namespace codecbench {
namespace {

std::string render_csv(const View& v, const TextStyle& /*style*/) {
  return json_rows_to_csv(v.records, v.columns);
}

}  // namespace

namespace detail {
Exporter csv_exporter() {
  return {"csv", "--csv", "Write results as CSV to FILE, or to stdout without FILE", render_csv};
}
}  // namespace detail

}  // namespace codecbench
