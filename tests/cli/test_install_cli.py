#!/usr/bin/env python3
"""codecbench as an installed tool: presets by name on the search path (current folder,
$CODECBENCH_PRESET_PATH, $XDG_CONFIG_HOME/codecbench/presets, the shipped ones), `presets` and
`presets show`, `meson install --destdir` into a staging folder and the installed binary run
from an empty folder with a preset by name, the generated shell completions (bash asked to
complete; fish when installed; zsh syntax) and the man page (rendered by man -l)."""
import json
import os
import shutil
import subprocess
import sys
import tempfile

from harness import check, finish, validate

CB = os.environ["CODECBENCH"]
ROOT = os.environ["SOURCE_ROOT"]
BUILD = os.environ.get("BUILD_ROOT", os.path.dirname(CB))

PRESET = """defaults: [base, _self_]
description: {what}
inputs: [lavfi:testsrc2=size=64x48:rate=5:duration=1]
encoders: {{m: {{codec: mpeg4, options: {{b: {rate}}}}}}}
"""


def run(*args, cwd, env, exe=CB, timeout=120):
    return subprocess.run([exe, *args], cwd=cwd, env=env, capture_output=True, text=True,
                          timeout=timeout)


def clean_env(tmp):
    env = dict(os.environ, XDG_CONFIG_HOME=os.path.join(tmp, "config"),
               CODECBENCH_CACHE_DIR=os.path.join(tmp, "cache"), HOME=os.path.join(tmp, "home"))
    for k in ("CODECBENCH_PRESET_PATH", "CODECBENCH_DATA_DIR", "CODECBENCH_RESULTS",
              "CODECBENCH_ROOT"):
        env.pop(k, None)
    return env


def write_preset(folder, name, what, rate):
    os.makedirs(folder, exist_ok=True)
    with open(os.path.join(folder, name + ".yaml"), "w") as f:
        f.write(PRESET.format(what=what, rate=rate))


def search_path(tmp, env):
    cwd = os.path.join(tmp, "empty")
    os.makedirs(cwd, exist_ok=True)
    res = run("presets", "--json", cwd=cwd, env=env)
    check(res.returncode == 0, f"presets --json exits 0 ({res.stderr.strip()})")
    doc = json.loads(res.stdout)
    validate(doc, "presets")
    names = {p["name"]: p for p in doc["presets"]}
    check("quick" in names and names["quick"]["origin"] == "shipped"
          and names["quick"]["path"] == os.path.join(ROOT, "presets", "quick.yaml"),
          f"the build's quick preset is the checkout's, 'shipped' ({names.get('quick')})")
    check(names.get("quick", {}).get("description", "").startswith("One real clip"),
          "its description is the preset's description: field")
    origins = [f["origin"] for f in doc["search_path"]]
    check(origins == ["current folder", "user config", "shipped"],
          f"search path order without CODECBENCH_PRESET_PATH: {origins}")

    # A name is found from any folder; results go to ./results of that folder.
    res = run("run", "quick", "--dry-run", cwd=cwd, env=env)
    check(res.returncode == 0 and f"store {cwd}/results/codecbench.sqlite" in res.stderr,
          f"run quick --dry-run from an empty folder writes to ./results ({res.stderr[:200]!r})")

    # Each earlier folder hides the later ones; defaults: [base] comes from the shipped presets.
    user = os.path.join(tmp, "config", "codecbench", "presets")
    write_preset(user, "quick", "user quick", "100k")
    pp = os.path.join(tmp, "pp")
    write_preset(pp, "quick", "path quick", "200k")
    res = run("config", "quick", cwd=cwd, env=env)
    check(res.returncode == 0 and "b: 100k" in res.stdout
          and f"samples: {ROOT}/presets/../samples" in res.stdout,
          f"a user preset wins over the shipped one and builds on the shipped base.yaml "
          f"({res.stderr.strip()})")
    env_pp = dict(env, CODECBENCH_PRESET_PATH=pp + ":" + os.path.join(tmp, "absent"))
    res = run("presets", "show", "quick", "--path", cwd=cwd, env=env_pp)
    check(res.stdout.strip() == os.path.join(pp, "quick.yaml"),
          f"$CODECBENCH_PRESET_PATH wins over the user folder ({res.stdout.strip()})")
    write_preset(cwd, "quick", "here quick", "300k")
    res = run("presets", "--json", cwd=cwd, env=env_pp)
    doc = json.loads(res.stdout)
    quick = [p for p in doc["presets"] if p["name"] == "quick"]
    check([p["origin"] for p in quick] ==
          ["current folder", "$CODECBENCH_PRESET_PATH", "user config", "shipped"]
          and all(p["shadowed_by"] == os.path.join(cwd, "quick.yaml") for p in quick[1:])
          and quick[0]["shadowed_by"] is None,
          f"the current folder's quick hides the three others ({[p['origin'] for p in quick]})")
    check([f["exists"] for f in doc["search_path"]] == [True, True, False, True, True],
          "the search path lists an absent folder as absent")
    res = run("presets", "show", "quick", cwd=cwd, env=env_pp)
    check(res.returncode == 0 and "description: here quick" in res.stdout,
          "presets show prints the file the name finds")
    res = run("presets", "--csv", cwd=cwd, env=env_pp)
    check(res.stdout.splitlines()[0].startswith("name,origin,description,path"),
          "presets --csv has a header row")
    os.remove(os.path.join(cwd, "quick.yaml"))
    # An unrelated YAML file in the current folder is not listed as a preset.
    with open(os.path.join(cwd, "compose.yaml"), "w") as f:
        f.write("services: {web: {image: x}}\n")
    res = run("presets", "--json", cwd=cwd, env=env)
    check("compose" not in [p["name"] for p in json.loads(res.stdout)["presets"]],
          "a YAML file that is not a preset is not listed from the current folder")

    res = run("run", "no-such-preset", cwd=cwd, env=env)
    shutil.rmtree(user)
    lines = res.stderr.strip().splitlines()
    check(res.returncode == 3 and len(lines) == 1 and "preset 'no-such-preset': not found in"
          in lines[0] and os.path.join(tmp, "config") in lines[0],
          f"an unknown name is one line naming the folders searched, exit 3 ({lines})")
    res = run("run", "presets/nope.yaml", cwd=cwd, env=env)
    check(res.returncode == 3 and "nope.yaml" in res.stderr,
          "a path with a folder is a path, not a name")


