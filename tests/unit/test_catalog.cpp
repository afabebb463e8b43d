#include <doctest/doctest.h>

#include <algorithm>

#include "codecbench/catalog/catalog.hpp"
#include "codecbench/catalog/catalog_json.hpp"
#include "codecbench/core/error.hpp"

using namespace codecbench;

namespace {

const CodecEntry* find(const std::vector<CodecEntry>& v, const std::string& name) {
  auto it = std::find_if(v.begin(), v.end(), [&](const auto& c) { return c.name == name; });
  return it == v.end() ? nullptr : &*it;
}

bool contains(const std::vector<std::string>& v, const std::string& s) {
  return std::find(v.begin(), v.end(), s) != v.end();
}

}  // namespace

TEST_CASE("list_codecs sorts by media type, then name, and skips deprecated descriptors") {
  const auto codecs = list_codecs();
  REQUIRE(codecs.size() > 400);
  for (std::size_t i = 1; i < codecs.size(); ++i) {
    const auto& a = codecs[i - 1];
    const auto& b = codecs[i];
    if (a.type == b.type) CHECK(a.name < b.name);
    CHECK(b.name.find("_deprecated") == std::string::npos);
  }
  CHECK(codecs.front().type == MediaType::kVideo);
}

TEST_CASE("descriptor properties and implementations match libavcodec's tables") {
  const auto codecs = list_codecs();
  const CodecEntry* h264 = find(codecs, "h264");
  REQUIRE(h264 != nullptr);
  CHECK(h264->type == MediaType::kVideo);
  CHECK(h264->can_decode);
  CHECK(h264->can_encode);
  CHECK(h264->lossy);
  CHECK(h264->lossless);  // H.264 has a lossless mode: ffmpeg prints DEV.LS
  CHECK_FALSE(h264->intra_only);
  CHECK(contains(h264->encoders, "libx264"));
  CHECK(contains(h264->decoders, "h264"));

  const CodecEntry* flac = find(codecs, "flac");
  REQUIRE(flac != nullptr);
  CHECK(flac->type == MediaType::kAudio);
  CHECK(flac->intra_only);
  CHECK(flac->lossless);
  CHECK_FALSE(flac->lossy);
}

TEST_CASE("format_codecs reproduces ffmpeg's line layout") {
  const auto codecs = list_codecs();
  const CodecEntry* mp3 = find(codecs, "mp3");
  REQUIRE(mp3 != nullptr);
  // The line ffmpeg 5.1 prints for mp3 (decoders and encoders listed since names differ).
  const std::string line = format_codecs({*mp3}, false);
  CHECK(line.rfind(
            " DEAIL. mp3                  MP3 (MPEG audio layer 3) (decoders: mp3float mp3 )", 0) ==
        0);
  CHECK(line.find("(encoders: libmp3lame") != std::string::npos);
  const CodecEntry* ffv1 = find(codecs, "ffv1");
  REQUIRE(ffv1 != nullptr);
  // Single implementation with the descriptor's name: no suffix at all.
  CHECK(format_codecs({*ffv1}, false) == " DEV..S ffv1                 FFmpeg video codec #1\n");
}

TEST_CASE("implementation flags as ffmpeg -encoders shows them") {
  const auto encoders = list_implementations(true);
  auto it = std::find_if(encoders.begin(), encoders.end(),
                         [](const auto& i) { return i.name == "ffv1"; });
  REQUIRE(it != encoders.end());
  CHECK(it->slice_threads);
  CHECK_FALSE(it->frame_threads);
  CHECK(format_implementations({*it}, true, false) ==
        " V.S... ffv1                 FFmpeg video codec #1\n");
  auto x264 = std::find_if(encoders.begin(), encoders.end(),
                           [](const auto& i) { return i.name == "libx264"; });
  REQUIRE(x264 != encoders.end());
  CHECK(x264->other_threads);
  CHECK(x264->wrapper == "libx264");  // AVCodec.wrapper_name
  CHECK(format_implementations({*x264}, true, false).find("(codec h264)") != std::string::npos);
  auto nvenc = std::find_if(encoders.begin(), encoders.end(),
                            [](const auto& i) { return i.name == "h264_nvenc"; });
  REQUIRE(nvenc != encoders.end());
  CHECK(nvenc->hardware);
}

