#!/usr/bin/env python3
"""CLI test of `codecbench bdrate --points`: figures as the unit test's reference values,
per-input tables with an average (JCTVC-E137 data), JSON, CSV, and one-line errors."""
import csv
import io
import json
import os
import subprocess
import sys
import tempfile

from harness import check, finish, validate

CB = os.environ["CODECBENCH"]


POINTS = """curve,bitrate,quality
x265-slow,9487.76,40.037
x265-slow,4593.60,38.615
x265-slow,2486.44,36.845
x265-slow,1358.24,34.851
"x265, tuned",9787.80,40.121
"x265, tuned",4469.00,38.651
"x265, tuned",2451.52,36.970
"x265, tuned",1356.24,34.987
short,1000,30
short,2000,32
"""


# Two sequences of the JCTVC-E137 data (as in tests/unit/test_bdrate.cpp): BD-rates -0.4652 %
# and -1.8780 % with PCHIP, published in Netflix VMAF's reference test.
SEQUENCES = """input,curve,bitrate,quality
A,HM,108048.8736,43.6471
A,HM,61279.976,40.3953
A,HM,33905.6656,37.247
A,HM,18883.6928,34.2911
A,new,108061.2784,43.6768
A,new,61299.9936,40.4232
A,new,33928.7472,37.2761
A,new,18910.912,34.3147
B,HM,40433.8848,37.5761
B,HM,7622.7456,35.3756
B,HM,2394.488,33.8977
B,HM,1017.6184,32.0603
B,new,40370.12,37.5982
B,new,7587.0024,35.4025
B,new,2390.0944,33.9194
B,new,1017.0984,32.0822
"""


def run(*args):
    return subprocess.run([CB, "bdrate", *args], capture_output=True, text=True, timeout=60)


def main():
    with tempfile.TemporaryDirectory() as tmp:
        pts = os.path.join(tmp, "points.csv")
        open(pts, "w").write(POINTS)
        res = run("--points", pts, "--anchor", "x265-slow", "--test", "x265, tuned", "--json")
        doc = json.loads(res.stdout)
        validate(doc, "bdrate")
        one = doc["inputs"][0] if doc.get("inputs") else {}
        check(res.returncode == 0 and doc["schema_version"] == 1 and len(doc["inputs"]) == 1
              and one["input"] is None and one["valid"]
              and abs(one["bd_rate_pct"] - -4.4174853506) < 1e-8
              and abs(one["bd_quality"] - 0.1196927854) < 1e-8
              and doc["average"]["bd_rate_pct"] == one["bd_rate_pct"], f"pchip figures: {doc}")
        res = run("--points", pts, "--anchor", "x265-slow", "--test", "x265, tuned", "--interp", "akima")
        check(res.returncode == 0 and "BD-rate -4.43 %" in res.stdout, f"akima text: {res.stdout.strip()}")
        res = run("--points", pts, "--anchor", "x265-slow", "--test", "short", "--json")
        one = json.loads(res.stdout)["inputs"][0]
        check(not one["valid"] and "at least 4" in one["reason"] and one["bd_rate_pct"] is None
              and one["bd_quality"] is None,
              "n/a with the reason")
        seq = os.path.join(tmp, "sequences.csv")
        open(seq, "w").write(SEQUENCES)
        res = run("--points", seq, "--anchor", "HM", "--test", "new", "--json")
        doc = json.loads(res.stdout)
        validate(doc, "bdrate")
        rates = {r["input"]: r["bd_rate_pct"] for r in doc["inputs"]}
        check(res.returncode == 0 and abs(rates["A"] - -0.465215420752807) < 1e-9
              and abs(rates["B"] - -1.8779823450567612) < 1e-9
              and abs(doc["average"]["bd_rate_pct"] - (rates["A"] + rates["B"]) / 2) < 1e-12
              and doc["average"]["inputs_with_bd_rate"] == 2,
              f"per-input points and their average: {rates}, {doc.get('average')}")
        res = run("--points", seq, "--anchor", "HM", "--test", "new")
        check("average" in res.stdout and "-0.47 %" in res.stdout and "-1.88 %" in res.stdout,
              f"per-input text: {res.stdout.strip()}")
        res = run("--points", seq, "--anchor", "HM", "--test", "new", "--csv")
        rows = list(csv.DictReader(io.StringIO(res.stdout)))
        check([r["input"] for r in rows] == ["A", "B", "average"]
              and abs(float(rows[2]["bd_rate_pct"]) - doc["average"]["bd_rate_pct"]) < 1e-9,
              "per-input CSV with the average row")
        res = run("--points", pts, "--anchor", "nope", "--test", "short")
        check(res.returncode == 2 and "no curve 'nope'" in res.stderr, "unknown curve")
        res = run("--points", os.path.join(tmp, "missing.csv"), "--anchor", "a", "--test", "b")
        check(res.returncode == 3 and len(res.stderr.strip().splitlines()) == 1, "missing file")
        res = run("--points", pts, "--anchor", "x265-slow", "--test", "short", "--interp", "spline")
        check(res.returncode == 2, "bad --interp")
    return finish()


if __name__ == "__main__":
    sys.exit(main())
