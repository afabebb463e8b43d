// Interpolation and resolvers (OmegaConf semantics), overrides and multirun sweeps (Hydra).
#include <fmt/core.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <map>
#include <set>

#include "codecbench/config/config.hpp"
#include "codecbench/core/limits.hpp"

namespace codecbench::config {
namespace {

using Path = std::vector<std::string>;

std::string join(const Path& p) {
  std::string out;
  for (const auto& c : p) out += (out.empty() ? "" : ".") + c;
  return out.empty() ? "<root>" : out;
}

// Splits a key into its parts: `a.b.1` and, as OmegaConf also accepts, `a.b[1]` and
// `a[1][2].c`. A malformed key (`a..b`, `a[1`, `a[]`) yields an empty part, which callers refuse.
Path split_path(const std::string& s) {
  Path out;
  std::string part;
  bool after_bracket = false;  // `a[1].b`: the dot after ']' starts no empty part
  for (std::size_t i = 0; i < s.size(); ++i) {
    const char c = s[i];
    if (c == '.') {
      if (!after_bracket) out.push_back(part);
      part.clear();
      after_bracket = false;
    } else if (c == '[') {
      if (!after_bracket) out.push_back(part);
      const auto close = s.find(']', i + 1);
      if (close == std::string::npos) {
        out.push_back("");
        return out;
      }
      out.push_back(s.substr(i + 1, close - i - 1));
      part.clear();
      i = close;
      after_bracket = true;
      if (i + 1 < s.size() && s[i + 1] != '.' && s[i + 1] != '[') out.push_back("");
    } else {
      after_bracket = false;
      part += c;
    }
  }
  if (!after_bracket) out.push_back(part);
  return out;
}

std::string trim(const std::string& s) {
  const auto a = s.find_first_not_of(" \t");
  if (a == std::string::npos) return "";
  const auto b = s.find_last_not_of(" \t");
  return s.substr(a, b - a + 1);
}

bool has_interpolation(const std::string& s) { return s.find("${") != std::string::npos; }

// Calls visit(node) for `root` and every node below it, without recursion (a tree may be deep);
// stops early when visit returns false.
template <class Visit>
void for_each_node(const Node& root, Visit visit) {
  std::vector<const Node*> todo{&root};
  while (!todo.empty()) {
    const Node* x = todo.back();
    todo.pop_back();
    if (!visit(*x)) return;
    for (const auto& c : x->list) todo.push_back(c.get());
    for (const auto& [k, v] : x->map) todo.push_back(v.get());
  }
}

// A value as OmegaConf puts it inside a string: Python's str() (True/False, 3.0, None).
std::string string_form(const Node& n) {
  switch (n.kind) {
    case Node::Kind::kBool:
      return n.b ? "True" : "False";
    case Node::Kind::kNull:
      return "None";
    case Node::Kind::kFloat: {
      if (std::isnan(n.f)) return "nan";
      if (std::isinf(n.f)) return n.f > 0 ? "inf" : "-inf";
      std::string t = fmt::format("{}", n.f);
      if (t.find_first_of(".e") == std::string::npos) t += ".0";
      return t;
    }
    default:
      return n.scalar_text();
  }
}

// Position of the '}' closing the "${" at `open` (nested ${} and quotes allowed), or npos.
std::size_t closing(const std::string& s, std::size_t open) {
  int depth = 0;
  char quote = 0;
  for (std::size_t i = open; i < s.size(); ++i) {
    const char c = s[i];
    if (quote != 0) {
      if (c == quote) quote = 0;
      continue;
    }
    if ((c == '\'' || c == '"') && depth > 0 && i > open + 1) {
      quote = c;
    } else if (c == '$' && i + 1 < s.size() && s[i + 1] == '{') {
      ++depth;
      ++i;
    } else if (c == '}') {
      if (--depth == 0) return i;
    }
  }
  return std::string::npos;
}

// Splits resolver arguments at top-level commas.
std::vector<std::string> split_args(const std::string& s) {
  std::vector<std::string> out;
  int depth = 0;
  char quote = 0;
  std::string cur;
  for (std::size_t i = 0; i < s.size(); ++i) {
    const char c = s[i];
    if (quote != 0) {
      if (c == quote) quote = 0;
      cur += c;
      continue;
    }
    if (c == '\'' || c == '"') quote = c;
    if (c == '{' || c == '[' || c == '(') ++depth;
    if (c == '}' || c == ']' || c == ')') --depth;
    if (c == ',' && depth == 0) {
      out.push_back(trim(cur));
      cur.clear();
      continue;
    }
    cur += c;
  }
  out.push_back(trim(cur));
  return out;
}

class Resolver {
 public:
  explicit Resolver(NodePtr root)
      : root_(std::move(root)),
        now_(std::chrono::system_clock::to_time_t(std::chrono::system_clock::now())) {}

