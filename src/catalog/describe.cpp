// `codecs show NAME`: capabilities, formats, profiles, hardware configs and private options.
#include <fmt/core.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstring>
#include <set>

#include "catalog_detail.hpp"
#include "codecbench/catalog/catalog.hpp"
#include "codecbench/core/av.hpp"
#include "codecbench/core/error.hpp"

namespace codecbench {
namespace {

struct CapName {
  unsigned bit;
  const char* name;
};

constexpr std::array kCapNames = {
    CapName{AV_CODEC_CAP_DRAW_HORIZ_BAND, "draw_horiz_band"},
    CapName{AV_CODEC_CAP_DR1, "dr1"},
    CapName{AV_CODEC_CAP_DELAY, "delay"},
    CapName{AV_CODEC_CAP_SMALL_LAST_FRAME, "small_last_frame"},
    CapName{AV_CODEC_CAP_SUBFRAMES, "subframes"},
    CapName{AV_CODEC_CAP_EXPERIMENTAL, "experimental"},
    CapName{AV_CODEC_CAP_CHANNEL_CONF, "channel_conf"},
    CapName{AV_CODEC_CAP_FRAME_THREADS, "frame_threads"},
    CapName{AV_CODEC_CAP_SLICE_THREADS, "slice_threads"},
    CapName{AV_CODEC_CAP_PARAM_CHANGE, "param_change"},
    CapName{AV_CODEC_CAP_OTHER_THREADS, "other_threads"},
    CapName{AV_CODEC_CAP_VARIABLE_FRAME_SIZE, "variable_frame_size"},
    CapName{AV_CODEC_CAP_AVOID_PROBING, "avoid_probing"},
    CapName{AV_CODEC_CAP_HARDWARE, "hardware"},
    CapName{AV_CODEC_CAP_HYBRID, "hybrid"},
    CapName{AV_CODEC_CAP_ENCODER_REORDERED_OPAQUE, "encoder_reordered_opaque"},
    CapName{AV_CODEC_CAP_ENCODER_FLUSH, "encoder_flush"},
};

const char* option_type_name(AVOptionType t) {
  switch (t) {
    case AV_OPT_TYPE_FLAGS:
      return "flags";
    case AV_OPT_TYPE_INT:
      return "int";
    case AV_OPT_TYPE_INT64:
      return "int64";
    case AV_OPT_TYPE_DOUBLE:
      return "double";
    case AV_OPT_TYPE_FLOAT:
      return "float";
    case AV_OPT_TYPE_STRING:
      return "string";
    case AV_OPT_TYPE_RATIONAL:
      return "rational";
    case AV_OPT_TYPE_BINARY:
      return "binary";
    case AV_OPT_TYPE_DICT:
      return "dict";
    case AV_OPT_TYPE_UINT64:
      return "uint64";
    case AV_OPT_TYPE_CONST:
      return "const";
    case AV_OPT_TYPE_IMAGE_SIZE:
      return "image_size";
    case AV_OPT_TYPE_PIXEL_FMT:
      return "pixel_fmt";
    case AV_OPT_TYPE_SAMPLE_FMT:
      return "sample_fmt";
    case AV_OPT_TYPE_VIDEO_RATE:
      return "video_rate";
    case AV_OPT_TYPE_DURATION:
      return "duration";
    case AV_OPT_TYPE_COLOR:
      return "color";
    case AV_OPT_TYPE_BOOL:
      return "bool";
    case AV_OPT_TYPE_CHLAYOUT:
      return "channel_layout";
    default:
      return "other";
  }
}

std::string format_number(double v) {
  if (v >= static_cast<double>(INT64_MAX)) return "INT64_MAX";
  if (v <= static_cast<double>(INT64_MIN)) return "INT64_MIN";
  if (std::floor(v) == v && std::fabs(v) < 1e15)
    return fmt::format("{}", static_cast<long long>(v));
  return fmt::format("{}", v);
}

std::string default_text(const AVOption& o, const std::vector<OptionConstant>& constants) {
  switch (o.type) {
    case AV_OPT_TYPE_BOOL:
      return o.default_val.i64 < 0 ? "auto" : (o.default_val.i64 != 0 ? "true" : "false");
    case AV_OPT_TYPE_INT:
    case AV_OPT_TYPE_INT64:
    case AV_OPT_TYPE_UINT64:
    case AV_OPT_TYPE_DURATION: {
      for (const auto& c : constants) {
        if (c.value == o.default_val.i64) return fmt::format("{} ({})", o.default_val.i64, c.name);
      }
      return fmt::format("{}", o.default_val.i64);
    }
    case AV_OPT_TYPE_FLAGS: {
      std::string names;
      for (const auto& c : constants) {
        if (c.value != 0 && (o.default_val.i64 & c.value) == c.value) {
          names += names.empty() ? c.name : "+" + c.name;
        }
      }
      return names.empty() ? fmt::format("{:#x}", o.default_val.i64)
                           : fmt::format("{:#x} ({})", o.default_val.i64, names);
    }
    case AV_OPT_TYPE_DOUBLE:
    case AV_OPT_TYPE_FLOAT:
    case AV_OPT_TYPE_RATIONAL:
      return format_number(o.default_val.dbl);
    case AV_OPT_TYPE_PIXEL_FMT: {
      const char* n = av_get_pix_fmt_name(static_cast<AVPixelFormat>(o.default_val.i64));
      return n != nullptr ? n : "none";
    }
    case AV_OPT_TYPE_SAMPLE_FMT: {
      const char* n = av_get_sample_fmt_name(static_cast<AVSampleFormat>(o.default_val.i64));
      return n != nullptr ? n : "none";
    }
    case AV_OPT_TYPE_STRING:
    case AV_OPT_TYPE_IMAGE_SIZE:
    case AV_OPT_TYPE_VIDEO_RATE:
    case AV_OPT_TYPE_COLOR:
    case AV_OPT_TYPE_CHLAYOUT:
      return o.default_val.str != nullptr ? o.default_val.str : "";
    default:
      return "";
  }
}

bool numeric(AVOptionType t) {
  switch (t) {
    case AV_OPT_TYPE_FLAGS:
    case AV_OPT_TYPE_INT:
    case AV_OPT_TYPE_INT64:
    case AV_OPT_TYPE_UINT64:
    case AV_OPT_TYPE_DOUBLE:
    case AV_OPT_TYPE_FLOAT:
    case AV_OPT_TYPE_RATIONAL:
    case AV_OPT_TYPE_BOOL:
    case AV_OPT_TYPE_DURATION:
      return true;
    default:
      return false;
  }
}

std::vector<std::string> option_flags(int flags) {
  std::vector<std::string> out;
  if (flags & AV_OPT_FLAG_ENCODING_PARAM) out.emplace_back("encoding");
  if (flags & AV_OPT_FLAG_DECODING_PARAM) out.emplace_back("decoding");
  if (flags & AV_OPT_FLAG_VIDEO_PARAM) out.emplace_back("video");
  if (flags & AV_OPT_FLAG_AUDIO_PARAM) out.emplace_back("audio");
  if (flags & AV_OPT_FLAG_SUBTITLE_PARAM) out.emplace_back("subtitle");
  if (flags & AV_OPT_FLAG_EXPORT) out.emplace_back("export");
  if (flags & AV_OPT_FLAG_READONLY) out.emplace_back("readonly");
  if (flags & AV_OPT_FLAG_DEPRECATED) out.emplace_back("deprecated");
  return out;
}

std::vector<OptionInfo> private_options(const AVCodec* c) {
  std::vector<OptionInfo> out;
  if (c->priv_class == nullptr) return out;
  // av_opt_next() takes an object whose first member is its AVClass pointer.
  const AVClass* cls = c->priv_class;
  const void* obj = &cls;
  std::vector<const AVOption*> all;
  for (const AVOption* o = nullptr; (o = av_opt_next(obj, o)) != nullptr;) all.push_back(o);
  for (const AVOption* o : all) {
    if (o->type == AV_OPT_TYPE_CONST) continue;
    OptionInfo info;
    info.name = o->name;
    info.help = o->help != nullptr ? o->help : "";
    info.type = option_type_name(o->type);
    if (o->unit != nullptr) {
      for (const AVOption* k : all) {
        if (k->type == AV_OPT_TYPE_CONST && k->unit != nullptr &&
            std::strcmp(k->unit, o->unit) == 0) {
          info.constants.push_back(
              {k->name, k->help != nullptr ? k->help : "", k->default_val.i64});
        }
      }
    }
    info.default_value = default_text(*o, info.constants);
    if (numeric(o->type)) {
      info.min = o->min;
      info.max = o->max;
    }
    info.flags = option_flags(o->flags);
    out.push_back(std::move(info));
  }
  return out;
}

std::vector<std::string> hw_methods(int methods) {
  std::vector<std::string> out;
  if (methods & AV_CODEC_HW_CONFIG_METHOD_HW_DEVICE_CTX) out.emplace_back("hw_device_ctx");
  if (methods & AV_CODEC_HW_CONFIG_METHOD_HW_FRAMES_CTX) out.emplace_back("hw_frames_ctx");
  if (methods & AV_CODEC_HW_CONFIG_METHOD_INTERNAL) out.emplace_back("internal");
  if (methods & AV_CODEC_HW_CONFIG_METHOD_AD_HOC) out.emplace_back("ad_hoc");
  return out;
}

ImplementationDetails details(const AVCodec* c) {
  ImplementationDetails d;
  d.impl = detail::make_implementation(c);
  for (const auto& cap : kCapNames) {
    if (static_cast<unsigned>(c->capabilities) & cap.bit) d.capabilities.emplace_back(cap.name);
  }
  if (d.impl.frame_threads) d.threading.emplace_back("frame");
  if (d.impl.slice_threads) d.threading.emplace_back("slice");
  if (d.impl.other_threads) d.threading.emplace_back("other");
  if (c->pix_fmts != nullptr) {
    for (const AVPixelFormat* p = c->pix_fmts; *p != AV_PIX_FMT_NONE; ++p) {
      const char* n = av_get_pix_fmt_name(*p);
      d.pix_fmts.emplace_back(n != nullptr ? n : "unknown");
    }
  }
  if (c->sample_fmts != nullptr) {
    for (const AVSampleFormat* s = c->sample_fmts; *s != AV_SAMPLE_FMT_NONE; ++s) {
      const char* n = av_get_sample_fmt_name(*s);
      d.sample_fmts.emplace_back(n != nullptr ? n : "unknown");
    }
  }
  if (c->supported_samplerates != nullptr) {
    for (const int* r = c->supported_samplerates; *r != 0; ++r) d.sample_rates.push_back(*r);
  }
  if (c->ch_layouts != nullptr) {
    for (const AVChannelLayout* l = c->ch_layouts; l->nb_channels != 0; ++l) {
      std::array<char, 128> buf{};
      if (av_channel_layout_describe(l, buf.data(), buf.size()) >= 0) {
        d.channel_layouts.emplace_back(buf.data());
      }
    }
  }
  if (c->profiles != nullptr) {
    for (const AVProfile* p = c->profiles; p->profile != FF_PROFILE_UNKNOWN; ++p) {
      d.profiles.push_back({p->profile, p->name != nullptr ? p->name : ""});
    }
  }
  for (int i = 0;; ++i) {
    const AVCodecHWConfig* cfg = avcodec_get_hw_config(c, i);
    if (cfg == nullptr) break;
    HardwareConfig h;
    const char* type = av_hwdevice_get_type_name(cfg->device_type);
    h.device_type = type != nullptr ? type : "none";
    const char* fmt_name = av_get_pix_fmt_name(cfg->pix_fmt);
    h.pix_fmt = fmt_name != nullptr ? fmt_name : "none";
    h.methods = hw_methods(cfg->methods);
    d.hw_configs.push_back(std::move(h));
  }
  d.options = private_options(c);
  return d;
}

std::size_t edit_distance(const std::string& a, const std::string& b) {
  std::vector<std::size_t> prev(b.size() + 1), cur(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) prev[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    cur[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      const std::size_t sub = prev[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1);
      cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, sub});
    }
    std::swap(prev, cur);
  }
  return prev[b.size()];
}

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(),
                 [](unsigned char ch) { return static_cast<char>(std::tolower(ch)); });
  return s;
}

}  // namespace

