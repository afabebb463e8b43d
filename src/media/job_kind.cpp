// A job's kind by name (job_kind.hpp).
#include "codecbench/media/job_kind.hpp"

namespace codecbench {

const char* job_kind_name(JobKind kind) noexcept {
  switch (kind) {
    case JobKind::kDecode:
      return "decode";
    case JobKind::kEncode:
      break;
  }
  return "encode";
}

std::optional<JobKind> parse_job_kind(std::string_view name) noexcept {
  for (JobKind k : {JobKind::kEncode, JobKind::kDecode}) {
    if (name == job_kind_name(k)) return k;
  }
  return std::nullopt;
}

}  // namespace codecbench
