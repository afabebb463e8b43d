// Audio jobs: source -> float reference at the encoder's rate -> encoder (in frames of its
// frame size, via an AVAudioFifo) -> decoder -> float -> remove the encoder's priming samples,
// confirm alignment by cross-correlation, then SNR, segmental SNR and SI-SDR.
#include <fmt/core.h>

#include <algorithm>
#include <array>
#include <cmath>

#include "codecbench/core/error.hpp"
#include "codecbench/core/log.hpp"
#include "codecbench/metrics/audio_metrics.hpp"
#include "job_common.hpp"

namespace codecbench::detail {
namespace {

struct FifoDeleter {
  void operator()(AVAudioFifo* f) const noexcept { av_audio_fifo_free(f); }
};
using FifoPtr = std::unique_ptr<AVAudioFifo, FifoDeleter>;

std::string layout_text(const AVChannelLayout& l) {
  std::array<char, 128> buf{};
  if (av_channel_layout_describe(&l, buf.data(), buf.size()) < 0) return "unknown";
  return buf.data();
}

std::string sample_fmt_name(AVSampleFormat f) {
  const char* n = av_get_sample_fmt_name(f);
  return n != nullptr ? n : "none";
}

// Significant bits a sample format carries (a float's mantissa for flt and dbl).
int sample_bits(AVSampleFormat f) {
  switch (av_get_packed_sample_fmt(f)) {
    case AV_SAMPLE_FMT_U8:
      return 8;
    case AV_SAMPLE_FMT_S16:
      return 16;
    case AV_SAMPLE_FMT_S32:
      return 32;
    case AV_SAMPLE_FMT_S64:
      return 64;
    case AV_SAMPLE_FMT_FLT:
      return 24;
    case AV_SAMPLE_FMT_DBL:
      return 53;
    default:
      return 0;
  }
}

bool is_float_format(AVSampleFormat f) {
  const AVSampleFormat p = av_get_packed_sample_fmt(f);
  return p == AV_SAMPLE_FMT_FLT || p == AV_SAMPLE_FMT_DBL;
}

}  // namespace

AVSampleFormat pick_sample_format(const AVSampleFormat* supported, AVSampleFormat source) {
  if (supported == nullptr || *supported == AV_SAMPLE_FMT_NONE) return source;
  // The source's own format, else the one that keeps the most of it: the most significant
  // bits (flac takes s16 and s32: a float source goes to s32, not s16), the source's
  // planarity on a tie, the encoder's order after that.
  AVSampleFormat best = AV_SAMPLE_FMT_NONE;
  auto better = [&](AVSampleFormat f) {
    if (best == AV_SAMPLE_FMT_NONE) return true;
    const bool f_exact = sample_format_exact(source, f),
               b_exact = sample_format_exact(source, best);
    if (f_exact != b_exact) return f_exact;
    if (sample_bits(f) != sample_bits(best)) {
      // Exact either way: the smallest that is exact; else the most bits.
      return f_exact ? sample_bits(f) < sample_bits(best) : sample_bits(f) > sample_bits(best);
    }
    return av_sample_fmt_is_planar(f) == av_sample_fmt_is_planar(source) &&
           av_sample_fmt_is_planar(best) != av_sample_fmt_is_planar(source);
  };
  for (const AVSampleFormat* f = supported; *f != AV_SAMPLE_FMT_NONE; ++f) {
    if (*f == source) return source;
    if (better(*f)) best = *f;
  }
  return best;
}

bool sample_format_exact(AVSampleFormat from, AVSampleFormat to) {
  if (av_get_packed_sample_fmt(from) == av_get_packed_sample_fmt(to)) return true;
  const bool from_float = is_float_format(from), to_float = is_float_format(to);
  if (from_float && !to_float) return false;  // rounding to integers
  if (from_float && to_float) return sample_bits(to) >= sample_bits(from);
  // From integers: u8 and wider signed integers hold all values of a narrower one; a float
  // holds integers up to its mantissa.
  return sample_bits(to) >= sample_bits(from);
}

const AVChannelLayout* pick_channel_layout(const AVChannelLayout* supported,
                                           const AVChannelLayout& source) {
  if (supported == nullptr || supported[0].nb_channels == 0) return nullptr;
  // The source's layout, else one with as many channels, else the widest that has no more
  // channels than the source (5.1 into an encoder of mono and stereo: stereo), else the
  // narrowest wider one.
  const AVChannelLayout* same_count = nullptr;
  const AVChannelLayout* below = nullptr;
  const AVChannelLayout* above = nullptr;
  for (const AVChannelLayout* l = supported; l->nb_channels != 0; ++l) {
    if (av_channel_layout_compare(l, &source) == 0) return l;
    if (l->nb_channels == source.nb_channels) {
      if (same_count == nullptr) same_count = l;
    } else if (l->nb_channels < source.nb_channels) {
      if (below == nullptr || l->nb_channels > below->nb_channels) below = l;
    } else if (above == nullptr || l->nb_channels < above->nb_channels) {
      above = l;
    }
  }
  if (same_count != nullptr) return same_count;
  return below != nullptr ? below : above;
}

namespace {

// Owns an AVChannelLayout.
struct Layout {
  AVChannelLayout l{};
  Layout() = default;
  Layout(const Layout&) = delete;
  Layout& operator=(const Layout&) = delete;
  ~Layout() { av_channel_layout_uninit(&l); }
  void set(const AVChannelLayout& other) {
    av_channel_layout_uninit(&l);
    av::check_av(av_channel_layout_copy(&l, &other), "copying a channel layout");
  }
};

// Converts audio between formats, rates and layouts with swresample.
class Resampler {
 public:
  Resampler(const AVChannelLayout& in_layout, AVSampleFormat in_fmt, int in_rate,
            const AVChannelLayout& out_layout, AVSampleFormat out_fmt, int out_rate)
      : out_fmt_(out_fmt), out_rate_(out_rate) {
    out_layout_.set(out_layout);
    SwrContext* raw = nullptr;
    // FFmpeg 5.1 takes non-const layouts here but only reads them.
    av::check_av(
        swr_alloc_set_opts2(&raw, const_cast<AVChannelLayout*>(&out_layout), out_fmt, out_rate,
                            const_cast<AVChannelLayout*>(&in_layout), in_fmt, in_rate, 0, nullptr),
        "configuring swresample");
    swr_.reset(raw);
    av::check_av(swr_init(swr_.get()),
                 fmt::format("swresample {} {} Hz -> {} {} Hz", sample_fmt_name(in_fmt), in_rate,
                             sample_fmt_name(out_fmt), out_rate));
  }

