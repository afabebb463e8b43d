// Decode benchmarks (decode.hpp): a stream's packets are read once (into memory unless the
// read is to be timed) and decoded with each asked-for decoder configuration; every frame is
// hashed the way FFmpeg's framemd5 muxer hashes the rawvideo packets the ffmpeg CLI makes of
// decoded frames, so our hashes equal `ffmpeg -i STREAM -f framemd5 -`.
#include "codecbench/media/decode.hpp"

#include <fmt/core.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <memory>
#include <string>

#include "codecbench/catalog/catalog.hpp"
#include "codecbench/core/av.hpp"
#include "codecbench/core/error.hpp"
#include "codecbench/core/files.hpp"
#include "codecbench/core/limits.hpp"
#include "codecbench/core/log.hpp"
#include "codecbench/media/source.hpp"
#include "job_common.hpp"

namespace codecbench {
namespace {

using detail::Clock;

// The stream to decode: its parameters and, unless read during the decode, its packets.
struct StreamData {
  std::string path;
  int index = -1;
  AVCodecParameters* par = nullptr;  // owned by `fmt`
  AVRational time_base{1, 1};
  AVRational frame_rate{0, 1};
  av::InputFormatPtr fmt;
  std::vector<av::PacketPtr> packets;  // in file order; empty with include_read
  std::uint64_t bytes = 0;
  double read_s = 0;
  std::string read_errors;  // the demuxer's error messages while reading ("" = none)
};

av::InputFormatPtr open_file(const std::string& path, std::int64_t max_pixels) {
  require_regular_file(path);
  AVFormatContext* raw = nullptr;
  LogCapture quiet(AV_LOG_ERROR);
  const int ret = avformat_open_input(&raw, path.c_str(), nullptr, nullptr);
  if (ret < 0) {
    throw InputError(
        fmt::format("{}: not a readable media file ({})", path, av::error_string(ret)));
  }
  av::InputFormatPtr fmt(raw);
  const int info = av::find_stream_info(fmt.get(), max_pixels);
  if (info < 0) {
    throw InputError(
        fmt::format("{}: cannot read stream information ({})", path, av::error_string(info)));
  }
  return fmt;
}

int pick_stream(AVFormatContext* fmt, const std::string& path, int wanted) {
  if (wanted >= 0) {
    if (wanted >= static_cast<int>(fmt->nb_streams)) {
      throw InputError(
          fmt::format("{}: no stream #{} (the file has {})", path, wanted, fmt->nb_streams));
    }
    if (fmt->streams[wanted]->codecpar->codec_type != AVMEDIA_TYPE_VIDEO) {
      throw InputError(fmt::format("{}: stream #{} is not a video stream", path, wanted));
    }
    return wanted;
  }
  const int s = av_find_best_stream(fmt, AVMEDIA_TYPE_VIDEO, -1, -1, nullptr, 0);
  if (s < 0) throw InputError(fmt::format("{}: no video stream to decode", path));
  return s;
}

// Packets of the stream, read into memory (at most `max_packets`, 0 = all) within the limit.
void read_packets(StreamData& d, std::int64_t max_packets) {
  LogCapture capture(AV_LOG_ERROR);
  const auto start = Clock::now();
  for (;;) {
    if (max_packets > 0 && static_cast<std::int64_t>(d.packets.size()) >= max_packets) break;
    auto pkt = av::make_packet();
    const int ret = av_read_frame(d.fmt.get(), pkt.get());
    if (ret == AVERROR_EOF) break;
    if (ret < 0) {
      throw InputError(fmt::format("{}: read error ({})", d.path, av::error_string(ret)));
    }
    if (pkt->stream_index != d.index) continue;
    d.bytes += static_cast<std::uint64_t>(pkt->size);
    if (d.bytes > limits::kDecodeBufferBytes) {
      throw InputError(fmt::format(
          "{}: the stream's packets exceed {} MiB in memory; decode part of it (--frames N) or "
          "read it as it decodes (--include-read)",
          d.path, limits::kDecodeBufferBytes >> 20));
    }
    d.packets.push_back(std::move(pkt));
  }
  d.read_s = std::chrono::duration<double>(Clock::now() - start).count();
  d.read_errors = capture.errors();
}

const AVCodec* choose_decoder(const std::string& name, const AVCodecParameters* par,
                              const std::string& path) {
  const char* codec_name = avcodec_get_name(par->codec_id);
  if (name.empty()) {
    const AVCodec* c = avcodec_find_decoder(par->codec_id);
    if (c == nullptr) {
      throw InputError(
          par->codec_id == AV_CODEC_ID_NONE
              ? fmt::format("{}: the stream's codec is unknown to this FFmpeg", path)
              : fmt::format("{}: this FFmpeg has no decoder for its {} stream", path, codec_name));
    }
    return c;
  }
  const AVCodec* c = avcodec_find_decoder_by_name(name.c_str());
  if (c == nullptr) {
    std::string hint;
    if (avcodec_find_encoder_by_name(name.c_str()) != nullptr) {
      hint = " (it is an encoder)";
    } else {
      for (const auto& s : suggest_codec_names(name)) hint += (hint.empty() ? "" : ", ") + s;
      if (!hint.empty()) hint = " (did you mean: " + hint + "?)";
    }
    throw UsageError(fmt::format("unknown decoder '{}'{}", name, hint));
  }
  if (c->id != par->codec_id) {
    std::string list;
    for (const auto& d : decoders_for_codec(codec_name)) list += (list.empty() ? "" : ", ") + d;
    throw UsageError(
        fmt::format("decoder '{}' decodes {}, but {} is a {} stream (its decoders: {})", name,
                    avcodec_get_name(c->id), path, codec_name, list.empty() ? "none" : list));
  }
  return c;
}

// Peak resident memory since the last reset: VmHWM from /proc/self/status (KiB), 0 if absent.
long read_vm_hwm() {
  std::ifstream in("/proc/self/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("VmHWM:", 0) == 0) return std::strtol(line.c_str() + 6, nullptr, 10);
  }
  return 0;
}

// Resets the process's peak-RSS mark (Linux 4.0+: "5" to clear_refs); false where refused.
bool reset_vm_hwm() {
  std::FILE* f = std::fopen("/proc/self/clear_refs", "w");
  if (f == nullptr) return false;
  const bool ok = std::fputs("5", f) >= 0;
  return std::fclose(f) == 0 && ok;
}

class FrameHasher {
 public:
  explicit FrameHasher(bool keep) : keep_(keep) {}

