#pragma once
/// @file json.hpp
/// JSON read from outside the process (run documents, JSON Lines streams, store columns, MPI
/// messages), parsed with its nesting bounded (limits::kJsonDepth): nlohmann's parser is
/// iterative, but copying, comparing and destroying a value recurse once per level, and a
/// document nested 70,000 deep overflowed the stack.

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

namespace codecbench {

/// Parses `text`. InputError "WHAT: not JSON (...)" for text that is not JSON, and "WHAT:
/// JSON nested deeper than N levels" past the limit; `what` names the file, line or row.
nlohmann::json parse_json(std::string_view text, const std::string& what);

}  // namespace codecbench
