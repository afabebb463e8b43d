#!/usr/bin/env python3
"""CLI test of scaled ladders and `codecbench hull`: the city clip at three resolutions x four
CRFs with libx264; the hull is checked against every point by brute force (no point above it,
every vertex a point, concave), the ladder and crossovers against the points, `bdrate --hull`
against BD-rate over the hull points given as a points file, and bad input gives one line and
its exit code with the finished jobs kept."""
import itertools
import json
import os
import subprocess
import sys
import tempfile

from harness import check, finish, validate

CB = os.environ["CODECBENCH"]
CITY = os.path.join(os.environ["SOURCE_ROOT"], "samples", "cityCC0.mpg")

PRESET = """name: ladder
inputs:
  - {{uri: {city}, frames: 8}}
encoders:
  x264:
    codec: libx264
    options: {{preset: veryfast}}
    axes: {{crf: [20, 27, 34, 41]}}
    scale: [source, 288p, 180p]
  fast:
    codec: libx264
    options: {{preset: ultrafast}}
    axes: {{crf: [20, 27, 34, 41]}}
    scale: [source, 288p, 180p]
metrics: [psnr]
output: {{store: {store}}}
"""


def cb(*args, timeout=600):
    return subprocess.run([CB, *args], capture_output=True, text=True, timeout=timeout)


def one_line(res, code, words, what):
    lines = res.stderr.strip().splitlines()
    check(res.returncode == code, f"{what}: exit {res.returncode} (want {code})")
    check(len(lines) == 1 and all(w in lines[0] for w in words),
          f"{what}: one line with {words}: {lines}")


def under_hull(hull, rate, q):
    """Whether (rate, q) lies on or under the hull's chords (or left/right of it, lower)."""
    pts = [(p["bitrate_kbps"], p["quality"]) for p in hull]
    if rate < pts[0][0]:
        return q < pts[0][1]
    if rate > pts[-1][0]:
        return q <= pts[-1][1]
    for (r0, q0), (r1, q1) in zip(pts, pts[1:]):
        if r0 <= rate <= r1:
            return q <= q0 + (rate - r0) / (r1 - r0) * (q1 - q0) + 1e-9
    return q <= pts[0][1] + 1e-9


def brute_hull(points):
    """Upper hull vertices by brute force: a point is a vertex when no pair of other points has
    a chord at or above it and no point dominates it."""
    out = []
    for i, (r, q) in enumerate(points):
        dominated = any((r2 <= r and q2 >= q) and (r2, q2) != (r, q)
                        for r2, q2 in points)
        if dominated:
            continue
        below = False
        for (ra, qa), (rb, qb) in itertools.combinations(points, 2):
            if ra > rb:
                ra, qa, rb, qb = rb, qb, ra, qa
            if ra < r < rb and qa + (r - ra) / (rb - ra) * (qb - qa) >= q - 1e-12:
                below = True
                break
        if not below:
            out.append((r, q))
    return sorted(out)


