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

/// parse_json with `each` called on every parser event after the depth check, as nlohmann's
/// parser callback (depth from 0 at the outermost value; returning false drops the value from
/// the result): a document can be consumed piece by piece, each finished piece moved out and
/// dropped, so memory holds one piece, not the whole tree. Exceptions from `each` pass on.
nlohmann::json parse_json(std::string_view text, const std::string& what,
                          const nlohmann::json::parser_callback_t& each);

}  // namespace codecbench
