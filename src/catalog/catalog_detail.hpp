#pragma once
// Internal helpers shared by the catalog sources.
#include "codecbench/catalog/catalog.hpp"
#include "codecbench/core/av.hpp"

namespace codecbench::detail {

/// Builds the public Implementation view of an AVCodec.
Implementation make_implementation(const AVCodec* codec);
/// Builds the public CodecEntry view of a descriptor.
CodecEntry make_codec_entry(const AVCodecDescriptor* desc);

}  // namespace codecbench::detail