  /// Converts `in` (null: flush the resampler's delay). Returns null when nothing came out.
  av::FramePtr operator()(const AVFrame* in) {
    const int in_samples = in != nullptr ? in->nb_samples : 0;
    const int cap = swr_get_out_samples(swr_.get(), in_samples);
    if (cap <= 0) return nullptr;
    auto out = av::make_frame();
    out->format = out_fmt_;
    out->sample_rate = out_rate_;
    out->nb_samples = cap;
    av::check_av(av_channel_layout_copy(&out->ch_layout, &out_layout_.l), "frame layout");
    av::check_av(av_frame_get_buffer(out.get(), 0), "allocating converted audio");
    const int n = swr_convert(
        swr_.get(), out->extended_data, cap,
        in != nullptr ? const_cast<const uint8_t**>(in->extended_data) : nullptr, in_samples);
    av::check_av(n, "converting audio");
    if (n == 0) return nullptr;
    out->nb_samples = n;
    return out;
  }

 private:
  av::SwrPtr swr_;
  AVSampleFormat out_fmt_;
  int out_rate_;
  Layout out_layout_;
};

void append(AudioChannels& dst, const AVFrame& fltp, int skip = 0) {
  for (int c = 0; c < fltp.ch_layout.nb_channels; ++c) {
    const auto* p = reinterpret_cast<const float*>(fltp.extended_data[c]);
    dst[static_cast<std::size_t>(c)].insert(dst[static_cast<std::size_t>(c)].end(), p + skip,
                                            p + fltp.nb_samples);
  }
}

class AudioJob {
 public:
  AudioJob(const JobSpec& spec, const AVCodec* codec) : spec_(spec), codec_(codec) {}

