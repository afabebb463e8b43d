#pragma once
/// @file catalog_json.hpp
/// JSON forms of the catalog and probe types (nlohmann::json ADL serializers). Field names are
/// a contract documented in docs/json.md; kCatalogSchemaVersion changes when they change.

#include <nlohmann/json.hpp>

#include "codecbench/catalog/catalog.hpp"
#include "codecbench/catalog/probe.hpp"

namespace codecbench {

/// Version of the JSON documents written by `codecbench codecs` (docs/json.md).
inline constexpr int kCatalogSchemaVersion = 1;

void to_json(nlohmann::json& j, const CodecEntry& c);
void to_json(nlohmann::json& j, const Implementation& i);
void to_json(nlohmann::json& j, const OptionInfo& o);
void to_json(nlohmann::json& j, const ImplementationDetails& d);
void to_json(nlohmann::json& j, const CodecDescription& d);
void to_json(nlohmann::json& j, const ProbeResult& r);

}  // namespace codecbench
