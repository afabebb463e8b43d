// File fingerprints with a per-user cache keyed by (absolute path, size, mtime, inode).
#include "codecbench/core/fingerprint.hpp"

#include <fcntl.h>
#include <fmt/core.h>
#include <sys/stat.h>
#include <unistd.h>
#include <xxhash.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <mutex>
#include <sstream>
#include <vector>

#include "codecbench/core/error.hpp"
#include "codecbench/core/files.hpp"

namespace codecbench {
namespace {

struct FileStamp {
  std::string path;  // absolute
  std::int64_t size = 0, mtime_ns = 0;
  std::uint64_t inode = 0;
  [[nodiscard]] std::string key() const {
    return fmt::format("{}\t{}\t{}\t{}", path, size, mtime_ns, inode);
  }
};

class Cache {
 public:
  std::string lookup(const FileStamp& s) {
    std::lock_guard lock(mutex_);
    load();
    const auto it = entries_.find(s.key());
    return it == entries_.end() ? "" : it->second;
  }
  void store(const FileStamp& s, const std::string& fingerprint) {
    std::lock_guard lock(mutex_);
    entries_[s.key()] = fingerprint;
    if (file_.empty()) return;
    // One short line per append: O_APPEND keeps concurrent writers' lines whole.
    const std::string line = s.key() + "\t" + fingerprint + "\n";
    const int fd = ::open(file_.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0) return;
    (void)!::write(fd, line.data(), line.size());
    ::close(fd);
  }

 private:
  void load() {
    if (loaded_) return;
    loaded_ = true;
    const std::string dir = cache_dir();
    if (dir.empty()) return;
    std::error_code ec;
    std::filesystem::create_directories(dir, ec);
    if (ec) return;
    file_ = (std::filesystem::path(dir) / "fingerprints.tsv").string();
    std::ifstream f(file_);
    std::string line;
    while (std::getline(f, line)) {
      const auto tab = line.rfind('\t');
      if (tab == std::string::npos) continue;
      entries_[line.substr(0, tab)] = line.substr(tab + 1);
    }
  }
  std::mutex mutex_;
  bool loaded_ = false;
  std::string file_;
  std::map<std::string, std::string> entries_;
};

Cache& cache() {
  static Cache c;
  return c;
}

struct StateDeleter {
  void operator()(XXH3_state_t* s) const noexcept { XXH3_freeState(s); }
};

struct Fd {
  int fd = -1;
  ~Fd() {
    if (fd >= 0) ::close(fd);
  }
};

std::string hash_file(const std::string& path) {
  Fd f{::open(path.c_str(), O_RDONLY | O_CLOEXEC)};
  if (f.fd < 0) throw InputError(fmt::format("{}: cannot read ({})", path, std::strerror(errno)));
  std::unique_ptr<XXH3_state_t, StateDeleter> state(XXH3_createState());
  if (!state || XXH3_64bits_reset(state.get()) != XXH_OK) throw Error("xxhash: out of memory");
  std::vector<char> buf(1 << 20);
  for (;;) {
    const ssize_t n = ::read(f.fd, buf.data(), buf.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      throw InputError(fmt::format("{}: read failed ({})", path, std::strerror(errno)));
    }
    if (n == 0) break;
    XXH3_64bits_update(state.get(), buf.data(), static_cast<std::size_t>(n));
  }
  return fmt::format("xxh3:{:016x}", XXH3_64bits_digest(state.get()));
}

}  // namespace

std::string cache_dir() {
  if (const char* d = std::getenv("CODECBENCH_CACHE_DIR"); d != nullptr && d[0] != '\0') return d;
  if (const char* d = std::getenv("XDG_CACHE_HOME"); d != nullptr && d[0] != '\0')
    return (std::filesystem::path(d) / "codecbench").string();
  if (const char* d = std::getenv("HOME"); d != nullptr && d[0] != '\0')
    return (std::filesystem::path(d) / ".cache" / "codecbench").string();
  return "";
}

std::string xxh3_hex(const std::string& bytes) {
  return fmt::format("{:016x}", XXH3_64bits(bytes.data(), bytes.size()));
}

std::string file_fingerprint(const std::string& path) {
  if (const auto seq = find_image_sequence(path)) {
    // A sequence is its files' contents in order: the hash of their fingerprints.
    std::string all;
    for (const std::string& f : seq->files) all += file_fingerprint(f) + "\n";
    return "xxh3:" + xxh3_hex(all);
  }
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0)
    throw InputError(fmt::format("{}: {}", path, std::strerror(errno)));
  if (!S_ISREG(st.st_mode)) require_regular_file(path);  // names what it is instead
  std::error_code ec;
  const auto abs = std::filesystem::absolute(path, ec);
  FileStamp s{ec ? path : abs.lexically_normal().string(), static_cast<std::int64_t>(st.st_size),
              static_cast<std::int64_t>(st.st_mtim.tv_sec) * 1000000000 + st.st_mtim.tv_nsec,
              static_cast<std::uint64_t>(st.st_ino)};
  if (std::string hit = cache().lookup(s); !hit.empty()) return hit;
  std::string fp = hash_file(path);
  cache().store(s, fp);
  return fp;
}

std::string stable_hash(const std::string& text) {
  std::uint64_t h = 1469598103934665603ULL;
  for (unsigned char c : text) {
    h ^= c;
    h *= 1099511628211ULL;
  }
  return fmt::format("{:016x}", h);
}

}  // namespace codecbench
