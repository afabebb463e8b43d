// Slurm job-array scripts and their submission with sbatch.
#include "codecbench/cluster/slurm.hpp"

#include <fcntl.h>
#include <fmt/core.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

#include "codecbench/core/error.hpp"
#include "codecbench/core/files.hpp"
#include "codecbench/core/process.hpp"

namespace codecbench {
namespace {

// The second line of every script codecbench writes: how it knows a script is its own.
constexpr const char* kScriptMark = "# Written by `codecbench slurm`";

std::string sbatch_header(const SlurmLaunch& l, const std::string& name, const std::string& log) {
  std::string h = "#!/bin/bash\n";
  h += fmt::format("{}; it replaces this file when run again with this folder.\n", kScriptMark);
  h += fmt::format("#SBATCH --job-name={}\n", shell_quote(name));
  h += fmt::format("#SBATCH --output={}\n", shell_quote(log));
  if (!l.partition.empty()) h += fmt::format("#SBATCH --partition={}\n", shell_quote(l.partition));
  if (!l.time.empty()) h += fmt::format("#SBATCH --time={}\n", shell_quote(l.time));
  if (!l.account.empty()) h += fmt::format("#SBATCH --account={}\n", shell_quote(l.account));
  for (const auto& a : l.sbatch_args) h += fmt::format("#SBATCH {}\n", a);
  return h;
}

std::string sbatch(const std::vector<std::string>& argv) {
  const ProcessOutput o = run_process(argv);
  if (o.status != 0) {
    throw InputError(fmt::format("sbatch refused {}: {}", argv.back(),
                                 first_line(o.err.empty() ? o.out : o.err)));
  }
  std::string id = first_line(o.out);
  if (const auto semi = id.find(';'); semi != std::string::npos) id = id.substr(0, semi);
  if (id.empty()) throw InputError(fmt::format("sbatch gave no job id for {}", argv.back()));
  return id;
}

// A value bound for an #SBATCH line: no control character (a newline ends the line).
void check_value(const std::string& value, const std::string& what) {
  for (const char c : value) {
    const auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u == 0x7f) {
      throw InputError(fmt::format(
          "{}: a control character (0x{:02x}) cannot go into a Slurm script; the value was "
          "refused, nothing was written",
          what, u));
    }
  }
}

// Whether `path` may be replaced by a script: nothing there, or a regular file codecbench wrote
// (its mark on the second line). A link, another file or anything else only with --force; a
// folder never.
void check_replaceable(const std::string& path, bool force) {
  struct stat st {};
  if (::lstat(path.c_str(), &st) != 0) return;
  if (S_ISDIR(st.st_mode)) throw InputError(fmt::format("{}: is a directory", path));
  if (force) return;
  std::string what = "a file codecbench did not write";
  if (S_ISLNK(st.st_mode)) {
    what = "a symbolic link";
  } else if (!S_ISREG(st.st_mode)) {
    what = "not a regular file";
  } else if (const int fd = ::open(path.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC); fd >= 0) {
    std::string head(512, '\0');
    const ssize_t n = ::read(fd, head.data(), head.size());
    ::close(fd);
    head.resize(n > 0 ? static_cast<std::size_t>(n) : 0);
    const auto line2 = head.find('\n');
    if (line2 != std::string::npos &&
        head.compare(line2 + 1, std::strlen(kScriptMark), kScriptMark) == 0)
      return;
  }
  throw InputError(fmt::format(
      "{}: {}; refusing to replace it (--force replaces it, never writing through a link)", path,
      what));
}

}  // namespace

void check_slurm_launch(const SlurmLaunch& l) {
  check_value(l.preset_name, "the preset's name");
  check_value(l.partition, "launcher.partition / --partition");
  check_value(l.time, "launcher.time / --time");
  check_value(l.account, "launcher.account / --account");
  check_value(l.dir, "launcher.dir / --dir");
  for (const auto& a : l.sbatch_args) check_value(a, "launcher.sbatch_args / --sbatch-arg");
  check_value(l.preset, "the preset's path");
  check_value(l.codecbench, "codecbench's path");
}

std::string default_slurm_dir(const std::string& preset_name, const std::string& run_uuid) {
  std::string name;
  for (const char c : preset_name) {
    const bool keep = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                      c == '.' || c == '-' || c == '_';
    name += keep ? c : '_';
  }
  if (name.size() > 64) name.resize(64);
  return fmt::format("slurm-{}-{}", name, run_uuid.substr(0, 8));
}

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
  s += "set -uo pipefail\n";
  const std::string dir = shell_quote(l.dir);
  const std::string cb = shell_quote(l.codecbench);
  s += fmt::format("{} run {}", cb, shell_quote(l.preset));
  for (const auto& o : l.overrides) s += " " + shell_quote(o);
  s += fmt::format(" --shard \"$SLURM_ARRAY_TASK_ID/{}\" --run-uuid {} \\\n", l.shards, l.run_uuid);
  if (l.dynamic) s += fmt::format("  --claims {}/.claims-{} \\\n", dir, l.run_uuid);
  s += fmt::format("  --store {}\"/shard-$SLURM_ARRAY_TASK_ID.sqlite\" --quiet\n", dir);
  s += "status=$?\n";
  // The merge job waits for a scheduling pass after the array (on a busy cluster, for its turn
  // in the queue): the last task to finish merges at once instead, so the results are whole
  // when the array ends. One marker per finished task; of the tasks that see all of them, the
  // one that creates the lock folder (mkdir is atomic, also on NFS) is the only writer. The
  // merge job still runs after the array and reports any gap (merging again adds nothing).
  const std::string marks = fmt::format("{}/.finished-{}", dir, l.run_uuid);
  s += "# The last task to finish merges every shard now; the merge job checks again after the "
       "array.\n";
  s += fmt::format("mkdir -p {0} && : > {0}/\"$SLURM_ARRAY_TASK_ID\"\n", marks);
  s += fmt::format("finished=({}/*)\n", marks);
  s += fmt::format("if ((${{#finished[@]}} == {})) && mkdir {}/.merging-{} 2>/dev/null; then\n",
                   l.shards, dir, l.run_uuid);
  s += fmt::format(
      "  (shopt -s nullglob; cd {} && {} merge merged.sqlite shard-*.sqlite --uuid {} --json "
      "merge.json >/dev/null) || echo \"codecbench: the merge in the last task ended with exit $? "
      "(see merge.json); the merge job runs after the array\" >&2\n",
      dir, cb, l.run_uuid);
  s += "fi\n";
  s += "exit $status\n";
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
  check_slurm_launch(l);
  std::error_code ec;
  std::filesystem::create_directories(std::filesystem::path(l.dir) / "logs", ec);
  if (ec) throw InputError(fmt::format("{}: cannot create the folder ({})", l.dir, ec.message()));
  const std::vector<std::pair<std::string, std::string>> scripts = {
      {(std::filesystem::path(l.dir) / "array.sbatch").string(), slurm_array_script(l)},
      {(std::filesystem::path(l.dir) / "merge.sbatch").string(), slurm_merge_script(l)}};
  // Both checked before either is written: a refusal leaves the folder as it was.
  for (const auto& [path, text] : scripts) check_replaceable(path, l.force);
  std::vector<std::string> paths;
  for (const auto& [path, text] : scripts) {
    replace_file(path, text, 0755);
    paths.push_back(path);
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
