#pragma once
/// @file preset.hpp
/// A resolved preset checked against codecbench's schema, and its expansion into jobs.
/// docs/presets.md documents every field.

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "codecbench/config/config.hpp"
#include "codecbench/core/install.hpp"
#include "codecbench/media/decode.hpp"
#include "codecbench/media/job_kind.hpp"
#include "codecbench/media/transcode.hpp"

namespace codecbench {

/// One input of a preset.
struct PresetInput {
  /// Short label and, for files, the name in the job key: `name:`, else the file name, or the
  /// lavfi source name.
  std::string name;
  /// The input as given; relative file paths are resolved against the folder of the preset
  /// file they were written in (the working folder for command-line overrides).
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
  /// `decode_after: true`: after each job, decode the stream it made (default decoder, the
  /// job's threads) and record the decoder's speed and output MD5 in the job's result.
  bool decode_after = false;
  /// `scale:` one size or a list of them (an axis, varying slowest): each job encodes at that
  /// size and is measured at the source's (transcode.hpp, ScaleSpec); "source" = unscaled.
  /// Empty: the source's size only.
  std::vector<ScaleSpec> scales;
};

/// One decoder configuration of a preset (`decoders.LABEL`): decode jobs run it on every
/// input whose codec it decodes (every file input when `decoder` is empty).
struct PresetDecoder {
  std::string label;                      ///< the map key
  std::string decoder;                    ///< implementation; "" = FFmpeg's default for the codec
  std::vector<int> threads;               ///< one job per count; empty: the preset's `threads`
  std::vector<std::string> thread_types;  ///< one job per type; empty: FFmpeg's default
  bool md5 = true;                        ///< hash the output (one more, untimed decode)
};

/// Where results go.
struct PresetOutput {
  std::string store = kDefaultStoreLocation;  ///< SQLite results store
  std::string json;                           ///< also write the run as JSON ("" = no)
  std::string csv;                            ///< also write the run as CSV ("" = no)
  std::string keep_dir;                       ///< keep every encoded stream here ("" = no)
};

/// How `codecbench slurm` runs the preset (`launcher:`, in the spirit of Hydra's submitit
/// launcher); the command line overrides each field. Not part of any job's identity.
struct PresetLauncher {
  int shards = 0;                        ///< array tasks (0: the command's default)
  std::string partition, time, account;  ///< "" = the cluster's defaults
  int array_parallelism = 0;             ///< most tasks at once (0 = no limit)
  std::vector<std::string> sbatch_args;  ///< further #SBATCH lines
  std::string dir;                       ///< where scripts, stores and logs go ("" = default)
  std::string split;                     ///< "dynamic" (claims), "static" ("" = the default)
};

/// What `codecbench search PRESET` searches for every input and encoder of the preset
/// (`search:`; search.hpp, docs/cli.md). Checked when the preset is read.
struct PresetSearch {
  std::string param;  ///< the encoder option searched (its axis, if any, is replaced)
  std::string range;  ///< "LO:HI[:STEP]"
  std::string target;
  std::string pool;
  std::vector<std::string> also;
  int samples = 0;
  double sample_duration = 4;
  [[nodiscard]] bool present() const { return !param.empty(); }
};

/// A checked preset.
struct Preset {
  std::string name;  ///< `name:` or the file's stem
  std::string description;
  std::vector<PresetInput> inputs;
  std::vector<PresetEncoder> encoders;
  std::vector<PresetDecoder> decoders;  ///< decode jobs (`decoders:`), after the encode jobs
  int threads = 1;                      ///< codec threads per job (0 = FFmpeg's auto)
  int jobs = 1;                         ///< concurrent jobs
  int repeats = 1;                      ///< measured runs per job
  int warmup = 0;                       ///< unmeasured runs per job before them
  std::vector<std::string> metrics;     ///< empty: the defaults per media type
  PresetOutput output;
  PresetLauncher launcher;
  PresetSearch search;                        ///< `search:` (not part of any job's identity)
  std::uint64_t reference_budget_mib = 1024;  ///< decoded references shared within this budget
  std::vector<std::string> variant;           ///< multirun overrides that made this variant
};

/// Checks a resolved tree and builds the preset. Throws config::ConfigError naming the file,
/// line and key path: unknown keys (with the closest valid key), wrong types, missing fields.
Preset preset_from_tree(const config::NodePtr& resolved, const std::string& default_name);

/// One job of a batch: a plain, serialisable value with a machine-independent key.
struct BatchJob {
  std::string key;            ///< job_key() of the job: the same on every machine
  std::string input;          ///< PresetInput::name
  std::string encoder_label;  ///< PresetEncoder::label (PresetDecoder::label for decode jobs)
  std::string variant;        ///< multirun overrides, "" for none
  JobKind kind = JobKind::kEncode;
  /// What run_job() gets. Decode jobs use its input and threads (thread_type too).
  JobSpec spec;
  /// Encode jobs: decode the stream afterwards (PresetEncoder::decode_after).
  bool decode_after = false;
  /// Decode jobs: what run_decode() gets (input, decoder, threads, thread type, md5).
  DecodeSpec decode;
};

/// Cores a run of the preset keeps busy at once: jobs x threads (threads 0, FFmpeg's auto,
/// counts as every core), at most `logical_cores`.
int cores_wanted(const Preset& preset, int logical_cores);

/// Expands inputs x encoders x option axes into jobs, in a stable order, with their keys.
/// Throws InputError when an input file cannot be read (its fingerprint is part of the key).
std::vector<BatchJob> expand_jobs(const Preset& preset);

/// Every path a run of this preset writes, as (role, path) in order: "store", then
/// "output.json", "output.csv" and "output.keep_dir" where set. `store` (a --store option)
/// replaces the preset's store when not empty.
std::vector<std::pair<std::string, std::string>> output_paths(const Preset& preset,
                                                              const std::string& store = "");

/// How a job key names an input: `lavfi:GRAPH` for a lavfi source; for a file its name
/// (PresetInput::name) and a fingerprint of its content (fingerprint.hpp):
/// `file:NAME#xxh3:...`. No path: the same file under another folder, checkout or machine
/// names the same input, and another file under the same name does not.
std::string input_identity(const PresetInput& input);

/// The canonical text a job key hashes (docs/presets.md, "Job identity"): a version line, the
/// input identity and its trim and stream, the encoder, its options sorted by name, the codec
/// threads and the metric names (sorted; the media type's defaults when none are named).
std::string job_identity_text(const std::string& input_identity, const JobSpec& spec);

/// The identity text of a decode job: a version line, the input identity and stream, the
/// decoder ("" = default), its threads and thread type, and whether the output is hashed.
std::string decode_identity_text(const std::string& input_identity, const DecodeSpec& spec);

/// stable_hash(job_identity_text(...)): 16 hex digits.
std::string job_key(const std::string& input_identity, const JobSpec& spec);

/// A preset file with command-line overrides applied, resolved, checked and expanded.
struct PresetBundle {
  std::vector<Preset> variants;  ///< one per multirun combination (one without sweeps)
  std::vector<BatchJob> jobs;    ///< every variant's jobs
  std::string yaml;              ///< resolved YAML of every variant ("---" between them)
  /// The preset's identity: a stable hash of its job keys (in order) with repeats and warmup,
  /// the same on every machine and checkout; stable_hash(yaml) when not expanded.
  std::string hash;
};

/// Loads PATH, applies the overrides (Hydra syntax; with `multirun`, comma lists, range() and
/// the file's `sweep:` section expand to variants; without it, a multi-valued override is an
/// error that suggests -m), resolves, checks and expands every variant.
/// With `expand` false the jobs are not expanded (no input is read): `config` only prints.
PresetBundle load_bundle(const std::string& path, const std::vector<std::string>& overrides,
                         bool multirun, bool expand = true);

}  // namespace codecbench
