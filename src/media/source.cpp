// Frame sources: files through libavformat + libavcodec, synthetic sources through libavfilter.
#include "codecbench/media/source.hpp"

#include <fmt/core.h>
#include <sys/stat.h>

#include <array>
#include <cmath>
#include <regex>

#include "codecbench/core/error.hpp"
#include "codecbench/core/files.hpp"
#include "codecbench/core/log.hpp"
#include "job_common.hpp"

extern "C" {
#include <libavfilter/buffersink.h>
#include <libavutil/display.h>
#include <libavutil/opt.h>
}

namespace codecbench {
namespace {

std::string layout_name(const AVChannelLayout& l) {
  std::array<char, 128> buf{};
  if (av_channel_layout_describe(&l, buf.data(), buf.size()) < 0) return "";
  return buf.data();
}

AVMediaType av_type_of(MediaType t) {
  switch (t) {
    case MediaType::kVideo:
      return AVMEDIA_TYPE_VIDEO;
    case MediaType::kAudio:
      return AVMEDIA_TYPE_AUDIO;
    case MediaType::kSubtitle:
      return AVMEDIA_TYPE_SUBTITLE;
    case MediaType::kData:
      return AVMEDIA_TYPE_DATA;
    default:
      return AVMEDIA_TYPE_UNKNOWN;
  }
}

}  // namespace

void check_frame_pixels(const std::string& uri, int width, int height, std::int64_t max_pixels) {
  const std::int64_t pixels = std::int64_t{width} * height;
  if (width <= 0 || height <= 0 || pixels <= max_pixels) return;
  throw InputError(fmt::format(
      "{}: frames of {}x{} are too large ({} pixels; the limit is {} a frame: --max-pixels N "
      "or the input's max_pixels: raises it)",
      uri, width, height, pixels, max_pixels));
}

void check_frames_in_flight(const std::string& uri, int width, int height, AVPixelFormat pix_fmt,
                            std::int64_t frames) {
  if (width <= 0 || height <= 0) return;
  int bytes = pix_fmt == AV_PIX_FMT_NONE ? -1 : av_image_get_buffer_size(pix_fmt, width, height, 1);
  const std::int64_t frame_bytes = bytes > 0 ? bytes : std::int64_t{width} * height * 4;
  if (frame_bytes * frames <= limits::kFramesInFlightBytes) return;
  throw InputError(fmt::format(
      "{}: {}x{} frames are too large for {} frames in flight ({} MiB each, {} GiB in all; at "
      "most {} GiB): use fewer threads",
      uri, width, height, frames, frame_bytes >> 20, (frame_bytes * frames) >> 30,
      limits::kFramesInFlightBytes >> 30));
}

namespace {

// Applies start/duration/frame-count trimming and rebases pts to 0 on top of a raw frame stream.
class TrimmedSource : public FrameSource {
 public:
  explicit TrimmedSource(SourceSpec spec) : spec_(std::move(spec)) {}

  av::FramePtr next() final {
    if (pending_) return std::move(pending_);
    return pull();
  }
  [[nodiscard]] const StreamInfo& info() const final { return info_; }

 protected:
  // Reads the first kept frame so info() is complete and an empty trim is reported at open.
  void prime() {
    pending_ = pull();
    if (!pending_) {
      throw InputError(fmt::format("{}: no {} frames{}", spec_.uri, media_type_name(info_.type),
                                   trimmed() ? " in the requested range" : ""));
    }
    if (info_.type == MediaType::kVideo && info_.field_order == AV_FIELD_UNKNOWN) {
      info_.field_order = pending_->interlaced_frame == 0  ? AV_FIELD_PROGRESSIVE
                          : pending_->top_field_first != 0 ? AV_FIELD_TT
                                                           : AV_FIELD_BB;
    }
  }
  virtual av::FramePtr raw_next() = 0;
  [[nodiscard]] bool trimmed() const {
    return spec_.start_s > 0 || spec_.max_frames >= 0 || spec_.duration_s >= 0;
  }

  SourceSpec spec_;
  StreamInfo info_;
  std::int64_t origin_ = AV_NOPTS_VALUE;  ///< pts of time 0 (first frame when unset)

