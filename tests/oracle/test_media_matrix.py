#!/usr/bin/env python3
"""Oracle: the media matrix. Every input of the corpus (tools/fetch-samples, samples/extra/)
through every encoder of its type: each finished job's figures must be FFmpeg's own, and each
refusal must be one of the expected, explained refusals below (one line, a documented exit code).

Video (libx264, libx265, libvpx-vp9, libsvtav1, mpeg4, ffv1; the first 6 frames): PSNR per plane
and average within 0.01 dB of the ffmpeg CLI's psnr filter run on the kept stream against the
same input, both brought to the format and size codecbench measured in as it does (swscale,
bicubic + accurate_rnd + full_chroma_int; a crop keeps the top-left corner), frames as stored
(-noautorotate).
Audio (libopus, aac, libmp3lame, libvorbis, flac): every channel's SNR within 0.02 dB of the SNR
between the ffmpeg CLI's decode of the kept file (whose container applies the encoder's delay:
Ogg pre-skip, MP4 edit list, LAME tag) and the input converted by the ffmpeg CLI to the rate and
layout codecbench measured at.

Skipped (exit 77, with the reason) when the corpus is absent: run tools/fetch-samples.
CODECBENCH_MATRIX_MARKDOWN=FILE writes the matrix as a Markdown table (docs/media-matrix.md).
"""
import array
import json
import math
import os
import re
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "cli"))
from harness import check, finish

SKIP = 77
CB = os.environ["CODECBENCH"]
FFMPEG = os.environ.get("FFMPEG")
CORPUS = os.path.join(os.environ["SOURCE_ROOT"], "samples", "extra")
FRAMES = 6

VIDEO_ENCODERS = {
    "libx264": ["preset=ultrafast"],
    "libx265": ["preset=ultrafast"],
    "libvpx-vp9": ["deadline=realtime", "cpu-used=8", "b=800k"],
    "libsvtav1": ["preset=12"],
    "mpeg4": ["qmin=4", "qmax=4"],
    "ffv1": [],
}
AUDIO_ENCODERS = {
    "libopus": (["b=64k"], "ogg"),
    "aac": (["b=128k"], "m4a"),
    "libmp3lame": (["b=128k"], "mp3"),
    "libvorbis": (["b=128k"], "ogg"),
    "flac": ([], "flac"),
}
# (input, encoder) -> words the one-line refusal must contain, and why it is expected.
EXPECTED_REFUSALS = {
    ("speech-8k.wav", "libvorbis"): (
        ["libvorbis", "refused to open", "encoder setup failed"],
        "libvorbis has no 128 kbit/s mode for mono 8 kHz (the ffmpeg CLI fails alike)"),
}


def run(cmd, timeout=300):
    return subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)


def metric_chain(fmt, scaled):
    """The ffmpeg filters that bring a stream to codecbench's metric format as it does."""
    if not scaled:
        return ""
    return f",scale=flags=bicubic+accurate_rnd+full_chroma_int,format={fmt}"


def ffmpeg_psnr(src, kept, doc):
    video, formats = doc["video"], doc["formats"]
    mw, mh = video["metric_width"], video["metric_height"]
    # Frames are paired by index, as codecbench pairs them (Matroska's millisecond timestamps
    # would make the filters' frame sync pair a 15 fps stream's frames off by one now and then).
    ref_chain = f"trim=end_frame={video['frames']},settb=1/25,setpts=N"
    if (mw, mh) != (video["source_width"], video["source_height"]):
        ref_chain += f",crop={mw}:{mh}:0:0"
    ref_chain += metric_chain(formats["metrics"], formats["source"] != formats["metrics"])
    dist_chain = "settb=1/25,setpts=N" + metric_chain(
        formats["metrics"], formats["decoder"] != formats["metrics"])
    res = run([FFMPEG, "-hide_banner", "-nostats", "-i", kept, "-noautorotate", "-i", src,
               "-lavfi", f"[0:v]{dist_chain}[d];[1:v]{ref_chain}[r];[d][r]psnr", "-f", "null",
               "-"])
    m = re.search(r"PSNR ((?:\w:\S+ )+)average:(\S+) min", res.stderr)
    if not m:
        return None
    planes = [number(x.split(":")[1]) for x in m.group(1).split()]
    return planes, number(m.group(2))


def number(v):
    return math.inf if v == "inf" else float(v)


def video_cell(src, enc, tmp):
    kept = os.path.join(tmp, "kept.mkv")
    cmd = [CB, "transcode", src, "-c", enc, "--frames", str(FRAMES), "--metrics", "psnr",
           "--keep", kept, "--json"]
    for o in VIDEO_ENCODERS[enc]:
        cmd += ["-o", o]
    res = run(cmd)
    if res.returncode != 0:
        return refusal(src, enc, res)
    doc = json.loads(res.stdout)
    got = ffmpeg_psnr(src, kept, doc)
    if got is None:
        return "differs", "ffmpeg printed no PSNR"
    planes, average = got
    ours = {k: number(v) for k, v in doc["quality"]["psnr"].items()}
    keys = [k for k in ["y", "u", "v", "r", "g", "b", "a"] if k in ours]
    ours_planes = [ours[k] for k in keys]
    diffs = [0.0 if a == b else abs(a - b)
             for a, b in zip(ours_planes + [ours["average"]], planes + [average])]
    note = doc["video"]["adjustment"]
    if len(ours_planes) != len(planes) or max(diffs) > 0.01:
        return "differs", (f"PSNR {[round(x, 4) for x in ours_planes]} avg {ours['average']:.4f} "
                           f"vs ffmpeg {planes} avg {average}")
    return "agrees", f"PSNR {ours['average']:.2f} dB" + (f"; {note}" if note else "")


