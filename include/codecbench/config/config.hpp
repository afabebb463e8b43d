#pragma once
/// @file config.hpp
/// Presets with the semantics of OmegaConf and Hydra: a YAML tree with interpolation
/// (`${a.b}`, `${.sibling}`, `${..uncle}`, inside strings or as whole typed values), resolvers
/// (`${oc.env:VAR[,default]}`, `${oc.select:key[,default]}`, `${now:FORMAT}`), Hydra defaults
/// lists with `_self_`, command-line overrides (`a.b=1`, `+new=1`, `++any=1`, `~key`) and
/// multirun sweeps (`a=1,2,3`, `range(start,stop[,step])`, or a `sweep:` section).
/// Every node remembers the file and line it came from, so errors can point at it.

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "codecbench/core/error.hpp"

namespace codecbench::config {

/// Where a node was written.
struct Location {
  std::string file;  ///< preset file, or "<command line>"
  int line = 0;      ///< 1-based; 0 when unknown
  [[nodiscard]] std::string str() const;
};

struct Node;
using NodePtr = std::shared_ptr<Node>;

/// One value of the tree.
struct Node {
  enum class Kind { kNull, kBool, kInt, kFloat, kString, kList, kMap };
  Kind kind = Kind::kNull;
  bool b = false;
  std::int64_t i = 0;
  double f = 0.0;
  std::string s;        ///< string value (may hold ${...})
  bool quoted = false;  ///< a quoted YAML string
  std::vector<NodePtr> list;
  std::vector<std::pair<std::string, NodePtr>> map;  ///< in file order
  Location loc;

  static NodePtr make(Kind k, Location loc = {});
  static NodePtr string(std::string s, Location loc = {});
  [[nodiscard]] NodePtr clone() const;
  /// Child of a map (nullptr when absent).
  [[nodiscard]] NodePtr get(const std::string& key) const;
  /// Sets (or adds at the end) a map child.
  void set(const std::string& key, NodePtr value);
  /// Removes a map child; false when absent.
  bool erase(const std::string& key);
  [[nodiscard]] bool is_scalar() const { return kind != Kind::kList && kind != Kind::kMap; }
  /// Type name for messages: "null", "bool", "int", "float", "string", "list", "map".
  [[nodiscard]] const char* type_name() const;
  /// Scalar as text (YAML-like: true, 3, 2.5, text).
  [[nodiscard]] std::string scalar_text() const;
};

/// A broken preset: the message starts with "FILE:LINE: " and names the key path and the cause.
class ConfigError : public InputError {
 public:
  ConfigError(const Location& loc, const std::string& message);
};

/// Parses YAML text (errors name `file`).
NodePtr parse_yaml(const std::string& text, const std::string& file);
/// Loads a preset file and composes its defaults list (Hydra semantics, `_self_` included;
/// without `_self_` the file's own values come last and win).
NodePtr load_preset(const std::string& path);

/// One command-line override.
struct Override {
  enum class Op { kSet, kAdd, kForce, kDelete };
  Op op = Op::kSet;
  std::string key;              ///< dotted path
  std::vector<NodePtr> values;  ///< one value, or several for a multirun sweep
  std::string text;             ///< as written
};

/// Parses `key=value`, `+key=value`, `++key=value`, `~key[=value]`. With `multirun`,
/// `key=a,b,c` and `key=range(1,4)` give several values.
Override parse_override(const std::string& text, bool multirun);
/// Parses an override value: `[a, b]`, `{k: v}`, quoted strings, numbers, bools, null.
NodePtr parse_value(const std::string& text, const Location& loc);

/// Applies one single-valued override. kSet needs an existing key (suggests `+`), kAdd a new one.
void apply_override(const NodePtr& root, const Override& o, std::size_t value_index = 0);

/// Resolves every interpolation and resolver, returning a new tree without `${...}`.
/// Errors: missing keys (with the path), cycles (with the chain), missing environment
/// variables without a default, unknown resolvers.
NodePtr resolve(const NodePtr& root);

/// Expands multirun: the cartesian product of the sweep overrides and the root's `sweep:`
/// section (removed from each result). Each entry holds the overrides as text and the tree.
struct Variant {
  std::vector<std::string> overrides;
  NodePtr tree;
};
std::vector<Variant> expand_sweeps(const NodePtr& root, const std::vector<Override>& sweeps);

/// YAML text of a (resolved) tree, keys in order.
std::string to_yaml(const NodePtr& node);

/// Dotted-path lookup (`a.b.0.c`); nullptr when absent.
NodePtr select(const NodePtr& root, const std::string& path);

}  // namespace codecbench::config