 private:
  av::FramePtr pull() {
    if (spec_.max_frames >= 0 && delivered_ >= spec_.max_frames) return nullptr;
    for (;;) {
      av::FramePtr f = raw_next();
      if (!f) return nullptr;
      // Also frames that grow mid-stream, and sources without a header (lavfi).
      if (info_.type == MediaType::kVideo || f->width > 0)
        check_frame_pixels(spec_.uri, f->width, f->height, spec_.max_pixels);
      std::int64_t pts =
          f->best_effort_timestamp != AV_NOPTS_VALUE ? f->best_effort_timestamp : f->pts;
      if (pts == AV_NOPTS_VALUE) pts = next_guess_;
      if (origin_ == AV_NOPTS_VALUE) origin_ = pts;
      const double t = static_cast<double>(pts - origin_) * av_q2d(info_.time_base);
      next_guess_ = pts + (f->pkt_duration > 0 ? f->pkt_duration : 1);
      if (t + 1e-9 < spec_.start_s) continue;
      if (spec_.duration_s >= 0 && t - spec_.start_s >= spec_.duration_s - 1e-9) return nullptr;
      if (first_kept_ == AV_NOPTS_VALUE) {
        first_kept_ = pts;
        info_.first_frame_s = t;
      }
      f->pts = pts - first_kept_;
      ++delivered_;
      return f;
    }
  }

  av::FramePtr pending_;
  std::int64_t first_kept_ = AV_NOPTS_VALUE;
  std::int64_t next_guess_ = 0;
  std::int64_t delivered_ = 0;
};

class FileSource final : public TrimmedSource {
 public:
  /// `sequence`: the path is an image-sequence pattern, read by the image2 demuxer.
  FileSource(const SourceSpec& spec, bool sequence) : TrimmedSource(spec) {
    const std::string& path = spec_.uri;
    const AVInputFormat* forced = nullptr;
    if (sequence) {
      find_image_sequence(path);  // names the pattern when no file matches it
      forced = av_find_input_format("image2");
    } else {
      require_regular_file(path);
      struct stat st {};
      if (::stat(path.c_str(), &st) == 0 && st.st_size == 0)
        throw InputError(fmt::format("{}: empty file", path));
    }
    LogCapture capture(AV_LOG_ERROR);
    AVFormatContext* raw = nullptr;
    int ret = avformat_open_input(&raw, path.c_str(), forced, nullptr);
    if (ret < 0) {
      throw InputError(
          fmt::format("{}: not a readable media file ({})", path, av::error_string(ret)));
    }
    fmt_.reset(raw);
    ret = av::find_stream_info(fmt_.get(), spec_.max_pixels);
    if (ret < 0) {
      throw InputError(
          fmt::format("{}: cannot read stream information ({})", path, av::error_string(ret)));
    }
    const AVMediaType want = av_type_of(spec_.type);
    if (spec_.stream_index >= 0) {
      if (spec_.stream_index >= static_cast<int>(fmt_->nb_streams)) {
        throw InputError(fmt::format("{}: no stream #{} (the file has {})", path,
                                     spec_.stream_index, fmt_->nb_streams));
      }
      stream_ = spec_.stream_index;
      if (fmt_->streams[stream_]->codecpar->codec_type != want) {
        throw InputError(fmt::format("{}: stream #{} is not a {} stream", path, stream_,
                                     media_type_name(spec_.type)));
      }
    } else {
      stream_ = av_find_best_stream(fmt_.get(), want, -1, -1, nullptr, 0);
      if (stream_ < 0) {
        throw InputError(fmt::format("{}: no {} stream", path, media_type_name(spec_.type)));
      }
    }
    AVStream* s = fmt_->streams[stream_];
    const AVCodec* codec = avcodec_find_decoder(s->codecpar->codec_id);
    if (codec == nullptr) {
      throw InputError(fmt::format("{}: no decoder for its {} codec", path,
                                   avcodec_get_name(s->codecpar->codec_id)));
    }
    check_frame_pixels(path, s->codecpar->width, s->codecpar->height, spec_.max_pixels);
    dec_ = av::make_codec_context(codec);
    av::check_av(avcodec_parameters_to_context(dec_.get(), s->codecpar), path + ": decoder setup");
    dec_->pkt_timebase = s->time_base;
    dec_->max_pixels = spec_.max_pixels;
    dec_->thread_count = spec_.decoder_threads;
    // Damage must be seen to be reported: frame threads would log it from worker threads.
    if (!spec_.allow_damaged) dec_->thread_type = FF_THREAD_SLICE;
    ret = avcodec_open2(dec_.get(), codec, nullptr);
    if (ret < 0) {
      throw InputError(fmt::format("{}: cannot open the {} decoder ({})", path, codec->name,
                                   av::error_string(ret)));
    }
    info_.type = media_type_from_av(s->codecpar->codec_type);
    info_.codec = codec->name;
    info_.time_base = s->time_base;
    // Times are measured from the stream's start, also after a seek.
    if (s->start_time != AV_NOPTS_VALUE) origin_ = s->start_time;
    pkt_ = av::make_packet();
    if (spec_.start_s > 0) seek_before_start(s);
    prime();
    // Stream properties from the first decoded frame (the decoder knows them by now).
    info_.width = dec_->width;
    info_.height = dec_->height;
    info_.pix_fmt = dec_->pix_fmt;
    info_.frame_rate = av_guess_frame_rate(fmt_.get(), s, nullptr);
    info_.sample_aspect_ratio = dec_->sample_aspect_ratio;
    info_.sample_rate = dec_->sample_rate;
    info_.sample_fmt = dec_->sample_fmt;
    info_.channels = dec_->ch_layout.nb_channels;
    info_.channel_layout = layout_name(dec_->ch_layout);
    if (info_.type == MediaType::kVideo) {
      // The container's word, where it has one, over the first frame's flags (prime()).
      if (s->codecpar->field_order != AV_FIELD_UNKNOWN)
        info_.field_order = s->codecpar->field_order;
      std::size_t size = 0;
      const std::uint8_t* m = av_stream_get_side_data(s, AV_PKT_DATA_DISPLAYMATRIX, &size);
      if (m != nullptr && size >= 9 * sizeof(std::int32_t)) {
        info_.display_matrix.assign(m, m + 9 * sizeof(std::int32_t));
        const double deg = av_display_rotation_get(reinterpret_cast<const std::int32_t*>(m));
        info_.rotation = std::isfinite(deg) ? deg + 0.0 : 0;  // no "-0"
      }
    }
  }

