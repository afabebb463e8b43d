// The job engine: source -> (convert) -> encoder -> decoder -> (convert) -> metrics.
// Frames are matched in presentation order: each decoded frame is compared with the oldest
// reference frame still waiting, so only the encoder's delay is held in memory.
#include "codecbench/media/transcode.hpp"

#include <fmt/core.h>
#include <tbb/parallel_pipeline.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <cmath>
#include <deque>
#include <filesystem>
#include <mutex>
#include <optional>
#include <set>

#include "codecbench/catalog/catalog.hpp"
#include "codecbench/core/error.hpp"
#include "codecbench/core/limits.hpp"
#include "codecbench/core/log.hpp"
#include "job_common.hpp"

namespace codecbench {
namespace {

using detail::Clock;
using detail::StageTimer;
using Pair = std::pair<av::FramePtr, av::FramePtr>;  // reference, decoded

std::string pix_fmt_name(AVPixelFormat f) {
  const char* n = av_get_pix_fmt_name(f);
  return n != nullptr ? n : "none";
}

// Converts frames between pixel formats and sizes with swscale; passes through when neither
// changes. Format-only conversions use bicubic (no resampling happens at equal sizes).
class Converter {
 public:
  Converter(int w, int h, AVPixelFormat from, AVPixelFormat to)
      : Converter(w, h, from, w, h, to, SWS_BICUBIC) {}
  Converter(int sw, int sh, AVPixelFormat from, int dw, int dh, AVPixelFormat to, int algorithm)
      : sh_(sh), dw_(dw), dh_(dh), to_(to) {
    if (from == to && sw == dw && sh == dh) return;
    sws_.reset(sws_getContext(sw, sh, from, dw, dh, to,
                              algorithm | SWS_ACCURATE_RND | SWS_FULL_CHR_H_INT, nullptr, nullptr,
                              nullptr));
    if (!sws_) {
      throw Error(fmt::format("swscale cannot convert {} {}x{} to {} {}x{}", pix_fmt_name(from), sw,
                              sh, pix_fmt_name(to), dw, dh));
    }
  }

  av::FramePtr operator()(const AVFrame& in) const {
    if (!sws_) {
      av::FramePtr out(av_frame_clone(&in));
      if (!out) throw FFmpegError(AVERROR(ENOMEM), "cloning a frame");
      return out;
    }
    auto out = av::make_frame();
    out->format = to_;
    out->width = dw_;
    out->height = dh_;
    av::check_av(av_frame_get_buffer(out.get(), 0), "allocating a converted frame");
    sws_scale(sws_.get(), in.data, in.linesize, 0, sh_, out->data, out->linesize);
    av::check_av(av_frame_copy_props(out.get(), &in), "copying frame properties");
    return out;
  }

 private:
  int sh_, dw_, dh_;
  AVPixelFormat to_;
  av::SwsPtr sws_;
};

class Job {
 public:
  explicit Job(const JobSpec& spec) : spec_(spec) {}

  JobResult run() {
    const auto start = Clock::now();
    const auto before = detail::RusageSnapshot::now();
    const AVCodec* enc_codec = start_result();
    Input in = open_input();
    const AVPixelFormat enc_fmt = encoder_format(enc_codec, *in.info);
    open_codecs(enc_codec, enc_fmt, *in.info);
    // A scaled encode is measured at the source's size; a cropped one at the crop.
    r_.metric_width = scaled() ? in.info->width : r_.width;
    r_.metric_height = scaled() ? in.info->height : r_.height;
    in.mw = r_.metric_width;
    in.mh = r_.metric_height;
    std::vector<std::unique_ptr<VideoMetric>> metrics = make_metrics(in.mw, in.mh);
    metrics_ = &metrics;
    in.to_metric.emplace(in.mw, in.mh, in.info->pix_fmt, metric_fmt_);
    in.to_encoder.emplace(in.mw, in.mh, metric_fmt_, r_.width, r_.height, enc_fmt, scale_flags_);
    in.frame_bytes = av_image_get_buffer_size(in.info->pix_fmt, in.mw, in.mh, 1);
    run_stages(in);
    r_.frames = in.index;
    if (measuring() && (decoded_ != in.index || !references_.empty())) {
      throw Error(fmt::format("{} with {}: encoded {} frames but decoded {}", spec_.input.uri,
                              spec_.encoder, in.index, decoded_));
    }
    r_.kept_bytes = kept_.finish();
    for (std::size_t i = 0; i < metrics.size(); ++i) {
      r_.metrics[i].summary = metrics[i]->summary();
      if (spec_.per_frame && metrics[i]->defers_frames()) {
        r_.metrics[i].frames = metrics[i]->frame_values();
      }
    }
    r_.first_frame_s = in.info->first_frame_s;
    finish_figures();
    detail::finish_timing(r_, before, start);
    return std::move(r_);
  }

