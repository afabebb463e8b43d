#!/usr/bin/env python3
"""Shards and merges: run --shard K/N splits the job list into disjoint, cost-balanced parts
(also from Slurm's job-array variables), merge joins shard stores into one run equal to a
single-process run, idempotently, refusing other presets, and a killed shard's gap is
reported and filled by --resume."""
import json
import os
import signal
import sqlite3
import subprocess
import sys
import tempfile
import uuid

from harness import SEVEN_JOBS, check, figures, finish, validate

CB = os.environ["CODECBENCH"]
ROOT = os.environ["SOURCE_ROOT"]

PRESET = SEVEN_JOBS


def run(*args, env=None, timeout=300):
    return subprocess.run([CB, *args], capture_output=True, text=True, timeout=timeout, env=env)


def keys(*args, env=None):
    res = run("run", *args, "--dry-run", "--json", "-q", env=env)
    return [j["key"] for j in json.loads(res.stdout)] if res.returncode == 0 else res.stderr.strip()




def export(store, run_id=1):
    res = run("runs", "export", str(run_id), "--store", store, "--json")
    doc = json.loads(res.stdout) if res.returncode == 0 else {}
    if doc:
        validate(doc, "run")
    return doc


def main():
    with tempfile.TemporaryDirectory() as tmp:
        preset = os.path.join(tmp, "p.yaml")
        open(preset, "w").write(PRESET)

        # The split: disjoint, complete, every shard has work; the same in a Slurm array task.
        quick = os.path.join(ROOT, "presets", "quick.yaml")
        everything = keys(quick)
        parts = [keys(quick, "--shard", f"{k}/3") for k in (1, 2, 3)]
        flat = [k for p in parts if isinstance(p, list) for k in p]
        check(isinstance(everything, list) and sorted(flat) == sorted(everything)
              and len(set(flat)) == len(flat) and all(isinstance(p, list) and p for p in parts),
              f"quick.yaml in 3 shards: disjoint, complete, none empty ({[len(p) for p in parts]})")
        slurm = dict(os.environ, SLURM_ARRAY_TASK_ID="5", SLURM_ARRAY_TASK_MIN="4",
                     SLURM_ARRAY_TASK_COUNT="3", SLURM_ARRAY_JOB_ID="4242", SLURM_JOB_ID="4247")
        check(keys(quick, env=slurm) == parts[1], "a Slurm array task 5 of 4..6 runs shard 2/3")
        for bad in ("3/2", "0/0", "1/0", "a/b", "2", "1/200000"):
            res = run("run", quick, "--shard", bad, "--dry-run")
            check(res.returncode == 2 and len(res.stderr.strip().splitlines()) == 1
                  and f"--shard '{bad}'" in res.stderr, f"--shard {bad}: one line, exit 2")

        # Slurm tasks of one array share the run's UUID and record their job id.
        docs = []
        for task in ("4", "6"):
            env = dict(slurm, SLURM_ARRAY_TASK_ID=task, SLURM_JOB_ID="42" + task)
            res = run("run", preset, "--store", os.path.join(tmp, f"slurm{task}.sqlite"),
                      "--json", "-q", env=env)
            docs.append(json.loads(res.stdout) if res.returncode == 0 else {})
        check(all(docs) and docs[0]["run"]["uuid"] == docs[1]["run"]["uuid"]
              and docs[0]["run"]["shard"] == "1/3" and docs[1]["run"]["shard"] == "3/3"
              and all(j["scheduler_job"] == "426" for j in docs[1]["jobs"]),
              "array tasks share a run UUID, record their shard and Slurm job id")

        # Inside a Slurm job, its cpus-per-task is the CPU budget (task/none leaves the affinity
        # mask whole): 2 concurrent jobs on a task of 1 CPU are oversubscribed.
        res = run("run", preset, "++jobs=2", "--store", os.path.join(tmp, "cpus.sqlite"),
                  env=dict(os.environ, SLURM_JOB_ID="4250", SLURM_CPUS_PER_TASK="1"))
        check(res.returncode == 0 and "2 concurrent jobs x 1 codec threads = 2 threads on 1 CPU of "
              "this Slurm task: oversubscribed" in res.stderr,
              f"SLURM_CPUS_PER_TASK is the CPU budget: {res.stderr.strip().splitlines()[-3:]}")

        # The slurm command's scripts, from the preset's launcher: section and the command line
        # (written, not submitted: this part needs no cluster).
        with_launcher = os.path.join(tmp, "l.yaml")
        open(with_launcher, "w").write(PRESET + "launcher: {shards: 2, partition: debug, time: '00:10:00',"
                                       " array_parallelism: 1, sbatch_args: ['--qos=short'],"
                                       " dir: slurm-out}\n")
        res = run("slurm", with_launcher, "--time", "00:20:00", "--json")
        info = json.loads(res.stdout) if res.returncode == 0 else {}
        if info:
            validate(info, "slurm")
        folder = os.path.join(tmp, "slurm-out")
        script = open(os.path.join(folder, "array.sbatch")).read() if os.path.isdir(folder) else ""
        merge_script = open(os.path.join(folder, "merge.sbatch")).read() if os.path.isdir(folder) else ""
        check(res.returncode == 0 and info.get("folder") == folder and info.get("shards") == "2"
              and "#SBATCH --array=1-2%1\n" in script and "#SBATCH --partition=debug\n" in script
              and "#SBATCH --time=00:20:00\n" in script and "#SBATCH --qos=short\n" in script
              and f"--run-uuid {info.get('run uuid')}" in script and '--shard "$SLURM_ARRAY_TASK_ID/2"' in script
              and f"merge merged.sqlite \"${{stores[@]}}\" --uuid {info.get('run uuid')}" in merge_script
              # The last task to finish merges at once (one writer: an atomic mkdir).
              and f"mkdir {folder}/.merging-{info.get('run uuid')}" in script
              and f"merge merged.sqlite shard-*.sqlite --uuid {info.get('run uuid')}" in script
              # Tasks balance dynamically by default: each claims its jobs in the run folder.
              and f"--claims {folder}/.claims-{info.get('run uuid')}" in script,
              f"slurm scripts from launcher: and the command line ({res.stderr.strip()})")
        static = os.path.join(tmp, "static.yaml")
        open(static, "w").write(PRESET + "launcher: {split: static, dir: slurm-static}\n")
        res = run("slurm", static)
        script = open(os.path.join(tmp, "slurm-static", "array.sbatch")).read() \
            if os.path.isdir(os.path.join(tmp, "slurm-static")) else ""
        res2 = run("slurm", preset, "--split", "static", "--dir", os.path.join(tmp, "slurm-static2"))
        script2 = open(os.path.join(tmp, "slurm-static2", "array.sbatch")).read() if res2.returncode == 0 else ""
        check(res.returncode == 0 and "--shard" in script and "--claims" not in script
              and res2.returncode == 0 and "--shard" in script2 and "--claims" not in script2,
              "launcher split: static and --split static: each task runs exactly its shard")
        res = run("slurm", preset, "--split", "round-robin")
        check(res.returncode == 2 and "--split" in res.stderr, f"an unknown --split is refused: {res.stderr.strip()}")
        bad = os.path.join(tmp, "bad.yaml")
        open(bad, "w").write(PRESET + "launcher: {partitoin: debug}\n")
        res = run("slurm", bad)
        check(res.returncode == 3 and "launcher.partitoin: unknown key (did you mean 'partition'?)" in res.stderr,
              "a misspelt launcher key is named, exit 3")

        # Three shards, merged, equal a single-process run.
        single = os.path.join(tmp, "single.sqlite")
        check(run("run", preset, "--store", single, "-q").returncode == 0, "single-process run")
        launch = str(uuid.uuid4())
        stores = [os.path.join(tmp, f"s{k}.sqlite") for k in (1, 2, 3)]
        for k, store in enumerate(stores, 1):
            res = run("run", preset, "--shard", f"{k}/3", "--run-uuid", launch, "--store", store, "-q")
            check(res.returncode == 0, f"shard {k}/3 runs")
        out = os.path.join(tmp, "merged.sqlite")
        res = run("merge", out, *stores, "--json")
        m = json.loads(res.stdout) if res.returncode == 0 else {}

        if m:

            validate(m, "merge")
        check(m.get("added") == 7 and m.get("missing") == [] and m.get("status") == "ok"
              and m.get("uuid") == launch, f"merge of 3 shards: {m or res.stderr.strip()}")
        want, got = export(single), export(out)
        check(figures(got) == figures(want) and len(got["jobs"]) == 7,
              "the merged run has the same jobs, sizes and quality as one process")
        check([j["index"] for j in got["jobs"]] == list(range(7)) and got["run"]["uuid"] == launch,
              "merged jobs in job-list order under the launch's UUID")

        # Claims: shard 3/3 runs alone first, so it runs its own part and then takes every job
        # of the other two; they start later and find nothing left. Merged, one process's run.
        launch_c = str(uuid.uuid4())
        claims = os.path.join(tmp, "claims")
        cstores = [os.path.join(tmp, f"c{k}.sqlite") for k in (1, 2, 3)]
        ran = {}
        for k in (3, 1, 2):
            res = run("run", preset, "--shard", f"{k}/3", "--run-uuid", launch_c, "--claims", claims,
                      "--store", cstores[k - 1], "--json", "-q")
            ran[k] = len(json.loads(res.stdout)["jobs"]) if res.returncode == 0 else -1
        check(ran == {3: 7, 1: 0, 2: 0} and len(os.listdir(claims)) == 7,
              f"the first shard with claims takes every unstarted job: jobs run per shard {ran}")
        claimed_by = {open(os.path.join(claims, f)).read().split(" on ")[0] for f in os.listdir(claims)}
        check(claimed_by == {"shard 3/3"}, f"each claim names its shard: {claimed_by}")
        res = run("merge", os.path.join(tmp, "claimed.sqlite"), *cstores, "--json")
        m = json.loads(res.stdout) if res.returncode == 0 else {}
        got_c = export(os.path.join(tmp, "claimed.sqlite")) if m else {"jobs": []}
        check(m.get("added") == 7 and m.get("missing") == [] and m.get("duplicates") == 0
              and figures(got_c) == figures(want),
              f"merged claimed shards equal one process: {m or res.stderr.strip()}")
        res = run("run", preset, "--shard", "1/2", "--claims", claims, "--mpi", "-q")
        check(res.returncode == 2 and "--claims: not with --mpi" in res.stderr,
              f"--claims with --mpi is refused: {res.stderr.strip()}")
        res = run("merge", out, *stores, "--json")
        again = json.loads(res.stdout) if res.returncode == 0 else {}

        if again:

            validate(again, "merge")
        db = sqlite3.connect(out)
        counts = db.execute("select (select count(*) from runs), (select count(*) from jobs)").fetchone()
        db.close()
        check(again.get("added") == 0 and again.get("kept") == 7 and counts == (1, 7),
              f"merging again changes nothing ({again}, {counts})")
        single_doc = os.path.join(tmp, "single.json")
        open(single_doc, "w").write(json.dumps(want))
        res = run("compare", single_doc, "1", "--store", out, "--json")
        c = json.loads(res.stdout) if res.stdout.startswith("{") else {}
        check(res.returncode == 0 and len(c.get("jobs", [])) == 7
              and all(j["size_change_pct"] == 0 and j["quality_change"] == 0 for j in c["jobs"]),
              "compare: merged shards against one process, no size or quality change")

        # Another preset's shard is refused, naming both runs.
        other = os.path.join(tmp, "other.yaml")
        open(other, "w").write(PRESET.replace("800k", "900k"))
        o_store = os.path.join(tmp, "o.sqlite")
        run("run", other, "--shard", "1/2", "--store", o_store, "-q")
        res = run("merge", os.path.join(tmp, "bad.sqlite"), stores[0], o_store)
        check(res.returncode == 3 and "cannot merge runs of different presets" in res.stderr
              and len(res.stderr.strip().splitlines()) == 1, "merge refuses another preset's run")
        res = run("merge", os.path.join(tmp, "bad.sqlite"), os.path.join(tmp, "none.sqlite"))
        check(res.returncode == 3 and "none.sqlite" in res.stderr, "merge: a missing input")
        res = run("run", preset, "--shard", "1/3", "--run-uuid", launch, "--store", stores[0], "-q")
        check(res.returncode == 3 and "already holds run" in res.stderr,
              "a second shard into the same store with the same UUID is refused")

        # A shard killed mid-run: its finished jobs stay, merge reports the gap, resume fills it.
        killed = os.path.join(tmp, "k3.sqlite")
        k_launch = str(uuid.uuid4())
        p = subprocess.Popen([CB, "run", preset, "--shard", "3/3", "--run-uuid", k_launch,
                              "--store", killed], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                             text=True)
        first = p.stderr.readline()
        while first and not first.startswith("["):  # the "writes: ..." line comes first
            first = p.stderr.readline()
        p.send_signal(signal.SIGKILL)
        p.communicate(timeout=60)
        ks = [os.path.join(tmp, f"k{k}.sqlite") for k in (1, 2)]
        for k, store in enumerate(ks, 1):
            run("run", preset, "--shard", f"{k}/3", "--run-uuid", k_launch, "--store", store, "-q")
        gap = os.path.join(tmp, "gap.sqlite")
        res = run("merge", gap, *ks, killed, "--json")
        g = json.loads(res.stdout) if res.stdout.startswith("{") else {}

        if g:

            validate(g, "merge")
        check(res.returncode == 5 and len(g.get("missing", [])) >= 1 and g.get("status") == "interrupted"
              and g.get("added", 0) + len(g.get("missing", [])) == 7,
              f"merge after a killed shard: the gap named, exit 5 ({first.strip()}; {g})")
        res = run("run", preset, "--resume", "--store", gap, "--json", "-q")
        r = json.loads(res.stdout) if res.returncode == 0 else {"jobs": []}
        ran = sorted(j["key"] for j in r["jobs"] if j["status"] == "ok")
        check(ran == sorted(g.get("missing", [])), "--resume on the merged store runs exactly the missing jobs")
        res = run("merge", gap, gap, "--json")
        g2 = json.loads(res.stdout) if res.stdout.startswith("{") else {}

        if g2:

            validate(g2, "merge")
        check(res.returncode == 0 and g2.get("missing") == [] and g2.get("uuid") == k_launch,
              f"merging the resumed jobs completes the launch's run ({g2})")
        check(figures(export(gap)) == figures(want), "the completed run equals one process")
    return finish()


if __name__ == "__main__":
    sys.exit(main())