 private:
  av::FramePtr raw_next() override {
    if (peeked_) return std::move(peeked_);
    auto frame = av::make_frame();
    for (;;) {
      const int ret = avcodec_receive_frame(dec_.get(), frame.get());
      if (ret >= 0) {
        // A damaged or truncated input decodes with concealment; measuring against concealed
        // frames would be measuring the damage, so it is an input error unless allowed.
        const bool damaged = frame->decode_error_flags != 0 ||
                             (frame->flags & AV_FRAME_FLAG_CORRUPT) != 0 || !decode_errors_.empty();
        if (damaged) refuse_resource_failure(0);
        if (damaged && !spec_.allow_damaged) {
          throw InputError(fmt::format("{}: damaged or truncated data near frame {}{}", spec_.uri,
                                       decoded_,
                                       decode_errors_.empty() ? "" : " (" + decode_errors_ + ")"));
        }
        ++decoded_;
        return frame;
      }
      if (ret == AVERROR_EOF) return nullptr;
      if (ret != AVERROR(EAGAIN)) {
        refuse_resource_failure(ret);
        throw InputError(fmt::format("{}: decoding failed ({})", spec_.uri, av::error_string(ret)));
      }
      if (eof_) return nullptr;
      const int rd = av_read_frame(fmt_.get(), pkt_.get());
      if (rd == AVERROR_EOF) {
        eof_ = true;
        avcodec_send_packet(dec_.get(), nullptr);
        continue;
      }
      if (rd < 0) {
        throw InputError(fmt::format("{}: read error ({})", spec_.uri, av::error_string(rd)));
      }
      if (pkt_->stream_index == stream_) {
        LogCapture capture(AV_LOG_ERROR);
        const int sr = avcodec_send_packet(dec_.get(), pkt_.get());
        if (decode_errors_.empty()) decode_errors_ = capture.errors();
        if (sr < 0) refuse_resource_failure(sr);
        if (sr < 0 && sr != AVERROR(EAGAIN) && sr != AVERROR_INVALIDDATA) {
          av_packet_unref(pkt_.get());
          throw InputError(
              fmt::format("{}: decoding failed ({})", spec_.uri, av::error_string(sr)));
        }
      }
      av_packet_unref(pkt_.get());
    }
  }

