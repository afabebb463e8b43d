// Completions and the man page from the CLI11 definition (shell_help.hpp).
#include "shell_help.hpp"

#include <fmt/core.h>

#include <algorithm>
#include <ctime>
#include <memory>
#include <set>

#include "codecbench/catalog/catalog.hpp"
#include "codecbench/config/preset_path.hpp"
#include "codecbench/core/error.hpp"
#include "codecbench/core/version.hpp"
#include "commands.hpp"
#include "output.hpp"

namespace codecbench::cli {
namespace {

// What the word after an option (or a positional) is.
enum class ValueKind { kNone, kText, kFile, kDir, kEncoder, kCodec, kPreset, kChoice };

struct OptionInfo {
  std::vector<std::string> names;  // "-c", "--encoder"
  std::string help;
  ValueKind kind = ValueKind::kNone;
  std::vector<std::string> choices;
};

struct PositionalInfo {
  std::string name;  // PRESET, INPUT, ...
  std::string help;
  ValueKind kind = ValueKind::kText;
  std::vector<std::string> choices;
};

struct CommandInfo {
  std::vector<std::string> path;  // {"runs", "show"}; {} for the tool itself
  std::string help;
  std::vector<OptionInfo> options;
  std::vector<PositionalInfo> positionals;
  std::vector<std::pair<std::string, std::string>> subcommands;  // name, help
};

// The kinds of values by option or positional name: the one table of domain knowledge the
// generator needs beyond what CLI11 records.
ValueKind kind_of(const std::string& name, const std::vector<std::string>& path) {
  static const std::set<std::string> files = {
      "--store", "--output", "--points", "--costs", "--stream", "--keep", "--vmaf-model",
      "INPUT",   "INPUTS",   "OUT",      "RUN_A",   "RUN_B",    "STREAM"};
  static const std::set<std::string> dirs = {"--plots", "--figures", "--dir", "--claims"};
  if (files.count(name) != 0) return ValueKind::kFile;
  if (dirs.count(name) != 0) return ValueKind::kDir;
  if (name == "--encoder") return ValueKind::kEncoder;
  if (name == "PRESET") return ValueKind::kPreset;
  if (name == "NAME" && !path.empty() && path.front() == "presets") return ValueKind::kPreset;
  if (name == "NAME" && !path.empty() && path.front() == "codecs") return ValueKind::kCodec;
  return ValueKind::kText;
}

// "TEXT:{video,audio}" -> {"video", "audio"}.
std::vector<std::string> choices_of(const std::string& type_name) {
  const auto open = type_name.find('{');
  const auto close = type_name.find('}', open == std::string::npos ? 0 : open);
  if (open == std::string::npos || close == std::string::npos) return {};
  std::vector<std::string> out;
  std::string item;
  for (char c : type_name.substr(open + 1, close - open - 1)) {
    if (c == ',') {
      out.push_back(item);
      item.clear();
    } else if (c != ' ') {
      item += c;
    }
  }
  if (!item.empty()) out.push_back(item);
  return out;
}

void collect(const CLI::App& app, std::vector<std::string> path, std::vector<CommandInfo>& out) {
  CommandInfo c;
  c.path = path;
  c.help = app.get_description();
  for (const CLI::Option* o : app.get_options()) {
    if (o->get_group().empty()) continue;  // hidden
    if (o->get_positional() && o->get_lnames().empty() && o->get_snames().empty()) {
      const std::string name = o->get_name(true);
      PositionalInfo p{name, o->get_description(), kind_of(name, path),
                       choices_of(o->get_type_name())};
      if (!p.choices.empty()) p.kind = ValueKind::kChoice;
      c.positionals.push_back(std::move(p));
      continue;
    }
    OptionInfo info;
    for (const auto& s : o->get_snames()) info.names.push_back("-" + s);
    for (const auto& l : o->get_lnames()) info.names.push_back("--" + l);
    info.help = o->get_description();
    if (o->get_items_expected_min() > 0) {
      info.choices = choices_of(o->get_type_name());
      info.kind = info.choices.empty() ? ValueKind::kText : ValueKind::kChoice;
      for (const auto& n : info.names) {
        const ValueKind k = kind_of(n, path);
        if (k != ValueKind::kText) info.kind = k;
      }
    }
    c.options.push_back(std::move(info));
  }
  const auto subs = app.get_subcommands(
      [](const CLI::App* a) { return !a->get_name().empty() && !a->get_group().empty(); });
  for (const CLI::App* sub : subs)
    c.subcommands.emplace_back(sub->get_name(), sub->get_description());
  out.push_back(std::move(c));
  for (const CLI::App* sub : subs) {
    auto p = path;
    p.push_back(sub->get_name());
    collect(*sub, p, out);
  }
}

std::vector<CommandInfo> commands_of(const CLI::App& root) {
  std::vector<CommandInfo> out;
  collect(root, {}, out);
  return out;
}

std::string join(const std::vector<std::string>& v, const std::string& sep) {
  std::string out;
  for (const auto& s : v) out += (out.empty() ? "" : sep) + s;
  return out;
}

// Text inside single quotes in a POSIX shell.
std::string sh_quote(const std::string& s) {
  std::string out = "'";
  for (char c : s) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

const char* words_kind(ValueKind k) {
  switch (k) {
    case ValueKind::kEncoder:
      return "encoders";
    case ValueKind::kCodec:
      return "codecs";
    case ValueKind::kPreset:
      return "presets";
    default:
      return nullptr;
  }
}

// "/runs/show"; "" for the tool itself.
std::string path_of(const CommandInfo& c) { return c.path.empty() ? "" : "/" + join(c.path, "/"); }

// Every command below the tool as one case pattern: "/codecs|/codecs/show|...".
std::string path_pattern(const std::vector<CommandInfo>& cmds) {
  std::vector<std::string> paths;
  for (const auto& c : cmds) {
    if (!c.path.empty()) paths.push_back(path_of(c));
  }
  return join(paths, "|");
}

// The case branches that complete an option's value, matched on "PATH PREVIOUS-WORD"; zsh
// writes its patterns in parentheses.
using ValueCompletion = std::string (*)(ValueKind, const std::vector<std::string>&);
std::string option_value_cases(const std::vector<CommandInfo>& cmds, bool zsh,
                               ValueCompletion value) {
  std::string s;
  for (const auto& c : cmds) {
    for (const auto& o : c.options) {
      if (o.kind == ValueKind::kNone) continue;
      std::vector<std::string> pats;
      for (const auto& n : o.names) pats.push_back(sh_quote(path_of(c) + " " + n));
      const std::string pattern = zsh ? "(" + join(pats, "|") + ")" : join(pats, "|") + ")";
      s += "    " + pattern + " " + value(o.kind, o.choices) + "; return ;;\n";
    }
  }
  return s;
}

// ---- bash ----------------------------------------------------------------------------------

std::string bash_value(ValueKind kind, const std::vector<std::string>& choices) {
  // Candidates that come from files (preset names, file names) never pass through compgen -W,
  // which expands its words again: a preset named `$(cmd).yaml` would run cmd. They are read a
  // line each and filtered by prefix (_codecbench_words), or taken from compgen -f as lines.
  if (const char* w = words_kind(kind)) {
    std::string s = fmt::format("COMPREPLY=(); _codecbench_words {}", w);
    if (kind == ValueKind::kPreset) s += "; _codecbench_lines compgen -f -X '!*.y*ml' -- \"$cur\"";
    return s;
  }
  if (kind == ValueKind::kFile) return "COMPREPLY=(); _codecbench_lines compgen -f -- \"$cur\"";
  if (kind == ValueKind::kDir) return "COMPREPLY=(); _codecbench_lines compgen -d -- \"$cur\"";
  if (kind == ValueKind::kChoice) {
    return fmt::format("COMPREPLY=($(compgen -W {} -- \"$cur\"))", sh_quote(join(choices, " ")));
  }
  return "COMPREPLY=()";
}

std::string bash_script(const std::vector<CommandInfo>& cmds) {
  std::string s =
      "# bash completion for codecbench (generated by `codecbench completions bash`; do not "
      "edit)\n"
      "# Adds each line a command prints to COMPREPLY, as it is (no splitting, no globbing).\n"
      "_codecbench_lines() {\n"
      "  local w\n"
      "  while IFS= read -r w; do COMPREPLY+=(\"$w\"); done < <(\"$@\" 2>/dev/null)\n"
      "}\n"
      "# The words `codecbench complete-words KIND` lists that start with $cur, each as it is:\n"
      "# never through compgen -W, which would expand them again.\n"
      "_codecbench_words() {\n"
      "  local w\n"
      "  while IFS= read -r w; do\n"
      "    [[ \"$w\" == \"$cur\"* ]] && COMPREPLY+=(\"$w\")\n"
      "  done < <(\"${COMP_WORDS[0]}\" complete-words \"$1\" 2>/dev/null)\n"
      "}\n"
      "_codecbench() {\n"
      "  local cur=\"${COMP_WORDS[COMP_CWORD]}\" prev=\"${COMP_WORDS[COMP_CWORD-1]}\"\n"
      "  local path=\"\" i\n"
      "  for ((i = 1; i < COMP_CWORD; i++)); do\n"
      "    case \"$path/${COMP_WORDS[i]}\" in\n";
  s += "      " + path_pattern(cmds) + ") path=\"$path/${COMP_WORDS[i]}\" ;;\n";
  s += "    esac\n  done\n";
  // Option values.
  s += "  case \"$path $prev\" in\n" + option_value_cases(cmds, false, bash_value) + "  esac\n";
  // Options, subcommands and positionals of the command reached.
  s += "  case \"$path\" in\n";
  for (const auto& c : cmds) {
    const std::string p = path_of(c);
    std::vector<std::string> opts;
    for (const auto& o : c.options) opts.insert(opts.end(), o.names.begin(), o.names.end());
    std::vector<std::string> subs;
    for (const auto& [name, help] : c.subcommands) subs.push_back(name);
    s += "    " + sh_quote(p) + ")\n";
    s += "      if [[ \"$cur\" == -* ]]; then COMPREPLY=($(compgen -W " +
         sh_quote(join(opts, " ")) + " -- \"$cur\")); return; fi\n";
    if (!subs.empty()) {
      s += "      COMPREPLY=($(compgen -W " + sh_quote(join(subs, " ")) + " -- \"$cur\"))\n";
    }
    if (!c.positionals.empty()) {
      const PositionalInfo& pos = c.positionals.front();
      if (pos.kind != ValueKind::kText) {
        s += "      local more=(\"${COMPREPLY[@]}\")\n      " + bash_value(pos.kind, pos.choices) +
             "\n      COMPREPLY+=(\"${more[@]}\")\n";
      }
    }
    s += "      ;;\n";
  }
  s += "  esac\n}\ncomplete -o filenames -F _codecbench codecbench\n";
  return s;
}

// ---- zsh -----------------------------------------------------------------------------------

// An entry for _describe: NAME:DESCRIPTION with ':' in NAME escaped, single-quoted.
std::string zsh_item(const std::string& name, const std::string& help) {
  std::string n;
  for (char c : name) n += c == ':' ? std::string("\\:") : std::string(1, c);
  return sh_quote(n + ":" + help);
}

std::string zsh_value(ValueKind kind, const std::vector<std::string>& choices) {
  if (const char* w = words_kind(kind)) {
    std::string s =
        fmt::format("compadd -- ${{(f)\"$(${{words[1]}} complete-words {} 2>/dev/null)\"}}", w);
    if (kind == ValueKind::kPreset) s += "; _files -g '*.y(a|)ml'";
    return s;
  }
  if (kind == ValueKind::kFile) return "_files";
  if (kind == ValueKind::kDir) return "_files -/";
  if (kind == ValueKind::kChoice) return "compadd -- " + join(choices, " ");
  return "_message value";
}

std::string zsh_script(const std::vector<CommandInfo>& cmds) {
  std::string s =
      "#compdef codecbench\n"
      "# zsh completion for codecbench (generated by `codecbench completions zsh`; do not "
      "edit)\n"
      "_codecbench() {\n"
      "  local cmdpath=\"\" i cur=\"${words[CURRENT]}\" prev=\"${words[CURRENT-1]}\"\n"
      "  local -a opts subs\n"
      "  for ((i = 2; i < CURRENT; i++)); do\n"
      "    case \"$cmdpath/${words[i]}\" in\n";
  s += "      (" + path_pattern(cmds) + ") cmdpath=\"$cmdpath/${words[i]}\" ;;\n";
  s += "    esac\n  done\n  case \"$cmdpath $prev\" in\n" +
       option_value_cases(cmds, true, zsh_value) + "  esac\n  case \"$cmdpath\" in\n";
  for (const auto& c : cmds) {
    const std::string p = path_of(c);
    s += "    (" + sh_quote(p) + ")\n      opts=(";
    for (const auto& o : c.options) {
      for (const auto& n : o.names) s += " " + zsh_item(n, o.help);
    }
    s += ")\n      subs=(";
    for (const auto& [name, help] : c.subcommands) s += " " + zsh_item(name, help);
    s += ")\n      if [[ \"$cur\" == -* ]]; then _describe option opts; return; fi\n";
    s += "      (( ${#subs} )) && _describe command subs\n";
    if (!c.positionals.empty() && c.positionals.front().kind != ValueKind::kText) {
      s += "      " + zsh_value(c.positionals.front().kind, c.positionals.front().choices) + "\n";
    }
    s += "      ;;\n";
  }
  s += "  esac\n}\n_codecbench \"$@\"\n";
  return s;
}

// ---- fish ----------------------------------------------------------------------------------

std::string fish_quote(const std::string& s) {
  std::string out = "'";
  for (char c : s) {
    if (c == '\'' || c == '\\') out += '\\';
    out += c;
  }
  return out + "'";
}

std::string fish_script(const std::vector<CommandInfo>& cmds) {
  std::string s =
      "# fish completion for codecbench (generated by `codecbench completions fish`; do not "
      "edit)\n"
      "# The command path typed so far (\"runs show\"), from the known subcommands.\n"
      "function __codecbench_path\n"
      "    set -l words (commandline -opc)\n"
      "    set -l path ''\n"
      "    for w in $words[2..-1]\n"
      "        switch \"$path/$w\"\n";
  std::vector<std::string> paths;
  for (const auto& c : cmds) {
    if (!c.path.empty()) paths.push_back(sh_quote(path_of(c)));
  }
  s += "            case " + join(paths, " ") + "\n                set path \"$path/$w\"\n";
  s += "        end\n    end\n    echo \"$path\"\nend\n";
  s += "complete -c codecbench -f\n";
  for (const auto& c : cmds) {
    const std::string p = path_of(c);
    const std::string cond = "-n " + fish_quote("test (__codecbench_path) = '" + p + "'");
    for (const auto& [name, help] : c.subcommands) {
      s += "complete -c codecbench " + cond + " -a " + fish_quote(name) + " -d " +
           fish_quote(help) + "\n";
    }
    for (const auto& o : c.options) {
      std::string line = "complete -c codecbench " + cond;
      for (const auto& n : o.names) {
        line += n.rfind("--", 0) == 0 ? " -l " + n.substr(2) : " -s " + n.substr(1);
      }
      line += " -d " + fish_quote(o.help);
      if (const char* w = words_kind(o.kind)) {
        line += fmt::format(" -x -a '(codecbench complete-words {})'", w);
      } else if (o.kind == ValueKind::kFile || o.kind == ValueKind::kDir) {
        line += " -r -F";
      } else if (o.kind == ValueKind::kChoice) {
        line += " -x -a " + fish_quote(join(o.choices, " "));
      } else if (o.kind == ValueKind::kText) {
        line += " -x";
      }
      s += line + "\n";
    }
    if (!c.positionals.empty()) {
      const ValueKind k = c.positionals.front().kind;
      if (const char* w = words_kind(k)) {
        s += "complete -c codecbench " + cond +
             fmt::format(" -a '(codecbench complete-words {})'\n", w);
      }
      if (k == ValueKind::kChoice) {
        s += "complete -c codecbench " + cond + " -a " +
             fish_quote(join(c.positionals.front().choices, " ")) + "\n";
      }
      if (k == ValueKind::kFile || k == ValueKind::kPreset) {
        s += "complete -c codecbench " + cond + " -F\n";
      }
    }
  }
  return s;
}

// ---- man -----------------------------------------------------------------------------------

// Text for roff: backslashes doubled, a leading '.' or '\'' kept from being a request, '-'
// written as \- (a real minus, so that searching for options works).
std::string roff(const std::string& text) {
  std::string out;
  for (char c : text) {
    if (c == '\\') {
      out += "\\e";
    } else if (c == '-') {
      out += "\\-";
    } else {
      out += c;
    }
  }
  if (!out.empty() && (out.front() == '.' || out.front() == '\'')) out = "\\&" + out;
  return out;
}

}  // namespace

std::string completion_script(const CLI::App& root, const std::string& shell) {
  const auto cmds = commands_of(root);
  if (shell == "bash") return bash_script(cmds);
  if (shell == "zsh") return zsh_script(cmds);
  if (shell == "fish") return fish_script(cmds);
  throw UsageError(fmt::format("completions: unknown shell '{}' (bash, zsh or fish)", shell));
}

std::string man_page(const CLI::App& root) {
  const auto cmds = commands_of(root);
  const VersionInfo v = version_info();
  std::string s = fmt::format(
      ".\\\" codecbench(1), generated by `codecbench man` from the command definitions\n"
      ".TH CODECBENCH 1 \"\" \"codecbench {}\" \"User Commands\"\n"
      ".SH NAME\ncodecbench \\- benchmark FFmpeg's codecs: size, quality, speed and scaling\n"
      ".SH SYNOPSIS\n.B codecbench\n[\\fIOPTIONS\\fR] \\fICOMMAND\\fR [\\fIARGS\\fR]\n"
      ".SH DESCRIPTION\n{}\n.PP\n"
      "Results go to standard output; progress, warnings and logs to standard error. Presets "
      "are found by name on the preset path: the current folder, "
      "\\fB$CODECBENCH_PRESET_PATH\\fR, \\fB$XDG_CONFIG_HOME/codecbench/presets\\fR, then the "
      "presets installed with codecbench (\\fBcodecbench presets\\fR lists them).\n",
      roff(v.tool), roff(root.get_description()));
  bool commands_started = false;
  for (const auto& c : cmds) {
    if (c.path.empty()) {
      s += ".SH GLOBAL OPTIONS\n";
    } else {
      if (!commands_started) s += ".SH COMMANDS\n";
      commands_started = true;
      s += ".SS \"" + roff("codecbench " + join(c.path, " "));
      for (const auto& p : c.positionals) s += " " + roff(p.name);
      s += "\"\n" + roff(c.help) + "\n";
      for (const auto& p : c.positionals) {
        s += ".TP\n\\fI" + roff(p.name) + "\\fR\n" + roff(p.help) + "\n";
      }
    }
    for (const auto& o : c.options) {
      s += ".TP\n";
      std::vector<std::string> names;
      for (const auto& n : o.names) names.push_back("\\fB" + roff(n) + "\\fR");
      s += join(names, ", ");
      if (o.kind != ValueKind::kNone) s += " \\fIVALUE\\fR";
      s += "\n" + roff(o.help) + "\n";
    }
  }
  s += ".SH EXIT STATUS\n";
  for (const auto& [code, meaning] : exit_code_meanings()) {
    s += fmt::format(".TP\n.B {}\n{}\n", code, roff(meaning));
  }
  s += ".SH ENVIRONMENT\n"
       ".TP\n.B CODECBENCH_PRESET_PATH\nColon-separated folders searched for presets by name.\n"
       ".TP\n.B CODECBENCH_DATA_DIR\nThe folder holding presets/ and samples/ (default: "
       "share/codecbench beside the installed binary).\n"
       ".TP\n.B CODECBENCH_RESULTS\nWhere the shipped presets put results (default: ./results).\n"
       ".TP\n.B CODECBENCH_CACHE_DIR\nThe reference cache (default: "
       "$XDG_CACHE_HOME/codecbench).\n"
       ".TP\n.B NO_COLOR\nNo colour on a terminal.\n"
       ".SH SEE ALSO\n\\fBffmpeg\\fR(1), \\fBhyperfine\\fR(1); the documentation in "
       "share/doc/codecbench.\n";
  return s;
}

void register_shell_help(CLI::App& app, CommandRunner& runner) {
  auto shell = std::make_shared<std::string>();
  auto* comp =
      app.add_subcommand("completions",
                         "Print the shell completion script for bash, zsh or fish (installed with "
                         "codecbench; for a build: source <(codecbench completions bash))");
  comp->add_option("SHELL", *shell, "bash, zsh or fish")
      ->required()
      ->check(CLI::IsMember({"bash", "zsh", "fish"}));
  comp->callback([shell, &runner, &app] {
    runner = [shell, &app] {
      write_output("", completion_script(app, *shell));
      return 0;
    };
  });
  auto* man = app.add_subcommand("man", "Print the man page (roff) of codecbench");
  man->callback([&runner, &app] {
    runner = [&app] {
      write_output("", man_page(app));
      return 0;
    };
  });
  auto kind = std::make_shared<std::string>();
  auto* words = app.add_subcommand("complete-words", "Words for shell completion");
  words->group("");  // hidden: the completion scripts call it
  words->add_option("KIND", *kind)
      ->required()
      ->check(CLI::IsMember({"encoders", "codecs", "presets"}));
  words->callback([kind, &runner] {
    runner = [kind] {
      std::set<std::string> names;
      if (*kind == "presets") {
        for (const auto& p : list_presets()) names.insert(p.name);
      } else if (*kind == "encoders") {
        for (const auto& e : list_implementations(true)) names.insert(e.name);
      } else {
        for (const auto& c : list_codecs()) names.insert(c.name);
        for (const auto& e : list_implementations(true)) names.insert(e.name);
        for (const auto& d : list_implementations(false)) names.insert(d.name);
      }
      std::string out;
      for (const auto& n : names) out += n + "\n";
      write_output("", out);
      return 0;
    };
  });
}

}  // namespace codecbench::cli
