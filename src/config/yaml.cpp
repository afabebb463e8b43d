// YAML <-> Node, values of overrides, and preset composition (Hydra defaults lists).
#include <fmt/core.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <limits>
#include <regex>
#include <sstream>
#include <unordered_map>
#include <unordered_set>

#include "codecbench/config/config.hpp"
#include "codecbench/config/preset_path.hpp"
#include "codecbench/core/limits.hpp"

namespace codecbench::config {

std::string Location::str() const {
  if (file.empty()) return "<preset>";
  return line > 0 ? fmt::format("{}:{}", file, line) : file;
}

ConfigError::ConfigError(const Location& loc, const std::string& message)
    : InputError(fmt::format("{}: {}", loc.str(), message)) {}

NodePtr Node::make(Kind k, Location loc) {
  auto n = std::make_shared<Node>();
  n->kind = k;
  n->loc = std::move(loc);
  return n;
}

NodePtr Node::string(std::string s, Location loc) {
  auto n = make(Kind::kString, std::move(loc));
  n->s = std::move(s);
  return n;
}

NodePtr Node::clone() const {
  auto n = std::make_shared<Node>(*this);
  for (auto& c : n->list) c = c->clone();
  for (auto& [k, v] : n->map) v = v->clone();
  return n;
}

NodePtr Node::get(const std::string& key) const {
  for (const auto& [k, v] : map) {
    if (k == key) return v;
  }
  return nullptr;
}

void Node::set(const std::string& key, NodePtr value) {
  for (auto& [k, v] : map) {
    if (k == key) {
      v = std::move(value);
      return;
    }
  }
  map.emplace_back(key, std::move(value));
}

bool Node::erase(const std::string& key) {
  for (auto it = map.begin(); it != map.end(); ++it) {
    if (it->first == key) {
      map.erase(it);
      return true;
    }
  }
  return false;
}

const char* Node::type_name() const {
  switch (kind) {
    case Kind::kNull:
      return "null";
    case Kind::kBool:
      return "bool";
    case Kind::kInt:
      return "int";
    case Kind::kFloat:
      return "float";
    case Kind::kString:
      return "string";
    case Kind::kList:
      return "list";
    case Kind::kMap:
      return "map";
  }
  return "?";
}

std::string Node::scalar_text() const {
  switch (kind) {
    case Kind::kNull:
      return "null";
    case Kind::kBool:
      return b ? "true" : "false";
    case Kind::kInt:
      return std::to_string(i);
    case Kind::kFloat:
      return fmt::format("{}", f);
    case Kind::kString:
      return s;
    default:
      return "";
  }
}

namespace {

// [-+]?[0-9]+ (written out: std::regex costs microseconds per scalar, and a preset may have a
// million of them).
bool is_int_text(const std::string& t) {
  std::size_t i = (!t.empty() && (t[0] == '-' || t[0] == '+')) ? 1 : 0;
  if (i == t.size()) return false;
  for (; i < t.size(); ++i) {
    if (t[i] < '0' || t[i] > '9') return false;
  }
  return true;
}

// [-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?
bool is_float_text(const std::string& t) {
  std::size_t i = (!t.empty() && (t[0] == '-' || t[0] == '+')) ? 1 : 0;
  const auto digits = [&] {
    const std::size_t from = i;
    while (i < t.size() && t[i] >= '0' && t[i] <= '9') ++i;
    return i - from;
  };
  if (i < t.size() && t[i] == '.') {
    ++i;
    if (digits() == 0) return false;
  } else {
    if (digits() == 0) return false;
    if (i < t.size() && t[i] == '.') {
      ++i;
      digits();
    }
  }
  if (i < t.size() && (t[i] == 'e' || t[i] == 'E')) {
    ++i;
    if (i < t.size() && (t[i] == '-' || t[i] == '+')) ++i;
    if (digits() == 0) return false;
  }
  return i == t.size();
}

// Types a plain (unquoted) scalar with YAML 1.2 core-schema rules, as OmegaConf's users expect
// for numbers, booleans and null.
NodePtr typed_scalar(const std::string& text, bool quoted, const Location& loc) {
  if (quoted) {
    auto n = Node::string(text, loc);
    n->quoted = true;
    return n;
  }
  if (text.empty() || text == "~" || text == "null" || text == "Null" || text == "NULL") {
    return Node::make(Node::Kind::kNull, loc);
  }
  if (text == "true" || text == "True" || text == "TRUE" || text == "false" || text == "False" ||
      text == "FALSE") {
    auto n = Node::make(Node::Kind::kBool, loc);
    n->b = text[0] == 't' || text[0] == 'T';
    return n;
  }
  if (is_int_text(text)) {
    try {
      auto n = Node::make(Node::Kind::kInt, loc);
      n->i = std::stoll(text);
      return n;
    } catch (const std::exception&) {
      // too large: keep it as a float below
    }
  }
  if (is_float_text(text) || text == ".inf" || text == "-.inf" || text == ".nan") {
    auto n = Node::make(Node::Kind::kFloat, loc);
    if (text == ".inf") {
      n->f = std::numeric_limits<double>::infinity();
    } else if (text == "-.inf") {
      n->f = -std::numeric_limits<double>::infinity();
    } else if (text == ".nan") {
      n->f = std::numeric_limits<double>::quiet_NaN();
    } else {
      // strtod, not stod: 1e999 is a valid YAML float (infinity), not an exception.
      n->f = std::strtod(text.c_str(), nullptr);
    }
    return n;
  }
  return Node::string(text, loc);
}

// Converts yaml-cpp's graph into our tree. Aliases are expanded, so the conversion counts what
// it builds against the preset limits (an alias of an alias of ... grows exponentially), and an
// alias that refers to a node containing it (a cycle) is an error instead of endless recursion.
class FromYaml {
 public:
  explicit FromYaml(std::string file) : file_(std::move(file)) {}

