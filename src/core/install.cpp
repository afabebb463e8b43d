// Locating the shared data folder of this executable (install.hpp).
#include "codecbench/core/install.hpp"

#include <cstdlib>
#include <system_error>

#include "codecbench_config.hpp"

namespace codecbench {
namespace {

bool has_presets(const std::filesystem::path& dir) {
  std::error_code ec;
  return !dir.empty() && std::filesystem::is_directory(dir / "presets", ec);
}

bool same_folder(const std::filesystem::path& a, const std::filesystem::path& b) {
  std::error_code ec;
  return std::filesystem::equivalent(a, b, ec) && !ec;
}

}  // namespace

std::string executable_path() {
  std::error_code ec;
  const auto p = std::filesystem::read_symlink("/proc/self/exe", ec);
  return ec ? std::string() : p.string();
}

DataDir data_dir() {
  if (const char* env = std::getenv("CODECBENCH_DATA_DIR"); env != nullptr && env[0] != '\0') {
    return {std::filesystem::path(env), DataOrigin::kEnvironment};
  }
  const std::filesystem::path exe = executable_path();
  const std::filesystem::path exe_dir = exe.parent_path();
  if (!exe_dir.empty()) {
    // A development build: build/codecbench reads the checkout it was built from.
    if (same_folder(exe_dir, CODECBENCH_BUILD_ROOT) && has_presets(CODECBENCH_SOURCE_ROOT)) {
      return {std::filesystem::path(CODECBENCH_SOURCE_ROOT), DataOrigin::kBuildTree};
    }
    const auto relocated =
        (exe_dir / ".." / CODECBENCH_DATADIR_REL / "codecbench").lexically_normal();
    if (has_presets(relocated)) return {relocated, DataOrigin::kInstalled};
  }
  const std::filesystem::path prefix = CODECBENCH_DATADIR_ABS;
  if (has_presets(prefix / "codecbench")) return {prefix / "codecbench", DataOrigin::kPrefix};
  return {};
}

}  // namespace codecbench
