#include <doctest/doctest.h>

#include "codecbench/av.hpp"
#include "codecbench/error.hpp"
#include "codecbench/log.hpp"
#include "codecbench/version.hpp"

using namespace codecbench;

TEST_CASE("check_av turns negative codes into FFmpegError with av_strerror text") {
  CHECK(av::check_av(5, "fine") == 5);
  try {
    av::check_av(AVERROR(EINVAL), "opening encoder x");
    FAIL("expected FFmpegError");
  } catch (const FFmpegError& e) {
    CHECK(e.averror() == AVERROR(EINVAL));
    CHECK(e.code() == ExitCode::kCodec);
    CHECK(std::string(e.what()) == "opening encoder x: Invalid argument");
  }
  CHECK(av::error_string(AVERROR_EOF) == "End of file");
}

TEST_CASE("Dictionary owns and moves its entries") {
  av::Dictionary d;
  d.set("crf", "23");
  d.set("preset", "fast");
  CHECK(d.size() == 2);
  av::Dictionary moved = std::move(d);
  CHECK(moved.size() == 2);
  CHECK(d.size() == 0);  // NOLINT(bugprone-use-after-move): moved-from state is defined
  const AVDictionaryEntry* e = av_dict_get(moved.get(), "crf", nullptr, 0);
  REQUIRE(e != nullptr);
  CHECK(std::string(e->value) == "23");
}

TEST_CASE("LogCapture collects this thread's FFmpeg messages, innermost first") {
  LogCapture outer(AV_LOG_WARNING);
  av_log(nullptr, AV_LOG_ERROR, "outer error %d\n", 1);
  {
    LogCapture inner(AV_LOG_ERROR);
    av_log(nullptr, AV_LOG_ERROR, "inner error\n");
    av_log(nullptr, AV_LOG_WARNING, "dropped warning\n");
    REQUIRE(inner.messages().size() == 1);
    CHECK(inner.errors() == "inner error");
  }
  av_log(nullptr, AV_LOG_WARNING, "outer warning\n");
  REQUIRE(outer.messages().size() == 2);
  CHECK(outer.messages()[0].text == "outer error 1");
  CHECK(outer.errors() == "outer error 1");
}

TEST_CASE("version_info reports the FFmpeg libraries actually loaded") {
  const VersionInfo v = version_info();
  CHECK_FALSE(v.tool.empty());
  REQUIRE(v.libraries.size() == 6);
  CHECK(v.libraries[0].name == "libavcodec");
  const unsigned rt = avcodec_version();
  CHECK(v.libraries[0].runtime == std::to_string(AV_VERSION_MAJOR(rt)) + "." +
                                      std::to_string(AV_VERSION_MINOR(rt)) + "." +
                                      std::to_string(AV_VERSION_MICRO(rt)));
}
