#include <doctest/doctest.h>

#include "codecbench/catalog/probe.hpp"

using namespace codecbench;

TEST_CASE("software encoders open, encode and flush a probe frame") {
  ProbeOptions opt;
  for (const char* name : {"mpeg4", "ffv1", "libx264", "flac", "libopus"}) {
    CAPTURE(name);
    const ProbeResult r = probe_encoder_in_process(name, opt);
    CHECK(r.status == "usable");
    CHECK(r.usable);
    CHECK(r.packets >= 1);
    CHECK_FALSE(r.format.empty());
  }
}

TEST_CASE("hardware encoders without hardware are unusable with FFmpeg's reason") {
  ProbeOptions opt;
  const ProbeResult vaapi = probe_encoder_in_process("h264_vaapi", opt);
  CHECK(vaapi.status == "unusable");
  CHECK(vaapi.reason.find("vaapi") != std::string::npos);
  const ProbeResult nvenc = probe_encoder_in_process("h264_nvenc", opt);
  CHECK(nvenc.status == "unusable");
  CHECK_FALSE(nvenc.reason.empty());
}

TEST_CASE("isolated probes keep order, report unknown names and enforce the timeout") {
  ProbeOptions opt;
  opt.concurrency = 2;
  const auto results = probe_encoders({"ffv1", "no-such-encoder", "h264_vaapi", "mpeg4"}, opt);
  REQUIRE(results.size() == 4);
  CHECK(results[0].encoder == "ffv1");
  CHECK(results[0].usable);
  CHECK(results[1].status == "unusable");
  CHECK(results[1].reason.find("no-such-encoder") != std::string::npos);
  CHECK(results[2].status == "unusable");
  CHECK(results[3].usable);

  // A probe that cannot finish in time is killed and reported, not waited for.
  ProbeOptions tight;
  tight.timeout_s = 0.001;
  tight.width = 1920;
  tight.height = 1080;
  const auto slow = probe_encoders({"libx265"}, tight);
  REQUIRE(slow.size() == 1);
  CHECK(slow[0].status == "timeout");
  CHECK(slow[0].seconds < 5.0);
}
