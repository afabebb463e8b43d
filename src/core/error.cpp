#include "codecbench/core/error.hpp"

#include <fmt/core.h>

#include "codecbench/core/av.hpp"

namespace codecbench {

FFmpegError::FFmpegError(int averror, const std::string& message)
    : Error(message + ": " + av::error_string(averror) +
                (averror == AVERROR(ENOMEM) ? " (out of memory)" : ""),
            averror == AVERROR(ENOMEM) ? ExitCode::kResources : ExitCode::kCodec),
      averror_(averror) {}

std::vector<std::pair<int, std::string>> exit_code_meanings() {
  return {
      {static_cast<int>(ExitCode::kOk), "success"},
      {static_cast<int>(ExitCode::kFailure), "unexpected internal failure"},
      {static_cast<int>(ExitCode::kUsage),
       "usage error: unknown option or subcommand, bad option value, unknown codec name"},
      {static_cast<int>(ExitCode::kInput),
       "input error: a file, preset or source cannot be read or used; an output file cannot be "
       "written"},
      {static_cast<int>(ExitCode::kCodec),
       "FFmpeg refused an operation (the message carries FFmpeg's own error text)"},
      {static_cast<int>(ExitCode::kJobsFailed), "a batch finished but some of its jobs failed"},
      {static_cast<int>(ExitCode::kRegression),
       "compare found a regression (slower with significance, larger, or lower quality)"},
      {static_cast<int>(ExitCode::kNotExact),
       "decode --check-exact found configurations that decoded different frames"},
      {static_cast<int>(ExitCode::kNotMet),
       "search found no value in the range that meets the target; the probes were kept"},
      {static_cast<int>(ExitCode::kResources),
       "out of memory: the command stopped; finished results were kept"},
      {static_cast<int>(ExitCode::kInterrupted),
       "interrupted by SIGINT or SIGTERM; finished results were kept"},
  };
}

namespace {

// `at` moved back to the start of the UTF-8 character it falls in.
std::size_t char_start(const std::string& s, std::size_t at) {
  while (at > 0 && at < s.size() && (static_cast<unsigned char>(s[at]) & 0xc0) == 0x80) --at;
  return at;
}

}  // namespace

std::string one_line(const std::string& message, std::size_t max_bytes) {
  std::string out;
  out.reserve(message.size());
  for (const char c : message) {
    const auto u = static_cast<unsigned char>(c);
    if (c == '\n' || c == '\r') {
      while (!out.empty() && (out.back() == ' ' || out.back() == ';')) out.pop_back();
      if (!out.empty()) out += "; ";
    } else if (c == '\t') {
      out += ' ';
    } else if (u >= 0x20 && u != 0x7f) {
      out += c;
    }
  }
  while (!out.empty() && (out.back() == ' ' || out.back() == ';')) out.pop_back();
  if (out.size() > max_bytes) {
    const std::size_t keep_tail = max_bytes / 4;
    const std::size_t head = char_start(out, max_bytes - keep_tail - 48);
    const std::size_t tail = char_start(out, out.size() - keep_tail);
    out = out.substr(0, head) + fmt::format(" ... ({} bytes left out) ... ", tail - head) +
          out.substr(tail);
  }
  return out;
}

}  // namespace codecbench
