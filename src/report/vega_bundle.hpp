#pragma once
// The Vega, Vega-Lite and vega-embed builds the HTML report inlines, compiled into the library at
// build time (tools/fetch-vega fetches them, tools/embed-vega turns them into a source file).

#include <string_view>

namespace codecbench::vega {

struct Bundle {
  std::string_view vega, vega_lite, vega_embed;
  std::string_view licenses;  ///< their BSD-3-Clause notices, reproduced in every report
  std::string_view versions;  ///< e.g. "vega 6.4.0, vega-lite 6.5.0, vega-embed 7.3.0"
};

/// The bundle, or nullptr when codecbench was built without it (-Dvega=disabled, or the files
/// were not fetched): the report then has static SVG charts only.
const Bundle* bundle();

}  // namespace codecbench::vega
