#pragma once
// Internal helpers shared by the catalog sources.
#include "codecbench/av.hpp"
#include "codecbench/catalog.hpp"

namespace codecbench::detail {

/// Builds the public Implementation view of an AVCodec.
Implementation make_implementation(const AVCodec* codec);
/// Builds the public CodecEntry view of a descriptor.
CodecEntry make_codec_entry(const AVCodecDescriptor* desc);

}  // namespace codecbench::detail
