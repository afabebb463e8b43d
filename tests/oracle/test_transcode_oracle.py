#!/usr/bin/env python3
"""Oracle: codecbench's PSNR and SSIM must agree with the ffmpeg CLI's psnr and ssim filters
run on the kept stream against the same reference (0.01 dB per plane and combined for PSNR,
0.0005 for SSIM), on a synthetic source and on the real city clip, for libx264, libvpx-vp9 and
mpeg4. Scaled encodes (--scale): the frames fed to the encoder are bit-identical to FFmpeg's
scale filter with the same flags, and PSNR/SSIM agree with the filters run on the decoded
stream scaled back up to the reference's size."""
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
CITY = os.path.join(os.environ["SOURCE_ROOT"], "samples", "cityCC0.mpg")

CASES = [
    # (encoder, options, input, frames)
    ("libx264", ["crf=30", "preset=veryfast"], "lavfi:testsrc2=size=352x288:rate=25:duration=1", None),
    ("libx264", ["crf=28"], CITY, 25),  # 720x405: codecbench crops to 720x404 for libx264
    ("libvpx-vp9", ["b=600k", "deadline=realtime", "cpu-used=8"],
     "lavfi:testsrc2=size=352x288:rate=25:duration=1", None),
    ("libvpx-vp9", ["crf=40", "b=0", "deadline=good", "cpu-used=5"], CITY, 20),
    ("mpeg4", ["qmin=6", "qmax=6"], "lavfi:mandelbrot=size=320x240:rate=25,format=yuv420p", 25),
    ("mpeg4", ["b=1M"], CITY, 25),
]

# (encoder, options, scale, scaler, frames) on the city clip (720x405).
SCALED_CASES = [
    ("libx264", ["crf=28"], "360p", "bicubic", 25),
    ("libx264", ["crf=35"], "426x240", "lanczos", 20),
    ("mpeg4", ["qmin=5", "qmax=5"], "x288", "bilinear", 20),
]


def sws_flags(scaler):
    # What codecbench asks swscale for (src/media/transcode.cpp).
    return f"{scaler}+accurate_rnd+full_chroma_int"


def ffmpeg_figures(kept, uri, frames, video, cpuflags=None):
    if uri.startswith("lavfi:"):
        ref_in = ["-f", "lavfi", "-i", uri[len("lavfi:"):]]
    else:
        ref_in = ["-i", uri]
    ref_chain = "setpts=PTS-STARTPTS"
    dist_chain = "setpts=PTS-STARTPTS"
    if video.get("scaler"):
        dist_chain += (f",scale={video['metric_width']}:{video['metric_height']}"
                       f":flags={sws_flags(video['scaler'])}")
    if frames:
        ref_chain = f"trim=end_frame={frames}," + ref_chain
    measured = (video["metric_width"], video["metric_height"])
    if measured != (video["source_width"], video["source_height"]):
        ref_chain += f",crop={measured[0]}:{measured[1]}:0:0"
    graph = (f"[0:v]{dist_chain},split[d1][d2];[1:v]{ref_chain},split[r1][r2];"
             "[d1][r1]psnr;[d2][r2]ssim")
    flags = ["-cpuflags", cpuflags] if cpuflags is not None else []
    res = subprocess.run([FFMPEG, "-hide_banner", "-nostats", *flags, "-i", kept, *ref_in,
                          "-lavfi", graph, "-f", "null", "-"], capture_output=True, text=True,
                         timeout=300)
    psnr = re.search(r"PSNR y:(\S+) u:(\S+) v:(\S+) average:(\S+) min:(\S+) max:(\S+)", res.stderr)
    ssim = re.search(r"SSIM Y:(\S+) \(\S+\) U:(\S+) \(\S+\) V:(\S+) \(\S+\) All:(\S+)", res.stderr)
    if not psnr or not ssim:
        print(res.stderr[-2000:])
        raise RuntimeError("ffmpeg printed no PSNR/SSIM summary")
    p = dict(zip(["y", "u", "v", "average", "min", "max"], map(float, psnr.groups())))
    s = dict(zip(["y", "u", "v", "all"], map(float, ssim.groups())))
    return p, s


