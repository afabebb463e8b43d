#include "job_common.hpp"

#include <fmt/core.h>
#include <sys/stat.h>
#include <unistd.h>
#include <xxhash.h>

#include <array>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>

#include "codecbench/catalog/catalog.hpp"
#include "codecbench/core/error.hpp"
#include "codecbench/core/log.hpp"
#include "codecbench/media/source.hpp"

extern "C" {
#include <libavutil/imgutils.h>
#include <libavutil/md5.h>
#include <libavutil/pixdesc.h>
}

namespace codecbench::detail {

void refuse_refused_picture(const std::string& uri, const std::string& decoder_log,
                            std::int64_t max_pixels) {
  const auto at = decoder_log.find("Picture size ");
  if (at == std::string::npos) return;
  int width = 0;
  int height = 0;
  if (std::sscanf(decoder_log.c_str() + at, "Picture size %dx%d", &width, &height) != 2) return;
  check_frame_pixels(uri, width, height, max_pixels);
}

RusageSnapshot RusageSnapshot::now() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return {static_cast<double>(u.ru_utime.tv_sec) + static_cast<double>(u.ru_utime.tv_usec) * 1e-6,
          static_cast<double>(u.ru_stime.tv_sec) + static_cast<double>(u.ru_stime.tv_usec) * 1e-6,
          u.ru_maxrss};
}

void finish_timing(JobResult& r, const RusageSnapshot& before, Clock::time_point start) {
  const RusageSnapshot after = RusageSnapshot::now();
  r.cpu_user_s = after.user - before.user;
  r.cpu_sys_s = after.sys - before.sys;
  r.peak_rss_kib = after.maxrss_kib;
  r.wall_s = std::chrono::duration<double>(Clock::now() - start).count();
}

const AVCodec* find_encoder(const std::string& name) {
  const AVCodec* c = avcodec_find_encoder_by_name(name.c_str());
  if (c != nullptr) return c;
  if (const AVCodec* d = avcodec_find_decoder_by_name(name.c_str())) {
    std::string encoders;
    void* it = nullptr;
    while (const AVCodec* e = av_codec_iterate(&it)) {
      if (e->id == d->id && av_codec_is_encoder(e) != 0) {
        encoders += (encoders.empty() ? "" : ", ") + std::string(e->name);
      }
    }
    throw UsageError(fmt::format("'{}' is a decoder, not an encoder{}", name,
                                 encoders.empty() ? " (this FFmpeg has no encoder for it)"
                                                  : " (encoders: " + encoders + ")"));
  }
  std::string hint;
  for (const auto& s : suggest_codec_names(name)) hint += (hint.empty() ? "" : ", ") + s;
  throw UsageError(fmt::format("unknown encoder '{}'{}", name,
                               hint.empty() ? "" : " (did you mean: " + hint + "?)"));
}

int parse_thread_type(const std::string& s) {
  if (s.empty() || s == "frame+slice" || s == "slice+frame") {
    return FF_THREAD_FRAME | FF_THREAD_SLICE;
  }
  if (s == "frame") return FF_THREAD_FRAME;
  if (s == "slice") return FF_THREAD_SLICE;
  throw UsageError(fmt::format("thread type '{}': use frame, slice or frame+slice", s));
}

std::string thread_type_name(int t) {
  if ((t & FF_THREAD_FRAME) != 0 && (t & FF_THREAD_SLICE) != 0) return "frame+slice";
  if ((t & FF_THREAD_FRAME) != 0) return "frame";
  if ((t & FF_THREAD_SLICE) != 0) return "slice";
  return "none";
}

namespace {

// A failed write of the kept file: the machine's fault (a full disk, a quota, an I/O error) is
// an input error (exit 3) like a full results store; anything else is FFmpeg's (exit 4).
void check_write(int ret, const std::string& what) {
  if (ret >= 0) return;
  if (ret == AVERROR(ENOSPC) || ret == AVERROR(EDQUOT) || ret == AVERROR(EIO) ||
      ret == AVERROR(EFBIG)) {
    throw InputError(fmt::format("{}: {}", what, av::error_string(ret)));
  }
  av::check_av(ret, what);
}

}  // namespace

