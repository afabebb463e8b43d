#include "codecbench/error.hpp"

#include "codecbench/av.hpp"

namespace codecbench {

FFmpegError::FFmpegError(int averror, const std::string& message)
    : Error(message + ": " + av::error_string(averror), ExitCode::kCodec), averror_(averror) {}

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
