#pragma once
/// @file install.hpp
/// Where this codecbench finds its shared data (presets, samples, models): next to the
/// executable when it is installed (PREFIX/bin/codecbench reads PREFIX/share/codecbench, so an
/// installed tree can be moved or unpacked under another root), or the source tree when it runs
/// from its own build folder. Never the current folder.

#include <filesystem>
#include <string>

namespace codecbench {

/// How the data folder was found.
enum class DataOrigin {
  kBuildTree,    ///< the executable is in the build folder: the source tree's presets/, samples/
  kInstalled,    ///< EXE_DIR/../share/codecbench (relocatable install)
  kPrefix,       ///< the install prefix compiled in (PREFIX/share/codecbench)
  kEnvironment,  ///< $CODECBENCH_DATA_DIR
  kNone          ///< none found: only presets named by path work
};

/// The data folder and how it was found.
struct DataDir {
  std::filesystem::path path;  ///< empty when origin is kNone
  DataOrigin origin = DataOrigin::kNone;
};

/// The data folder of this executable: $CODECBENCH_DATA_DIR when set; else the source tree
/// when the executable sits in the build folder it was built in; else EXE_DIR/../share/
/// codecbench; else the compiled-in PREFIX/share/codecbench. A candidate counts only when it
/// holds a presets/ folder.
DataDir data_dir();

/// Where results go when nothing else is said: the one place that names the default results
/// store (relative to the working folder; a preset's `output.store` and every `--store` default
/// to it; store.hpp opens it).
inline constexpr const char* kDefaultStoreLocation = "results/codecbench.sqlite";

/// The absolute path of the running executable ("" when /proc/self/exe cannot be read).
std::string executable_path();

}  // namespace codecbench
