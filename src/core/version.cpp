#include "codecbench/core/version.hpp"

#include <fmt/core.h>

#include "build_info.hpp"
#include "codecbench/core/av.hpp"
#include "codecbench_config.hpp"

namespace codecbench {
namespace {

std::string version_text(unsigned v) {
  return fmt::format("{}.{}.{}", AV_VERSION_MAJOR(v), AV_VERSION_MINOR(v), AV_VERSION_MICRO(v));
}

}  // namespace

VersionInfo version_info() {
  VersionInfo info;
  info.tool = CODECBENCH_VERSION;
  info.git_revision = CODECBENCH_GIT_REVISION;
  info.ffmpeg = av_version_info();
  info.libraries = {
      {"libavcodec", version_text(LIBAVCODEC_VERSION_INT), version_text(avcodec_version())},
      {"libavformat", version_text(LIBAVFORMAT_VERSION_INT), version_text(avformat_version())},
      {"libavutil", version_text(LIBAVUTIL_VERSION_INT), version_text(avutil_version())},
      {"libavfilter", version_text(LIBAVFILTER_VERSION_INT), version_text(avfilter_version())},
      {"libswscale", version_text(LIBSWSCALE_VERSION_INT), version_text(swscale_version())},
      {"libswresample", version_text(LIBSWRESAMPLE_VERSION_INT),
       version_text(swresample_version())},
  };
  info.ffmpeg_configuration = avcodec_configuration();
  return info;
}

}  // namespace codecbench
