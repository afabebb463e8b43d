#!/usr/bin/env python3
"""Oracle: `codecbench codecs` (and --encoders/--decoders) must match the ffmpeg CLI's
-codecs/-encoders/-decoders line by line when both run on the same FFmpeg libraries."""
import difflib
import os
import subprocess
import sys

SKIP = 77  # meson's skip exit code


def run(cmd):
    res = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    if res.returncode != 0:
        print(f"{cmd}: exit {res.returncode}\n{res.stderr}")
        sys.exit(1)
    return res.stdout.splitlines()


def main():
    cb = os.environ["CODECBENCH"]
    ffmpeg = os.environ.get("FFMPEG")
    if not ffmpeg:
        print("SKIP: the ffmpeg CLI is not installed (apt-get install ffmpeg)")
        return SKIP
    ours_version = subprocess.run([cb, "--version"], capture_output=True, text=True).stdout
    theirs_version = subprocess.run([ffmpeg, "-hide_banner", "-version"], capture_output=True,
                                    text=True).stdout
    lavc = [l for l in ours_version.splitlines() if "libavcodec" in l][0].split()[1]
    if lavc not in theirs_version.replace(" ", ""):
        # ffmpeg -version prints "libavcodec     59. 37.100 / 59. 37.100"
        compact = theirs_version.replace(" ", "")
        major, minor, micro = lavc.split(".")
        if f"libavcodec{major}.{minor}.{micro}" not in compact:
            print(f"SKIP: ffmpeg CLI uses another libavcodec than codecbench ({lavc})")
            return SKIP
    failures = 0
    for ours_args, ffmpeg_flag in ((["codecs"], "-codecs"), (["codecs", "--encoders"], "-encoders"),
                                   (["codecs", "--decoders"], "-decoders")):
        ours = run([cb, *ours_args])
        theirs = run([ffmpeg, "-hide_banner", ffmpeg_flag])
        if ours != theirs:
            failures += 1
            print(f"MISMATCH codecbench {' '.join(ours_args)} vs ffmpeg {ffmpeg_flag}:")
            for line in difflib.unified_diff(theirs, ours, "ffmpeg", "codecbench", lineterm="",
                                             n=1):
                print(line)
        else:
            print(f"ok: codecbench {' '.join(ours_args)} == ffmpeg {ffmpeg_flag} "
                  f"({len(ours)} lines)")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
