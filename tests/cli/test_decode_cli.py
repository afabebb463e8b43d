#!/usr/bin/env python3
"""CLI tests for `codecbench decode`: frame MD5s equal the ffmpeg CLI's framemd5 for every
software decoder of every test stream, thread counts 1 and 2 (and frame against slice threads)
decode identical frames, the scaling figures are re-derived from the measured times, test
streams are made once and reused, and a decoder/stream mismatch, a stream with no decoder and
a damaged stream each give one line and a documented exit code."""
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile

from harness import check, finish, validate

CB = os.environ["CODECBENCH"]
FFMPEG = os.environ.get("FFMPEG") or shutil.which("ffmpeg")
# The test streams persist in the build folder between test runs (they are made once).
CACHE = os.path.join(os.environ.get("BUILD_ROOT", tempfile.gettempdir()), "test-cache")
ENV = dict(os.environ, CODECBENCH_CACHE_DIR=CACHE)

# Software decoders per test stream (hardware ones need their device).
STREAMS = {
    "libx264": ["h264"],
    "libx265": ["hevc"],
    "libvpx-vp9": ["vp9", "libvpx-vp9"],
    "libaom-av1": ["libdav1d", "libaom-av1"],
    "libsvtav1": ["libdav1d", "libaom-av1"],
}


def run(*args, env=ENV, timeout=300):
    return subprocess.run([CB, *args], capture_output=True, text=True, timeout=timeout, env=env)


def one_line_error(res, code, words, what):
    lines = res.stderr.strip().splitlines()
    ok = res.returncode == code and len(lines) == 1 and lines[0].startswith("codecbench: error:")
    ok = ok and all(w in lines[0] for w in words)
    check(ok, f"{what}: exit {code}, one line naming {words} (got {res.returncode}: "
              f"{res.stderr.strip()[:300]})")


def ffmpeg_available(kind, name):
    out = subprocess.run([FFMPEG, "-hide_banner", f"-{kind}"], capture_output=True,
                         text=True).stdout
    return any(line.split()[1:2] == [name] for line in out.splitlines() if line.startswith(" "))


def ffmpeg_framemd5(path, decoder, threads=1, frames=None):
    cmd = [FFMPEG, "-v", "error", "-threads", str(threads), "-c:v", decoder, "-i", path,
           "-map", "0:v:0", "-fps_mode", "passthrough"]
    if frames:
        cmd += ["-frames:v", str(frames)]
    out = subprocess.run(cmd + ["-f", "framemd5", "-"], capture_output=True, text=True,
                         timeout=300)
    return [ln.rsplit(",", 1)[1].strip() for ln in out.stdout.splitlines()
            if ln and not ln.startswith("#")]


def decode(*args):
    res = run("decode", *args, "--json", "--per-frame")
    if not check(res.returncode == 0, f"decode {' '.join(args)} exits 0 "
                                      f"({res.stderr.strip()[-300:]})"):
        return None
    doc = json.loads(res.stdout)
    validate(doc, "decode")
    return doc


def frames_of(config):
    return [f["md5"] for f in config["hashed"]["frame_md5"]]


def oracle_streams():
    """Every test stream against the ffmpeg CLI, each software decoder, threads 1 and 2."""
    for name, decoders in STREAMS.items():
        if not ffmpeg_available("encoders", name):
            print(f"skip: stream:{name}: this FFmpeg has no {name} encoder")
            continue
        for dec in decoders:
            if not ffmpeg_available("decoders", dec):
                print(f"skip: stream:{name} with {dec}: no such decoder here")
                continue
            doc = decode(f"stream:{name}", "-c", dec, "--threads", "1,2", "--check-exact")
            if doc is None:
                continue
            one, two = doc["configurations"]
            check(doc["identical"] is True and one["identical"] and two["identical"],
                  f"stream:{name} {dec}: threads 1 and 2 decode identical frames")
            ours = frames_of(one)
            theirs = ffmpeg_framemd5(doc["input"], dec)
            check(len(ours) > 100 and ours == theirs,
                  f"stream:{name} {dec}: {len(ours)} frame MD5s equal ffmpeg -f framemd5's "
                  f"({len(theirs)})")
            check(frames_of(two) == theirs, f"stream:{name} {dec}: 2 threads too")