  // A decoder that failed for want of memory, or refused a frame above max_pixels (FFmpeg says
  // "Picture size WxH is invalid" and fails its buffer), is not a damaged input: "too large"
  // (exit 3) or "out of memory" (exit 9), whatever the decoder logged around it.
  void refuse_resource_failure(int ret) {
    detail::refuse_refused_picture(spec_.uri, decode_errors_, spec_.max_pixels);
    if (ret == AVERROR(EINVAL))
      check_frame_pixels(spec_.uri, dec_->width, dec_->height, spec_.max_pixels);
    if (ret == AVERROR(ENOMEM) || decode_errors_.find("get_buffer() failed") != std::string::npos) {
      throw ResourceError(fmt::format(
          "{}: out of memory decoding frame {} ({}): a limit of this process or machine; fewer "
          "threads or jobs at once may fit",
          spec_.uri, decoded_, decode_errors_.empty() ? av::error_string(ret) : decode_errors_));
    }
  }

  // Seeks to a point at or before the requested start; the frames before the start are then
  // decoded and dropped (pull), so the first frame kept is exactly the first at or after it.
  // Demuxers seek by timestamp approximately (MPEG program streams land a few frames after the
  // target), so the first frame after each seek is checked, and the seek goes further back
  // until it lands early enough, in the end to the stream's start.
  void seek_before_start(const AVStream* s) {
    const std::int64_t origin = s->start_time != AV_NOPTS_VALUE ? s->start_time : 0;
    const double tb = av_q2d(s->time_base);
    for (const double margin : {0.0, 1.0, 4.0, 16.0, -1.0}) {
      const double at = margin < 0 ? 0.0 : std::max(0.0, spec_.start_s - margin);
      const auto target = origin + static_cast<std::int64_t>(at / tb);
      if (av_seek_frame(fmt_.get(), stream_, target, AVSEEK_FLAG_BACKWARD) < 0) {
        // A stream that cannot seek is read from where it is (the start).
        if (margin >= 0) continue;
        return;
      }
      avcodec_flush_buffers(dec_.get());
      eof_ = false;
      peeked_.reset();
      av::FramePtr f = raw_next();
      if (!f) return;
      const std::int64_t pts =
          f->best_effort_timestamp != AV_NOPTS_VALUE ? f->best_effort_timestamp : f->pts;
      peeked_ = std::move(f);
      if (at == 0.0 || pts == AV_NOPTS_VALUE ||
          static_cast<double>(pts - origin) * tb <= spec_.start_s + 1e-9) {
        return;
      }
    }
  }

