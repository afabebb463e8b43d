// The result model: the run record and its JSON, the store's migration from the previous
// release, sinks, the comparison rule, figures from the metric registry, job identity and the
// exporters.
#include <doctest/doctest.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <random>

#include "codecbench/analysis/compare.hpp"
#include "codecbench/config/preset.hpp"
#include "codecbench/core/error.hpp"
#include "codecbench/core/fingerprint.hpp"
#include "codecbench/metrics/figures.hpp"
#include "codecbench/report/export.hpp"
#include "codecbench/report/views.hpp"
#include "codecbench/store/merge.hpp"
#include "codecbench/store/run_record.hpp"
#include "codecbench/store/sink.hpp"
#include "codecbench/store/store.hpp"
#include "support.hpp"

using namespace codecbench;
using codecbench::test::TempDir;
using json = nlohmann::json;
namespace fs = std::filesystem;

namespace {

const fs::path kData = fs::path(CODECBENCH_SOURCE_ROOT) / "tests" / "data";

JobRecord timed_job(const std::string& key, std::vector<double> times, double psnr, double bytes) {
  JobRecord j;
  j.key = key;
  j.input = "in";
  j.encoder_label = "enc";
  j.status = JobStatus::kOk;
  for (double t : times) j.measurements.push_back({t, t / 2, 0, 0, t, 1000});
  j.wall = TimingStats::of(times);
  j.result = {{"type", "video"},
              {"size", {{"bitstream_bytes", bytes}, {"bitrate_kbps", bytes / 100}}},
              {"quality", {{"psnr", {{"average", psnr}, {"y", psnr + 1}}}}}};
  return j;
}

}  // namespace

TEST_CASE("a store written by the previous release (schema 2) is migrated and reads back") {
  TempDir tmp;
  const fs::path copy = tmp.path / "store.sqlite";
  fs::copy_file(kData / "store-v2.sqlite", copy);
  const auto opened = open_store(copy.string());
  ResultStore& store = *opened;
  CHECK(store.schema_version() == 5);
  const auto runs = store.runs();
  REQUIRE(runs.size() == 2);
  CHECK(runs[0].uuid.size() == 36);
  CHECK(runs[0].uuid != runs[1].uuid);
  CHECK(runs[0].status == RunStatus::kFailedJobs);
  CHECK(runs[1].status == RunStatus::kOk);

  // Run 1 as the store gives it back equals run 1 as that release's run --json wrote it.
  const RunRecord stored = store.load_run(1);
  const RunRecord written = read_run_file((kData / "run-v1.json").string());
  REQUIRE(stored.jobs.size() == 4);
  REQUIRE(written.jobs.size() == 4);
  CHECK(stored.preset_name == "fixture");
  CHECK(stored.machine.host == written.machine.host);
  CHECK(stored.preset_hash == written.preset_hash);
  for (std::size_t i = 0; i < 4; ++i) {
    const JobRecord& s = stored.jobs[i];
    const JobRecord& w = written.jobs[i];
    CAPTURE(i);
    CHECK(s.key == w.key);
    CHECK(s.index == static_cast<int>(i));
    CHECK(s.status == w.status);
    CHECK(s.error == w.error);
    CHECK(s.machine.host == stored.machine.host);  // a job takes its run's machine
    CHECK(s.result == w.result);
    CHECK(s.wall.times == w.wall.times);
    CHECK(s.wall.median == doctest::Approx(w.wall.median).epsilon(1e-12));
    CHECK(s.measurements.size() == (s.status == JobStatus::kOk ? 2U : 0U));
  }
  CHECK(stored.jobs[2].status == JobStatus::kFailed);
  CHECK(stored.jobs[2].error.find("nosuchopt") != std::string::npos);
  CHECK(stored.jobs[0].options ==
        std::vector<std::pair<std::string, std::string>>{{"preset", "ultrafast"}, {"crf", "24"}});
  // Run 2 and the sweep read too; the migrated store takes new runs.
  CHECK(store.load_run(2).jobs.size() == 3);
  CHECK(store.load_run(2).jobs[0].measurements.size() == 3);
  CHECK(store.sweeps("").size() == 1);
  RunRecord next = written;
  next.uuid.clear();
  store.begin_run(next);
  CHECK(next.id == 3);
  for (const auto& j : written.jobs) store.record_job(next.id, j);
  CHECK(store.load_run(3).jobs.size() == 4);

  // Compared with itself across the two shapes: no change at all, no regression.
  const Comparison c = compare_runs(written, stored, CompareRule{});
  CHECK(c.jobs.size() == 3);
  CHECK(c.regressions == 0);
  for (const auto& j : c.jobs) {
    CHECK(j.speed_change_pct == 0.0);
    CHECK(j.size_change_pct == 0.0);
    CHECK(j.quality_change == 0.0);
  }
}

