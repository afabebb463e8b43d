#pragma once
/// @file preset_path.hpp
/// Presets by name. `codecbench run quick` looks for quick.yaml (or quick.yml) in these
/// folders, first found wins:
///   1. the current folder,
///   2. each folder of $CODECBENCH_PRESET_PATH (colon-separated),
///   3. $XDG_CONFIG_HOME/codecbench/presets (~/.config/codecbench/presets when unset),
///   4. the presets that ship with codecbench (install.hpp's data folder).
/// A preset's `defaults:` entries are looked up in the preset's own folder first, then on the
/// same path from step 2 on, so a user's preset can build on the shipped base.yaml.

#include <filesystem>
#include <string>
#include <vector>

namespace codecbench {

/// One folder of the search path and why it is on it.
struct PresetFolder {
  std::filesystem::path dir;
  std::string origin;  ///< "current folder", "$CODECBENCH_PRESET_PATH", "user config", "shipped"
};

/// The search path in order; folders that do not exist are included (listing says so).
std::vector<PresetFolder> preset_search_path();

/// The file a command line's PRESET names: PRESET itself when it contains a '/' or is an
/// existing file; otherwise NAME (with .yaml/.yml or without) looked up on the search path.
/// Throws InputError "preset 'NAME': not found in DIR, DIR, ... (codecbench presets lists
/// them)" when nothing matches.
std::string find_preset(const std::string& name_or_path);

/// Where a `defaults:` entry (a file name relative to a preset folder, e.g. "base.yaml" or
/// "encoder/x264.yaml") is found: `own_dir / entry` when it exists, else the first folder of
/// the search path after the current folder that has it; `own_dir / entry` when none does
/// (so the error names the expected place).
std::filesystem::path find_defaults_entry(const std::filesystem::path& own_dir,
                                          const std::string& entry);

/// Whether `file` lies inside a search-path folder other than the current folder (where a
/// `defaults:` entry may come from besides the preset's own folder).
bool inside_preset_search_path(const std::filesystem::path& file);

/// One preset found on the search path.
struct PresetListing {
  std::string name;         ///< file stem, what `run NAME` takes
  std::string path;         ///< the file
  std::string origin;       ///< PresetFolder::origin of its folder
  std::string description;  ///< its `description:`, else its first comment line
  std::string shadowed_by;  ///< a file of the same name earlier on the path, or ""
};

/// Every preset on the search path, folder by folder in path order, names sorted within a
/// folder. In the current folder only YAML files that look like presets (a map with
/// `defaults`, `inputs` or `encoders`) are listed. Folders holding more than
/// limits::kPresetListFiles files list only that many.
std::vector<PresetListing> list_presets();

}  // namespace codecbench