  av::InputFormatPtr fmt_;
  av::CodecContextPtr dec_;
  av::PacketPtr pkt_;
  av::FramePtr peeked_;  ///< a frame seek_before_start decoded to check where it landed
  int stream_ = -1;
  bool eof_ = false;
  std::int64_t decoded_ = 0;
  std::string decode_errors_;  ///< first FFmpeg error messages of the source decoder
};

// Why a parsed source graph would give frames for ever ("" when every source in it ends), read
// from the filters' own options after FFmpeg parsed them: a source generator ends only with a
// positive duration (0 and -1 mean for ever), movie/amovie with loop=0 and loop/aloop with
// loop=-1 repeat for ever.
std::string endless_reason(const AVFilterGraph& g) {
  for (unsigned i = 0; i < g.nb_filters; ++i) {
    AVFilterContext* f = g.filters[i];
    const std::string name = f->filter->name;
    std::int64_t v = 0;
    if (name == "loop" || name == "aloop") {
      if (av_opt_get_int(f, "loop", AV_OPT_SEARCH_CHILDREN, &v) >= 0 && v < 0)
        return name + " with loop=-1 repeats for ever";
      continue;
    }
    if (f->nb_inputs != 0) continue;
    if (name == "movie" || name == "amovie") {
      if (av_opt_get_int(f, "loop", AV_OPT_SEARCH_CHILDREN, &v) >= 0 && v == 0)
        return name + " with loop=0 repeats for ever";
      continue;
    }
    if (av_opt_get_int(f, "duration", AV_OPT_SEARCH_CHILDREN, &v) < 0)
      return name + " has no duration option";
    if (v <= 0) return name + " without a positive duration";
  }
  return "";
}

class LavfiSource final : public TrimmedSource {
 public:
  explicit LavfiSource(const SourceSpec& spec) : TrimmedSource(spec) {
    const std::string graph_text = spec_.uri.substr(6);
    if (graph_text.empty()) throw InputError(fmt::format("{}: empty lavfi graph", spec_.uri));
    graph_.reset(avfilter_graph_alloc());
    if (!graph_) throw FFmpegError(AVERROR(ENOMEM), "allocating a filter graph");
    graph_->nb_threads = 1;
    LogCapture capture(AV_LOG_ERROR);
    AVFilterInOut* inputs = nullptr;
    AVFilterInOut* outputs = nullptr;
    int ret = avfilter_graph_parse2(graph_.get(), graph_text.c_str(), &inputs, &outputs);
    auto fail = [&](const std::string& what, int code) {
      avfilter_inout_free(&inputs);
      avfilter_inout_free(&outputs);
      const std::string logs = capture.errors();
      throw InputError(fmt::format("{}: {} ({}{})", spec_.uri, what, av::error_string(code),
                                   logs.empty() ? "" : "; " + logs));
    };
    if (ret < 0) fail("invalid lavfi graph", ret);
    if (inputs != nullptr) fail("a lavfi source graph must not have open inputs", AVERROR(EINVAL));
    if (spec_.max_frames < 0 && spec_.duration_s < 0) {
      if (const std::string why = endless_reason(*graph_); !why.empty()) {
        avfilter_inout_free(&outputs);
        throw InputError(
            fmt::format("{}: this source never ends ({}); add duration=SECONDS to "
                        "it or limit the frames",
                        spec_.uri, why));
      }
    }
    if (outputs == nullptr || outputs->next != nullptr) {
      fail("a lavfi source graph must have exactly one open output", AVERROR(EINVAL));
    }
    const AVMediaType type =
        avfilter_pad_get_type(outputs->filter_ctx->output_pads, outputs->pad_idx);
    const bool video = type == AVMEDIA_TYPE_VIDEO;
    if (media_type_from_av(type) != spec_.type) {
      fail(fmt::format("the graph gives {} but {} was requested",
                       media_type_name(media_type_from_av(type)), media_type_name(spec_.type)),
           AVERROR(EINVAL));
    }
    ret = avfilter_graph_create_filter(&sink_,
                                       avfilter_get_by_name(video ? "buffersink" : "abuffersink"),
                                       "out", nullptr, nullptr, graph_.get());
    if (ret < 0) fail("cannot create the sink", ret);
    ret = avfilter_link(outputs->filter_ctx, outputs->pad_idx, sink_, 0);
    if (ret < 0) fail("cannot link the sink", ret);
    avfilter_inout_free(&outputs);
    ret = avfilter_graph_config(graph_.get(), nullptr);
    if (ret < 0) fail("cannot configure the graph", ret);

    info_.type = media_type_from_av(type);
    info_.codec = video ? "rawvideo" : "pcm";
    info_.time_base = av_buffersink_get_time_base(sink_);
    info_.width = av_buffersink_get_w(sink_);
    info_.height = av_buffersink_get_h(sink_);
    info_.pix_fmt = static_cast<AVPixelFormat>(video ? av_buffersink_get_format(sink_) : -1);
    info_.frame_rate = av_buffersink_get_frame_rate(sink_);
    info_.sample_aspect_ratio = av_buffersink_get_sample_aspect_ratio(sink_);
    if (!video) {
      info_.sample_rate = av_buffersink_get_sample_rate(sink_);
      info_.sample_fmt = static_cast<AVSampleFormat>(av_buffersink_get_format(sink_));
      AVChannelLayout layout{};
      if (av_buffersink_get_ch_layout(sink_, &layout) >= 0) {
        info_.channels = layout.nb_channels;
        info_.channel_layout = layout_name(layout);
        av_channel_layout_uninit(&layout);
      }
    }
    prime();
  }

 private:
  av::FramePtr raw_next() override {
    auto frame = av::make_frame();
    const int ret = av_buffersink_get_frame(sink_, frame.get());
    if (ret == AVERROR_EOF) return nullptr;
    av::check_av(ret, spec_.uri + ": reading the lavfi graph");
    frame->best_effort_timestamp = frame->pts;
    return frame;
  }

