#pragma once
/// @file error.hpp
/// Exceptions thrown by the codecbench core and the process exit codes they map to.
/// The CLI catches these once in main(); docs/cli.md documents the codes.

#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace codecbench {

/// Process exit codes used by the codecbench CLI (documented in docs/cli.md).
enum class ExitCode : int {
  kOk = 0,            ///< everything succeeded
  kFailure = 1,       ///< an unexpected internal or runtime failure
  kUsage = 2,         ///< bad command line: unknown option, unknown codec name, bad value
  kInput = 3,         ///< an input (file, preset, source) is missing, unreadable or invalid
  kCodec = 4,         ///< FFmpeg refused an operation (encoder open, decode, filter graph)
  kJobsFailed = 5,    ///< a batch finished but some of its jobs failed
  kRegression = 6,    ///< `compare` found a regression (for gating CI)
  kNotExact = 7,      ///< `decode --check-exact`: configurations decoded different frames
  kNotMet = 8,        ///< `search`: no value of the range meets the target (probes kept)
  kResources = 9,     ///< out of memory (or another resource): stopped, finished results kept
  kInterrupted = 130  ///< stopped by SIGINT or SIGTERM; finished results were kept
};

/// Every exit code with its meaning, in the words of docs/cli.md (for the man page).
std::vector<std::pair<int, std::string>> exit_code_meanings();

/// Base class of every codecbench exception; carries the exit code it maps to.
class Error : public std::runtime_error {
 public:
  explicit Error(const std::string& message, ExitCode code = ExitCode::kFailure)
      : std::runtime_error(message), code_(code) {}
  /// Exit code the CLI returns when this error ends the command.
  [[nodiscard]] ExitCode code() const noexcept { return code_; }

 private:
  ExitCode code_;
};

/// A user mistake on the command line (unknown name, bad value). Exit code 2.
class UsageError : public Error {
 public:
  explicit UsageError(const std::string& message) : Error(message, ExitCode::kUsage) {}
};

/// An input that cannot be used (missing file, broken preset, no such stream). Exit code 3.
class InputError : public Error {
 public:
  explicit InputError(const std::string& message) : Error(message, ExitCode::kInput) {}
};

/// Memory (or another resource) ran out: "PATH: out of memory decoding frame 3". Exit code 9.
class ResourceError : public Error {
 public:
  explicit ResourceError(const std::string& message) : Error(message, ExitCode::kResources) {}
};

/// A negative return code from an FFmpeg call, with av_strerror's text. Exit code 4; exit 9
/// (out of resources) when the code is AVERROR(ENOMEM).
class FFmpegError : public Error {
 public:
  /// @param averror the negative AVERROR code returned by FFmpeg
  /// @param message what was being done, e.g. "opening encoder libx264"; av_strerror text is added
  FFmpegError(int averror, const std::string& message);
  /// The AVERROR code FFmpeg returned.
  [[nodiscard]] int averror() const noexcept { return averror_; }

 private:
  int averror_;
};

/// The message as one line for a terminal or a log: newlines and tabs become "; " and " ",
/// other control characters (an encoder's own escape sequences) are dropped, trailing blanks
/// and separators trimmed. A line longer than `max_bytes` (a 100 MB name echoed back) keeps
/// its start and its end (where the cause is) around "... (N bytes left out) ...", never
/// cutting a UTF-8 character.
std::string one_line(const std::string& message, std::size_t max_bytes = 4096);

}  // namespace codecbench
