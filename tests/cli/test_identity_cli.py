#!/usr/bin/env python3
"""Job identity and paths: job keys are the same under another checkout root and from another
working folder, change when an input's content changes, and every shipped preset works from a
folder outside the project."""
import json
import os
import shutil
import subprocess
import sys
import tempfile

from harness import check, finish, validate

CB = os.environ["CODECBENCH"]
ROOT = os.environ["SOURCE_ROOT"]


def run(*args, cwd, env=None, timeout=300):
    return subprocess.run([CB, *args], capture_output=True, text=True, timeout=timeout, cwd=cwd,
                          env=env)


def keys(preset, cwd, env=None, *overrides):
    res = run("run", preset, "--dry-run", "--json", "-q", *overrides, cwd=cwd, env=env)
    if res.returncode != 0:
        return f"exit {res.returncode}: {res.stderr.strip()}"
    return [j["key"] for j in json.loads(res.stdout)]


def main():
    with tempfile.TemporaryDirectory() as tmp:
        env = dict(os.environ, CODECBENCH_CACHE_DIR=os.path.join(tmp, "cache"))
        # A second copy of the project (presets and samples) under another root.
        copy = os.path.join(tmp, "elsewhere", "codecbench")
        for d in ("presets", "samples"):
            shutil.copytree(os.path.join(ROOT, d), os.path.join(copy, d))
        away = os.path.join(tmp, "away")
        os.makedirs(away)
        here = keys("presets/quick.yaml", ROOT, env)
        check(isinstance(here, list) and len(here) == 14, f"quick: 14 job keys ({here})")
        for what, preset, cwd, extra in (
                ("another root, from inside it", os.path.join(copy, "presets/quick.yaml"), copy, {}),
                ("another root, from an unrelated folder", os.path.join(copy, "presets/quick.yaml"), away, {}),
                ("this root, from an unrelated folder", os.path.join(ROOT, "presets/quick.yaml"), away, {}),
                ("CODECBENCH_ROOT pointing at the copy", os.path.join(ROOT, "presets/quick.yaml"), away,
                 {"CODECBENCH_ROOT": copy})):
            got = keys(preset, cwd, dict(env, **extra))
            check(got == here, f"same job keys: {what}")

        # The same content under another name is another input; another content under the
        # same name is another job.
        sample = os.path.join(copy, "samples", "cityCC0.mpg")
        with open(sample, "r+b") as f:
            f.seek(4096)
            byte = f.read(1)
            f.seek(4096)
            f.write(bytes([byte[0] ^ 0xFF]))
        changed = keys(os.path.join(copy, "presets/quick.yaml"), away, env)
        check(isinstance(changed, list) and changed[:4] != here[:4] and changed[4:] == here[4:],
              "changing the file's content changes the keys of its jobs, and only theirs")
        res = run("run", os.path.join(copy, "presets/quick.yaml"), "--dry-run", "-q",
                  "inputs.0.uri=missing.mpg", cwd=away, env=env)
        check(res.returncode == 3 and "missing.mpg" in res.stderr and len(res.stderr.strip().splitlines()) == 1,
              f"a missing input is one clear line, exit 3: {res.stderr.strip()}")

        # A relative path in a preset is relative to the preset file, not to the working folder.
        own = os.path.join(tmp, "own")
        os.makedirs(os.path.join(own, "media"))
        shutil.copy(os.path.join(ROOT, "samples", "cityCC0.mpg"), os.path.join(own, "media", "clip.mpg"))
        with open(os.path.join(own, "p.yaml"), "w") as f:
            f.write("inputs: [{uri: media/clip.mpg, frames: 5}]\n"
                    "encoders: {m: {codec: mpeg4, options: {b: 300k}}}\n"
                    "output: {store: results/s.sqlite}\n")
        res = run("run", os.path.join(own, "p.yaml"), "--json", "-q", cwd=away, env=env)
        doc = json.loads(res.stdout) if res.returncode == 0 else {}
        check(res.returncode == 0 and os.path.exists(os.path.join(own, "results", "s.sqlite"))
              and doc["jobs"][0]["input"] == "clip.mpg",
              f"relative input and store paths resolve against the preset's folder ({res.stderr.strip()[-300:]})")
        if doc:
            validate(doc, "run")

        # Two checkouts of one preset (its paths resolved through ${preset_dir:}): the same
        # preset identity, so --resume in the second skips what the first finished.
        shared = os.path.join(tmp, "shared.sqlite")
        for n in ("one", "two"):
            d = os.path.join(tmp, "co-" + n)
            os.makedirs(os.path.join(d, "media"))
            shutil.copy(os.path.join(ROOT, "samples", "cityCC0.mpg"), os.path.join(d, "media", "clip.mpg"))
            with open(os.path.join(d, "p.yaml"), "w") as f:
                f.write("paths: {media: '${preset_dir:}/media'}\n"
                        "inputs: [{uri: '${paths.media}/clip.mpg', frames: 5}]\n"
                        "encoders: {m: {codec: mpeg4, axes: {b: [200k, 400k]}}}\n")
        res = run("run", os.path.join(tmp, "co-one", "p.yaml"), "--store", shared, "--json", "-q",
                  cwd=away, env=env)
        first = json.loads(res.stdout) if res.returncode == 0 else {}
        res = run("run", os.path.join(tmp, "co-two", "p.yaml"), "--store", shared, "--resume",
                  "--json", "-q", cwd=away, env=env)
        second = json.loads(res.stdout) if res.returncode == 0 else {}
        check(first and second and first["run"]["preset_hash"] == second["run"]["preset_hash"]
              and first["run"]["preset_yaml"] != second["run"]["preset_yaml"]
              and [j["status"] for j in second.get("jobs", [])] == ["skipped", "skipped"],
              "another checkout of the preset has its identity: --resume skips the finished jobs")

        # Every shipped preset is valid from a folder outside the project, its job keys are the
        # ones the release before the redesign gave (tests/data/job-keys.json: a refactoring
        # never moves a key; a deliberate change rewrites the list and says so in docs/json.md),
        # and the smoke run runs there.
        with open(os.path.join(ROOT, "tests", "data", "job-keys.json")) as f:
            pinned = json.load(f)["presets"]
        shipped = set()
        for name in sorted(os.listdir(os.path.join(ROOT, "presets"))):
            if name == "base.yaml" or not name.endswith(".yaml"):
                continue
            shipped.add(name)
            res = run("run", os.path.join(ROOT, "presets", name), "--dry-run", "--json", "-q",
                      cwd=away, env=env)
            check(res.returncode == 0 and len(json.loads(res.stdout)) >= 1,
                  f"presets/{name} from {away}: {res.stderr.strip()[-200:]}")
            got = [j["key"] for j in json.loads(res.stdout)] if res.returncode == 0 else []
            check(got == pinned.get(name),
                  f"presets/{name}: the job keys of tests/data/job-keys.json "
                  f"({len(got)} keys, {len(pinned.get(name) or [])} pinned)")
        check(shipped == set(pinned), f"job-keys.json lists every shipped preset "
              f"(missing: {sorted(shipped - set(pinned))}, gone: {sorted(set(pinned) - shipped)})")
        store = os.path.join(tmp, "quick.sqlite")
        res = run("run", os.path.join(ROOT, "presets", "quick.yaml"), "--store", store, "--json",
                  "-q", cwd=away, env=env)
        check(res.returncode == 0, f"quick preset runs from {away}: {res.stderr.strip()[-300:]}")
        if res.returncode == 0:
            doc = json.loads(res.stdout)
            validate(doc, "run")
            check([j["key"] for j in doc["jobs"]] == here, "the run's keys are the dry run's")
        check(not os.path.exists(os.path.join(away, "samples")) and os.listdir(away) == [],
              "nothing written into the working folder")

        # The fingerprint cache: a second listing reads no file (same result, cache file used).
        cache = os.path.join(tmp, "cache", "fingerprints.tsv")
        check(os.path.exists(cache) and "cityCC0.mpg" in open(cache).read(),
              "fingerprints are cached per file")
    return finish()


if __name__ == "__main__":
    sys.exit(main())