KeptStream::~KeptStream() {
  if (ctx_ == nullptr) return;
  if (ctx_->pb != nullptr && (ctx_->oformat->flags & AVFMT_NOFILE) == 0) avio_closep(&ctx_->pb);
  avformat_free_context(ctx_);
  if (!part_.empty()) ::unlink(part_.c_str());  // a job that failed leaves no partial file
}

void KeptStream::prepare(const std::string& path, const AVCodec* codec) {
  if (path.empty()) return;
  path_ = path;
  LogCapture quiet(AV_LOG_ERROR);  // FFmpeg explains a bad name itself; we say it once
  const int ret = avformat_alloc_output_context2(&ctx_, nullptr, nullptr, path.c_str());
  if (ret < 0 || ctx_ == nullptr) {
    throw InputError(fmt::format("{}: cannot choose a container from this file name ({})", path,
                                 av::error_string(ret)));
  }
  if (avformat_query_codec(ctx_->oformat, codec->id, FF_COMPLIANCE_NORMAL) == 0) {
    throw InputError(fmt::format("{}: the {} container cannot hold {} (try .mkv)", path,
                                 ctx_->oformat->name, avcodec_get_name(codec->id)));
  }
}

bool KeptStream::needs_global_header() const {
  return ctx_ != nullptr && (ctx_->oformat->flags & AVFMT_GLOBALHEADER) != 0;
}

std::string KeptStream::display_matrix_dropped() const {
  if (ctx_ == nullptr || display_matrix_.empty()) return "";
  const std::string name = ctx_->oformat->name;
  for (const char* keeps : {"mov", "mp4", "ismv", "ipod", "3gp", "3g2", "psp", "f4v"}) {
    if (name == keeps) return "";
  }
  return fmt::format("the {} muxer cannot store the display rotation: keep to .mp4 or .mov", name);
}

void KeptStream::start(const AVCodecContext* enc) {
  if (ctx_ == nullptr) return;
  stream_ = avformat_new_stream(ctx_, nullptr);
  if (stream_ == nullptr) throw FFmpegError(AVERROR(ENOMEM), "adding the kept stream");
  av::check_av(avcodec_parameters_from_context(stream_->codecpar, enc),
               "describing the kept stream");
  stream_->time_base = enc->time_base;
  if (enc->codec_type == AVMEDIA_TYPE_VIDEO) stream_->avg_frame_rate = enc->framerate;
  if (!display_matrix_.empty()) {
    std::uint8_t* side =
        av_stream_new_side_data(stream_, AV_PKT_DATA_DISPLAYMATRIX, display_matrix_.size());
    if (side == nullptr) throw FFmpegError(AVERROR(ENOMEM), "adding the display matrix");
    std::memcpy(side, display_matrix_.data(), display_matrix_.size());
  }
  if ((ctx_->oformat->flags & AVFMT_NOFILE) == 0) {
    const std::filesystem::path p(path_);
    part_ = (p.has_parent_path() ? p.parent_path().string() + "/" : std::string()) + "." +
            p.filename().string() + fmt::format(".part{}", ::getpid());
    const int ret = avio_open(&ctx_->pb, part_.c_str(), AVIO_FLAG_WRITE);
    if (ret < 0) {
      throw InputError(
          fmt::format("{}: cannot open for writing ({})", path_, av::error_string(ret)));
    }
  }
  av::check_av(avformat_write_header(ctx_, nullptr),
               fmt::format("{}: writing the container header", path_));
  started_ = true;
}

void KeptStream::write(AVPacket* pkt, AVRational enc_time_base) {
  if (!started_) return;
  av_packet_rescale_ts(pkt, enc_time_base, stream_->time_base);
  pkt->stream_index = stream_->index;
  check_write(av_interleaved_write_frame(ctx_, pkt), fmt::format("{}: writing a packet", path_));
}

