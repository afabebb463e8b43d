// codecbench command-line front end: parses argv with CLI11, runs one subcommand, and maps
// exceptions to the exit codes documented in docs/cli.md.
#include <fcntl.h>
#include <fmt/core.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <new>
#include <sstream>

#include "codecbench/core/error.hpp"
#include "codecbench/core/log.hpp"
#include "codecbench/core/version.hpp"
#include "commands.hpp"
#include "shell_help.hpp"

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

// Help and version text on stdout; a full disk or closed stdout is exit 3, as for results.
int print_stdout(const std::string& text) {
  if (std::fputs(text.c_str(), stdout) < 0 || std::fflush(stdout) != 0) {
    std::fprintf(stderr, "codecbench: error: stdout: write failed: %s\n", std::strerror(errno));
    return static_cast<int>(codecbench::ExitCode::kInput);
  }
  return 0;
}

// A process started with fd 0, 1 or 2 closed would hand that number to the next file it opens
// (the results store), and a stray write to "stdout" would land in the database. Fill the
// slots with /dev/null, stdout read-only so that writing results to it still fails loudly.
void guard_standard_fds() {
  for (int fd = 0; fd <= 2; ++fd) {
    if (::fcntl(fd, F_GETFD) != -1 || errno != EBADF) continue;
    const int got = ::open("/dev/null", fd == 2 ? O_WRONLY : O_RDONLY);
    if (got >= 0 && got != fd) ::close(got);
  }
}

}  // namespace

int main(int argc, char** argv) {
  guard_standard_fds();
  // SVT-AV1 prints its banner, configuration and errors to stderr itself, outside FFmpeg's
  // log: only fatal ones here (level 0). Its refusals still reach codecbench's one-line error
  // through FFmpeg's wrapper ("bad parameter"); a user's own SVT_LOG wins.
  setenv("SVT_LOG", "0", 0);
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
      ->capture_default_str()
      ->check(CLI::Range(-8, 56));

  codecbench::cli::CommandRunner runner;
  codecbench::cli::register_codecs(app, runner);
  codecbench::cli::register_transcode(app, runner);
  codecbench::cli::register_decode(app, runner);
  codecbench::cli::register_run(app, runner);
  codecbench::cli::register_sweep(app, runner);
  codecbench::cli::register_bdrate(app, runner);
  codecbench::cli::register_hull(app, runner);
  codecbench::cli::register_search(app, runner);
  codecbench::cli::register_store_commands(app, runner);
  codecbench::cli::register_presets(app, runner);
  codecbench::cli::register_doctor(app, runner);
  codecbench::cli::register_shell_help(app, runner);

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    if (e.get_exit_code() == 0) {
      std::ostringstream help;
      app.exit(e, help, help);
      return print_stdout(help.str());
    }
    std::fprintf(stderr, "codecbench: error: %s (see --help)\n",
                 codecbench::one_line(e.what()).c_str());
    return static_cast<int>(codecbench::ExitCode::kUsage);
  }
  if (show_version) {
    return print_stdout(version_text());
  }
  if (!runner) {
    return print_stdout(app.help());
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
    std::fprintf(stderr, "codecbench: error: %s\n", codecbench::one_line(e.what()).c_str());
    return static_cast<int>(e.code());
  } catch (const std::bad_alloc&) {
    // Any allocation that failed (a memory limit, a huge input): one line, never an abort.
    std::fputs(
        "codecbench: error: out of memory (a limit of this process or machine; a smaller "
        "input or fewer jobs at once may fit)\n",
        stderr);
    return static_cast<int>(codecbench::ExitCode::kResources);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "codecbench: internal error: %s\n",
                 codecbench::one_line(e.what()).c_str());
    return static_cast<int>(codecbench::ExitCode::kFailure);
  }
}
