#pragma once
/// @file catalog.hpp
/// The codec catalog: every codec descriptor libavcodec knows, and every encoder and decoder
/// implementation, in the order and with the flags `ffmpeg -codecs`, `-encoders` and `-decoders`
/// print, plus the full description of one implementation (`codecbench codecs show NAME`).

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace codecbench {

/// Media type of a codec (AVMediaType).
enum class MediaType { kUnknown, kVideo, kAudio, kData, kSubtitle, kAttachment };

/// Lower-case name used in JSON and on the command line: "video", "audio", "data",
/// "subtitle", "attachment", "unknown".
const char* media_type_name(MediaType type) noexcept;
/// The MediaType of an AVMediaType value (kUnknown for anything else).
MediaType media_type_from_av(int av_media_type) noexcept;
/// Parses a media_type_name(); returns nullopt for anything else.
std::optional<MediaType> parse_media_type(const std::string& name) noexcept;

/// One codec descriptor (AVCodecDescriptor) with the implementations registered for it.
struct CodecEntry {
  int id = 0;             ///< AVCodecID
  std::string name;       ///< short name, e.g. "h264"
  std::string long_name;  ///< descriptive name, may be empty
  MediaType type = MediaType::kUnknown;
  bool can_decode = false;            ///< a decoder exists (ffmpeg's D flag)
  bool can_encode = false;            ///< an encoder exists (E flag)
  bool intra_only = false;            ///< AV_CODEC_PROP_INTRA_ONLY (I flag)
  bool lossy = false;                 ///< AV_CODEC_PROP_LOSSY (L flag)
  bool lossless = false;              ///< AV_CODEC_PROP_LOSSLESS (S flag)
  std::vector<std::string> decoders;  ///< decoder names, registration order
  std::vector<std::string> encoders;  ///< encoder names, registration order
};

/// One encoder or decoder implementation (AVCodec).
struct Implementation {
  std::string name;       ///< e.g. "libx264"
  std::string long_name;  ///< e.g. "libx264 H.264 / AVC / MPEG-4 AVC ..."
  std::string codec;      ///< descriptor name, e.g. "h264"
  MediaType type = MediaType::kUnknown;
  bool encoder = false;           ///< true for an encoder, false for a decoder
  bool frame_threads = false;     ///< AV_CODEC_CAP_FRAME_THREADS (F flag)
  bool slice_threads = false;     ///< AV_CODEC_CAP_SLICE_THREADS (S flag)
  bool other_threads = false;     ///< AV_CODEC_CAP_OTHER_THREADS (library-internal threads)
  bool experimental = false;      ///< AV_CODEC_CAP_EXPERIMENTAL (X flag)
  bool draw_horiz_band = false;   ///< AV_CODEC_CAP_DRAW_HORIZ_BAND (B flag)
  bool direct_rendering = false;  ///< AV_CODEC_CAP_DR1 (D flag)
  bool hardware = false;          ///< AV_CODEC_CAP_HARDWARE or hardware-only pixel formats
  std::string wrapper;            ///< external library wrapped (AVCodec.wrapper_name), or ""
  bool intra_only = false;        ///< descriptor property (for filtering)
  bool lossy = false;             ///< descriptor property (for filtering)
  bool lossless = false;          ///< descriptor property (for filtering)
};

/// Every codec descriptor except deprecated aliases, sorted as ffmpeg sorts them:
/// by media type (video, audio, data, subtitle, attachment), then by name.
std::vector<CodecEntry> list_codecs();

/// Every encoder (`encoders` = true) or decoder, grouped by descriptor in list_codecs() order,
/// registration order within a descriptor (as `ffmpeg -encoders` / `-decoders`).
std::vector<Implementation> list_implementations(bool encoders);

/// Filter shared by the listing views. Empty/false members do not filter.
struct CodecFilter {
  std::optional<MediaType> type;    ///< keep only this media type
  bool lossless = false;            ///< keep codecs with the lossless property
  bool lossy = false;               ///< keep codecs with the lossy property
  bool intra = false;               ///< keep intra-only codecs
  std::optional<std::string> grep;  ///< POSIX extended regex (case-insensitive, no
                                    ///< back-references) searched in the name and long name;
                                    ///< for codecs also in the names of their encoders and
                                    ///< decoders

  /// Throws UsageError when `grep` is not a valid regular expression.
  void validate() const;
  [[nodiscard]] bool matches(const CodecEntry& codec) const;
  [[nodiscard]] bool matches(const Implementation& impl) const;
};

/// Text exactly as `ffmpeg -hide_banner -codecs` prints it (legend optional).
std::string format_codecs(const std::vector<CodecEntry>& codecs, bool legend);
/// Text exactly as `ffmpeg -hide_banner -encoders` / `-decoders` prints it (legend optional).
std::string format_implementations(const std::vector<Implementation>& impls, bool encoders,
                                   bool legend);

/// One named constant of an option (an AV_OPT_TYPE_CONST entry of the option's unit).
struct OptionConstant {
  std::string name;
  std::string help;
  std::int64_t value = 0;
};

/// One private option (AVOption) of an implementation.
struct OptionInfo {
  std::string name;
  std::string help;
  std::string type;           ///< "int", "int64", "bool", "flags", "float", "double",
                              ///< "string", "rational", "binary", "dict", "image_size",
                              ///< "pixel_fmt", "sample_fmt", "video_rate", "duration",
                              ///< "color", "channel_layout", "uint64"
  std::string default_value;  ///< default rendered as text ("" when none)
  std::optional<double> min;  ///< numeric range, absent for non-numeric types
  std::optional<double> max;
  std::vector<std::string> flags;         ///< "encoding", "decoding", "video", "audio", ...
  std::vector<OptionConstant> constants;  ///< named values (enums and flag bits)
};

/// A hardware configuration (avcodec_get_hw_config).
struct HardwareConfig {
  std::string device_type;           ///< "cuda", "vaapi", "qsv", ... or "none"
  std::string pix_fmt;               ///< hardware pixel format, e.g. "vaapi"
  std::vector<std::string> methods;  ///< "hw_device_ctx", "hw_frames_ctx", "internal", "ad_hoc"
};

/// One profile an implementation knows.
struct ProfileInfo {
  int id = 0;
  std::string name;
};

/// Everything a benchmark author needs about one implementation.
struct ImplementationDetails {
  Implementation impl;
  std::vector<std::string> capabilities;     ///< AV_CODEC_CAP_* names in lower case ("delay", ...)
  std::vector<std::string> threading;        ///< "frame", "slice", "other"; empty: single thread
  std::vector<std::string> pix_fmts;         ///< supported pixel formats (empty: any/unknown)
  std::vector<std::string> sample_fmts;      ///< supported sample formats (empty: any/unknown)
  std::vector<int> sample_rates;             ///< supported sample rates in Hz (empty: any)
  std::vector<std::string> channel_layouts;  ///< supported channel layouts (empty: any)
  std::vector<ProfileInfo> profiles;
  std::vector<HardwareConfig> hw_configs;
  std::vector<OptionInfo> options;  ///< private options, declaration order
};

/// Result of looking up a name: the descriptor it names (if any) and the implementations.
struct CodecDescription {
  std::optional<CodecEntry> codec;              ///< set when NAME is a descriptor name
  std::vector<ImplementationDetails> encoders;  ///< encoders named NAME, or of codec NAME
  std::vector<ImplementationDetails> decoders;  ///< decoders named NAME, or of codec NAME
};

/// Describes NAME: an encoder, a decoder or a codec descriptor name (all that match).
/// Throws UsageError naming the closest known names when nothing matches.
CodecDescription describe_codec(const std::string& name);

/// Up to `limit` known codec/encoder/decoder names closest to `name` (edit distance and
/// substring), best first.
std::vector<std::string> suggest_codec_names(const std::string& name, std::size_t limit = 3);

}  // namespace codecbench
