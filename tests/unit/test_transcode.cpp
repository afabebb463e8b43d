#include <doctest/doctest.h>

#include <thread>

#include "codecbench/reference_cache.hpp"
#include "codecbench/transcode.hpp"

using namespace codecbench;

namespace {

double psnr_average(const JobResult& r) {
  for (const auto& m : r.metrics) {
    if (m.name != "psnr") continue;
    for (const auto& [k, v] : m.summary) {
      if (k == "average") return v;
    }
  }
  FAIL("no psnr");
  return 0;
}

JobSpec small_job(const std::string& encoder) {
  JobSpec j;
  j.input.uri = "lavfi:testsrc2=size=176x144:rate=25:duration=0.4";
  j.encoder = encoder;
  j.options = {{"b", "200k"}};
  return j;
}

}  // namespace

TEST_CASE("a job reports frames, sizes and quality that agree with each other") {
  const JobResult r = run_job(small_job("mpeg4"));
  CHECK(r.frames == 10);
  CHECK(r.width == 176);
  CHECK(r.raw_bytes == 176u * 144u * 3u / 2u * 10u);
  CHECK(r.compression_ratio ==
        doctest::Approx(static_cast<double>(r.raw_bytes) / static_cast<double>(r.bitstream_bytes)));
  CHECK(r.bitrate_kbps ==
        doctest::Approx(8.0 * static_cast<double>(r.bitstream_bytes) / 0.4 / 1000));
  CHECK(psnr_average(r) > 20.0);
  CHECK(r.encoder_pix_fmt == "yuv420p");
}

TEST_CASE("jobs sharing a reference cache decode each input once and measure the same") {
  ReferenceCache cache;
  JobSpec a = small_job("mpeg4");
  JobSpec b = small_job("mpeg4");
  a.references = &cache;
  b.references = &cache;
  JobResult ra, rb;
  std::thread t1([&] { ra = run_job(a); });
  std::thread t2([&] { rb = run_job(b); });
  t1.join();
  t2.join();
  const JobResult alone = run_job(small_job("mpeg4"));
  CHECK(cache.stats().decodes == 1);  // one job decoded (and filled the cache)
  CHECK(cache.stats().hits == 1);     // the other replayed it
  CHECK(cache.stats().bytes >= 176u * 144u * 3u / 2u * 10u);
  CHECK(psnr_average(ra) == psnr_average(alone));
  CHECK(psnr_average(rb) == psnr_average(alone));
}

TEST_CASE("a reader that outlives an abandoned entry continues with its own decode") {
  // Budget for about 4 of the 10 frames: the replaying job has to switch mid-stream.
  ReferenceCache cache(176 * 144 * 3 / 2 * 4 + 4096);
  SourceSpec s;
  s.uri = "lavfi:testsrc2=size=176x144:rate=25:duration=0.4";
  auto filler = cache.open(s);
  auto reader = cache.open(s);
  int filled = 0;
  while (filler->next()) ++filled;
  int replayed = 0;
  while (reader->next()) ++replayed;
  CHECK(filled == 10);
  CHECK(replayed == 10);
  CHECK(cache.stats().abandoned == 1);
  CHECK(cache.stats().hits == 1);
}

TEST_CASE("an input over the cache budget is decoded again by each job") {
  ReferenceCache tiny(1000);
  JobSpec a = small_job("mpeg4");
  a.references = &tiny;
  const JobResult r1 = run_job(a);
  const JobResult r2 = run_job(a);
  // The first job starts filling, outgrows the budget and drops the entry; the second streams.
  CHECK(tiny.stats().decodes == 1);
  CHECK(tiny.stats().abandoned == 1);
  CHECK(tiny.stats().streamed == 1);
  CHECK(tiny.stats().bytes == 0);
  CHECK(r1.frames == 10);
  CHECK(psnr_average(r1) == psnr_average(r2));
}