TEST_CASE("filters: type, properties and grep") {
  CodecFilter f;
  f.type = MediaType::kAudio;
  f.lossless = true;
  for (const auto& c : list_codecs()) {
    if (f.matches(c)) {
      CHECK(c.type == MediaType::kAudio);
      CHECK(c.lossless);
    }
  }
  CodecFilter g;
  g.grep = "^libx26[45]$";
  std::vector<std::string> names;
  for (const auto& i : list_implementations(true)) {
    if (g.matches(i)) names.push_back(i.name);
  }
  CHECK(names == std::vector<std::string>{"libx264", "libx265"});
  CodecFilter bad;
  bad.grep = "([";
  CHECK_THROWS_AS(bad.validate(), UsageError);
}

TEST_CASE("describe_codec lists formats, threading and private options of libx264") {
  const CodecDescription d = describe_codec("libx264");
  CHECK_FALSE(d.codec.has_value());
  REQUIRE(d.encoders.size() == 1);
  CHECK(d.decoders.empty());
  const auto& e = d.encoders[0];
  CHECK(e.threading == std::vector<std::string>{"other"});
  CHECK(contains(e.pix_fmts, "yuv420p"));
  CHECK(contains(e.pix_fmts, "yuv420p10le"));
  CHECK(contains(e.capabilities, "delay"));
  auto opt = [&](const std::string& n) {
    auto it = std::find_if(e.options.begin(), e.options.end(),
                           [&](const auto& o) { return o.name == n; });
    REQUIRE(it != e.options.end());
    return *it;
  };
  const OptionInfo crf = opt("crf");
  CHECK(crf.type == "float");
  CHECK(crf.default_value == "-1");
  REQUIRE(crf.min.has_value());
  CHECK(*crf.min == doctest::Approx(-1.0));
  const OptionInfo preset = opt("preset");
  CHECK(preset.type == "string");
  CHECK(preset.default_value == "medium");
  const OptionInfo aq = opt("aq-mode");
  CHECK(aq.constants.size() >= 3);  // none, variance, autovariance, ...
  CHECK(aq.constants[0].name == "none");

  nlohmann::json j = d;
  CHECK(j["encoders"][0]["name"] == "libx264");
  CHECK(j["encoders"][0]["options"].size() == e.options.size());
}

TEST_CASE("describe_codec by codec name gives the descriptor and all implementations") {
  const CodecDescription d = describe_codec("opus");
  REQUIRE(d.codec.has_value());
  CHECK(d.codec->type == MediaType::kAudio);
  CHECK(d.encoders.size() == 2);  // opus, libopus
  CHECK(d.decoders.size() == 2);
  const auto& libopus = *std::find_if(d.encoders.begin(), d.encoders.end(),
                                      [](const auto& x) { return x.impl.name == "libopus"; });
  CHECK((contains(libopus.channel_layouts, "stereo") || libopus.channel_layouts.empty()));
  CHECK(std::find(libopus.sample_rates.begin(), libopus.sample_rates.end(), 48000) !=
        libopus.sample_rates.end());
}

TEST_CASE("unknown names suggest the closest known names") {
  const auto s = suggest_codec_names("libx246");
  REQUIRE_FALSE(s.empty());
  CHECK(s[0] == "libx264");
  const auto t = suggest_codec_names("x265");
  CHECK(contains(t, "libx265"));
  try {
    describe_codec("libx246");
    FAIL("expected a UsageError");
  } catch (const UsageError& e) {
    CHECK(std::string(e.what()).find("did you mean: libx264") != std::string::npos);
    CHECK(e.code() == ExitCode::kUsage);
  }
}
