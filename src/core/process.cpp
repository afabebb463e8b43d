// Running programs: posix_spawnp with both output pipes drained.
#include "codecbench/core/process.hpp"

#include <fcntl.h>
#include <fmt/core.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstring>
#include <fstream>
#include <sstream>
#include <thread>

#include "codecbench/core/error.hpp"

extern char** environ;

namespace codecbench {

// Runs a program with arguments, returning its exit status, stdout and stderr.
ProcessOutput run_process(const std::vector<std::string>& argv) {
  int out_pipe[2], err_pipe[2];
  if (pipe2(out_pipe, O_CLOEXEC) != 0 || pipe2(err_pipe, O_CLOEXEC) != 0)
    throw Error(fmt::format("pipe: {}", std::strerror(errno)));
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, out_pipe[1], STDOUT_FILENO);
  posix_spawn_file_actions_adddup2(&actions, err_pipe[1], STDERR_FILENO);
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  pid_t pid = 0;
  const int rc = posix_spawnp(&pid, argv[0].c_str(), &actions, nullptr, args.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  close(out_pipe[1]);
  close(err_pipe[1]);
  ProcessOutput o;
  auto drain = [](int fd, std::string& to) {
    char buf[4096];
    ssize_t n = 0;
    while ((n = read(fd, buf, sizeof buf)) > 0) to.append(buf, static_cast<std::size_t>(n));
    close(fd);
  };
  if (rc != 0) {
    close(out_pipe[0]);
    close(err_pipe[0]);
    throw InputError(
        fmt::format("{}: cannot run ({}); is it installed?", argv[0], std::strerror(rc)));
  }
  // Both pipes at once: a program filling one while we block on the other would hang.
  std::thread err_reader([&] { drain(err_pipe[0], o.err); });
  drain(out_pipe[0], o.out);
  err_reader.join();
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  o.status = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  return o;
}

std::string first_line(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r')) s.pop_back();
  const auto nl = s.find('\n');
  return nl == std::string::npos ? s : s.substr(0, nl);
}

namespace {

std::string read_first_line(const char* path) {
  std::ifstream f(path);
  std::string line;
  std::getline(f, line);
  return line;
}

// Field 22 of /proc/PID/stat: the start time in clock ticks since boot ("" when unreadable).
// The command name (field 2) may hold spaces and parentheses, so fields are counted after
// its last ')'.
std::string start_ticks(const std::string& pid) {
  const std::string stat = read_first_line(("/proc/" + pid + "/stat").c_str());
  const auto close = stat.rfind(')');
  if (close == std::string::npos) return "";
  std::istringstream in(stat.substr(close + 1));
  std::string field;
  for (int i = 3; i <= 22 && (in >> field); ++i) {
    if (i == 22) return field;
  }
  return "";
}

}  // namespace

std::string this_host_name() {
  char host[256] = {};
  if (gethostname(host, sizeof host - 1) != 0) return "?";
  return host;
}

std::string process_token() {
  const std::string pid = std::to_string(getpid());
  std::string boot = read_first_line("/proc/sys/kernel/random/boot_id");
  if (boot.empty()) boot = "-";
  std::string ticks = start_ticks(pid);
  if (ticks.empty()) ticks = "-";
  return fmt::format("{} {} {} {}", this_host_name(), boot, pid, ticks);
}

ProcessState process_state(const std::string& token) {
  std::istringstream in(token);
  std::string host, boot, pid, ticks;
  if (!(in >> host >> boot >> pid >> ticks)) return ProcessState::kUnknown;
  if (host != this_host_name() || pid.find_first_not_of("0123456789") != std::string::npos)
    return ProcessState::kUnknown;
  if (boot != "-" && boot != read_first_line("/proc/sys/kernel/random/boot_id"))
    return ProcessState::kGone;
  const pid_t p = static_cast<pid_t>(std::stol(pid));
  if (::kill(p, 0) != 0 && errno == ESRCH) return ProcessState::kGone;
  if (ticks != "-") {
    const std::string now = start_ticks(pid);
    if (!now.empty() && now != ticks) return ProcessState::kGone;
  }
  return ProcessState::kAlive;
}

}  // namespace codecbench