TEST_CASE("the run record survives JSON and the store unchanged") {
  TempDir tmp;
  RunRecord r = read_run_file((kData / "run-v1.json").string());
  r.uuid = new_uuid();
  r.finished = "2026-11-27T12:00:00+0000";
  r.wall_s = 1.25;
  r.jobs[1].variant = "threads=2";
  const json doc = r;
  CHECK(doc["schema_version"] == kRunSchemaVersion);
  CHECK(json(doc.get<RunRecord>()) == doc);
  const auto opened = open_store((tmp.path / "s.sqlite").string());
  ResultStore& store = *opened;
  RunRecord header = r.header();
  CHECK(header.jobs.empty());
  header.jobs = r.jobs;
  CHECK(json(header) == json(r));  // header() copies every field but the jobs
  header.jobs.clear();
  header.id = 0;
  store.begin_run(header);
  // Jobs arrive in the order they finish; the record keeps the job-list order.
  for (auto it = r.jobs.rbegin(); it != r.jobs.rend(); ++it) store.record_job(header.id, *it);
  r.id = header.id;
  store.finish_run(r);
  CHECK(json(store.load_run(header.id)) == json(r));
}

TEST_CASE("merge: shards of one launch become one run, in plan order, idempotently") {
  TempDir tmp;
  RunRecord launch;
  launch.uuid = new_uuid();
  launch.preset_name = "p";
  launch.preset_hash = "h1";
  launch.started = "2026-12-03T10:00:00+0000";
  for (const char* k : {"k0", "k1", "k2", "k3", "k4"}) launch.planned_keys.push_back(k);
  launch.jobs_total = 5;
  // Shard 1 measured k0 and k2 and failed k4; shard 2 measured k3 and k4 and also k0 again.
  RunRecord a = launch.header(), b = launch.header();
  a.shard = "1/2";
  b.shard = "2/2";
  a.jobs = {timed_job("k2", {1.0}, 40, 2000), timed_job("k0", {1.0}, 30, 1000),
            timed_job("k4", {1.0}, 0, 0)};
  a.jobs[2].status = JobStatus::kFailed;
  a.jobs[2].result = nullptr;
  b.jobs = {timed_job("k3", {2.0}, 35, 1500), timed_job("k4", {2.0}, 45, 2500),
            timed_job("k0", {2.0}, 31, 1100)};
  for (auto* r : {&a, &b}) {
    std::ofstream(tmp.path / (r->shard == "1/2" ? "a.json" : "b.json")) << json(*r).dump();
  }
  // Read side by side, returned in the order given.
  std::vector<RunRecord> in =
      read_runs({(tmp.path / "b.json").string(), (tmp.path / "a.json").string()});
  REQUIRE(in.size() == 2);
  CHECK(in[0].shard == "2/2");
  CHECK(in[1].shard == "1/2");
  std::swap(in[0], in[1]);  // shard 1 first: its k0 is the one kept

  const auto opened = open_store((tmp.path / "merged.sqlite").string());
  ResultStore& out = *opened;
  const MergeResult m = merge_runs(out, in);
  CHECK(m.planned == 5);
  CHECK(m.added == 4);  // k0, k2, k3 and k4 (the ok record beats the failed one)
  CHECK(m.duplicates == 1);
  CHECK(m.failed == 0);
  CHECK(m.missing == std::vector<std::string>{"k1"});
  CHECK(m.status == RunStatus::kInterrupted);
  const RunRecord merged = out.load_run(m.run_id);
  CHECK(merged.uuid == launch.uuid);
  REQUIRE(merged.jobs.size() == 4);
  std::vector<std::string> keys;
  for (const auto& j : merged.jobs) keys.push_back(j.key);
  CHECK(keys == std::vector<std::string>{"k0", "k2", "k3", "k4"});
  CHECK(merged.jobs[0].result["quality"]["psnr"]["average"] == 30);  // shard 1's k0
  CHECK(merged.jobs[0].index == 0);
  CHECK(merged.jobs[3].index == 4);
  CHECK(merged.jobs[3].status == JobStatus::kOk);
  CHECK(merged.jobs[3].measurements.size() == 1);
  CHECK(merged.jobs[3].measurements[0].wall_s == 2.0);

  // Merging again adds nothing; the inputs can then be freed.
  const MergeResult again = merge_runs(out, in);
  CHECK(again.added == 0);
  CHECK(again.kept == 4);
  CHECK(again.run_id == m.run_id);
  release_runs(in);
  CHECK(in.empty());

  // Another preset's run is refused, naming both; an unreadable file among several is named.
  RunRecord other = a;
  other.preset_hash = "h2";
  std::vector<RunRecord> mixed;
  mixed.push_back(a);
  mixed.push_back(other);
  CHECK_THROWS_WITH_AS(merge_runs(out, mixed), doctest::Contains("different presets"), InputError);
  std::ofstream(tmp.path / "bad.json") << "{\"jobs\": [";
  CHECK_THROWS_WITH_AS(
      read_runs({(tmp.path / "a.json").string(), (tmp.path / "bad.json").string()}),
      doctest::Contains("bad.json"), InputError);
}

