#!/usr/bin/env python3
"""CLI tests for `codecbench codecs`: views, filters, JSON/CSV contracts, probe, exit codes."""
import csv
import io
import json
import os
import subprocess
import sys
import tempfile
import time

from harness import check, failures, finish, validate

CB = os.environ["CODECBENCH"]


def run(*args, expect=0):
    res = subprocess.run([CB, *args], capture_output=True, text=True, timeout=240)
    if res.returncode != expect:
        failures.append(f"{args}: exit {res.returncode}, expected {expect}\n{res.stderr}")
    return res


def main():
    # --version names the tool and every FFmpeg library.
    v = run("--version").stdout
    check(v.startswith("codecbench ") and "libavcodec" in v and "libswresample" in v,
          "--version lists tool and FFmpeg library versions")

    # Filters.
    out = run("codecs", "--type", "audio", "--lossless", "--no-legend").stdout.splitlines()
    check(len(out) > 5 and all(l[3] == "A" and l[6] == "S" for l in out),
          "--type audio --lossless keeps only lossless audio codecs")
    out = run("codecs", "--encoders", "--grep", "^libx26[45]$", "--no-legend").stdout.split("\n")
    names = [l.split()[1] for l in out if l.strip()]
    check(names == ["libx264", "libx265"], f"--grep on encoders gives {names}")
    out = run("codecs", "--intra", "--type", "video", "--no-legend").stdout.splitlines()
    check(len(out) > 5 and all(l[4] == "I" for l in out), "--intra keeps intra-only codecs")

    # JSON and CSV views.
    doc = json.loads(run("codecs", "--json").stdout)
    validate(doc, "catalog")
    check(doc["schema_version"] == 1 and doc["view"] == "codecs", "codecs --json envelope")
    h264 = [c for c in doc["items"] if c["name"] == "h264"][0]
    check(h264["type"] == "video" and "libx264" in h264["encoders"] and h264["lossy"],
          "codecs --json h264 entry")
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "enc.csv")
        res = run("codecs", "--encoders", "--csv", path)
        check("libx264" in res.stdout, "--csv FILE still prints the table on stdout")
        rows = list(csv.DictReader(open(path)))
        x264 = [r for r in rows if r["name"] == "libx264"][0]
        check(x264["codec"] == "h264" and x264["other_threads"] == "1", "encoders CSV row")
    rows = list(csv.DictReader(io.StringIO(run("codecs", "--decoders", "--csv").stdout)))
    check(any(r["name"] == "h264" for r in rows), "--csv without FILE writes CSV to stdout")

    # show
    res = run("codecs", "show", "libx264")
    check("private options" in res.stdout and "-crf" in res.stdout and "yuv420p" in res.stdout,
          "codecs show libx264 lists formats and options")
    doc = json.loads(run("codecs", "show", "libvpx-vp9", "--json").stdout)
    validate(doc, "catalog")
    enc = doc["encoders"][0]
    check(enc["name"] == "libvpx-vp9" and any(o["name"] == "deadline" for o in enc["options"]),
          "codecs show --json gives private options")
    check(len(enc["profiles"]) == 4, "libvpx-vp9 has profiles 0-3")
    res = run("codecs", "show", "libx246", expect=2)
    err = res.stderr.strip().splitlines()
    check(len(err) == 1 and "libx246" in err[0] and "libx264" in err[0],
          f"unknown name: one line with suggestion: {err}")

    # Usage errors exit 2.
    run("codecs", "--type", "nonsense", expect=2)
    run("codecs", "--grep", "([", expect=2)
    run("codecs", "--no-such-flag", expect=2)

    # Probe: the classification, within seconds.
    t0 = time.monotonic()
    res = run("codecs", "--probe", "--encoders", "--type", "video", "--json")
    elapsed = time.monotonic() - t0
    doc = json.loads(res.stdout)
    validate(doc, "catalog")
    status = {r["encoder"]: r for r in doc["items"]}
    for name in ["libx264", "libx265", "libvpx-vp9", "libaom-av1", "libsvtav1", "mpeg4", "ffv1"]:
        check(status[name]["status"] == "usable", f"probe: {name} usable ({status[name]['reason']})")
    for name in ["h264_nvenc", "h264_vaapi", "h264_qsv"]:
        r = status[name]
        check(r["status"] != "usable" and r["reason"], f"probe: {name} unusable: {r['reason']}")
    print(f"info: probed {len(status)} video encoders in {elapsed:.1f} s")
    check(elapsed < 120, "video probe finished within two minutes")
    res = run("codecs", "--probe", "--grep", "^(mpeg4|h264_vaapi)$")
    lines = res.stdout.splitlines()
    check(len(lines) == 2 and lines[0].startswith("unusable") and "h264_vaapi" in lines[0]
          and lines[1].split() == ["usable", "video", "mpeg4"],
          f"probe text view: {lines}")

    return finish()


if __name__ == "__main__":
    sys.exit(main())
