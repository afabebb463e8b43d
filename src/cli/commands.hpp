#pragma once
// Subcommand registration. Each command fills its own settings struct from CLI11 and calls
// the core library; the returned function runs the command and gives its exit code.
#include <CLI/CLI.hpp>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "codecbench/bdrate.hpp"
#include "codecbench/run_record.hpp"

namespace codecbench::cli {

/// The rate-quality points of a stored run (an id, "" for the latest, or a `run --json` file)
/// for one metric (results.hpp's names), one per finished job that measured it; `name` is set
/// to how the run is called in messages ("run 3", or the file).
std::vector<RdSample> rd_samples_of_run(const std::string& run_ref, const std::string& store_path,
                                        const std::string& metric, std::string& name);

using CommandRunner = std::function<int()>;

/// Registers `codecs` (and `codecs show`); sets `runner` when the command is selected.
void register_codecs(CLI::App& app, CommandRunner& runner);
/// Registers `transcode`.
void register_transcode(CLI::App& app, CommandRunner& runner);
/// Registers `decode`.
void register_decode(CLI::App& app, CommandRunner& runner);
/// Registers `run` and `config`.
void register_run(CLI::App& app, CommandRunner& runner);
/// Registers `sweep`.
void register_sweep(CLI::App& app, CommandRunner& runner);
/// Registers `bdrate`.
void register_bdrate(CLI::App& app, CommandRunner& runner);
/// Registers `presets` and `presets show`.
void register_presets(CLI::App& app, CommandRunner& runner);
/// Registers `doctor`.
void register_doctor(CLI::App& app, CommandRunner& runner);
/// Prints on stderr each noise source of the machine for a run that keeps `cores_wanted` cores
/// busy, unless quiet or $CODECBENCH_MACHINE_WARNINGS is 0.
void warn_about_machine(const MachineInfo& machine, int cores_wanted, bool quiet);
/// Registers `runs` and `compare`.
void register_store_commands(CLI::App& app, CommandRunner& runner);

}  // namespace codecbench::cli