std::uint64_t KeptStream::finish() {
  if (!started_) return 0;
  check_write(av_write_trailer(ctx_), fmt::format("{}: finishing the file", path_));
  if ((ctx_->oformat->flags & AVFMT_NOFILE) == 0) {
    // avio buffers: a full disk may show only in its error flag or when it is closed.
    const int pending = ctx_->pb->error;
    const int closed = avio_closep(&ctx_->pb);
    check_write(pending < 0 ? pending : closed, fmt::format("{}: writing the file", path_));
    if (::rename(part_.c_str(), path_.c_str()) != 0) {
      throw InputError(fmt::format("{}: cannot move the kept stream into place ({})", path_,
                                   std::strerror(errno)));
    }
    part_.clear();
  }
  started_ = false;
  struct stat st {};
  return ::stat(path_.c_str(), &st) == 0 ? static_cast<std::uint64_t>(st.st_size) : 0;
}

namespace {

// x265 prints its banner, settings and errors to stderr itself, not through av_log, so they
// would break codecbench's one-line errors and quiet runs (SVT-AV1 likewise; main() sets its
// SVT_LOG). Unless the user asked for its log level or for FFmpeg's info messages
// (--ffmpeg-log-level 32), x265 is told to print nothing; the reason for a refusal still comes
// back through FFmpeg's error. Not part of the job's options or identity.
void quiet_self_logging(const AVCodec* codec, av::Dictionary& opts, int shown_level) {
  if (std::string(codec->name) != "libx265" || shown_level >= AV_LOG_INFO) return;
  const AVDictionaryEntry* e = av_dict_get(opts.get(), "x265-params", nullptr, 0);
  std::string params = e != nullptr ? e->value : "";
  if (params.find("log-level") != std::string::npos) return;
  opts.set("x265-params", params.empty() ? "log-level=none" : params + ":log-level=none");
}

}  // namespace

namespace {
bool is_pix_fmt_option(const std::string& key) { return key == "pixel_format" || key == "pix_fmt"; }
bool is_sample_fmt_option(const std::string& key) { return key == "sample_fmt"; }
}  // namespace

namespace {

// The format a job's options ask for (the last such option), checked against the encoder's
// list: pixel and sample formats alike. `none` when no option asks for one.
template <typename Format>
Format requested_format(const JobSpec& spec, const AVCodec* codec,
                        bool (*is_option)(const std::string&), Format (*parse)(const char*),
                        const char* (*name)(Format), const Format* supported, Format none,
                        const char* what, const char* listing) {
  Format wanted = none;
  for (const auto& [k, v] : spec.options) {
    if (!is_option(k)) continue;
    wanted = parse(v.c_str());
    if (wanted == none) {
      throw UsageError(fmt::format("{}={}: not a {} FFmpeg knows ({})", k, v, what, listing));
    }
  }
  if (wanted == none || supported == nullptr) return wanted;
  std::string known;
  for (const Format* p = supported; *p != none; ++p) {
    if (*p == wanted) return wanted;
    known += (known.empty() ? "" : ", ") + std::string(name(*p));
  }
  throw UsageError(fmt::format("encoder '{}' does not take {} {} (it takes: {})", codec->name, what,
                               name(wanted), known));
}

}  // namespace

AVSampleFormat requested_sample_fmt(const JobSpec& spec, const AVCodec* codec) {
  return requested_format<AVSampleFormat>(
      spec, codec, is_sample_fmt_option, av_get_sample_fmt, av_get_sample_fmt_name,
      codec->sample_fmts, AV_SAMPLE_FMT_NONE, "sample format", "ffmpeg -sample_fmts");
}

AVPixelFormat requested_pix_fmt(const JobSpec& spec, const AVCodec* codec) {
  return requested_format<AVPixelFormat>(spec, codec, is_pix_fmt_option, av_get_pix_fmt,
                                         av_get_pix_fmt_name, codec->pix_fmts, AV_PIX_FMT_NONE,
                                         "pixel format", "ffmpeg -pix_fmts");
}