  NodePtr convert(const YAML::Node& y) {
    const Location loc{file_, y.Mark().line + 1};
    if (++nodes_ > limits::kPresetNodes) {
      throw ConfigError(loc, fmt::format("more than {} values after expanding aliases (the "
                                         "preset limit; an alias bomb?)",
                                         limits::kPresetNodes));
    }
    switch (y.Type()) {
      case YAML::NodeType::Null:
      case YAML::NodeType::Undefined:
        return Node::make(Node::Kind::kNull, loc);
      case YAML::NodeType::Scalar:
        text_ += y.Scalar().size();
        if (text_ > limits::kPresetTextBytes) {
          throw ConfigError(loc, fmt::format("more than {} MiB of text after expanding aliases "
                                             "(the preset limit)",
                                             limits::kPresetTextBytes >> 20));
        }
        return typed_scalar(y.Scalar(), y.Tag() == "!", loc);
      case YAML::NodeType::Sequence:
      case YAML::NodeType::Map:
        return container(y, loc);
    }
    return Node::make(Node::Kind::kNull, loc);
  }

 private:
  NodePtr container(const YAML::Node& y, const Location& loc) {
    for (const auto& a : ancestors_) {
      if (a.is(y)) throw ConfigError(loc, "an alias refers to a map or list that contains it");
    }
    if (ancestors_.size() >= limits::kPresetDepth) {
      throw ConfigError(loc, fmt::format("maps and lists nested more than {} deep (the preset "
                                         "limit)",
                                         limits::kPresetDepth));
    }
    ancestors_.push_back(y);
    NodePtr n;
    if (y.Type() == YAML::NodeType::Sequence) {
      n = Node::make(Node::Kind::kList, loc);
      for (const auto& c : y) n->list.push_back(convert(c));
    } else {
      n = Node::make(Node::Kind::kMap, loc);
      std::unordered_set<std::string> seen;
      for (const auto& kv : y) {
        if (!kv.first.IsScalar()) {
          throw ConfigError({file_, kv.first.Mark().line + 1}, "a key must be a plain name");
        }
        const std::string& key = kv.first.Scalar();
        if (!seen.insert(key).second) {
          throw ConfigError({file_, kv.first.Mark().line + 1},
                            fmt::format("duplicate key '{}'", key));
        }
        n->map.emplace_back(key, convert(kv.second));
      }
    }
    ancestors_.pop_back();
    return n;
  }