  av::FilterGraphPtr graph_;
  AVFilterContext* sink_ = nullptr;
};

}  // namespace

std::string field_order_name(AVFieldOrder order) {
  switch (order) {
    case AV_FIELD_PROGRESSIVE:
      return "progressive";
    case AV_FIELD_TT:
      return "tt";
    case AV_FIELD_BB:
      return "bb";
    case AV_FIELD_TB:
      return "tb";
    case AV_FIELD_BT:
      return "bt";
    default:
      return "unknown";
  }
}

const std::vector<SourceKind>& source_registry() {
  static const std::vector<SourceKind> kinds = {
      {"lavfi", "lavfi:GRAPH  synthetic source graph, e.g. lavfi:testsrc2=size=1280x720:duration=5",
       [](const std::string& uri) { return uri.rfind("lavfi:", 0) == 0; },
       [](const SourceSpec& s) -> std::unique_ptr<FrameSource> {
         return std::make_unique<LavfiSource>(s);
       }},
      {"sequence",
       "PATTERN  numbered images as ffmpeg reads them, e.g. png/%03d.png (first of 0..4 to a gap; "
       "25 fps)",
       [](const std::string& uri) { return is_sequence_pattern(uri); },
       [](const SourceSpec& s) -> std::unique_ptr<FrameSource> {
         return std::make_unique<FileSource>(s, true);
       }},
      {"file", "PATH  any file libavformat opens", [](const std::string&) { return true; },
       [](const SourceSpec& s) -> std::unique_ptr<FrameSource> {
         return std::make_unique<FileSource>(s, false);
       }},
  };
  return kinds;
}

MediaType source_media_type(const std::string& uri) {
  if (uri.rfind("lavfi:", 0) != 0) {
    // A file: look at its streams (cheap: no decoding). Unreadable files stay unknown, and the
    // job reports why.
    LogCapture quiet(AV_LOG_ERROR);
    AVFormatContext* raw = nullptr;
    const AVInputFormat* forced =
        is_sequence_pattern(uri) ? av_find_input_format("image2") : nullptr;
    if (avformat_open_input(&raw, uri.c_str(), forced, nullptr) < 0) return MediaType::kUnknown;
    av::InputFormatPtr fmt(raw);
    if (av::find_stream_info(fmt.get(), limits::kFramePixels) < 0) return MediaType::kUnknown;
    const bool video = av_find_best_stream(fmt.get(), AVMEDIA_TYPE_VIDEO, -1, -1, nullptr, 0) >= 0;
    const bool audio = av_find_best_stream(fmt.get(), AVMEDIA_TYPE_AUDIO, -1, -1, nullptr, 0) >= 0;
    if (video && !audio) return MediaType::kVideo;
    if (audio && !video) return MediaType::kAudio;
    return MediaType::kUnknown;
  }
  av::FilterGraphPtr graph(avfilter_graph_alloc());
  if (!graph) return MediaType::kUnknown;
  LogCapture quiet(AV_LOG_ERROR);
  AVFilterInOut* inputs = nullptr;
  AVFilterInOut* outputs = nullptr;
  MediaType type = MediaType::kUnknown;
  if (avfilter_graph_parse2(graph.get(), uri.c_str() + 6, &inputs, &outputs) >= 0 &&
      outputs != nullptr) {
    type = media_type_from_av(
        avfilter_pad_get_type(outputs->filter_ctx->output_pads, outputs->pad_idx));
  }
  avfilter_inout_free(&inputs);
  avfilter_inout_free(&outputs);
  return type;
}

std::unique_ptr<FrameSource> open_source(const SourceSpec& spec) {
  if (spec.uri.empty()) throw InputError("empty input name");
  if (spec.max_frames == 0)
    throw InputError(fmt::format("{}: a zero-frame trim selects nothing", spec.uri));
  if (spec.duration_s == 0)
    throw InputError(fmt::format("{}: a zero duration selects nothing", spec.uri));
  if (!(spec.start_s >= 0) || !std::isfinite(spec.start_s)) {
    throw InputError(fmt::format("{}: the start time must be a finite number of seconds, not {}",
                                 spec.uri, spec.start_s));
  }
  if (spec.max_frames < -1) {
    throw InputError(fmt::format("{}: {} frames is not a trim", spec.uri, spec.max_frames));
  }
  if (std::isnan(spec.duration_s) || std::isinf(spec.duration_s) ||
      (spec.duration_s < 0 && spec.duration_s != -1.0)) {
    throw InputError(fmt::format("{}: the duration must be a positive number of seconds, not {}",
                                 spec.uri, spec.duration_s));
  }
  for (const auto& kind : source_registry()) {
    if (kind.accepts(spec.uri)) return kind.open(spec);
  }
  throw InputError(fmt::format("{}: no source kind accepts this input", spec.uri));
}

}  // namespace codecbench