 private:
  // The source and the conversions each frame goes through: to the metrics' format at the
  // measured size (mw x mh), and from there to the encoder's size and format.
  struct Input {
    std::unique_ptr<FrameSource> source;
    const StreamInfo* info = nullptr;
    int mw = 0, mh = 0;
    std::optional<Converter> to_metric, to_encoder;
    int frame_bytes = 0;
    std::int64_t index = 0;  ///< frames read
  };

  // What travels down the pipeline with one source frame: the encoder's input, the
  // reference (handed from stage to stage, never shared), the packets its encoding gave
  // and the decoded frames paired with their references.
  // A flush step carries no frame: its encode stage takes the encoder's next delayed packet,
  // so that decoding and measuring the frames an encoder holds back (libx264's lookahead:
  // 40 and more) overlap the rest of its flush instead of following it.
  struct Work {
    av::FramePtr enc_in;
    av::FramePtr ref;
    std::vector<av::PacketPtr> packets;
    std::vector<Pair> pairs;
    bool flush = false;
    bool last = false;  ///< the encoder gave its last packet in this step
  };

  // Each stage's work and waits (StageTime), the stages being serial: one frame at a time.
  struct StageClock {
    StageTime& t;
    Clock::time_point last;
    Clock::time_point entered{};
    void enter() {
      entered = Clock::now();
      t.waited_s += std::chrono::duration<double>(entered - last).count();
    }
    void leave(bool frame) {
      last = Clock::now();
      t.worked_s += std::chrono::duration<double>(last - entered).count();
      if (frame) ++t.frames;
    }
  };

  // The result's first fields and the metric names (checked, "none" taken out); the encoder.
  const AVCodec* start_result() {
    r_.type = MediaType::kVideo;
    r_.input = spec_.input.uri;
    r_.ffmpeg_version = av_version_info();
    r_.threads_requested = spec_.threads;
    thread_type_ = detail::parse_thread_type(spec_.thread_type);
    const AVCodec* enc_codec = detail::find_encoder(spec_.encoder);
    metric_names_ = spec_.metrics;
    none_ = metric_names_.size() == 1 && metric_names_[0] == "none";
    if (none_) metric_names_.clear();
    std::vector<std::string> seen;
    for (const auto& m : metric_names_) {
      (void)find_video_metric(m);
      const std::string base = parse_metric_spec(m).name;
      if (std::find(seen.begin(), seen.end(), base) != seen.end()) {
        throw UsageError(fmt::format("metric '{}' is named twice in one job", base));
      }
      seen.push_back(base);
    }
    r_.encoder = enc_codec->name;
    r_.codec = avcodec_get_name(enc_codec->id);
    return enc_codec;
  }

  // Opens the source (from the shared references when the batch has them) and records what
  // it is: format, size, rate, rotation, and the scaled size when the job scales.
  Input open_input() {
    Input in;
    SourceSpec source_spec = spec_.input;
    source_spec.decoder_threads = spec_.threads;
    source_spec.type = MediaType::kVideo;
    {
      StageTimer t(r_.source_s);
      in.source = spec_.references != nullptr ? spec_.references->open(source_spec)
                                              : open_source(source_spec);
    }
    in.info = &in.source->info();
    const StreamInfo& info = *in.info;
    // Frames the job holds at once: the pipeline's, the references waiting for the encoder's
    // delay, and one a codec thread (0: FFmpeg's auto, up to 16).
    const int threads = spec_.threads > 0 ? spec_.threads : 16;
    check_frames_in_flight(spec_.input.uri, info.width, info.height, info.pix_fmt,
                           8 + 2 * std::int64_t{threads});
    r_.source_pix_fmt = pix_fmt_name(info.pix_fmt);
    r_.source_width = info.width;
    r_.source_height = info.height;
    r_.frame_rate = av_q2d(frame_rate(info));
    r_.rotation = info.rotation;
    r_.field_order = field_order_name(info.field_order);
    if (spec_.scale.active()) {
      scale_flags_ = scaler_flags(spec_.scale.scaler);
      r_.scaler = spec_.scale.scaler;
      target_ = scaled_size(spec_.scale, info.width, info.height, info.sample_aspect_ratio);
    }
    return in;
  }

  static AVRational frame_rate(const StreamInfo& info) {
    return info.frame_rate.num > 0 ? info.frame_rate : AVRational{25, 1};
  }

  // The metrics' format (the source's when FFmpeg's filters accept it) and the encoder's.
  AVPixelFormat encoder_format(const AVCodec* enc_codec, const StreamInfo& info) {
    metric_fmt_ = planar_metric_format(info.pix_fmt) ? info.pix_fmt : AV_PIX_FMT_YUV444P;
    AVPixelFormat enc_fmt = detail::requested_pix_fmt(spec_, enc_codec);
    if (enc_fmt == AV_PIX_FMT_NONE) {
      enc_fmt = metric_fmt_;
      if (enc_codec->pix_fmts != nullptr) {
        enc_fmt = avcodec_find_best_pix_fmt_of_list(enc_codec->pix_fmts, metric_fmt_, 0, nullptr);
      }
    }
    const AVPixFmtDescriptor* enc_desc = av_pix_fmt_desc_get(enc_fmt);
    if (enc_desc == nullptr || (enc_desc->flags & AV_PIX_FMT_FLAG_HWACCEL) != 0) {
      throw UsageError(
          fmt::format("encoder '{}' takes only hardware frames; hardware encoders "
                      "are not supported by transcode yet",
                      spec_.encoder));
    }
    r_.encoder_pix_fmt = pix_fmt_name(enc_fmt);
    r_.metric_pix_fmt = pix_fmt_name(metric_fmt_);
    return enc_fmt;
  }

