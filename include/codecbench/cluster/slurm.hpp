#pragma once
/// @file slurm.hpp
/// A preset as a Slurm job array: one array task per shard (run --shard K/N, all tasks one run
/// UUID, each its own store and log), and a merge job that runs after the array whatever its
/// tasks' fate (afterany), so a failed task leaves the others merged and the gap named.
/// docs/cluster.md shows the scripts.

#include <string>
#include <vector>

namespace codecbench {

/// What the scripts run and ask Slurm for.
struct SlurmLaunch {
  std::string codecbench;                ///< absolute path of the codecbench binary to run
  std::string preset;                    ///< absolute path of the preset
  std::vector<std::string> overrides;    ///< command-line overrides, as given
  std::string preset_name;               ///< for the job names
  std::string dir;                       ///< absolute folder for scripts, shard stores and logs
  std::string run_uuid;                  ///< shared by every task
  int shards = 1;                        ///< array tasks
  int cpus_per_task = 1;                 ///< concurrent jobs x codec threads
  std::string partition, time, account;  ///< "" = the cluster's defaults
  int array_parallelism = 0;             ///< most tasks at once (0 = no limit)
  std::vector<std::string> sbatch_args;  ///< further #SBATCH lines, e.g. "--qos=short"
  /// Tasks claim jobs in DIR/.claims-UUID (run --claims): one that finishes its own part
  /// takes the jobs others have not started. False: each task runs exactly its static shard.
  bool dynamic = true;
  /// Replace an array.sbatch/merge.sbatch in `dir` that codecbench did not write (or a link
  /// there: replaced, never written through).
  bool force = false;
};

/// Refuses a launch whose values cannot be written into a script safely: a newline or another
/// control character in the preset name, partition, time, account, folder, an sbatch argument,
/// the preset's or codecbench's path would end an #SBATCH line and become a line bash runs.
/// InputError naming the value ("launcher.partition / --partition") and the character.
void check_slurm_launch(const SlurmLaunch& launch);

/// The folder `codecbench slurm` uses without --dir or launcher.dir: slurm-NAME-UUID8 in the
/// working folder, NAME the preset's name with every character but letters, digits, '.', '-'
/// and '_' replaced by '_' (so no name leaves the working folder: "x/../../y" is
/// "x_.._.._y").
std::string default_slurm_dir(const std::string& preset_name, const std::string& run_uuid);

/// The array script: #SBATCH lines, then `codecbench run PRESET --shard $TASK/N ...`.
std::string slurm_array_script(const SlurmLaunch& launch);

/// The merge script: `codecbench merge DIR/merged.sqlite DIR/shard-*.sqlite --uuid UUID`.
std::string slurm_merge_script(const SlurmLaunch& launch);

/// Writes both scripts into launch.dir (created) as array.sbatch and merge.sbatch; returns
/// their paths. Each is created under a fresh temporary name and renamed into place, so a link
/// planted in the folder is replaced, never written through. InputError naming the file, and
/// nothing written, when either exists and was not written by codecbench (a script it wrote has
/// its mark on the second line) unless launch.force, or when the folder cannot be written.
std::vector<std::string> write_slurm_scripts(const SlurmLaunch& launch);

/// Submitted job ids.
struct SlurmSubmission {
  std::string array_job;
  std::string merge_job;
};

/// Submits the array, then the merge job with --dependency=afterany:ARRAY, through `sbatch`
/// (found on PATH). InputError with sbatch's own message when it refuses or cannot reach the
/// controller.
SlurmSubmission submit_slurm(const SlurmLaunch& launch);

/// A word quoted for a POSIX shell.
std::string shell_quote(const std::string& word);

}  // namespace codecbench
