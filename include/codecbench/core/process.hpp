#pragma once
/// @file process.hpp
/// Running another program (sbatch, mpirun) and collecting what it printed.

#include <string>
#include <vector>

namespace codecbench {

/// What a finished program gave.
struct ProcessOutput {
  int status = -1;  ///< exit status; 128 + signal when killed
  std::string out, err;
};

/// Runs argv[0] (found on PATH) with the arguments and this environment, waits for it and
/// returns its exit status and output. InputError naming the program when it cannot be started.
ProcessOutput run_process(const std::vector<std::string>& argv);

/// The first line of a text, without its line end.
std::string first_line(std::string text);

/// This machine's host name ("?" when it cannot be read).
std::string this_host_name();

/// This process as a token that outlives it: "HOST BOOT_ID PID START_TICKS" (start time from
/// /proc/self/stat, so a reused pid is not mistaken for this process).
std::string process_token();

/// Whether the process a token names still runs: kGone when it ran on this host and is gone (no
/// such pid, another start time, or the host rebooted since); kUnknown for another host or a
/// malformed token.
enum class ProcessState { kAlive, kGone, kUnknown };
ProcessState process_state(const std::string& token);

}  // namespace codecbench
