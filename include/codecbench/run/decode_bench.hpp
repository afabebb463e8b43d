#pragma once
/// @file decode_bench.hpp
/// Decoder benchmarks (`codecbench decode`): every decoder configuration (implementation,
/// thread count, thread type) decoded `repeats` times (decode.hpp), their outputs checked
/// frame by frame against each other, and each group's thread scaling with an Amdahl fit
/// (scaling.hpp). docs/cli.md documents the figures; views.hpp renders them.

#include <functional>
#include <string>
#include <vector>

#include "codecbench/analysis/scaling.hpp"
#include "codecbench/media/decode.hpp"

namespace codecbench {

/// One configuration's repeats and figures.
struct DecodeSeries {
  DecodeConfig config;
  std::vector<DecodeResult> repeats;  ///< the timed decodes: no hashing in them
  /// One more decode that hashes every frame (when the spec asks for MD5s; else empty): the
  /// frames the configuration gives, and what hashing costs (its decode_s against median_s).
  DecodeResult hashed;
  double median_s = 0;  ///< median decode_s
  double cv = 0;        ///< coefficient of variation of decode_s over the repeats
  double median_fps = 0;
  /// Against the lowest thread count of the same decoder and thread type: T(lowest)/T(N),
  /// and that over N/lowest; 0 where this is the lowest (or thread counts are auto).
  double speedup = 0, efficiency = 0;
  /// This configuration's hashed decode against the first configuration's.
  ExactnessDifference exactness;
};

/// A strong-scaling fit over the thread counts of one decoder and thread type.
struct DecodeScaling {
  std::string decoder, thread_type;
  std::vector<ScalingPoint> points;
  FitResult amdahl;  ///< serial fraction with its 95% bootstrap interval
};

/// A decode benchmark: every configuration, whether their outputs agree, and the scaling.
struct DecodeBenchmark {
  DecodeSpec spec;
  int repeats = 1;
  std::vector<DecodeSeries> series;
  bool identical = true;               ///< every configuration decoded the same frames
  std::vector<DecodeScaling> scaling;  ///< groups with two or more thread counts above 0
};

/// Runs every configuration `repeats` times without hashing (run_decodes), so that the times
/// are the decoder's alone; with spec.md5, decodes each configuration once more hashing every
/// frame and checks it against the first configuration's frame by frame. Derives speedups,
/// efficiencies and an Amdahl fit per decoder and thread type from the timed decodes.
/// `progress` hears (done, total) over all decodes.
DecodeBenchmark benchmark_decoders(const DecodeSpec& spec, const std::vector<DecodeConfig>& configs,
                                   int repeats, const std::function<void(int, int)>& progress = {});

}  // namespace codecbench
