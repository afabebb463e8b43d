// Bounded JSON parsing (json.hpp).
#include "codecbench/core/json.hpp"

#include <fmt/core.h>

#include "codecbench/core/error.hpp"
#include "codecbench/core/limits.hpp"

namespace codecbench {
namespace {

// Thrown from the parser's callback: its depth argument counts the levels open around each
// event, the outermost value at depth 0.
struct TooDeep {};

}  // namespace

nlohmann::json parse_json(std::string_view text, const std::string& what) {
  return parse_json(text, what, nullptr);
}

nlohmann::json parse_json(std::string_view text, const std::string& what,
                          const nlohmann::json::parser_callback_t& each) {
  const auto bounded = [&each](int depth, nlohmann::json::parse_event_t event,
                               nlohmann::json& parsed) {
    if (depth >= static_cast<int>(limits::kJsonDepth)) throw TooDeep{};  // depth counts from 0
    return each ? each(depth, event, parsed) : true;
  };
  try {
    return nlohmann::json::parse(text, bounded);
  } catch (const TooDeep&) {
    throw InputError(
        fmt::format("{}: JSON nested deeper than {} levels", what, limits::kJsonDepth));
  } catch (const nlohmann::json::exception& e) {
    throw InputError(fmt::format("{}: not JSON ({})", what, e.what()));
  }
}

}  // namespace codecbench
