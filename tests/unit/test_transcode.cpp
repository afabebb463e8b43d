#include <doctest/doctest.h>
#include <unistd.h>

#include <cmath>
#include <filesystem>
#include <thread>

#include "codecbench/media/decode.hpp"
#include "codecbench/media/reference_cache.hpp"
#include "codecbench/media/transcode.hpp"
#include "src/media/job_common.hpp"

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

TEST_CASE("audio formats: the encoder's format that keeps the most of the source") {
  using detail::pick_sample_format;
  using detail::sample_format_exact;
  const AVSampleFormat flac[] = {AV_SAMPLE_FMT_S16, AV_SAMPLE_FMT_S32, AV_SAMPLE_FMT_NONE};
  CHECK(pick_sample_format(flac, AV_SAMPLE_FMT_FLT) == AV_SAMPLE_FMT_S32);  // was s16
  CHECK(pick_sample_format(flac, AV_SAMPLE_FMT_DBLP) == AV_SAMPLE_FMT_S32);
  CHECK(pick_sample_format(flac, AV_SAMPLE_FMT_S16) == AV_SAMPLE_FMT_S16);
  CHECK(pick_sample_format(flac, AV_SAMPLE_FMT_U8) == AV_SAMPLE_FMT_S16);  // narrowest exact
  const AVSampleFormat lame[] = {AV_SAMPLE_FMT_S32P, AV_SAMPLE_FMT_FLTP, AV_SAMPLE_FMT_S16P,
                                 AV_SAMPLE_FMT_NONE};
  CHECK(pick_sample_format(lame, AV_SAMPLE_FMT_S16) == AV_SAMPLE_FMT_S16P);
  CHECK(pick_sample_format(lame, AV_SAMPLE_FMT_FLT) == AV_SAMPLE_FMT_FLTP);
  CHECK(pick_sample_format(nullptr, AV_SAMPLE_FMT_S16) == AV_SAMPLE_FMT_S16);
  CHECK(sample_format_exact(AV_SAMPLE_FMT_S16, AV_SAMPLE_FMT_FLTP));
  CHECK(sample_format_exact(AV_SAMPLE_FMT_FLT, AV_SAMPLE_FMT_DBL));
  CHECK_FALSE(sample_format_exact(AV_SAMPLE_FMT_FLT, AV_SAMPLE_FMT_S32));
  CHECK_FALSE(sample_format_exact(AV_SAMPLE_FMT_S32, AV_SAMPLE_FMT_FLT));  // 32 bits > 24
  CHECK_FALSE(sample_format_exact(AV_SAMPLE_FMT_DBL, AV_SAMPLE_FMT_FLT));
}

TEST_CASE("audio layouts: the same, as many channels, else the widest below (5.1 -> stereo)") {
  AVChannelLayout mono_stereo[3] = {};
  av_channel_layout_default(&mono_stereo[0], 1);
  av_channel_layout_default(&mono_stereo[1], 2);
  AVChannelLayout five1{};
  av_channel_layout_from_string(&five1, "5.1");
  const AVChannelLayout* got = detail::pick_channel_layout(mono_stereo, five1);
  REQUIRE(got != nullptr);
  CHECK(got->nb_channels == 2);  // was mono, the first the encoder lists
  AVChannelLayout mono{};
  av_channel_layout_default(&mono, 1);
  CHECK(detail::pick_channel_layout(mono_stereo, mono)->nb_channels == 1);
  AVChannelLayout only_51[2] = {};
  av_channel_layout_from_string(&only_51[0], "5.1");
  CHECK(detail::pick_channel_layout(only_51, mono)->nb_channels == 6);  // the narrowest wider
  CHECK(detail::pick_channel_layout(nullptr, mono) == nullptr);
  av_channel_layout_uninit(&five1);
  av_channel_layout_uninit(&only_51[0]);
}

