#include "codecbench/log.hpp"

#include <array>
#include <cstdarg>
#include <cstdio>
#include <memory>
#include <mutex>
#include <string_view>

#include "codecbench/av.hpp"

namespace codecbench {
namespace {

struct Router {
  std::mutex mutex;
  int max_level = AV_LOG_WARNING;
  std::shared_ptr<LogHandler> handler;  // null: drop
  bool installed = false;
};

Router& router() {
  static Router r;
  return r;
}

thread_local LogCapture* t_capture = nullptr;

void callback(void* avcl, int level, const char* fmt, va_list args) {
  LogCapture* capture = t_capture;
  std::shared_ptr<LogHandler> handler;
  int max_level = 0;
  if (capture == nullptr) {
    Router& r = router();
    std::lock_guard lock(r.mutex);
    handler = r.handler;
    max_level = r.max_level;
    if (!handler || level > max_level) return;
  } else if (level > capture->max_level()) {
    return;
  }
  std::array<char, 1024> buf{};
  va_list copy;
  va_copy(copy, args);
  std::vsnprintf(buf.data(), buf.size(), fmt, copy);
  va_end(copy);
  std::string_view text(buf.data());
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r' || text.back() == ' ')) {
    text.remove_suffix(1);
  }
  if (text.empty()) return;
  LogMessage message;
  message.level = level;
  message.text = std::string(text);
  if (avcl != nullptr) {
    const AVClass* cls = *static_cast<AVClass**>(avcl);
    if (cls != nullptr && cls->item_name != nullptr) message.context = cls->item_name(avcl);
  }
  if (capture != nullptr) {
    capture->add(std::move(message));
  } else {
    (*handler)(message);
  }
}

void install() {
  Router& r = router();
  std::lock_guard lock(r.mutex);
  if (!r.installed) {
    av_log_set_callback(callback);
    r.installed = true;
  }
}

}  // namespace

void route_ffmpeg_log(int max_level, LogHandler handler) {
  install();
  Router& r = router();
  std::lock_guard lock(r.mutex);
  r.max_level = max_level;
  r.handler = handler ? std::make_shared<LogHandler>(std::move(handler)) : nullptr;
}

int routed_log_level() {
  Router& r = router();
  std::lock_guard lock(r.mutex);
  return r.handler ? r.max_level : AV_LOG_QUIET;
}

LogCapture::LogCapture(int max_level) : max_level_(max_level), previous_(t_capture) {
  install();
  t_capture = this;
}

LogCapture::~LogCapture() { t_capture = previous_; }

void LogCapture::add(LogMessage message) { messages_.push_back(std::move(message)); }

std::string LogCapture::errors() const {
  std::string out;
  for (const auto& m : messages_) {
    if (m.level > AV_LOG_ERROR) continue;
    if (!out.empty()) out += "; ";
    out += m.text;
  }
  return out;
}

}  // namespace codecbench
