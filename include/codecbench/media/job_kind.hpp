#pragma once
/// @file job_kind.hpp
/// What a job does: the one enum for a job's kind, named in documents (run.schema.json's
/// `kind`) and preset-derived jobs by one pair of functions.

#include <optional>
#include <string_view>

namespace codecbench {

/// What a job does.
enum class JobKind {
  kEncode,  ///< encode, decode and measure (run_job, transcode.hpp)
  kDecode,  ///< decode an encoded stream and time the decoder (run_decode, decode.hpp)
};

/// "encode" or "decode": the kind as documents name it.
const char* job_kind_name(JobKind kind) noexcept;

/// The kind a document names; nullopt for any other text.
std::optional<JobKind> parse_job_kind(std::string_view name) noexcept;

}  // namespace codecbench