TEST_CASE("a JSON Lines stream holds every finished job and reads back as the run") {
  TempDir tmp;
  const std::string path = (tmp.path / "run.jsonl").string();
  RunRecord r = read_run_file((kData / "run-v1.json").string());
  r.uuid = new_uuid();
  {
    JsonLinesSink sink(path);
    RunRecord header = r;
    header.jobs.clear();
    sink.begin_run(header);
    for (const auto& j : r.jobs) sink.record_job(header, j);
    // Cut short here: no end line, as when the process is killed.
  }
  RunRecord partial = read_json_lines(path);
  CHECK(partial.status == RunStatus::kRunning);
  CHECK(json(partial)["jobs"] == json(r)["jobs"]);
  CHECK_THROWS_AS(read_json_lines((tmp.path / "none.jsonl").string()), InputError);
  std::ofstream((tmp.path / "bad.jsonl").string()) << "{\"record\": \"run\"\nnot json\n";
  CHECK_THROWS_WITH_AS(read_json_lines((tmp.path / "bad.jsonl").string()),
                       doctest::Contains("bad.jsonl:1: not JSON"), InputError);
}

TEST_CASE("compare: a significant slowdown, a larger stream and a quality drop are regressions") {
  RunRecord a, b;
  a.jobs = {timed_job("k1", {1.0, 1.01, 0.99}, 40, 1000), timed_job("k2", {1, 1, 1}, 40, 1000),
            timed_job("k3", {2.0, 2.02, 1.98}, 40, 1000)};
  b.jobs = {timed_job("k1", {1.2, 1.21, 1.19}, 40, 1000), timed_job("k2", {1, 1, 1}, 39.9, 1020),
            timed_job("k3", {1.0, 1.01, 0.99}, 40, 1000), timed_job("new", {1}, 40, 1)};
  const Comparison c = compare_runs(a, b, CompareRule{});
  REQUIRE(c.jobs.size() == 3);  // "new" is not in A
  CHECK(c.jobs[0].flags == std::vector<std::string>{"SLOWER"});
  CHECK(c.jobs[0].speed_change_pct == doctest::Approx(20.0));
  CHECK(c.jobs[1].flags == std::vector<std::string>{"LARGER", "WORSE QUALITY"});
  CHECK(c.jobs[1].quality_figure == "psnr");
  CHECK(c.jobs[1].quality_change == doctest::Approx(-0.1));
  CHECK(c.jobs[2].flags == std::vector<std::string>{"faster"});
  CHECK(c.regressions == 2);
  CompareRule mw;
  mw.test = SpeedTest::kMannWhitney;
  const Comparison m = compare_runs(a, b, mw);
  CHECK(m.jobs[0].flags == std::vector<std::string>{"slower? (too few repeats for this test)"});
  CHECK(m.underpowered == 2);  // k1 and k3; k2's tied times take the normal approximation
  CHECK(m.regressions == 1);   // k2 is still larger and worse
  const json doc = comparison_json(c, "A", "B");
  CHECK(doc["regressions"] == 2);
  CHECK(doc["jobs"][0]["p_value"].get<double>() < 0.001);
}

TEST_CASE("figures come from the metric registry, one spelling each") {
  CHECK(parse_figure("psnr").output->name == "average");
  CHECK(parse_figure("psnr.y").title() == "PSNR-Y");
  CHECK(parse_figure("ms_ssim").title() == "MS-SSIM (Y)");
  CHECK(parse_figure("si_sdr").unit() == "dB");
  CHECK_THROWS_WITH_AS(parse_figure("psnr-y"), doctest::Contains("did you mean 'psnr.y'"),
                       UsageError);
  CHECK_THROWS_WITH_AS(find_metric("ms-ssim"), doctest::Contains("did you mean 'ms_ssim'"),
                       UsageError);
  CHECK_THROWS_WITH_AS(find_metric("snr", MediaType::kVideo),
                       doctest::Contains("measures audio, not video"), UsageError);
  CHECK(primary_figure(MediaType::kVideo).name() == "psnr");
  CHECK(primary_figure(MediaType::kAudio).name() == "snr");
  CHECK(default_metric_names(MediaType::kVideo) == std::vector<std::string>{"psnr", "ssim"});
  CHECK(default_metric_names(MediaType::kAudio) ==
        std::vector<std::string>{"snr", "segsnr", "si_sdr"});
  const json r = {{"quality", {{"psnr", {{"average", "inf"}, {"y", 41.5}}}}}};
  CHECK(std::isinf(quality_of(r, "psnr")));
  CHECK(quality_of(r, "psnr.y") == 41.5);
  CHECK(std::isnan(quality_of(r, "ssim")));
  // Every metric of the registry is one the published job-result schema allows, and no other.
  std::ifstream f(fs::path(CODECBENCH_SOURCE_ROOT) / "docs" / "schema" / "job-result.schema.json");
  const json schema = json::parse(f);
  std::vector<std::string> allowed = schema["properties"]["quality"]["propertyNames"]["enum"];
  std::vector<std::string> registered;
  for (const auto& m : metric_registry()) registered.push_back(m.name);
  CHECK(allowed == registered);
}

