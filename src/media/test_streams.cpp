// Cached test streams for decode benchmarks (test_streams.hpp).
#include "codecbench/media/test_streams.hpp"

#include <fmt/core.h>

#include <filesystem>
#include <system_error>

#include "codecbench/core/av.hpp"
#include "codecbench/core/error.hpp"
#include "codecbench/core/fingerprint.hpp"
#include "codecbench/core/install.hpp"
#include "codecbench/media/transcode.hpp"

namespace codecbench {
namespace {

constexpr const char* kSample = "samples/cityCC0.mpg";
constexpr const char* kPrefix = "stream:";

std::string known_names() {
  std::string s;
  for (const auto& r : test_stream_recipes()) s += (s.empty() ? "" : ", ") + r.name;
  return s;
}

}  // namespace

const std::vector<TestStreamRecipe>& test_stream_recipes() {
  static const std::vector<TestStreamRecipe> recipes{
      {"libx264",
       "libx264",
       {{"preset", "fast"}, {"crf", "23"}, {"slices", "4"}},
       "H.264 with B-frames and 4 slices per frame: frame and slice threads both have work"},
      {"libx265",
       "libx265",
       {{"preset", "fast"}, {"crf", "28"}},
       "HEVC (FFmpeg's hevc decoder: frame threads; slice threads use wavefront rows)"},
      {"libvpx-vp9",
       "libvpx-vp9",
       {{"deadline", "realtime"},
        {"cpu-used", "8"},
        {"crf", "32"},
        {"b", "0"},
        {"tile-columns", "2"}},
       "VP9 with 4 tile columns: vp9 slice threads and libvpx-vp9 tile threads have work"},
      {"libaom-av1",
       "libaom-av1",
       {{"usage", "realtime"}, {"cpu-used", "8"}, {"crf", "35"}, {"tile-columns", "1"}},
       "AV1 (libaom, 2 tile columns): libdav1d against libaom-av1's decoder"},
      {"libsvtav1",
       "libsvtav1",
       {{"preset", "10"}, {"crf", "35"}},
       "AV1 from SVT-AV1, a second AV1 encoder's bitstream for the AV1 decoders"},
  };
  return recipes;
}

std::string test_stream_path(const std::string& name,
                             const std::function<void(const std::string&)>& notify) {
  const TestStreamRecipe* recipe = nullptr;
  for (const auto& r : test_stream_recipes()) {
    if (r.name == name) recipe = &r;
  }
  if (recipe == nullptr) {
    throw UsageError(
        fmt::format("unknown test stream 'stream:{}' (known: {})", name, known_names()));
  }
  const DataDir data = data_dir();
  if (data.path.empty()) {
    throw InputError(
        fmt::format("stream:{}: no data folder with {} to encode it from "
                    "(set CODECBENCH_DATA_DIR)",
                    name, kSample));
  }
  const std::string sample = (data.path / kSample).string();
  const std::string cache = cache_dir();
  if (cache.empty()) {
    throw InputError(fmt::format(
        "stream:{}: no cache folder to keep it in (set CODECBENCH_CACHE_DIR or HOME)", name));
  }
  std::string identity = fmt::format("test-stream v2\n{}\n{}\n{}\n", recipe->encoder,
                                     file_fingerprint(sample), LIBAVCODEC_IDENT);
  for (const auto& [k, v] : recipe->options) identity += k + "=" + v + "\n";
  const std::filesystem::path dir = std::filesystem::path(cache) / "streams";
  const std::filesystem::path file =
      dir / fmt::format("{}-{}.mkv", name, stable_hash(identity).substr(0, 12));
  std::error_code ec;
  if (std::filesystem::is_regular_file(file, ec)) return file.string();
  std::filesystem::create_directories(dir, ec);
  if (ec) {
    throw InputError(fmt::format("{}: cannot make the folder ({})", dir.string(), ec.message()));
  }
  if (notify)
    notify(fmt::format("making test stream {} with {} (once; cached in {})", name, recipe->encoder,
                       dir.string()));
  JobSpec job;
  job.input.uri = sample;
  job.encoder = recipe->encoder;
  job.options = recipe->options;
  job.threads = 1;  // one thread: the same bytes on every run (frame threads may differ)
  job.metrics = {"none"};
  job.keep_path = file.string();  // written beside it and renamed when complete
  run_job(job);
  return file.string();
}

std::string resolve_stream_input(const std::string& input,
                                 const std::function<void(const std::string&)>& notify) {
  if (input.rfind(kPrefix, 0) != 0) return input;
  return test_stream_path(input.substr(std::char_traits<char>::length(kPrefix)), notify);
}

}  // namespace codecbench
