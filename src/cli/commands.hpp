#pragma once
// Subcommand registration. Each command fills its own settings struct from CLI11 and calls
// the core library; the returned function runs the command and gives its exit code.
#include <CLI/CLI.hpp>
#include <functional>
#include <memory>

namespace codecbench::cli {

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

}  // namespace codecbench::cli
