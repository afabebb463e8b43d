#pragma once
/// @file reference_cache.hpp
/// Decoded references shared by the jobs of a batch. The first job that asks for an input
/// decodes it and leaves each frame in the cache as it goes; later jobs, also concurrent ones,
/// replay the same read-only frames as they arrive. Within a memory budget: when an input's
/// frames outgrow it, its entry is dropped and every job decodes it again as it streams (so
/// memory stays flat).

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "codecbench/media/source.hpp"

namespace codecbench {

/// Counters of what the cache did (for tests, logs and reports).
struct ReferenceCacheStats {
  std::uint64_t decodes = 0;    ///< opens that decoded an input into the cache
  std::uint64_t hits = 0;       ///< opens served from the cache
  std::uint64_t streamed = 0;   ///< opens that decoded on their own (entry over budget)
  std::uint64_t abandoned = 0;  ///< entries dropped for outgrowing the budget
  std::uint64_t bytes = 0;      ///< decoded bytes held now
};

/// Thread-safe cache of decoded inputs.
class ReferenceCache {
 public:
  /// @param budget_bytes most decoded bytes held at once (default 1 GiB)
  explicit ReferenceCache(std::uint64_t budget_bytes = std::uint64_t{1} << 30);
  ~ReferenceCache();
  ReferenceCache(const ReferenceCache&) = delete;
  ReferenceCache& operator=(const ReferenceCache&) = delete;

  /// A source for `spec`: the first caller decodes and fills the cache, later callers replay
  /// it (waiting for frames still being decoded); over budget, a fresh decoding source.
  /// Errors are those of open_source().
  std::unique_ptr<FrameSource> open(const SourceSpec& spec);

  [[nodiscard]] ReferenceCacheStats stats() const;
  [[nodiscard]] std::uint64_t budget() const noexcept { return budget_; }

 private:
  struct Entry;
  class FillSource;
  class ReplaySource;
  bool reserve(std::uint64_t bytes);
  void abandon(Entry& entry);
  std::uint64_t budget_;
  mutable std::mutex mutex_;
  std::map<std::string, std::shared_ptr<Entry>> entries_;
  ReferenceCacheStats stats_;
};

}  // namespace codecbench