TEST_CASE("decode: frame hashes, a frame limit, and where two outputs differ") {
  const std::string kept = (std::filesystem::temp_directory_path() /
                            ("cb-decode-" + std::to_string(::getpid()) + ".mkv"))
                               .string();
  JobSpec job = small_job("mpeg4");
  job.metrics = {"none"};
  job.keep_path = kept;
  run_job(job);

  DecodeSpec spec;
  spec.input = kept;
  const DecodeResult all = run_decode(spec);
  CHECK(all.decoder == "mpeg4");
  CHECK(all.frames == 10);
  CHECK(all.width == 176);
  CHECK(all.pix_fmt == "yuv420p");
  REQUIRE(all.frame_md5.size() == 10);
  CHECK(all.frame_md5[0].size == 176 * 144 * 3 / 2);
  CHECK(all.decoded_bytes == 10ULL * 176 * 144 * 3 / 2);
  CHECK(all.output_md5.size() == 32);
  CHECK(std::abs(all.fps - 10 / all.decode_s) < 1e-6);

  spec.max_frames = 3;
  const DecodeResult three = run_decode(spec);
  REQUIRE(three.frames == 3);
  for (int i = 0; i < 3; ++i) CHECK(three.frame_md5[i].md5 == all.frame_md5[i].md5);
  // A prefix is reported as a count difference at the first missing frame.
  const auto diff = compare_decodes(all, three);
  CHECK_FALSE(diff.identical);
  CHECK(diff.frame == 3);
  CHECK(diff.expected_md5 == all.frame_md5[3].md5);
  CHECK(diff.actual_md5.empty());
  DecodeSpec again;
  again.input = kept;
  CHECK(compare_decodes(all, run_decode(again)).identical);

  DecodeResult changed = all;
  changed.frame_md5[5].md5 = std::string(32, '0');
  const auto d5 = compare_decodes(all, changed);
  CHECK(d5.frame == 5);
  CHECK(d5.reason.find("frame 5") != std::string::npos);
  std::filesystem::remove(kept);
}

TEST_CASE("decode: the decoders of a codec, FFmpeg's default first") {
  const auto h264 = decoders_for_codec("h264");
  REQUIRE_FALSE(h264.empty());
  CHECK(h264.front() == "h264");
  CHECK(decoders_for_codec("no-such-codec").empty());
}

TEST_CASE("scale: parsing the asked size") {
  auto s = parse_scale("1280x720");
  CHECK(s.width == 1280);
  CHECK(s.height == 720);
  CHECK(s.scaler == "bicubic");
  s = parse_scale("720p");
  CHECK(s.width == 0);
  CHECK(s.height == 720);
  s = parse_scale("x480");
  CHECK((s.width == 0 && s.height == 480));
  s = parse_scale("640x");
  CHECK((s.width == 640 && s.height == 0));
  for (const char* bad :
       {"", "x", "0x10", "1x10", "12", "axb", "10x20x30", "20000x100", "-2x100"}) {
    CAPTURE(bad);
    CHECK_THROWS_AS(parse_scale(bad), UsageError);
  }
  CHECK(scaler_flags("lanczos") == SWS_LANCZOS);
  CHECK(scaler_flags("neighbor") == SWS_POINT);
  CHECK_THROWS_WITH_AS(scaler_flags("cubic"), doctest::Contains("bicubic, bilinear"), UsageError);
}

TEST_CASE("scale: the missing side keeps the display aspect ratio, rounded to even") {
  ScaleSpec s;
  s.height = 360;
  // 720x405 (16:9) to 360 lines: 640 wide; 1920x1080 to 480: 853.3 -> 854 as scale=-2:480.
  CHECK(scaled_size(s, 720, 405, {0, 1}) == std::make_pair(640, 360));
  s.height = 480;
  CHECK(scaled_size(s, 1920, 1080, {1, 1}) == std::make_pair(854, 480));
  // Anamorphic 720x576 with SAR 16:15 (4:3 display): the storage aspect ratio is kept, the
  // encoder's SAR keeps the display's.
  s.height = 288;
  CHECK(scaled_size(s, 720, 576, {16, 15}) == std::make_pair(360, 288));
  s = ScaleSpec{};
  s.width = 320;
  CHECK(scaled_size(s, 1280, 720, {0, 1}) == std::make_pair(320, 180));
  // Larger than the source: only when asked.
  s = parse_scale("1920x1080");
  CHECK_THROWS_WITH_AS(scaled_size(s, 1280, 720, {0, 1}), doctest::Contains("--allow-upscale"),
                       UsageError);
  s.allow_upscale = true;
  CHECK(scaled_size(s, 1280, 720, {0, 1}) == std::make_pair(1920, 1080));
}

TEST_CASE("scale: a scaled job measures at the source's size and loses more than a full one") {
  JobSpec full = small_job("libx264");
  full.options = {{"crf", "18"}};
  full.metrics = {"psnr"};
  JobSpec half = full;
  half.scale = parse_scale("88x72");
  const JobResult a = run_job(full);
  const JobResult b = run_job(half);
  CHECK(b.width == 88);
  CHECK(b.height == 72);
  CHECK(b.metric_width == 176);
  CHECK(b.metric_height == 144);
  CHECK(b.scaler == "bicubic");
  CHECK(a.scaler.empty());
  CHECK(a.metric_width == 176);
  CHECK(b.frames == a.frames);
  CHECK(b.bitstream_bytes < a.bitstream_bytes);
  // Half the resolution of a sharp test pattern costs several dB at the same CRF.
  CHECK(psnr_average(b) < psnr_average(a) - 3.0);
  CHECK(b.bits_per_pixel > 0);
}