def bash_complete(script, exe, words, cwd):
    line = " ".join(words)
    prog = (f"source {script}\nCOMP_WORDS=({exe} {line}); COMP_CWORD={len(words)}\n"
            "_codecbench; printf '%s\\n' \"${COMPREPLY[@]}\"\n")
    res = subprocess.run(["bash", "-c", prog], cwd=cwd, capture_output=True, text=True,
                         timeout=60)
    return set(res.stdout.split())


def installed(tmp, env):
    dest = os.path.join(tmp, "stage")
    res = subprocess.run(["meson", "install", "-C", BUILD, "--destdir", dest, "--no-rebuild",
                          "--quiet"], capture_output=True, text=True, timeout=300)
    if not check(res.returncode == 0, f"meson install --destdir exits 0 ({res.stderr[-300:]})"):
        return
    found = {}
    for d, _, files in os.walk(dest):
        for f in files:
            found[os.path.relpath(os.path.join(d, f), dest)] = os.path.join(d, f)
    def one(suffix):
        hits = [v for k, v in found.items() if k.endswith(suffix)]
        check(len(hits) == 1, f"installed: one {suffix}")
        return hits[0] if hits else None
    exe = one("/bin/codecbench")
    one("/share/codecbench/presets/quick.yaml")
    one("/share/codecbench/presets/base.yaml")
    one("/share/codecbench/samples/cityCC0.mpg")
    man = one("/share/man/man1/codecbench.1")
    bash = one("/share/bash-completion/completions/codecbench")
    fish = one("/share/fish/vendor_completions.d/codecbench.fish")
    zsh = one("/_codecbench")
    one("/share/doc/codecbench/LICENSE")
    one("/share/doc/codecbench/docs/cli.md")
    if not exe:
        return
    # Moved away from the build: the installed tree must not need the checkout.
    moved = os.path.join(tmp, "moved")
    prefix = os.path.dirname(os.path.dirname(exe))
    shutil.move(prefix, moved)
    exe = os.path.join(moved, "bin", "codecbench")
    man, bash, fish, zsh = (os.path.join(moved, os.path.relpath(p, prefix))
                            for p in (man, bash, fish, zsh))
    cwd = os.path.join(tmp, "user")
    os.makedirs(cwd)
    res = run("presets", "--json", cwd=cwd, env=env, exe=exe)
    doc = json.loads(res.stdout) if res.returncode == 0 else {"presets": []}
    quick = [p for p in doc["presets"] if p["name"] == "quick"]
    check(quick and quick[0]["path"] == os.path.join(moved, "share", "codecbench", "presets",
                                                     "quick.yaml"),
          f"the installed binary finds its presets beside it, after the tree moved ({quick})")
    res = run("run", "quick", "-q", "--json", cwd=cwd, env=env, exe=exe, timeout=600)
    check(res.returncode == 0, f"installed: run quick from an empty folder exits 0 "
          f"({res.stderr.strip()[-300:]})")
    if res.returncode == 0:
        doc = json.loads(res.stdout)
        validate(doc, "run")
        jobs = doc["jobs"]
        check(len(jobs) == 14 and all(j["status"] == "ok" for j in jobs),
              f"installed: 14 jobs, all ok ({len(jobs)})")
        city = [j for j in jobs if j["input"] == "cityCC0.mpg"]
        check(len(city) == 4, "the shipped sample is found under share/codecbench/samples")
    check(os.path.isfile(os.path.join(cwd, "results", "codecbench.sqlite")),
          "installed: results in ./results/codecbench.sqlite of the working folder")

    # Completions, as each shell would use them.
    got = bash_complete(bash, exe, ["ru"], cwd)
    check(got == {"run", "runs"}, f"bash: 'ru' completes to run, runs ({got})")
    got = bash_complete(bash, exe, ["run", "--dr"], cwd)
    check(got == {"--dry-run"}, f"bash: run --dr -> --dry-run ({got})")
    got = bash_complete(bash, exe, ["transcode", "-c", "libx26"], cwd)
    check({"libx264", "libx265"} <= got and all(g.startswith("libx26") for g in got),
          f"bash: transcode -c libx26 lists the encoders ({got})")
    got = bash_complete(bash, exe, ["run", "x264"], cwd)
    check(got == {"x264-crf-ladder", "x264-presets"}, f"bash: run x264 -> preset names ({got})")
    got = bash_complete(bash, exe, ["codecs", "--type", "a"], cwd)
    check(got == {"audio", "attachment"}, f"bash: codecs --type a -> choices ({got})")
    got = bash_complete(bash, exe, ["runs", "show", "--st"], cwd)
    check(got == {"--store"}, f"bash: nested subcommand options ({got})")
    if shutil.which("fish"):
        res = subprocess.run(["fish", "--no-config", "-c",
                              f"source {fish}; complete -C 'codecbench ru'; "
                              "complete -C 'codecbench codecs --ty'"],
                             cwd=cwd, capture_output=True, text=True, timeout=60,
                             env=dict(env, PATH=os.path.dirname(exe) + ":" + env["PATH"]))
        words = {l.split("\t")[0] for l in res.stdout.splitlines()}
        check({"run", "runs", "--type"} <= words, f"fish: completes commands and options ({words})")
    else:
        print("SKIP: fish is not installed")
    if shutil.which("zsh"):
        res = subprocess.run(["zsh", "-n", zsh], capture_output=True, text=True)
        check(res.returncode == 0, f"zsh: the completion function parses ({res.stderr})")
    else:
        print("SKIP: zsh is not installed")

    # The man page renders without warnings and documents every command and the exit codes.
    res = subprocess.run(["man", "--warnings", "-l", man], capture_output=True, text=True,
                         env=dict(env, MANWIDTH="100", MANPAGER="cat", PAGER="cat"),
                         timeout=60)
    text = res.stdout
    check(res.returncode == 0 and res.stderr.strip() == "",
          f"man -l renders the page without warnings ({res.stderr.strip()[:300]})")
    for want in ("codecbench run PRESET", "codecbench runs show ID", "--dry-run", "EXIT STATUS",
                 "codecbench presets show NAME", "CODECBENCH_PRESET_PATH"):
        check(want in text.replace("\u2010", "-"), f"man page has '{want}'")


def main():
    with tempfile.TemporaryDirectory() as tmp:
        env = clean_env(tmp)
        search_path(tmp, env)
        installed(tmp, env)
    return finish()


if __name__ == "__main__":
    sys.exit(main())
