// Shared decoded references. The first job to ask for an input decodes it and appends each frame
// to the cache as it goes; jobs that ask meanwhile replay the frames as they arrive (they wait
// on a condition variable, not for the whole decode), so sharing never serialises a batch.
// When the decoded frames outgrow the budget the entry is abandoned: its frames are freed and
// every reader continues from its position with a decode of its own.
#include "codecbench/media/reference_cache.hpp"

#include <fmt/core.h>

#include <condition_variable>
#include <vector>

namespace codecbench {

struct ReferenceCache::Entry {
  std::mutex mutex;
  std::condition_variable cv;
  bool started = false;    // a job is filling it
  bool complete = false;   // every frame is here
  bool abandoned = false;  // over budget: readers decode on their own
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

av::FramePtr clone(const AVFrame& f) {
  av::FramePtr c(av_frame_clone(&f));
  if (!c) throw FFmpegError(AVERROR(ENOMEM), "sharing a cached frame");
  return c;
}

}  // namespace

// The filling job's source: decodes, keeps a reference of each frame in the entry.
class ReferenceCache::FillSource final : public FrameSource {
 public:
  FillSource(ReferenceCache& cache, std::shared_ptr<Entry> entry, std::unique_ptr<FrameSource> src)
      : cache_(cache), entry_(std::move(entry)), src_(std::move(src)) {}
  ~FillSource() override {
    // A job that stops early (an error) must not leave readers waiting forever.
    std::lock_guard lock(entry_->mutex);
    if (!entry_->complete && !entry_->abandoned) cache_.abandon(*entry_);
    entry_->cv.notify_all();
  }

  av::FramePtr next() override {
    av::FramePtr f = src_->next();
    std::lock_guard lock(entry_->mutex);
    if (!f) {
      if (!entry_->abandoned) entry_->complete = true;
    } else if (!entry_->abandoned) {
      const std::uint64_t b = frame_bytes(*f);
      if (cache_.reserve(b)) {
        entry_->bytes += b;
        entry_->frames.push_back(clone(*f));
      } else {
        cache_.abandon(*entry_);
      }
    }
    entry_->cv.notify_all();
    return f;
  }
  [[nodiscard]] const StreamInfo& info() const override { return src_->info(); }

 private:
  ReferenceCache& cache_;
  std::shared_ptr<Entry> entry_;
  std::unique_ptr<FrameSource> src_;
};

// A later job's source: replays cached frames, waiting for those not decoded yet; if the entry
// is abandoned, continues with its own decode from where it was.
class ReferenceCache::ReplaySource final : public FrameSource {
 public:
  ReplaySource(std::shared_ptr<Entry> entry, SourceSpec spec)
      : entry_(std::move(entry)), spec_(std::move(spec)) {}

  av::FramePtr next() override {
    if (own_) return own_->next();
    std::unique_lock lock(entry_->mutex);
    entry_->cv.wait(lock, [&] {
      return pos_ < entry_->frames.size() || entry_->complete || entry_->abandoned;
    });
    if (!entry_->abandoned && pos_ < entry_->frames.size()) return clone(*entry_->frames[pos_++]);
    if (entry_->complete) return nullptr;
    lock.unlock();
    own_ = open_source(spec_);  // the cache gave up: decode again, skipping what was replayed
    for (std::size_t i = 0; i < pos_; ++i) {
      if (!own_->next()) return nullptr;
    }
    return own_->next();
  }
  [[nodiscard]] const StreamInfo& info() const override { return entry_->info; }

 private:
  std::shared_ptr<Entry> entry_;
  SourceSpec spec_;
  std::size_t pos_ = 0;
  std::unique_ptr<FrameSource> own_;
};

ReferenceCache::ReferenceCache(std::uint64_t budget_bytes) : budget_(budget_bytes) {}
ReferenceCache::~ReferenceCache() = default;

bool ReferenceCache::reserve(std::uint64_t bytes) {
  std::lock_guard lock(mutex_);
  if (stats_.bytes + bytes > budget_) return false;
  stats_.bytes += bytes;
  return true;
}

void ReferenceCache::abandon(Entry& e) {  // e.mutex held by the caller
  e.abandoned = true;
  std::lock_guard lock(mutex_);
  stats_.bytes -= e.bytes;
  ++stats_.abandoned;
  e.frames.clear();
  e.bytes = 0;
}

std::unique_ptr<FrameSource> ReferenceCache::open(const SourceSpec& spec) {
  std::shared_ptr<Entry> entry;
  {
    std::lock_guard lock(mutex_);
    auto& slot = entries_[key_of(spec)];
    if (!slot) slot = std::make_shared<Entry>();
    entry = slot;
  }
  std::unique_lock lock(entry->mutex);
  if (entry->abandoned) {
    lock.unlock();
    std::lock_guard s(mutex_);
    ++stats_.streamed;
    return open_source(spec);
  }
  if (!entry->started) {
    entry->started = true;
    lock.unlock();
    std::unique_ptr<FrameSource> src;
    try {
      src = open_source(spec);
    } catch (const std::exception&) {
      std::lock_guard relock(entry->mutex);
      entry->abandoned = true;
      entry->cv.notify_all();
      throw;
    }
    {
      std::lock_guard relock(entry->mutex);
      entry->info = src->info();
      entry->cv.notify_all();
    }
    std::lock_guard s(mutex_);
    ++stats_.decodes;
    return std::make_unique<FillSource>(*this, entry, std::move(src));
  }
  // Another job is filling (or filled) it: wait until its stream info is known.
  entry->cv.wait(lock, [&] {
    return entry->info.width > 0 || entry->info.sample_rate > 0 || entry->abandoned;
  });
  if (entry->abandoned) {
    lock.unlock();
    std::lock_guard s(mutex_);
    ++stats_.streamed;
    return open_source(spec);  // also reports the same input error, for this job
  }
  lock.unlock();
  std::lock_guard s(mutex_);
  ++stats_.hits;
  return std::make_unique<ReplaySource>(entry, spec);
}

ReferenceCacheStats ReferenceCache::stats() const {
  std::lock_guard lock(mutex_);
  return stats_;
}

}  // namespace codecbench
