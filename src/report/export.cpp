// The exporters: one View, five renderings.
#include "codecbench/export.hpp"

#include <fmt/core.h>

#include <algorithm>
#include <map>

#include "codecbench/run_record.hpp"

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

std::vector<std::size_t> widths(const TextTable& t) {
  std::vector<std::size_t> w(t.header.size(), 0);
  auto grow = [&](const std::vector<std::string>& row) {
    for (std::size_t c = 0; c < row.size() && c < w.size(); ++c) {
      // Display width: UTF-8 continuation bytes take no column.
      const auto n = static_cast<std::size_t>(
          std::count_if(row[c].begin(), row[c].end(), [](char ch) { return (ch & 0xC0) != 0x80; }));
      w[c] = std::max(w[c], n);
    }
  };
  grow(t.header);
  for (const auto& r : t.rows) grow(r);
  return w;
}

std::string pad(const std::string& s, std::size_t width, bool right) {
  const auto n = static_cast<std::size_t>(
      std::count_if(s.begin(), s.end(), [](char ch) { return (ch & 0xC0) != 0x80; }));
  const std::string fill(width > n ? width - n : 0, ' ');
  return right ? fill + s : s + fill;
}

std::string render_text(const View& v, const TextStyle& style) {
  const TextTable& t = v.table;
  std::string out = v.text;
  if (v.text.empty() && !t.header.empty()) {
    const auto w = widths(t);
    auto line = [&](const std::vector<std::string>& row) {
      std::string l;
      for (std::size_t c = 0; c < row.size(); ++c) {
        const bool right = c < t.right.size() && t.right[c];
        // The last column is not padded on the right (no trailing blanks).
        l += c + 1 == row.size() ? (right ? pad(row[c], w[c], true) : row[c])
                                 : pad(row[c], w[c], right) + "  ";
      }
      while (!l.empty() && l.back() == ' ') l.pop_back();
      return l;
    };
    out += style.bold + line(t.header) + style.reset + "\n";
    for (std::size_t r = 0; r < t.rows.size(); ++r) {
      const bool red = r < t.highlight.size() && t.highlight[r];
      out += (red ? style.red : "") + line(t.rows[r]) + (red ? style.reset : "") + "\n";
    }
  }
  for (const auto& n : v.notes) out += n + "\n";
  return out;
}

std::string markdown_cell(const std::string& s) {
  std::string o;
  for (char c : s) {
    if (c == '|')
      o += "\\|";
    else if (c == '\n')
      o += ' ';
    else
      o += c;
  }
  return o;
}

std::string render_markdown(const View& v, const TextStyle& /*style*/) {
  const TextTable& t = v.table;
  std::string out;
  auto row = [&](const std::vector<std::string>& cells) {
    std::string l = "|";
    for (const auto& c : cells) l += " " + markdown_cell(c) + " |";
    return l + "\n";
  };
  out += row(t.header);
  std::string rule = "|";
  for (std::size_t c = 0; c < t.header.size(); ++c)
    rule += c < t.right.size() && t.right[c] ? " ---: |" : " --- |";
  out += rule + "\n";
  for (const auto& r : t.rows) out += row(r);
  if (!v.notes.empty()) {
    out += "\n";
    for (const auto& n : v.notes) out += n + "\n";
  }
  return out;
}

std::string render_json(const View& v, const TextStyle& /*style*/) {
  return dump_json(v.document, 2) + "\n";
}

std::string render_jsonl(const View& v, const TextStyle& /*style*/) {
  std::string out;
  for (const auto& r : v.records) out += dump_json(r) + "\n";
  return out;
}

std::string render_csv(const View& v, const TextStyle& /*style*/) {
  return json_rows_to_csv(v.records, v.columns);
}

}  // namespace

const std::vector<Exporter>& exporters() {
  static const std::vector<Exporter> kExporters = {
      {Format::kTable, "table", "", "the aligned table on stdout (the default)", render_text},
      {Format::kJson, "json", "--json", "Write results as JSON to FILE, or to stdout without FILE",
       render_json},
      {Format::kJsonLines, "jsonl", "--jsonl",
       "Write results as JSON Lines (one object per row) to FILE, or to stdout", render_jsonl},
      {Format::kCsv, "csv", "--csv", "Write results as CSV to FILE, or to stdout without FILE",
       render_csv},
      {Format::kMarkdown, "markdown", "--markdown",
       "Write the table as Markdown to FILE, or to stdout without FILE", render_markdown},
  };
  return kExporters;
}

const Exporter& exporter(Format format) {
  for (const auto& e : exporters()) {
    if (e.format == format) return e;
  }
  return exporters().front();
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
