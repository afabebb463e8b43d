// Codec listing in the order and format of ffmpeg's -codecs/-encoders/-decoders.
// Behaviour studied from FFmpeg 5.1 fftools/opt_common.c (show_codecs, print_codecs):
// descriptors sorted by (media type, name), "_deprecated" descriptors skipped in -codecs,
// implementation names listed only when one differs from the descriptor name.
#include "codecbench/catalog/catalog.hpp"

#include <fmt/core.h>
#include <regex.h>

#include <algorithm>
#include <cstring>
#include <memory>

#include "catalog_detail.hpp"
#include "codecbench/core/av.hpp"
#include "codecbench/core/error.hpp"
#include "codecbench/core/limits.hpp"

namespace codecbench {
namespace {

// ffmpeg's get_media_type_char().
char type_char(MediaType t) {
  switch (t) {
    case MediaType::kVideo:
      return 'V';
    case MediaType::kAudio:
      return 'A';
    case MediaType::kData:
      return 'D';
    case MediaType::kSubtitle:
      return 'S';
    case MediaType::kAttachment:
      return 'T';
    default:
      return '?';
  }
}

std::vector<const AVCodecDescriptor*> sorted_descriptors() {
  std::vector<const AVCodecDescriptor*> out;
  for (const AVCodecDescriptor* d = nullptr; (d = avcodec_descriptor_next(d)) != nullptr;) {
    out.push_back(d);
  }
  std::sort(out.begin(), out.end(), [](const AVCodecDescriptor* a, const AVCodecDescriptor* b) {
    if (a->type != b->type) return a->type < b->type;
    return std::strcmp(a->name, b->name) < 0;
  });
  return out;
}

std::vector<const AVCodec*> implementations_for(AVCodecID id, bool encoders) {
  std::vector<const AVCodec*> out;
  void* it = nullptr;
  while (const AVCodec* c = av_codec_iterate(&it)) {
    if (c->id != id) continue;
    if (encoders ? av_codec_is_encoder(c) : av_codec_is_decoder(c)) out.push_back(c);
  }
  return out;
}

bool hardware_only(const AVCodec* c) {
  if (c->pix_fmts == nullptr) return false;
  bool any = false;
  for (const AVPixelFormat* p = c->pix_fmts; *p != AV_PIX_FMT_NONE; ++p) {
    const AVPixFmtDescriptor* d = av_pix_fmt_desc_get(*p);
    if (d == nullptr || (d->flags & AV_PIX_FMT_FLAG_HWACCEL) == 0) return false;
    any = true;
  }
  return any;
}

}  // namespace

namespace detail {

Implementation make_implementation(const AVCodec* c) {
  Implementation impl;
  impl.name = c->name;
  impl.long_name = c->long_name != nullptr ? c->long_name : "";
  const AVCodecDescriptor* desc = avcodec_descriptor_get(c->id);
  impl.codec = desc != nullptr ? desc->name : "";
  impl.type = media_type_from_av(c->type);
  impl.encoder = av_codec_is_encoder(c) != 0;
  const int caps = c->capabilities;
  impl.frame_threads = (caps & AV_CODEC_CAP_FRAME_THREADS) != 0;
  impl.slice_threads = (caps & AV_CODEC_CAP_SLICE_THREADS) != 0;
  impl.other_threads = (caps & AV_CODEC_CAP_OTHER_THREADS) != 0;
  impl.experimental = (caps & AV_CODEC_CAP_EXPERIMENTAL) != 0;
  impl.draw_horiz_band = (caps & AV_CODEC_CAP_DRAW_HORIZ_BAND) != 0;
  impl.direct_rendering = (caps & AV_CODEC_CAP_DR1) != 0;
  impl.hardware = (caps & AV_CODEC_CAP_HARDWARE) != 0 || hardware_only(c);
  impl.wrapper = c->wrapper_name != nullptr ? c->wrapper_name : "";
  if (desc != nullptr) {
    impl.intra_only = (desc->props & AV_CODEC_PROP_INTRA_ONLY) != 0;
    impl.lossy = (desc->props & AV_CODEC_PROP_LOSSY) != 0;
    impl.lossless = (desc->props & AV_CODEC_PROP_LOSSLESS) != 0;
  }
  return impl;
}

CodecEntry make_codec_entry(const AVCodecDescriptor* d) {
  CodecEntry e;
  e.id = d->id;
  e.name = d->name;
  e.long_name = d->long_name != nullptr ? d->long_name : "";
  e.type = media_type_from_av(d->type);
  e.can_decode = avcodec_find_decoder(d->id) != nullptr;
  e.can_encode = avcodec_find_encoder(d->id) != nullptr;
  e.intra_only = (d->props & AV_CODEC_PROP_INTRA_ONLY) != 0;
  e.lossy = (d->props & AV_CODEC_PROP_LOSSY) != 0;
  e.lossless = (d->props & AV_CODEC_PROP_LOSSLESS) != 0;
  for (const AVCodec* c : implementations_for(d->id, false)) e.decoders.emplace_back(c->name);
  for (const AVCodec* c : implementations_for(d->id, true)) e.encoders.emplace_back(c->name);
  return e;
}

}  // namespace detail

MediaType media_type_from_av(int t) noexcept {
  switch (t) {
    case AVMEDIA_TYPE_VIDEO:
      return MediaType::kVideo;
    case AVMEDIA_TYPE_AUDIO:
      return MediaType::kAudio;
    case AVMEDIA_TYPE_DATA:
      return MediaType::kData;
    case AVMEDIA_TYPE_SUBTITLE:
      return MediaType::kSubtitle;
    case AVMEDIA_TYPE_ATTACHMENT:
      return MediaType::kAttachment;
    default:
      return MediaType::kUnknown;
  }
}

const char* media_type_name(MediaType type) noexcept {
  switch (type) {
    case MediaType::kVideo:
      return "video";
    case MediaType::kAudio:
      return "audio";
    case MediaType::kData:
      return "data";
    case MediaType::kSubtitle:
      return "subtitle";
    case MediaType::kAttachment:
      return "attachment";
    default:
      return "unknown";
  }
}

std::optional<MediaType> parse_media_type(const std::string& name) noexcept {
  for (MediaType t : {MediaType::kVideo, MediaType::kAudio, MediaType::kData, MediaType::kSubtitle,
                      MediaType::kAttachment}) {
    if (name == media_type_name(t)) return t;
  }
  return std::nullopt;
}

std::vector<CodecEntry> list_codecs() {
  std::vector<CodecEntry> out;
  for (const AVCodecDescriptor* d : sorted_descriptors()) {
    if (std::strstr(d->name, "_deprecated") != nullptr) continue;
    out.push_back(detail::make_codec_entry(d));
  }
  return out;
}

std::vector<Implementation> list_implementations(bool encoders) {
  std::vector<Implementation> out;
  for (const AVCodecDescriptor* d : sorted_descriptors()) {
    for (const AVCodec* c : implementations_for(d->id, encoders)) {
      out.push_back(detail::make_implementation(c));
    }
  }
  return out;
}

namespace {

// A --grep pattern compiled as a POSIX extended regular expression (glibc's matcher simulates
// the automaton instead of backtracking, so no pattern takes exponential time, as ECMAScript's
// std::regex did on `(.*.*)*zzz`). Back-references are the one ERE feature that needs
// backtracking, so they are refused.
class Pattern {
 public:
  explicit Pattern(const std::string& text) : text_(text) {
    if (text.size() > limits::kPatternChars) {
      throw UsageError(fmt::format("--grep: a pattern longer than {} characters (the limit)",
                                   limits::kPatternChars));
    }
    for (std::size_t i = 0; i + 1 < text.size(); ++i) {
      if (text[i] == '\\') {
        if (text[i + 1] >= '1' && text[i + 1] <= '9') {
          throw UsageError(fmt::format("--grep '{}': back-references are not supported", text));
        }
        ++i;
      }
    }
    const int rc = regcomp(&re_, text.c_str(), REG_EXTENDED | REG_ICASE | REG_NOSUB);
    if (rc != 0) {
      char buf[256];
      regerror(rc, &re_, buf, sizeof buf);
      throw UsageError(fmt::format("--grep '{}': not a valid regular expression ({})", text, buf));
    }
  }
  ~Pattern() { regfree(&re_); }
  Pattern(const Pattern&) = delete;
  Pattern& operator=(const Pattern&) = delete;

