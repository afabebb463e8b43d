#pragma once
/// @file probe.hpp
/// Encoder probing: does an encoder actually work on this machine? Each probe opens the
/// encoder in a child process with a tiny synthetic frame in a format it supports, encodes and
/// flushes it, and reports `usable` or the exact reason it is not. A probe that hangs is killed
/// after a timeout and one that crashes is reported as crashed: neither can take the caller down.

#include <functional>
#include <string>
#include <vector>

#include "codecbench/catalog/catalog.hpp"

namespace codecbench {

/// Settings of a probe run.
struct ProbeOptions {
  double timeout_s = 10.0;  ///< wall-clock limit per encoder, seconds (default 10)
  int width = 352;          ///< probe frame width in pixels (default 352, CIF)
  int height = 288;         ///< probe frame height in pixels (default 288, CIF)
  int concurrency = 0;      ///< probes run at once; 0 = hardware threads (default)
};

/// Outcome of probing one encoder.
struct ProbeResult {
  std::string encoder;  ///< encoder name
  std::string codec;    ///< descriptor name
  MediaType type = MediaType::kUnknown;
  /// "usable", "unusable", "timeout" or "crashed".
  std::string status;
  bool usable = false;        ///< status == "usable"
  std::string reason;         ///< why not usable (FFmpeg's own messages), or a note when usable
  std::string format;         ///< pixel or sample format the probe used, "" if none
  bool experimental = false;  ///< needed strict_std_compliance=experimental to open
  int packets = 0;            ///< packets the encoder produced for the probe frame
  double seconds = 0.0;       ///< wall time of the probe
};

/// Called after each probe finishes (from worker threads, serialized by the caller's lock).
using ProbeProgress = std::function<void(const ProbeResult&, std::size_t done, std::size_t total)>;

/// Probes the named encoders in parallel (TBB), each isolated in a child process.
/// Results are in the order of `encoders`. Unknown names give status "unusable".
std::vector<ProbeResult> probe_encoders(const std::vector<std::string>& encoders,
                                        const ProbeOptions& options,
                                        const ProbeProgress& progress = {});

/// Probes one encoder in the calling process, without isolation (what each child runs).
ProbeResult probe_encoder_in_process(const std::string& encoder, const ProbeOptions& options);

}  // namespace codecbench
