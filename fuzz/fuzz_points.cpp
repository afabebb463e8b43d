// Fuzz target: the `bdrate --points` CSV reader, then BD-rate over what it read.
#include <cstddef>
#include <cstdint>
#include <string>

#include "codecbench/analysis/bdrate.hpp"
#include "codecbench/core/error.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  try {
    const auto samples = codecbench::parse_points_csv(
        std::string(reinterpret_cast<const char*>(data), size), "fuzz.csv");
    codecbench::RdCurve a, b;
    for (const auto& s : samples) {
      auto& c = a.rate.size() <= b.rate.size() ? a : b;
      c.rate.push_back(s.rate);
      c.quality.push_back(s.quality);
    }
    (void)codecbench::bd_metrics(a, b, codecbench::BdInterpolation::kPchip);
  } catch (const codecbench::Error&) {
  }
  return 0;
}