def main():
    with tempfile.TemporaryDirectory() as tmp:
        store = os.path.join(tmp, "s.sqlite")
        preset = os.path.join(tmp, "ladder.yaml")
        with open(preset, "w") as f:
            f.write(PRESET.format(city=CITY, store=store))
        res = cb("hull", preset, "--json", "-q", "--rates", "100,400,5000",
                 "--qualities", "30,33,60")
        if not check(res.returncode == 0, f"hull runs: exit {res.returncode} {res.stderr[-500:]}"):
            return finish()
        doc = json.loads(res.stdout)
        check(validate(doc, "hull"), "hull --json matches docs/schema/hull.schema.json")
        check(doc["metric"] == "psnr", f"metric defaults to psnr without vmaf ({doc['metric']})")
        run = json.loads(cb("runs", "export", "1", "--store", store, "--json").stdout)
        check(len(run["jobs"]) == 24, f"24 jobs stored ({len(run['jobs'])})")
        sizes = {}
        for j in run["jobs"]:
            v = j["result"]["video"]
            sizes.setdefault(j.get("scale", "source"), set()).add((v["width"], v["height"]))
            check(j["status"] == "ok", f"job {j['key']} ok")
            # Scaled rungs are measured at the source's 720x405; the unscaled one at libx264's
            # crop to 720x404 (4:2:0 needs an even height), as every unscaled job is.
            want = (720, 405) if "scale" in j else (720, 404)
            check((v["metric_width"], v["metric_height"]) == want,
                  f"job {j.get('scale', 'source')} measured at {want}")
        check(sizes == {"source": {(720, 404)}, "288p": {(512, 288)}, "180p": {(320, 180)}},
              f"three resolutions encoded ({sizes})")
        by_label = {h["encoder_label"]: h for h in doc["hulls"]}
        check(set(by_label) == {"x264", "fast"}, f"a hull per encoder ({set(by_label)})")
        for label, h in by_label.items():
            points = [(j["result"]["size"]["bitrate_kbps"], j["result"]["quality"]["psnr"]["average"])
                      for j in run["jobs"] if j["encoder_label"] == label]
            check(h["points"] == 12, f"{label}: 12 points ({h['points']})")
            got = [(p["bitrate_kbps"], p["quality"]) for p in h["hull"]]
            want = brute_hull(points)
            check(len(got) == len(want) and all(abs(a[0] - b[0]) < 1e-6 and abs(a[1] - b[1]) < 1e-9
                                                for a, b in zip(got, want)),
                  f"{label}: hull {len(got)} vertices = brute force {len(want)}")
            check(all(under_hull(h["hull"], r, q) for r, q in points),
                  f"{label}: every point on or under the hull")
            check(len({p["resolution"] for p in h["hull"]}) >= 2,
                  f"{label}: the hull uses more than one resolution "
                  f"({[p['resolution'] for p in h['hull']]})")
            # Ladder: the best hull point within each budget, the cheapest reaching each quality.
            for entry in h["ladder"]:
                if "target_kbps" in entry:
                    within = [p for p in h["hull"] if p["bitrate_kbps"] <= entry["target_kbps"]]
                    want_p = max(within, key=lambda p: p["quality"]) if within else None
                else:
                    reach = [p for p in h["hull"] if p["quality"] >= entry["target_quality"]]
                    want_p = min(reach, key=lambda p: p["bitrate_kbps"]) if reach else None
                check(entry["point"] == want_p, f"{label}: ladder {entry}")
            check(h["ladder"][-1]["point"] is None, f"{label}: PSNR 60 is out of reach")
            for c in h["crossovers"]:
                check(c["from"] != c["to"] and c["bitrate_kbps"] > 0,
                      f"{label}: crossover {c['from']} -> {c['to']} at {c['bitrate_kbps']:.1f}")

        # The same from the stored run, and CSV rows one per hull point.
        again = cb("hull", "--run", "1", "--store", store, "--json", "--rates", "100,400,5000",
                   "--qualities", "30,33,60")
        check(again.returncode == 0 and json.loads(again.stdout)["hulls"] == doc["hulls"],
              "hull --run 1 gives the same hulls")
        csv_out = cb("hull", "--run", "1", "--store", store, "--csv").stdout.splitlines()
        check(len(csv_out) == 1 + sum(len(h["hull"]) for h in doc["hulls"]),
              f"CSV: one row per hull point ({len(csv_out) - 1})")

        # bdrate --hull = bdrate over the hull points as a points file.
        res = cb("bdrate", "--store", store, "--anchor", "fast", "--test", "x264", "--hull",
                 "--metric", "psnr", "--json")
        check(res.returncode == 0, f"bdrate --hull: exit {res.returncode} {res.stderr}")
        bd = json.loads(res.stdout)
        check(validate(bd, "bdrate") and bd.get("hull") is True, "bdrate --hull document")
        pts = os.path.join(tmp, "hull.csv")
        with open(pts, "w") as f:
            f.write("curve,bitrate,quality\n")
            for h in doc["hulls"]:
                for p in h["hull"]:
                    f.write(f"{h['encoder_label']},{p['bitrate_kbps']!r},{p['quality']!r}\n")
        ref = json.loads(cb("bdrate", "--points", pts, "--anchor", "fast", "--test", "x264",
                            "--json").stdout)
        a, b = bd["inputs"][0], ref["inputs"][0]
        check(a["valid"] == b["valid"] and (not a["valid"] or abs(a["bd_rate_pct"] - b["bd_rate_pct"]) < 1e-9),
              f"bdrate --hull {a['bd_rate_pct']} = over the hull points {b['bd_rate_pct']}")
        # Per-rung curves are labelled with their scale.
        res = cb("bdrate", "--store", store, "--anchor", "fast@288p", "--test", "x264@288p",
                 "--metric", "psnr", "--json")
        check(res.returncode == 0 and json.loads(res.stdout)["inputs"][0]["valid"],
              f"bdrate between two rungs (fast@288p, x264@288p): {res.stderr.strip()}")

        # The report draws each ladder's hull and, with --ladder-rates, the chosen points.
        html = os.path.join(tmp, "r.html")
        res = cb("report", "1", "--store", store, "-o", html, "-q", "--ladder-rates", "100,400")
        text = open(html).read() if res.returncode == 0 else ""
        check(res.returncode == 0 and '"x264 hull"' in text and '"x264 ladder"' in text
              and '"x264@288p"' in text,
              f"report: per-rung curves, the hull and the ladder drawn ({res.stderr.strip()})")
        res = cb("report", "1", "--store", store, "-o", html, "-q")
        check(res.returncode == 0 and '"x264 ladder"' not in open(html).read(),
              "report: no ladder without --ladder-rates")
        one_line(cb("report", "1", "--store", store, "-o", html, "--ladder-rates", "0"), 2,
                 ["--ladder-rates"], "a ladder rate that is not positive")

        # Bad input: one line, documented exit codes.
        one_line(cb("hull", "--store", store), 2, ["PRESET", "--run"], "neither PRESET nor --run")
        one_line(cb("hull", "--run", "1", "--store", store, "--rates", "10,abc"), 2,
                 ["--rates", "abc"], "a rate that is not a number")
        one_line(cb("hull", "--run", "1", "--store", store, "--metric", "vmaf"), 3,
                 ["no finished encode job measured vmaf"], "a metric the run did not measure")
        one_line(cb("bdrate", "--points", pts, "--anchor", "fast", "--test", "x264", "--hull"), 2,
                 ["--hull needs a RUN"], "--hull with a points file")
        big = os.path.join(tmp, "big.yaml")
        with open(big, "w") as f:
            f.write(PRESET.format(city=CITY, store=os.path.join(tmp, "big.sqlite"))
                    .replace("[source, 288p, 180p]", "[1080p, 180p]")
                    .replace("[20, 27, 34, 41]", "[30]"))
        res = cb("hull", big, "-q", "--json")
        check(res.returncode == 5, f"a rung larger than the source: exit {res.returncode} (want 5)")
        kept = json.loads(cb("runs", "export", "1", "--store", os.path.join(tmp, "big.sqlite"),
                             "--json").stdout)
        failed = [j for j in kept["jobs"] if j["status"] == "failed"]
        check(len(failed) == 2 and all("larger than the source" in j["error"] and
                                       "allow_upscale" in j["error"] for j in failed),
              f"the 1080p jobs fail naming the cause ({[j['error'] for j in failed]})")
        check(sum(j["status"] == "ok" for j in kept["jobs"]) == 2, "the 180p jobs are kept")
        check(res.stdout and len(json.loads(res.stdout)["hulls"]) == 2,
              "the hull of what finished is still given")
    return finish()


if __name__ == "__main__":
    sys.exit(main())
