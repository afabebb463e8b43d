// SVG -> PNG with libavcodec: the librsvg decoder rasterises, swscale turns its native-endian
// ARGB into RGBA, the png encoder compresses. No other library needed.
#include <fmt/core.h>

#include <cstring>

#include "codecbench/core/av.hpp"
#include "codecbench/core/error.hpp"
#include "codecbench/core/log.hpp"
#include "codecbench/report/plot.hpp"

namespace codecbench::plot {

std::string svg_to_png(const std::string& svg, int scale) {
  LogCapture capture(AV_LOG_ERROR);
  const AVCodec* dec = avcodec_find_decoder(AV_CODEC_ID_SVG);
  if (dec == nullptr)
    throw Error("this FFmpeg has no SVG decoder (librsvg): PNG plots are not available");
  auto dctx = av::make_codec_context(dec);
  av::Dictionary opts;
  // The SVGs written here are 640x400; librsvg scales to the requested size.
  opts.set("width", std::to_string(640 * scale));
  opts.set("height", std::to_string(400 * scale));
  av::check_av(avcodec_open2(dctx.get(), dec, opts.address()), "opening the SVG rasteriser");
  auto pkt = av::make_packet();
  av::check_av(av_new_packet(pkt.get(), static_cast<int>(svg.size())), "SVG packet");
  std::memcpy(pkt->data, svg.data(), svg.size());
  av::check_av(avcodec_send_packet(dctx.get(), pkt.get()), "rasterising the SVG");
  auto frame = av::make_frame();
  av::check_av(avcodec_receive_frame(dctx.get(), frame.get()), "rasterising the SVG");

  auto rgba = av::make_frame();
  rgba->format = AV_PIX_FMT_RGBA;
  rgba->width = frame->width;
  rgba->height = frame->height;
  av::check_av(av_frame_get_buffer(rgba.get(), 0), "PNG frame");
  av::SwsPtr sws(sws_getContext(
      frame->width, frame->height, static_cast<AVPixelFormat>(frame->format), frame->width,
      frame->height, AV_PIX_FMT_RGBA, SWS_POINT, nullptr, nullptr, nullptr));
  if (!sws) throw Error("swscale cannot convert the rasterised SVG");
  sws_scale(sws.get(), frame->data, frame->linesize, 0, frame->height, rgba->data, rgba->linesize);

  const AVCodec* enc = avcodec_find_encoder(AV_CODEC_ID_PNG);
  if (enc == nullptr) throw Error("this FFmpeg has no PNG encoder");
  auto ectx = av::make_codec_context(enc);
  ectx->width = rgba->width;
  ectx->height = rgba->height;
  ectx->pix_fmt = AV_PIX_FMT_RGBA;
  ectx->time_base = AVRational{1, 1};
  av::check_av(avcodec_open2(ectx.get(), enc, nullptr), "opening the PNG encoder");
  rgba->pts = 0;
  av::check_av(avcodec_send_frame(ectx.get(), rgba.get()), "encoding PNG");
  av::check_av(avcodec_send_frame(ectx.get(), nullptr), "flushing PNG");
  std::string out;
  for (;;) {
    auto p = av::make_packet();
    const int ret = avcodec_receive_packet(ectx.get(), p.get());
    if (ret == AVERROR_EOF || ret == AVERROR(EAGAIN)) break;
    av::check_av(ret, "encoding PNG");
    out.append(reinterpret_cast<const char*>(p->data), static_cast<std::size_t>(p->size));
  }
  return out;
}

}  // namespace codecbench::plot
