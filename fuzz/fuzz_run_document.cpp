// Fuzz target: the run-document readers behind `compare FILE`, `report FILE` and `merge`: a
// run document (JSON), a JSON Lines stream (an input starting with 'L') or one job's JSON as
// a store row holds it in record_json/result_json (an input starting with 'J'). Whatever they
// accept must also render as the run view.
#include <cstddef>
#include <cstdint>
#include <string>

#include "codecbench/core/error.hpp"
#include "codecbench/core/json.hpp"
#include "codecbench/report/views.hpp"
#include "codecbench/store/run_record.hpp"
#include "codecbench/store/sink.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string text(reinterpret_cast<const char*>(data), size);
  try {
    codecbench::RunRecord r;
    if (!text.empty() && text.front() == 'L') {
      r = codecbench::parse_json_lines(text.substr(1), "fuzz.jsonl");
    } else if (!text.empty() && text.front() == 'J') {
      r.jobs.push_back(codecbench::job_from_json(
          codecbench::parse_json(std::string_view(text).substr(1), "store row")));
    } else {
      r = codecbench::parse_run_document(text, "fuzz.json");
    }
    (void)codecbench::run_view(r);
    (void)codecbench::dump_json(nlohmann::json(r));
  } catch (const codecbench::Error&) {
  }
  return 0;
}
