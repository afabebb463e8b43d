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

}  // namespace codecbench
