#pragma once
// Subcommand registration. Each command fills its own settings struct from CLI11 and calls
// the core library; the returned function runs the command and gives its exit code.
#include <CLI/CLI.hpp>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "codecbench/analysis/bdrate.hpp"
#include "codecbench/run/batch.hpp"
#include "codecbench/store/run_record.hpp"

namespace codecbench::cli {

/// A run from the store (an id) or from a file: a run document (`run --json`, `runs export
/// --json`) or a JSON Lines stream (`run --stream`); `name` is set to how it is called in
/// messages ("run 3", or the file).
RunRecord load_run(const std::string& ref, const std::string& store_path, std::string& name);

/// The rate-quality points of a stored run (an id, "" for the latest, or a `run --json` file)
/// for one metric (results.hpp's names), one per finished job that measured it; `name` is set
/// to how the run is called in messages ("run 3", or the file). Each scaled rung is its own
/// curve (curve_label); with `hull`, each encoder label's curve is instead its per-title
/// convex hull across resolutions (hull.hpp).
std::vector<RdSample> rd_samples_of_run(const std::string& run_ref, const std::string& store_path,
                                        const std::string& metric, std::string& name,
                                        bool hull = false);

/// Progress of a batch on stderr: a redrawn bar on a terminal, a line per finished job
/// otherwise; nothing when quiet.
std::function<void(const BatchEvent&)> batch_progress(bool quiet);

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
/// Registers `search`.
void register_search(CLI::App& app, CommandRunner& runner);
/// Registers `hull`.
void register_hull(CLI::App& app, CommandRunner& runner);
/// Registers `runs` and `compare`.
void register_store_commands(CLI::App& app, CommandRunner& runner);

}  // namespace codecbench::cli
