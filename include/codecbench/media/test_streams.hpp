#pragma once
/// @file test_streams.hpp
/// Test streams for decode benchmarks: the shipped sample (samples/cityCC0.mpg) encoded once
/// per recipe (libx264 with slices, so slice threads have work; libx265; libvpx-vp9 and
/// libaom-av1 with tile columns; libsvtav1) and cached under cache_dir()/streams, so
/// `codecbench decode stream:libx264` and decode presets work on a fresh clone. A stream's file
/// name carries a hash of its recipe, the sample's fingerprint and the libavcodec version, so a
/// changed recipe or library makes a new stream and never reuses a stale one. Streams are encoded
/// with one thread (libx264 with frame threads is not bit-deterministic); in a preset a stream
/// input is identified by that file name, so job keys agree across nodes.

#include <functional>
#include <string>
#include <utility>
#include <vector>

namespace codecbench {

/// How one test stream is made.
struct TestStreamRecipe {
  std::string name;                                          ///< `stream:NAME`
  std::string encoder;                                       ///< libavcodec encoder
  std::vector<std::pair<std::string, std::string>> options;  ///< encoder options
  std::string purpose;                                       ///< one line: what it exercises
};

/// Every recipe, in a stable order.
const std::vector<TestStreamRecipe>& test_stream_recipes();

/// The cached file of a recipe: made (encoded and written atomically) when missing, then
/// reused. `notify` (may be empty) hears one line before an encode starts. Throws UsageError
/// for an unknown name (naming the known ones), InputError when the sample or the cache
/// folder is missing, and the encoder's errors when this FFmpeg lacks it.
std::string test_stream_path(const std::string& name,
                             const std::function<void(const std::string&)>& notify = {});

/// `stream:NAME` resolved to its cached file (made if needed); any other input unchanged.
std::string resolve_stream_input(const std::string& input,
                                 const std::function<void(const std::string&)>& notify = {});

}  // namespace codecbench
