#include "codecbench/reference_cache.hpp"

#include <fmt/core.h>

#include <vector>

namespace codecbench {

struct ReferenceCache::Entry {
  std::mutex fill;  // held while the first job decodes
  bool filled = false;
  bool too_big = false;  // over budget: everyone streams
  StreamInfo info;
  std::vector<av::FramePtr> frames;
  std::uint64_t bytes = 0;
};

namespace {

std::string key_of(const SourceSpec& s) {
  return fmt::format("{}|{}|{}|{}|{}|{}|{}", s.uri, static_cast<int>(s.type), s.stream_index,
                     s.start_s, s.max_frames, s.duration_s, s.allow_damaged);
}

std::uint64_t frame_bytes(const AVFrame& f) {
  std::uint64_t n = 0;
  for (int i = 0; i < AV_NUM_DATA_POINTERS && f.buf[i] != nullptr; ++i) n += f.buf[i]->size;
  for (int i = 0; i < f.nb_extended_buf; ++i) n += f.extended_buf[i]->size;
  return n;
}

// Replays cached frames: each next() hands out a new reference to the shared buffers.
class ReplaySource final : public FrameSource {
 public:
  ReplaySource(std::shared_ptr<const void> keep, const StreamInfo& info,
               const std::vector<av::FramePtr>& frames)
      : keep_(std::move(keep)), info_(info), frames_(frames) {}

  av::FramePtr next() override {
    if (pos_ >= frames_.size()) return nullptr;
    av::FramePtr f(av_frame_clone(frames_[pos_++].get()));
    if (!f) throw FFmpegError(AVERROR(ENOMEM), "replaying a cached frame");
    return f;
  }
  [[nodiscard]] const StreamInfo& info() const override { return info_; }

 private:
  std::shared_ptr<const void> keep_;
  const StreamInfo& info_;
  const std::vector<av::FramePtr>& frames_;
  std::size_t pos_ = 0;
};

}  // namespace

ReferenceCache::ReferenceCache(std::uint64_t budget_bytes) : budget_(budget_bytes) {}
ReferenceCache::~ReferenceCache() = default;

std::unique_ptr<FrameSource> ReferenceCache::open(const SourceSpec& spec) {
  std::shared_ptr<Entry> entry;
  {
    std::lock_guard lock(mutex_);
    auto& slot = entries_[key_of(spec)];
    if (!slot) slot = std::make_shared<Entry>();
    entry = slot;
  }
  std::lock_guard fill(entry->fill);  // concurrent jobs wait for the first decode
  if (!entry->filled && !entry->too_big) {
    std::unique_ptr<FrameSource> source = open_source(spec);
    entry->info = source->info();
    std::uint64_t bytes = 0;
    bool fits = true;
    while (av::FramePtr f = source->next()) {
      bytes += frame_bytes(*f);
      {
        std::lock_guard lock(mutex_);
        if (stats_.bytes + bytes > budget_) fits = false;
      }
      if (!fits) break;
      entry->frames.push_back(std::move(f));
    }
    std::lock_guard lock(mutex_);
    if (fits) {
      entry->filled = true;
      entry->bytes = bytes;
      stats_.bytes += bytes;
      ++stats_.decodes;
    } else {
      entry->too_big = true;
      entry->frames.clear();
    }
  }
  if (entry->too_big) {
    {
      std::lock_guard lock(mutex_);
      ++stats_.streamed;
    }
    return open_source(spec);
  }
  {
    std::lock_guard lock(mutex_);
    ++stats_.hits;
  }
  return std::make_unique<ReplaySource>(entry, entry->info, entry->frames);
}

ReferenceCacheStats ReferenceCache::stats() const {
  std::lock_guard lock(mutex_);
  return stats_;
}

}  // namespace codecbench