  NodePtr resolve_at(const NodePtr& raw, const Path& path) {
    const std::string key = join(path);
    if (auto it = done_.find(key); it != done_.end()) return it->second;
    if (std::find(stack_.begin(), stack_.end(), key) != stack_.end()) {
      std::string chain;
      for (auto it = std::find(stack_.begin(), stack_.end(), key); it != stack_.end(); ++it) {
        chain += *it + " -> ";
      }
      throw ConfigError(raw->loc, fmt::format("interpolation cycle: {}{}", chain, key));
    }
    stack_.push_back(key);
    NodePtr out;
    if (raw->kind == Node::Kind::kMap) {
      out = Node::make(Node::Kind::kMap, raw->loc);
      for (const auto& [k, v] : raw->map) {
        Path p = path;
        p.push_back(k);
        out->map.emplace_back(k, resolve_at(v, p));
      }
    } else if (raw->kind == Node::Kind::kList) {
      out = Node::make(Node::Kind::kList, raw->loc);
      for (std::size_t i = 0; i < raw->list.size(); ++i) {
        Path p = path;
        p.push_back(std::to_string(i));
        out->list.push_back(resolve_at(raw->list[i], p));
      }
    } else if (raw->kind == Node::Kind::kString && has_interpolation(raw->s)) {
      out = evaluate(raw->s, raw->loc, path);
    } else {
      out = raw->clone();
      if (out->kind == Node::Kind::kString) unescape(out->s);
    }
    stack_.pop_back();
    done_[key] = out;
    return out;
  }

 private:
  static void unescape(std::string& s) {
    for (std::size_t p = 0; (p = s.find("\\${", p)) != std::string::npos; p += 2) s.erase(p, 1);
  }

  // A string with interpolations: a single ${...} gives the target's typed value; otherwise the
  // pieces are concatenated as text.
  NodePtr evaluate(const std::string& s, const Location& loc, const Path& path) {
    // Each link of a chain (`a: ${b}`, `b: ${c}`) and each `${` nested in a `${` comes through
    // here once: bounding the depth bounds the stack and the copies of substrings.
    if (depth_ >= limits::kInterpolationDepth) {
      throw ConfigError(loc, fmt::format("{}: interpolations nested or chained more than {} deep "
                                         "(the preset limit)",
                                         join(path), limits::kInterpolationDepth));
    }
    ++depth_;
    struct Leave {
      std::size_t& d;
      ~Leave() { --d; }
    } leave{depth_};
    const std::size_t first = s.find("${");
    if (first == 0) {
      const std::size_t end = closing(s, 0);
      if (end == std::string::npos) {
        throw ConfigError(loc, fmt::format("{}: unclosed '${{' in '{}'", join(path), s));
      }
      if (end == s.size() - 1) {
        NodePtr v = expression(s.substr(2, end - 2), loc, path);
        charge(*v, loc, path);
        NodePtr c = v->clone();
        c->loc = loc;
        return c;
      }
    }
    std::string out;
    std::size_t i = 0;
    while (i < s.size()) {
      if (s.compare(i, 3, "\\${") == 0) {
        out += "${";
        i += 3;
        continue;
      }
      if (s.compare(i, 2, "${") == 0) {
        const std::size_t end = closing(s, i);
        if (end == std::string::npos) {
          throw ConfigError(loc, fmt::format("{}: unclosed '${{' in '{}'", join(path), s));
        }
        NodePtr v = expression(s.substr(i + 2, end - i - 2), loc, path);
        if (!v->is_scalar()) {
          throw ConfigError(loc, fmt::format("{}: '{}' is a {}; it cannot be part of a string",
                                             join(path), s.substr(i, end - i + 1), v->type_name()));
        }
        out += string_form(*v);
        if (out.size() > limits::kInterpolatedStringBytes) {
          throw ConfigError(loc, fmt::format("{}: an interpolated string longer than {} KiB "
                                             "(the preset limit)",
                                             join(path), limits::kInterpolatedStringBytes >> 10));
        }
        i = end + 1;
        continue;
      }
      out += s[i++];
    }
    NodePtr n = Node::string(std::move(out), loc);
    charge(*n, loc, path);
    return n;
  }

