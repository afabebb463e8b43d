#!/usr/bin/env python3
"""CLI test of `codecbench bdrate --points`: figures as the unit test's reference values,
JSON, and one-line errors."""
import json
import os
import subprocess
import sys
import tempfile

CB = os.environ["CODECBENCH"]
failures = []


def check(cond, what):
    print(("ok: " if cond else "FAIL: ") + what)
    if not cond:
        failures.append(what)


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


def run(*args):
    return subprocess.run([CB, "bdrate", *args], capture_output=True, text=True, timeout=60)


def main():
    with tempfile.TemporaryDirectory() as tmp:
        pts = os.path.join(tmp, "points.csv")
        open(pts, "w").write(POINTS)
        res = run("--points", pts, "--anchor", "x265-slow", "--test", "x265, tuned", "--json")
        doc = json.loads(res.stdout)
        check(res.returncode == 0 and doc["valid"] and abs(doc["bd_rate_pct"] - -4.4174853506) < 1e-8
              and abs(doc["bd_quality"] - 0.1196927854) < 1e-8, f"pchip figures: {doc}")
        res = run("--points", pts, "--anchor", "x265-slow", "--test", "x265, tuned", "--interp", "akima")
        check(res.returncode == 0 and "BD-rate -4.43 %" in res.stdout, f"akima text: {res.stdout.strip()}")
        res = run("--points", pts, "--anchor", "x265-slow", "--test", "short", "--json")
        doc = json.loads(res.stdout)
        check(not doc["valid"] and "at least 4" in doc["reason"] and doc["bd_rate_pct"] is None
              and doc["bd_quality"] is None,
              "n/a with the reason")
        res = run("--points", pts, "--anchor", "nope", "--test", "short")
        check(res.returncode == 2 and "no curve 'nope'" in res.stderr, "unknown curve")
        res = run("--points", os.path.join(tmp, "missing.csv"), "--anchor", "a", "--test", "b")
        check(res.returncode == 3 and len(res.stderr.strip().splitlines()) == 1, "missing file")
        res = run("--points", pts, "--anchor", "x265-slow", "--test", "short", "--interp", "spline")
        check(res.returncode == 2, "bad --interp")
    print(f"{'FAILED' if failures else 'passed'}: {len(failures)} failure(s)")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