std::vector<std::string> suggest_codec_names(const std::string& name, std::size_t limit) {
  std::set<std::string> names;
  for (const AVCodecDescriptor* d = nullptr; (d = avcodec_descriptor_next(d)) != nullptr;) {
    names.insert(d->name);
  }
  void* it = nullptr;
  while (const AVCodec* c = av_codec_iterate(&it)) names.insert(c->name);
  const std::string needle = lower(name);
  std::vector<std::pair<std::size_t, std::string>> scored;
  const std::size_t most = std::max<std::size_t>(2, needle.size() / 3);
  for (const auto& n : names) {
    // A name that contains the query (x264 -> libx264) is a strong candidate.
    const bool contains = !needle.empty() && n.find(needle) != std::string::npos;
    // The distance is at least the difference in length: a name too far in length is not
    // compared (a 10 MB name took 80 s against every codec).
    const std::size_t apart =
        needle.size() > n.size() ? needle.size() - n.size() : n.size() - needle.size();
    if (!contains && apart > most) continue;
    std::size_t score = edit_distance(needle, n);
    if (contains) score = std::min<std::size_t>(score, 1);
    if (score <= most) scored.emplace_back(score, n);
  }
  std::sort(scored.begin(), scored.end());
  std::vector<std::string> out;
  for (const auto& [score, n] : scored) {
    if (out.size() == limit) break;
    out.push_back(n);
  }
  return out;
}

CodecDescription describe_codec(const std::string& name) {
  CodecDescription out;
  const AVCodecDescriptor* desc = avcodec_descriptor_get_by_name(name.c_str());
  if (desc != nullptr) out.codec = detail::make_codec_entry(desc);
  void* it = nullptr;
  while (const AVCodec* c = av_codec_iterate(&it)) {
    const bool named = name == c->name;
    const bool of_codec = desc != nullptr && c->id == desc->id;
    if (!named && !of_codec) continue;
    (av_codec_is_encoder(c) ? out.encoders : out.decoders).push_back(details(c));
  }
  if (!out.codec && out.encoders.empty() && out.decoders.empty()) {
    const auto suggestions = suggest_codec_names(name);
    std::string hint;
    for (const auto& s : suggestions) hint += (hint.empty() ? "" : ", ") + s;
    throw UsageError(hint.empty()
                         ? fmt::format("unknown codec, encoder or decoder '{}'", name)
                         : fmt::format("unknown codec, encoder or decoder '{}' (did you mean: {}?)",
                                       name, hint));
  }
  return out;
}

}  // namespace codecbench