  // The kept stream, the encoder and (when measuring) the decoder.
  void open_codecs(const AVCodec* enc_codec, AVPixelFormat enc_fmt, const StreamInfo& info) {
    kept_.prepare(spec_.keep_path, enc_codec);
    kept_.set_display_matrix(info.display_matrix);
    if (const std::string why = kept_.display_matrix_dropped(); !why.empty()) {
      rotation_note_ = fmt::format("the kept file is not rotated by {:g} degrees as the source: {}",
                                   info.rotation, why);
    }
    open_encoder(enc_codec, enc_fmt, info, frame_rate(info));
    // Defaults: FFmpeg's two. MS-SSIM costs about as much as a fast encode (docs/performance.md),
    // so it is asked for by name. "none" measures nothing: an encode-only run, no decoder.
    if (metric_names_.empty() && !none_) metric_names_ = default_metric_names(MediaType::kVideo);
    if (measuring()) {
      open_decoder(enc_codec);
    } else {
      kept_.start(enc_.get());
    }
  }

  // Each metric, checked against the frames' size and format; its result slot made.
  std::vector<std::unique_ptr<VideoMetric>> make_metrics(int mw, int mh) {
    for (const auto& name : metric_names_) {
      const int need = find_video_metric(name).min_size;
      if (mw < need || mh < need) {
        throw UsageError(fmt::format("metric {} needs frames of at least {}x{} (these are {}x{})",
                                     name, need, need, mw, mh));
      }
    }
    std::vector<std::unique_ptr<VideoMetric>> metrics;
    for (const auto& name : metric_names_) {
      const MetricSpec ms = parse_metric_spec(name);
      const MetricDescriptor& d = find_video_metric(ms.name);
      if (!d.supports(metric_fmt_)) {
        throw UsageError(fmt::format("metric {} does not measure {} frames", ms.name,
                                     pix_fmt_name(metric_fmt_)));
      }
      metrics.push_back(d.create(metric_fmt_, mw, mh, ms.options));
      r_.metrics.push_back({ms.name, {}, {}});
    }
    return metrics;
  }

  // Reads, checks and converts the next source frame; null at the end.
  std::unique_ptr<Work> read_next(Input& in) {
    StageTimer t(r_.source_s);
    const StreamInfo& info = *in.info;
    av::FramePtr src = in.source->next();
    if (!src) return nullptr;
    if (src->width != info.width || src->height != info.height || src->format != info.pix_fmt) {
      throw InputError(
          fmt::format("{}: frame {} changes size or format mid-stream", spec_.input.uri, in.index));
    }
    source_hash_.update(*src);
    // A crop keeps the top-left corner: only the visible size changes.
    src->width = in.mw;
    src->height = in.mh;
    auto work = std::make_unique<Work>();
    av::FramePtr ref = (*in.to_metric)(*src);
    work->enc_in = (*in.to_encoder)(*ref);
    work->enc_in->pts = encoder_pts(*src, info.time_base);
    work->enc_in->pict_type = AV_PICTURE_TYPE_NONE;
    if (measuring()) work->ref = std::move(ref);
    r_.raw_bytes += static_cast<std::uint64_t>(in.frame_bytes);
    ++in.index;
    return work;
  }

  // Every frame through the encoder (and decoder and metrics when measuring), then the flush.
  void run_stages(Input& in) {
    r_.stages = {{"read", 0, 0, 0}, {"encode", 0, 0, 0}};
    if (measuring()) {
      r_.stages.push_back({"decode", 0, 0, 0});
      r_.stages.push_back({"measure", 0, 0, 0});
    }
    const auto pipeline_start = Clock::now();
    StageClock read_clock{r_.stages[0], pipeline_start};
    StageClock encode_clock{r_.stages[1], pipeline_start};
    bool drained = false;
    if (!measuring() && r_.encoder_threads != 1) {
      // Encode only with a multi-threaded encoder: the encoder's threads use the cores, and
      // idle pipeline workers would only take CPU from them.
      for (;;) {
        read_clock.enter();
        auto work = read_next(in);
        read_clock.leave(work != nullptr);
        if (!work) break;
        encode_clock.enter();
        encode(work->enc_in.get());
        encode_clock.leave(true);
      }
    } else {
      // The decode and measure clocks run only when measuring (their stages return at once
      // otherwise); without those stages they point at a stage they never touch.
      StageClock decode_clock{r_.stages[measuring() ? 2 : 1], pipeline_start};
      StageClock measure_clock{r_.stages.back(), pipeline_start};
      drained = pipeline(in, {&read_clock, &encode_clock, &decode_clock, &measure_clock});
    }
    if (!drained) {
      encode(nullptr);
      if (measuring()) decode(nullptr);
      measure(ready_);
      ready_.clear();
    }
  }