def main():
    if not FFMPEG:
        print("SKIP: the ffmpeg CLI is not installed (apt-get install ffmpeg)")
        return SKIP
    with tempfile.TemporaryDirectory() as tmp:
        for i, (enc, opts, uri, frames) in enumerate(CASES):
            kept = os.path.join(tmp, f"case{i}.mkv")
            cmd = [CB, "transcode", uri, "-c", enc, "--keep", kept, "--json"]
            for o in opts:
                cmd += ["-o", o]
            if frames:
                cmd += ["--frames", str(frames)]
            res = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
            if res.returncode != 0:
                check(False, f"{enc} on {uri}: exit {res.returncode}: {res.stderr.strip()}")
                continue
            doc = json.loads(res.stdout)
            video = doc["video"]
            p, s = ffmpeg_figures(kept, uri, frames, video)
            ours_p = doc["quality"]["psnr"]
            ours_s = doc["quality"]["ssim"]
            label = f"{enc} {' '.join(opts)} on {os.path.basename(uri)[:40]} ({video['frames']} frames)"
            for k in ["y", "u", "v", "average", "min", "max"]:
                check(abs(ours_p[k] - p[k]) <= 0.01,
                      f"{label}: PSNR {k} {ours_p[k]:.6f} vs ffmpeg {p[k]:.6f}")
            for k in ["y", "u", "v", "all"]:
                check(abs(ours_s[k] - s[k]) <= 0.0005,
                      f"{label}: SSIM {k} {ours_s[k]:.6f} vs ffmpeg {s[k]:.6f}")
            # FFmpeg's C code path (no SIMD) is the exact definition; its x86 SSE4 SSIM kernel
            # miscounts the windows at the end of a line when (plane_width/4 - 1) % 4 == 1
            # (chroma of the 720-wide city clip), so the exact comparison is with -cpuflags 0.
            # Only where the reference itself does not depend on cpuflags (swscale's C and SIMD
            # paths differ: mandelbrot's rgb0 -> yuv420p conversion), i.e. the PSNRs agree.
            p0, s0 = ffmpeg_figures(kept, uri, frames, video, cpuflags="0")
            same_reference = all(abs(p0[k] - p[k]) < 1e-6 for k in ["y", "u", "v"])
            print(f"info: {label}: reference identical with -cpuflags 0: {same_reference}")
            for k in ["y", "u", "v", "all"] if same_reference else []:
                check(abs(ours_s[k] - s0[k]) <= 2e-6,
                      f"{label}: SSIM {k} {ours_s[k]:.6f} vs ffmpeg C path {s0[k]:.6f}")
            check(doc["size"]["kept_bytes"] > doc["size"]["bitstream_bytes"] * 0.9,
                  f"{label}: kept file holds the stream")
        check_scaled(tmp)
        check_exact_start(tmp)
        check_image_sequence(tmp)
        check_vfr(tmp)
        check_rotation_and_fields(tmp)
        check_opus_alignment(tmp)
    return finish()


def framemd5(cmd):
    res = subprocess.run(cmd + ["-f", "framemd5", "-"], capture_output=True, text=True, timeout=300)
    return [line.split(",")[-1].strip() for line in res.stdout.splitlines()
            if line and not line.startswith("#")]


