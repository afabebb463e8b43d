// The results store as an interface: the same cases run against every backend open_store
// builds (SQLite, memory), as SQLite's own harness runs one script over many VFS layers; and
// the factory's URLs.
#include <doctest/doctest.h>
#include <fmt/core.h>

#include <filesystem>
#include <functional>
#include <memory>
#include <random>
#include <thread>

#include "codecbench/core/error.hpp"
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

// Every backend, by the URL that opens it (in a fresh folder).
struct Backend {
  const char* name;
  std::function<std::string(const fs::path&)> url;
};
const Backend kBackends[] = {
    {"sqlite", [](const fs::path& dir) { return "sqlite:" + (dir / "s.sqlite").string(); }},
    {"memory", [](const fs::path&) { return std::string("memory:"); }},
};

JobRecord job(const std::string& key, JobStatus status, double psnr) {
  JobRecord j;
  j.key = key;
  j.input = "in";
  j.encoder_label = "x264";
  j.encoder = "libx264";
  j.options = {{"crf", "23"}, {"preset", "veryfast"}};
  j.status = status;
  j.threads = 2;
  j.finished = "2026-12-08T10:00:00+0000";
  if (status == JobStatus::kOk) {
    j.measurements = {{1.5, 1.0, 0.25, 0.25, 2.0, 4096}, {1.25, 0.75, 0.25, 0.25, 1.5, 4000}};
    j.wall = TimingStats::of({1.5, 1.25});
    j.result = {{"type", "video"}, {"quality", {{"psnr", {{"average", psnr}}}}}};
  } else if (status == JobStatus::kFailed) {
    j.error = "libx264: no such option";
  }
  return j;
}

RunRecord header(const std::string& preset_hash) {
  RunRecord r;
  r.started = "2026-12-08T09:59:00+0000";
  r.preset_name = "p";
  r.preset_hash = preset_hash;
  r.preset_yaml = "name: p\n";
  r.machine.host = "node1";
  r.machine.logical_cores = 2;
  r.jobs_total = 3;
  r.planned_keys = {"k0", "k1", "k2"};
  return r;
}

// Runs `check` once per backend, each as its own subcase on an empty store.
void each_backend(const std::function<void(ResultStore&)>& check) {
  for (const Backend& b : kBackends) {
    SUBCASE(b.name) {
      TempDir tmp;
      const auto store = open_store(b.url(tmp.path));
      REQUIRE(store != nullptr);
      CHECK(store->schema_version() == kStoreSchemaVersion);
      check(*store);
    }
  }
}

}  // namespace

TEST_CASE("store: a run reads back as exactly the record written, jobs in job-list order") {
  each_backend([](ResultStore& store) {
    RunRecord r = read_run_file((kData / "run-v1.json").string());
    r.uuid = new_uuid();
    r.finished = "2026-11-27T12:00:00+0000";
    r.wall_s = 1.25;
    r.jobs[1].variant = "threads=2";
    RunRecord h = r.header();
    h.id = 0;
    store.begin_run(h);
    CHECK(h.id > 0);
    for (auto it = r.jobs.rbegin(); it != r.jobs.rend(); ++it) store.record_job(h.id, *it);
    r.id = h.id;
    r.status = RunStatus::kFailedJobs;
    store.finish_run(r);
    const RunRecord back = store.load_run(h.id);
    CHECK(json(back) == json(r));
    CHECK(back.jobs.front().index == 0);
    CHECK(store.latest_run() == h.id);
    CHECK(store.find_run(r.uuid) == h.id);
    CHECK(store.find_run(new_uuid()) == 0);
    const auto rows = store.runs();
    REQUIRE(rows.size() == 1);
    CHECK(rows[0].uuid == r.uuid);
    CHECK(rows[0].status == RunStatus::kFailedJobs);
    CHECK(rows[0].jobs_failed == static_cast<int>(r.count(JobStatus::kFailed)));
    CHECK(rows[0].jobs_failed == 1);
    CHECK(rows[0].preset_hash == r.preset_hash);
    CHECK(rows[0].finished == r.finished);
  });
}

