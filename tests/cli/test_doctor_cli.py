#!/usr/bin/env python3
"""codecbench doctor: every fact present and typed (docs/schema/doctor.schema.json), the facts
agree with the machine's own /proc files, the probe lists encoders that work here, and every
run records the same conditions; run and sweep warn about a busy machine at their start."""
import json
import os
import subprocess
import sys
import tempfile

from harness import check, finish, validate

CB = os.environ["CODECBENCH"]


def run(*args, env=None, cwd=None, timeout=300):
    return subprocess.run([CB, *args], capture_output=True, text=True, env=env, cwd=cwd,
                          timeout=timeout)


def main():
    res = run("doctor", "--json", "--no-probe")
    check(res.returncode == 0, f"doctor --json --no-probe exits 0 ({res.stderr.strip()})")
    doc = json.loads(res.stdout)
    validate(doc, "doctor")
    m = doc["machine"]
    check(m["logical_cores"] == os.cpu_count(), f"logical cores = os.cpu_count() ({m['logical_cores']})")
    with open("/proc/meminfo") as f:
        total = int(next(l for l in f if l.startswith("MemTotal")).split()[1]) * 1024
    check(m["conditions"]["memory_total_bytes"] == total, "MemTotal as /proc/meminfo says")
    check(m["conditions"]["kernel"] == os.uname().release, "kernel release as uname says")
    with open("/proc/cpuinfo") as f:
        hyper = any(l.startswith("flags") and " hypervisor" in l for l in f)
    check(m["conditions"]["hypervisor"] == hyper, "hypervisor flag as /proc/cpuinfo says")
    kinds = {w["kind"] for w in doc["warnings"]}
    check(("virtual machine" in kinds) == hyper, "a VM is reported as a noise source exactly when it is one")
    check(doc["encoders"] is None, "no probe with --no-probe")
    check(doc["ffmpeg"]["libraries"][0]["name"] == "libavcodec"
          and "--enable-libx264" in doc["ffmpeg"]["configuration"],
          "FFmpeg's libraries and its build configuration")

    res = run("doctor", "--json")
    doc = json.loads(res.stdout)
    validate(doc, "doctor")
    usable = set(doc["encoders"]["usable"])
    check({"libx264", "mpeg4", "flac", "libopus"} <= usable,
          f"the probe finds the usual encoders usable ({len(usable)} usable)")
    check(doc["encoders"]["probed"] == len(usable) + len(doc["encoders"]["unusable"]),
          "probed = usable + unusable")
    res = run("doctor")
    check(res.returncode == 0 and "frequency governor" in res.stdout and "load average" in res.stdout,
          "the table names each fact")

    # Every run records the conditions it started under, in the run and in each job.
    with tempfile.TemporaryDirectory() as tmp:
        env = dict(os.environ, CODECBENCH_CACHE_DIR=os.path.join(tmp, "cache"))
        res = run("run", "quick", "inputs=[lavfi:testsrc2=size=64x48:rate=5:duration=1]",
                  "encoders={m: mpeg4}", "--json", "-q", env=env, cwd=tmp)
        check(res.returncode == 0, f"a run exits 0 ({res.stderr.strip()[-200:]})")
        if res.returncode == 0:
            doc = json.loads(res.stdout)
            validate(doc, "run")
            cond = doc["run"]["machine"].get("conditions")
            check(cond is not None and cond["memory_total_bytes"] == total,
                  "the run document records the conditions")
            check(all(j["machine"].get("conditions", {}).get("kernel") == os.uname().release
                      for j in doc["jobs"]), "each job records them too")
            back = run("runs", "export", "1", "--json", "--store",
                       os.path.join(tmp, "results", "codecbench.sqlite"), env=env)
            stored = json.loads(back.stdout)["run"]["machine"].get("conditions")
            check(stored == cond, "the store gives back the same conditions")
        # A busy machine: the run says so at its start (warnings enabled, a load that cannot
        # be below every core on a machine where tests run is not guaranteed, so ask for more
        # cores than there are).
        env_on = dict(env, CODECBENCH_MACHINE_WARNINGS="1")
        res = run("run", "quick", "inputs=[lavfi:testsrc2=size=64x48:rate=5:duration=1]",
                  "encoders={m: mpeg4}", f"jobs={os.cpu_count() * 4}", "threads=1",
                  env=env_on, cwd=tmp)
        load = os.getloadavg()[0]
        busy = [l for l in res.stderr.splitlines() if "the machine is busy" in l]
        expect = os.cpu_count() - load < os.cpu_count() - 0.5
        if abs(load - 0.5) < 0.3:
            print(f"SKIP: the load ({load:.2f}) is too near the threshold to check the warning")
        else:
            check(bool(busy) == expect,
                f"run warns about load exactly when the load ({load:.2f}) leaves under the cores "
                f"it wants ({busy})")
        res = run("run", "quick", "inputs=[lavfi:testsrc2=size=64x48:rate=5:duration=1]",
                  "encoders={m: mpeg4}", env=env, cwd=tmp)
        check("warning" not in res.stderr, "CODECBENCH_MACHINE_WARNINGS=0 silences them")
    return finish()


if __name__ == "__main__":
    sys.exit(main())
