#!/usr/bin/env python3
"""codecbench over real Open MPI ranks: `mpirun -n 3 codecbench run PRESET --mpi` (rank 0
hands out jobs, ranks 1 and 2 run them) gives the same jobs, sizes and quality as one process,
in one store; a single rank runs everything itself; ranks that expanded different job lists
are refused with one line (exit 3) and nothing is mixed."""
import json
import os
import shutil
import subprocess
import sys
import tempfile

from harness import SEVEN_JOBS, check, figures, finish, validate

CB = os.environ["CODECBENCH"]
if os.environ.get("ASAN_OPTIONS"):
    # Under tools/sanitize: Open MPI's plugins leak at finalize and are unloaded, so their leaks
    # cannot be suppressed by name. Leak checking is off for the MPI ranks only; memory errors
    # and undefined behaviour are still caught, and the same code's leaks are checked in every
    # other test.
    os.environ["ASAN_OPTIONS"] += ":detect_leaks=0"

PRESET = SEVEN_JOBS


def run(*args, timeout=300):
    return subprocess.run([CB, *args], capture_output=True, text=True, timeout=timeout)


def mpirun(n, *args, timeout=300):
    # As root Open MPI needs --allow-run-as-root; --oversubscribe allows 3 ranks on 2 cores.
    return subprocess.run(["mpirun", "--allow-run-as-root", "--oversubscribe", "-n", str(n), CB,
                           *args], capture_output=True, text=True, timeout=timeout)


def main():
    if shutil.which("mpirun") is None:
        print("SKIP: mpirun is not installed (tools/bootstrap installs openmpi-bin)")
        return finish()
    with tempfile.TemporaryDirectory() as tmp:
        preset = os.path.join(tmp, "p.yaml")
        open(preset, "w").write(PRESET)
        probe = run("run", preset, "--mpi", "--dry-run", "-q")
        if probe.returncode == 2 and "built without MPI" in probe.stderr:
            print("SKIP: this codecbench was built without MPI (-Dmpi)")
            return finish()
        res = run("run", preset, "--store", os.path.join(tmp, "single.sqlite"), "--json", "-q")
        want = json.loads(res.stdout)

        res = mpirun(3, "run", preset, "--mpi", "--store", os.path.join(tmp, "mpi.sqlite"),
                     "--json", "-q")
        doc = json.loads(res.stdout) if res.returncode == 0 else {"jobs": []}
        if res.returncode == 0:
            validate(doc, "run")
        check(res.returncode == 0 and figures(doc) == figures(want)
              and [j["index"] for j in doc["jobs"]] == list(range(7)),
              f"mpirun -n 3: the same jobs, sizes and quality as one process ({res.stderr.strip()[-300:]})")
        exported = run("runs", "export", "1", "--store", os.path.join(tmp, "mpi.sqlite"), "--json")
        check(exported.returncode == 0 and json.loads(exported.stdout) == doc,
              "every result committed by rank 0 to the one store")

        res = mpirun(1, "run", preset, "--mpi", "--store", os.path.join(tmp, "one.sqlite"),
                     "--json", "-q")
        doc = json.loads(res.stdout) if res.returncode == 0 else {"jobs": []}
        check(res.returncode == 0 and figures(doc) == figures(want), "one rank runs everything")

        # Scaling over ranks: strong (the same jobs on 1 and 2 worker ranks) and weak (the job
        # list replicated per rank), with the usual analysis.
        for mode in ("strong", "weak"):
            res = run("sweep", preset, "--level", "ranks", "--mode", mode, "--threads", "1,2",
                      "--repeats", "2", "--warmup", "0", "--no-store", "--json", "-q",
                      "--mpirun-arg=--allow-run-as-root", "--mpirun-arg=--oversubscribe")
            doc = json.loads(res.stdout) if res.returncode == 0 else {}
            if doc:
                validate(doc, "sweep")
            points = doc.get("points", [])
            check(res.returncode == 0 and doc.get("level") == "ranks" and [p["n"] for p in points] == [1, 2]
                  and [p["work"] for p in points] == ([7, 7] if mode == "strong" else [7, 14])
                  and all(len(p["times_s"]) == 2 and p["median_s"] > 0 for p in points)
                  and "fit" in doc and points[0]["efficiency"] == 1.0,
                  f"sweep --level ranks --mode {mode}: {[(p['n'], p['work'], round(p['median_s'], 2)) for p in points]} "
                  f"({res.stderr.strip()[-200:]})")
        res = run("sweep", preset, "--level", "ranks", "--threads", "1", "--repeats", "1",
                  "--warmup", "0", "--no-store", "--mpirun", "no-such-mpirun")
        check(res.returncode == 3 and "no-such-mpirun" in res.stderr
              and len(res.stderr.strip().splitlines()) == 1, "a missing launcher is one line, exit 3")

        mixed = os.path.join(tmp, "mixed.sqlite")
        res = subprocess.run(["mpirun", "--allow-run-as-root", "--oversubscribe",
                              "-n", "1", CB, "run", preset, "--mpi", "--store", mixed, "-q", ":",
                              "-n", "1", CB, "run", preset, "encoders.m.axes.b=[100k]", "--mpi",
                              "--store", mixed, "-q"],
                             capture_output=True, text=True, timeout=300)
        ours = [l for l in res.stderr.splitlines() if l.startswith("codecbench:")]
        check(res.returncode == 3 and len(ours) == 1 and "expanded another job list" in ours[0],
              f"ranks with different job lists: {ours}")
    return finish()


if __name__ == "__main__":
    sys.exit(main())
