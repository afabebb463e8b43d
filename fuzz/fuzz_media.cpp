// Fuzz target: the media front end. Arbitrary bytes are written to a file, which is opened,
// probed and decoded for its first frames, as `transcode FILE` does before encoding.
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <string>

#include "codecbench/core/error.hpp"
#include "codecbench/media/source.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const std::string path = "/tmp/codecbench-fuzz-media-" + std::to_string(::getpid());
  if (std::FILE* f = std::fopen(path.c_str(), "wb")) {
    std::fwrite(data, 1, size, f);
    std::fclose(f);
  }
  for (const auto type : {codecbench::MediaType::kVideo, codecbench::MediaType::kAudio}) {
    try {
      codecbench::SourceSpec spec;
      spec.uri = path;
      spec.type = type;
      spec.max_frames = 3;
      spec.allow_damaged = true;
      auto source = codecbench::open_source(spec);
      while (source->next()) {
      }
    } catch (const codecbench::Error&) {
    }
  }
  return 0;
}
