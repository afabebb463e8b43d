// Encoder probing. Each probe runs in a forked child so that an encoder that hangs, aborts or
// crashes cannot take the caller down; the parent only forks, waits and reads a JSON line.
#include "codecbench/catalog/probe.hpp"

#include <fcntl.h>
#include <fmt/core.h>
#include <poll.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <tbb/parallel_for.h>
#include <tbb/task_arena.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstring>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <thread>

#include "catalog_detail.hpp"
#include "codecbench/core/av.hpp"
#include "codecbench/core/limits.hpp"
#include "codecbench/core/log.hpp"

namespace codecbench {
namespace {

using Clock = std::chrono::steady_clock;

bool is_hw_format(AVPixelFormat f) {
  const AVPixFmtDescriptor* d = av_pix_fmt_desc_get(f);
  return d != nullptr && (d->flags & AV_PIX_FMT_FLAG_HWACCEL) != 0;
}

// First software pixel format the encoder lists, else its first (hardware) one.
AVPixelFormat choose_pix_fmt(const AVCodec* c) {
  if (c->pix_fmts == nullptr) return AV_PIX_FMT_YUV420P;
  for (const AVPixelFormat* p = c->pix_fmts; *p != AV_PIX_FMT_NONE; ++p) {
    if (!is_hw_format(*p)) return *p;
  }
  return c->pix_fmts[0];
}

// Fills a software frame with a gradient converted from yuv420p by swscale; formats swscale
// cannot write keep the zeroes av_frame_get_buffer's caller set.
void fill_video(AVFrame* frame) {
  for (int p = 0; p < AV_NUM_DATA_POINTERS && frame->buf[p] != nullptr; ++p) {
    std::memset(frame->buf[p]->data, 0, frame->buf[p]->size);
  }
  const auto dst = static_cast<AVPixelFormat>(frame->format);
  if (sws_isSupportedOutput(dst) == 0) return;
  std::array<uint8_t*, 4> src{};
  std::array<int, 4> src_linesize{};
  if (av_image_alloc(src.data(), src_linesize.data(), frame->width, frame->height,
                     AV_PIX_FMT_YUV420P, 32) < 0) {
    return;
  }
  for (int y = 0; y < frame->height; ++y) {
    for (int x = 0; x < frame->width; ++x) {
      src[0][y * src_linesize[0] + x] = static_cast<uint8_t>(16 + (x + 2 * y) % 220);
    }
  }
  for (int y = 0; y < (frame->height + 1) / 2; ++y) {
    for (int x = 0; x < (frame->width + 1) / 2; ++x) {
      src[1][y * src_linesize[1] + x] = static_cast<uint8_t>(64 + x % 128);
      src[2][y * src_linesize[2] + x] = static_cast<uint8_t>(192 - y % 128);
    }
  }
  av::SwsPtr sws(sws_getContext(frame->width, frame->height, AV_PIX_FMT_YUV420P, frame->width,
                                frame->height, dst, SWS_BILINEAR, nullptr, nullptr, nullptr));
  if (sws) {
    sws_scale(sws.get(), src.data(), src_linesize.data(), 0, frame->height, frame->data,
              frame->linesize);
  }
  av_freep(src.data());
}

void drain(AVCodecContext* ctx, ProbeResult& r) {
  auto pkt = av::make_packet();
  for (;;) {
    const int ret = avcodec_receive_packet(ctx, pkt.get());
    if (ret == AVERROR(EAGAIN) || ret == AVERROR_EOF) return;
    av::check_av(ret, "receiving a packet");
    ++r.packets;
    av_packet_unref(pkt.get());
  }
}

void encode_and_flush(AVCodecContext* ctx, AVFrame* frame, ProbeResult& r) {
  int ret = avcodec_send_frame(ctx, frame);
  if (ret == AVERROR(EAGAIN)) {
    drain(ctx, r);
    ret = avcodec_send_frame(ctx, frame);
  }
  av::check_av(ret, "encoding the probe frame");
  drain(ctx, r);
  ret = avcodec_send_frame(ctx, nullptr);
  if (ret != AVERROR_EOF) av::check_av(ret, "flushing the encoder");
  for (;;) {
    auto pkt = av::make_packet();
    ret = avcodec_receive_packet(ctx, pkt.get());
    if (ret == AVERROR_EOF) break;
    if (ret == AVERROR(EAGAIN)) continue;  // some wrappers need more polls while flushing
    av::check_av(ret, "flushing the encoder");
    ++r.packets;
  }
}

void probe_video(const AVCodec* c, const ProbeOptions& opt, ProbeResult& r) {
  auto ctx = av::make_codec_context(c);
  ctx->width = opt.width;
  ctx->height = opt.height;
  ctx->time_base = AVRational{1, 25};
  ctx->framerate = AVRational{25, 1};
  ctx->thread_count = 1;
  const AVPixelFormat fmt = choose_pix_fmt(c);
  ctx->pix_fmt = fmt;
  r.format = av_get_pix_fmt_name(fmt) != nullptr ? av_get_pix_fmt_name(fmt) : "";
  if (r.experimental) ctx->strict_std_compliance = FF_COMPLIANCE_EXPERIMENTAL;

  AVPixelFormat sw_fmt = fmt;
  av::BufferRefPtr frames_ref;
  if (is_hw_format(fmt)) {
    // Hardware-only encoder: it needs a device and a frames pool of its hardware format.
    AVHWDeviceType type = AV_HWDEVICE_TYPE_NONE;
    for (int i = 0;; ++i) {
      const AVCodecHWConfig* cfg = avcodec_get_hw_config(c, i);
      if (cfg == nullptr) break;
      if (cfg->pix_fmt == fmt) {
        type = cfg->device_type;
        break;
      }
    }
    if (type == AV_HWDEVICE_TYPE_NONE) type = av_hwdevice_find_type_by_name(r.format.c_str());
    const char* type_name = av_hwdevice_get_type_name(type);
    AVBufferRef* dev = nullptr;
    av::check_av(av_hwdevice_ctx_create(&dev, type, nullptr, nullptr, 0),
                 fmt::format("no {} device", type_name != nullptr ? type_name : "hardware"));
    av::BufferRefPtr device(dev);
    frames_ref.reset(av_hwframe_ctx_alloc(device.get()));
    if (!frames_ref) throw FFmpegError(AVERROR(ENOMEM), "allocating hardware frames");
    auto* frames = reinterpret_cast<AVHWFramesContext*>(frames_ref->data);
    sw_fmt = AV_PIX_FMT_NV12;
    frames->format = fmt;
    frames->sw_format = sw_fmt;
    frames->width = opt.width;
    frames->height = opt.height;
    frames->initial_pool_size = 4;
    av::check_av(av_hwframe_ctx_init(frames_ref.get()), "initialising hardware frames");
    ctx->hw_frames_ctx = av_buffer_ref(frames_ref.get());
  }
  av::check_av(avcodec_open2(ctx.get(), c, nullptr), "opening the encoder");

  auto frame = av::make_frame();
  frame->format = sw_fmt;
  frame->width = opt.width;
  frame->height = opt.height;
  av::check_av(av_frame_get_buffer(frame.get(), 0), "allocating the probe frame");
  fill_video(frame.get());
  frame->pts = 0;
  if (frames_ref) {
    auto hw = av::make_frame();
    av::check_av(av_hwframe_get_buffer(frames_ref.get(), hw.get(), 0), "allocating a hw frame");
    av::check_av(av_hwframe_transfer_data(hw.get(), frame.get(), 0), "uploading the frame");
    hw->pts = 0;
    encode_and_flush(ctx.get(), hw.get(), r);
  } else {
    encode_and_flush(ctx.get(), frame.get(), r);
  }
}

void probe_audio_at(const AVCodec* c, int rate, ProbeResult& r) {
  auto ctx = av::make_codec_context(c);
  ctx->sample_fmt = c->sample_fmts != nullptr ? c->sample_fmts[0] : AV_SAMPLE_FMT_S16;
  const char* fmt_name = av_get_sample_fmt_name(ctx->sample_fmt);
  r.format = fmt::format("{} {} Hz", fmt_name != nullptr ? fmt_name : "", rate);
  ctx->sample_rate = rate;
  ctx->time_base = AVRational{1, rate};
  AVChannelLayout stereo = AV_CHANNEL_LAYOUT_STEREO;
  const AVChannelLayout* layout = &stereo;
  if (c->ch_layouts != nullptr && c->ch_layouts[0].nb_channels != 0) {
    layout = &c->ch_layouts[0];
    for (const AVChannelLayout* l = c->ch_layouts; l->nb_channels != 0; ++l) {
      if (av_channel_layout_compare(l, &stereo) == 0) layout = l;
    }
  }
  av::check_av(av_channel_layout_copy(&ctx->ch_layout, layout), "setting the channel layout");
  ctx->thread_count = 1;
  if (r.experimental) ctx->strict_std_compliance = FF_COMPLIANCE_EXPERIMENTAL;
  av::check_av(avcodec_open2(ctx.get(), c, nullptr), "opening the encoder");

  auto frame = av::make_frame();
  const bool variable = (c->capabilities & AV_CODEC_CAP_VARIABLE_FRAME_SIZE) != 0;
  frame->nb_samples = ctx->frame_size > 0 && !variable ? ctx->frame_size : 1024;
  frame->format = ctx->sample_fmt;
  frame->sample_rate = ctx->sample_rate;
  av::check_av(av_channel_layout_copy(&frame->ch_layout, &ctx->ch_layout), "frame layout");
  av::check_av(av_frame_get_buffer(frame.get(), 0), "allocating the probe frame");
  av_samples_set_silence(frame->extended_data, 0, frame->nb_samples, ctx->ch_layout.nb_channels,
                         ctx->sample_fmt);
  frame->pts = 0;
  encode_and_flush(ctx.get(), frame.get(), r);
}

// Tries 48 kHz (or the encoder's listed rates) first; encoders that only accept a rate they do
// not list (g723_1: 8 kHz, adpcm_swf: 11025/22050/44100) get the common rates in turn, and the
// first failure is what gets reported when none works.
void probe_audio(const AVCodec* c, ProbeResult& r) {
  std::vector<int> rates;
  if (c->supported_samplerates != nullptr) {
    for (const int* p = c->supported_samplerates; *p != 0; ++p) rates.push_back(*p);
    std::stable_partition(rates.begin(), rates.end(), [](int x) { return x == 48000; });
  }
  for (int common : {48000, 44100, 22050, 16000, 11025, 8000}) {
    if (std::find(rates.begin(), rates.end(), common) == rates.end()) rates.push_back(common);
  }
  std::optional<std::string> first_error;
  for (int rate : rates) {
    LogCapture attempt(AV_LOG_ERROR);
    try {
      r.packets = 0;
      probe_audio_at(c, rate, r);
      return;
    } catch (const std::exception& e) {
      if (!first_error) {
        const std::string logs = attempt.errors();
        first_error = logs.empty() ? std::string(e.what()) : fmt::format("{} ({})", logs, e.what());
      }
    }
  }
  throw Error(*first_error + fmt::format(" (also tried {} other sample rates)", rates.size() - 1));
}

// Text subtitle encoders read their styles from an ASS header, as a demuxer would supply.
constexpr char kAssHeader[] =
    "[Script Info]\r\nScriptType: v4.00+\r\nPlayResX: 384\r\nPlayResY: 288\r\n\r\n"
    "[V4+ Styles]\r\nFormat: Name, Fontname, Fontsize, PrimaryColour, SecondaryColour, "
    "OutlineColour, BackColour, Bold, Italic, Underline, StrikeOut, ScaleX, ScaleY, Spacing, "
    "Angle, BorderStyle, Outline, Shadow, Alignment, MarginL, MarginR, MarginV, Encoding\r\n"
    "Style: Default,Arial,16,&Hffffff,&Hffffff,&H0,&H0,0,0,0,0,100,100,0,0,1,1,0,2,10,10,10,0"
    "\r\n\r\n[Events]\r\nFormat: Layer, Start, End, Style, Name, MarginL, MarginR, MarginV, "
    "Effect, Text\r\n";

void probe_subtitle(const AVCodec* c, const ProbeOptions& opt) {
  auto ctx = av::make_codec_context(c);
  ctx->time_base = AVRational{1, 1000};
  ctx->width = opt.width;
  ctx->height = opt.height;
  const AVCodecDescriptor* desc = avcodec_descriptor_get(c->id);
  if (desc != nullptr && (desc->props & AV_CODEC_PROP_TEXT_SUB) != 0) {
    const std::size_t size = sizeof(kAssHeader) - 1;
    ctx->subtitle_header = static_cast<uint8_t*>(av_mallocz(size + 1));
    if (ctx->subtitle_header == nullptr) throw FFmpegError(AVERROR(ENOMEM), "subtitle header");
    std::memcpy(ctx->subtitle_header, kAssHeader, size);
    ctx->subtitle_header_size = static_cast<int>(size);
  }
  av::check_av(avcodec_open2(ctx.get(), c, nullptr), "opening the encoder");
}

nlohmann::json to_json(const ProbeResult& r) {
  return {{"status", r.status},
          {"reason", r.reason},
          {"format", r.format},
          {"experimental", r.experimental},
          {"packets", r.packets}};
}

void from_json(const nlohmann::json& j, ProbeResult& r) {
  r.status = j.at("status").get<std::string>();
  r.reason = j.at("reason").get<std::string>();
  r.format = j.at("format").get<std::string>();
  r.experimental = j.at("experimental").get<bool>();
  r.packets = j.at("packets").get<int>();
  r.usable = r.status == "usable";
}

std::string last_lines(const std::string& text, int count) {
  std::vector<std::string> lines;
  std::size_t start = 0;
  while (start < text.size()) {
    std::size_t end = text.find('\n', start);
    if (end == std::string::npos) end = text.size();
    std::string line = text.substr(start, end - start);
    while (!line.empty() && (line.back() == '\r' || line.back() == ' ')) line.pop_back();
    if (!line.empty()) lines.push_back(line);
    start = end + 1;
  }
  std::string out;
  const int first = std::max(0, static_cast<int>(lines.size()) - count);
  for (int i = first; i < static_cast<int>(lines.size()); ++i) {
    out += (out.empty() ? "" : "; ") + lines[i];
  }
  return out;
}

void write_all(int fd, const std::string& data) {
  std::size_t off = 0;
  while (off < data.size()) {
    const ssize_t n = ::write(fd, data.data() + off, data.size() - off);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;
    off += static_cast<std::size_t>(n);
  }
}

// Reads `fd` into `out` until its writer closes it; false when `timeout_s` from `start` passed
// first.
bool read_until(int fd, Clock::time_point start, double timeout_s, std::string& out) {
  const auto deadline = start + std::chrono::duration<double>(timeout_s);
  for (;;) {
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
    if (left.count() <= 0) return false;
    pollfd pfd{fd, POLLIN, 0};
    const int pr = ::poll(&pfd, 1, static_cast<int>(left.count()));
    if (pr < 0 && errno == EINTR) continue;
    if (pr == 0) return false;
    std::array<char, 4096> buf{};
    const ssize_t n = ::read(fd, buf.data(), buf.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return true;
    out.append(buf.data(), static_cast<std::size_t>(n));
  }
}

// What the child printed (at most about 1 MiB) from its memfd, which is closed; "" without one.
std::string read_output(int out_fd) {
  std::string text;
  if (out_fd < 0) return text;
  std::array<char, 4096> buf{};
  off_t off = 0;
  ssize_t n = 0;
  while ((n = ::pread(out_fd, buf.data(), buf.size(), off)) > 0) {
    text.append(buf.data(), static_cast<std::size_t>(n));
    off += n;
    if (text.size() > (1U << 20)) break;
  }
  ::close(out_fd);
  return text;
}

// The probe's result from how the child ended, its JSON answer and its output's last lines.
void read_child_result(int status, const std::string& payload, const std::string& child_output,
                       ProbeResult& r) {
  if (WIFSIGNALED(status)) {
    r.status = "crashed";
    r.reason = fmt::format("probe process died with signal {} ({})", WTERMSIG(status),
                           strsignal(WTERMSIG(status)));
    const std::string tail = last_lines(child_output, 2);
    if (!tail.empty()) r.reason += ": " + tail;
    return;
  }
  try {
    from_json(nlohmann::json::parse(payload), r);
  } catch (const std::exception&) {
    r.status = "crashed";
    r.reason = fmt::format("probe process exited with status {} without a result",
                           WIFEXITED(status) ? WEXITSTATUS(status) : -1);
    return;
  }
  if (!r.usable && r.reason.find(':') == std::string::npos) {
    const std::string tail = last_lines(child_output, 2);
    if (!tail.empty()) r.reason += ": " + tail;
  }
}

ProbeResult probe_isolated(const std::string& name, const ProbeOptions& opt) {
  ProbeResult r;
  r.encoder = name;
  if (const AVCodec* c = avcodec_find_encoder_by_name(name.c_str())) {
    const auto impl = detail::make_implementation(c);
    r.codec = impl.codec;
    r.type = impl.type;
  }
  const auto start = Clock::now();
  std::array<int, 2> fds{};
  if (pipe2(fds.data(), O_CLOEXEC) != 0) {
    r.status = "unusable";
    r.reason = fmt::format("cannot create a pipe: {}", std::strerror(errno));
    return r;
  }
  // The child's stdout/stderr (libraries such as x265 and SVT-AV1 print there) go to a memfd,
  // so the command's own output stays clean and the tail can explain a failure.
  const int out_fd = memfd_create("codecbench-probe", MFD_CLOEXEC);
  const pid_t pid = fork();
  if (pid == 0) {
    ::close(fds[0]);
    if (out_fd >= 0) {
      ::dup2(out_fd, STDOUT_FILENO);
      ::dup2(out_fd, STDERR_FILENO);
    }
    ProbeResult child = probe_encoder_in_process(name, opt);
    write_all(fds[1], to_json(child).dump());
    ::_exit(0);
  }
  ::close(fds[1]);
  if (pid < 0) {
    ::close(fds[0]);
    if (out_fd >= 0) ::close(out_fd);
    r.status = "unusable";
    r.reason = fmt::format("cannot fork a probe process: {}", std::strerror(errno));
    return r;
  }
  std::string payload;
  const bool timed_out = !read_until(fds[0], start, opt.timeout_s, payload);
  ::close(fds[0]);
  if (timed_out) ::kill(pid, SIGKILL);
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  const std::string child_output = read_output(out_fd);
  r.seconds = std::chrono::duration<double>(Clock::now() - start).count();
  if (timed_out) {
    r.status = "timeout";
    r.reason = fmt::format("no answer within {:g} s; probe process killed", opt.timeout_s);
    return r;
  }
  read_child_result(status, payload, child_output, r);
  return r;
}

}  // namespace

ProbeResult probe_encoder_in_process(const std::string& name, const ProbeOptions& opt) {
  ProbeResult r;
  r.encoder = name;
  const auto start = Clock::now();
  const AVCodec* c = avcodec_find_encoder_by_name(name.c_str());
  if (c == nullptr) {
    r.status = "unusable";
    r.reason = fmt::format("no encoder named '{}' in this libavcodec", name);
    return r;
  }
  const auto impl = detail::make_implementation(c);
  r.codec = impl.codec;
  r.type = impl.type;
  r.experimental = impl.experimental;
  LogCapture capture(AV_LOG_ERROR);
  try {
    switch (impl.type) {
      case MediaType::kVideo:
        probe_video(c, opt, r);
        break;
      case MediaType::kAudio:
        probe_audio(c, r);
        break;
      case MediaType::kSubtitle:
        probe_subtitle(c, opt);
        break;
      default:
        throw Error("media type cannot be probed");
    }
    r.status = "usable";
    r.usable = true;
    if (r.experimental) r.reason = "experimental: needs strict=experimental (-2)";
  } catch (const std::exception& e) {
    r.status = "unusable";
    const std::string logs = capture.errors();
    r.reason = logs.empty() ? std::string(e.what()) : fmt::format("{} ({})", logs, e.what());
  }
  r.seconds = std::chrono::duration<double>(Clock::now() - start).count();
  return r;
}

std::vector<ProbeResult> probe_encoders(const std::vector<std::string>& encoders,
                                        const ProbeOptions& options,
                                        const ProbeProgress& progress) {
  std::vector<ProbeResult> results(encoders.size());
  int concurrency = options.concurrency;
  if (concurrency <= 0) concurrency = static_cast<int>(std::thread::hardware_concurrency());
  if (concurrency <= 0) concurrency = 1;
  if (concurrency > limits::kProbeJobs) {
    throw UsageError(fmt::format("probe concurrency {} is above the limit of {}", concurrency,
                                 limits::kProbeJobs));
  }
  std::mutex mutex;
  std::size_t done = 0;
  tbb::task_arena arena(concurrency);
  arena.execute([&] {
    tbb::parallel_for(std::size_t{0}, encoders.size(), [&](std::size_t i) {
      results[i] = probe_isolated(encoders[i], options);
      std::lock_guard lock(mutex);
      ++done;
      if (progress) progress(results[i], done, encoders.size());
    });
  });
  return results;
}

}  // namespace codecbench
