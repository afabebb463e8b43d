#include "codecbench/core/av.hpp"

#include <array>
#include <utility>

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
