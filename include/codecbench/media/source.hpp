#pragma once
/// @file source.hpp
/// Frame sources: where reference frames come from. A source is named by a URI: a file path
/// (anything libavformat opens) or `lavfi:GRAPH` (a libavfilter source graph spelled as ffmpeg's
/// lavfi input, e.g. `lavfi:testsrc2=size=1280x720:rate=30:duration=5`). Sources are found
/// through a registry of self-describing entries, so a new kind is one entry.

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "codecbench/catalog/catalog.hpp"
#include "codecbench/core/av.hpp"
#include "codecbench/core/limits.hpp"

namespace codecbench {

/// Which part of an input to use.
struct SourceSpec {
  std::string uri;                     ///< file path or `lavfi:GRAPH`
  MediaType type = MediaType::kVideo;  ///< stream type to take (default video)
  int stream_index = -1;               ///< absolute stream index in a file; -1 = first of `type`
  double start_s = 0.0;                ///< skip frames before this time (seconds from start)
  std::int64_t max_frames = -1;        ///< stop after this many frames (-1 = no limit)
  double duration_s = -1.0;            ///< stop after this much time (-1 = no limit)
  int decoder_threads = 1;             ///< threads of the source's decoder (0 = auto)
  bool allow_damaged = false;          ///< accept frames the decoder had to conceal (default:
                                       ///< a damaged or truncated input is an InputError)
  /// Largest frame accepted, width x height (limits::kFramePixels by default): a bigger frame
  /// is an InputError saying "too large", from the stream's header before decoding, or from
  /// the first bigger frame. Not part of the job's identity: it only accepts or refuses.
  std::int64_t max_pixels = limits::kFramePixels;
};

/// InputError "URI: frames of WxH are too large (N pixels; the limit is M a frame: ...)" when
/// width x height exceeds `max_pixels`.
void check_frame_pixels(const std::string& uri, int width, int height, std::int64_t max_pixels);

/// InputError "URI: WxH frames are too large for FRAMES frames in flight ..." when `frames`
/// decoded frames of that size and pixel format (AV_PIX_FMT_NONE: 4 bytes a pixel) would take
/// more than limits::kFramesInFlightBytes: what the pipeline, codec threads and the encoder's
/// delay hold at once. Fewer threads, or frames scaled down first, need less.
void check_frames_in_flight(const std::string& uri, int width, int height, AVPixelFormat pix_fmt,
                            std::int64_t frames);

/// Properties of the stream a source delivers.
struct StreamInfo {
  MediaType type = MediaType::kVideo;
  std::string codec;           ///< codec of the input stream ("rawvideo" for lavfi)
  AVRational time_base{1, 1};  ///< time base of frame pts
  // video
  int width = 0;
  int height = 0;
  AVPixelFormat pix_fmt = AV_PIX_FMT_NONE;
  AVRational frame_rate{0, 1};  ///< nominal frame rate (0/1 when unknown)
  AVRational sample_aspect_ratio{0, 1};
  /// Time of the first frame delivered, seconds from the stream's start (its first frame, or
  /// the container's start time): where a `start_s` trim landed.
  double first_frame_s = 0;
  /// The container's display matrix (AV_PKT_DATA_DISPLAYMATRIX, 9 x int32), empty when none,
  /// and its rotation in degrees as ffprobe prints it (av_display_rotation_get: counter-
  /// clockwise; 0 without a matrix). Frames are delivered as stored, not rotated.
  std::vector<std::uint8_t> display_matrix;
  double rotation = 0;
  /// Field order: the stream's, else the first frame's (interlaced_frame, top_field_first).
  AVFieldOrder field_order = AV_FIELD_UNKNOWN;
  // audio
  int sample_rate = 0;
  AVSampleFormat sample_fmt = AV_SAMPLE_FMT_NONE;
  int channels = 0;
  std::string channel_layout;  ///< e.g. "stereo"
};

/// The field order as ffprobe names it: "progressive", "tt", "bb", "tb", "bt", "unknown".
std::string field_order_name(AVFieldOrder order);

/// Delivers decoded frames in presentation order.
class FrameSource {
 public:
  virtual ~FrameSource() = default;
  /// Next frame (pts in info().time_base, rebased to start at 0), or null at the end.
  /// Throws InputError/FFmpegError naming the input on a read or decode failure.
  virtual av::FramePtr next() = 0;
  [[nodiscard]] virtual const StreamInfo& info() const = 0;
};

/// One registry entry: a kind of source.
struct SourceKind {
  std::string name;                                     ///< "lavfi", "file"
  std::string description;                              ///< one line for --help/docs
  std::function<bool(const std::string& uri)> accepts;  ///< does this kind handle the URI
  std::function<std::unique_ptr<FrameSource>(const SourceSpec&)> open;
};

/// The registered source kinds, most specific first (the file kind is last and takes anything).
const std::vector<SourceKind>& source_registry();

/// The media type a source offers when it can tell without decoding: a lavfi graph's output
/// pad, or a file with only video or only audio streams; kUnknown otherwise (both, unreadable).
MediaType source_media_type(const std::string& uri);

/// Opens a source through the registry. Throws InputError naming the URI and the cause.
std::unique_ptr<FrameSource> open_source(const SourceSpec& spec);

}  // namespace codecbench
