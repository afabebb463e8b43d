// The table exporter: the aligned text table (columns by display width, numbers right-aligned),
// then the notes; what a terminal shows when no other format goes to stdout.
#include <fmt/core.h>

#include <algorithm>

#include "codecbench/report/export.hpp"
#include "codecbench/store/run_record.hpp"

namespace codecbench {
namespace {

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

}  // namespace

namespace detail {
Exporter table_exporter() {
  return {"table", "", "the aligned table on stdout (the default)", render_text};
}
}  // namespace detail

}  // namespace codecbench