  // Text of an argument, with its own interpolations evaluated.
  std::string argument_text(const std::string& arg, const Location& loc, const Path& path) {
    std::string a = arg;
    if (a.size() >= 2 && (a.front() == '\'' || a.front() == '"') && a.back() == a.front()) {
      a = a.substr(1, a.size() - 2);
    }
    if (!has_interpolation(a)) return a;
    NodePtr v = evaluate(a, loc, path);
    return v->is_scalar() ? v->scalar_text() : "";
  }

  NodePtr expression(const std::string& expr_in, const Location& loc, const Path& path) {
    const std::string expr = trim(expr_in);
    // A resolver call is NAME:ARGS where NAME has no '$'; a key reference has no ':'.
    const std::size_t colon = expr.find(':');
    const std::size_t dollar = expr.find('$');
    if (colon != std::string::npos && (dollar == std::string::npos || colon < dollar)) {
      const std::string name = trim(expr.substr(0, colon));
      const std::vector<std::string> args = split_args(expr.substr(colon + 1));
      return call(name, args, loc, path);
    }
    const std::string key =
        has_interpolation(expr) ? evaluate(expr, loc, path)->scalar_text() : expr;
    NodePtr target = lookup(key, loc, path);
    if (!target) {
      throw ConfigError(
          loc, fmt::format("{}: interpolation '${{{}}}' points to a missing key", join(path), key));
    }
    return target;
  }

  // ${env_dir:VAR,DEFAULT}: a folder named by an environment variable. Unset or empty, it is
  // DEFAULT (an empty CODECBENCH_RESULTS must not put results at the filesystem's root); a
  // relative value is relative to the folder codecbench was started in, as a user typing it
  // means, not to the preset's folder; a control character in it is refused.
  NodePtr env_dir(const std::vector<std::string>& args, const Location& loc, const Path& path) {
    if (args.size() != 2 || args[0].empty()) {
      throw ConfigError(loc, fmt::format("{}: env_dir takes VAR,DEFAULT", join(path)));
    }
    const std::string var = argument_text(args[0], loc, path);
    const char* v = std::getenv(var.c_str());
    if (v == nullptr || *v == '\0') return Node::string(argument_text(args[1], loc, path), loc);
    const std::string value = v;
    for (const char c : value) {
      if (static_cast<unsigned char>(c) < 0x20) {
        throw ConfigError(loc, fmt::format("{}: environment variable {} holds a control character "
                                           "(0x{:02x}); a folder name cannot",
                                           join(path), var, static_cast<unsigned char>(c)));
      }
    }
    std::error_code ec;
    std::filesystem::path p(value);
    if (p.is_relative()) p = std::filesystem::current_path(ec) / p;
    return Node::string(p.lexically_normal().string(), loc);
  }