def check_scaled(tmp):
    for i, (enc, opts, scale, scaler, frames) in enumerate(SCALED_CASES):
        label = f"{enc} {' '.join(opts)} --scale {scale} --scaler {scaler}"
        kept = os.path.join(tmp, f"scaled{i}.mkv")
        cmd = [CB, "transcode", CITY, "-c", enc, "--scale", scale, "--scaler", scaler,
               "--frames", str(frames), "--keep", kept, "--json"]
        for o in opts:
            cmd += ["-o", o]
        res = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
        if res.returncode != 0:
            check(False, f"{label}: exit {res.returncode}: {res.stderr.strip()}")
            continue
        doc = json.loads(res.stdout)
        video = doc["video"]
        check(video.get("scaler") == scaler, f"{label}: scaler recorded ({video.get('scaler')})")
        check((video["metric_width"], video["metric_height"]) == (720, 405),
              f"{label}: measured at the reference's 720x405 "
              f"({video['metric_width']}x{video['metric_height']})")
        p, s = ffmpeg_figures(kept, CITY, frames, video)
        for k in ["y", "u", "v", "average", "min", "max"]:
            check(abs(doc["quality"]["psnr"][k] - p[k]) <= 0.01,
                  f"{label}: PSNR {k} {doc['quality']['psnr'][k]:.6f} vs ffmpeg {p[k]:.6f}")
        # SSIM against FFmpeg's exact C path where its upscale gives the same frames (the PSNRs
        # agree), since its SSE4 kernel miscounts on the 360-wide chroma (see main()); else
        # against the default path within the usual tolerance.
        p0, s0 = ffmpeg_figures(kept, CITY, frames, video, cpuflags="0")
        exact = all(abs(p0[k] - doc["quality"]["psnr"][k]) < 1e-5 for k in ["y", "u", "v"])
        for k in ["y", "u", "v", "all"]:
            want, tol = (s0[k], 2e-6) if exact else (s[k], 0.0005)
            check(abs(doc["quality"]["ssim"][k] - want) <= tol,
                  f"{label}: SSIM {k} {doc['quality']['ssim'][k]:.6f} vs ffmpeg "
                  f"{'C path ' if exact else ''}{want:.6f}")
        # The downscale itself: a lossless encode of the same frames against FFmpeg's filter.
        lossless = os.path.join(tmp, f"scaled{i}.ffv1.mkv")
        res = subprocess.run([CB, "transcode", CITY, "-c", "ffv1", "--scale", scale, "--scaler",
                              scaler, "--frames", str(frames), "--keep", lossless, "--metrics",
                              "none", "--json"], capture_output=True, text=True, timeout=300)
        if res.returncode != 0:
            check(False, f"{label}: ffv1 exit {res.returncode}: {res.stderr.strip()}")
            continue
        w, h = video["width"], video["height"]
        ours = framemd5([FFMPEG, "-v", "error", "-i", lossless])
        theirs = framemd5([FFMPEG, "-v", "error", "-i", CITY, "-frames:v", str(frames), "-vf",
                           f"scale={w}:{h}:flags={sws_flags(scaler)}"])
        check(len(ours) == frames and ours == theirs,
              f"{label}: the {w}x{h} frames fed to the encoder are FFmpeg's scale filter's "
              f"({sum(a == b for a, b in zip(ours, theirs))} of {frames} frames identical)")


def check_exact_start(tmp):
    """--start on an MPEG program stream (whose demuxer seeks a few frames late: the ffmpeg CLI's
    -ss then starts late too) keeps exactly the frames at or after the start: those of a decode
    of the whole clip (ffmpeg's framemd5, time base 1/25 from the stream's start) whose time is
    in [start, start + duration)."""
    res = subprocess.run([FFMPEG, "-v", "error", "-i", CITY, "-f", "framemd5", "-"],
                         capture_output=True, text=True, timeout=300)
    whole = []
    for line in res.stdout.splitlines():
        if line and not line.startswith("#"):
            cells = [c.strip() for c in line.split(",")]
            whole.append((int(cells[1]) / 25.0, cells[-1]))
    for start in [1.07, 3.6, 6.13]:
        kept = os.path.join(tmp, f"start{start}.mkv")
        res = subprocess.run([CB, "transcode", CITY, "-c", "ffv1", "--start", str(start),
                              "--duration", "0.4", "--keep", kept, "--metrics", "none", "--json"],
                             capture_output=True, text=True, timeout=300)
        if res.returncode != 0:
            check(False, f"--start {start}: exit {res.returncode}: {res.stderr.strip()}")
            continue
        ours = framemd5([FFMPEG, "-v", "error", "-i", kept])
        want = [md5 for t, md5 in whole if start - 1e-9 <= t < start + 0.4 - 1e-9]
        first = min(t for t, _ in whole if t >= start - 1e-9)
        got = json.loads(res.stdout)["video"]["first_frame_s"]
        check(abs(got - first) < 1e-6,
              f"--start {start}: records the first frame's time {got} (the whole decode's {first})")
        check(len(want) == 10 and ours == want,
              f"--start {start} --duration 0.4: {len(ours)} frames, exactly those from "
              f"{start} s of the whole decode ({sum(a == b for a, b in zip(ours, want))} of "
              f"{len(want)} identical)")


