#pragma once
// The backends behind open_store (store.hpp), each in its own file; only the factory
// (store.cpp) names them.

#include <memory>
#include <string>

#include "codecbench/store/store.hpp"

namespace codecbench {

/// The SQLite file at `path` (sqlite_store.cpp).
std::unique_ptr<ResultStore> open_sqlite_store(const std::string& path, StoreAccess access);

/// An empty store held in this process's memory (memory_store.cpp).
std::unique_ptr<ResultStore> open_memory_store();

}  // namespace codecbench