  NodePtr call(const std::string& name, const std::vector<std::string>& args, const Location& loc,
               const Path& path) {
    if (name == "oc.env") {
      if (args.empty() || args[0].empty() || args.size() > 2) {
        throw ConfigError(loc, fmt::format("{}: oc.env takes VAR or VAR,DEFAULT", join(path)));
      }
      const std::string var = argument_text(args[0], loc, path);
      if (const char* v = std::getenv(var.c_str())) return Node::string(v, loc);
      if (args.size() == 2) {
        const std::string d = argument_text(args[1], loc, path);
        if (trim(args[1]) == "null") return Node::make(Node::Kind::kNull, loc);
        return Node::string(d, loc);
      }
      throw ConfigError(loc, fmt::format("{}: environment variable {} is not set and "
                                         "${{oc.env:{}}} has no default",
                                         join(path), var, var));
    }
    if (name == "oc.select") {
      if (args.empty() || args.size() > 2) {
        throw ConfigError(loc, fmt::format("{}: oc.select takes KEY or KEY,DEFAULT", join(path)));
      }
      const std::string key = argument_text(args[0], loc, path);
      if (NodePtr v = lookup(key, loc, path)) return v;
      if (args.size() == 2) {
        if (has_interpolation(args[1])) return evaluate(args[1], loc, path);
        return parse_value(args[1], loc);
      }
      return Node::make(Node::Kind::kNull, loc);
    }
    if (name == "now") {
      const std::string fmt_text =
          args.empty() ? "%Y-%m-%d_%H-%M-%S" : argument_text(args[0], loc, path);
      std::tm tm{};
      localtime_r(&now_, &tm);
      char buf[256];
      const std::size_t n = std::strftime(buf, sizeof buf, fmt_text.c_str(), &tm);
      return Node::string(std::string(buf, n), loc);
    }
    if (name == "preset_dir") {
      // The folder of the file this value was written in, absolute: presets name their
      // neighbours (samples, results) from wherever codecbench is started.
      if (!args.empty() && !(args.size() == 1 && trim(args[0]).empty())) {
        throw ConfigError(loc, fmt::format("{}: preset_dir takes no argument", join(path)));
      }
      std::error_code ec;
      const bool in_file = !loc.file.empty() && loc.file.front() != '<';
      const auto dir = in_file ? std::filesystem::absolute(loc.file, ec).parent_path()
                               : std::filesystem::current_path(ec);
      return Node::string(dir.lexically_normal().string(), loc);
    }
    if (name == "env_dir") return env_dir(args, loc, path);
    if (name == "cwd") {
      // The folder codecbench was started in, absolute (Hydra's ${hydra:runtime.cwd}).
      if (!args.empty() && !(args.size() == 1 && trim(args[0]).empty())) {
        throw ConfigError(loc, fmt::format("{}: cwd takes no argument", join(path)));
      }
      std::error_code ec;
      return Node::string(std::filesystem::current_path(ec).lexically_normal().string(), loc);
    }
    throw ConfigError(
        loc,
        fmt::format("{}: unknown resolver '{}' (known: oc.env, oc.select, now, preset_dir, cwd, "
                    "env_dir)",
                    join(path), name));
  }

  // Finds KEY (absolute a.b.c, or relative .x / ..x from the node at `from`), resolving what it
  // passes through. Returns the resolved node, or null when absent.
  NodePtr lookup(const std::string& key, const Location& loc, const Path& from) {
    Path target;
    std::string rest = key;
    if (!rest.empty() && rest[0] == '.') {
      std::size_t dots = 0;
      while (dots < rest.size() && rest[dots] == '.') ++dots;
      target = from;
      if (!target.empty()) target.pop_back();  // the container of the referencing node
      for (std::size_t k = 1; k < dots; ++k) {
        if (target.empty()) {
          throw ConfigError(loc, fmt::format("{}: '${{{}}}' goes above the root", join(from), key));
        }
        target.pop_back();
      }
      rest = rest.substr(dots);
    }
    if (!rest.empty()) {
      for (auto& part : split_path(rest)) {
        if (part.empty()) {
          throw ConfigError(loc, fmt::format("{}: malformed key '{}'", join(from), key));
        }
        target.push_back(part);
      }
    }
    NodePtr node = root_;
    bool resolved = false;
    Path walked;
    for (const auto& part : target) {
      if (!resolved && node->kind == Node::Kind::kString && has_interpolation(node->s)) {
        node = resolve_at(node, walked);
        resolved = true;
      }
      NodePtr next;
      if (node->kind == Node::Kind::kMap) {
        next = node->get(part);
      } else if (node->kind == Node::Kind::kList && !part.empty() &&
                 std::all_of(part.begin(), part.end(), ::isdigit)) {
        const auto idx = part.size() <= 9 ? std::stoul(part) : node->list.size();
        if (idx < node->list.size()) next = node->list[idx];
      }
      if (!next) return nullptr;
      node = next;
      walked.push_back(part);
    }
    return resolved ? node : resolve_at(node, walked);
  }

  // Counts what an interpolation copies against the preset limits: `b: [${a}, ${a}]`,
  // `c: [${b}, ${b}]`, ... doubles the tree with every key. The walk stops at the limit, so
  // its own cost is bounded too.
  void charge(const Node& n, const Location& loc, const Path& path) {
    for_each_node(n, [&](const Node& x) {
      ++nodes_;
      bytes_ += x.s.size();
      if (nodes_ > limits::kPresetNodes || bytes_ > limits::kPresetTextBytes) {
        throw ConfigError(
            loc, fmt::format("{}: interpolations copy more than {} values or {} MiB "
                             "of text (the preset limit)",
                             join(path), limits::kPresetNodes, limits::kPresetTextBytes >> 20));
      }
      return true;
    });
  }

