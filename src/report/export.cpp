// The exporters' list and what they share: CSV quoting, flattening documents into columns.
#include "codecbench/report/export.hpp"

#include <fmt/core.h>

#include <algorithm>
#include <map>

#include "codecbench/core/error.hpp"
#include "codecbench/store/run_record.hpp"

namespace codecbench {
namespace {

void flatten_into(const nlohmann::json& j, const std::string& prefix,
                  std::vector<std::pair<std::string, std::string>>& out) {
  if (j.is_object()) {
    for (const auto& [k, v] : j.items())
      flatten_into(v, prefix.empty() ? k : prefix + "." + k, out);
    return;
  }
  if (j.is_array()) {
    std::string joined;
    for (const auto& v : j) {
      std::string item;
      if (v.is_array() && v.size() == 2 && v[0].is_string() && v[1].is_string()) {
        item = v[0].get<std::string>() + "=" + v[1].get<std::string>();  // an option pair
      } else if (v.is_structured()) {
        return;
      } else {
        item = v.is_string() ? v.get<std::string>() : dump_json(v);
      }
      joined += (joined.empty() ? "" : " ") + item;
    }
    out.emplace_back(prefix, joined);
    return;
  }
  out.emplace_back(prefix, j.is_string() ? j.get<std::string>() : j.is_null() ? "" : dump_json(j));
}

}  // namespace

// Every exporter, one file each in src/report/exporters/; a new format is a file there, its
// line here and in src/meson.build.
namespace detail {
Exporter table_exporter();
Exporter json_exporter();
Exporter jsonl_exporter();
Exporter csv_exporter();
Exporter markdown_exporter();
}  // namespace detail

const std::vector<Exporter>& exporters() {
  static const std::vector<Exporter> kExporters = {
      detail::table_exporter(), detail::json_exporter(),     detail::jsonl_exporter(),
      detail::csv_exporter(),   detail::markdown_exporter(),
  };
  return kExporters;
}

const Exporter& exporter(std::string_view name) {
  for (const auto& e : exporters()) {
    if (e.name == name) return e;
  }
  throw Error(fmt::format("no exporter named '{}'", name));
}

std::string to_csv(const std::vector<std::string>& header,
                   const std::vector<std::vector<std::string>>& rows) {
  auto field = [](const std::string& s) {
    if (s.find_first_of(",\"\n\r") == std::string::npos) return s;
    std::string q = "\"";
    for (char c : s) {
      if (c == '"') q += '"';
      q += c;
    }
    return q + "\"";
  };
  auto line = [&](const std::vector<std::string>& cells) {
    std::string out;
    for (std::size_t i = 0; i < cells.size(); ++i) {
      if (i > 0) out += ',';
      out += field(cells[i]);
    }
    return out + "\n";
  };
  std::string out = line(header);
  for (const auto& r : rows) out += line(r);
  return out;
}

std::vector<std::pair<std::string, std::string>> flatten_json(const nlohmann::json& j) {
  std::vector<std::pair<std::string, std::string>> out;
  flatten_into(j, "", out);
  return out;
}

void records_from_table(View& v) {
  v.records.clear();
  for (const auto& row : v.table.rows) {
    nlohmann::json r = nlohmann::json::object();
    for (std::size_t c = 0; c < row.size() && c < v.table.header.size(); ++c)
      r[v.table.header[c]] = row[c];
    v.records.push_back(std::move(r));
  }
  v.columns = v.table.header;
}

std::string json_rows_to_csv(const std::vector<nlohmann::json>& items,
                             const std::vector<std::string>& first_columns) {
  std::vector<std::vector<std::pair<std::string, std::string>>> flat;
  std::size_t widest = 0;
  for (const auto& item : items) {
    flat.push_back(flatten_json(item));
    if (flat.back().size() > flat[widest].size()) widest = flat.size() - 1;
  }
  std::vector<std::string> header;
  std::map<std::string, std::size_t> column;
  auto add = [&](const std::string& k) {
    if (column.emplace(k, header.size()).second) header.push_back(k);
  };
  for (const auto& k : first_columns) add(k);
  if (!flat.empty()) {
    for (const auto& kv : flat[widest]) add(kv.first);
  }
  for (const auto& row : flat) {
    for (const auto& kv : row) add(kv.first);
  }
  std::vector<std::vector<std::string>> rows;
  for (const auto& row : flat) {
    std::vector<std::string> cells(header.size());
    for (const auto& [k, v] : row) cells[column.at(k)] = v;
    rows.push_back(std::move(cells));
  }
  return to_csv(header, rows);
}

}  // namespace codecbench