TEST_CASE("job identity: no path, option order and default metrics do not matter, content does") {
  TempDir tmp;
  const fs::path a = tmp.path / "a" / "clip.bin", b = tmp.path / "b" / "clip.bin";
  fs::create_directories(a.parent_path());
  fs::create_directories(b.parent_path());
  std::ofstream(a) << "same bytes";
  std::ofstream(b) << "same bytes";
  setenv("CODECBENCH_CACHE_DIR", (tmp.path / "cache").c_str(), 1);
  PresetInput ia, ib;
  ia.name = ib.name = "clip.bin";
  ia.source.uri = a.string();
  ib.source.uri = b.string();
  CHECK(input_identity(ia) == input_identity(ib));
  CHECK(input_identity(ia) == "file:clip.bin#xxh3:" + xxh3_hex("same bytes"));
  JobSpec s1, s2;
  s1.encoder = s2.encoder = "libx264";
  s1.options = {{"crf", "23"}, {"preset", "fast"}};
  s2.options = {{"preset", "fast"}, {"crf", "23"}};
  s2.metrics = {"ssim", "psnr"};  // the defaults, named
  CHECK(job_key(input_identity(ia), s1) == job_key(input_identity(ib), s2));
  s2.threads = 2;
  CHECK(job_key(input_identity(ia), s1) != job_key(input_identity(ib), s2));
  // Another content under the same name: another job. The cache sees the new mtime/size.
  std::ofstream(b) << "other bytes, longer";
  CHECK(input_identity(ia) != input_identity(ib));
  CHECK(fs::exists(tmp.path / "cache" / "fingerprints.tsv"));
  PresetInput lavfi;
  lavfi.source.uri = "lavfi:testsrc2=size=64x64";
  CHECK(input_identity(lavfi) == "lavfi:testsrc2=size=64x64");
  PresetInput missing;
  missing.source.uri = (tmp.path / "nope.mkv").string();
  CHECK_THROWS_WITH_AS(input_identity(missing), doctest::Contains("nope.mkv"), InputError);
  unsetenv("CODECBENCH_CACHE_DIR");
}

TEST_CASE("exporters render one view as JSON, JSON Lines, CSV, Markdown and the table") {
  View v;
  v.document = {{"n", 2}};
  v.records = {
      {{"a", 1},
       {"options", json::array({json::array({"crf", "23"}), json::array({"preset", "fast"})})}},
      {{"a", 2}, {"b", "x,y"}}};
  v.table.header = {"name", "value"};
  v.table.right = {false, true};
  v.table.rows = {{"x|y", "1.5"}, {"long name", "22"}};
  v.notes = {"note"};
  CHECK(exporter("json").render(v, {}) == "{\n  \"n\": 2\n}\n");
  CHECK(
      exporter("jsonl").render(v, {}) ==
      "{\"a\":1,\"options\":[[\"crf\",\"23\"],[\"preset\",\"fast\"]]}\n{\"a\":2,\"b\":\"x,y\"}\n");
  CHECK(exporter("csv").render(v, {}) == "a,options,b\n1,crf=23 preset=fast,\n2,,\"x,y\"\n");
  CHECK(exporter("markdown").render(v, {}) ==
        "| name | value |\n| --- | ---: |\n| x\\|y | 1.5 |\n| long name | 22 |\n\nnote\n");
  CHECK(exporter("table").render(v, {}) ==
        "name       value\nx|y          1.5\nlong name     22\nnote\n");
  CHECK(exporters().size() == 5);
}

TEST_CASE("a run's view: the same table and records from a fresh run and from the store") {
  const RunRecord r = read_run_file((kData / "run-v1.json").string());
  const View v = run_view(r);
  REQUIRE(v.table.rows.size() == 4);
  CHECK(v.table.rows[2].back().rfind("FAILED: encoder 'mpeg4' does not know option", 0) == 0);
  CHECK(v.table.highlight == std::vector<bool>{false, false, true, false});
  CHECK(v.table.rows[0][6] == "43.55");  // PSNR average of the x264 crf 24 job
  CHECK(v.records[0]["run_uuid"] == r.uuid);
  CHECK(v.document == json(r));
}
