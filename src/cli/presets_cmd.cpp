// `codecbench presets` (the presets on the search path) and `presets show NAME`.
#include <fmt/core.h>

#include <memory>

#include "codecbench/config/preset_path.hpp"
#include "codecbench/core/files.hpp"
#include "codecbench/core/limits.hpp"
#include "codecbench/report/views.hpp"
#include "commands.hpp"
#include "output.hpp"

namespace codecbench::cli {

namespace {

struct PresetsSettings {
  OutputOptions out;
  std::string name;
  bool path_only = false;
};

int list(const PresetsSettings& s) {
  emit(presets_view(list_presets(), preset_search_path()), s.out);
  return 0;
}

int show(const PresetsSettings& s) {
  const std::string path = find_preset(s.name);
  if (s.path_only) {
    write_output("", path + "\n");
    return 0;
  }
  write_output("", read_data_file(path, limits::kPresetBytes));
  return 0;
}

}  // namespace

void register_presets(CLI::App& app, CommandRunner& runner) {
  auto s = std::make_shared<PresetsSettings>();
  auto* cmd = app.add_subcommand(
      "presets",
      "List the presets that `run NAME` finds: current folder, $CODECBENCH_PRESET_PATH, "
      "~/.config/codecbench/presets, then the shipped ones");
  cmd->require_subcommand(0, 1);
  add_output_options(cmd, s->out);
  cmd->callback([s, &runner, cmd] {
    if (cmd->get_subcommands().empty()) runner = [s] { return list(*s); };
  });
  auto* sh = cmd->add_subcommand("show", "Print a preset's file as written (`config` resolves it)");
  sh->add_option("NAME", s->name, kPresetHelp)->required();
  sh->add_flag("--path", s->path_only, "Print only the file that NAME finds");
  sh->callback([s, &runner] { runner = [s] { return show(*s); }; });
}

}  // namespace codecbench::cli
