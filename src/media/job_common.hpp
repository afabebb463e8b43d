#pragma once
// Pieces shared by the video and audio job engines.
#include <sys/resource.h>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "codecbench/core/av.hpp"
#include "codecbench/media/transcode.hpp"

extern "C" {
struct AVMD5;
}

namespace codecbench::detail {

using Clock = std::chrono::steady_clock;

/// When a decoder's log says it refused a frame for its size ("Picture size WxH ..." above the
/// max_pixels it was given), the InputError of check_frame_pixels for that size: "too large",
/// never "damaged". Nothing otherwise.
void refuse_refused_picture(const std::string& uri, const std::string& decoder_log,
                            std::int64_t max_pixels);

/// Adds the wall time a scope took to a counter.
class StageTimer {
 public:
  explicit StageTimer(double& total) : total_(total), start_(Clock::now()) {}
  StageTimer(const StageTimer&) = delete;
  StageTimer& operator=(const StageTimer&) = delete;
  ~StageTimer() { total_ += std::chrono::duration<double>(Clock::now() - start_).count(); }

 private:
  double& total_;
  Clock::time_point start_;
};

/// Process CPU times and peak RSS (getrusage).
struct RusageSnapshot {
  double user = 0, sys = 0;
  long maxrss_kib = 0;
  static RusageSnapshot now();
};

/// Fills a result's process CPU time, peak memory and wall time since `start`/`before`.
void finish_timing(JobResult& r, const RusageSnapshot& before, Clock::time_point start);

/// Finds an encoder by name; UsageError for a decoder-only or unknown name (with suggestions).
const AVCodec* find_encoder(const std::string& name);

/// FF_THREAD_* flags from "frame", "slice", "frame+slice" ("" = both, FFmpeg's default).
int parse_thread_type(const std::string& s);
/// Inverse of parse_thread_type; "none" for 0.
std::string thread_type_name(int flags);

/// Owns the muxer context of a kept stream (--keep FILE).
class KeptStream {
 public:
  KeptStream() = default;
  KeptStream(const KeptStream&) = delete;
  KeptStream& operator=(const KeptStream&) = delete;
  ~KeptStream();

  /// Chooses the container from `path`; checks it can hold `codec`. No-op for an empty path.
  void prepare(const std::string& path, const AVCodec* codec);
  /// Whether the encoder must put its headers in extradata (set before opening it).
  [[nodiscard]] bool needs_global_header() const;
  /// Side data the kept stream carries from the source (a display matrix: the rotation).
  void set_display_matrix(std::vector<std::uint8_t> matrix) { display_matrix_ = std::move(matrix); }
  /// Why a display matrix given to set_display_matrix will not reach the file ("" when it
  /// will, or when nothing is kept): only the MP4/QuickTime muxers of FFmpeg 5.1 store one.
  [[nodiscard]] std::string display_matrix_dropped() const;
  /// Adds the stream from the opened encoder and writes the header.
  void start(const AVCodecContext* enc);
  /// Writes one encoded packet (timestamps in the encoder's time base).
  void write(AVPacket* pkt, AVRational enc_time_base);
  /// Writes the trailer, moves the file into place and returns its size in bytes (0 when
  /// nothing is kept). Until then the stream is written to a hidden file beside it, removed if
  /// the job fails (a full disk), so a kept file is always complete.
  std::uint64_t finish();