TEST_CASE("store: an empty store, an absent run and a second run with one UUID are refused") {
  each_backend([](ResultStore& store) {
    CHECK(store.runs().empty());
    CHECK_THROWS_WITH_AS(store.latest_run(), doctest::Contains("has no runs yet"), InputError);
    CHECK_THROWS_WITH_AS(store.latest_run(), doctest::Contains(store.location().c_str()),
                         InputError);
    CHECK_THROWS_WITH_AS(store.load_run(7), doctest::Contains("no run 7"), InputError);
    CHECK_FALSE(store.remove_run(7));
    RunRecord a = header("h");
    store.begin_run(a);
    CHECK(a.uuid.size() == 36);  // given one when empty
    RunRecord b = header("h");
    b.uuid = a.uuid;
    CHECK_THROWS_WITH_AS(store.begin_run(b), doctest::Contains("already holds run"), InputError);
    CHECK(store.runs().size() == 1);
  });
}

TEST_CASE("store: resume keys, reuse of a job, statuses and removal") {
  each_backend([](ResultStore& store) {
    RunRecord a = header("h1");
    store.begin_run(a);
    store.record_job(a.id, job("k0", JobStatus::kOk, 30));
    store.record_job(a.id, job("k1", JobStatus::kFailed, 0));
    RunRecord b = header("h2");
    store.begin_run(b);
    store.record_job(b.id, job("k0", JobStatus::kOk, 31));  // the newer k0
    store.record_job(b.id, job("k2", JobStatus::kOk, 32));
    CHECK(a.id != b.id);
    CHECK(store.latest_run() == b.id);

    // Only ok jobs of the same preset count as done.
    CHECK(store.completed_keys("h1") == std::set<std::string>{"k0"});
    CHECK(store.completed_keys("h2") == std::set<std::string>{"k0", "k2"});
    CHECK(store.completed_keys("h3").empty());

    // The newest ok job with a key, from any run; a failed one is never reused.
    const auto k0 = store.find_job("k0");
    REQUIRE(k0.has_value());
    CHECK(k0->result["quality"]["psnr"]["average"] == 31);
    CHECK(k0->measurements.size() == 2);
    CHECK(k0->options == job("k0", JobStatus::kOk, 0).options);
    CHECK_FALSE(store.find_job("k1").has_value());
    CHECK_FALSE(store.find_job("nope").has_value());

    const auto statuses = store.job_statuses(a.id);
    CHECK(statuses.size() == 2);
    CHECK(statuses.at("k0") == JobStatus::kOk);
    CHECK(statuses.at("k1") == JobStatus::kFailed);

    // Removing a run removes its jobs, not the other run's.
    CHECK(store.remove_run(b.id));
    CHECK(store.runs().size() == 1);
    CHECK(store.find_job("k0")->result["quality"]["psnr"]["average"] == 30);
    CHECK(store.completed_keys("h2").empty());
    CHECK(store.job_statuses(b.id).empty());
  });
}

TEST_CASE("store: a batch of jobs replaces the given keys and takes its positions") {
  each_backend([](ResultStore& store) {
    RunRecord r = header("h");
    store.begin_run(r);
    store.record_job(r.id, job("k1", JobStatus::kFailed, 0));
    const JobRecord k1 = job("k1", JobStatus::kOk, 35);
    const JobRecord k0 = job("k0", JobStatus::kOk, 33);
    store.record_jobs(r.id, {{&k1, 1}, {&k0, 0}}, {"k1"});
    const RunRecord back = store.load_run(r.id);
    REQUIRE(back.jobs.size() == 2);
    CHECK(back.jobs[0].key == "k0");
    CHECK(back.jobs[0].index == 0);
    CHECK(back.jobs[1].key == "k1");
    CHECK(back.jobs[1].index == 1);
    CHECK(back.jobs[1].status == JobStatus::kOk);
    CHECK(back.planned_keys == r.planned_keys);
    // finish_run: the total only grows, the failed count is the record's.
    RunRecord end = back;
    end.jobs_total = 1;
    end.status = RunStatus::kOk;
    end.finished = "2026-12-08T10:01:00+0000";
    store.finish_run(end);
    const auto rows = store.runs();
    CHECK(rows[0].jobs_total == 3);
    CHECK(rows[0].jobs_failed == 0);
    CHECK(rows[0].status == RunStatus::kOk);
  });
}

