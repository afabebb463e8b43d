#pragma once
/// @file views.hpp
/// The views of runs that commands show (export.hpp renders them): a run, the list of runs in
/// a store, a comparison. The same record gives the same view whether it comes from a batch
/// just run, the store or a file.

#include <string>
#include <vector>

#include "codecbench/analysis/compare.hpp"
#include "codecbench/catalog/probe.hpp"
#include "codecbench/config/preset_path.hpp"
#include "codecbench/core/version.hpp"
#include "codecbench/report/export.hpp"
#include "codecbench/run/decode_bench.hpp"
#include "codecbench/store/run_record.hpp"
#include "codecbench/store/store.hpp"

namespace codecbench {

/// A run: the table (input, encoder, options, size, ratio, bitrate, the primary quality
/// figure, SSIM or SI-SDR, speed, median wall time with its CV, status), the run document
/// (run_record.hpp) for --json, and one record per job (the job with run_uuid and run_id, the
/// result without per-frame values) for --jsonl and --csv.
View run_view(const RunRecord& run);

/// The runs of a store.
View runs_view(const std::vector<RunRow>& runs);

/// A comparison of run B against run A (named `a` and `b`).
View comparison_view(const Comparison& c, const std::string& a, const std::string& b);

/// `codecbench doctor`: the machine and its conditions (machine.hpp), each noise source found
/// with its fix, the FFmpeg libraries and their build configuration, and which encoders work
/// here (`probes`; none when not probed). The table is one fact per row; the warnings are its
/// notes.
View doctor_view(const MachineInfo& machine, const std::vector<MachineWarning>& warnings,
                 const VersionInfo& version, const std::vector<ProbeResult>* probes);

/// The `presets` view: a table of name, where found (origin), description, path; a shadowed
/// preset's description says which file wins; the search path as notes and in the document.
View presets_view(const std::vector<PresetListing>& presets, const std::vector<PresetFolder>& path);

/// The benchmark for every exporter: one table row per configuration (decoder, threads, type,
/// frames, median time, CV, fps, speedup, efficiency, CPU, peak memory, MD5, exactness); the
/// JSON document holds every repeat (frame hashes with `per_frame`) and the fits.
View decode_view(const DecodeBenchmark& b, bool per_frame);

}  // namespace codecbench
