// Merging shard runs into one run.
#include "codecbench/store/merge.hpp"

#include <fmt/core.h>
#include <tbb/parallel_for.h>

#include <algorithm>
#include <exception>
#include <fstream>
#include <map>
#include <set>

#include "codecbench/core/error.hpp"
#include "codecbench/core/files.hpp"
#include "codecbench/core/limits.hpp"
#include "codecbench/store/sink.hpp"

namespace codecbench {
namespace {

int rank(JobStatus s) {
  switch (s) {
    case JobStatus::kOk:
      return 3;
    case JobStatus::kFailed:
      return 2;
    case JobStatus::kSkipped:
    case JobStatus::kNotRun:
      return 1;
  }
  return 0;
}

std::string describe(const RunRecord& r) {
  return fmt::format("run {} ({}, preset '{}' {})", r.id, r.uuid, r.preset_name, r.preset_hash);
}

// The union of the inputs' plans, in the first plan's order.
std::vector<std::string> union_plan(const std::vector<RunRecord>& inputs) {
  std::vector<std::string> plan;
  std::set<std::string> seen;
  for (const auto& r : inputs) {
    for (const auto& k : r.planned_keys) {
      if (seen.insert(k).second) plan.push_back(k);
    }
    for (const auto& j : r.jobs) {
      if (seen.insert(j.key).second) plan.push_back(j.key);
    }
  }
  return plan;
}

RunRecord merged_header(const std::vector<RunRecord>& inputs,
                        const std::vector<std::string>& plan) {
  RunRecord h = inputs.front().header();
  h.id = 0;
  h.shard.clear();
  h.planned_keys = plan;
  h.jobs_total = static_cast<int>(plan.size());
  h.wall_s = 0;
  for (const auto& r : inputs) {
    if (!r.started.empty() && (h.started.empty() || r.started < h.started)) h.started = r.started;
    h.finished = std::max(h.finished, r.finished);
    h.wall_s = std::max(h.wall_s, r.wall_s);  // shards run side by side
  }
  const bool one_uuid = std::all_of(inputs.begin(), inputs.end(),
                                    [&](const RunRecord& r) { return r.uuid == h.uuid; });
  if (!one_uuid) h.uuid = inputs.front().uuid;
  if (h.uuid.empty()) h.uuid = new_uuid();
  h.status = RunStatus::kRunning;
  return h;
}

}  // namespace

std::vector<RunRecord> read_runs(const std::string& path, std::vector<std::string>* warnings) {
  require_regular_file(path);
  std::ifstream f(path, std::ios::binary);
  if (!f) throw InputError(fmt::format("{}: cannot open", path));
  std::string head(16, '\0');
  f.read(head.data(), 16);
  head.resize(static_cast<std::size_t>(f.gcount()));
  if (head == std::string("SQLite format 3\0", 16)) {
    const auto store = open_store("sqlite:" + path, StoreAccess::kReadOnly);
    std::vector<RunRecord> runs;
    for (const auto& row : store->runs()) runs.push_back(store->load_run(row.id));
    return runs;
  }
  f.seekg(0);
  std::string line;
  std::getline(f, line);
  // A JSON Lines stream starts with its one-line run header.
  if (line.rfind("{", 0) == 0 && line.find("\"record\"") != std::string::npos &&
      line.back() == '}') {
    return {read_json_lines(path, warnings)};
  }
  return {read_run_file(path)};
}

std::vector<RunRecord> read_runs(const std::vector<std::string>& paths,
                                 std::vector<std::string>* warnings) {
  std::vector<std::vector<RunRecord>> each(paths.size());
  std::vector<std::vector<std::string>> said(paths.size());
  std::vector<std::exception_ptr> errors(paths.size());
  tbb::parallel_for(std::size_t{0}, paths.size(), [&](std::size_t i) {
    try {
      each[i] = read_runs(paths[i], &said[i]);
    } catch (...) {
      errors[i] = std::current_exception();
    }
  });
  for (const auto& e : errors) {
    if (e) std::rethrow_exception(e);
  }
  if (warnings != nullptr) {
    for (auto& w : said) warnings->insert(warnings->end(), w.begin(), w.end());
  }
  std::vector<RunRecord> runs;
  for (auto& v : each) {
    for (auto& r : v) runs.push_back(std::move(r));
  }
  return runs;
}

void release_runs(std::vector<RunRecord>& runs) {
  // Each run's documents were allocated by one thread (read_runs): one thread frees each run,
  // so the threads do not contend for one allocator arena.
  tbb::parallel_for(std::size_t{0}, runs.size(),
                    [&](std::size_t i) { std::vector<JobRecord>().swap(runs[i].jobs); });
  runs.clear();
}

namespace {

// The store's run with the launch's UUID must be of the same preset: folding another preset's
// jobs into it would make one run of two job lists.
void refuse_other_preset(ResultStore& out, std::int64_t id, const RunRecord& run) {
  for (const auto& row : out.runs()) {
    if (row.id != id || row.preset_hash == run.preset_hash) continue;
    throw InputError(fmt::format(
        "{}: run {} ({}) is of another preset (hash {}, the inputs' {}): merge them into "
        "another store",
        out.location(), id, run.uuid, row.preset_hash, run.preset_hash));
  }
}

// The merge's reads and writes, inside the store's write transaction (merge_runs).
void merge_into(ResultStore& out, RunRecord& run, const std::vector<std::string>& plan,
                const std::map<std::string, std::size_t>& position,
                const std::map<std::string, const JobRecord*>& best, MergeResult& m) {
  std::map<std::string, JobStatus> have;  // what the output already holds for this run
  if (const std::int64_t id = out.find_run(run.uuid); id != 0) {
    refuse_other_preset(out, id, run);
    run.id = id;
    have = out.job_statuses(id);
  } else {
    out.begin_run(run);
  }
  m.run_id = run.id;
  std::vector<std::pair<const JobRecord*, int>> add;  // record, position in the plan
  std::vector<std::string> replace;
  std::map<std::string, JobStatus> now = have;  // what the run holds after this merge
  for (const auto& key : plan) {
    const auto b = best.find(key);
    if (b == best.end()) continue;  // missing, unless the output has it
    const auto h = have.find(key);
    if (h != have.end() && rank(h->second) >= rank(b->second->status)) {
      ++m.kept;
      continue;
    }
    if (h != have.end()) replace.push_back(key);  // a better record arrived
    add.emplace_back(b->second, static_cast<int>(position.at(key)));
    now[key] = b->second->status;
  }
  out.record_jobs(run.id, add, replace);  // one transaction: all of this merge, or nothing
  m.added = add.size();
  // The merged run's end: its status from what it now holds. Skipped and not-run records say
  // a job was not measured here: it is still missing.
  std::vector<JobRecord> held;
  for (const auto& key : plan) {
    const auto it = now.find(key);
    if (it == now.end() || it->second == JobStatus::kSkipped || it->second == JobStatus::kNotRun) {
      m.missing.push_back(key);
    } else if (it->second == JobStatus::kFailed) {
      ++m.failed;
      held.emplace_back().status = JobStatus::kFailed;  // finish_run counts the failures
    }
  }
  RunRecord end = run;
  end.jobs = std::move(held);
  end.status = !m.missing.empty() ? RunStatus::kInterrupted
               : m.failed > 0     ? RunStatus::kFailedJobs
                                  : RunStatus::kOk;
  m.status = end.status;
  out.finish_run(end);
}

}  // namespace

MergeResult merge_runs(ResultStore& out, const std::vector<RunRecord>& inputs) {
  if (inputs.empty()) throw UsageError("merge: no runs to merge");
  for (const auto& r : inputs) {
    if (r.preset_hash != inputs.front().preset_hash) {
      throw InputError(fmt::format(
          "cannot merge runs of different presets: {} and {} (their job lists differ: other "
          "inputs, options or input files; merge --uuid picks one launch)",
          describe(inputs.front()), describe(r)));
    }
  }
  const std::vector<std::string> plan = union_plan(inputs);
  if (plan.size() > limits::kJobsPerRun) {
    throw InputError(
        fmt::format("merge: the runs plan {} jobs together, more than {} (the limit of one run)",
                    plan.size(), limits::kJobsPerRun));
  }
  std::map<std::string, std::size_t> position;
  for (std::size_t i = 0; i < plan.size(); ++i) position[plan[i]] = i;

  MergeResult m;
  m.planned = plan.size();
  // The best record of each key over all inputs.
  std::map<std::string, const JobRecord*> best;
  for (const auto& r : inputs) {
    for (const auto& j : r.jobs) {
      const auto it = best.find(j.key);
      if (it == best.end()) {
        best[j.key] = &j;
      } else if (rank(j.status) > rank(it->second->status)) {
        it->second = &j;
      } else if (j.status == JobStatus::kOk && it->second->status == JobStatus::kOk) {
        ++m.duplicates;
      }
    }
  }
  RunRecord run = merged_header(inputs, plan);
  m.uuid = run.uuid;
  // What the store holds is read and the merge written in one write transaction: two merges
  // into one store at once (the last array tasks and the merge job) must each see the other's
  // whole result, or one would add the run twice or close it with the other's jobs missing.
  out.write_transaction([&] { merge_into(out, run, plan, position, best, m); });
  return m;
}

}  // namespace codecbench