  JobResult run() {
    const auto start = Clock::now();
    const auto before = RusageSnapshot::now();
    r_.type = MediaType::kAudio;
    r_.input = spec_.input.uri;
    r_.ffmpeg_version = av_version_info();
    r_.encoder = codec_->name;
    r_.codec = avcodec_get_name(codec_->id);
    r_.threads_requested = spec_.threads;
    const int thread_type = parse_thread_type(spec_.thread_type);
    std::vector<std::string> names =
        spec_.metrics.empty() ? default_metric_names(MediaType::kAudio) : spec_.metrics;
    if (names.size() == 1 && names[0] == "none") names.clear();  // encode only
    measuring_ = !names.empty();
    for (const auto& m : names) (void)find_audio_metric(m);

    SourceSpec source_spec = spec_.input;
    source_spec.type = MediaType::kAudio;
    source_spec.decoder_threads = spec_.threads;
    std::unique_ptr<FrameSource> source;
    {
      StageTimer t(r_.source_s);
      source = spec_.references != nullptr ? spec_.references->open(source_spec)
                                           : open_source(source_spec);
    }
    const StreamInfo& info = source->info();
    Layout src_layout;
    // A layout the file leaves unspecified ("2 channels": a plain WAVEFORMATEX header) is the
    // default layout for its channel count, as the ffmpeg CLI takes it; encoders refuse an
    // unspecified one.
    if (av_channel_layout_from_string(&src_layout.l, info.channel_layout.c_str()) < 0 ||
        src_layout.l.order == AV_CHANNEL_ORDER_UNSPEC) {
      av_channel_layout_uninit(&src_layout.l);
      av_channel_layout_default(&src_layout.l, info.channels);
    }
    r_.source_sample_fmt = sample_fmt_name(info.sample_fmt);
    r_.source_sample_rate = info.sample_rate;

    choose_format(info, src_layout.l);
    kept_.prepare(spec_.keep_path, codec_);
    open_encoder(thread_type);
    if (measuring_) open_decoder(thread_type);
    kept_.start(enc_.get());

    const int channels = enc_layout_.l.nb_channels;
    ref_.assign(static_cast<std::size_t>(channels), {});
    dec_samples_.assign(static_cast<std::size_t>(channels), {});
    Resampler to_float(src_layout.l, info.sample_fmt, info.sample_rate, enc_layout_.l,
                       AV_SAMPLE_FMT_FLTP, r_.sample_rate);
    Resampler to_encoder(enc_layout_.l, AV_SAMPLE_FMT_FLTP, r_.sample_rate, enc_layout_.l, enc_fmt_,
                         r_.sample_rate);
    fifo_.reset(av_audio_fifo_alloc(enc_fmt_, channels, r_.frame_size * 2));
    if (!fifo_) throw FFmpegError(AVERROR(ENOMEM), "allocating the audio FIFO");

    const std::int64_t source_samples = encode_all(*source, to_float, to_encoder);
    const int rest = av_audio_fifo_size(fifo_.get());
    if (rest > 0) send_from_fifo(rest);
    encode(nullptr);
    if (measuring_) {
      decode(nullptr);
      flush_decoded();
      compare(names);
      if (!decoded_as_.empty()) {
        r_.adjustment += (r_.adjustment.empty() ? "" : "; ") + decoded_as_;
      }
    }
    r_.kept_bytes = kept_.finish();

    finish_figures(info, source_samples);
    finish_timing(r_, before, start);
    return std::move(r_);
  }

 private:
  // The encoder at the chosen format, rate and layout, with the job's options and threads.
  void open_encoder(int thread_type) {
    enc_ = av::make_codec_context(codec_);
    enc_->sample_fmt = enc_fmt_;
    enc_->sample_rate = r_.sample_rate;
    enc_->time_base = AVRational{1, r_.sample_rate};
    av::check_av(av_channel_layout_copy(&enc_->ch_layout, &enc_layout_.l), "encoder layout");
    enc_->thread_count = spec_.threads;
    enc_->thread_type = thread_type;
    if (kept_.needs_global_header()) enc_->flags |= AV_CODEC_FLAG_GLOBAL_HEADER;
    std::string error;
    if (open_with_options(enc_.get(), codec_, spec_, error) < 0) {
      throw Error(fmt::format("encoder '{}' refused to open: {}", codec_->name, error),
                  ExitCode::kCodec);
    }
    for (const auto& [k, v] : spec_.options) r_.options.emplace_back(k, v);
    r_.encoder_threads = enc_->thread_count;
    r_.encoder_thread_type = (codec_->capabilities & AV_CODEC_CAP_OTHER_THREADS) != 0
                                 ? "other"
                                 : thread_type_name(enc_->active_thread_type);
    const bool variable = (codec_->capabilities & AV_CODEC_CAP_VARIABLE_FRAME_SIZE) != 0;
    r_.frame_size = enc_->frame_size > 0 && !variable ? enc_->frame_size : 1024;
    r_.encoder_delay = enc_->initial_padding;
  }