 private:
  std::string path_;
  std::string part_;  ///< written here, renamed to path_ once complete
  AVFormatContext* ctx_ = nullptr;
  AVStream* stream_ = nullptr;
  bool started_ = false;
  std::vector<std::uint8_t> display_matrix_;
};

/// The encoder's pixel format the job's options ask for (`pixel_format` or `pix_fmt`, the
/// generic AVCodecContext option): AV_PIX_FMT_NONE when none. UsageError for an unknown format,
/// or one the encoder does not take (naming those it does). The job converts its frames to it;
/// open_with_options does not pass the option on (FFmpeg would only relabel the frames).
AVPixelFormat requested_pix_fmt(const JobSpec& spec, const AVCodec* codec);

/// The encoder's sample format the job's options ask for (`sample_fmt`): AV_SAMPLE_FMT_NONE
/// when none. UsageError for an unknown format or one the encoder does not take (naming those
/// it does). The job converts its samples to it; open_with_options does not pass it on.
AVSampleFormat requested_sample_fmt(const JobSpec& spec, const AVCodec* codec);

/// Sets the common encoder options, opens it with `options`, and throws UsageError naming
/// any option the encoder did not consume. Returns the avcodec_open2 result (< 0: refused,
/// with `error` set to FFmpeg's messages).
int open_with_options(AVCodecContext* ctx, const AVCodec* codec, const JobSpec& spec,
                      std::string& error);

/// Opens the decoder that measures an opened encoder's output (its parameters and extradata
/// copied), with the job's threads; `skip_manual` keeps priming samples in the output (audio).
/// Throws Error (exit 4) when this FFmpeg has no decoder for the codec.
av::CodecContextPtr open_measuring_decoder(const AVCodecContext* enc, const AVCodec* enc_codec,
                                           int threads, int thread_type, bool skip_manual);

/// Sends `frame` (null: flush) to the encoder and hands every packet it gives to `on_packet`;
/// the time spent inside the encoder is added to `seconds`. `what` names the frame in errors.
/// A flush may be split: with `max_packets` > 0 at most that many packets are taken, and
/// further calls with a null frame take the next ones (a second flush request is harmless).
/// Returns true once the encoder has given its last packet (after a flush), false while it
/// wants more input or holds packets not yet taken.
bool encode_frame(AVCodecContext* enc, const AVFrame* frame, double& seconds,
                  const std::string& what, const std::function<void(AVPacket*)>& on_packet,
                  int max_packets = 0);

/// Sends `pkt` (null: flush) to the decoder and hands every frame it gives to `on_frame`; the
/// time spent inside the decoder is added to `seconds`.
void decode_packet(AVCodecContext* dec, const AVPacket* pkt, double& seconds,
                   const std::function<void(av::FramePtr)>& on_frame);

/// Runs an audio job (the encoder is an audio encoder).
JobResult run_audio_job(const JobSpec& spec, const AVCodec* encoder);

/// The sample format an audio encoder gets for a source format: the source's own when the
/// encoder takes it, else the one that keeps the most of it (an exact one, the narrowest exact
/// first; else the most significant bits), the source's planarity on a tie. `supported` is
/// AVCodec::sample_fmts (null: any).
AVSampleFormat pick_sample_format(const AVSampleFormat* supported, AVSampleFormat source);

/// Whether every sample value of `from` is represented exactly in `to` (s16 -> s32 or flt:
/// yes; flt -> s32: no, it is rounded).
bool sample_format_exact(AVSampleFormat from, AVSampleFormat to);

/// The channel layout an audio encoder gets for a source layout: the same, else one with as
/// many channels, else the widest with fewer channels (5.1 -> stereo, not mono), else the
/// narrowest wider one. Null when the encoder lists none (it takes any).
const AVChannelLayout* pick_channel_layout(const AVChannelLayout* supported,
                                           const AVChannelLayout& source);

/// XXH3-64 of the content of a sequence of decoded frames: each plane's visible rows (video)
/// or each channel plane's samples (audio), never padding. Fast enough (about 10 GB/s) to
/// fingerprint every reference frame of a job: two runs of one job key with different hashes
/// measured different references (an unseeded random source).
class FrameHash {
 public:
  FrameHash();
  FrameHash(const FrameHash&) = delete;
  FrameHash& operator=(const FrameHash&) = delete;
  ~FrameHash();
  void update(const AVFrame& frame);
  /// "xxh3:" and 16 hex digits of everything so far.
  [[nodiscard]] std::string hex() const;

 private:
  void* state_;  ///< XXH3_state_t
};

/// MD5 over a sequence of byte ranges (FFmpeg's av_md5), as 32 hex digits.
class Md5 {
 public:
  Md5();
  Md5(const Md5&) = delete;
  Md5& operator=(const Md5&) = delete;
  ~Md5();
  /// Starts again.
  void reset();
  void update(const std::uint8_t* data, std::size_t size);
  /// The digest of everything since the last reset; resets.
  std::string hex();

 private:
  ::AVMD5* md5_;
};

}  // namespace codecbench::detail