def x264_checks():
    doc = decode("stream:libx264", "--threads", "1,2", "--thread-type", "frame,slice",
                 "--repeats", "3", "--check-exact")
    if doc is None:
        return
    path = doc["input"]
    configs = doc["configurations"]
    check([(c["threads_requested"], c["thread_type_requested"]) for c in configs] ==
          [(1, "frame"), (2, "frame"), (1, "slice"), (2, "slice")],
          "configurations: thread types x thread counts, in order")
    types = {c["thread_type_requested"]: c["decoder_thread_type"] for c in configs
             if c["threads_requested"] == 2}
    check(types == {"frame": "frame", "slice": "slice"},
          f"2 threads run frame and slice threading as asked ({types})")
    check(doc["identical"] and len({c["md5"] for c in configs}) == 1,
          "frame and slice threads decode identical frames (4 slices per frame)")
    whole = subprocess.run([FFMPEG, "-v", "error", "-i", path, "-fps_mode", "passthrough",
                            "-f", "md5", "-"], capture_output=True, text=True).stdout.strip()
    check(whole == "MD5=" + configs[0]["md5"], f"output MD5 equals ffmpeg -f md5 ({whole})")
    # The figures are re-derived from the measured times.
    for t in ("frame", "slice"):
        one = next(c for c in configs if c["thread_type_requested"] == t and
                   c["threads_requested"] == 1)
        two = next(c for c in configs if c["thread_type_requested"] == t and
                   c["threads_requested"] == 2)
        t1 = statistics.median(r["decode_s"] for r in one["repeats"])
        t2 = statistics.median(r["decode_s"] for r in two["repeats"])
        check(abs(one["median_s"] - t1) < 1e-12 and abs(two["median_s"] - t2) < 1e-12,
              f"{t}: medians of the repeats' decode_s")
        check(abs(two["speedup"] - t1 / t2) < 1e-9 and abs(two["efficiency"] - t1 / t2 / 2) < 1e-9,
              f"{t}: speedup T1/T2 = {t1 / t2:.3f}, efficiency half of it")
        fit = next(s for s in doc["scaling"] if s["thread_type"] == t)
        s = t1 / t2
        f = (2 / s - 1)  # Amdahl with two points: S = 1 / (f + (1 - f) / 2)
        check(abs(fit["amdahl_serial_fraction"]["value"] - f) < 1e-6,
              f"{t}: Amdahl serial fraction {fit['amdahl_serial_fraction']['value']:.4f} = "
              f"2/S - 1 = {f:.4f}")
        rep = one["repeats"][0]
        check(abs(rep["fps"] - rep["frames"] / rep["decode_s"]) < 1e-6 and
              rep["frames"] == len(one["hashed"]["frame_md5"]) and rep["md5"] is None and
              rep["hash_s"] == 0, f"{t}: fps = frames / decode_s; the timed decodes hash nothing")
        h = one["hashed"]
        check(h["hash_s"] > 0 and h["md5"] == one["md5"],
              f"{t}: one more decode hashed the frames ({h['hash_s']:.3f} s of hashing)")
    check(doc["timing_includes_read"] is False and doc["read_s"] > 0,
          "packets read into memory before timing")

    # --frames: the first N frames, as ffmpeg -frames:v N gives them.
    doc10 = decode(path, "--frames", "10")
    if doc10:
        check(frames_of(doc10["configurations"][0]) == ffmpeg_framemd5(path, "h264", frames=10),
              "--frames 10: the first 10 frame MD5s equal ffmpeg's")
    # --include-read times reading too; the frames are the same.
    doc_r = decode(path, "--include-read", "--threads", "2")
    if doc_r:
        c = doc_r["configurations"][0]
        check(doc_r["timing_includes_read"] is True and doc_r["read_s"] == 0 and
              c["md5"] == configs[0]["md5"], "--include-read: same frames, read time inside")
    # --no-md5: no hashes, no hashing time.
    res = run("decode", path, "--no-md5", "--json")
    d = json.loads(res.stdout) if res.returncode == 0 else {}
    check(d.get("md5") is False and d["configurations"][0]["hashed"] is None and
          d["configurations"][0]["md5"] is None and len(d["configurations"][0]["repeats"]) == 1,
          "--no-md5: nothing hashed, one timed decode")
    return path


