#pragma once
/// @file preset.hpp
/// A resolved preset checked against codecbench's schema, and its expansion into jobs.
/// docs/presets.md documents every field.

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "codecbench/config.hpp"
#include "codecbench/transcode.hpp"

namespace codecbench {

/// One input of a preset.
struct PresetInput {
  std::string name;  ///< short label (file name, or the lavfi source name)
  SourceSpec source;
  /// Media type the input offers: set by `type:`, inferred for lavfi sources, kUnknown for
  /// files (both). Encoders only get inputs of their own media type.
  MediaType type = MediaType::kUnknown;
};

/// One encoder configuration of a preset (`encoders.LABEL`).
struct PresetEncoder {
  std::string label;                                         ///< the map key
  std::string codec;                                         ///< libavcodec encoder name
  std::vector<std::pair<std::string, std::string>> options;  ///< fixed options
  /// Option axes: every combination of their values is a job (a CRF or bitrate ladder).
  std::vector<std::pair<std::string, std::vector<std::string>>> axes;
  int threads = -1;  ///< -1: the preset's `threads`
};

/// Where results go.
struct PresetOutput {
  std::string store = "results/codecbench.sqlite";  ///< SQLite results store
  std::string json;                                 ///< also write the run as JSON ("" = no)
  std::string csv;                                  ///< also write the run as CSV ("" = no)
  std::string keep_dir;                             ///< keep every encoded stream here ("" = no)
};

/// A checked preset.
struct Preset {
  std::string name;  ///< `name:` or the file's stem
  std::string description;
  std::vector<PresetInput> inputs;
  std::vector<PresetEncoder> encoders;
  int threads = 1;                   ///< codec threads per job (0 = FFmpeg's auto)
  int jobs = 1;                      ///< concurrent jobs
  int repeats = 1;                   ///< measured runs per job
  int warmup = 0;                    ///< unmeasured runs per job before them
  std::vector<std::string> metrics;  ///< empty: the defaults per media type
  PresetOutput output;
  std::uint64_t reference_budget_mib = 1024;  ///< decoded references shared within this budget
  std::vector<std::string> variant;           ///< multirun overrides that made this variant
};

/// Checks a resolved tree and builds the preset. Throws config::ConfigError naming the file,
/// line and key path: unknown keys (with the closest valid key), wrong types, missing fields.
Preset preset_from_tree(const config::NodePtr& resolved, const std::string& default_name);

/// One job of a batch: a plain, serialisable value with a stable key.
struct BatchJob {
  std::string key;            ///< stable: hash of input, encoder, options, threads, metrics
  std::string input;          ///< PresetInput::name
  std::string encoder_label;  ///< PresetEncoder::label
  std::string variant;        ///< multirun overrides, "" for none
  JobSpec spec;               ///< what run_job() gets
};

/// Expands inputs x encoders x option axes into jobs, in a stable order.
std::vector<BatchJob> expand_jobs(const Preset& preset);

/// A preset file with command-line overrides applied, resolved, checked and expanded.
struct PresetBundle {
  std::vector<Preset> variants;  ///< one per multirun combination (one without sweeps)
  std::vector<BatchJob> jobs;    ///< every variant's jobs
  std::string yaml;              ///< resolved YAML of every variant ("---" between them)
  std::string hash;              ///< stable_hash(yaml)
};

/// Loads PATH, applies the overrides (Hydra syntax; with `multirun`, comma lists, range() and
/// the file's `sweep:` section expand to variants; without it, a multi-valued override is an
/// error that suggests -m), resolves, checks and expands every variant.
PresetBundle load_bundle(const std::string& path, const std::vector<std::string>& overrides,
                         bool multirun);

/// Options as "k=v k=v" text.
std::string options_text(const std::vector<std::pair<std::string, std::string>>& options);

/// 64-bit FNV-1a hash as 16 hex digits (stable across runs and machines).
std::string stable_hash(const std::string& text);

}  // namespace codecbench