  std::string file_;
  std::vector<YAML::Node> ancestors_;
  std::size_t nodes_ = 0;
  std::size_t text_ = 0;
};

void emit(YAML::Emitter& out, const NodePtr& n) {
  switch (n->kind) {
    case Node::Kind::kNull:
      out << YAML::Null;
      break;
    case Node::Kind::kBool:
      out << n->b;
      break;
    case Node::Kind::kInt:
      out << n->i;
      break;
    case Node::Kind::kFloat: {
      // Keep floats floats when read back: 3.0, not 3.
      std::string t = fmt::format("{}", n->f);
      if (std::isnan(n->f)) {
        t = ".nan";
      } else if (std::isinf(n->f)) {
        t = n->f > 0 ? ".inf" : "-.inf";
      } else if (t.find_first_of(".e") == std::string::npos) {
        t += ".0";
      }
      out << t;
      break;
    }
    case Node::Kind::kString: {
      // A literal "${" is written escaped, so the output reads back (here or in OmegaConf) as
      // the same string instead of an interpolation.
      std::string text = n->s;
      for (std::size_t p = 0; (p = text.find("${", p)) != std::string::npos; p += 3)
        text.insert(p, "\\");
      // Quote strings that would read back as another type.
      const NodePtr back = typed_scalar(text, false, {});
      if (back->kind != Node::Kind::kString) {
        out << YAML::DoubleQuoted << text;
      } else {
        out << text;
      }
      break;
    }
    case Node::Kind::kList:
      out << YAML::BeginSeq;
      for (const auto& c : n->list) emit(out, c);
      out << YAML::EndSeq;
      break;
    case Node::Kind::kMap:
      out << YAML::BeginMap;
      for (const auto& [k, v] : n->map) {
        out << YAML::Key << k << YAML::Value;
        emit(out, v);
      }
      out << YAML::EndMap;
      break;
  }
}

// Deep merge: maps merge key by key, anything else is replaced by `src`. Keys are found
// through an index, so merging a map of n keys costs O(n), not O(n^2).
void merge_into(const NodePtr& dst, const NodePtr& src) {
  std::unordered_map<std::string, std::size_t> index;
  index.reserve(dst->map.size());
  for (std::size_t i = 0; i < dst->map.size(); ++i) index.emplace(dst->map[i].first, i);
  for (const auto& [k, v] : src->map) {
    const auto it = index.find(k);
    if (it == index.end()) {
      index.emplace(k, dst->map.size());
      dst->map.emplace_back(k, v->clone());
      continue;
    }
    NodePtr& d = dst->map[it->second].second;
    if (d->kind == Node::Kind::kMap && v->kind == Node::Kind::kMap) {
      merge_into(d, v);
    } else {
      d = v->clone();
    }
  }
}

std::string read_file(const std::string& path, const Location& from) {
  const auto fail = [&](const std::string& why) -> InputError {
    if (from.line > 0) return ConfigError(from, fmt::format("cannot read '{}': {}", path, why));
    return InputError(fmt::format("{}: cannot read the preset: {}", path, why));
  };
  std::error_code ec;
  const auto st = std::filesystem::status(path, ec);
  if (ec || !std::filesystem::exists(st)) throw fail("no such file");
  if (std::filesystem::is_directory(st)) throw fail("it is a directory");
  if (!std::filesystem::is_regular_file(st)) throw fail("not a regular file");
  std::ifstream f(path, std::ios::binary);
  if (!f) throw fail("permission denied?");
  std::string text;
  char buf[65536];
  while (f.read(buf, sizeof buf) || f.gcount() > 0) {
    text.append(buf, static_cast<std::size_t>(f.gcount()));
    if (text.size() > limits::kPresetBytes) {
      throw fail(fmt::format("larger than {} MiB (the preset limit)", limits::kPresetBytes >> 20));
    }
  }
  return text;
}

// Whether a defaults entry stays where presets live: under the folder of the preset named on
// the command line, or under a folder of the preset search path (preset_path.hpp) other than
// the current folder. A shared preset must not pull in /etc/passwd or ../../somebody-else's
// file; one that really must says so with CODECBENCH_ALLOW_OUTSIDE_DEFAULTS=1.
bool inside_preset_folders(const std::filesystem::path& file, const std::filesystem::path& root) {
  const char* allow = std::getenv("CODECBENCH_ALLOW_OUTSIDE_DEFAULTS");
  if (allow != nullptr && std::string(allow) == "1") return true;
  std::error_code ec;
  const auto canonical = std::filesystem::weakly_canonical(file, ec);
  if (ec) return false;
  const auto d = std::filesystem::weakly_canonical(root, ec);
  if (!ec && !d.empty()) {
    const auto rel = canonical.lexically_relative(d);
    if (!rel.empty() && *rel.begin() != "..") return true;
  }
  return inside_preset_search_path(canonical);
}

NodePtr compose(const std::string& path, const Location& from, std::vector<std::string>& chain) {
  std::error_code ec;
  std::string canonical = std::filesystem::weakly_canonical(path, ec).string();
  if (ec) canonical = std::filesystem::absolute(path, ec).lexically_normal().string();
  if (std::find(chain.begin(), chain.end(), canonical) != chain.end()) {
    throw ConfigError(from, fmt::format("defaults list includes '{}' again (a cycle)", path));
  }
  chain.push_back(canonical);
  NodePtr self = parse_yaml(read_file(path, from), path);
  if (self->kind == Node::Kind::kNull) self = Node::make(Node::Kind::kMap, {path, 1});
  if (self->kind != Node::Kind::kMap) {
    throw ConfigError(self->loc,
                      fmt::format("a preset must be a map of keys, not a {}", self->type_name()));
  }
  NodePtr defaults = self->get("defaults");
  if (!defaults) {
    chain.pop_back();
    return self;
  }
  if (defaults->kind != Node::Kind::kList) {
    throw ConfigError(defaults->loc, "defaults: expected a list");
  }
  self->erase("defaults");
  const std::filesystem::path dir = std::filesystem::path(path).parent_path();
  auto result = Node::make(Node::Kind::kMap, self->loc);
  bool self_placed = false;
  for (const auto& entry : defaults->list) {
    if (entry->kind == Node::Kind::kString && entry->s == "_self_") {
      merge_into(result, self);
      self_placed = true;
      continue;
    }
    std::string file;
    std::string group;
    if (entry->kind == Node::Kind::kString) {
      file = entry->s;
    } else if (entry->kind == Node::Kind::kMap && entry->map.size() == 1 &&
               entry->map[0].second->is_scalar()) {
      group = entry->map[0].first;  // - group: option  -> group/option.yaml under key `group`
      file = group + "/" + entry->map[0].second->scalar_text();
    } else {
      throw ConfigError(entry->loc, "defaults entries are NAME, GROUP: OPTION or _self_");
    }
    std::filesystem::path entry_file = file;
    if (entry_file.extension() != ".yaml" && entry_file.extension() != ".yml")
      entry_file += ".yaml";
    const std::filesystem::path p = find_defaults_entry(dir, entry_file.string());
    const std::filesystem::path root = std::filesystem::path(chain.front()).parent_path();
    if (!inside_preset_folders(p, root)) {
      throw ConfigError(entry->loc,
                        fmt::format("defaults entry '{}' is outside the preset's folder {} (set "
                                    "CODECBENCH_ALLOW_OUTSIDE_DEFAULTS=1 to allow it)",
                                    file, root.string()));
    }
    NodePtr loaded = compose(p.string(), entry->loc, chain);
    if (!group.empty()) {
      auto wrapper = Node::make(Node::Kind::kMap, entry->loc);
      wrapper->set(group, loaded);
      loaded = wrapper;
    }
    merge_into(result, loaded);
  }
  // Hydra: without _self_ in the list, the file's own values come after its defaults.
  if (!self_placed) merge_into(result, self);
  chain.pop_back();
  return result;
}

}  // namespace

NodePtr parse_yaml(const std::string& text, const std::string& file) {
  // YAML streams cannot hold NUL (it is not a printable character); yaml-cpp would cut the
  // value at it silently.
  if (const auto nul = text.find('\0'); nul != std::string::npos) {
    const auto line = 1 + std::count(text.begin(), text.begin() + static_cast<long>(nul), '\n');
    throw ConfigError({file, static_cast<int>(line)}, "a NUL byte (YAML text cannot hold one)");
  }
  // A second document is found from the text: a '---' (or content after '...') at the start of
  // a line once the first document has content. (yaml-cpp's LoadAll loops for ever on a stray
  // ',' at the top level, so only the first document is parsed.)
  bool content = false, ended = false;
  int line_no = 0;
  for (std::size_t start = 0; start < text.size();) {
    const std::size_t end = std::min(text.find('\n', start), text.size());
    const std::string line = text.substr(start, end - start);
    start = end + 1;
    ++line_no;
    const bool marker = line.rfind("---", 0) == 0 &&
                        (line.size() == 3 || line[3] == ' ' || line[3] == '\t' || line[3] == '\r');
    const bool blank = line.find_first_not_of(" \t\r") == std::string::npos ||
                       line[line.find_first_not_of(" \t\r")] == '#';
    if ((marker && content) || (ended && !blank && line.rfind("...", 0) != 0)) {
      throw ConfigError({file, line_no},
                        "a second YAML document ('---'); a preset is one document");
    }
    if (line.rfind("...", 0) == 0 && content) ended = true;
    if (!blank && line[0] != '%' && !(marker && line.size() <= 4)) content = true;
  }
  YAML::Node doc;
  try {
    doc = YAML::Load(text);
  } catch (const YAML::Exception& e) {
    throw ConfigError({file, e.mark.line + 1}, fmt::format("broken YAML: {}", e.msg));
  }
  return FromYaml(file).convert(doc);
}

NodePtr load_preset(const std::string& path) {
  std::vector<std::string> chain;
  return compose(path, {}, chain);
}

std::string to_yaml(const NodePtr& node) {
  YAML::Emitter out;
  emit(out, node);
  return std::string(out.c_str()) + "\n";
}

NodePtr parse_value(const std::string& text, const Location& loc) {
  std::string t = text;
  if (t.size() >= 2 &&
      ((t.front() == '\'' && t.back() == '\'') || (t.front() == '"' && t.back() == '"'))) {
    auto n = Node::string(t.substr(1, t.size() - 2), loc);
    n->quoted = true;
    return n;
  }
  if (!t.empty() && (t.front() == '[' || t.front() == '{')) {
    // Flow lists and maps: YAML's flow syntax is the override grammar's.
    NodePtr n = parse_yaml(t, loc.file);
    std::function<void(const NodePtr&)> relocate = [&](const NodePtr& x) {
      x->loc = loc;
      for (auto& c : x->list) relocate(c);
      for (auto& [k, v] : x->map) relocate(v);
    };
    relocate(n);
    return n;
  }
  return typed_scalar(t, false, loc);
}

NodePtr select(const NodePtr& root, const std::string& path) {
  NodePtr n = root;
  std::size_t start = 0;
  while (n && start <= path.size()) {
    const std::size_t dot = path.find('.', start);
    const std::string part =
        path.substr(start, dot == std::string::npos ? std::string::npos : dot - start);
    if (part.empty()) return nullptr;
    if (n->kind == Node::Kind::kMap) {
      n = n->get(part);
    } else if (n->kind == Node::Kind::kList && std::all_of(part.begin(), part.end(), ::isdigit)) {
      // A longer index than any list can have is absent, not an out_of_range exception.
      const auto idx = part.size() <= 9 ? std::stoul(part) : n->list.size();
      n = idx < n->list.size() ? n->list[idx] : nullptr;
    } else {
      return nullptr;
    }
    if (dot == std::string::npos) break;
    start = dot + 1;
  }
  return n;
}

}  // namespace codecbench::config