def cache_checks():
    """A stream is made once, then reused (same file, untouched)."""
    with tempfile.TemporaryDirectory() as tmp:
        env = dict(os.environ, CODECBENCH_CACHE_DIR=tmp)
        first = run("decode", "stream:libx264", "--frames", "5", "--json", env=env)
        check(first.returncode == 0 and "making test stream libx264" in first.stderr,
              "first use makes the test stream (and says so)")
        path = json.loads(first.stdout)["input"] if first.returncode == 0 else ""
        stamp = os.stat(path).st_mtime_ns if path else 0
        second = run("decode", "stream:libx264", "--frames", "5", "--json", env=env)
        check(second.returncode == 0 and "making" not in second.stderr and
              json.loads(second.stdout)["input"] == path and os.stat(path).st_mtime_ns == stamp,
              "second use reuses the cached file")
        check(path.startswith(os.path.join(tmp, "streams")) and path.endswith(".mkv") and
              not [f for f in os.listdir(os.path.dirname(path)) if f.startswith(".")],
              "kept under CACHE/streams, no partial file left")
        # Two caches (two nodes): the same job keys for a preset on stream:libx264.
        preset = os.path.join(tmp, "keys.yaml")
        open(preset, "w").write("inputs: [stream:libx264]\ndecoders: {h264: h264}\n"
                                "encoders: {m: {codec: mpeg4}}\n")
        with tempfile.TemporaryDirectory() as other:
            keys = []
            for cache in (tmp, other):
                res = run("run", preset, "--dry-run", "--json", "-q",
                          env=dict(os.environ, CODECBENCH_CACHE_DIR=cache))
                keys.append([j["key"] for j in json.loads(res.stdout)] if res.returncode == 0
                            else None)
            made = os.listdir(os.path.join(other, "streams"))
            check(keys[0] is not None and keys[0] == keys[1] and len(keys[0]) == 2 and
                  made == [os.path.basename(path)],
                  "a stream made in another cache has the same file name and job keys")
            # The same packets (the Matroska files differ in their random segment UIDs).
            def packets_md5(f):
                return subprocess.run([FFMPEG, "-v", "error", "-i", f, "-c", "copy", "-f", "md5",
                                       "-"], capture_output=True, text=True).stdout.strip()
            check(made == [os.path.basename(path)] and packets_md5(path).startswith("MD5=") and
                  packets_md5(path) == packets_md5(os.path.join(other, "streams", made[0])),
                  "made twice with one thread: the same packets")