  // Hashes the frame's bytes packed with alignment 1 (the rawvideo encoder's packet).
  void add(const AVFrame* f, DecodeResult& r) {
    const auto fmt = static_cast<AVPixelFormat>(f->format);
    const int size = av_image_get_buffer_size(fmt, f->width, f->height, 1);
    if (size < 0) {
      throw Error(fmt::format("{}: cannot hash a {}x{} {} frame ({})", r.input, f->width, f->height,
                              av_get_pix_fmt_name(fmt), av::error_string(size)));
    }
    buffer_.resize(static_cast<std::size_t>(size));
    av::check_av(av_image_copy_to_buffer(buffer_.data(), size, f->data, f->linesize, fmt, f->width,
                                         f->height, 1),
                 "packing a decoded frame");
    all_.update(buffer_.data(), buffer_.size());
    if (keep_) {
      one_.update(buffer_.data(), buffer_.size());
      r.frame_md5.push_back({f->pts, size, one_.hex()});
    }
  }
  std::string finish() { return all_.hex(); }

 private:
  bool keep_;
  detail::Md5 all_, one_;
  std::vector<std::uint8_t> buffer_;
};

// The packets to send: from memory, or (include_read) from the file opened afresh (not timed)
// and read as decoding goes.
class PacketSource {
 public:
  PacketSource(const StreamData& d, bool from_file, std::int64_t max_pixels)
      : d_(d),
        file_(from_file ? open_file(d.path, max_pixels) : nullptr),
        packet_(av::make_packet()) {}
  // The next packet of the stream; nullptr at its end.
  AVPacket* next() {
    if (!file_) return next_ < d_.packets.size() ? d_.packets[next_++].get() : nullptr;
    for (;;) {
      av_packet_unref(packet_.get());
      const int ret = av_read_frame(file_.get(), packet_.get());
      if (ret == AVERROR_EOF) return nullptr;
      if (ret < 0) {
        throw InputError(fmt::format("{}: read error ({})", d_.path, av::error_string(ret)));
      }
      if (packet_->stream_index == d_.index) return packet_.get();
    }
  }

