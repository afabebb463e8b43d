#pragma once
// Helpers the unit tests share.
#include <exception>
#include <functional>
#include <string>

namespace codecbench::test {

/// The message of the exception `f` throws ("" when it throws none).
inline std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const std::exception& e) {
    return e.what();
  }
  return "";
}

}  // namespace codecbench::test
