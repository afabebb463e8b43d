#pragma once
// Subcommand registration. Each command fills its own settings struct from CLI11 and calls
// the core library; the returned function runs the command and gives its exit code.
#include <CLI/CLI.hpp>
#include <functional>
#include <memory>

#include "codecbench/bdrate.hpp"

namespace codecbench::cli {

struct OutputOptions;
/// BD figures per input (and their average) between two encoder labels of a stored run.
int bdrate_from_store(const std::string& run_ref, const std::string& store_path,
                      const std::string& anchor, const std::string& test, const std::string& metric,
                      BdInterpolation interp, const OutputOptions& out);

using CommandRunner = std::function<int()>;

/// Registers `codecs` (and `codecs show`); sets `runner` when the command is selected.
void register_codecs(CLI::App& app, CommandRunner& runner);
/// Registers `transcode`.
void register_transcode(CLI::App& app, CommandRunner& runner);
/// Registers `run` and `config`.
void register_run(CLI::App& app, CommandRunner& runner);
/// Registers `sweep`.
void register_sweep(CLI::App& app, CommandRunner& runner);
/// Registers `bdrate`.
void register_bdrate(CLI::App& app, CommandRunner& runner);
/// Registers `runs` and `compare`.
void register_store_commands(CLI::App& app, CommandRunner& runner);

}  // namespace codecbench::cli