  [[nodiscard]] const std::string& text() const { return text_; }
  [[nodiscard]] bool search(const std::string& s) const {
    return regexec(&re_, s.c_str(), 0, nullptr, 0) == 0;
  }

 private:
  std::string text_;
  regex_t re_{};
};

// The compiled pattern of the last --grep seen on this thread (a listing filters hundreds of
// names with one pattern).
const Pattern& compiled(const std::string& text) {
  thread_local std::unique_ptr<Pattern> last;
  if (!last || last->text() != text) {
    last.reset();
    last = std::make_unique<Pattern>(text);
  }
  return *last;
}

}  // namespace

void CodecFilter::validate() const {
  if (grep) (void)compiled(*grep);
}

namespace {

bool props_match(const CodecFilter& f, MediaType type, bool lossless, bool lossy, bool intra) {
  if (f.type && *f.type != type) return false;
  if (f.lossless && !lossless) return false;
  if (f.lossy && !lossy) return false;
  if (f.intra && !intra) return false;
  return true;
}

bool grep_match(const CodecFilter& f, std::initializer_list<const std::string*> fields,
                const std::vector<std::string>* more = nullptr) {
  if (!f.grep) return true;
  const Pattern& re = compiled(*f.grep);
  for (const std::string* s : fields) {
    if (re.search(*s)) return true;
  }
  if (more != nullptr) {
    for (const auto& s : *more) {
      if (re.search(s)) return true;
    }
  }
  return false;
}

}  // namespace

bool CodecFilter::matches(const CodecEntry& c) const {
  if (!props_match(*this, c.type, c.lossless, c.lossy, c.intra_only)) return false;
  std::vector<std::string> names = c.decoders;
  names.insert(names.end(), c.encoders.begin(), c.encoders.end());
  return grep_match(*this, {&c.name, &c.long_name}, &names);
}

bool CodecFilter::matches(const Implementation& i) const {
  if (!props_match(*this, i.type, i.lossless, i.lossy, i.intra_only)) return false;
  return grep_match(*this, {&i.name, &i.long_name});
}

std::string format_codecs(const std::vector<CodecEntry>& codecs, bool legend) {
  std::string out;
  if (legend) {
    out +=
        "Codecs:\n"
        " D..... = Decoding supported\n"
        " .E.... = Encoding supported\n"
        " ..V... = Video codec\n"
        " ..A... = Audio codec\n"
        " ..S... = Subtitle codec\n"
        " ..D... = Data codec\n"
        " ..T... = Attachment codec\n"
        " ...I.. = Intra frame-only codec\n"
        " ....L. = Lossy compression\n"
        " .....S = Lossless compression\n"
        " -------\n";
  }
  for (const CodecEntry& c : codecs) {
    out += fmt::format(" {}{}{}{}{}{} {:<20} {}", c.can_decode ? 'D' : '.',
                       c.can_encode ? 'E' : '.', type_char(c.type), c.intra_only ? 'I' : '.',
                       c.lossy ? 'L' : '.', c.lossless ? 'S' : '.', c.name, c.long_name);
    // ffmpeg lists the implementations only when one of them is named differently.
    auto list = [&](const std::vector<std::string>& names, const char* label) {
      if (std::any_of(names.begin(), names.end(), [&](const auto& n) { return n != c.name; })) {
        out += fmt::format(" ({}: ", label);
        for (const auto& n : names) out += n + " ";
        out += ")";
      }
    };
    list(c.decoders, "decoders");
    list(c.encoders, "encoders");
    out += "\n";
  }
  return out;
}

std::string format_implementations(const std::vector<Implementation>& impls, bool encoders,
                                   bool legend) {
  std::string out;
  if (legend) {
    out += encoders ? "Encoders:\n" : "Decoders:\n";
    out +=
        " V..... = Video\n"
        " A..... = Audio\n"
        " S..... = Subtitle\n"
        " .F.... = Frame-level multithreading\n"
        " ..S... = Slice-level multithreading\n"
        " ...X.. = Codec is experimental\n"
        " ....B. = Supports draw_horiz_band\n"
        " .....D = Supports direct rendering method 1\n"
        " ------\n";
  }
  for (const Implementation& i : impls) {
    out += fmt::format(" {}{}{}{}{}{} {:<20} {}", type_char(i.type), i.frame_threads ? 'F' : '.',
                       i.slice_threads ? 'S' : '.', i.experimental ? 'X' : '.',
                       i.draw_horiz_band ? 'B' : '.', i.direct_rendering ? 'D' : '.', i.name,
                       i.long_name);
    if (i.name != i.codec) out += fmt::format(" (codec {})", i.codec);
    out += "\n";
  }
  return out;
}

}  // namespace codecbench