int open_with_options(AVCodecContext* ctx, const AVCodec* codec, const JobSpec& spec,
                      std::string& error) {
  const int shown_level = routed_log_level();
  LogCapture capture(AV_LOG_ERROR);
  av::Dictionary opts;
  for (const auto& [k, v] : spec.options) {
    // The job converts its frames to the asked pixel format (requested_pix_fmt).
    if (codec->type == AVMEDIA_TYPE_VIDEO && is_pix_fmt_option(k)) continue;
    // Likewise the asked sample format (requested_sample_fmt).
    if (codec->type == AVMEDIA_TYPE_AUDIO && is_sample_fmt_option(k)) continue;
    opts.set(k, v);
  }
  quiet_self_logging(codec, opts, shown_level);
  const int ret = avcodec_open2(ctx, codec, opts.address());
  if (ret < 0) {
    const std::string logs = capture.errors();
    error =
        logs.empty() ? av::error_string(ret) : fmt::format("{} ({})", logs, av::error_string(ret));
    return ret;
  }
  if (opts.size() > 0) {
    std::string unused;
    const AVDictionaryEntry* e = nullptr;
    while ((e = av_dict_get(opts.get(), "", e, AV_DICT_IGNORE_SUFFIX)) != nullptr) {
      unused += fmt::format("{}{}={}", unused.empty() ? "" : ", ", e->key, e->value);
    }
    throw UsageError(fmt::format("encoder '{}' does not know option(s) {}", codec->name, unused));
  }
  return ret;
}

av::CodecContextPtr open_measuring_decoder(const AVCodecContext* enc, const AVCodec* enc_codec,
                                           int threads, int thread_type, bool skip_manual) {
  const AVCodec* dc = avcodec_find_decoder(enc_codec->id);
  if (dc == nullptr) {
    throw Error(fmt::format("no decoder for {} in this FFmpeg: '{}' output cannot be measured",
                            avcodec_get_name(enc_codec->id), enc_codec->name),
                ExitCode::kCodec);
  }
  AVCodecParameters* par = avcodec_parameters_alloc();
  if (par == nullptr) throw FFmpegError(AVERROR(ENOMEM), "allocating codec parameters");
  auto dec = av::make_codec_context(dc);
  int ret = avcodec_parameters_from_context(par, enc);
  if (ret >= 0) ret = avcodec_parameters_to_context(dec.get(), par);
  avcodec_parameters_free(&par);
  av::check_av(ret, "configuring the decoder");
  dec->pkt_timebase = enc->time_base;
  dec->thread_count = threads;
  dec->thread_type = thread_type;
  // Some decoders drop the priming samples themselves (opus from its header, mp3 from the
  // encoder's skip-samples side data), others do not: with SKIP_MANUAL none does, so the caller
  // removing the encoder's initial_padding is right for all of them.
  if (skip_manual) dec->flags2 |= AV_CODEC_FLAG2_SKIP_MANUAL;
  av::check_av(avcodec_open2(dec.get(), dc, nullptr), fmt::format("opening decoder {}", dc->name));
  return dec;
}

bool encode_frame(AVCodecContext* enc, const AVFrame* frame, double& seconds,
                  const std::string& what, const std::function<void(AVPacket*)>& on_packet,
                  int max_packets) {
  {
    StageTimer t(seconds);
    const int ret = avcodec_send_frame(enc, frame);
    if (ret < 0 && !(frame == nullptr && ret == AVERROR_EOF)) {
      throw FFmpegError(ret, fmt::format("encoder '{}' rejected {}", enc->codec->name, what));
    }
  }
  auto pkt = av::make_packet();
  for (int taken = 0; max_packets <= 0 || taken < max_packets; ++taken) {
    int ret = 0;
    {
      StageTimer t(seconds);
      ret = avcodec_receive_packet(enc, pkt.get());
    }
    // EAGAIN after a flush request would be an encoder bug; it counts as drained, so that a
    // caller draining packet by packet cannot loop.
    if (ret == AVERROR_EOF || ret == AVERROR(EAGAIN)) return ret == AVERROR_EOF || !frame;
    av::check_av(ret, fmt::format("encoder '{}'", enc->codec->name));
    on_packet(pkt.get());
    av_packet_unref(pkt.get());
  }
  return false;
}

