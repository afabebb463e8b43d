#pragma once
/// @file decode.hpp
/// Decode benchmarks: decode an encoded video stream with a chosen decoder implementation,
/// thread count and thread type, time it, and hash every decoded frame as FFmpeg's framemd5
/// muxer does, so that thread counts, thread types and decoders can be checked for identical
/// output. docs/cli.md (`codecbench decode`) documents the figures.

#include <cstdint>
#include <functional>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "codecbench/core/limits.hpp"

namespace codecbench {

/// What to decode and how.
struct DecodeSpec {
  std::string input;        ///< an encoded stream (a file FFmpeg can demux)
  int stream_index = -1;    ///< -1: the best video stream
  std::string decoder;      ///< decoder name; "" = the default for the codec, as ffmpeg picks it
  int threads = 1;          ///< decoder thread_count (0 = FFmpeg's auto)
  std::string thread_type;  ///< "frame", "slice", "frame+slice"; "" = FFmpeg's default (both)
  std::int64_t max_frames = 0;  ///< stop after this many frames (0 = all)
  bool md5 = true;              ///< hash every decoded frame (framemd5) and the whole output
  bool keep_frame_md5 = true;   ///< keep each frame's hash in the result (needs md5)
  /// Time reading the file too: packets are read from disk as decoding goes. Default: every
  /// packet is read into memory first and only decoding is timed.
  bool include_read = false;
  bool allow_damaged = false;  ///< count concealed frames instead of failing
  /// Largest frame decoded (width x height): a bigger stream is refused as too large before
  /// decoding (see SourceSpec::max_pixels).
  std::int64_t max_pixels = limits::kFramePixels;
  /// Reset the process's peak-RSS mark before decoding, so that peak_rss_kib is this decode's.
  /// It is the process's mark: leave it off when other jobs run in the process at once (their
  /// own peak figures would be lowered).
  bool reset_peak_rss = true;
};

/// One decoded frame as FFmpeg's framemd5 muxer lists it: the frame's bytes as the rawvideo
/// encoder packs them (av_image_copy_to_buffer, alignment 1), hashed with MD5.
struct FrameHash {
  std::int64_t pts = 0;   ///< presentation timestamp in the stream's time base
  std::int64_t size = 0;  ///< bytes hashed
  std::string md5;        ///< 32 hex digits
};

/// Everything one decode measured.
struct DecodeResult {
  std::string input;
  int stream_index = 0;
  std::string codec;    ///< the stream's codec (descriptor name)
  std::string decoder;  ///< decoder implementation used
  std::string ffmpeg_version;
  std::string pix_fmt;  ///< format of the decoded frames
  int width = 0, height = 0;
  double frame_rate = 0;  ///< frames per second of the stream (av_guess_frame_rate)
  // Work
  std::int64_t packets = 0;         ///< packets sent to the decoder
  std::uint64_t stream_bytes = 0;   ///< their bytes
  std::int64_t frames = 0;          ///< frames decoded
  std::uint64_t decoded_bytes = 0;  ///< bytes of the decoded frames (packed, as hashed)
  double duration_s = 0;            ///< frames / frame_rate
  std::int64_t damaged_frames = 0;  ///< frames flagged as concealed (with allow_damaged)
  std::int64_t decoder_errors = 0;  ///< error messages of the decoder (with allow_damaged)
  // Threads
  int threads_requested = 1;
  std::string thread_type_requested;  ///< as asked ("" = FFmpeg's default)
  int decoder_threads = 0;            ///< thread_count after avcodec_open2
  std::string decoder_thread_type;    ///< active: "frame", "slice", "none"
  // Time. decode_s covers sending every packet and receiving every frame (and hashing them
  // when md5 is on); reading the file is not in it unless timing_includes_read.
  bool timing_includes_read = false;
  double read_s = 0;           ///< reading the packets into memory (0 when included in decode_s)
  double decode_s = 0;         ///< wall seconds of the decode loop
  double hash_s = 0;           ///< part of decode_s spent hashing frames
  double fps = 0;              ///< frames / decode_s
  double realtime_factor = 0;  ///< duration_s / decode_s
  double cpu_user_s = 0, cpu_sys_s = 0;  ///< process CPU time of the decode loop (all threads)
  /// Peak resident memory of the process during the decode (KiB): the high-water mark is reset
  /// before it where the kernel allows (/proc/self/clear_refs), else the process's lifetime peak.
  long peak_rss_kib = 0;
  bool peak_rss_reset = false;  ///< whether the high-water mark was reset before the decode
  // Output
  bool md5 = false;
  std::string output_md5;            ///< MD5 of every frame's bytes in order (`-f md5`)
  std::vector<FrameHash> frame_md5;  ///< per frame (keep_frame_md5)
};

/// Version of the decode JSON document (docs/json.md).
inline constexpr int kDecodeSchemaVersion = 1;

void to_json(nlohmann::json& j, const DecodeResult& r);

/// One decoder configuration of a multi-decode.
struct DecodeConfig {
  std::string decoder;  ///< "" = the spec's decoder
  int threads = 1;
  std::string thread_type;  ///< "" = FFmpeg's default
};

/// Decodes `spec.input` once. Throws InputError (unreadable file, no video stream, a damaged
/// stream without allow_damaged, the packets exceed limits::kDecodeBufferBytes in memory),
/// UsageError (unknown decoder, a decoder of another codec, bad thread type) or FFmpegError
/// (the decoder refused to open, e.g. a hardware decoder without its device).
DecodeResult run_decode(const DecodeSpec& spec);

/// Decodes the stream once per configuration and repeat (repeats outermost: configuration 1,
/// 2, ..., then again), reading the file once. `progress` (may be empty) is called after each
/// decode with its index and the total. Results are in configuration-major order:
/// results[c * repeats + r].
std::vector<DecodeResult> run_decodes(const DecodeSpec& spec,
                                      const std::vector<DecodeConfig>& configs, int repeats,
                                      const std::function<void(int, int)>& progress = {});

/// Where two decodes' outputs first differ.
struct ExactnessDifference {
  bool identical = true;
  std::int64_t frame = -1;   ///< first differing frame (index in output order); -1 if none
  std::string expected_md5;  ///< the baseline's hash of that frame ("" when it has none)
  std::string actual_md5;    ///< the other's ("" when it has none)
  std::string reason;        ///< one line: what differs
};

/// Compares the frame hashes of two decodes of the same stream (both need keep_frame_md5).
ExactnessDifference compare_decodes(const DecodeResult& baseline, const DecodeResult& other);

/// The codec of a file's video stream (`stream_index`, or the best one) as its descriptor name;
/// "" when the file cannot be read or has no video stream.
std::string video_codec_of(const std::string& path, int stream_index = -1);

/// The decoders of `codec_name` this FFmpeg has (the default first), e.g. h264: h264,
/// h264_v4l2m2m, h264_qsv, h264_cuvid.
std::vector<std::string> decoders_for_codec(const std::string& codec_name);

}  // namespace codecbench
