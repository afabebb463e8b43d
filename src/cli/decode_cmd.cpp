// `codecbench decode STREAM [-c DECODER,...] [--threads N,...] [--thread-type T,...]`: decoder
// throughput, thread scaling and bit-exactness (decode.hpp does the work).
#include <fmt/core.h>
#include <unistd.h>

#include <cstdio>
#include <memory>

#include "codecbench/core/error.hpp"
#include "codecbench/core/limits.hpp"
#include "codecbench/media/decode.hpp"
#include "codecbench/media/test_streams.hpp"
#include "codecbench/report/views.hpp"
#include "commands.hpp"
#include "output.hpp"

namespace codecbench::cli {
namespace {

struct DecodeSettings {
  DecodeSpec spec;
  std::vector<std::string> decoders;
  std::vector<int> threads{1};
  std::vector<std::string> thread_types;
  int repeats = 1;
  bool no_md5 = false;
  bool per_frame = false;
  bool check_exact = false;
  OutputOptions out;
};

int run(DecodeSettings& s) {
  if (s.no_md5 && s.check_exact) {
    throw UsageError("--check-exact compares the frames' MD5s; it cannot go with --no-md5");
  }
  s.spec.md5 = !s.no_md5;
  s.spec.input = resolve_stream_input(s.spec.input, [&s](const std::string& what) {
    if (!s.out.quiet) std::fprintf(stderr, "codecbench: %s\n", what.c_str());
  });
  if (s.decoders.empty()) s.decoders.emplace_back();
  if (s.thread_types.empty()) s.thread_types.emplace_back();
  std::vector<DecodeConfig> configs;
  for (const auto& d : s.decoders) {
    for (const auto& t : s.thread_types) {
      for (const int n : s.threads) configs.push_back({d, n, t == "default" ? "" : t});
    }
  }
  if (configs.size() > 1000) {
    throw UsageError(fmt::format("{} decoder configurations; at most 1000", configs.size()));
  }
  const bool progress = !s.out.quiet && isatty(STDERR_FILENO) != 0 &&
                        configs.size() * static_cast<std::size_t>(s.repeats) > 1;
  const auto bench = benchmark_decoders(s.spec, configs, s.repeats, [&](int done, int total) {
    if (progress) std::fprintf(stderr, "\rcodecbench: decoded %d/%d", done, total);
  });
  if (progress) std::fputc('\n', stderr);
  emit(decode_view(bench, s.per_frame), s.out);
  if (s.check_exact && !bench.identical) return static_cast<int>(ExitCode::kNotExact);
  return 0;
}

}  // namespace

void register_decode(CLI::App& app, CommandRunner& runner) {
  auto s = std::make_shared<DecodeSettings>();
  auto* cmd = app.add_subcommand(
      "decode", "Decode a stream: decoder speed, thread scaling, and frame MD5s (bit-exactness)");
  cmd->add_option("STREAM", s->spec.input,
                  "Encoded file, or stream:NAME for a test stream made once from the shipped "
                  "sample and cached (libx264, libx265, libvpx-vp9, libaom-av1, libsvtav1)")
      ->required();
  cmd->add_option("-c,--decoder", s->decoders,
                  "Decoder implementation(s), comma-separated (default: FFmpeg's choice for the "
                  "codec)")
      ->delimiter(',');
  cmd->add_option("--threads", s->threads, "Decoder thread counts, comma-separated (0 = auto)")
      ->delimiter(',')
      ->capture_default_str()
      ->check(bounded(0, limits::kThreads));
  cmd->add_option("--thread-type", s->thread_types,
                  "frame, slice, frame+slice or default; comma-separated")
      ->delimiter(',')
      ->check(CLI::IsMember({"frame", "slice", "frame+slice", "default"}));
  cmd->add_option("--stream", s->spec.stream_index, "Stream index (default: the best video)")
      ->check(bounded(0, 1e6));
  cmd->add_option("--frames", s->spec.max_frames, "Decode at most this many frames")
      ->check(bounded(1, 1e12));
  cmd->add_option("--repeats", s->repeats, "Timed decodes per configuration")
      ->capture_default_str()
      ->check(bounded(1, 1000));
  cmd->add_flag("--no-md5", s->no_md5, "Do not hash the decoded frames (time decoding alone)");
  cmd->add_flag("--check-exact", s->check_exact,
                "Exit 7 when any configuration or repeat decodes frames that differ from the "
                "first's");
  cmd->add_flag("--per-frame", s->per_frame, "Include every frame's MD5 in JSON");
  cmd->add_flag("--include-read", s->spec.include_read,
                "Time reading the file too (default: packets are read into memory first)");
  cmd->add_option(
         "--max-pixels", s->spec.max_pixels,
         fmt::format(
             "Largest frame accepted, width x height in pixels (default {}: 8192x8192); a bigger "
             "input is refused as too large before it is decoded",
             limits::kFramePixels))
      ->check(bounded(1, 1e12));
  cmd->add_flag("--allow-damaged", s->spec.allow_damaged,
                "Count concealed frames instead of failing on a damaged stream");
  add_output_options(cmd, s->out);
  cmd->callback([s, &runner] { runner = [s] { return run(*s); }; });
}

}  // namespace codecbench::cli
