#include "codecbench/core/log.hpp"

#include <algorithm>
#include <array>
#include <atomic>
#include <cstdarg>
#include <cstdio>
#include <memory>
#include <mutex>
#include <string_view>
#include <vector>

#include "codecbench/core/av.hpp"

namespace codecbench {
namespace {

struct Router {
  std::mutex mutex;
  int max_level = AV_LOG_WARNING;
  std::shared_ptr<LogHandler> handler;  // null: drop
  bool installed = false;
  std::vector<LogErrorWatch*> watches;  // guarded by mutex
  std::atomic<int> watch_count{0};
};

Router& router() {
  static Router r;
  return r;
}

thread_local LogCapture* t_capture = nullptr;

std::string context_name(void* avcl) {
  if (avcl == nullptr) return {};
  const AVClass* cls = *static_cast<AVClass**>(avcl);
  if (cls == nullptr || cls->item_name == nullptr) return {};
  return cls->item_name(avcl);
}

std::string format_text(const char* fmt, va_list args) {
  std::array<char, 1024> buf{};
  va_list copy;
  va_copy(copy, args);
  std::vsnprintf(buf.data(), buf.size(), fmt, copy);
  va_end(copy);
  std::string_view text(buf.data());
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r' || text.back() == ' ')) {
    text.remove_suffix(1);
  }
  return std::string(text);
}

// Error messages of watched components, from any thread.
void notify_watches(void* avcl, int level, const char* fmt, va_list args) {
  Router& r = router();
  if (level > AV_LOG_ERROR || r.watch_count.load(std::memory_order_relaxed) == 0) return;
  const std::string name = context_name(avcl);
  if (name.empty()) return;
  std::lock_guard lock(r.mutex);
  for (LogErrorWatch* w : r.watches) {
    if (w->component() == name) w->record(format_text(fmt, args));
  }
}

void callback(void* avcl, int level, const char* fmt, va_list args) {
  notify_watches(avcl, level, fmt, args);
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
  std::string text = format_text(fmt, args);
  if (text.empty()) return;
  LogMessage message;
  message.level = level;
  message.text = std::move(text);
  message.context = context_name(avcl);
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

LogErrorWatch::LogErrorWatch(std::string component) : component_(std::move(component)) {
  install();
  Router& r = router();
  std::lock_guard lock(r.mutex);
  r.watches.push_back(this);
  r.watch_count.fetch_add(1);
}

LogErrorWatch::~LogErrorWatch() {
  Router& r = router();
  std::lock_guard lock(r.mutex);
  r.watches.erase(std::remove(r.watches.begin(), r.watches.end(), this), r.watches.end());
  r.watch_count.fetch_sub(1);
}

void LogErrorWatch::record(std::string text) {
  // Called with the router's mutex held.
  if (count_++ == 0) first_ = std::move(text);
}

std::size_t LogErrorWatch::count() const {
  std::lock_guard lock(router().mutex);
  return count_;
}

std::string LogErrorWatch::first() const {
  std::lock_guard lock(router().mutex);
  return first_;
}

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
