#!/usr/bin/env python3
"""CLI tests for `codecbench transcode`: the result document's figures are consistent, and
every kind of bad input gives one line naming the input and the cause, with an exit code
that is non-zero and below 128, without crash or hang."""
import csv
import io
import json
import os
import random
import subprocess
import sys
import tempfile
import wave

from harness import check, finish, golden, validate

CB = os.environ["CODECBENCH"]
CITY = os.path.join(os.environ["SOURCE_ROOT"], "samples", "cityCC0.mpg")


def run(*args, timeout=120):
    return subprocess.run([CB, *args], capture_output=True, text=True, timeout=timeout)


def parsed(res):
    """The job result document of a transcode --json run, checked against the schema."""
    doc = json.loads(res.stdout)
    validate(doc, "job-result")
    return doc


def good_runs(tmp):
    kept = os.path.join(tmp, "out.mkv")
    res = run("transcode", "lavfi:testsrc2=size=320x240:rate=25:duration=1", "-c", "libx264",
              "-o", "crf=30", "-o", "preset=ultrafast", "--keep", kept, "--json", "--per-frame")
    check(res.returncode == 0, f"transcode exits 0 ({res.stderr.strip()})")
    doc = parsed(res)
    golden(doc, "transcode-video")
    size, video = doc["size"], doc["video"]
    check(video["frames"] == 25 and video["width"] == 320 and video["height"] == 240,
          "25 frames of 320x240")
    check(size["raw_bytes"] == 320 * 240 * 3 // 2 * 25, "raw bytes = yuv420p frame size x frames")
    check(abs(size["compression_ratio"] - size["raw_bytes"] / size["bitstream_bytes"]) < 1e-9,
          "compression ratio = raw / bitstream")
    check(abs(size["bitrate_kbps"] - size["bitstream_bytes"] * 8 / 1.0 / 1000) < 1e-6,
          "bitrate = bits / duration")
    check(size["kept_bytes"] == os.path.getsize(kept), "kept_bytes is the kept file's size")
    # --check-determinism: a one-thread mpeg4 encode gives the same bitstream twice.
    nut = os.path.join(tmp, "det.nut")  # NUT stores packets as the encoder gave them
    res = run("transcode", "lavfi:testsrc2=size=160x120:rate=25:duration=0.4", "-c", "mpeg4",
              "--threads", "1", "--check-determinism", "--keep", nut, "--json")
    ddoc = json.loads(res.stdout) if res.returncode == 0 else {}
    det = ddoc.get("determinism", {})
    check(det.get("deterministic") is True and det.get("runs") == 2 and
          len(set(det.get("bitstream_md5", []))) == 1 and
          det["bitstream_md5"][0] == ddoc["size"]["bitstream_md5"],
          "--check-determinism: mpeg4 on one thread gives the same bitstream twice")
    if os.environ.get("FFMPEG") and ddoc:
        copied = subprocess.run([os.environ["FFMPEG"], "-v", "error", "-i", nut, "-c", "copy",
                                 "-f", "md5", "-"], capture_output=True, text=True).stdout.strip()
        check(copied == "MD5=" + ddoc["size"]["bitstream_md5"],
              f"bitstream_md5 is ffmpeg -c copy -f md5 of the kept stream ({copied})")
    check(doc["options"] == {"crf": "30", "preset": "ultrafast"}, "options recorded")
    check(doc["threads"]["requested"] == 1 and doc["threads"]["encoder"] == 1, "threads recorded")
    check(doc["formats"] == {"source": "yuv420p", "encoder": "yuv420p", "decoder": "yuv420p",
                             "metrics": "yuv420p"}, "formats recorded")
    frames = doc["per_frame"]["psnr"]
    check(len(frames) == 25 and len(doc["per_frame"]["ssim"]) == 25, "per-frame values")
    worst = min(f["average"] for f in frames)
    check(abs(worst - doc["quality"]["psnr"]["min"]) < 1e-9, "PSNR min is the worst frame")

    res = run("transcode", "lavfi:testsrc2=size=160x120:rate=25:duration=0.4", "-c", "mpeg4",
              "--csv")
    rows = list(csv.DictReader(io.StringIO(res.stdout)))
    check(len(rows) == 1 and rows[0]["encoder"] == "mpeg4" and rows[0]["video.frames"] == "10"
          and float(rows[0]["quality.psnr.average"]) > 20, "--csv: one tidy row with dotted columns")

    # Format negotiation: ffv1 takes yuv420p; libx264rgb needs RGB and converts back.
    res = run("transcode", "lavfi:testsrc2=size=160x120:rate=25:duration=0.4", "-c", "libx264rgb",
              "-o", "crf=0", "--json")
    check(res.returncode == 0, f"libx264rgb runs ({res.stderr.strip()})")
    if res.returncode == 0:
        doc = parsed(res)
        check(doc["formats"]["encoder"] != "yuv420p" and doc["formats"]["metrics"] == "yuv420p",
              f"formats converted: {doc['formats']}")

    # The city clip's 720x405 is cropped for libx264, and the result says so.
    res = run("transcode", CITY, "-c", "libx264", "--frames", "3", "-o", "preset=ultrafast",
              "--json")
    doc = parsed(res)
    check(doc["video"]["height"] == 404 and "cropped 720x405 to 720x404" in doc["video"]["adjustment"],
          "odd size cropped and reported")

    res = run("transcode", CITY, "-c", "mpeg4", "--frames", "3", "--metrics", "psnr,ssim,ms_ssim",
              "--json")
    doc = parsed(res)
    check(0.8 < doc["quality"]["ms_ssim"]["y"] < 1.0, "ms_ssim on request")

    # Lossless encode: PSNR is infinite and SSIM is 1.
    res = run("transcode", "lavfi:testsrc2=size=160x120:rate=25:duration=0.2", "-c", "ffv1",
              "--json")
    doc = parsed(res)
    check(doc["quality"]["psnr"]["average"] == "inf" and doc["quality"]["ssim"]["all"] == 1.0,
          "lossless ffv1: PSNR inf, SSIM 1")


def audio_runs(tmp):
    noise = "lavfi:anoisesrc=d=1:c=pink:a=0.3:r=48000,aformat=channel_layouts=stereo"
    res = run("transcode", noise, "-c", "aac", "-o", "b=128k", "--json")
    check(res.returncode == 0, f"aac audio job runs ({res.stderr.strip()})")
    doc = parsed(res)
    golden(doc, "transcode-audio")
    a = doc["audio"]
    check(doc["type"] == "audio" and a["encoder_delay"] == 1024 and a["alignment_lag"] == 0,
          f"aac priming removed, aligned: delay {a['encoder_delay']} lag {a['alignment_lag']}")
    check(a["samples"] == 48000 and a["channels"] == 2, "every reference sample compared")
    q = doc["quality"]
    check(3 < q["snr"]["db"] < 40 and 3 < q["si_sdr"]["db"] < 40, f"aac SNR plausible: {q}")
    check(doc["size"]["raw_bytes"] == 48000 * 2 * 8, "raw bytes of the dbl source")
    # ac3 takes whole 1536-sample frames: the last one is padded with silence.
    res = run("transcode", noise, "-c", "ac3", "--json")
    doc = parsed(res)
    check(doc["audio"]["padded_samples"] == 1536 * 32 - 48000, "ac3 last frame padded")
    check(doc["audio"]["samples"] == 48000 and doc["audio"]["alignment_lag"] == 0,
          "ac3 aligned after its 256 priming samples")
    # libopus only takes 48 kHz: a 44.1 kHz source is resampled and the result says so.
    res = run("transcode", "lavfi:sine=frequency=1000:duration=1", "-c", "libopus", "--json",
              "--keep", os.path.join(tmp, "a.opus"))
    doc = parsed(res)
    check(doc["audio"]["sample_rate"] == 48000 and "resampled 44100 Hz to 48000 Hz"
          in doc["audio"]["adjustment"], "libopus resamples and reports it")
    check(doc["quality"]["snr"]["db"] > 20, f"libopus on a tone: SNR {doc['quality']['snr']['db']}")
    res = run("transcode", noise, "-c", "flac", "--json")
    doc = parsed(res)
    check(doc["quality"]["snr"]["db"] == "inf" or doc["quality"]["snr"]["db"] > 70,
          "flac is lossless")


def real_audio_files(tmp):
    """Ordinary WAV files (issue 13): layouts a plain WAVEFORMATEX header leaves unspecified,
    5.1 into an encoder of mono and stereo, float samples into an integer-only lossless coder."""
    # libmp3lame decodes about 0.95 of the level: reported, so that SNR is not misread.
    res = run("transcode", "lavfi:sine=frequency=440:duration=2:sample_rate=44100", "-c",
              "libmp3lame", "--json")
    doc = parsed(res) if res.returncode == 0 else {}
    gain = doc.get("audio", {}).get("gain_db")
    q = doc.get("quality", {})
    check(gain is not None and -0.6 < gain < -0.3
          and q["si_sdr"]["db"] - q["snr"]["db"] > 30,
          f"libmp3lame's level change is reported (gain {gain} dB; SNR "
          f"{q.get('snr', {}).get('db')}, SI-SDR {q.get('si_sdr', {}).get('db')})")
    # The Opus decoder returns 48 kHz whatever was encoded: resampled back, and said.
    for rate in (8000, 16000):
        res = run("transcode", f"lavfi:sine=frequency=440:duration=1:sample_rate={rate}", "-c",
                  "libopus", "-o", "b=64k", "--json")
        check(res.returncode == 0, f"libopus on a {rate} Hz source exits 0 ({res.stderr.strip()})")
        if res.returncode == 0:
            doc = parsed(res)
            a = doc["audio"]
            check(a["sample_rate"] == rate and a["alignment_lag"] == 0
                  and "decoded it at 48000 Hz" in a["adjustment"]
                  and doc["quality"]["snr"]["db"] > 35,
                  f"measured at {rate} Hz after resampling the decoded 48 kHz back, aligned at the "
                  f"known delay ({a['sample_rate']}, lag {a['alignment_lag']}, "
                  f"SNR {doc['quality']['snr']['db']:.2f}, {a['adjustment']!r})")
    ffmpeg = os.environ.get("FFMPEG")
    if not ffmpeg:
        print("SKIP: no ffmpeg CLI to make the WAV files")
        return
    def make(name, *args):
        path = os.path.join(tmp, name)
        subprocess.run([ffmpeg, "-v", "error", "-y", "-f", "lavfi", "-i",
                        "sine=frequency=440:duration=1:sample_rate=48000", *args, path], check=True)
        return path
    for channels, layout in ((1, "mono"), (2, "stereo")):
        wav = make(f"plain{channels}.wav", "-ac", str(channels))
        res = run("transcode", wav, "-c", "aac", "--json")
        check(res.returncode == 0, f"aac on a {channels}-channel WAV with no layout: exit 0 "
              f"({res.stderr.strip()})")
        if res.returncode == 0:
            a = parsed(res)["audio"]
            check(a["channel_layout"] == layout and a["adjustment"] == "",
                  f"its unspecified layout is read as {layout}, as ffmpeg does, and nothing is "
                  f"called remixed ({a['channel_layout']!r}, {a['adjustment']!r})")
    wav = make("five1.wav", "-af", "pan=5.1|c0=c0|c1=c0|c2=c0|c3=c0|c4=c0|c5=c0")
    res = run("transcode", wav, "-c", "libmp3lame", "--json")
    a = parsed(res)["audio"] if res.returncode == 0 else {}
    check(a.get("channel_layout") == "stereo" and "remixed 5.1 to stereo" in a.get("adjustment", ""),
          f"5.1 into libmp3lame keeps two channels, not one, and says so ({a.get('channel_layout')}, "
          f"{a.get('adjustment')!r})")
    wav = make("float.wav", "-c:a", "pcm_f32le")
    res = run("transcode", wav, "-c", "flac", "--json")
    doc = parsed(res) if res.returncode == 0 else {}
    snr = doc.get("quality", {}).get("snr", {}).get("db")
    check(doc.get("formats", {}).get("encoder") == "s32" and (snr == "inf" or snr > 140)
          and "rounded to s32" in doc.get("audio", {}).get("adjustment", ""),
          f"flac from float samples gets s32, not s16 (SNR {snr}), and says the rounding "
          f"({doc.get('formats')}, {doc.get('audio', {}).get('adjustment')!r})")


def real_video_files(tmp):
    """Ordinary video the ffmpeg CLI handles (issue 13): libx265 on an odd height (x265 says
    INVALIDDATA, which the crop retry did not recognise), mpeg4 on a 15 fps AVI whose time base
    is 66667/1000000 (over MPEG-4 Part 2's 16 bits)."""
    res = run("transcode", CITY, "-c", "libx265", "--frames", "5", "--json")
    check(res.returncode == 0, f"libx265 on 720x405 exits 0 ({res.stderr.strip()[-200:]})")
    if res.returncode == 0:
        v = parsed(res)["video"]
        check(v["height"] == 404 and "cropped 720x405 to 720x404" in v["adjustment"],
              f"cropped to an even height, and said ({v['adjustment']!r})")
        check(res.stderr.strip() == "", f"no x265 banner on stderr ({res.stderr.strip()[:200]!r})")
    # SVT-AV1 writes its own errors to stderr before the crop retry succeeds: kept quiet.
    res = run("transcode", CITY, "-c", "libsvtav1", "-o", "preset=12", "--frames", "3", "--json")
    check(res.returncode == 0 and res.stderr.strip() == ""
          and "cropped 720x405 to 720x404" in parsed(res)["video"]["adjustment"],
          f"libsvtav1 on 720x405: cropped, nothing of SVT's on stderr ({res.stderr.strip()[:200]!r})")
    ffmpeg = os.environ.get("FFMPEG")
    if not ffmpeg:
        print("SKIP: no ffmpeg CLI to make the AVI")
        return
    avi = os.path.join(tmp, "tb.avi")
    subprocess.run([ffmpeg, "-v", "error", "-y", "-f", "lavfi", "-i",
                    "testsrc2=size=160x120:rate=1000000/66667:duration=1", "-c:v", "mjpeg", avi],
                   check=True)
    res = run("transcode", avi, "-c", "mpeg4", "--json")
    check(res.returncode == 0, f"mpeg4 on an AVI with time base 66667/1000000 exits 0 "
          f"({res.stderr.strip()[-200:]})")
    if res.returncode == 0:
        doc = parsed(res)
        check(doc["video"]["frames"] == 15 and "given to mpeg4 as 15/1" in doc["video"]["adjustment"],
              f"its rate reduced to 15/1 as the ffmpeg CLI does, and said "
              f"({doc['video']['frames']} frames, {doc['video']['adjustment']!r})")


def bad_inputs(tmp):
    empty = os.path.join(tmp, "empty.mp4")
    open(empty, "wb").close()
    trunc = os.path.join(tmp, "truncated.mpg")
    with open(CITY, "rb") as src, open(trunc, "wb") as dst:
        dst.write(src.read(300_000))
    rnd = os.path.join(tmp, "random.bin")
    rng = random.Random(7)
    with open(rnd, "wb") as f:
        f.write(bytes(rng.getrandbits(8) for _ in range(50_000)))
    tone = os.path.join(tmp, "tone.wav")
    with wave.open(tone, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(8000)
        w.writeframes(b"\x00\x10" * 8000)
    cases = [
        # (args, expected exit code, words the one line must contain)
        (["missing.mkv", "-c", "libx264"], 3, ["missing.mkv", "no such file"]),
        ([empty, "-c", "libx264"], 3, ["empty.mp4", "empty file"]),
        ([trunc, "-c", "libx264"], 3, ["truncated.mpg", "damaged or truncated"]),
        ([rnd, "-c", "libx264"], 3, ["random.bin", "not a readable media file"]),
        ([tone, "-c", "libx264"], 3, ["tone.wav", "no video stream"]),
        ([CITY, "-c", "libx246"], 2, ["libx246", "unknown encoder", "libx264"]),
        ([CITY, "-c", "h264"], 2, ["'h264' is a decoder", "libx264"]),
        ([CITY, "-c", "libx264", "-o", "crf=abc"], 4, ["libx264", "crf", "abc"]),
        ([CITY, "-c", "libx264", "-o", "bogus=1"], 2, ["libx264", "bogus=1"]),
        ([CITY, "-c", "libx264", "--frames", "0"], 2, ["--frames", "'0'", "from 1"]),
        ([CITY, "-c", "libx264", "--frames", "-1"], 2, ["--frames", "'-1'"]),
        ([CITY, "-c", "libx264", "--start", "nan"], 2, ["--start", "'nan'"]),
        ([CITY, "-c", "libx264", "--duration", "inf"], 2, ["--duration", "'inf'"]),
        ([CITY, "-c", "libx264", "--threads", "100000"], 2, ["--threads", "'100000'", "1024"]),
        (["lavfi:sine=duration=0", "-c", "aac"], 3, ["sine=duration=0", "never ends", "sine"]),
        (["lavfi:anoisesrc=d=0", "-c", "aac"], 3, ["anoisesrc=d=0", "never ends"]),
        (["lavfi:testsrc=d=1,loop=-1:size=25", "-c", "libx264"], 3, ["never ends", "loop=-1"]),
        (["lavfi:nosuchfilter", "-c", "libx264"], 3, ["nosuchfilter", "No such filter"]),
        ([CITY, "-c", "libx264", "--start", "100"], 3, ["cityCC0.mpg", "no video frames"]),
        (["lavfi:testsrc2", "-c", "libx264"], 3, ["lavfi:testsrc2", "never ends"]),
        (["lavfi:nosuch=1", "-c", "libx264", "--frames", "2"], 3, ["nosuch", "No such filter"]),
        ([CITY, "-c", "libx264", "--frames", "2", "--keep", os.path.join(tmp, "x.foo")], 3,
         ["x.foo", "container"]),
        ([CITY, "-c", "libx264", "--frames", "2", "--metrics", "cambi"], 2, ["cambi", "vmaf"]),
        ([CITY, "-c", "libx264", "--frames", "2", "--metrics", "vmaf:model=nosuch"], 2,
         ["nosuch", "vmaf_float_v0.6.1"]),
        ([CITY, "-c", "libx264", "--frames", "2", "--metrics", "vmaf:poll=min"], 2,
         ["poll", "pool"]),
        ([CITY, "-c", "libx264", "--frames", "2", "--vmaf-model", CITY], 3,
         ["cityCC0.mpg", "not a VMAF model"]),
        ([CITY, "-c", "libx264", "--frames", "2", "--metrics", "psnr,vmaf,vmaf:pool=min"], 2,
         ["vmaf", "twice"]),
        (["lavfi:sine=duration=0.2", "-c", "aac", "--metrics", "vmaf"], 2,
         ["vmaf", "measures video, not audio"]),
        ([CITY, "-c", "aac"], 3, ["cityCC0.mpg", "no audio stream"]),
        (["lavfi:testsrc2=size=160x120:duration=0.2", "-c", "mpeg4", "--metrics", "ms_ssim"], 2,
         ["ms_ssim", "176x176", "160x120"]),
        (["lavfi:sine=duration=1", "-c", "opus"], 4, ["opus", "experimental"]),
        (["lavfi:sine=duration=1", "-c", "srt"], 2, ["srt", "subtitle"]),
    ]
    for args, code, words in cases:
        label = " ".join(os.path.basename(a) for a in args)
        try:
            res = run("transcode", *args, timeout=60)
        except subprocess.TimeoutExpired:
            check(False, f"{label}: hangs")
            continue
        lines = res.stderr.strip().splitlines()
        check(res.returncode == code, f"{label}: exit {res.returncode} (want {code})")
        check(len(lines) == 1 and all(w in lines[0] for w in words),
              f"{label}: one line with {words}: {lines}")


def pixel_formats(tmp):
    """-o pixel_format / --pix-fmt / pix_fmt: converts the frames (issue 13: it used to relabel
    4:4:4 frames as 4:2:0, and PSNR fell by 8 dB)."""
    src = "testsrc2=size=320x240:rate=25:duration=1,format=yuv444p"
    kept = os.path.join(tmp, "p420.mkv")
    for flag in (["-o", "pixel_format=yuv420p"], ["--pix-fmt", "yuv420p"]):
        res = run("transcode", "lavfi:" + src, "-c", "libx264", "-o", "crf=18", "-o",
                  "preset=ultrafast", *flag, "--keep", kept, "--json")
        if not check(res.returncode == 0, f"{' '.join(flag)} exits 0 ({res.stderr.strip()})"):
            continue
        doc = parsed(res)
        check(doc["formats"]["source"] == "yuv444p" and doc["formats"]["encoder"] == "yuv420p"
              and doc["formats"]["metrics"] == "yuv444p", f"{flag[-1]}: 4:4:4 source, 4:2:0 encoder")
        if os.environ.get("FFMPEG"):
            out = subprocess.run([os.environ["FFMPEG"], "-v", "info", "-i", kept, "-f", "lavfi",
                                  "-i", src, "-lavfi", "[1:v]format=yuv420p[r];[0:v][r]psnr",
                                  "-f", "null", "-"], capture_output=True, text=True).stderr
            y = float(out.split("PSNR y:")[1].split()[0]) if "PSNR y:" in out else 0
            check(abs(doc["quality"]["psnr"]["y"] - y) < 1e-5,
                  f"{flag[-1]}: PSNR-Y {doc['quality']['psnr']['y']:.6f} equals ffmpeg's {y}")
    res = run("transcode", "lavfi:" + src, "-c", "libx264", "--pix-fmt", "rgb24")
    check(res.returncode == 2 and "does not take pixel format rgb24" in res.stderr,
          "a pixel format the encoder does not take: exit 2, naming those it does")
    res = run("transcode", "lavfi:" + src, "-c", "libx264", "-o", "pix_fmt=nope")
    check(res.returncode == 2 and "nope" in res.stderr, "an unknown pixel format: exit 2")
    preset = os.path.join(tmp, "pf.yaml")
    open(preset, "w").write("inputs: [lavfi:testsrc2=duration=1]\n"
                            "encoders: {x: {codec: libx264, pix_fmt: yuv422p}}\n")
    res = run("run", preset, "--dry-run", "--json", "-q")
    jobs = json.loads(res.stdout) if res.returncode == 0 else []
    check(len(jobs) == 1 and ["pixel_format", "yuv422p"] in jobs[0]["options"],
          "a preset's pix_fmt: becomes the job's pixel_format option")


def sample_formats(tmp):
    """--sample-fmt / -o sample_fmt / a preset's sample_fmt: the samples are converted to the
    asked format (issue 13: there was no way to choose it; FFmpeg has no such encoder option).
    Float samples into flac: s16 costs about 43 dB of SNR against s32 (6.02 dB per bit), and the
    adjustment says the samples were rounded."""
    src = "lavfi:aevalsrc=0.3*sin(2*PI*440*t)+0.1*sin(2*PI*3001*t):d=1:s=48000,aformat=flt"
    snr = {}
    for fmt_, flag in (("s16", ["--sample-fmt", "s16"]), ("s32", ["-o", "sample_fmt=s32"])):
        res = run("transcode", src, "-c", "flac", *flag, "--json")
        if not check(res.returncode == 0, f"{' '.join(flag)} exits 0 ({res.stderr.strip()})"):
            continue
        doc = parsed(res)
        check(doc["formats"]["encoder"] == fmt_ == doc["formats"]["decoder"] and
              "rounded to " + fmt_ in doc["audio"]["adjustment"],
              f"{' '.join(flag)}: flac fed {fmt_}, and the rounding is said "
              f"({doc['formats']}, {doc['audio']['adjustment']!r})")
        snr[fmt_] = doc["quality"]["snr"]["db"]
    if len(snr) == 2:
        check(snr["s32"] - snr["s16"] > 35 and 80 < snr["s16"] < 100,
              f"s16 rounds away ~16 bits' worth of SNR more than s32 ({snr})")
    res = run("transcode", src, "-c", "flac", "--sample-fmt", "flt")
    check(res.returncode == 2 and "does not take sample format flt (it takes: s16, s32)"
          in res.stderr, f"a sample format the encoder does not take: exit 2 ({res.stderr.strip()})")
    res = run("transcode", src, "-c", "flac", "--sample-fmt", "nope")
    check(res.returncode == 2 and "not a sample format" in res.stderr,
          "an unknown sample format: exit 2")
    preset = os.path.join(tmp, "sf.yaml")
    open(preset, "w").write("inputs: ['lavfi:sine=duration=1']\n"
                            "encoders: {f: {codec: flac, sample_fmt: s32}}\n")
    res = run("run", preset, "--dry-run", "--json", "-q")
    jobs = json.loads(res.stdout) if res.returncode == 0 else []
    check(len(jobs) == 1 and ["sample_fmt", "s32"] in jobs[0]["options"],
          f"a preset's sample_fmt: becomes the job's sample_fmt option ({res.stderr.strip()})")


def stage_timeline():
    """speed.stages (issue 18): each pipeline stage's work and waits, one entry per stage in
    order, every frame through each, and no stage busier or waiting longer than the job.
    libx264 at preset medium holds back 40 frames and more (its lookahead): those are flushed
    through the pipeline too, so its decode and measure stages hold all of the decoder's and
    the metrics' time, none of it left for after the pipeline."""
    city = os.path.join(os.environ["SOURCE_ROOT"], "samples", "cityCC0.mpg")
    four = ["read", "encode", "decode", "measure"]
    for extra, names in ((["-c", "mpeg4", "--metrics", "psnr"], four),
                         (["-c", "mpeg4", "--metrics", "none", "--threads", "0"], ["read", "encode"]),
                         (["-c", "libx264", "-o", "preset=medium", "--metrics", "psnr,ssim"], four)):
        res = run("transcode", city, "--frames", "40", *extra, "--json")
        if not check(res.returncode == 0, f"stages {extra}: exit 0 ({res.stderr.strip()})"):
            continue
        doc = parsed(res)
        stages = doc["speed"]["stages"]
        wall = doc["speed"]["wall_s"]
        check([st["name"] for st in stages] == names and
              all(st["frames"] == 40 for st in stages) and
              all(0 < st["worked_s"] and st["worked_s"] + st["waited_s"] <= wall + 1e-6
                  for st in stages),
              f"{' '.join(extra)}: stages {names}, 40 frames each, work + waits within the job's "
              f"{wall:.3f} s: {[(st['name'], round(st['worked_s'], 3), round(st['waited_s'], 3)) for st in stages]}")
        encode = stages[1]
        check(encode["worked_s"] >= doc["speed"]["encode_s"] - 1e-6,
              f"{' '.join(extra)}: the encode stage's work holds the encoder's time "
              f"({encode['worked_s']:.4f} >= {doc['speed']['encode_s']:.4f} s)")
        if len(stages) == 4:
            decode, measure = stages[2], stages[3]
            check(decode["worked_s"] >= doc["speed"]["decode_s"] - 1e-6 and
                  measure["worked_s"] >= doc["speed"]["metric_s"] - 1e-6,
                  f"{' '.join(extra)}: the decode and measure stages hold the decoder's and the "
                  f"metrics' time (decode {decode['worked_s']:.4f} >= "
                  f"{doc['speed']['decode_s']:.4f} s, measure {measure['worked_s']:.4f} >= "
                  f"{doc['speed']['metric_s']:.4f} s)")


def main():
    with tempfile.TemporaryDirectory() as tmp:
        good_runs(tmp)
        audio_runs(tmp)
        real_audio_files(tmp)
        real_video_files(tmp)
        bad_inputs(tmp)
        pixel_formats(tmp)
        sample_formats(tmp)
        stage_timeline()
    return finish()


if __name__ == "__main__":
    sys.exit(main())