  // Every source frame converted to float (the reference) and to the encoder's format, queued
  // and sent in the encoder's frame size; the source's sample count.
  std::int64_t encode_all(FrameSource& source, Resampler& to_float, Resampler& to_encoder) {
    std::int64_t source_samples = 0;
    for (bool done = false; !done;) {
      av::FramePtr converted;
      {
        StageTimer t(r_.source_s);
        av::FramePtr src = source.next();
        if (src) {
          source_samples += src->nb_samples;
          source_hash_.update(*src);
          converted = to_float(src.get());
        } else {
          converted = to_float(nullptr);  // the resampler's last samples
          done = true;
        }
        if (converted) {
          append(ref_, *converted);
          av::FramePtr enc_in = to_encoder(converted.get());
          if (enc_in) {
            av::check_av(
                av_audio_fifo_write(fifo_.get(), reinterpret_cast<void**>(enc_in->extended_data),
                                    enc_in->nb_samples),
                "queueing audio");
          }
        }
      }
      while (av_audio_fifo_size(fifo_.get()) >= r_.frame_size) send_from_fifo(r_.frame_size);
    }
    return source_samples;
  }

  // Sizes, duration, compression, bitrate, real-time factor and the hashes.
  void finish_figures(const StreamInfo& info, std::int64_t source_samples) {
    r_.raw_bytes = static_cast<std::uint64_t>(source_samples) *
                   static_cast<std::uint64_t>(info.channels) *
                   static_cast<std::uint64_t>(av_get_bytes_per_sample(info.sample_fmt));
    r_.duration_s = static_cast<double>(source_samples) / info.sample_rate;
    if (r_.bitstream_bytes > 0) {
      r_.compression_ratio =
          static_cast<double>(r_.raw_bytes) / static_cast<double>(r_.bitstream_bytes);
    }
    r_.bitrate_kbps = 8.0 * static_cast<double>(r_.bitstream_bytes) / r_.duration_s / 1000.0;
    r_.realtime_factor = r_.encode_s > 0 ? r_.duration_s / r_.encode_s : 0;
    r_.bitstream_md5 = bitstream_hash_.hex();
    r_.source_hash = source_hash_.hex();
  }

  // Sample format, rate and layout the encoder takes, as close to the source as it allows.
  void choose_format(const StreamInfo& info, const AVChannelLayout& src_layout) {
    enc_fmt_ = detail::requested_sample_fmt(spec_, codec_);
    if (enc_fmt_ == AV_SAMPLE_FMT_NONE) {
      enc_fmt_ = pick_sample_format(codec_->sample_fmts, info.sample_fmt);
    }
    r_.encoder_sample_fmt = sample_fmt_name(enc_fmt_);
    r_.sample_rate = info.sample_rate;
    if (codec_->supported_samplerates != nullptr) {
      // The source's rate if allowed, else the smallest higher one (keeps all of its
      // bandwidth), else the highest.
      int above = 0;
      int highest = 0;
      bool exact = false;
      for (const int* p = codec_->supported_samplerates; *p != 0; ++p) {
        exact = exact || *p == info.sample_rate;
        if (*p > info.sample_rate && (above == 0 || *p < above)) above = *p;
        highest = std::max(highest, *p);
      }
      r_.sample_rate = exact ? info.sample_rate : (above != 0 ? above : highest);
    }
    enc_layout_.set(src_layout);
    if (const AVChannelLayout* pick = pick_channel_layout(codec_->ch_layouts, src_layout)) {
      enc_layout_.set(*pick);
    }
    r_.channels = enc_layout_.l.nb_channels;
    r_.channel_layout = layout_text(enc_layout_.l);
    std::vector<std::string> changes;
    if (r_.sample_rate != info.sample_rate) {
      changes.push_back(fmt::format("resampled {} Hz to {} Hz", info.sample_rate, r_.sample_rate));
    }
    if (av_channel_layout_compare(&enc_layout_.l, &src_layout) != 0) {
      changes.push_back(
          fmt::format("remixed {} to {}", layout_text(src_layout), r_.channel_layout));
    }
    for (const auto& c : changes) r_.adjustment += (r_.adjustment.empty() ? "" : "; ") + c;
    if (!r_.adjustment.empty()) {
      r_.adjustment +=
          fmt::format(" for {} (the reference is converted the same way)", codec_->name);
    }
    // A source the encoder cannot take exactly (float into flac's integers): said, since the
    // reference keeps the source's values and the loss counts against the codec.
    if (!sample_format_exact(info.sample_fmt, enc_fmt_)) {
      r_.adjustment += fmt::format(
          "{}{} samples rounded to {} for {}, which takes no {} (the "
          "reference keeps {}: the rounding counts in the figures)",
          r_.adjustment.empty() ? "" : "; ", sample_fmt_name(info.sample_fmt),
          sample_fmt_name(enc_fmt_), codec_->name, sample_fmt_name(info.sample_fmt),
          sample_fmt_name(info.sample_fmt));
    }
  }

