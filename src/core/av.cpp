#include "codecbench/core/av.hpp"

#include <array>
#include <utility>
#include <vector>

namespace codecbench::av {

std::string error_string(int averror) {
  std::array<char, AV_ERROR_MAX_STRING_SIZE> buf{};
  if (av_strerror(averror, buf.data(), buf.size()) < 0) {
    return "unknown FFmpeg error " + std::to_string(averror);
  }
  return buf.data();
}

CodecContextPtr make_codec_context(const AVCodec* codec) {
  CodecContextPtr ctx(avcodec_alloc_context3(codec));
  if (!ctx) throw FFmpegError(AVERROR(ENOMEM), "allocating a codec context");
  return ctx;
}

FramePtr make_frame() {
  FramePtr frame(av_frame_alloc());
  if (!frame) throw FFmpegError(AVERROR(ENOMEM), "allocating a frame");
  return frame;
}

PacketPtr make_packet() {
  PacketPtr packet(av_packet_alloc());
  if (!packet) throw FFmpegError(AVERROR(ENOMEM), "allocating a packet");
  return packet;
}

int find_stream_info(AVFormatContext* fmt, std::int64_t max_pixels) {
  std::vector<Dictionary> options(fmt->nb_streams);
  std::vector<AVDictionary*> each(fmt->nb_streams);
  for (unsigned i = 0; i < fmt->nb_streams; ++i) {
    options[i].set("max_pixels", std::to_string(max_pixels));
    each[i] = *options[i].address();
  }
  const int ret = avformat_find_stream_info(fmt, each.empty() ? nullptr : each.data());
  // FFmpeg replaced each dictionary by what it left unused: those are ours to free again.
  for (unsigned i = 0; i < fmt->nb_streams && i < options.size(); ++i) {
    *options[i].address() = each[i];
  }
  return ret;
}

Dictionary& Dictionary::operator=(Dictionary&& other) noexcept {
  if (this != &other) {
    av_dict_free(&dict_);
    dict_ = std::exchange(other.dict_, nullptr);
  }
  return *this;
}

void Dictionary::set(const std::string& key, const std::string& value) {
  check_av(av_dict_set(&dict_, key.c_str(), value.c_str(), 0), "setting option " + key);
}

}  // namespace codecbench::av
