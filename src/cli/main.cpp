// codecbench command-line front end: parses argv with CLI11, runs one subcommand, and maps
// exceptions to the exit codes documented in docs/cli.md.
#include <fmt/core.h>

#include <CLI/CLI.hpp>
#include <cstdio>
#include <cstdlib>
#include <exception>

#include "codecbench/error.hpp"
#include "codecbench/log.hpp"
#include "codecbench/version.hpp"
#include "commands.hpp"

namespace {

std::string version_text() {
  const codecbench::VersionInfo v = codecbench::version_info();
  std::string out =
      fmt::format("codecbench {} (git {})\nFFmpeg {}\n", v.tool, v.git_revision, v.ffmpeg);
  for (const auto& lib : v.libraries) {
    out += fmt::format("  {:<14} {} (built with {})\n", lib.name, lib.runtime, lib.compiled);
  }
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  // SVT-AV1 prints its banner and configuration to stderr itself unless told otherwise;
  // keep its errors only (a user's own SVT_LOG wins).
  setenv("SVT_LOG", "1", 0);
  CLI::App app{"codecbench: benchmark FFmpeg's codecs (size, quality, speed, scaling)"};
  app.require_subcommand(0, 1);
  bool show_version = false;
  app.add_flag("--version", show_version, "Print the tool, git and FFmpeg library versions");
  // FFmpeg's messages that explain a failure are captured into codecbench's own one-line error,
  // so by default nothing else of FFmpeg's is printed.
  int ffmpeg_log_level = -8;  // AV_LOG_QUIET
  app.add_option("--ffmpeg-log-level", ffmpeg_log_level,
                 "Most verbose FFmpeg message level shown on stderr (16 error, 24 warning, "
                 "32 info; -8 none)")
      ->capture_default_str();

  codecbench::cli::CommandRunner runner;
  codecbench::cli::register_codecs(app, runner);
  codecbench::cli::register_transcode(app, runner);
  codecbench::cli::register_run(app, runner);
  codecbench::cli::register_sweep(app, runner);
  codecbench::cli::register_bdrate(app, runner);
  codecbench::cli::register_store_commands(app, runner);

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    if (e.get_exit_code() == 0) return app.exit(e);
    std::fprintf(stderr, "codecbench: error: %s\nRun with --help for more information.\n",
                 e.what());
    return static_cast<int>(codecbench::ExitCode::kUsage);
  }
  if (show_version) {
    std::fputs(version_text().c_str(), stdout);
    return 0;
  }
  if (!runner) {
    std::fputs(app.help().c_str(), stdout);
    return 0;
  }
  codecbench::route_ffmpeg_log(ffmpeg_log_level, [](const codecbench::LogMessage& m) {
    if (m.context.empty()) {
      std::fprintf(stderr, "ffmpeg: %s\n", m.text.c_str());
    } else {
      std::fprintf(stderr, "ffmpeg [%s]: %s\n", m.context.c_str(), m.text.c_str());
    }
  });
  try {
    return runner();
  } catch (const codecbench::Error& e) {
    std::fprintf(stderr, "codecbench: error: %s\n", e.what());
    return static_cast<int>(e.code());
  } catch (const std::exception& e) {
    std::fprintf(stderr, "codecbench: internal error: %s\n", e.what());
    return static_cast<int>(codecbench::ExitCode::kFailure);
  }
}
