#pragma once
/// @file log.hpp
/// Routing of FFmpeg's av_log messages. The core never prints: FFmpeg's messages go to a
/// handler the application installs (or nowhere), and can be captured per thread, e.g. to quote
/// the reason an encoder refused to open.

#include <cstddef>
#include <functional>
#include <string>
#include <vector>

namespace codecbench {

/// One FFmpeg log message.
struct LogMessage {
  int level = 0;        ///< AV_LOG_* level (AV_LOG_ERROR = 16, AV_LOG_WARNING = 24, ...)
  std::string context;  ///< name of the emitting component (e.g. "libx264"), may be empty
  std::string text;     ///< message text without the trailing newline
};

/// Receives FFmpeg messages not captured by a LogCapture. Called from any thread.
using LogHandler = std::function<void(const LogMessage&)>;

/// Installs codecbench's av_log callback. Messages at or below `max_level` (more severe)
/// that no LogCapture on the emitting thread takes go to `handler`; a null handler drops them.
/// Default before any call: FFmpeg's own callback (prints to stderr).
void route_ffmpeg_log(int max_level, LogHandler handler);

/// The most verbose level route_ffmpeg_log() shows (AV_LOG_QUIET, -8, when nothing is routed).
int routed_log_level();

/// Captures FFmpeg messages emitted by the current thread while alive (RAII, nestable:
/// the innermost capture receives them). Installs the routing callback if needed.
class LogCapture {
 public:
  /// @param max_level most verbose level kept (default AV_LOG_WARNING = 24)
  explicit LogCapture(int max_level = 24);
  LogCapture(const LogCapture&) = delete;
  LogCapture& operator=(const LogCapture&) = delete;
  ~LogCapture();

  /// Messages captured so far, oldest first.
  [[nodiscard]] const std::vector<LogMessage>& messages() const noexcept { return messages_; }
  /// The error-level messages joined with "; " (empty when none).
  [[nodiscard]] std::string errors() const;
  /// Appends a message (used by the router).
  void add(LogMessage message);
  [[nodiscard]] int max_level() const noexcept { return max_level_; }

 private:
  int max_level_;
  LogCapture* previous_;
  std::vector<LogMessage> messages_;
};

/// Counts error-level FFmpeg messages of one component (an AVClass item name such as the
/// decoder's name, "h264") from every thread while alive: a frame-threaded decoder reports the
/// damage it conceals from its worker threads, where a LogCapture does not see it. Two watches
/// of the same component at once both count each message.
class LogErrorWatch {
 public:
  explicit LogErrorWatch(std::string component);
  LogErrorWatch(const LogErrorWatch&) = delete;
  LogErrorWatch& operator=(const LogErrorWatch&) = delete;
  ~LogErrorWatch();

  /// Error messages seen so far.
  [[nodiscard]] std::size_t count() const;
  /// The first one's text ("" when none).
  [[nodiscard]] std::string first() const;
  [[nodiscard]] const std::string& component() const noexcept { return component_; }
  /// Adds a message (used by the router, which holds its lock).
  void record(std::string text);

 private:
  std::string component_;
  std::size_t count_ = 0;
  std::string first_;
};

}  // namespace codecbench
