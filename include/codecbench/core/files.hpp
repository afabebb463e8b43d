#pragma once
/// @file files.hpp
/// Reading inputs and writing outputs safely: only regular files are read (a FIFO, a device
/// such as /dev/zero or a directory is named as such), data files are bounded in size, and an
/// output file is either written whole or not at all.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "codecbench/core/limits.hpp"

namespace codecbench {

/// What is at `path`, for messages: "a directory", "a FIFO", "a character device",
/// "a block device", "a socket", "a regular file", or "nothing" when it does not exist.
std::string file_kind(const std::string& path);

/// Throws InputError ("PATH: no such file", "PATH: not a regular file (a FIFO)", ...) unless
/// `path` is a regular file (symbolic links followed).
void require_regular_file(const std::string& path);

/// The whole content of a regular file of at most `limit` bytes. InputError naming the path
/// when it is missing, not a regular file, unreadable or larger than the limit.
std::string read_data_file(const std::string& path, std::size_t limit = limits::kDataFileBytes);

/// An image sequence named as ffmpeg's image2 demuxer names one: a path holding exactly one
/// printf number field (`%d` or `%0Nd`, `%%` for a literal percent sign), e.g. `png/%03d.png`.
struct ImageSequence {
  std::string pattern;             ///< the path as given
  std::int64_t first = 0;          ///< number of the first file
  std::vector<std::string> files;  ///< the files in order, first to the last before a gap
};

/// Whether `path` is spelled as an image-sequence pattern (one `%d`/`%0Nd` field), whether or
/// not files match it. A path of an existing file is never a pattern.
bool is_sequence_pattern(const std::string& path);

/// The file a sequence pattern names for `number` ("png/%03d.png", 7 -> "png/007.png").
/// std::nullopt when `path` is not a pattern.
std::optional<std::string> sequence_file_name(const std::string& path, std::int64_t number);

/// The files of an image sequence, found as image2 finds them: the first number of 0..4 that
/// names a regular file, then every following number up to the first that does not (at most
/// limits::kMaxSequenceFiles). std::nullopt when `path` is not a pattern; InputError naming the
/// pattern when no file matches or the sequence is longer than the limit.
std::optional<ImageSequence> find_image_sequence(const std::string& path);

/// What codecbench writes at a path, to recognise its own files before overwriting one.
enum class OutputKind { kJson, kCsv };

/// Whether writing `path` may replace what is there: nothing, an empty file, a device or FIFO
/// (/dev/null, a pipe), or a file that codecbench wrote (a run document: JSON with
/// "schema_version"; a CSV whose header has codecbench's "key" and "encoder_label" columns).
/// Otherwise (a preset set `output.json: ~/.bashrc`) InputError naming the path, what it
/// holds, `role` (e.g. "output.json") and --force, unless `force`.
void check_overwrite(const std::string& path, OutputKind kind, const std::string& role, bool force);

/// Writes `text` to `path` through a temporary file in the same folder that is renamed over
/// it once complete, so a full disk never leaves a truncated file (the temporary is removed).
/// InputError naming the path and the cause.
void write_file_atomically(const std::string& path, const std::string& text);

/// Writes `text` to `path` as a new file of permissions `mode`: created under a fresh temporary
/// name beside it (O_CREAT|O_EXCL|O_NOFOLLOW: a planted link there is never opened), then
/// renamed over `path`, so what was at `path` (a file, or a link, never followed) is replaced
/// whole. InputError naming the path and the cause; the temporary is removed on failure.
void replace_file(const std::string& path, const std::string& text, unsigned mode = 0644);

/// Whether writing `output` would write `input` (read or kept by the same command): the same
/// path once resolved, or the same file (device and inode, through links), or one of an SQLite
/// file's companions (`input`-wal, `input`-shm, `input`-journal). "-" (stdout) and "" are
/// never the same file.
bool same_file(const std::string& output, const std::string& input);

/// UsageError "OUTPUT_ROLE OUTPUT: is INPUT_ROLE INPUT; ..." when same_file(output, input):
/// an output that would replace the results store or an input of the same command.
void refuse_same_file(const std::string& output, const std::string& output_role,
                      const std::string& input, const std::string& input_role);

}  // namespace codecbench
