#pragma once
/// @file av.hpp
/// The one place FFmpeg's C headers are included, plus RAII owners for FFmpeg structs and
/// check_av(), which turns negative FFmpeg return codes into FFmpegError exceptions.
/// AVERROR(EAGAIN) and AVERROR_EOF are control flow in send/receive loops: test them before
/// calling check_av.

extern "C" {
#include <libavcodec/avcodec.h>
#include <libavfilter/avfilter.h>
#include <libavformat/avformat.h>
#include <libavutil/audio_fifo.h>
#include <libavutil/channel_layout.h>
#include <libavutil/dict.h>
#include <libavutil/hwcontext.h>
#include <libavutil/imgutils.h>
#include <libavutil/opt.h>
#include <libavutil/pixdesc.h>
#include <libavutil/samplefmt.h>
#include <libswresample/swresample.h>
#include <libswscale/swscale.h>
}

#include <memory>
#include <string>
#include <string_view>

#include "codecbench/core/error.hpp"

namespace codecbench::av {

/// av_strerror() as a std::string.
std::string error_string(int averror);

/// avformat_find_stream_info with every stream's probing decoder told `max_pixels` (the
/// decoders refuse bigger frames before allocating them). Its return value.
int find_stream_info(AVFormatContext* fmt, std::int64_t max_pixels);

/// Throws FFmpegError when ret < 0, naming `what`; returns ret otherwise.
inline int check_av(int ret, std::string_view what) {
  if (ret < 0) throw FFmpegError(ret, std::string(what));
  return ret;
}

namespace detail {
struct CodecContextDeleter {
  void operator()(AVCodecContext* p) const noexcept { avcodec_free_context(&p); }
};
struct FrameDeleter {
  void operator()(AVFrame* p) const noexcept { av_frame_free(&p); }
};
struct PacketDeleter {
  void operator()(AVPacket* p) const noexcept { av_packet_free(&p); }
};
struct InputFormatDeleter {
  void operator()(AVFormatContext* p) const noexcept { avformat_close_input(&p); }
};
struct SwsDeleter {
  void operator()(SwsContext* p) const noexcept { sws_freeContext(p); }
};
struct SwrDeleter {
  void operator()(SwrContext* p) const noexcept { swr_free(&p); }
};
struct FilterGraphDeleter {
  void operator()(AVFilterGraph* p) const noexcept { avfilter_graph_free(&p); }
};
struct BufferRefDeleter {
  void operator()(AVBufferRef* p) const noexcept { av_buffer_unref(&p); }
};
}  // namespace detail

using CodecContextPtr = std::unique_ptr<AVCodecContext, detail::CodecContextDeleter>;
using FramePtr = std::unique_ptr<AVFrame, detail::FrameDeleter>;
using PacketPtr = std::unique_ptr<AVPacket, detail::PacketDeleter>;
/// An AVFormatContext opened for reading (closed with avformat_close_input).
using InputFormatPtr = std::unique_ptr<AVFormatContext, detail::InputFormatDeleter>;
using SwsPtr = std::unique_ptr<SwsContext, detail::SwsDeleter>;
using SwrPtr = std::unique_ptr<SwrContext, detail::SwrDeleter>;
using FilterGraphPtr = std::unique_ptr<AVFilterGraph, detail::FilterGraphDeleter>;
using BufferRefPtr = std::unique_ptr<AVBufferRef, detail::BufferRefDeleter>;

/// Allocates a codec context for `codec`; throws FFmpegError(ENOMEM) on failure.
CodecContextPtr make_codec_context(const AVCodec* codec);
/// Allocates an empty frame; throws on failure.
FramePtr make_frame();
/// Allocates an empty packet; throws on failure.
PacketPtr make_packet();

/// Owns an AVDictionary (FFmpeg's option list). Move-only.
class Dictionary {
 public:
  Dictionary() = default;
  Dictionary(const Dictionary&) = delete;
  Dictionary& operator=(const Dictionary&) = delete;
  Dictionary(Dictionary&& other) noexcept : dict_(other.dict_) { other.dict_ = nullptr; }
  Dictionary& operator=(Dictionary&& other) noexcept;
  ~Dictionary() { av_dict_free(&dict_); }

  /// Sets key=value (replacing an earlier value).
  void set(const std::string& key, const std::string& value);
  /// Number of entries.
  [[nodiscard]] int size() const noexcept { return av_dict_count(dict_); }
  /// Address FFmpeg functions take (they may consume entries and leave the rest).
  AVDictionary** address() noexcept { return &dict_; }
  [[nodiscard]] const AVDictionary* get() const noexcept { return dict_; }

 private:
  AVDictionary* dict_ = nullptr;
};

}  // namespace codecbench::av
