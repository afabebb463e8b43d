// The results store's factory: a URL names the backend (store.hpp). Each backend lives in its
// own file; a new one is a file, a line here and a line in src/meson.build.
#include "codecbench/store/store.hpp"

#include <fmt/core.h>

#include "codecbench/core/error.hpp"
#include "store_backends.hpp"

namespace codecbench {

std::int64_t ResultStore::latest_run() {
  const auto all = runs();
  if (all.empty()) throw InputError(fmt::format("{}: the store has no runs yet", location()));
  return all.back().id;
}

namespace {

bool starts_with(const std::string& s, const char* prefix) { return s.rfind(prefix, 0) == 0; }

// "scheme://..." with a URL scheme's characters (RFC 3986): what is not a path. A path such
// as "results/a:b.sqlite" or "C:x" has no "://" right after its scheme-like start.
std::string url_scheme(const std::string& url) {
  const std::size_t colon = url.find("://");
  if (colon == std::string::npos || colon == 0) return "";
  for (std::size_t i = 0; i < colon; ++i) {
    const char c = url[i];
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                    (i > 0 && ((c >= '0' && c <= '9') || c == '+' || c == '-' || c == '.'));
    if (!ok) return "";
  }
  return url.substr(0, colon);
}

}  // namespace

std::string store_file(const std::string& url) {
  if (url.empty() || url == "memory:") return "";
  if (!url_scheme(url).empty() && !starts_with(url, "sqlite:")) return "";
  if (starts_with(url, "sqlite:")) return url.substr(starts_with(url, "sqlite://") ? 9 : 7);
  return url;
}

std::unique_ptr<ResultStore> open_store(const std::string& url, StoreAccess access) {
  if (url.empty()) throw UsageError("results store: an empty location (give a path or a URL)");
  if (url == "memory:") return open_memory_store();
  if (starts_with(url, "file:") || starts_with(url, "sqlite:file:")) {
    // Debian's SQLite takes "file:" names as URIs (with ?mode=, ?vfs=...) while the folder
    // would be made for the literal path: one spelling, one meaning.
    throw UsageError(
        fmt::format("{}: SQLite URIs are not taken as stores; give a path or sqlite:PATH", url));
  }
  if (starts_with(url, "sqlite:")) {
    const std::string path = url.substr(starts_with(url, "sqlite://") ? 9 : 7);
    if (path.empty()) throw UsageError(fmt::format("{}: the SQLite store's path is empty", url));
    return open_sqlite_store(path, access);
  }
  if (const std::string scheme = url_scheme(url); !scheme.empty()) {
    const bool postgres = scheme == "postgresql" || scheme == "postgres";
    throw UsageError(fmt::format(
        "{}: {} results stores are not built into this codecbench (stores: sqlite:PATH, a "
        "path, memory:)",
        url, postgres ? "PostgreSQL" : fmt::format("'{}'", scheme)));
  }
  return open_sqlite_store(url, access);
}

}  // namespace codecbench
