// Slurm job-array scripts and their submission with sbatch.
#include "codecbench/slurm.hpp"

#include <fcntl.h>
#include <fmt/core.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>

#include "codecbench/error.hpp"

extern char** environ;

namespace codecbench {
namespace {

std::string sbatch_header(const SlurmLaunch& l, const std::string& name, const std::string& log) {
  std::string h = "#!/bin/bash\n";
  h += fmt::format("#SBATCH --job-name={}\n", shell_quote(name));
  h += fmt::format("#SBATCH --output={}\n", shell_quote(log));
  if (!l.partition.empty()) h += fmt::format("#SBATCH --partition={}\n", shell_quote(l.partition));
  if (!l.time.empty()) h += fmt::format("#SBATCH --time={}\n", shell_quote(l.time));
  if (!l.account.empty()) h += fmt::format("#SBATCH --account={}\n", shell_quote(l.account));
  for (const auto& a : l.sbatch_args) h += fmt::format("#SBATCH {}\n", a);
  return h;
}

// Runs a program with arguments, returning its exit status, stdout and stderr.
struct Output {
  int status = -1;
  std::string out, err;
};

Output run_program(const std::vector<std::string>& argv) {
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
  Output o;
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
        fmt::format("{}: cannot run ({}); is Slurm installed here?", argv[0], std::strerror(rc)));
  }
  drain(out_pipe[0], o.out);  // sbatch writes little: reading one pipe then the other is safe
  drain(err_pipe[0], o.err);
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

std::string sbatch(const std::vector<std::string>& argv) {
  const Output o = run_program(argv);
  if (o.status != 0) {
    throw InputError(fmt::format("sbatch refused {}: {}", argv.back(),
                                 first_line(o.err.empty() ? o.out : o.err)));
  }
  std::string id = first_line(o.out);
  if (const auto semi = id.find(';'); semi != std::string::npos) id = id.substr(0, semi);
  if (id.empty()) throw InputError(fmt::format("sbatch gave no job id for {}", argv.back()));
  return id;
}

}  // namespace

std::string shell_quote(const std::string& word) {
  if (!word.empty() && word.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                                              "0123456789@%+=:,./-_") == std::string::npos)
    return word;
  std::string q = "'";
  for (char c : word) q += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return q + "'";
}

std::string slurm_array_script(const SlurmLaunch& l) {
  const std::string logs = (std::filesystem::path(l.dir) / "logs").string();
  std::string s = sbatch_header(l, "codecbench-" + l.preset_name, logs + "/shard-%a.log");
  s += fmt::format("#SBATCH --array=1-{}{}\n", l.shards,
                   l.array_parallelism > 0 ? fmt::format("%{}", l.array_parallelism) : "");
  s += fmt::format("#SBATCH --cpus-per-task={}\n", l.cpus_per_task);
  s += "# One shard of the preset per array task; every task records the same run UUID.\n";
  s += "set -euo pipefail\n";
  s += fmt::format("exec {} run {}", shell_quote(l.codecbench), shell_quote(l.preset));
  for (const auto& o : l.overrides) s += " " + shell_quote(o);
  s += fmt::format(" --shard \"$SLURM_ARRAY_TASK_ID/{}\" --run-uuid {} \\\n", l.shards, l.run_uuid);
  s += fmt::format("  --store {}\"/shard-$SLURM_ARRAY_TASK_ID.sqlite\" --quiet\n",
                   shell_quote(l.dir));
  return s;
}

std::string slurm_merge_script(const SlurmLaunch& l) {
  const std::string logs = (std::filesystem::path(l.dir) / "logs").string();
  std::string s = sbatch_header(l, "codecbench-merge-" + l.preset_name, logs + "/merge.log");
  s += "#SBATCH --cpus-per-task=1\n";
  s += "# After the array (afterany): merges the shards that wrote a store; exit 5 names the\n";
  s += "# jobs still missing, which `codecbench run PRESET --resume --store merged.sqlite` runs.\n";
  s += "shopt -s nullglob\n";
  s += fmt::format("cd {}\n", shell_quote(l.dir));
  s += "stores=(shard-*.sqlite)\n";
  s += "if ((${#stores[@]} == 0)); then echo 'no shard wrote a store' >&2; exit 3; fi\n";
  s += fmt::format("exec {} merge merged.sqlite \"${{stores[@]}}\" --uuid {} --json merge.json\n",
                   shell_quote(l.codecbench), l.run_uuid);
  return s;
}

std::vector<std::string> write_slurm_scripts(const SlurmLaunch& l) {
  std::error_code ec;
  std::filesystem::create_directories(std::filesystem::path(l.dir) / "logs", ec);
  if (ec) throw InputError(fmt::format("{}: cannot create the folder ({})", l.dir, ec.message()));
  std::vector<std::string> paths;
  for (const auto& [name, text] :
       {std::pair<std::string, std::string>{"array.sbatch", slurm_array_script(l)},
        {"merge.sbatch", slurm_merge_script(l)}}) {
    const std::string p = (std::filesystem::path(l.dir) / name).string();
    std::ofstream f(p, std::ios::trunc);
    if (!(f << text) || !f.flush())
      throw InputError(fmt::format("{}: cannot write ({})", p, std::strerror(errno)));
    paths.push_back(p);
  }
  return paths;
}

SlurmSubmission submit_slurm(const SlurmLaunch& l) {
  const auto scripts = write_slurm_scripts(l);
  SlurmSubmission s;
  s.array_job = sbatch({"sbatch", "--parsable", scripts[0]});
  s.merge_job =
      sbatch({"sbatch", "--parsable", "--dependency=afterany:" + s.array_job, scripts[1]});
  return s;
}

}  // namespace codecbench