  // TBB passes raw pointers between the stages; when a stage throws (a damaged input), the
  // frames still in flight are freed here instead of leaking.
  struct InFlight {
    std::mutex mutex;
    std::set<Work*> live;
    Work* add(std::unique_ptr<Work> w) {
      if (!w) return nullptr;
      std::lock_guard lock(mutex);
      live.insert(w.get());
      return w.release();
    }
    std::unique_ptr<Work> take(Work* w) {
      std::lock_guard lock(mutex);
      live.erase(w);
      return std::unique_ptr<Work>(w);
    }
    ~InFlight() {
      for (Work* w : live) delete w;
    }
  };

  // Four stages overlap on TBB: reading/converting frame n+1, encoding frame n, decoding the
  // packets of frame n-1 and measuring frame n-2 run at once; each stage is serial and in
  // order, and at most kLiveFrames frames are in flight, so memory stays bounded whatever the
  // input's length. Decoding apart from encoding lets a single-threaded encoder run while the
  // other core decodes. True when the flush steps drained the encoder.
  bool pipeline(Input& in, std::array<StageClock*, 4> clocks) {
    constexpr std::size_t kLiveFrames = 5;
    StageClock& read_clock = *clocks[0];
    StageClock& encode_clock = *clocks[1];
    StageClock& decode_clock = *clocks[2];
    StageClock& measure_clock = *clocks[3];
    bool source_done = false;           // read stage only
    std::atomic<bool> drained = false;  // the encoder gave its last packet (pipelined flush)
    InFlight in_flight;
    tbb::parallel_pipeline(
        kLiveFrames,
        tbb::make_filter<void, Work*>(tbb::filter_mode::serial_in_order,
                                      [&](tbb::flow_control& fc) -> Work* {
                                        if (!source_done) {
                                          read_clock.enter();
                                          auto work = read_next(in);
                                          read_clock.leave(work != nullptr);
                                          if (work) return in_flight.add(std::move(work));
                                          source_done = true;
                                        }
                                        if (drained.load()) {
                                          fc.stop();
                                          return nullptr;
                                        }
                                        auto step = std::make_unique<Work>();
                                        step->flush = true;
                                        return in_flight.add(std::move(step));
                                      }) &
            tbb::make_filter<Work*, Work*>(tbb::filter_mode::serial_in_order,
                                           [&](Work* work) {
                                             // Steps read after the last one are empty.
                                             if (work->flush && drained.load()) return work;
                                             encode_clock.enter();
                                             collect_ = measuring() ? &work->packets : nullptr;
                                             if (work->flush) {
                                               work->last = encode(nullptr, 1);
                                               if (work->last) drained.store(true);
                                             } else {
                                               encode(work->enc_in.get());
                                             }
                                             collect_ = nullptr;
                                             work->enc_in.reset();
                                             encode_clock.leave(!work->flush);
                                             return work;
                                           }) &
            tbb::make_filter<Work*, Work*>(tbb::filter_mode::serial_in_order,
                                           [&](Work* work) {
                                             if (!measuring()) return work;
                                             decode_clock.enter();
                                             if (work->ref) {
                                               references_.push_back(std::move(work->ref));
                                             }
                                             for (auto& pkt : work->packets) decode(pkt.get());
                                             if (work->last) decode(nullptr);
                                             work->packets.clear();
                                             work->pairs = std::move(ready_);
                                             ready_.clear();
                                             decode_clock.leave(!work->flush);
                                             return work;
                                           }) &
            tbb::make_filter<Work*, void>(tbb::filter_mode::serial_in_order, [&](Work* work) {
              std::unique_ptr<Work> owned = in_flight.take(work);
              if (!measuring()) return;
              if (owned->pairs.empty() && owned->flush) return;
              measure_clock.enter();
              measure(owned->pairs);
              measure_clock.leave(!owned->flush);
            }));
    return drained.load();
  }

  // Duration, adjustments, compression, bitrate and the hashes, once every frame is through.
  void finish_figures() {
    // Constant rate: frames / rate. Variable: the last frame's time plus one frame interval,
    // as a container computes the stream's duration.
    r_.duration_s = r_.vfr ? static_cast<double>(next_pts_) * av_q2d(enc_->time_base)
                           : static_cast<double>(r_.frames) / r_.frame_rate;
    if (!rotation_note_.empty()) {
      r_.adjustment += (r_.adjustment.empty() ? "" : "; ") + rotation_note_;
    }
    if (r_.retimed_frames > 0) {
      r_.adjustment += fmt::format(
          "{}{} frame(s) closer together than 1/{:g} s moved later by up to one "
          "frame interval (the encoder's time base)",
          r_.adjustment.empty() ? "" : "; ", r_.retimed_frames, 1 / av_q2d(enc_->time_base));
    }
    if (r_.bitstream_bytes > 0) {
      r_.compression_ratio =
          static_cast<double>(r_.raw_bytes) / static_cast<double>(r_.bitstream_bytes);
    }
    const double bits = 8.0 * static_cast<double>(r_.bitstream_bytes);
    r_.bitrate_kbps = bits / r_.duration_s / 1000.0;
    r_.bits_per_pixel = bits / (static_cast<double>(r_.width) * r_.height * r_.frames);
    r_.encode_fps = r_.encode_s > 0 ? static_cast<double>(r_.frames) / r_.encode_s : 0;
    r_.bitstream_md5 = bitstream_hash_.hex();
    r_.source_hash = source_hash_.hex();
  }