def raw_f32(args, channels):
    res = subprocess.run([FFMPEG, "-v", "error", *args, "-f", "f32le", "-acodec", "pcm_f32le",
                          "-"], capture_output=True, timeout=120)
    if res.returncode != 0:
        return None
    samples = array.array("f")
    samples.frombytes(res.stdout)
    return [samples[c::channels] for c in range(channels)]


def layout_arg(layout):
    return layout.replace(" ", "")


def audio_cell(src, enc, tmp):
    opts, ext = AUDIO_ENCODERS[enc]
    kept = os.path.join(tmp, f"kept.{ext}")
    cmd = [CB, "transcode", src, "-c", enc, "--metrics", "snr", "--keep", kept, "--json"]
    for o in opts:
        cmd += ["-o", o]
    res = run(cmd)
    if res.returncode != 0:
        return refusal(src, enc, res)
    doc = json.loads(res.stdout)
    a = doc["audio"]
    rate, ch, layout = a["sample_rate"], a["channels"], a["channel_layout"]
    convert = ["-af", f"aresample={rate},aformat=sample_fmts=flt:channel_layouts="
                      f"{layout_arg(layout)}"]
    ref = raw_f32(["-i", src, *convert], ch)
    if "decoded it at" in a["adjustment"]:
        # A decoder at another rate (Opus: 48 kHz): codecbench brings it back to the measured
        # rate, then drops the stated delay at that rate, as the ffmpeg CLI does here with the
        # container's skip left to the filters (trimming before resampling would change the
        # resampler's first output samples).
        dec = raw_f32(["-flags2", "+skip_manual", "-i", kept, "-af",
                       f"aresample={rate},atrim=start_sample={a['encoder_delay']},"
                       f"aformat=sample_fmts=flt:channel_layouts={layout_arg(layout)}"], ch)
    else:
        dec = raw_f32(["-i", kept, *convert], ch)
    if ref is None or dec is None:
        return "differs", "the ffmpeg CLI could not decode the kept file or the input"
    n = a["samples"]
    ours = doc["quality"]["snr"]
    worst = 0.0
    for c in range(ch):
        sig = sum(x * x for x in ref[c][:n])
        noise = sum((x - y) ** 2 for x, y in zip(ref[c][:n], dec[c][:n]))
        want = math.inf if noise == 0 else 10 * math.log10(sig / noise) if sig > 0 else -math.inf
        got = ours[f"ch{c}"]
        got = math.inf if got == "inf" else float(got)
        if math.isinf(want) or math.isinf(got):
            if want != got:
                return "differs", f"channel {c}: SNR {got} vs {want}"
            continue
        worst = max(worst, abs(got - want))
    if worst > 0.02:
        return "differs", f"SNR off by {worst:.4f} dB (alignment {a.get('alignment')})"
    note = a["adjustment"]
    db = ours["db"]
    db_text = "inf" if db == "inf" else f"{float(db):.2f} dB"
    return "agrees", f"SNR {db_text}" + (f"; {note}" if note else "")


def refusal(src, enc, res):
    lines = res.stderr.strip().splitlines()
    words, why = EXPECTED_REFUSALS.get((os.path.basename(src), enc), (None, None))
    if words and res.returncode in (2, 3, 4) and len(lines) == 1 and all(w in lines[0] for w in words):
        return "refused", f"{why} (exit {res.returncode})"
    return "unexpected", f"exit {res.returncode}: {' | '.join(lines)[-300:]}"


def main():
    if not FFMPEG:
        print("SKIP: the ffmpeg CLI is not installed (apt-get install ffmpeg)")
        return SKIP
    manifest = os.path.join(CORPUS, "manifest.json")
    if not os.path.exists(manifest):
        print("SKIP: no media corpus in samples/extra/: run tools/fetch-samples")
        return SKIP
    files = json.load(open(manifest))["files"]
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for f in files:
            src = os.path.join(CORPUS, f["file"])
            encoders = VIDEO_ENCODERS if f["type"] == "video" else AUDIO_ENCODERS
            for enc in encoders:
                cell = video_cell if f["type"] == "video" else audio_cell
                status, text = cell(src, enc, tmp)
                rows.append((f, enc, status, text))
                check(status in ("agrees", "refused"),
                      f"{f['file']} -> {enc}: {status}: {text}")
    counts = {s: sum(1 for r in rows if r[2] == s) for s in ("agrees", "refused", "differs",
                                                             "unexpected")}
    print(f"info: matrix: {len(rows)} cells, {counts}")
    if os.environ.get("CODECBENCH_MATRIX_MARKDOWN"):
        with open(os.environ["CODECBENCH_MATRIX_MARKDOWN"], "w") as out:
            out.write(f"{len(rows)} cells: {counts['agrees']} finish and agree with FFmpeg, "
                      f"{counts['refused']} are expected refusals, {counts['differs']} differ, "
                      f"{counts['unexpected']} fail unexpectedly.\n\n")
            out.write("| input | what | encoder | result |\n|---|---|---|---|\n")
            for f, enc, status, text in rows:
                out.write(f"| `{f['file']}` | {f['what']} | {enc} | {status}: "
                          f"{text.replace('|', '/')} |\n")
    return finish()


if __name__ == "__main__":
    sys.exit(main())
