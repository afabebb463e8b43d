#include "codecbench/core/error.hpp"

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

std::string one_line(const std::string& message) {
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
  return out;
}

}  // namespace codecbench