def check_image_sequence(tmp):
    """An image sequence named as ffmpeg names one (`png/%03d.png`, numbered from 1 here, as
    cameras and renderers number them) is read as the ffmpeg CLI reads it: same frame count,
    25 fps, and PSNR equal to the psnr filter's against `-i png/%03d.png` converted to the
    encoder's pixel format."""
    folder = os.path.join(tmp, "png")
    os.makedirs(folder)
    subprocess.run([FFMPEG, "-v", "error", "-f", "lavfi", "-i", "testsrc2=size=320x240:rate=25",
                    "-frames:v", "12", "-start_number", "1", os.path.join(folder, "%03d.png")],
                   check=True, timeout=120)
    pattern = os.path.join(folder, "%03d.png")
    kept = os.path.join(tmp, "seq.mkv")
    res = subprocess.run([CB, "transcode", pattern, "-c", "libx264", "-o", "crf=30", "--keep",
                          kept, "--metrics", "psnr", "--json"],
                         capture_output=True, text=True, timeout=300)
    if res.returncode != 0:
        check(False, f"image sequence: exit {res.returncode}: {res.stderr.strip()}")
        return
    doc = json.loads(res.stdout)
    check(doc["video"]["frames"] == 12 and abs(doc["video"]["frame_rate"] - 25) < 1e-9,
          f"image sequence: 12 frames at 25 fps ({doc['video']['frames']}, "
          f"{doc['video']['frame_rate']})")
    pix = subprocess.run([FFMPEG.replace("ffmpeg", "ffprobe"), "-v", "error", "-show_entries",
                          "stream=pix_fmt", "-of", "csv=p=0", kept],
                         capture_output=True, text=True, timeout=60).stdout.strip()
    res = subprocess.run([FFMPEG, "-hide_banner", "-nostats", "-i", kept, "-i", pattern, "-lavfi",
                          f"[1:v]format={pix}[r];[0:v][r]psnr", "-f", "null", "-"],
                         capture_output=True, text=True, timeout=300)
    m = re.search(r"PSNR y:(\S+) u:(\S+) v:(\S+) average:(\S+)", res.stderr)
    if not m:
        check(False, f"image sequence: ffmpeg printed no PSNR ({res.stderr[-300:]})")
        return
    ours = doc["quality"]["psnr"]
    for k, v in zip(["y", "u", "v", "average"], map(float, m.groups())):
        check(abs(ours[k] - v) <= 0.01, f"image sequence ({pix}): PSNR {k} {ours[k]:.6f} vs "
                                        f"ffmpeg {v:.6f}")
    res = subprocess.run([CB, "transcode", os.path.join(folder, "%04d.png"), "-c", "libx264"],
                         capture_output=True, text=True, timeout=60)
    check(res.returncode == 3 and "no numbered file matches" in res.stderr
          and len(res.stderr.strip().splitlines()) == 1,
          f"a pattern matching no file: exit 3, one line ({res.returncode}: {res.stderr.strip()})")


def frame_times(path):
    res = subprocess.run([FFMPEG.replace("ffmpeg", "ffprobe"), "-v", "error", "-select_streams",
                          "v:0", "-show_entries", "frame=pts_time", "-of", "csv=p=0", path],
                         capture_output=True, text=True, timeout=120)
    return [float(line.split(",")[0]) for line in res.stdout.split() if line]


def check_vfr(tmp):
    """Variable frame rate (every third frame of a 30 fps source dropped, as a phone or a
    screen recorder writes): the duration and bitrate come from the timestamps (frames / 30
    would be a third short and the bitrate 1.5x too high), and the kept file keeps each
    frame's time."""
    src = os.path.join(tmp, "vfr.mkv")
    subprocess.run([FFMPEG, "-v", "error", "-f", "lavfi", "-i", "testsrc2=size=320x240:rate=30",
                    "-vf", "select='mod(n\\,3)'", "-fps_mode", "vfr", "-t", "3", "-c:v", "ffv1",
                    src], check=True, timeout=120)
    kept = os.path.join(tmp, "vfr-kept.mkv")
    res = subprocess.run([CB, "transcode", src, "-c", "libx264", "-o", "crf=30", "--keep", kept,
                          "--metrics", "psnr", "--json"], capture_output=True, text=True,
                         timeout=300)
    if res.returncode != 0:
        check(False, f"vfr: exit {res.returncode}: {res.stderr.strip()}")
        return
    doc = json.loads(res.stdout)
    src_times = frame_times(src)
    want = src_times[-1] + 1 / 30 - src_times[0]
    video = doc["video"]
    check(video["vfr"] and video["frames"] == len(src_times) == 60,
          f"vfr: 60 frames, marked vfr ({video['frames']}, {video['vfr']})")
    # (Matroska stores milliseconds: 1/30 s is 33 or 34 ms.)
    check(abs(video["duration_s"] - want) < 0.0015,
          f"vfr: duration from timestamps {video['duration_s']:.6f} s = {want:.6f} s "
          f"(frames / 30 would be {video['frames'] / 30:.6f})")
    rate = 8 * doc["size"]["bitstream_bytes"] / want / 1000
    check(abs(doc["size"]["bitrate_kbps"] - rate) < 0.001 * rate,
          f"vfr: bitrate {doc['size']['bitrate_kbps']:.3f} kbit/s = bits / duration {rate:.3f}")
    kept_times = frame_times(kept)
    rebased = [t - src_times[0] for t in src_times]
    check(len(kept_times) == len(rebased) and
          all(abs(a - b) < 0.0015 for a, b in zip(kept_times, rebased)),
          f"vfr: the kept file keeps every frame's time (to the container's 1 ms): "
          f"{kept_times[:5]} vs {[round(t, 4) for t in rebased[:5]]}")