  void open_decoder(int thread_type) {
    dec_ = open_measuring_decoder(enc_.get(), codec_, spec_.threads, thread_type, true);
    r_.decoder = dec_->codec->name;
    r_.decoder_threads = dec_->thread_count;
    r_.decoder_thread_type = thread_type_name(dec_->active_thread_type);
  }

  void send_from_fifo(int samples) {
    auto frame = av::make_frame();
    const bool small_ok = (codec_->capabilities &
                           (AV_CODEC_CAP_SMALL_LAST_FRAME | AV_CODEC_CAP_VARIABLE_FRAME_SIZE)) != 0;
    const int size = samples < r_.frame_size && !small_ok ? r_.frame_size : samples;
    frame->nb_samples = size;
    frame->format = enc_fmt_;
    frame->sample_rate = r_.sample_rate;
    av::check_av(av_channel_layout_copy(&frame->ch_layout, &enc_layout_.l), "frame layout");
    av::check_av(av_frame_get_buffer(frame.get(), 0), "allocating an audio frame");
    const int got =
        av_audio_fifo_read(fifo_.get(), reinterpret_cast<void**>(frame->extended_data), samples);
    av::check_av(got, "reading the audio FIFO");
    if (size > got) {
      // The encoder takes only whole frames: complete the last one with silence.
      av_samples_set_silence(frame->extended_data, got, size - got, frame->ch_layout.nb_channels,
                             enc_fmt_);
      r_.padded_samples += size - got;
    }
    frame->pts = next_pts_;
    next_pts_ += size;
    ++r_.frames;
    encode(frame.get());
  }

  void encode(const AVFrame* frame) {
    encode_frame(enc_.get(), frame, r_.encode_s,
                 frame != nullptr ? fmt::format("audio at sample {}", frame->pts) : "the flush",
                 [&](AVPacket* pkt) {
                   r_.bitstream_bytes += static_cast<std::uint64_t>(pkt->size);
                   bitstream_hash_.update(pkt->data, static_cast<std::size_t>(pkt->size));
                   ++r_.packets;
                   if (measuring_) decode(pkt);
                   kept_.write(pkt, enc_->time_base);
                 });
  }

  void decode(const AVPacket* pkt) {
    decode_packet(dec_.get(), pkt, r_.decode_s,
                  [&](av::FramePtr frame) { collect(std::move(frame)); });
  }

  // Converts a decoded frame to planar float and appends it to the decoded signal.
  void collect(av::FramePtr frame) {
    {
      StageTimer t(r_.metric_s);
      const auto fmt = static_cast<AVSampleFormat>(frame->format);
      if (r_.decoder_sample_fmt.empty()) r_.decoder_sample_fmt = sample_fmt_name(fmt);
      // A decoder may return another rate than was encoded (Opus always decodes at 48 kHz):
      // the decoded signal is resampled back to the encoded rate and layout before measuring,
      // and the result says so.
      const bool other_rate = frame->sample_rate != r_.sample_rate ||
                              frame->ch_layout.nb_channels != enc_layout_.l.nb_channels;
      if (fmt == AV_SAMPLE_FMT_FLTP && !other_rate) {
        append(dec_samples_, *frame);
      } else {
        if (!from_decoder_) {
          from_decoder_ =
              std::make_unique<Resampler>(frame->ch_layout, fmt, frame->sample_rate, enc_layout_.l,
                                          AV_SAMPLE_FMT_FLTP, r_.sample_rate);
          if (other_rate) {
            decoded_as_ = fmt::format(
                "{} decoded it at {} Hz, {} channel{}; resampled to {} Hz, "
                "{} to measure",
                r_.decoder, frame->sample_rate, frame->ch_layout.nb_channels,
                frame->ch_layout.nb_channels == 1 ? "" : "s", r_.sample_rate,
                layout_text(enc_layout_.l));
          }
        }
        av::FramePtr f = (*from_decoder_)(frame.get());
        if (f) append(dec_samples_, *f);
      }
    }
  }

