#pragma once
/// @file version.hpp
/// Version and provenance of codecbench and the FFmpeg libraries it runs on.

#include <string>
#include <vector>

namespace codecbench {

/// Version of one linked library.
struct LibraryVersion {
  std::string name;      ///< e.g. "libavcodec"
  std::string compiled;  ///< version of the headers codecbench was built with, "59.37.100"
  std::string runtime;   ///< version of the library loaded at run time
};

/// Everything `codecbench --version` reports and every result records as provenance.
struct VersionInfo {
  std::string tool;                       ///< codecbench version, e.g. "0.1.0"
  std::string git_revision;               ///< `git describe` at build time, or "unknown"
  std::string ffmpeg;                     ///< av_version_info(), e.g. "5.1.8-0+deb12u1"
  std::vector<LibraryVersion> libraries;  ///< libavcodec, libavformat, ... in that order
  std::string ffmpeg_configuration;       ///< avcodec_configuration(): FFmpeg's ./configure line
};

/// Collects the version information (cheap; no side effects).
VersionInfo version_info();

}  // namespace codecbench