 private:
  // Opens the encoder; when it refuses the source size under a chroma-subsampled format
  // (libx264 rejects 720x405 in yuv420p), crops to the nearest size it accepts and says so.
  void open_encoder(const AVCodec* c, AVPixelFormat fmt, const StreamInfo& info, AVRational rate) {
    const AVPixFmtDescriptor* d = av_pix_fmt_desc_get(fmt);
    // A scaled encode tries the asked size, then the same rounded down to the multiples an
    // encoder may need: it is scaled there instead (and measured at the source's size anyway).
    const auto [want_w, want_h] = scaled() ? target_ : std::make_pair(info.width, info.height);
    std::vector<std::pair<int, int>> sizes{{want_w, want_h}};
    const int mw = 1 << d->log2_chroma_w;
    const int mh = 1 << d->log2_chroma_h;
    for (int m : {1, 8, 16}) {
      const int w = want_w / (mw * m) * (mw * m);
      const int h = want_h / (mh * m) * (mh * m);
      if (w > 0 && h > 0 && std::make_pair(w, h) != sizes.back()) sizes.emplace_back(w, h);
    }
    // MPEG-4 Part 2 stores its time base in 16 bits: a 15 fps AVI whose time base is
    // 66667/1000000 is given to it as 15/1, as the ffmpeg CLI reduces it.
    AVRational enc_rate = rate;
    std::string rate_note;
    if (c->id == AV_CODEC_ID_MPEG4 && (rate.num > 65535 || rate.den > 65535)) {
      av_reduce(&enc_rate.num, &enc_rate.den, rate.num, rate.den, 65535);
      rate_note = fmt::format(
          "frame rate {}/{} given to {} as {}/{} (its time base has 16 bits; as the ffmpeg CLI "
          "does)",
          rate.num, rate.den, c->name, enc_rate.num, enc_rate.den);
    }
    std::string first_error;
    for (const auto& [w, h] : sizes) {
      enc_ = av::make_codec_context(c);
      enc_->width = w;
      enc_->height = h;
      enc_->pix_fmt = fmt;
      enc_->time_base = av_inv_q(enc_rate);
      enc_->framerate = enc_rate;
      enc_->sample_aspect_ratio = info.sample_aspect_ratio;
      enc_->field_order = info.field_order;
      if (scaled() && info.sample_aspect_ratio.num > 0) {
        // The display aspect ratio stays the source's.
        av_reduce(&enc_->sample_aspect_ratio.num, &enc_->sample_aspect_ratio.den,
                  static_cast<std::int64_t>(info.sample_aspect_ratio.num) * info.width * h,
                  static_cast<std::int64_t>(info.sample_aspect_ratio.den) * info.height * w,
                  1 << 16);
      }
      enc_->thread_count = spec_.threads;
      enc_->thread_type = thread_type_;
      if (kept_.needs_global_header()) enc_->flags |= AV_CODEC_FLAG_GLOBAL_HEADER;
      std::string error;
      const int ret = detail::open_with_options(enc_.get(), c, spec_, error);
      if (ret >= 0) {
        r_.width = w;
        r_.height = h;
        r_.adjustment = rate_note;
        if (scaled() && (w != want_w || h != want_h)) {
          r_.adjustment +=
              fmt::format("{}scaled to {}x{} instead of {}x{}: {} refused that size in {}{}",
                          rate_note.empty() ? "" : "; ", w, h, want_w, want_h, c->name,
                          pix_fmt_name(fmt), first_error.empty() ? "" : " (" + first_error + ")");
        } else if (!scaled() && (w != info.width || h != info.height)) {
          r_.adjustment += fmt::format(
              "{}cropped {}x{} to {}x{} (right/bottom edge): {} refused the source size in {}{}",
              rate_note.empty() ? "" : "; ", info.width, info.height, w, h, c->name,
              pix_fmt_name(fmt), first_error.empty() ? "" : " (" + first_error + ")");
        }
        for (const auto& [k, v] : spec_.options) r_.options.emplace_back(k, v);
        r_.encoder_threads = enc_->thread_count;
        r_.encoder_thread_type = (c->capabilities & AV_CODEC_CAP_OTHER_THREADS) != 0
                                     ? "other"
                                     : detail::thread_type_name(enc_->active_thread_type);
        return;
      }
      if (first_error.empty()) first_error = error;
      // Only refusals that may concern the size are worth another size; anything else is final.
      // (libx265 reports an odd height in 4:2:0 as INVALIDDATA.)
      if (ret != AVERROR(EINVAL) && ret != AVERROR(ERANGE) && ret != AVERROR_EXTERNAL &&
          ret != AVERROR(EPERM) && ret != AVERROR_INVALIDDATA) {
        break;
      }
    }
    throw Error(fmt::format("encoder '{}' refused to open: {}", c->name, first_error),
                ExitCode::kCodec);
  }

