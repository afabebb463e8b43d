#include "codecbench/error.hpp"

#include "codecbench/av.hpp"

namespace codecbench {

FFmpegError::FFmpegError(int averror, const std::string& message)
    : Error(message + ": " + av::error_string(averror), ExitCode::kCodec), averror_(averror) {}

}  // namespace codecbench
