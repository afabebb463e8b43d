#include "codecbench/catalog/catalog_json.hpp"

namespace codecbench {

void to_json(nlohmann::json& j, const CodecEntry& c) {
  j = {{"name", c.name},           {"long_name", c.long_name}, {"type", media_type_name(c.type)},
       {"decoding", c.can_decode}, {"encoding", c.can_encode}, {"intra_only", c.intra_only},
       {"lossy", c.lossy},         {"lossless", c.lossless},   {"decoders", c.decoders},
       {"encoders", c.encoders}};
}

void to_json(nlohmann::json& j, const Implementation& i) {
  j = {{"name", i.name},
       {"long_name", i.long_name},
       {"codec", i.codec},
       {"type", media_type_name(i.type)},
       {"kind", i.encoder ? "encoder" : "decoder"},
       {"frame_threads", i.frame_threads},
       {"slice_threads", i.slice_threads},
       {"other_threads", i.other_threads},
       {"experimental", i.experimental},
       {"draw_horiz_band", i.draw_horiz_band},
       {"direct_rendering", i.direct_rendering},
       {"hardware", i.hardware},
       {"wrapper", i.wrapper}};
}

void to_json(nlohmann::json& j, const OptionInfo& o) {
  j = {{"name", o.name},
       {"type", o.type},
       {"help", o.help},
       {"default", o.default_value},
       {"min", o.min ? nlohmann::json(*o.min) : nlohmann::json(nullptr)},
       {"max", o.max ? nlohmann::json(*o.max) : nlohmann::json(nullptr)},
       {"flags", o.flags}};
  auto constants = nlohmann::json::array();
  for (const auto& c : o.constants) {
    constants.push_back({{"name", c.name}, {"value", c.value}, {"help", c.help}});
  }
  j["constants"] = std::move(constants);
}

void to_json(nlohmann::json& j, const ImplementationDetails& d) {
  j = d.impl;
  j["capabilities"] = d.capabilities;
  j["threading"] = d.threading;
  j["pix_fmts"] = d.pix_fmts;
  j["sample_fmts"] = d.sample_fmts;
  j["sample_rates"] = d.sample_rates;
  j["channel_layouts"] = d.channel_layouts;
  auto profiles = nlohmann::json::array();
  for (const auto& p : d.profiles) profiles.push_back({{"id", p.id}, {"name", p.name}});
  j["profiles"] = std::move(profiles);
  auto hw = nlohmann::json::array();
  for (const auto& h : d.hw_configs) {
    hw.push_back({{"device_type", h.device_type}, {"pix_fmt", h.pix_fmt}, {"methods", h.methods}});
  }
  j["hw_configs"] = std::move(hw);
  j["options"] = d.options;
}

void to_json(nlohmann::json& j, const CodecDescription& d) {
  j = {{"codec", d.codec ? nlohmann::json(*d.codec) : nlohmann::json(nullptr)},
       {"encoders", d.encoders},
       {"decoders", d.decoders}};
}

void to_json(nlohmann::json& j, const ProbeResult& r) {
  j = {{"encoder", r.encoder},
       {"codec", r.codec},
       {"type", media_type_name(r.type)},
       {"status", r.status},
       {"usable", r.usable},
       {"reason", r.reason},
       {"format", r.format},
       {"experimental", r.experimental},
       {"packets", r.packets},
       {"seconds", r.seconds}};
}

}  // namespace codecbench