def probe(path, entries):
    res = subprocess.run([FFMPEG.replace("ffmpeg", "ffprobe"), "-v", "error", "-select_streams",
                          "v:0", "-show_entries", entries, "-of", "json", path],
                         capture_output=True, text=True, timeout=60)
    return json.loads(res.stdout)["streams"][0]


def filter_figures(dist, ref, autorotate=True):
    rot = [] if autorotate else ["-noautorotate"]
    res = subprocess.run([FFMPEG, "-hide_banner", "-nostats", *rot, "-i", dist, *rot, "-i", ref,
                          "-lavfi", "[0:v]split[a][b];[1:v]split[c][d];[a][c]psnr;[b][d]ssim",
                          "-f", "null", "-"], capture_output=True, text=True, timeout=300)
    p = re.search(r"PSNR y:\S+ u:\S+ v:\S+ average:(\S+)", res.stderr)
    q = re.search(r"SSIM .* All:(\S+)", res.stderr)
    return float(p.group(1)), float(q.group(1))


def check_rotation_and_fields(tmp):
    """A phone's rotated clip (display matrix) and an interlaced broadcast clip: the rotation
    and field order are recorded, the kept file keeps them (rotation: in MP4; a Matroska file
    says in `adjustment` that its muxer cannot), and the figures are FFmpeg's: PSNR as the
    filters give it with or without autorotation, SSIM as without (frames as stored)."""
    plain = os.path.join(tmp, "plain.mp4")
    rotated = os.path.join(tmp, "rotated.mp4")
    subprocess.run([FFMPEG, "-v", "error", "-f", "lavfi", "-i", "testsrc2=size=320x240:rate=25",
                    "-frames:v", "20", "-c:v", "libx264", "-crf", "20", plain], check=True,
                   timeout=120)
    subprocess.run([FFMPEG, "-v", "error", "-i", plain, "-c", "copy", "-metadata:s:v:0",
                    "rotate=90", rotated], check=True, timeout=120)
    want_rot = probe(rotated, "stream_side_data=rotation")["side_data_list"][0]["rotation"]
    for ext in ["mp4", "mkv"]:
        kept = os.path.join(tmp, f"rot-kept.{ext}")
        res = subprocess.run([CB, "transcode", rotated, "-c", "libx264", "-o", "crf=28", "--keep",
                              kept, "--json"], capture_output=True, text=True, timeout=300)
        if res.returncode != 0:
            check(False, f"rotated .{ext}: exit {res.returncode}: {res.stderr.strip()}")
            continue
        doc = json.loads(res.stdout)
        check(doc["video"]["rotation"] == want_rot,
              f"rotated -> .{ext}: rotation {doc['video']['rotation']} recorded (ffprobe {want_rot})")
        side = probe(kept, "stream_side_data=rotation").get("side_data_list", [])
        if ext == "mp4":
            check(side and side[0].get("rotation") == want_rot,
                  f"rotated -> .mp4: the kept file keeps the display matrix ({side})")
        else:
            check("cannot store the display rotation" in doc["video"]["adjustment"],
                  f"rotated -> .mkv: the adjustment says the rotation is not kept "
                  f"({doc['video']['adjustment']!r})")
        p_raw, s_raw = filter_figures(kept, rotated, autorotate=False)
        # (Autorotation of both sides needs both rotated: the MP4 only.)
        p_rot = filter_figures(kept, rotated, autorotate=True)[0] if ext == "mp4" else p_raw
        ours = doc["quality"]
        check(abs(ours["psnr"]["average"] - p_rot) <= 0.01 and abs(ours["psnr"]["average"] - p_raw) <= 0.01,
              f"rotated -> .{ext}: PSNR {ours['psnr']['average']:.6f} = ffmpeg autorotated "
              f"{p_rot:.6f} = as stored {p_raw:.6f}")
        check(abs(ours["ssim"]["all"] - s_raw) <= 0.0005,
              f"rotated -> .{ext}: SSIM {ours['ssim']['all']:.6f} = ffmpeg as stored {s_raw:.6f}")

    interlaced = os.path.join(tmp, "interlaced.mpg")
    subprocess.run([FFMPEG, "-v", "error", "-f", "lavfi", "-i", "testsrc2=size=352x288:rate=25",
                    "-frames:v", "20", "-vf", "setfield=tff", "-c:v", "mpeg2video", "-flags",
                    "+ildct+ilme", "-top", "1", "-q:v", "3", interlaced], check=True, timeout=120)
    kept = os.path.join(tmp, "interlaced-kept.mkv")
    res = subprocess.run([CB, "transcode", interlaced, "-c", "libx264", "-o", "crf=28", "--keep",
                          kept, "--json"], capture_output=True, text=True, timeout=300)
    if res.returncode != 0:
        check(False, f"interlaced: exit {res.returncode}: {res.stderr.strip()}")
        return
    doc = json.loads(res.stdout)
    want = probe(interlaced, "stream=field_order")["field_order"]
    got_kept = probe(kept, "stream=field_order").get("field_order")
    check(doc["video"]["field_order"] == want == "tt" and got_kept == want,
          f"interlaced: field order {doc['video']['field_order']} recorded (ffprobe {want}), "
          f"kept file {got_kept}")
    p, s = filter_figures(kept, interlaced)
    check(abs(doc["quality"]["psnr"]["average"] - p) <= 0.01 and
          abs(doc["quality"]["ssim"]["all"] - s) <= 0.0005,
          f"interlaced: PSNR {doc['quality']['psnr']['average']:.6f} / SSIM "
          f"{doc['quality']['ssim']['all']:.6f} = ffmpeg's {p:.6f} / {s:.6f}")