TEST_CASE("store: sweeps are kept per preset, oldest first") {
  each_backend([](ResultStore& store) {
    RunRecord h = header("h1");
    const json s1 = {{"level", "codec"}, {"mode", "strong"}, {"points", json::array()}};
    json s2 = s1;
    s2["mode"] = "weak";
    const auto id1 = store.record_sweep(h, s1);
    h.preset_hash = "h2";
    const auto id2 = store.record_sweep(h, s2);
    CHECK(id1 != id2);
    CHECK(store.sweeps("") == std::vector<json>{s1, s2});
    CHECK(store.sweeps("h2") == std::vector<json>{s2});
    CHECK(store.sweeps("h3").empty());
  });
}

TEST_CASE("store: jobs recorded from several threads are all kept") {
  each_backend([](ResultStore& store) {
    RunRecord r = header("h");
    store.begin_run(r);
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; ++t) {
      threads.emplace_back([&store, &r, t] {
        for (int i = 0; i < 10; ++i) {
          JobRecord j = job(fmt::format("t{}-{}", t, i), JobStatus::kOk, 30 + i);
          j.index = t * 10 + i;
          store.record_job(r.id, j);
        }
      });
    }
    for (auto& t : threads) t.join();
    const RunRecord back = store.load_run(r.id);
    REQUIRE(back.jobs.size() == 40);
    for (std::size_t i = 0; i < back.jobs.size(); ++i) CHECK(back.jobs[i].index == int(i));
  });
}

TEST_CASE("store: the store sink and merge work through the interface") {
  each_backend([](ResultStore& store) {
    StoreSink sink(store);
    RunRecord r = header("h");
    sink.begin_run(r);
    const JobRecord j = job("k0", JobStatus::kOk, 30);
    sink.record_job(r, j);
    r.jobs = {j};
    r.status = RunStatus::kInterrupted;
    sink.finish_run(r);
    CHECK(store.load_run(r.id).jobs.size() == 1);

    // A shard's run merged in: the run with its UUID grows by the jobs it lacked.
    RunRecord shard = store.load_run(r.id);
    shard.shard = "2/2";
    shard.jobs = {job("k1", JobStatus::kOk, 31), job("k2", JobStatus::kOk, 32)};
    const MergeResult m = merge_runs(store, {store.load_run(r.id), shard});
    CHECK(m.run_id == r.id);
    CHECK(m.added == 2);
    CHECK(m.missing.empty());
    CHECK(m.status == RunStatus::kOk);
    const RunRecord merged = store.load_run(r.id);
    REQUIRE(merged.jobs.size() == 3);
    CHECK(merged.jobs[2].key == "k2");
    CHECK(merged.jobs[2].index == 2);
  });
}

TEST_CASE("open_store: the URL names the backend") {
  TempDir tmp;
  const fs::path a = tmp.path / "a" / "one.sqlite";
  CHECK(open_store("sqlite:" + a.string())->location() == a.string());
  CHECK(fs::exists(a));  // created, with its folder
  const fs::path b = tmp.path / "two.sqlite";
  CHECK(open_store("sqlite://" + b.string())->location() == b.string());
  CHECK(fs::exists(b));
  // A plain path, a colon in it or not, is a file.
  const fs::path c = tmp.path / "x:y.sqlite";
  CHECK(open_store(c.string())->location() == c.string());
  CHECK(fs::exists(c));
  // Two opens of one file see one store; two memory stores are two.
  {
    const auto w = open_store(a.string());
    RunRecord r = header("h");
    w->begin_run(r);
    CHECK(open_store("sqlite:" + a.string())->find_run(r.uuid) == r.id);
    const auto m1 = open_store("memory:");
    RunRecord r2 = header("h");
    m1->begin_run(r2);
    CHECK(open_store("memory:")->runs().empty());
    CHECK(m1->location() == "memory:");
  }
  CHECK_THROWS_WITH_AS(open_store(""), doctest::Contains("empty location"), UsageError);
  CHECK_THROWS_WITH_AS(open_store("sqlite:"), doctest::Contains("path is empty"), UsageError);
  CHECK_THROWS_WITH_AS(open_store("postgresql://lab@db:5432/results"),
                       doctest::Contains("PostgreSQL results stores are not built"), UsageError);
  CHECK_THROWS_WITH_AS(open_store("ftp://host/x.sqlite"), doctest::Contains("'ftp'"), UsageError);
  // Not a codecbench store: refused, naming the file.
  const fs::path other = tmp.path / "other.txt";
  std::FILE* f = std::fopen(other.string().c_str(), "w");
  std::fputs("not a database at all, just some text that is long enough", f);
  std::fclose(f);
  CHECK_THROWS_WITH_AS(open_store(other.string()), doctest::Contains("other.txt"), InputError);
}

