// Fuzz target: the YAML loader, the resolver and the preset schema. Any input must end in a
// result or a codecbench::Error (ConfigError, InputError); anything else escaping (another
// exception, a crash, a sanitizer report, a timeout) is a finding.
#include <cstddef>
#include <cstdint>
#include <string>

#include "codecbench/config/config.hpp"
#include "codecbench/config/preset.hpp"
#include "codecbench/core/error.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  try {
    const auto tree = codecbench::config::parse_yaml(text, "fuzz.yaml");
    auto variants = codecbench::config::expand_sweeps(tree, {});
    for (auto& v : variants) {
      const auto resolved = codecbench::config::resolve(v.tree);
      (void)codecbench::config::to_yaml(resolved);
      const auto preset = codecbench::preset_from_tree(resolved, "fuzz");
      (void)codecbench::expand_jobs(preset);
    }
  } catch (const codecbench::Error&) {
  }
  return 0;
}
