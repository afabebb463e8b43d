#pragma once
/// @file fingerprint.hpp
/// Content fingerprints of input files: what makes a job key tell two different files under
/// the same name apart, on any machine. A fingerprint is the XXH3-64 hash of the whole file
/// (16 hex digits). Hashing runs at disk speed; results are cached per file (path, size,
/// modification time, inode) in memory and in `fingerprints.tsv` under the cache folder, so
/// a file is read once until it changes.

#include <cstdint>
#include <string>

namespace codecbench {

/// The cache folder: $CODECBENCH_CACHE_DIR, else $XDG_CACHE_HOME/codecbench, else
/// $HOME/.cache/codecbench ("" when none can be named).
std::string cache_dir();

/// The fingerprint of a file's content, "xxh3:" followed by 16 hex digits. Throws InputError
/// naming the file when it cannot be read. An image-sequence pattern (files.hpp) is
/// fingerprinted as the hash of its files' fingerprints in order. Thread-safe. A cache folder that
/// cannot be written only costs the caching.
std::string file_fingerprint(const std::string& path);

/// XXH3-64 of a byte string, 16 hex digits (tests and short texts).
std::string xxh3_hex(const std::string& bytes);

/// 64-bit FNV-1a hash as 16 hex digits (stable across runs and machines): what job keys and
/// preset identities hash with.
std::string stable_hash(const std::string& text);

}  // namespace codecbench