TEST_CASE("store: a write transaction is whole or nothing; the methods it calls join it") {
  each_backend([](ResultStore& store) {
    // Kept: a run begun, two jobs recorded and the run finished, all in one transaction.
    RunRecord a = header("h");
    store.write_transaction([&] {
      store.begin_run(a);
      store.record_job(a.id, job("k0", JobStatus::kOk, 40));
      const JobRecord k1 = job("k1", JobStatus::kFailed, 0);
      store.record_jobs(a.id, {{&k1, 1}}, {});
      a.status = RunStatus::kFailedJobs;
      store.finish_run(a);
    });
    CHECK(store.job_statuses(a.id).size() == 2);
    CHECK(store.runs().at(0).status == RunStatus::kFailedJobs);
    // Undone: everything the body wrote before it threw, and the exception passes on.
    RunRecord b = header("h");
    CHECK_THROWS_WITH_AS(store.write_transaction([&] {
      store.begin_run(b);
      store.record_job(b.id, job("k0", JobStatus::kOk, 41));
      store.record_job(a.id, job("k2", JobStatus::kOk, 42));
      throw InputError("stop here");
    }),
                         "stop here", InputError);
    CHECK(store.runs().size() == 1);
    CHECK(store.find_run(b.uuid) == 0);
    CHECK(store.job_statuses(a.id).size() == 2);
    // A failure inside a nested write (a second run with one UUID) undoes the whole body.
    CHECK_THROWS_AS(store.write_transaction([&] {
      store.record_job(a.id, job("k2", JobStatus::kOk, 42));
      RunRecord again = header("h");
      again.uuid = a.uuid;
      store.begin_run(again);
    }),
                    InputError);
    CHECK(store.job_statuses(a.id).size() == 2);
    // After all that, ordinary writes go on.
    store.record_job(a.id, job("k2", JobStatus::kOk, 43));
    CHECK(store.job_statuses(a.id).size() == 3);
  });
}

TEST_CASE("open_store: read-only opens change nothing and create nothing") {
  TempDir tmp;
  const fs::path missing = tmp.path / "none" / "s.sqlite";
  {
    const auto r = open_store(missing.string(), StoreAccess::kReadOnly);
    CHECK(r->runs().empty());
    CHECK(r->location() == missing.string());
    CHECK_THROWS_WITH_AS(r->load_run(1), doctest::Contains("no run 1"), InputError);
  }
  CHECK_FALSE(fs::exists(missing.parent_path()));
  const fs::path path = tmp.path / "s.sqlite";
  RunRecord a = header("h");
  {
    const auto w = open_store(path.string());
    w->begin_run(a);
    w->record_job(a.id, job("k0", JobStatus::kOk, 40));
  }
  const auto r = open_store("sqlite:" + path.string(), StoreAccess::kReadOnly);
  CHECK(r->find_run(a.uuid) == a.id);
  CHECK(r->load_run(a.id).jobs.size() == 1);
  RunRecord b = header("h");
  CHECK_THROWS_WITH(r->begin_run(b), doctest::Contains("read-only"));
  CHECK_THROWS_WITH(r->record_job(a.id, job("k1", JobStatus::kOk, 40)),
                    doctest::Contains("read-only"));
  CHECK_THROWS_WITH(r->write_transaction([] {}), doctest::Contains("read-only"));
  CHECK(r->load_run(a.id).jobs.size() == 1);
  // "file:" names are SQLite URIs to SQLite: refused as stores, never half taken.
  CHECK_THROWS_WITH_AS(open_store("file:" + path.string()),
                       doctest::Contains("SQLite URIs are not taken"), UsageError);
  CHECK_THROWS_AS(open_store("sqlite:file:" + path.string()), UsageError);
}