def raw_f32(cmd_in, channels):
    res = subprocess.run([FFMPEG, "-v", "error", *cmd_in, "-f", "f32le", "-acodec", "pcm_f32le",
                          "-"], capture_output=True, timeout=120, check=True)
    samples = array.array("f")
    samples.frombytes(res.stdout)
    return [samples[c::channels] for c in range(channels)]


def check_opus_alignment(tmp):
    """5.1 Opus at low rates: the cross-correlation's peak wanders a few samples from the exact
    pre-skip (24 samples at 32 kbit/s), so every point of an RD curve was measured at another
    alignment. With a stated delay the delay is used and the correlation only reported: the
    SNR of each channel is the one of the ffmpeg CLI's own decode of the kept Ogg file (which
    applies the pre-skip from the Opus header) against the reference."""
    graph = ("anoisesrc=d=2:c=pink:a=0.3:r=48000:seed=1,"
             "pan=5.1|c0=c0|c1=0.5*c0|c2=0.3*c0|c3=0.1*c0|c4=-0.5*c0|c5=0.7*c0")
    ref = raw_f32(["-f", "lavfi", "-i", graph], 6)
    for rate in ["32k", "64k", "96k"]:
        kept = os.path.join(tmp, f"opus{rate}.ogg")
        res = subprocess.run([CB, "transcode", "lavfi:" + graph, "-c", "libopus", "-o", f"b={rate}",
                              "--metrics", "snr", "--keep", kept, "--json"],
                             capture_output=True, text=True, timeout=300)
        if res.returncode != 0:
            check(False, f"5.1 opus {rate}: exit {res.returncode}: {res.stderr.strip()}")
            continue
        doc = json.loads(res.stdout)
        audio = doc["audio"]
        dec = raw_f32(["-i", kept], 6)
        n = audio["samples"]
        worst = 0.0
        for c in range(6):
            sig = sum(x * x for x in ref[c][:n])
            noise = sum((x - y) ** 2 for x, y in zip(ref[c][:n], dec[c][:n]))
            want = 10 * math.log10(sig / noise)
            worst = max(worst, abs(doc["quality"]["snr"][f"ch{c}"] - want))
        check(audio["alignment"] == "encoder_delay" and audio["alignment_lag"] == 0 and
              audio["encoder_delay"] == 312 and worst < 0.01,
              f"5.1 opus {rate}: aligned at the stated pre-skip 312 (correlation's lag "
              f"{audio['correlation_lag']}, a check), every channel's SNR within {worst:.4f} dB "
              f"of the ffmpeg CLI's decode of the kept file")


if __name__ == "__main__":
    sys.exit(main())
