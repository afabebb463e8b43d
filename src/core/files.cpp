// Safe reading of inputs and whole-or-nothing writing of outputs (files.hpp).
#include "codecbench/core/files.hpp"

#include <fcntl.h>
#include <fmt/core.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>

#include "codecbench/core/error.hpp"

namespace codecbench {

namespace {

// Writes all of `text` to `fd`; 0, or the errno of the write that failed.
int write_fully(int fd, const std::string& text) {
  std::size_t done = 0;
  while (done < text.size()) {
    const ssize_t n = ::write(fd, text.data() + done, text.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return errno;
    done += static_cast<std::size_t>(n);
  }
  return 0;
}

}  // namespace

std::string file_kind(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return "nothing";
  if (S_ISREG(st.st_mode)) return "a regular file";
  if (S_ISDIR(st.st_mode)) return "a directory";
  if (S_ISFIFO(st.st_mode)) return "a FIFO";
  if (S_ISCHR(st.st_mode)) return "a character device";
  if (S_ISBLK(st.st_mode)) return "a block device";
  if (S_ISSOCK(st.st_mode)) return "a socket";
  return "not a regular file";
}

void require_regular_file(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) {
    throw InputError(
        fmt::format("{}: {}", path, errno == ENOENT ? "no such file" : std::strerror(errno)));
  }
  if (S_ISDIR(st.st_mode)) throw InputError(fmt::format("{}: is a directory", path));
  if (!S_ISREG(st.st_mode)) {
    throw InputError(fmt::format("{}: not a regular file ({})", path, file_kind(path)));
  }
}

namespace {

// The one number field of a sequence pattern: where it starts and ends in the path and its
// zero-padded width (0 for %d). std::nullopt unless there is exactly one and every other '%'
// is a "%%".
struct NumberField {
  std::size_t begin = 0;
  std::size_t end = 0;
  int width = 0;
};

std::optional<NumberField> number_field(const std::string& path) {
  std::optional<NumberField> found;
  for (std::size_t i = 0; i < path.size(); ++i) {
    if (path[i] != '%') continue;
    if (i + 1 < path.size() && path[i + 1] == '%') {
      ++i;
      continue;
    }
    std::size_t j = i + 1;
    int width = 0;
    while (j < path.size() && path[j] >= '0' && path[j] <= '9' && width < 100) {
      width = width * 10 + (path[j] - '0');
      ++j;
    }
    if (j >= path.size() || path[j] != 'd' || found) return std::nullopt;
    found = NumberField{i, j + 1, width};
    i = j;
  }
  return found;
}

// The literal text of a pattern piece: "%%" is one '%'.
std::string unescape_percent(const std::string& piece) {
  std::string out;
  for (std::size_t i = 0; i < piece.size(); ++i) {
    out += piece[i];
    if (piece[i] == '%' && i + 1 < piece.size() && piece[i + 1] == '%') ++i;
  }
  return out;
}

bool is_regular(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode);
}

}  // namespace

bool is_sequence_pattern(const std::string& path) {
  return number_field(path).has_value() && !is_regular(path);
}

std::optional<std::string> sequence_file_name(const std::string& path, std::int64_t number) {
  const auto field = number_field(path);
  if (!field) return std::nullopt;
  return unescape_percent(path.substr(0, field->begin)) +
         fmt::format("{:0{}d}", number, field->width) + unescape_percent(path.substr(field->end));
}

std::optional<ImageSequence> find_image_sequence(const std::string& path) {
  if (!is_sequence_pattern(path)) return std::nullopt;
  ImageSequence seq;
  seq.pattern = path;
  // As image2's default start_number_range: the first number is one of 0..4.
  std::int64_t first = -1;
  for (std::int64_t n = 0; n < 5 && first < 0; ++n) {
    if (is_regular(*sequence_file_name(path, n))) first = n;
  }
  if (first < 0) {
    throw InputError(fmt::format(
        "{}: no such file, and no numbered file matches it as an image sequence (tried {} to {})",
        path, *sequence_file_name(path, 0), *sequence_file_name(path, 4)));
  }
  seq.first = first;
  for (std::int64_t n = first;; ++n) {
    std::string name = *sequence_file_name(path, n);
    if (!is_regular(name)) break;
    if (static_cast<std::int64_t>(seq.files.size()) >= limits::kMaxSequenceFiles) {
      throw InputError(fmt::format("{}: an image sequence of more than {} files (the limit)", path,
                                   limits::kMaxSequenceFiles));
    }
    seq.files.push_back(std::move(name));
  }
  return seq;
}

std::string read_data_file(const std::string& path, std::size_t limit) {
  require_regular_file(path);
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) throw InputError(fmt::format("{}: cannot read ({})", path, std::strerror(errno)));
  std::string text;
  char buf[1 << 16];
  for (;;) {
    const ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      const int err = errno;
      ::close(fd);
      throw InputError(fmt::format("{}: cannot read ({})", path, std::strerror(err)));
    }
    if (n == 0) break;
    text.append(buf, static_cast<std::size_t>(n));
    if (text.size() > limit) {
      ::close(fd);
      throw InputError(
          fmt::format("{}: larger than {} MiB (the limit for data files)", path, limit >> 20));
    }
  }
  ::close(fd);
  return text;
}

