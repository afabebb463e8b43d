#!/usr/bin/env python3
"""codecbench on a real single-node Slurm cluster (tests/cli/slurm_cluster.py): `slurm --submit`
runs a preset as a 3-task job array and merges it after the array, equal to a single-process
run; tasks claim jobs, so a cancelled task's jobs run in another; with the static split a
cancelled task leaves a gap the merge names and --resume fills; `srun codecbench run`
inside an allocation records the job id; srun --mpi=pmix starts MPI ranks; an unreachable
controller is one line, exit 3."""
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

from harness import SEVEN_JOBS, check, figures, finish, validate
from slurm_cluster import SlurmCluster, available

CB = os.environ["CODECBENCH"]

PRESET = SEVEN_JOBS


def run(*args, env=None, cwd=None, timeout=300):
    return subprocess.run([CB, *args], capture_output=True, text=True, timeout=timeout, env=env,
                          cwd=cwd)




def export(store):
    res = run("runs", "export", "1", "--store", store, "--json")
    doc = json.loads(res.stdout) if res.returncode == 0 else {"jobs": []}
    if res.returncode == 0:
        validate(doc, "run")
    return doc


def main():
    why = available()
    if why:
        print(f"SKIP: no Slurm cluster can be started here ({why})")
        return finish()
    with tempfile.TemporaryDirectory() as tmp, SlurmCluster() as cluster:
        env = cluster.env
        preset = os.path.join(tmp, "p.yaml")
        open(preset, "w").write(PRESET)
        single = os.path.join(tmp, "single.sqlite")
        check(run("run", preset, "--store", single, "-q").returncode == 0, "single-process run")
        want = export(single)

        # The array and its merge, submitted and run by Slurm.
        t0 = time.monotonic()
        res = run("slurm", preset, "--shards", "3", "--dir", os.path.join(tmp, "a"), "--submit",
                  "--json", env=env)
        sub = json.loads(res.stdout) if res.returncode == 0 else {}
        if sub:
            validate(sub, "slurm")
        check(res.returncode == 0 and sub.get("shards") == "3" and sub.get("array job", "-") != "-",
              f"slurm --submit: {sub or res.stderr.strip()}")
        done = bool(sub) and cluster.wait([sub["array job"], sub["merge job"]])
        check(done, f"the array and the merge job ran ({time.monotonic() - t0:.1f} s)")
        merged = os.path.join(tmp, "a", "merged.sqlite")
        report = os.path.join(tmp, "a", "merge.json")
        m = json.load(open(report)) if os.path.exists(report) else {}
        if m:
            validate(m, "merge")
        check(m.get("status") == "ok" and m.get("missing") == [] and m.get("inputs") == 3
              and m.get("uuid") == sub.get("run uuid"),
              f"merge job after the array: {m or 'no merge.json'}")
        # The last task to finish merged every shard already: the merge job found them all.
        check(m.get("added") == 0 and m.get("kept") == m.get("planned") and m.get("planned", 0) > 0,
              f"the last array task merged the shards before the merge job ran: added "
              f"{m.get('added')}, kept {m.get('kept')} of {m.get('planned')}")
        got = export(merged)
        check(figures(got) == figures(want), "the merged array run equals a single-process run")
        # Tasks claim jobs (the dynamic split): two run at once on 2 CPUs and may take all of
        # the third's jobs before it starts, so 1 to 3 task ids, and no job ran twice.
        jobs_ids = {j["scheduler_job"] for j in got["jobs"]}
        check(1 <= len(jobs_ids) <= 3 and "" not in jobs_ids,
              f"each job records the Slurm job of its array task: {sorted(jobs_ids)}")
        claims = os.path.join(tmp, "a", f".claims-{sub.get('run uuid')}")
        check(m.get("duplicates") == 0 and os.path.isdir(claims) and len(os.listdir(claims)) == 7,
              f"every job claimed once in the run folder, none run twice (duplicates "
              f"{m.get('duplicates')})")
        logs = sorted(os.listdir(os.path.join(tmp, "a", "logs"))) if os.path.isdir(os.path.join(tmp, "a", "logs")) else []
        check(logs == ["merge.log", "shard-1.log", "shard-2.log", "shard-3.log"], f"per-task logs: {logs}")

        # With claims, a task cancelled before it runs loses nothing: one task at a time, the
        # first takes every job and the others find none left.
        def cancelled_third(folder, *extra):
            """A 3-task array, one task at a time, its third task cancelled before it runs:
            the merge job's report."""
            res = run("slurm", preset, "--shards", "3", "--dir", os.path.join(tmp, folder), *extra,
                      "--array-parallelism", "1", "--submit", "--json", env=env)
            sub = json.loads(res.stdout) if res.returncode == 0 else {}
            if sub:
                subprocess.run(["scancel", f"{sub['array job']}_3"], env=env, capture_output=True)
                cluster.wait([sub["array job"], sub["merge job"]])
            report = os.path.join(tmp, folder, "merge.json")
            return json.load(open(report)) if os.path.exists(report) else {}

        m = cancelled_third("c")
        check(m.get("status") == "ok" and m.get("missing") == [] and m.get("kept", 0) + m.get("added", 0) == 7
              and figures(export(os.path.join(tmp, "c", "merged.sqlite"))) == figures(want),
              f"dynamic split: a cancelled task's jobs ran in another task ({m})")

        # The static split: a task cancelled before it runs leaves a gap; the merge still runs
        # (afterany) and names it; --resume on the merged store fills it.
        m = cancelled_third("b", "--split", "static")
        check(m.get("status") == "interrupted" and len(m.get("missing", [])) >= 1
              and m.get("inputs") == 2,
              f"a cancelled task: merge names {len(m.get('missing', []))} missing job(s) ({m})")
        merged_b = os.path.join(tmp, "b", "merged.sqlite")
        res = run("run", preset, "--resume", "--store", merged_b, "--json", "-q")
        r = json.loads(res.stdout) if res.returncode == 0 else {"jobs": []}
        check(sorted(j["key"] for j in r["jobs"] if j["status"] == "ok") == sorted(m.get("missing", [])),
              "--resume runs exactly the cancelled task's jobs")
        res = run("merge", merged_b, merged_b, "--json")
        done = json.loads(res.stdout) if res.stdout.startswith("{") else {}
        check(res.returncode == 0 and done.get("missing") == [] and figures(export(merged_b)) == figures(want),
              "merged again, the launch's run is complete and equals one process")

        # srun inside an allocation: the whole preset, the job id recorded.
        srun = shutil.which("srun")
        res = subprocess.run([srun, "--ntasks=1", CB, "run", preset, "--store",
                              os.path.join(tmp, "srun.sqlite"), "--json", "-q"],
                             capture_output=True, text=True, env=env, timeout=300)
        doc = json.loads(res.stdout) if res.returncode == 0 else {"jobs": []}
        check(res.returncode == 0 and len(doc["jobs"]) == 7 and doc["run"]["shard"] == ""
              and all(j["scheduler_job"] for j in doc["jobs"]),
              f"srun codecbench run: the whole preset, the Slurm job id recorded ({res.stderr.strip()[-200:]})")

        # MPI under Slurm: srun --mpi=pmix starts the ranks (Debian's Open MPI has pmix).
        if shutil.which("mpirun") and run("run", preset, "--mpi", "--dry-run", "-q").returncode == 0:
            res = subprocess.run([srun, "--mpi=pmix", "-n", "3", "--overcommit", CB, "run", preset,
                                  "--mpi", "--store", os.path.join(tmp, "pmix.sqlite"), "--json",
                                  "-q"], capture_output=True, text=True, env=env, timeout=300)
            doc = json.loads(res.stdout) if res.returncode == 0 else {"jobs": []}
            check(res.returncode == 0 and figures(doc) == figures(want)
                  and all(j["scheduler_job"] for j in doc["jobs"]),
                  f"srun --mpi=pmix -n 3 codecbench run --mpi equals one process ({res.stderr.strip()[-200:]})")
        else:
            print("SKIP: no MPI build: srun --mpi=pmix not tried")

        # An unreachable controller: one line naming sbatch's cause, exit 3.
        dead = os.path.join(tmp, "dead.conf")
        text = open(env["SLURM_CONF"]).read()
        text = "\n".join(l if not l.startswith("SlurmctldPort=") else "SlurmctldPort=1"
                         for l in text.splitlines())
        open(dead, "w").write(text + "\n")
        res = run("slurm", preset, "--dir", os.path.join(tmp, "c"), "--submit",
                  env=dict(env, SLURM_CONF=dead), timeout=120)
        err = res.stderr.strip().splitlines()
        check(res.returncode == 3 and len(err) == 1 and "sbatch refused" in err[0],
              f"unreachable controller: {err}")
    return finish()


if __name__ == "__main__":
    sys.exit(main())
