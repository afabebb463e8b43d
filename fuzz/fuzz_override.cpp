// Fuzz target: command-line overrides (`a.b=1`, `+x=[1,2]`, `~k`, `k=range(...)`), applied to a
// small preset tree and expanded as a multirun. Each input is one override per line.
#include <cstddef>
#include <cstdint>
#include <sstream>
#include <string>
#include <vector>

#include "codecbench/config/config.hpp"
#include "codecbench/core/error.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace codecbench::config;
  std::istringstream in(std::string(reinterpret_cast<const char*>(data), size));
  std::string line;
  try {
    NodePtr root = parse_yaml("a: {b: 1, c: [x, y]}\nthreads: 1\nname: n\n", "base.yaml");
    std::vector<Override> sweeps;
    while (std::getline(in, line)) {
      const bool multirun = !line.empty() && line.front() == 'm';
      Override o = parse_override(multirun ? line.substr(1) : line, multirun);
      if (o.values.size() > 1) {
        sweeps.push_back(o);
      } else {
        apply_override(root, o);
      }
    }
    for (const auto& v : expand_sweeps(root, sweeps)) (void)to_yaml(resolve(v.tree));
  } catch (const codecbench::Error&) {
  }
  return 0;
}