  // The encoder's timestamp of a source frame: its own time on the encoder's time base (one
  // tick per nominal frame), so a variable-frame-rate source keeps its timing in the stream
  // and the kept file, as the ffmpeg CLI's default for such containers (-fps_mode vfr). Two
  // frames on one tick would be one too many for the encoder: the later moves to the next.
  std::int64_t encoder_pts(const AVFrame& src, AVRational source_time_base) {
    std::int64_t pts = next_pts_;
    if (src.pts != AV_NOPTS_VALUE) {
      pts = av_rescale_q_rnd(src.pts, source_time_base, enc_->time_base,
                             static_cast<AVRounding>(AV_ROUND_NEAR_INF | AV_ROUND_PASS_MINMAX));
    }
    if (pts < next_pts_) {
      if (next_pts_ > 0) {
        ++r_.retimed_frames;
        r_.vfr = true;
      }
      pts = next_pts_;
    }
    if (pts != next_pts_) r_.vfr = true;
    next_pts_ = pts + 1;
    return pts;
  }

  void open_decoder(const AVCodec* enc_codec) {
    dec_ =
        detail::open_measuring_decoder(enc_.get(), enc_codec, spec_.threads, thread_type_, false);
    r_.decoder = dec_->codec->name;
    r_.decoder_threads = dec_->thread_count;
    r_.decoder_thread_type = detail::thread_type_name(dec_->active_thread_type);
    kept_.start(enc_.get());
  }

  // Encodes `frame` (null: flush, at most `max_packets` of the delayed packets when > 0);
  // true once the encoder is drained.
  bool encode(const AVFrame* frame, int max_packets = 0) {
    return detail::encode_frame(
        enc_.get(), frame, r_.encode_s,
        frame != nullptr ? fmt::format("frame {}", frame->pts) : "the flush",
        [&](AVPacket* pkt) {
          r_.bitstream_bytes += static_cast<std::uint64_t>(pkt->size);
          bitstream_hash_.update(pkt->data, static_cast<std::size_t>(pkt->size));
          ++r_.packets;
          if (collect_ != nullptr) {
            // The decode stage decodes it (the kept file takes this one).
            av::PacketPtr copy(av_packet_clone(pkt));
            if (!copy) throw FFmpegError(AVERROR(ENOMEM), "copying a packet");
            collect_->push_back(std::move(copy));
          } else if (measuring()) {
            decode(pkt);
          }
          kept_.write(pkt, enc_->time_base);
        },
        max_packets);
  }

  void decode(const AVPacket* pkt) {
    detail::decode_packet(dec_.get(), pkt, r_.decode_s,
                          [&](av::FramePtr frame) { pair_with_reference(std::move(frame)); });
  }

  // Pairs a decoded frame with the oldest waiting reference (presentation order).
  void pair_with_reference(av::FramePtr decoded) {
    if (references_.empty()) {
      throw Error(fmt::format("{} with {}: the decoder returned more frames than were encoded",
                              spec_.input.uri, r_.encoder));
    }
    if (decoded->width != r_.width || decoded->height != r_.height) {
      throw Error(fmt::format("{}: decoded size {}x{} differs from the encoded {}x{}", r_.encoder,
                              decoded->width, decoded->height, r_.width, r_.height));
    }
    ready_.emplace_back(std::move(references_.front()), std::move(decoded));
    references_.pop_front();
    ++decoded_;
  }

  void measure(const std::vector<Pair>& pairs) {
    StageTimer t(r_.metric_s);
    for (const auto& [ref, decoded] : pairs) {
      const auto dfmt = static_cast<AVPixelFormat>(decoded->format);
      if (r_.decoder_pix_fmt.empty()) r_.decoder_pix_fmt = pix_fmt_name(dfmt);
      if (!from_decoder_ || from_decoder_fmt_ != dfmt) {
        from_decoder_ = std::make_unique<Converter>(r_.width, r_.height, dfmt, r_.metric_width,
                                                    r_.metric_height, metric_fmt_, scale_flags_);
        from_decoder_fmt_ = dfmt;
      }
      const av::FramePtr dist = (*from_decoder_)(*decoded);
      for (std::size_t i = 0; i < metrics_->size(); ++i) {
        MetricValues v = (*metrics_)[i]->add(*ref, *dist);
        if (spec_.per_frame && !(*metrics_)[i]->defers_frames()) {
          r_.metrics[i].frames.push_back(std::move(v));
        }
      }
    }
  }

  [[nodiscard]] bool measuring() const { return !metric_names_.empty(); }
  [[nodiscard]] bool scaled() const { return target_.first > 0; }

