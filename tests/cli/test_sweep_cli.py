#!/usr/bin/env python3
"""Integration test of `codecbench sweep`: a real two-point sweep, and every figure in its
output checked against the measured times; the store, CSV and plots."""
import csv
import io
import json
import os
import sqlite3
import subprocess
import sys
import tempfile
import xml.dom.minidom

from harness import check, finish, validate

CB = os.environ["CODECBENCH"]
ROOT = os.environ["SOURCE_ROOT"]


def median(v):
    v = sorted(v)
    n = len(v)
    return v[n // 2] if n % 2 else (v[n // 2 - 1] + v[n // 2]) / 2


PRESET = """
inputs: [{uri: "lavfi:testsrc2=size=320x240:rate=25:duration=2", frames: 25}]
encoders:
  a: {codec: mpeg4, options: {b: 300k}}
  b: {codec: mpeg4, options: {b: 600k}}
metrics: [none]
output: {store: "${oc.env:STORE}"}
"""


def run(*args, env):
    return subprocess.run([CB, *args], capture_output=True, text=True, timeout=300, cwd=ROOT, env=env)


def main():
    with tempfile.TemporaryDirectory() as tmp:
        env = dict(os.environ, STORE=os.path.join(tmp, "s.sqlite"))
        preset = os.path.join(tmp, "p.yaml")
        open(preset, "w").write(PRESET)
        plots = os.path.join(tmp, "plots")
        res = run("sweep", preset, "--threads", "1,2", "--level", "jobs", "--repeats", "3",
                  "--warmup", "0", "--json", "--plots", plots, env=env)
        check(res.returncode == 0, f"sweep runs ({res.stderr.strip()[-300:]})")
        doc = json.loads(res.stdout)
        validate(doc, "sweep")
        p1, p2 = doc["points"]
        check(p1["n"] == 1 and p2["n"] == 2 and len(p1["times_s"]) == 3, "two points, three repeats")
        for p in (p1, p2):
            check(abs(p["median_s"] - median(p["times_s"])) < 1e-12, f"N={p['n']}: median of the times")
            check(abs(p["throughput"] - p["work"] / p["median_s"]) < 1e-9, f"N={p['n']}: throughput")
        s2 = p1["median_s"] / p2["median_s"]
        check(abs(p2["speedup"] - s2) < 1e-12, "speedup = T(1)/T(2)")
        check(abs(p2["efficiency"] - s2 / 2) < 1e-12, "efficiency = S/N")
        check(abs(p2["karp_flatt"] - (1 / s2 - 0.5) / 0.5) < 1e-12, "Karp-Flatt = (1/S - 1/N)/(1 - 1/N)")
        check(p1["work"] == p2["work"] == 50, "strong: the same 50 frames at every N")
        # With two points Amdahl fits exactly: f equals Karp-Flatt at N=2.
        check(doc["fit"]["law"] == "amdahl" and abs(doc["fit"]["value"] - p2["karp_flatt"]) < 1e-6,
              f"Amdahl f {doc['fit']['value']:.4f} = Karp-Flatt {p2['karp_flatt']:.4f}")
        lo, hi = doc["fit"]["ci95"]
        check(lo <= doc["fit"]["value"] + 1e-9 and doc["fit"]["value"] <= hi + 1e-9, "interval holds the fit")
        check(doc["physical_cores"] >= 1 and doc["logical_cores"] >= doc["physical_cores"], "cores recorded")
        for name in ("speedup.svg", "efficiency.svg", "throughput.svg"):
            path = os.path.join(plots, name)
            ok = os.path.exists(path)
            if ok:
                xml.dom.minidom.parse(path)
            check(ok and "<polyline" in open(path).read(), f"plot {name} written and well-formed")
            png = path[:-4] + ".png"
            check(os.path.exists(png) and open(png, "rb").read(8) == b"\x89PNG\r\n\x1a\n",
                  f"plot {name[:-4]}.png written")
        db = sqlite3.connect(env["STORE"])
        rows = db.execute("select level, mode, fit_law, fit_value from sweeps").fetchall()
        check(len(rows) == 1 and rows[0][:3] == ("jobs", "strong", "amdahl"), f"sweep stored: {rows}")
        (points,) = db.execute("select count(*) from sweep_points").fetchone()
        check(points == 2, "sweep points stored")

        # Weak scaling: the work doubles with N; scaled speedup = N T(1)/T(N).
        res = run("sweep", preset, "--threads", "1,2", "--level", "codec", "--mode", "weak",
                  "--repeats", "1", "--warmup", "0", "--no-store", "--csv", env=env)
        rows = list(csv.DictReader(io.StringIO(res.stdout)))
        check(res.returncode == 0 and len(rows) == 2, f"weak sweep CSV ({res.stderr.strip()[-200:]})")
        if len(rows) == 2:
            w1, w2 = float(rows[0]["work"]), float(rows[1]["work"])
            t1, t2 = float(rows[0]["median_s"]), float(rows[1]["median_s"])
            check(w2 == 2 * w1, "weak: N times the frames")
            check(abs(float(rows[1]["scaled_speedup"]) - 2 * t1 / t2) < 1e-9, "scaled speedup")
            check(rows[1]["fit.law"] == "gustafson", "Gustafson fit for weak scaling")

        res = run("sweep", preset, "--threads", "1,x", env=env)
        check(res.returncode == 2 and "--threads" in res.stderr, "bad --threads is a usage error")
        bad = os.path.join(tmp, "bad.yaml")
        open(bad, "w").write(PRESET.replace(", frames: 25", ""))
        res = run("sweep", bad, "--mode", "weak", "--threads", "1,2", "--no-store", env=env)
        check(res.returncode == 2 and "frames:" in res.stderr, "weak codec sweep needs trimmed inputs")
    return finish()


if __name__ == "__main__":
    sys.exit(main())
