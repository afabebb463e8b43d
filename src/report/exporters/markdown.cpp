// The Markdown exporter: the table as a GitHub-flavoured pipe table, then the notes.
#include <fmt/core.h>

#include "codecbench/report/export.hpp"
#include "codecbench/store/run_record.hpp"

namespace codecbench {
namespace {

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

}  // namespace

namespace detail {
Exporter markdown_exporter() {
  return {"markdown", "--markdown",
          "Write the table as Markdown to FILE, or to stdout without FILE", render_markdown};
}
}  // namespace detail

}  // namespace codecbench
