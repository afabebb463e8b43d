// The decode benchmark's view (views.hpp): a row per decoder configuration, every repeat and
// the scaling fits in the document.
#include <fmt/core.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <tuple>

#include "codecbench/core/error.hpp"
#include "codecbench/report/views.hpp"
#include "codecbench/store/run_record.hpp"

namespace codecbench {
namespace {

// One configuration in the document: its figures, every repeat and the hashed decode.
nlohmann::json configuration_json(const DecodeBenchmark& b, const DecodeSeries& s, bool per_frame) {
  const DecodeResult& r = s.repeats.front();
  nlohmann::json c{
      {"decoder", s.config.decoder},
      {"threads_requested", s.config.threads},
      {"thread_type_requested", s.config.thread_type},
      {"decoder_threads", r.decoder_threads},
      {"decoder_thread_type", r.decoder_thread_type},
      {"frames", r.frames},
      {"median_s", s.median_s},
      {"cv", s.cv},
      {"median_fps", s.median_fps},
      {"speedup", s.speedup > 0 ? nlohmann::json(s.speedup) : nlohmann::json()},
      {"efficiency", s.efficiency > 0 ? nlohmann::json(s.efficiency) : nlohmann::json()},
      {"md5", b.spec.md5 ? nlohmann::json(s.hashed.output_md5) : nlohmann::json()},
      {"identical", b.spec.md5 ? nlohmann::json(s.exactness.identical) : nlohmann::json()}};
  if (!s.exactness.identical) {
    c["first_difference"] = {{"frame", s.exactness.frame},
                             {"expected_md5", s.exactness.expected_md5},
                             {"actual_md5", s.exactness.actual_md5},
                             {"reason", s.exactness.reason}};
  }
  auto& reps = c["repeats"] = nlohmann::json::array();
  for (const auto& rep : s.repeats) reps.push_back(rep);
  if (b.spec.md5) {
    nlohmann::json h = s.hashed;
    if (!per_frame) h.erase("frame_md5");
    c["hashed"] = std::move(h);
  } else {
    c["hashed"] = nullptr;
  }
  return c;
}

// CSV / JSON Lines: one tidy record per configuration (its document `c` without the bulk).
nlohmann::json configuration_record(const DecodeBenchmark& b, const DecodeSeries& s,
                                    const nlohmann::json& c) {
  const DecodeResult& r = s.repeats.front();
  nlohmann::json row = c;
  row.erase("repeats");
  row.erase("hashed");
  row.erase("first_difference");
  row["hashed_s"] = b.spec.md5 ? nlohmann::json(s.hashed.decode_s) : nlohmann::json();
  row["input"] = r.input;
  row["codec"] = r.codec;
  row["cpu_s"] = r.cpu_user_s + r.cpu_sys_s;
  row["peak_rss_kib"] = r.peak_rss_kib;
  row["exactness"] = s.exactness.reason;
  return row;
}

// The table row of a configuration: CPU time and peak memory over its repeats.
std::vector<std::string> configuration_row(const DecodeBenchmark& b, const DecodeSeries& s) {
  const DecodeResult& r = s.repeats.front();
  double cpu = 0;
  long peak = 0;
  for (const auto& rep : s.repeats) {
    cpu += rep.cpu_user_s + rep.cpu_sys_s;
    peak = std::max(peak, rep.peak_rss_kib);
  }
  cpu /= static_cast<double>(s.repeats.size());
  return {s.config.decoder,
          fmt::format(
              "{}{}", s.config.threads,
              r.decoder_threads != s.config.threads ? fmt::format(" ({})", r.decoder_threads) : ""),
          r.decoder_thread_type,
          std::to_string(r.frames),
          fmt::format("{:.4f}", s.median_s),
          fmt::format("{:.1f}", 100 * s.cv),
          fmt::format("{:.1f}", s.median_fps),
          s.speedup > 0 ? fmt::format("{:.2f}x", s.speedup) : "",
          s.efficiency > 0 ? fmt::format("{:.0f}%", 100 * s.efficiency) : "",
          fmt::format("{:.3f}", cpu),
          std::to_string(peak / 1024),
          b.spec.md5 ? s.hashed.output_md5.substr(0, 12) : "off",
          !b.spec.md5 ? "" : (s.exactness.identical ? "yes" : "NO")};
}

// Each decoder and thread type's scaling points and Amdahl fit, each fit also as a note.
nlohmann::json scaling_json(const DecodeBenchmark& b, std::vector<std::string>& notes) {
  nlohmann::json fits = nlohmann::json::array();
  for (const auto& sc : b.scaling) {
    nlohmann::json pts = nlohmann::json::array();
    for (const auto& p : sc.points) {
      pts.push_back(
          {{"threads", p.n},
           {"median_s", p.median},
           {"speedup", p.speedup},
           {"efficiency", p.efficiency},
           {"karp_flatt", p.karp_flatt ? nlohmann::json(*p.karp_flatt) : nlohmann::json()},
           {"fps", p.throughput}});
    }
    fits.push_back({{"decoder", sc.decoder},
                    {"thread_type", sc.thread_type},
                    {"points", pts},
                    {"amdahl_serial_fraction",
                     {{"value", sc.amdahl.value},
                      {"low", sc.amdahl.low},
                      {"high", sc.amdahl.high},
                      {"rmse", sc.amdahl.rmse}}}});
    notes.push_back(
        fmt::format("{} {} threads: Amdahl serial fraction {:.3f} (95% interval {:.3f} to {:.3f})",
                    sc.decoder, sc.thread_type, sc.amdahl.value, sc.amdahl.low, sc.amdahl.high));
  }
  return fits;
}

// What the times include, what hashing cost, and whether the outputs agree.
void add_notes(const DecodeBenchmark& b, const DecodeResult& first,
               std::vector<std::string>& notes) {
  notes.push_back(
      b.spec.include_read
          ? "time includes reading the file (packets read as decoding goes)"
          : fmt::format("time excludes reading the file (packets read into memory first, {:.3f} s)",
                        first.read_s));
  if (b.spec.md5) {
    const auto& s0 = b.series.front();
    notes.push_back(fmt::format(
        "times without hashing; one more decode per row hashed every frame (MD5): {:.4f} s "
        "against {:.4f} s on the first row ({:.2f}x)",
        s0.hashed.decode_s, s0.median_s, s0.median_s > 0 ? s0.hashed.decode_s / s0.median_s : 0));
  }
  if (b.spec.md5 && b.series.size() > 1) {
    notes.push_back(b.identical ? "every configuration decoded identical frames"
                                : "outputs differ: see the rows marked NO");
  }
  for (const auto& s : b.series) {
    if (!s.exactness.identical) notes.push_back(s.exactness.reason);
  }
}

}  // namespace

View decode_view(const DecodeBenchmark& b, bool per_frame) {
  View v;
  const DecodeResult& first = b.series.front().repeats.front();
  nlohmann::json doc{{"schema_version", kDecodeSchemaVersion},
                     {"input", first.input},
                     {"codec", first.codec},
                     {"pix_fmt", first.pix_fmt},
                     {"width", first.width},
                     {"height", first.height},
                     {"frame_rate", first.frame_rate},
                     {"ffmpeg", first.ffmpeg_version},
                     {"repeats", b.repeats},
                     {"timing_includes_read", b.spec.include_read},
                     {"read_s", first.read_s},
                     {"md5", b.spec.md5},
                     {"identical", b.spec.md5 ? nlohmann::json(b.identical) : nlohmann::json()}};
  auto& configs = doc["configurations"] = nlohmann::json::array();
  TextTable& t = v.table;
  t.header = {"decoder", "threads",    "type",  "frames",   "time s", "cv %", "fps",
              "speedup", "efficiency", "cpu s", "peak MiB", "md5",    "exact"};
  t.right = {false, true, false, true, true, true, true, true, true, true, true, false, false};
  for (const auto& s : b.series) {
    const nlohmann::json c = configuration_json(b, s, per_frame);
    configs.push_back(c);
    v.records.push_back(configuration_record(b, s, c));
    t.rows.push_back(configuration_row(b, s));
    t.highlight.push_back(!s.exactness.identical);
  }
  doc["scaling"] = scaling_json(b, v.notes);
  add_notes(b, first, v.notes);
  v.document = std::move(doc);
  v.columns = {"input",
               "codec",
               "decoder",
               "threads_requested",
               "thread_type_requested",
               "decoder_threads",
               "decoder_thread_type",
               "frames",
               "median_s",
               "cv",
               "median_fps",
               "speedup",
               "efficiency",
               "cpu_s",
               "peak_rss_kib",
               "hashed_s",
               "md5",
               "identical"};
  return v;
}

}  // namespace codecbench