def bad_input(path):
    with tempfile.TemporaryDirectory() as tmp:
        one_line_error(run("decode", path, "-c", "vp9"), 2, ["'vp9'", "h264", "decoders: h264"],
                       "a decoder of another codec")
        one_line_error(run("decode", path, "-c", "h264x"), 2, ["h264x", "did you mean"],
                       "an unknown decoder")
        one_line_error(run("decode", path, "--no-md5", "--check-exact"), 2, ["--check-exact"],
                       "--check-exact without MD5s")
        one_line_error(run("decode", "stream:nope"), 2, ["stream:nope", "libx264"],
                       "an unknown test stream")
        nodec = os.path.join(tmp, "nodec.nut")
        subprocess.run([FFMPEG, "-v", "quiet", "-y", "-f", "lavfi", "-i",
                        "testsrc=s=320x200:d=0.2", "-c:v", "a64multi", nodec], check=True)
        one_line_error(run("decode", nodec), 3, [nodec, "codec is unknown"],
                       "a stream no decoder here reads")
        wav = os.path.join(tmp, "a.wav")
        subprocess.run([FFMPEG, "-v", "quiet", "-y", "-f", "lavfi", "-i", "sine=d=0.2", wav],
                       check=True)
        one_line_error(run("decode", wav), 3, [wav, "no video stream"], "an audio-only file")
        one_line_error(run("decode", os.path.join(tmp, "none.mkv")), 3, ["none.mkv"],
                       "a missing file")
        # Noise over a third of the stream: concealed damage, with one thread or frame threads.
        data = bytearray(open(path, "rb").read())
        rng = random.Random(7)
        for i in range(len(data) // 3, len(data) // 3 + 20000):
            data[i] = rng.randrange(256)
        damaged = os.path.join(tmp, "damaged.mkv")
        open(damaged, "wb").write(bytes(data))
        for threads in ("1", "2"):
            one_line_error(run("decode", damaged, "--threads", threads), 3,
                           [damaged, "damaged"], f"a damaged stream, {threads} thread(s)")
            res = run("decode", damaged, "--threads", "2", "--allow-damaged", "--json")
        rep = json.loads(res.stdout)["configurations"][0]["repeats"][0] if res.returncode == 0 \
            else {}
        check(res.returncode == 0 and rep["damaged_frames"] + rep["decoder_errors"] > 0,
              "--allow-damaged decodes it and counts the damage")


def preset_checks():
    """Decode jobs in a preset: stored, exported, compared; decode_after on an encoder."""
    with tempfile.TemporaryDirectory() as tmp:
        preset = os.path.join(tmp, "p.yaml")
        city = os.path.join(os.environ["SOURCE_ROOT"], "samples", "cityCC0.mpg")
        open(preset, "w").write(f"""
inputs: [stream:libx264, {{uri: {city}, name: city, frames: 20}}]
encoders:
  x264: {{codec: libx264, options: {{preset: ultrafast}}, decode_after: true}}
decoders:
  h264: {{decoder: h264, threads: [1, 2], thread_type: [frame, slice]}}
repeats: 2
output: {{store: {tmp}/s.sqlite, keep_dir: {tmp}/kept}}
""")
        res = run("run", preset, "--json", "-q")
        if not check(res.returncode == 0, f"a preset with decoders runs ({res.stderr.strip()[-300:]})"):
            return
        doc = json.loads(res.stdout)
        validate(doc, "run")
        jobs = doc["jobs"]
        dec = [j for j in jobs if j["kind"] == "decode"]
        enc = [j for j in jobs if j["kind"] == "encode"]
        # city is MPEG-2: the h264 decoder does not apply to it; stream:libx264 gets all four.
        check(len(dec) == 4 and all(j["input"] == "stream:libx264" for j in dec) and
              len(enc) == 2, f"4 decode jobs on the H.264 stream, 2 encode jobs ({len(dec)}, {len(enc)})")
        stream = dec[0]["result"]["input"]
        whole = subprocess.run([FFMPEG, "-v", "error", "-i", stream, "-fps_mode", "passthrough",
                                "-f", "md5", "-"], capture_output=True, text=True).stdout.strip()
        check(all("MD5=" + j["result"]["md5"] == whole for j in dec),
              f"every decode job's output MD5 is ffmpeg -f md5's ({whole})")
        check(all(len(j["measurements"]) == 2 and j["encoder"] == "h264" and
                  abs(j["wall_s"]["median"] - statistics.median(m["decode_s"] for m in j["measurements"])) < 1e-12
                  for j in dec), "decode jobs: 2 timed repeats, median of their decode times")
        check(sorted((j["threads"], dict(j["options"]).get("thread_type")) for j in dec) ==
              [(1, "frame"), (1, "slice"), (2, "frame"), (2, "slice")], "threads x thread types")
        city_job = next(j for j in enc if j["input"] == "city")
        kept = os.path.join(tmp, "kept", city_job["key"] + ".mkv")
        after = city_job["result"].get("decode", {})
        kept_md5 = subprocess.run([FFMPEG, "-v", "error", "-i", kept, "-fps_mode", "passthrough",
                                   "-f", "md5", "-"], capture_output=True, text=True).stdout.strip()
        check(after.get("frames") == 20 and "MD5=" + after.get("md5", "") == kept_md5,
              f"decode_after: the kept stream's 20 frames, MD5 as ffmpeg's ({kept_md5})")
        det = city_job["result"].get("determinism", {})
        check(det.get("runs") == 2 and det.get("deterministic") is True and
              det["bitstream_md5"] == [city_job["result"]["size"]["bitstream_md5"]] * 2,
              "two repeats of a one-thread encoder: determinism recorded, one bitstream")
        # Stored and read back the same; compare flags a decoder whose frames changed.
        res2 = run("run", preset, "--json", "-q")
        b = json.loads(res2.stdout)
        first = os.path.join(tmp, "a.json")
        json.dump(doc, open(first, "w"))
        second = os.path.join(tmp, "b.json")
        json.dump(b, open(second, "w"))
        same = run("compare", first, second, "--json")
        check(same.returncode in (0, 6) and "FRAMES DIFFER" not in same.stdout,
              "compare: the same decoders decode the same frames run to run")
        for j in b["jobs"]:
            if j["kind"] == "decode":
                j["result"]["md5"] = "0" * 32
                break
        json.dump(b, open(second, "w"))
        changed = run("compare", first, second, "--json")
        flags = [f for c in json.loads(changed.stdout).get("jobs", []) for f in c.get("flags", [])] \
            if changed.stdout.strip() else []
        check(changed.returncode == 6 and "FRAMES DIFFER" in flags,
              f"compare: a changed output MD5 is FRAMES DIFFER, exit 6 ({changed.returncode})")
        shown = run("runs", "show", "1", "--store", os.path.join(tmp, "s.sqlite"), "--json")
        stored = json.loads(shown.stdout) if shown.returncode == 0 else {}
        check([j["kind"] for j in stored.get("jobs", [])] == [j["kind"] for j in jobs],
              "job kinds survive the store")
        # The report: decode jobs in the table and a decoding-speed chart, no RD curves.
        html = os.path.join(tmp, "r.html")
        rep = run("report", "1", "--store", os.path.join(tmp, "s.sqlite"), "-o", html,
                  "--figures", os.path.join(tmp, "figs"))
        check(rep.returncode == 0 and "Decoding speed" in open(html).read() and
              os.path.exists(os.path.join(tmp, "figs", "decode-speed.csv")),
              "the report charts decoding speed")

        # A sweep of decode jobs: the decoder's threads; figures from the measured times.
        sweep = os.path.join(tmp, "sw.yaml")
        open(sweep, "w").write(f"""
inputs: [{{uri: "stream:libx264", frames: 40}}]
decoders: {{h264: {{decoder: h264, thread_type: frame}}}}
output: {{store: {tmp}/sw.sqlite}}
""")
        res = run("sweep", sweep, "--threads", "1,2", "--repeats", "3", "--warmup", "0",
                  "--check-exact", "--json", "-q")
        if check(res.returncode == 0, f"sweep of decode jobs exits 0 ({res.stderr.strip()[-200:]})"):
            sw = json.loads(res.stdout)
            validate(sw, "sweep")
            p1, p2 = sw["points"]
            t1, t2 = statistics.median(p1["times_s"]), statistics.median(p2["times_s"])
            check(sw["workload"] == "decode" and sw["encoder_thread_types"] == ["frame", "none"] and
                  p1["work"] == 40 and abs(p2["speedup"] - t1 / t2) < 1e-9,
                  f"sweep: workload decode, 40 frames, speedup T1/T2 = {t1 / t2:.3f} "
                  f"({sw['encoder_thread_types']})")
            ex = sw.get("exactness", [])
            first40 = subprocess.run(
                [FFMPEG, "-v", "error", "-i", stream, "-frames:v", "40", "-fps_mode", "passthrough",
                 "-f", "md5", "-"], capture_output=True, text=True).stdout.strip()
            check([e["threads"] for e in ex] == [1, 2] and all(e["identical"] for e in ex) and
                  all("MD5=" + e["md5"] == first40 for e in ex),
                  f"sweep --check-exact: 1 and 2 threads decode the same 40 frames as ffmpeg ({first40})")

        # Encoders and decoders in one preset: swept apart, side by side.
        mixed = os.path.join(tmp, "mix.yaml")
        open(mixed, "w").write(f"""
inputs: [{{uri: "stream:libx264", frames: 20}}]
encoders: {{x264: {{codec: libx264, options: {{preset: ultrafast}}}}}}
decoders: {{h264: {{decoder: h264}}}}
metrics: [none]
output: {{store: {tmp}/mix.sqlite}}
""")
        res = run("sweep", mixed, "--threads", "1,2", "--repeats", "2", "--warmup", "0",
                  "--json", "-q")
        if check(res.returncode == 0, f"sweep of encoders and decoders ({res.stderr.strip()[-200:]})"):
            sw = json.loads(res.stdout)
            validate(sw, "sweep")
            dec = (sw.get("decoders") or [{}])[0]
            check(sw["workload"] == "encode" and dec.get("workload") == "decode" and
                  len(dec.get("points", [])) == 2 and len(sw["points"]) == 2 and
                  "fit" in dec and "fit" in sw,
                  "encoders and decoders swept apart, each with its points and fit")

        # Decoders of two thread types: one sweep each, with its own fit.
        types = os.path.join(tmp, "types.yaml")
        open(types, "w").write(f"""
inputs: [{{uri: "stream:libx264", frames: 20}}]
decoders: {{h264: {{decoder: h264, thread_type: [frame, slice]}}}}
output: {{store: {tmp}/types.sqlite}}
""")
        res = run("sweep", types, "--threads", "1,2", "--repeats", "2", "--warmup", "0",
                  "--json", "-q")
        if check(res.returncode == 0, f"sweep per thread type ({res.stderr.strip()[-200:]})"):
            sw = json.loads(res.stdout)
            validate(sw, "sweep")
            parts = [sw] + sw.get("decoders", [])
            check([p.get("thread_type") for p in parts] == ["frame", "slice"] and
                  all("fit" in p and len(p["points"]) == 2 for p in parts),
                  "frame and slice threads swept apart, each with its fit")

        bad = os.path.join(tmp, "bad.yaml")
        open(bad, "w").write(f"inputs: [{city}]\ndecoders: {{d: {{decoder: libdav1d}}}}\n"
                             f"output: {{store: {tmp}/bad.sqlite}}\n")
        one_line_error(run("run", bad), 3, ["decoders.d", "libdav1d"],
                       "a decoder that decodes no input")


def main():
    if not FFMPEG:
        print("skip: no ffmpeg CLI to compare with")
        return 77
    path = x264_checks()
    if path:
        bad_input(path)
    cache_checks()
    preset_checks()
    oracle_streams()
    return finish()


if __name__ == "__main__":
    sys.exit(main())