 private:
  const StreamData& d_;
  av::InputFormatPtr file_;
  av::PacketPtr packet_;
  std::size_t next_ = 0;
};

// What a decode result says of its input and configuration before anything is decoded.
DecodeResult result_header(const StreamData& d, const DecodeSpec& spec,
                           const DecodeConfig& config) {
  DecodeResult r;
  r.input = d.path;
  r.stream_index = d.index;
  r.codec = avcodec_get_name(d.par->codec_id);
  r.ffmpeg_version = av_version_info();
  r.threads_requested = config.threads;
  r.thread_type_requested = config.thread_type;
  r.timing_includes_read = spec.include_read;
  r.md5 = spec.md5;
  r.frame_rate = d.frame_rate.num > 0 && d.frame_rate.den > 0 ? av_q2d(d.frame_rate) : 0;
  return r;
}

// The configuration's decoder, opened with its threads; the threads it took go into `r`.
av::CodecContextPtr open_decoder(const StreamData& d, const AVCodec* codec,
                                 const DecodeConfig& config, std::int64_t max_pixels,
                                 DecodeResult& r) {
  r.decoder = codec->name;
  // Each frame thread holds a frame, and the decoder keeps its references and delay.
  const int threads = config.threads > 0 ? config.threads : 16;
  check_frames_in_flight(d.path, d.par->width, d.par->height,
                         static_cast<AVPixelFormat>(d.par->format), threads + 20);
  auto ctx = av::make_codec_context(codec);
  av::check_av(avcodec_parameters_to_context(ctx.get(), d.par), d.path + ": decoder setup");
  ctx->pkt_timebase = d.time_base;
  ctx->max_pixels = max_pixels;
  ctx->thread_count = config.threads;
  ctx->thread_type = detail::parse_thread_type(config.thread_type);
  LogCapture capture(AV_LOG_ERROR);
  const int ret = avcodec_open2(ctx.get(), codec, nullptr);
  if (ret < 0) {
    const std::string why = capture.errors();
    throw FFmpegError(ret, fmt::format("{}: cannot open the {} decoder{}", d.path, codec->name,
                                       why.empty() ? "" : " (" + why + ")"));
  }
  r.decoder_threads = ctx->thread_count;
  r.decoder_thread_type = detail::thread_type_name(ctx->active_thread_type);
  return ctx;
}

// A decoded frame counted: its size and format (the first), its hash, its bytes.
void count_frame(const AVFrame* frame, const DecodeSpec& spec, FrameHasher& hasher,
                 DecodeResult& r) {
  if (r.frames == 0) {
    r.width = frame->width;
    r.height = frame->height;
    const char* pf = av_get_pix_fmt_name(static_cast<AVPixelFormat>(frame->format));
    r.pix_fmt = pf != nullptr ? pf : "none";
  }
  if (spec.md5) {
    const auto h0 = Clock::now();
    hasher.add(frame, r);
    r.hash_s += std::chrono::duration<double>(Clock::now() - h0).count();
  }
  r.decoded_bytes += static_cast<std::uint64_t>(
      std::max(0, av_image_get_buffer_size(static_cast<AVPixelFormat>(frame->format), frame->width,
                                           frame->height, 1)));
}

// CPU time, peak memory and the rates, once the decode is timed.
void add_figures(const detail::RusageSnapshot& before, const detail::RusageSnapshot& after,
                 const StreamData& d, const DecodeSpec& spec, DecodeResult& r) {
  r.cpu_user_s = after.user - before.user;
  r.cpu_sys_s = after.sys - before.sys;
  r.peak_rss_kib = r.peak_rss_reset ? read_vm_hwm() : after.maxrss_kib;
  if (r.peak_rss_kib == 0) r.peak_rss_kib = after.maxrss_kib;
  r.read_s = spec.include_read ? 0 : d.read_s;
  r.fps = r.decode_s > 0 ? static_cast<double>(r.frames) / r.decode_s : 0;
  r.duration_s = r.frame_rate > 0 ? static_cast<double>(r.frames) / r.frame_rate : 0;
  r.realtime_factor = r.decode_s > 0 ? r.duration_s / r.decode_s : 0;
}

// A frame above max_pixels, or memory that ran out, is not damage: "too large" (exit 3) or
// "out of memory" (exit 9), from what the decoder (`said`) and FFmpeg's own checks (`logged`)
// reported around a failure `ret` (0: none) at `where`. Nothing otherwise.
void refuse_decode_resources(const std::string& path, const char* decoder, const std::string& where,
                             int ret, const std::string& said, const std::string& logged,
                             std::int64_t max_pixels) {
  detail::refuse_refused_picture(path, said + "; " + logged, max_pixels);
  if (ret == AVERROR(ENOMEM) || said.find("get_buffer() failed") != std::string::npos) {
    throw ResourceError(fmt::format(
        "{}: out of memory decoding {} (decoder {}): a limit of this process or machine; "
        "fewer threads may fit",
        path, where, decoder));
  }
}

DecodeResult decode_once(StreamData& d, const DecodeSpec& spec, const DecodeConfig& config) {
  DecodeResult r = result_header(d, spec, config);
  const std::string& name = config.decoder.empty() ? spec.decoder : config.decoder;
  const AVCodec* codec = choose_decoder(name, d.par, d.path);
  auto ctx = open_decoder(d, codec, config, spec.max_pixels, r);
  PacketSource source(d, spec.include_read, spec.max_pixels);
  FrameHasher hasher(spec.md5 && spec.keep_frame_md5);
  auto frame = av::make_frame();
  // What the decoder logs from any thread (damage no frame flag shows), and the rest of FFmpeg's
  // errors (the demuxer's with include_read; size checks that log under no decoder's name).
  LogErrorWatch decoder_errors(codec->name);
  LogCapture read_capture(AV_LOG_ERROR);
  const auto refuse_resources = [&](const std::string& where, int ret) {
    refuse_decode_resources(d.path, codec->name, where, ret,
                            decoder_errors.count() > 0 ? decoder_errors.first() : "",
                            read_capture.errors(), spec.max_pixels);
  };
  const auto damaged = [&](const std::string& where, int ret = 0) {
    refuse_resources(where, ret);
    if (!spec.allow_damaged) {
      throw InputError(
          fmt::format("{}: damaged or truncated data {} (decoder {})", d.path, where, codec->name));
    }
  };

  if (!d.read_errors.empty()) damaged("(" + d.read_errors + ")");
  r.peak_rss_reset = spec.reset_peak_rss && reset_vm_hwm();
  const auto before = detail::RusageSnapshot::now();
  const auto start = Clock::now();
  AVPacket* pending = nullptr;  // a packet the decoder could not take yet
  bool flushed = false;
  bool done = false;
  while (!done) {
    // Drain every frame the decoder has, then feed it the next packet.
    for (;;) {
      const int ret = avcodec_receive_frame(ctx.get(), frame.get());
      if (ret == AVERROR(EAGAIN)) break;
      if (ret == AVERROR_EOF) {
        done = true;
        break;
      }
      if (ret < 0) {
        damaged(fmt::format("after frame {} ({})", r.frames, av::error_string(ret)), ret);
        ++r.damaged_frames;
        continue;
      }
      if (frame->decode_error_flags != 0 || (frame->flags & AV_FRAME_FLAG_CORRUPT) != 0) {
        damaged(fmt::format("in frame {}", r.frames));
        ++r.damaged_frames;
      } else if (!spec.allow_damaged && decoder_errors.count() > 0) {
        damaged(fmt::format("near frame {} ({})", r.frames, decoder_errors.first()));
      }
      count_frame(frame.get(), spec, hasher, r);
      av_frame_unref(frame.get());
      ++r.frames;
      if (spec.max_frames > 0 && r.frames >= spec.max_frames) {
        done = true;
        break;
      }
    }
    if (done) break;
    if (flushed) {
      // Drained after the flush packet without reaching EOF: a decoder that stalls.
      throw Error(fmt::format("{}: the {} decoder stopped without finishing", d.path, codec->name));
    }
    AVPacket* pkt = pending != nullptr ? pending : source.next();
    pending = nullptr;
    if (pkt == nullptr) {
      avcodec_send_packet(ctx.get(), nullptr);
      flushed = true;
      continue;
    }
    const int sr = avcodec_send_packet(ctx.get(), pkt);
    if (sr == AVERROR(EAGAIN)) {
      pending = pkt;  // full: receive first, then send it again
      continue;
    }
    ++r.packets;
    r.stream_bytes += static_cast<std::uint64_t>(pkt->size);
    if (sr < 0) {
      if (sr != AVERROR_INVALIDDATA) {
        refuse_resources(fmt::format("at packet {}", r.packets - 1), sr);
        throw InputError(fmt::format("{}: decoding failed at packet {} ({})", d.path, r.packets - 1,
                                     av::error_string(sr)));
      }
      damaged(fmt::format("at packet {} ({})", r.packets - 1, av::error_string(sr)));
    }
  }
  r.decode_s = std::chrono::duration<double>(Clock::now() - start).count();
  const auto after = detail::RusageSnapshot::now();
  r.decoder_errors = static_cast<std::int64_t>(decoder_errors.count());
  if (r.decoder_errors > 0) damaged(fmt::format("({})", decoder_errors.first()));
  if (const std::string e = read_capture.errors(); !e.empty()) damaged("(" + e + ")");
  if (spec.md5) r.output_md5 = hasher.finish();
  if (r.frames == 0) {
    throw InputError(fmt::format("{}: the {} decoder gave no frames", d.path, codec->name));
  }
  add_figures(before, after, d, spec, r);
  return r;
}

StreamData open_stream(const DecodeSpec& spec, const std::vector<DecodeConfig>& configs) {
  StreamData d;
  d.path = spec.input;
  d.fmt = open_file(spec.input, spec.max_pixels);
  d.index = pick_stream(d.fmt.get(), spec.input, spec.stream_index);
  AVStream* s = d.fmt->streams[d.index];
  d.par = s->codecpar;
  check_frame_pixels(d.path, d.par->width, d.par->height, spec.max_pixels);
  d.time_base = s->time_base;
  d.frame_rate = av_guess_frame_rate(d.fmt.get(), s, nullptr);
  // Check every decoder name before reading anything.
  for (const auto& c : configs) {
    choose_decoder(c.decoder.empty() ? spec.decoder : c.decoder, d.par, d.path);
    detail::parse_thread_type(c.thread_type);
  }
  if (!spec.include_read) {
    // With a frame limit, read a margin beyond it for the decoder's reordering and frame-thread
    // delay (each frame thread holds one packet).
    std::int64_t limit = 0;
    if (spec.max_frames > 0) {
      int most_threads = 1;
      for (const auto& c : configs) most_threads = std::max(most_threads, c.threads);
      limit = spec.max_frames + 64 + (most_threads == 0 ? 256 : most_threads);
    }
    read_packets(d, limit);
    if (d.packets.empty()) throw InputError(fmt::format("{}: the stream has no packets", d.path));
  }
  return d;
}

}  // namespace

std::vector<std::string> decoders_for_codec(const std::string& codec_name) {
  const AVCodecDescriptor* desc = avcodec_descriptor_get_by_name(codec_name.c_str());
  std::vector<std::string> out;
  if (desc == nullptr) return out;
  if (const AVCodec* def = avcodec_find_decoder(desc->id)) out.emplace_back(def->name);
  void* it = nullptr;
  while (const AVCodec* c = av_codec_iterate(&it)) {
    if (c->id == desc->id && av_codec_is_decoder(c) != 0 &&
        std::find(out.begin(), out.end(), c->name) == out.end()) {
      out.emplace_back(c->name);
    }
  }
  return out;
}

std::string video_codec_of(const std::string& path, int stream_index) {
  try {
    const auto fmt = open_file(path, limits::kFramePixels);
    const int s = pick_stream(fmt.get(), path, stream_index);
    return avcodec_get_name(fmt->streams[s]->codecpar->codec_id);
  } catch (const Error&) {
    return "";
  }
}

DecodeResult run_decode(const DecodeSpec& spec) {
  const DecodeConfig config{spec.decoder, spec.threads, spec.thread_type};
  StreamData d = open_stream(spec, {config});
  return decode_once(d, spec, config);
}

std::vector<DecodeResult> run_decodes(const DecodeSpec& spec,
                                      const std::vector<DecodeConfig>& configs, int repeats,
                                      const std::function<void(int, int)>& progress) {
  if (configs.empty()) throw UsageError("no decoder configuration to run");
  if (repeats < 1) throw UsageError(fmt::format("repeats must be at least 1 (got {})", repeats));
  StreamData d = open_stream(spec, configs);
  std::vector<DecodeResult> results(configs.size() * static_cast<std::size_t>(repeats));
  const int total = static_cast<int>(results.size());
  int done = 0;
  for (int rep = 0; rep < repeats; ++rep) {
    for (std::size_t c = 0; c < configs.size(); ++c) {
      results[c * static_cast<std::size_t>(repeats) + static_cast<std::size_t>(rep)] =
          decode_once(d, spec, configs[c]);
      if (progress) progress(++done, total);
    }
  }
  return results;
}

ExactnessDifference compare_decodes(const DecodeResult& baseline, const DecodeResult& other) {
  ExactnessDifference out;
  const auto& a = baseline.frame_md5;
  const auto& b = other.frame_md5;
  const std::size_t n = std::min(a.size(), b.size());
  for (std::size_t i = 0; i < n; ++i) {
    if (a[i].md5 != b[i].md5) {
      out.identical = false;
      out.frame = static_cast<std::int64_t>(i);
      out.expected_md5 = a[i].md5;
      out.actual_md5 = b[i].md5;
      out.reason = fmt::format("frame {} differs (md5 {} against {})", i, b[i].md5, a[i].md5);
      return out;
    }
  }
  if (a.size() != b.size()) {
    out.identical = false;
    out.frame = static_cast<std::int64_t>(n);
    if (n < a.size()) out.expected_md5 = a[n].md5;
    if (n < b.size()) out.actual_md5 = b[n].md5;
    out.reason = fmt::format("{} frames against {}", b.size(), a.size());
  }
  return out;
}

void to_json(nlohmann::json& j, const DecodeResult& r) {
  j = nlohmann::json{
      {"schema_version", kDecodeSchemaVersion},
      {"input", r.input},
      {"stream_index", r.stream_index},
      {"codec", r.codec},
      {"decoder", r.decoder},
      {"ffmpeg", r.ffmpeg_version},
      {"pix_fmt", r.pix_fmt},
      {"width", r.width},
      {"height", r.height},
      {"frame_rate", r.frame_rate},
      {"packets", r.packets},
      {"stream_bytes", r.stream_bytes},
      {"frames", r.frames},
      {"decoded_bytes", r.decoded_bytes},
      {"duration_s", r.duration_s},
      {"damaged_frames", r.damaged_frames},
      {"decoder_errors", r.decoder_errors},
      {"threads",
       {{"requested", r.threads_requested},
        {"type_requested", r.thread_type_requested},
        {"decoder", r.decoder_threads},
        {"decoder_type", r.decoder_thread_type}}},
      {"timing_includes_read", r.timing_includes_read},
      {"read_s", r.read_s},
      {"decode_s", r.decode_s},
      {"hash_s", r.hash_s},
      {"fps", r.fps},
      {"realtime_factor", r.realtime_factor},
      {"cpu_user_s", r.cpu_user_s},
      {"cpu_sys_s", r.cpu_sys_s},
      {"peak_rss_kib", r.peak_rss_kib},
      {"peak_rss_reset", r.peak_rss_reset},
      {"md5", r.md5 ? nlohmann::json(r.output_md5) : nlohmann::json(nullptr)},
  };
  if (!r.frame_md5.empty()) {
    auto& frames = j["frame_md5"] = nlohmann::json::array();
    for (const auto& f : r.frame_md5)
      frames.push_back({{"pts", f.pts}, {"size", f.size}, {"md5", f.md5}});
  }
}

}  // namespace codecbench