void check_overwrite(const std::string& path, OutputKind kind, const std::string& role,
                     bool force) {
  if (force) return;
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return;  // nothing there yet
  if (S_ISDIR(st.st_mode)) throw InputError(fmt::format("{} {}: is a directory", role, path));
  if (!S_ISREG(st.st_mode) || st.st_size == 0) return;
  // The start of the file and its end (a run document's keys are sorted: "schema_version"
  // comes last).
  std::string head, tail;
  if (const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC); fd >= 0) {
    head.resize(64 * 1024);
    ssize_t n = ::pread(fd, head.data(), head.size(), 0);
    head.resize(n > 0 ? static_cast<std::size_t>(n) : 0);
    tail.resize(4096);
    n = ::pread(fd, tail.data(), tail.size(), std::max<off_t>(0, st.st_size - 4096));
    tail.resize(n > 0 ? static_cast<std::size_t>(n) : 0);
    ::close(fd);
  }
  const auto first = head.find_first_not_of(" \t\r\n");
  bool ours = false;
  if (kind == OutputKind::kJson) {
    ours = first != std::string::npos && (head[first] == '{' || head[first] == '[') &&
           (head.find("\"schema_version\"") != std::string::npos ||
            tail.find("\"schema_version\"") != std::string::npos);
  } else {
    const std::string line = head.substr(0, head.find('\n'));
    ours = (line.rfind("key,", 0) == 0 || line.find(",key,") != std::string::npos) &&
           line.find("encoder_label") != std::string::npos;
  }
  if (!ours) {
    throw InputError(
        fmt::format("{} {}: the file exists and was not written by codecbench; "
                    "refusing to overwrite it (--force to allow)",
                    role, path));
  }
}

void write_file_atomically(const std::string& path, const std::string& text) {
  // A device or FIFO (/dev/null, /dev/stdout, a pipe) is written in place: renaming over it
  // would replace the device node itself.
  const std::string kind = file_kind(path);
  if (kind != "nothing" && kind != "a regular file") {
    if (kind == "a directory") throw InputError(fmt::format("{}: is a directory", path));
    // A FIFO with no reader would block the open for ever: opened without blocking, which
    // fails at once (ENXIO) when nothing reads it, then written with blocking writes.
    const int fd = ::open(path.c_str(), O_WRONLY | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0) {
      if (errno == ENXIO) {
        throw InputError(fmt::format("{}: a FIFO that nothing reads; nothing was written", path));
      }
      throw InputError(fmt::format("{}: cannot open for writing ({})", path, std::strerror(errno)));
    }
    if (const int flags = ::fcntl(fd, F_GETFL); flags >= 0)
      ::fcntl(fd, F_SETFL, flags & ~O_NONBLOCK);
    const int err = write_fully(fd, text);
    ::close(fd);
    if (err != 0) throw InputError(fmt::format("{}: write failed ({})", path, std::strerror(err)));
    return;
  }
  replace_file(path, text, 0644);
}

void replace_file(const std::string& path, const std::string& text, unsigned mode) {
  const std::filesystem::path target(path);
  const std::string stem = (target.has_parent_path() ? target.parent_path().string() + "/" : "") +
                           "." + target.filename().string() + fmt::format(".tmp{}", ::getpid());
  // A fresh name that nothing occupies: O_EXCL|O_NOFOLLOW never opens what another user planted
  // there (a link to a victim file, a dangling link that would create one elsewhere).
  std::string tmp;
  int fd = -1;
  for (int attempt = 0; attempt < 100 && fd < 0; ++attempt) {
    tmp = attempt == 0 ? stem : fmt::format("{}.{}", stem, attempt);
    fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
                static_cast<mode_t>(mode));
    if (fd < 0 && errno != EEXIST) break;
  }
  if (fd < 0) {
    throw InputError(fmt::format("{}: cannot open for writing ({})", path, std::strerror(errno)));
  }
  int err = write_fully(fd, text);
  if (::close(fd) != 0 && err == 0) err = errno;
  // rename() replaces a link at `path` itself; it never writes through it.
  if (err == 0 && ::rename(tmp.c_str(), path.c_str()) != 0) err = errno;
  if (err != 0) {
    ::unlink(tmp.c_str());
    throw InputError(
        fmt::format("{}: write failed ({}); nothing was written", path, std::strerror(err)));
  }
}

bool same_file(const std::string& output, const std::string& input) {
  if (output.empty() || input.empty() || output == "-" || input == "-") return false;
  namespace fs = std::filesystem;
  std::error_code ec;
  const fs::path out = fs::weakly_canonical(output, ec);
  for (const char* suffix : {"", "-wal", "-shm", "-journal"}) {
    const std::string in = input + suffix;
    std::error_code ec_in;
    if (!ec && out == fs::weakly_canonical(in, ec_in) && !ec_in) return true;
    struct stat a {};
    struct stat b {};
    if (::stat(output.c_str(), &a) == 0 && ::stat(in.c_str(), &b) == 0 && a.st_dev == b.st_dev &&
        a.st_ino == b.st_ino)
      return true;
  }
  return false;
}

void refuse_same_file(const std::string& output, const std::string& output_role,
                      const std::string& input, const std::string& input_role) {
  if (!same_file(output, input)) return;
  throw UsageError(fmt::format("{} {}: is {} {}; writing it would destroy it (name another file)",
                               output_role, output, input_role, input));
}

}  // namespace codecbench