  // The decoded samples a resampler still holds, after the decoder's last frame.
  void flush_decoded() {
    if (!from_decoder_) return;
    StageTimer t(r_.metric_s);
    while (av::FramePtr f = (*from_decoder_)(nullptr)) append(dec_samples_, *f);
  }

  void compare(const std::vector<std::string>& names) {
    StageTimer t(r_.metric_s);
    const auto ref_len = static_cast<std::int64_t>(ref_[0].size());
    // The encoder's priming samples come first in its output: drop them.
    const std::int64_t delay = std::max(0, r_.encoder_delay);
    for (auto& ch : dec_samples_) {
      ch.erase(ch.begin(),
               ch.begin() + std::min<std::int64_t>(delay, static_cast<std::int64_t>(ch.size())));
    }
    // Priming is already removed, so only a small residual lag (10 ms) is searched. Where the
    // encoder states its delay (initial_padding), or has none by construction (a lossless
    // coder), that delay is exact and the correlation is only a check: at low rates its peak
    // wanders a few samples (multichannel Opus), which would measure the points of one RD
    // curve at different alignments. Otherwise its lag is applied.
    const AVCodecDescriptor* desc = avcodec_descriptor_get(codec_->id);
    const bool lossless = desc != nullptr && (desc->props & AV_CODEC_PROP_LOSSLESS) != 0;
    const bool stated = r_.encoder_delay > 0 || lossless;
    r_.correlation_lag = estimate_lag(ref_, dec_samples_, std::max(64, r_.sample_rate / 100));
    r_.alignment = stated ? "encoder_delay" : "cross_correlation";
    r_.alignment_lag = stated ? 0 : r_.correlation_lag;
    if (r_.alignment_lag > 0) {
      for (auto& ch : dec_samples_) {
        ch.erase(ch.begin(),
                 ch.begin() + std::min<std::int64_t>(r_.alignment_lag,
                                                     static_cast<std::int64_t>(ch.size())));
      }
    } else if (r_.alignment_lag < 0) {
      for (auto& ch : ref_)
        ch.erase(ch.begin(),
                 ch.begin() + std::min<std::int64_t>(-r_.alignment_lag,
                                                     static_cast<std::int64_t>(ch.size())));
    }
    const auto n = std::min(ref_[0].size(), dec_samples_[0].size());
    if (n == 0) {
      throw Error(
          fmt::format("{} with {}: no decoded audio to compare", spec_.input.uri, r_.encoder),
          ExitCode::kCodec);
    }
    for (auto& ch : ref_) ch.resize(n);
    for (auto& ch : dec_samples_) ch.resize(n);
    r_.samples = static_cast<std::int64_t>(n);
    if (static_cast<std::int64_t>(n) + std::abs(r_.alignment_lag) < ref_len) {
      r_.adjustment +=
          fmt::format("{}decoded audio is {} samples short of the reference",
                      r_.adjustment.empty() ? "" : "; ", ref_len - static_cast<std::int64_t>(n));
    }
    double cross = 0, energy = 0;
    for (std::size_t c = 0; c < ref_.size(); ++c) {
      for (std::size_t k = 0; k < n; ++k) {
        cross += static_cast<double>(ref_[c][k]) * dec_samples_[c][k];
        energy += static_cast<double>(ref_[c][k]) * ref_[c][k];
      }
    }
    r_.gain_db = energy > 0 && cross > 0 ? 20 * std::log10(cross / energy) : std::nan("");
    for (const auto& name : names) {
      r_.metrics.push_back(
          {name, find_audio_metric(name).compute(ref_, dec_samples_, r_.sample_rate), {}});
    }
  }

  const JobSpec& spec_;
  const AVCodec* codec_;
  JobResult r_;
  Md5 bitstream_hash_;
  FrameHash source_hash_;  ///< of the reference as the source delivered it
  AVSampleFormat enc_fmt_ = AV_SAMPLE_FMT_NONE;
  Layout enc_layout_;
  av::CodecContextPtr enc_;
  av::CodecContextPtr dec_;
  KeptStream kept_;
  FifoPtr fifo_;
  AudioChannels ref_;
  AudioChannels dec_samples_;
  std::unique_ptr<Resampler> from_decoder_;
  std::string decoded_as_;  // how a decoder's other rate or layout was brought back, or ""
  std::int64_t next_pts_ = 0;
  bool measuring_ = true;
};

}  // namespace

JobResult run_audio_job(const JobSpec& spec, const AVCodec* encoder) {
  return AudioJob(spec, encoder).run();
}

}  // namespace codecbench::detail
