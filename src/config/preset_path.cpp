// Presets by name: the search path, lookup and listing (preset_path.hpp).
#include "codecbench/config/preset_path.hpp"

#include <fmt/core.h>

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <map>
#include <system_error>

#include "codecbench/core/error.hpp"
#include "codecbench/core/install.hpp"
#include "codecbench/core/limits.hpp"

namespace codecbench {
namespace {

namespace fs = std::filesystem;

constexpr const char* kCurrentFolder = "current folder";

bool is_file(const fs::path& p) {
  std::error_code ec;
  return fs::is_regular_file(p, ec);
}

bool has_yaml_extension(const fs::path& p) {
  return p.extension() == ".yaml" || p.extension() == ".yml";
}

// The first `limit` bytes of a file ("" when unreadable).
std::string head_of(const fs::path& p, std::size_t limit) {
  std::ifstream f(p, std::ios::binary);
  std::string text(limit, '\0');
  f.read(text.data(), static_cast<std::streamsize>(limit));
  text.resize(static_cast<std::size_t>(std::max<std::streamsize>(f.gcount(), 0)));
  return text;
}

std::string strip(const std::string& s) {
  const auto a = s.find_first_not_of(" \t\r");
  if (a == std::string::npos) return "";
  return s.substr(a, s.find_last_not_of(" \t\r") - a + 1);
}

// A top-level `description:` value, else the first comment line without its "name.yaml:"
// label. Read from the text, not parsed: listing must not fail on a broken file.
std::string description_of(const std::string& text, const std::string& file_name) {
  std::string first_comment;
  std::size_t start = 0;
  while (start < text.size()) {
    const std::size_t end = std::min(text.find('\n', start), text.size());
    const std::string line = text.substr(start, end - start);
    start = end + 1;
    if (line.rfind("description:", 0) == 0) {
      std::string v = strip(line.substr(12));
      if (v.size() >= 2 && (v.front() == '"' || v.front() == '\'') && v.back() == v.front()) {
        v = v.substr(1, v.size() - 2);
      }
      if (!v.empty()) return v;
    }
    if (first_comment.empty() && line.rfind('#', 0) == 0) {
      first_comment = strip(line.substr(1));
      if (first_comment.rfind(file_name + ":", 0) == 0) {
        first_comment = strip(first_comment.substr(file_name.size() + 1));
      }
    }
  }
  return first_comment;
}

bool looks_like_preset(const std::string& text) {
  for (const char* key : {"defaults:", "inputs:", "encoders:"}) {
    if (text.rfind(key, 0) == 0 || text.find(std::string("\n") + key) != std::string::npos) {
      return true;
    }
  }
  return false;
}

fs::path user_config_presets() {
  if (const char* x = std::getenv("XDG_CONFIG_HOME"); x != nullptr && x[0] == '/') {
    return fs::path(x) / "codecbench" / "presets";
  }
  if (const char* home = std::getenv("HOME"); home != nullptr && home[0] != '\0') {
    return fs::path(home) / ".config" / "codecbench" / "presets";
  }
  return {};
}

bool path_is_under(const fs::path& file, const fs::path& dir) {
  std::error_code e1, e2;
  const auto f = fs::weakly_canonical(file, e1);
  const auto d = fs::weakly_canonical(dir, e2);
  if (e1 || e2 || d.empty()) return false;
  const auto rel = f.lexically_relative(d);
  return !rel.empty() && *rel.begin() != "..";
}

}  // namespace

std::vector<PresetFolder> preset_search_path() {
  std::vector<PresetFolder> out;
  std::error_code ec;
  out.push_back({fs::current_path(ec), kCurrentFolder});
  if (const char* env = std::getenv("CODECBENCH_PRESET_PATH")) {
    const std::string all = env;
    std::size_t start = 0;
    while (start <= all.size()) {
      const auto colon = all.find(':', start);
      const std::string dir =
          all.substr(start, colon == std::string::npos ? std::string::npos : colon - start);
      if (!dir.empty()) out.push_back({fs::path(dir), "$CODECBENCH_PRESET_PATH"});
      if (colon == std::string::npos) break;
      start = colon + 1;
    }
  }
  if (const auto user = user_config_presets(); !user.empty()) out.push_back({user, "user config"});
  if (const DataDir data = data_dir(); data.origin != DataOrigin::kNone) {
    out.push_back({data.path / "presets", "shipped"});
  }
  return out;
}

std::string find_preset(const std::string& name_or_path) {
  if (name_or_path.find('/') != std::string::npos || is_file(name_or_path)) return name_or_path;
  if (name_or_path.empty()) throw InputError("preset '': an empty name");
  fs::path stem = name_or_path;
  if (has_yaml_extension(stem)) stem.replace_extension();
  std::vector<std::string> looked;
  for (const auto& folder : preset_search_path()) {
    for (const char* ext : {".yaml", ".yml"}) {
      const fs::path candidate = folder.dir / (stem.string() + ext);
      if (is_file(candidate)) return candidate.string();
    }
    looked.push_back(folder.dir.string());
  }
  std::string where;
  for (const auto& l : looked) where += (where.empty() ? "" : ", ") + l;
  throw InputError(fmt::format(
      "preset '{}': not found in {} (`codecbench presets` lists the presets it can find)",
      name_or_path, where));
}

fs::path find_defaults_entry(const fs::path& own_dir, const std::string& entry) {
  const fs::path own = own_dir / entry;
  if (is_file(own)) return own;
  for (const auto& folder : preset_search_path()) {
    if (folder.origin == kCurrentFolder) continue;
    if (is_file(folder.dir / entry)) return folder.dir / entry;
  }
  return own;
}

bool inside_preset_search_path(const fs::path& file) {
  for (const auto& folder : preset_search_path()) {
    if (folder.origin != kCurrentFolder && path_is_under(file, folder.dir)) return true;
  }
  return false;
}

std::vector<PresetListing> list_presets() {
  std::vector<PresetListing> out;
  std::map<std::string, std::string> first_seen;  // name -> path of the one `run NAME` takes
  std::vector<fs::path> seen_dirs;
  for (const auto& folder : preset_search_path()) {
    std::error_code ec;
    const auto canonical = fs::weakly_canonical(folder.dir, ec);
    if (ec || !fs::is_directory(canonical, ec)) continue;
    if (std::find(seen_dirs.begin(), seen_dirs.end(), canonical) != seen_dirs.end()) continue;
    seen_dirs.push_back(canonical);
    std::vector<fs::path> files;
    for (auto it = fs::directory_iterator(canonical, ec); !ec && it != fs::directory_iterator();
         it.increment(ec)) {
      if (files.size() >= limits::kPresetListFiles) break;
      if (has_yaml_extension(it->path()) && is_file(it->path())) files.push_back(it->path());
    }
    std::sort(files.begin(), files.end());
    for (const auto& file : files) {
      const std::string text = head_of(file, limits::kPresetListHeadBytes);
      if (folder.origin == kCurrentFolder && !looks_like_preset(text)) continue;
      PresetListing p;
      p.name = file.stem().string();
      p.path = file.string();
      p.origin = folder.origin;
      p.description = description_of(text, file.filename().string());
      if (const auto it = first_seen.find(p.name); it != first_seen.end()) {
        p.shadowed_by = it->second;
      } else {
        first_seen.emplace(p.name, p.path);
      }
      out.push_back(std::move(p));
    }
  }
  return out;
}

}  // namespace codecbench