  NodePtr root_;
  std::time_t now_;
  std::size_t depth_ = 0;
  std::size_t nodes_ = 0;
  std::size_t bytes_ = 0;
  std::map<std::string, NodePtr> done_;
  std::vector<std::string> stack_;
};

void check_path(const Override& o, const Location& loc) {
  if (o.key.empty()) throw ConfigError(loc, fmt::format("override '{}': empty key", o.text));
}

}  // namespace

NodePtr resolve(const NodePtr& root) { return Resolver(root).resolve_at(root, {}); }

Override parse_override(const std::string& text, bool multirun) {
  const Location loc{"<command line>", 0};
  Override o;
  o.text = text;
  std::string t = text;
  if (t.rfind("++", 0) == 0) {
    o.op = Override::Op::kForce;
    t = t.substr(2);
  } else if (t.rfind('+', 0) == 0) {
    o.op = Override::Op::kAdd;
    t = t.substr(1);
  } else if (t.rfind('~', 0) == 0) {
    o.op = Override::Op::kDelete;
    t = t.substr(1);
  }
  const auto eq = t.find('=');
  o.key = trim(t.substr(0, eq));
  check_path(o, loc);
  if (eq == std::string::npos) {
    if (o.op != Override::Op::kDelete) {
      throw ConfigError(loc,
                        fmt::format("override '{}': expected KEY=VALUE (or ~KEY to delete)", text));
    }
    return o;
  }
  const std::string value = t.substr(eq + 1);
  std::vector<std::string> parts{value};
  if (multirun) {
    const std::string v = trim(value);
    if (v.rfind("range(", 0) == 0 && v.back() == ')') {
      const auto args = split_args(v.substr(6, v.size() - 7));
      if (args.size() < 2 || args.size() > 3) {
        throw ConfigError(loc, fmt::format("override '{}': range(start, stop[, step])", text));
      }
      const auto number = [&](const std::string& a) {
        const std::string t = trim(a);
        const auto x = limits::parse_finite(t);
        if (!x) {
          throw ConfigError(loc, fmt::format("override '{}': range() takes finite numbers, not "
                                             "'{}'",
                                             text, t));
        }
        return *x;
      };
      const double start = number(args[0]), stop = number(args[1]);
      const double step = args.size() == 3 ? number(args[2]) : 1.0;
      if (step == 0) throw ConfigError(loc, fmt::format("override '{}': step 0", text));
      // A range running the wrong way has no values (and a huge negative count is no integer).
      const double count = std::max(0.0, std::ceil((stop - start) / step - 1e-9));
      if (!std::isfinite(count) || count > static_cast<double>(limits::kSweepAxisValues)) {
        throw ConfigError(loc, fmt::format("override '{}': more than {} values (the sweep limit)",
                                           text, limits::kSweepAxisValues));
      }
      bool ints = true;
      for (const auto& a : args) ints = ints && a.find_first_of(".eE") == std::string::npos;
      for (std::int64_t k = 0; k < static_cast<std::int64_t>(count); ++k) {
        const double x = start + static_cast<double>(k) * step;
        auto n = Node::make(ints ? Node::Kind::kInt : Node::Kind::kFloat, loc);
        if (ints && std::fabs(x) > 9.0e18) {
          throw ConfigError(loc, fmt::format("override '{}': {} is too large", text, x));
        }
        n->i = ints ? static_cast<std::int64_t>(std::llround(x)) : 0;
        n->f = x;
        if (!o.values.empty() && (ints ? o.values.back()->i == n->i : o.values.back()->f == x)) {
          throw ConfigError(
              loc, fmt::format("override '{}': values too large to step by {}", text, step));
        }
        o.values.push_back(n);
      }
      if (o.values.empty()) throw ConfigError(loc, fmt::format("override '{}': empty range", text));
      return o;
    }
    parts = split_args(value);
  }
  for (const auto& p : parts) o.values.push_back(parse_value(trim(p), loc));
  return o;
}

void apply_override(const NodePtr& root, const Override& o, std::size_t value_index) {
  const Location loc{"<command line>", 0};
  Path path = split_path(o.key);
  const std::string last = path.back();
  path.pop_back();
  NodePtr parent = root;
  for (const auto& part : path) {
    NodePtr next = parent->kind == Node::Kind::kMap ? parent->get(part) : nullptr;
    if (!next) {
      if (o.op == Override::Op::kSet || o.op == Override::Op::kDelete) {
        throw ConfigError(
            loc,
            fmt::format("override '{}': key '{}' does not exist{}", o.text, o.key,
                        o.op == Override::Op::kSet ? " (use +" + o.key + "=... to add it)" : ""));
      }
      next = Node::make(Node::Kind::kMap, loc);
      parent->set(part, next);
    }
    if (next->kind != Node::Kind::kMap) {
      throw ConfigError(loc, fmt::format("override '{}': '{}' is a {}, not a map", o.text, part,
                                         next->type_name()));
    }
    parent = next;
  }
  const NodePtr existing = parent->get(last);
  switch (o.op) {
    case Override::Op::kDelete:
      if (!parent->erase(last)) {
        throw ConfigError(loc,
                          fmt::format("override '{}': key '{}' does not exist", o.text, o.key));
      }
      return;
    case Override::Op::kSet:
      if (!existing) {
        throw ConfigError(
            loc, fmt::format("override '{}': key '{}' does not exist (use +{}=... to add it)",
                             o.text, o.key, o.key));
      }
      break;
    case Override::Op::kAdd:
      if (existing) {
        throw ConfigError(
            loc, fmt::format("override '{}': key '{}' already exists (use {}=... or ++{}=...)",
                             o.text, o.key, o.key, o.key));
      }
      break;
    case Override::Op::kForce:
      break;
  }
  parent->set(last, o.values.at(value_index)->clone());
}

std::vector<Variant> expand_sweeps(const NodePtr& root, const std::vector<Override>& sweeps) {
  std::vector<Override> axes = sweeps;
  NodePtr base = root->clone();
  if (NodePtr sweep = base->get("sweep")) {
    if (sweep->kind != Node::Kind::kMap)
      throw ConfigError(sweep->loc, "sweep: expected a map KEY: [values]");
    for (const auto& [k, v] : sweep->map) {
      Override o;
      o.op = Override::Op::kSet;
      o.key = k;
      o.text = k;
      if (v->kind == Node::Kind::kList) {
        o.values = v->list;
      } else if (v->kind == Node::Kind::kString && v->s.rfind("range(", 0) == 0) {
        o = parse_override(k + "=" + v->s, true);
      } else {
        o.values = {v};
      }
      if (o.values.empty()) throw ConfigError(v->loc, fmt::format("sweep.{}: no values", k));
      axes.push_back(o);
    }
    base->erase("sweep");
  }
  // Bound the product before building anything: three axes of 10,000 values would ask for
  // 10^12 trees.
  std::size_t variants = 1;
  for (const auto& axis : axes) {
    if (axis.values.size() > limits::kSweepAxisValues ||
        variants * axis.values.size() > limits::kSweepVariants) {
      throw ConfigError(axis.values.empty() ? Location{"<command line>", 0} : axis.values[0]->loc,
                        fmt::format("the sweep has more than {} variants (the sweep limit); "
                                    "axis '{}' has {} values",
                                    limits::kSweepVariants, axis.key, axis.values.size()));
    }
    variants *= std::max<std::size_t>(1, axis.values.size());
  }
  if (variants > 1) {
    std::size_t nodes = 0;
    for_each_node(*base, [&](const Node&) { return ++nodes <= 20 * limits::kPresetNodes; });
    if (variants * nodes > 20 * limits::kPresetNodes) {
      throw ConfigError(base->loc, fmt::format("the sweep would build {} copies of a preset of {} "
                                               "values (more than {} in all, the sweep limit)",
                                               variants, nodes, 20 * limits::kPresetNodes));
    }
  }
  std::vector<Variant> out{{{}, base}};
  for (const auto& axis : axes) {
    std::vector<Variant> next;
    for (const auto& v : out) {
      for (std::size_t i = 0; i < axis.values.size(); ++i) {
        Variant n{v.overrides, v.tree->clone()};
        apply_override(n.tree, axis, i);
        const std::string prefix = axis.op == Override::Op::kAdd     ? "+"
                                   : axis.op == Override::Op::kForce ? "++"
                                                                     : "";
        n.overrides.push_back(prefix + axis.key + "=" + axis.values[i]->scalar_text());
        next.push_back(std::move(n));
      }
    }
    out = std::move(next);
  }
  return out;
}

}  // namespace codecbench::config
