#pragma once
/// @file transcode.hpp
/// One benchmark job end to end: read a reference, encode it with one encoder and one set of
/// options, decode the result, and measure size, quality and speed.

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <utility>
#include <vector>

#include "codecbench/media/reference_cache.hpp"
#include "codecbench/media/source.hpp"
#include "codecbench/metrics/metrics.hpp"

namespace codecbench {

/// Encoding at another size than the source's (resolution ladders, per-title hulls): the
/// reference is scaled to this size before the encoder, and what the decoder returns is scaled
/// back to the reference's size before any metric sees it, so quality is always measured at the
/// reference's resolution (docs/metrics.md, "Scaled encodes").
struct ScaleSpec {
  int width = 0;   ///< encoded width; 0 = from `height` and the source's display aspect ratio
  int height = 0;  ///< encoded height; 0 = from `width` likewise; both 0 = no scaling
  /// swscale algorithm, used down to the encoded size and back up: bicubic (FFmpeg's scale
  /// filter's default), bilinear, lanczos, spline, area, neighbor, gauss, sinc, fast_bilinear.
  std::string scaler = "bicubic";
  bool allow_upscale = false;  ///< a size larger than the source's is an error unless set

  [[nodiscard]] bool active() const { return width > 0 || height > 0; }
};

/// Parses "WxH", "Wx" or "xH" (the missing side follows the aspect ratio) and "Hp" (= "xH").
/// Throws UsageError naming the text when it is none of those or a side is not 2..16384.
ScaleSpec parse_scale(const std::string& text);

/// The scale as a short label: "360p" (height only), "640x" (width only), "640x360"; with
/// "/ALGO" when the scaler is not bicubic; "" when inactive. What run tables and RD-curve
/// labels show.
std::string scale_text(const ScaleSpec& scale);

/// swscale's flag for a ScaleSpec::scaler name; UsageError listing the names otherwise.
int scaler_flags(const std::string& name);

/// The encoded size for a source of `width` x `height` with sample aspect ratio `sar`
/// ({0,1} = square): a missing side follows the display aspect ratio, rounded to an even
/// number as FFmpeg's `scale=-2:H` does. UsageError when larger than the source on either side
/// and `allow_upscale` is not set.
std::pair<int, int> scaled_size(const ScaleSpec& scale, int width, int height, AVRational sar);

/// What to run.
struct JobSpec {
  SourceSpec input;                                          ///< reference input and trim
  std::string encoder;                                       ///< libavcodec encoder name
  std::vector<std::pair<std::string, std::string>> options;  ///< encoder options, in order
  int threads = 1;          ///< thread_count of encoder and decoders (0 = FFmpeg's auto)
  std::string thread_type;  ///< "frame", "slice", "frame+slice"; "" = FFmpeg's default
  /// Metric registry names; empty = the defaults for the encoder's media type
  /// (video: psnr, ssim; audio: snr, segsnr, si_sdr).
  std::vector<std::string> metrics;
  bool per_frame = false;  ///< keep every frame's metric values
  std::string keep_path;   ///< write the encoded stream to this file ("" = don't)
  ScaleSpec scale;         ///< encode at another size (video; inactive = the source's)
  /// Shared decoded references (batch runs); null = decode the input for this job alone.
  ReferenceCache* references = nullptr;
};

/// One metric's values: the run summary and, on request, each frame's.
struct MetricResult {
  std::string name;
  MetricValues summary;
  std::vector<MetricValues> frames;  ///< empty unless JobSpec::per_frame
};

/// One stage of a video job's pipeline over the job: how long it worked (inside its body) and
/// how long it waited between its frames (for its input, or for a free slot downstream),
/// from the pipeline's start to its last frame. The stage that waited least bounds the job.
struct StageTime {
  std::string name;     ///< "read" (decode and convert the reference), "encode", "decode"
                        ///< (the stream, to measure it), "measure" (the metrics)
  double worked_s = 0;  ///< wall seconds inside the stage
  double waited_s = 0;  ///< wall seconds between its frames (and before its first)
  std::int64_t frames = 0;
};

/// Everything a job measured. Units are in the field names' comments.
struct JobResult {
  MediaType type = MediaType::kVideo;  ///< video or audio job
  // What ran
  std::string input;  ///< SourceSpec::uri
  std::string encoder;
  std::string codec;    ///< descriptor name of the encoder's codec
  std::string decoder;  ///< decoder used to measure
  std::vector<std::pair<std::string, std::string>> options;  ///< options the encoder applied
  std::string ffmpeg_version;
  // Formats and geometry
  std::string source_pix_fmt;   ///< format the input decodes to
  std::string encoder_pix_fmt;  ///< format fed to the encoder
  std::string decoder_pix_fmt;  ///< format the decoder returned
  std::string metric_pix_fmt;   ///< format the metrics compared
  int source_width = 0, source_height = 0;
  int width = 0, height = 0;  ///< encoded size (after a crop)
  std::string adjustment;     ///< what was changed to satisfy the encoder, "" if nothing
  /// Scaled encodes (JobSpec::scale): the swscale algorithm, "" when the encode kept the
  /// source's size. Metrics then compare at the source's size (the decoded frames are scaled
  /// back up with the same algorithm).
  std::string scaler;
  int metric_width = 0, metric_height = 0;  ///< size the metrics compared
  double frame_rate = 0;                    ///< frames per second
  std::int64_t frames = 0;                  ///< frames encoded (= frames decoded and compared)
  /// Constant rate: frames / frame_rate; variable (vfr): from the frames' timestamps, the
  /// last frame's time plus one nominal frame interval. Bitrates divide by it.
  double duration_s = 0;
  bool vfr = false;  ///< the frames' timestamps are not one nominal interval apart
  /// Video frames given the next tick of the encoder's time base because they were closer to
  /// the one before than a nominal frame interval (vfr sources above their nominal rate).
  std::int64_t retimed_frames = 0;
  /// Time of the first frame measured, seconds from the input stream's start (the requested
  /// start, or the first frame at or after it; 0 without a start).
  double first_frame_s = 0;
  /// The source's display rotation in degrees as ffprobe prints it (0: none). The metrics
  /// compare frames as stored, as FFmpeg's filters do without autorotation (PSNR is the same
  /// either way); the kept file carries the source's display matrix.
  double rotation = 0;
  /// The source's field order ("progressive", "tt", "bb", "tb", "bt", "unknown"); the encoder
  /// and the kept file are told it, as the ffmpeg CLI does. Fields are compared as stored
  /// (woven frames), as FFmpeg's filters do.
  std::string field_order;
  // Audio (type == audio)
  std::string source_sample_fmt;   ///< format the input decodes to
  std::string encoder_sample_fmt;  ///< format fed to the encoder
  std::string decoder_sample_fmt;  ///< format the decoder returned
  int source_sample_rate = 0;      ///< Hz
  int sample_rate = 0;             ///< encoder rate, Hz; metrics compare at this rate
  int channels = 0;
  std::string channel_layout;       ///< encoder layout, e.g. "stereo"
  int frame_size = 0;               ///< samples per encoder frame
  std::int64_t samples = 0;         ///< samples per channel compared
  std::int64_t padded_samples = 0;  ///< silence added to complete the last encoder frame
  int encoder_delay = 0;            ///< priming samples removed (AVCodecContext.initial_padding)
  /// How the decoded audio was aligned: "encoder_delay" (the encoder's stated delay,
  /// initial_padding, or a lossless coder's none: exact) or "cross_correlation" (a lossy
  /// encoder that states no delay: the correlation's lag is applied).
  std::string alignment;
  int alignment_lag = 0;    ///< lag applied after removing the delay (0 with encoder_delay)
  int correlation_lag = 0;  ///< the cross-correlation's best lag (+-10 ms): with a stated
                            ///< delay only a check (0 when the two agree)
  /// Level of the decoded signal against the reference: 20 log10 of the least-squares gain
  /// <ref, dec> / <ref, ref> over all channels (0 dB = same level; libmp3lame decodes about
  /// -0.45 dB). SNR counts a level change as noise; SI-SDR does not. NaN when undefined.
  double gain_db = 0;
  double realtime_factor = 0;  ///< audio duration / encode_s
  // Threads
  int threads_requested = 1;
  int encoder_threads = 0;          ///< thread_count after avcodec_open2
  std::string encoder_thread_type;  ///< "frame", "slice", "frame+slice", "none"
  int decoder_threads = 0;
  std::string decoder_thread_type;
  // Sizes
  std::uint64_t packets = 0;
  std::uint64_t bitstream_bytes = 0;  ///< sum of packet sizes
  /// MD5 of every packet's bytes in encoding order: equal for two runs exactly when the
  /// encoder produced the same bitstream (check_determinism).
  std::string bitstream_md5;
  /// XXH3 of the reference's decoded content ("xxh3:" + 16 hex digits): every frame's visible
  /// pixels or every sample, before any conversion. Equal in two runs of one job key exactly
  /// when both measured the same reference (not so for an unseeded random source).
  std::string source_hash;
  std::uint64_t kept_bytes = 0;  ///< size of the kept file (0 when not kept)
  std::uint64_t raw_bytes = 0;   ///< size of the raw reference frames in the source format
  double compression_ratio = 0;  ///< raw_bytes / bitstream_bytes
  double bitrate_kbps = 0;       ///< bitstream bits / duration / 1000
  double bits_per_pixel = 0;     ///< bitstream bits / (width height frames)
  // Quality
  std::vector<MetricResult> metrics;
  // Speed
  double source_s = 0;                   ///< reading and converting the reference, wall seconds
  double encode_s = 0;                   ///< inside the encoder, wall seconds
  double decode_s = 0;                   ///< inside the decoder, wall seconds
  double metric_s = 0;                   ///< computing metrics, wall seconds
  double wall_s = 0;                     ///< whole job, wall seconds
  double encode_fps = 0;                 ///< frames / encode_s
  double cpu_user_s = 0, cpu_sys_s = 0;  ///< process CPU time during the job (all threads)
  long peak_rss_kib = 0;                 ///< process peak resident memory (KiB) at the job's end
  std::vector<StageTime> stages;         ///< video jobs: the pipeline's stages, in order
};

/// Version of the job JSON document (docs/json.md).
inline constexpr int kJobSchemaVersion = 1;

/// Whether an encoder gives the same bitstream twice with the same options and threads.
struct DeterminismCheck {
  bool deterministic = true;
  std::vector<std::string> md5;      ///< each run's bitstream MD5
  std::vector<std::uint64_t> bytes;  ///< each run's bitstream size
  int threads = 0;                   ///< encoder thread_count after opening
  std::string thread_type;           ///< the encoder's active threading
};

/// The same question answered from runs already made (a batch job's repeats): every run's
/// bitstream against the first's.
DeterminismCheck determinism_of(const std::vector<JobResult>& runs);

/// {deterministic, runs, bitstream_md5: [...], bitstream_bytes: [...], encoder_threads,
/// encoder_thread_type}.
void to_json(nlohmann::json& j, const DeterminismCheck& d);

/// Encodes `spec` `runs` more times (at least 2 in all with `first`; metrics off) and compares
/// the bitstreams with `first`'s. Not deterministic is a finding, not an error: multi-threaded
/// encoders may legitimately differ run to run.
DeterminismCheck check_determinism(const JobSpec& spec, const JobResult& first, int runs = 1);

/// Runs one job. Throws UsageError (unknown encoder, unused option), InputError (bad input)
/// or FFmpegError/Error (the encoder refused, frame counts differ) naming the cause.
JobResult run_job(const JobSpec& spec);

void to_json(nlohmann::json& j, const JobResult& r);

}  // namespace codecbench
