#pragma once
/// @file limits.hpp
/// The bounds every input of codecbench is held to, so that any preset, option or file ends in
/// bounded time and memory. Each is far above what a real preset or run comes near (the
/// shipped presets use under 1% of each) and is documented in docs/reliability.md. Crossing one
/// is an InputError (or UsageError for a command-line option) that names the limit.

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <optional>
#include <string>

namespace codecbench::limits {

/// Largest preset file read (bytes). A big preset is a few kilobytes.
inline constexpr std::size_t kPresetBytes = std::size_t{16} << 20;
/// Most nodes in one preset tree after YAML aliases are expanded ("billion laughs").
inline constexpr std::size_t kPresetNodes = 1'000'000;
/// Most bytes of scalar text in one preset tree after aliases are expanded.
inline constexpr std::size_t kPresetTextBytes = std::size_t{64} << 20;
/// Deepest nesting of maps and lists in a preset.
inline constexpr std::size_t kPresetDepth = 200;
/// Longest chain of interpolations resolved through one another (`a: ${b}`, `b: ${c}`, ...),
/// and deepest nesting of `${` inside `${`.
inline constexpr std::size_t kInterpolationDepth = 64;
/// Longest string an interpolation may produce (bytes).
inline constexpr std::size_t kInterpolatedStringBytes = std::size_t{1} << 20;
/// Most variants of a multirun (the product of every sweep axis).
inline constexpr std::size_t kSweepVariants = 10'000;
/// Most values on one sweep axis (`range()` included).
inline constexpr std::size_t kSweepAxisValues = 10'000;
/// Deepest nesting of arrays and objects in a JSON document read from outside (run documents,
/// JSON Lines streams, store columns). A run document nests about 8 deep.
inline constexpr std::size_t kJsonDepth = 256;
/// Most jobs in one run, repeats excluded.
inline constexpr std::size_t kJobsPerRun = 100'000;
/// Most encoder or metric threads a job, a sweep level or a probe may ask for.
inline constexpr int kThreads = 1024;
/// Most encoders probed at once (`codecs --probe --probe-jobs`).
inline constexpr int kProbeJobs = 256;
/// Largest text file read as data (`bdrate --points`, run documents, costs files), bytes.
inline constexpr std::size_t kDataFileBytes = std::size_t{256} << 20;
/// Most bytes of encoded packets `codecbench decode` holds in memory to time decoding alone
/// (beyond it: --frames, or --include-read to decode as the file is read).
inline constexpr std::size_t kDecodeBufferBytes = std::size_t{1} << 30;
/// Largest decoded frame, width x height in pixels (64 Mi: 8192x8192; 8K UHD is 33 Mi), unless
/// an input raises it (`--max-pixels`, an input's `max_pixels:`). Checked from the stream's
/// header before a frame is decoded, and again on every frame: eight 16000x16000 PNG frames
/// in a 6 MB file would otherwise need gigabytes.
inline constexpr std::int64_t kFramePixels = std::int64_t{8192} * 8192;
/// Memory that decoded frames in flight may take at once (frame bytes x frames the pipeline,
/// the codec threads and the encoder's delay hold), checked before decoding.
inline constexpr std::int64_t kFramesInFlightBytes = std::int64_t{8} << 30;
/// Largest value one field of a results store holds (a job's result or record JSON), bytes:
/// SQLite's SQLITE_LIMIT_LENGTH on every store connection.
inline constexpr std::size_t kStoreValueBytes = std::size_t{256} << 20;
/// Files of one image sequence (`png/%03d.png`): a day of 60 fps frames.
inline constexpr std::int64_t kMaxSequenceFiles = 5'184'000;
/// Longest `--grep` pattern (characters).
inline constexpr std::size_t kPatternChars = 1000;
/// Most files `codecbench presets` looks at in one folder of the search path.
inline constexpr std::size_t kPresetListFiles = 1000;
/// Bytes of a preset read to find its description when listing.
inline constexpr std::size_t kPresetListHeadBytes = 64 * 1024;

/// The number the whole of `text` spells (strtod's grammar), when it is finite; nullopt for "",
/// "1x", "nan", "inf" and values beyond double (1e999). Every numeric input from a user (an
/// option, a range() argument, a CSV cell) goes through this one check.
inline std::optional<double> parse_finite(const std::string& text) {
  if (text.empty()) return std::nullopt;
  char* end = nullptr;
  const double x = std::strtod(text.c_str(), &end);
  if (end != text.c_str() + text.size() || !std::isfinite(x)) return std::nullopt;
  return x;
}

}  // namespace codecbench::limits