  const JobSpec& spec_;
  JobResult r_;
  detail::Md5 bitstream_hash_;
  detail::FrameHash source_hash_;  ///< of the reference as the source delivered it
  int thread_type_ = 0;
  AVPixelFormat metric_fmt_ = AV_PIX_FMT_NONE;
  av::CodecContextPtr enc_;
  av::CodecContextPtr dec_;
  detail::KeptStream kept_;
  std::vector<std::string> metric_names_;
  /// References waiting for their decoded frame (the decode stage's, or the flush's).
  std::deque<av::FramePtr> references_;
  /// Where the encode stage puts its packets for the decode stage (null: decode at once).
  std::vector<av::PacketPtr>* collect_ = nullptr;
  std::vector<Pair> ready_;  ///< decoded frames paired with their references, not yet measured
  std::vector<std::unique_ptr<VideoMetric>>* metrics_ = nullptr;
  std::unique_ptr<Converter> from_decoder_;
  AVPixelFormat from_decoder_fmt_ = AV_PIX_FMT_NONE;
  std::int64_t decoded_ = 0;
  std::int64_t next_pts_ = 0;         ///< smallest encoder timestamp the next frame may have
  std::string rotation_note_;         ///< why the kept file lacks the source's rotation, or ""
  std::pair<int, int> target_{0, 0};  ///< encoded size asked by JobSpec::scale; 0 = none
  int scale_flags_ = SWS_BICUBIC;
  bool none_ = false;  ///< the job asked for no metrics ("none"): encode only
};

nlohmann::json values_json(const MetricValues& v) {
  nlohmann::json j = nlohmann::json::object();
  for (const auto& [k, x] : v) j[k] = std::isfinite(x) ? nlohmann::json(x) : nlohmann::json("inf");
  return j;
}

}  // namespace

JobResult run_job(const JobSpec& spec) {
  if (spec.threads < 0 || spec.threads > limits::kThreads) {
    throw UsageError(fmt::format("threads must be from 0 (auto) to {} (got {})", limits::kThreads,
                                 spec.threads));
  }
  const AVCodec* encoder = detail::find_encoder(spec.encoder);
  if (encoder->type == AVMEDIA_TYPE_AUDIO) return detail::run_audio_job(spec, encoder);
  if (encoder->type != AVMEDIA_TYPE_VIDEO) {
    throw UsageError(
        fmt::format("encoder '{}' is a {} encoder; transcode measures video and "
                    "audio encoders",
                    spec.encoder, av_get_media_type_string(encoder->type)));
  }
  return Job(spec).run();
}

namespace {

// `quality` (each metric's summary) and `per_frame` (each metric's frames, when kept).
void quality_json(const JobResult& r, nlohmann::json& quality, nlohmann::json& per_frame) {
  quality = nlohmann::json::object();
  per_frame = nlohmann::json::object();
  for (const auto& m : r.metrics) {
    quality[m.name] = values_json(m.summary);
    if (!m.frames.empty()) {
      auto frames = nlohmann::json::array();
      for (const auto& f : m.frames) frames.push_back(values_json(f));
      per_frame[m.name] = std::move(frames);
    }
  }
}

// The fields every job has: what ran, with which threads, sizes and speed.
nlohmann::json common_json(const JobResult& r) {
  nlohmann::json options = nlohmann::json::object();
  for (const auto& [k, v] : r.options) options[k] = v;
  return {{"schema_version", kJobSchemaVersion},
          {"type", media_type_name(r.type)},
          {"input", r.input},
          {"source_hash", r.source_hash},
          {"encoder", r.encoder},
          {"codec", r.codec},
          {"decoder", r.decoder},
          {"options", options},
          {"ffmpeg", r.ffmpeg_version},
          {"threads",
           {{"requested", r.threads_requested},
            {"encoder", r.encoder_threads},
            {"encoder_type", r.encoder_thread_type},
            {"decoder", r.decoder_threads},
            {"decoder_type", r.decoder_thread_type}}},
          {"size",
           {{"packets", r.packets},
            {"bitstream_bytes", r.bitstream_bytes},
            {"bitstream_md5", r.bitstream_md5},
            {"kept_bytes", r.kept_bytes},
            {"raw_bytes", r.raw_bytes},
            {"compression_ratio", r.compression_ratio},
            {"bitrate_kbps", r.bitrate_kbps}}},
          {"speed",
           {{"source_s", r.source_s},
            {"encode_s", r.encode_s},
            {"decode_s", r.decode_s},
            {"metric_s", r.metric_s},
            {"wall_s", r.wall_s},
            {"encode_fps", r.encode_fps},
            {"cpu_user_s", r.cpu_user_s},
            {"cpu_sys_s", r.cpu_sys_s},
            {"peak_rss_kib", r.peak_rss_kib}}}};
}

nlohmann::json stages_json(const JobResult& r) {
  nlohmann::json stages = nlohmann::json::array();
  for (const auto& st : r.stages) {
    stages.push_back({{"name", st.name},
                      {"worked_s", st.worked_s},
                      {"waited_s", st.waited_s},
                      {"frames", st.frames}});
  }
  return stages;
}

// An audio job's formats, its `audio` section and its real-time factor.
void add_audio_json(const JobResult& r, nlohmann::json& j) {
  j["formats"] = {{"source", r.source_sample_fmt},
                  {"encoder", r.encoder_sample_fmt},
                  {"decoder", r.decoder_sample_fmt},
                  {"metrics", "fltp"}};
  j["audio"] = {
      {"source_sample_rate", r.source_sample_rate},
      {"sample_rate", r.sample_rate},
      {"channels", r.channels},
      {"channel_layout", r.channel_layout},
      {"adjustment", r.adjustment},
      {"frame_size", r.frame_size},
      {"samples", r.samples},
      {"padded_samples", r.padded_samples},
      {"encoder_delay", r.encoder_delay},
      {"alignment", r.alignment},
      {"alignment_lag", r.alignment_lag},
      {"correlation_lag", r.correlation_lag},
      {"gain_db", std::isfinite(r.gain_db) ? nlohmann::json(r.gain_db) : nlohmann::json()},
      {"duration_s", r.duration_s}};
  j["speed"]["realtime_factor"] = r.realtime_factor;
}

// A video job's formats, its `video` section and its bits per pixel.
void add_video_json(const JobResult& r, nlohmann::json& j) {
  j["formats"] = {{"source", r.source_pix_fmt},
                  {"encoder", r.encoder_pix_fmt},
                  {"decoder", r.decoder_pix_fmt},
                  {"metrics", r.metric_pix_fmt}};
  j["video"] = {{"source_width", r.source_width},
                {"source_height", r.source_height},
                {"width", r.width},
                {"height", r.height},
                {"adjustment", r.adjustment},
                {"metric_width", r.metric_width},
                {"metric_height", r.metric_height},
                {"frame_rate", r.frame_rate},
                {"frames", r.frames},
                {"duration_s", r.duration_s},
                {"vfr", r.vfr},
                {"first_frame_s", r.first_frame_s},
                {"rotation", r.rotation},
                {"field_order", r.field_order}};
  if (!r.scaler.empty()) j["video"]["scaler"] = r.scaler;
  j["size"]["bits_per_pixel"] = r.bits_per_pixel;
}

}  // namespace

void to_json(nlohmann::json& j, const JobResult& r) {
  nlohmann::json quality, per_frame;
  quality_json(r, quality, per_frame);
  j = common_json(r);
  j["quality"] = std::move(quality);
  if (!r.stages.empty()) j["speed"]["stages"] = stages_json(r);
  if (r.type == MediaType::kAudio) {
    add_audio_json(r, j);
  } else {
    add_video_json(r, j);
  }
  if (!per_frame.empty()) j["per_frame"] = std::move(per_frame);
}

DeterminismCheck determinism_of(const std::vector<JobResult>& runs) {
  DeterminismCheck c;
  if (runs.empty()) return c;
  c.threads = runs.front().encoder_threads;
  c.thread_type = runs.front().encoder_thread_type;
  for (const auto& r : runs) {
    c.md5.push_back(r.bitstream_md5);
    c.bytes.push_back(r.bitstream_bytes);
    if (r.bitstream_md5 != runs.front().bitstream_md5) c.deterministic = false;
  }
  return c;
}

void to_json(nlohmann::json& j, const DeterminismCheck& d) {
  j = {{"deterministic", d.deterministic}, {"runs", d.md5.size()},
       {"bitstream_md5", d.md5},           {"bitstream_bytes", d.bytes},
       {"encoder_threads", d.threads},     {"encoder_thread_type", d.thread_type}};
}

DeterminismCheck check_determinism(const JobSpec& spec, const JobResult& first, int runs) {
  DeterminismCheck c;
  c.threads = first.encoder_threads;
  c.thread_type = first.encoder_thread_type;
  c.md5.push_back(first.bitstream_md5);
  c.bytes.push_back(first.bitstream_bytes);
  JobSpec again = spec;
  again.metrics = {"none"};
  again.per_frame = false;
  // A kept stream changes the bitstream (headers go to extradata for most containers), so the
  // runs again keep one, in the same container, and remove it.
  std::filesystem::path scratch;
  if (!spec.keep_path.empty()) {
    const std::filesystem::path kept(spec.keep_path);
    scratch = kept.parent_path() /
              ("." + kept.stem().string() + ".determinism" + kept.extension().string());
    again.keep_path = scratch.string();
  }
  for (int i = 0; i < std::max(1, runs); ++i) {
    JobResult r;
    try {
      r = run_job(again);
    } catch (...) {
      if (!scratch.empty()) std::filesystem::remove(scratch);
      throw;
    }
    if (!scratch.empty()) std::filesystem::remove(scratch);
    c.md5.push_back(r.bitstream_md5);
    c.bytes.push_back(r.bitstream_bytes);
    if (r.bitstream_md5 != first.bitstream_md5) c.deterministic = false;
  }
  return c;
}

}  // namespace codecbench