void decode_packet(AVCodecContext* dec, const AVPacket* pkt, double& seconds,
                   const std::function<void(av::FramePtr)>& on_frame) {
  {
    StageTimer t(seconds);
    const int ret = avcodec_send_packet(dec, pkt);
    if (ret < 0 && ret != AVERROR_EOF) {
      throw FFmpegError(ret,
                        fmt::format("decoder '{}' rejected the encoded stream", dec->codec->name));
    }
  }
  for (;;) {
    auto frame = av::make_frame();
    int ret = 0;
    {
      StageTimer t(seconds);
      ret = avcodec_receive_frame(dec, frame.get());
    }
    if (ret == AVERROR(EAGAIN) || ret == AVERROR_EOF) return;
    av::check_av(ret, fmt::format("decoder '{}'", dec->codec->name));
    on_frame(std::move(frame));
  }
}

FrameHash::FrameHash() : state_(XXH3_createState()) {
  if (state_ == nullptr) throw FFmpegError(AVERROR(ENOMEM), "hash state");
  XXH3_64bits_reset(static_cast<XXH3_state_t*>(state_));
}

FrameHash::~FrameHash() { XXH3_freeState(static_cast<XXH3_state_t*>(state_)); }

void FrameHash::update(const AVFrame& f) {
  auto* s = static_cast<XXH3_state_t*>(state_);
  if (f.nb_samples > 0 && f.width == 0) {
    const auto fmt = static_cast<AVSampleFormat>(f.format);
    const int channels = f.ch_layout.nb_channels;
    const int planes = av_sample_fmt_is_planar(fmt) != 0 ? channels : 1;
    const auto bytes = static_cast<std::size_t>(f.nb_samples) *
                       static_cast<std::size_t>(av_get_bytes_per_sample(fmt)) *
                       static_cast<std::size_t>(planes == 1 ? channels : 1);
    for (int p = 0; p < planes; ++p) XXH3_64bits_update(s, f.extended_data[p], bytes);
    return;
  }
  const auto fmt = static_cast<AVPixelFormat>(f.format);
  const AVPixFmtDescriptor* d = av_pix_fmt_desc_get(fmt);
  if (d == nullptr) return;
  for (int p = 0; p < 4 && f.data[p] != nullptr; ++p) {
    if ((d->flags & AV_PIX_FMT_FLAG_PAL) != 0 && p == 1) {
      XXH3_64bits_update(s, f.data[1], 1024);  // the palette
      continue;
    }
    const int width = av_image_get_linesize(fmt, f.width, p);
    const int rows = (p == 1 || p == 2) ? AV_CEIL_RSHIFT(f.height, d->log2_chroma_h) : f.height;
    if (width <= 0) continue;
    for (int y = 0; y < rows; ++y) {
      XXH3_64bits_update(s, f.data[p] + static_cast<std::ptrdiff_t>(y) * f.linesize[p],
                         static_cast<std::size_t>(width));
    }
  }
}

std::string FrameHash::hex() const {
  return fmt::format("xxh3:{:016x}", XXH3_64bits_digest(static_cast<XXH3_state_t*>(state_)));
}

Md5::Md5() : md5_(av_md5_alloc()) {
  if (md5_ == nullptr) throw FFmpegError(AVERROR(ENOMEM), "MD5 context");
  av_md5_init(md5_);
}

Md5::~Md5() { av_free(md5_); }

void Md5::reset() { av_md5_init(md5_); }

void Md5::update(const std::uint8_t* data, std::size_t size) { av_md5_update(md5_, data, size); }

std::string Md5::hex() {
  std::array<std::uint8_t, 16> digest{};
  av_md5_final(md5_, digest.data());
  av_md5_init(md5_);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out(32, '0');
  for (std::size_t i = 0; i < digest.size(); ++i) {
    out[2 * i] = kHex[digest[i] >> 4];
    out[2 * i + 1] = kHex[digest[i] & 15];
  }
  return out;
}

}  // namespace codecbench::detail
