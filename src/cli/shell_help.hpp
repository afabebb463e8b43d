#pragma once
// Shell completions (bash, zsh, fish) and the man page, generated from the CLI11 definition of
// the commands, so they never drift from what the parser accepts.
#include <CLI/CLI.hpp>
#include <string>

#include "commands.hpp"

namespace codecbench::cli {

/// The completion script for `shell` ("bash", "zsh" or "fish"). Encoder and preset names are
/// completed at completion time by running the tool itself (`complete-words`).
std::string completion_script(const CLI::App& root, const std::string& shell);

/// The man page (man(7) roff) of codecbench: every command, its options and the exit codes.
std::string man_page(const CLI::App& root);

/// Registers `completions SHELL`, `man` and the hidden `complete-words KIND` that the scripts
/// call (KIND: encoders, codecs, presets).
void register_shell_help(CLI::App& app, CommandRunner& runner);

}  // namespace codecbench::cli
