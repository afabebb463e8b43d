#!/usr/bin/env python3
"""Hostile presets, inputs and faults (issue 17), from the outside: every case ends in bounded
time and memory with one line on stderr naming the input and the cause and a documented exit
code; the report survives hostile names in an HTML5 parser and in the browser; a killed run is
shown as stale and --resume completes it; concurrent first opens of one store all succeed; a
disk that fills under --keep leaves no partial file."""
import json
import os
import resource
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time

from harness import SmallDisk, check, finish, validate

CB = os.environ["CODECBENCH"]
ROOT = os.environ["SOURCE_ROOT"]
MEMORY = 3 << 30  # address space per command: the limits must hold well below this
# Under the sanitizers (tools/sanitize) the biggest cases run at a smaller size, never skipped.
SANITIZED = bool(os.environ.get("ASAN_OPTIONS"))


def limited():
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY, MEMORY))


def run(*args, timeout=120, env=None, cwd=ROOT, stdout=subprocess.PIPE):
    # ASan reserves terabytes of address space: the memory limit applies to plain builds only.
    pre = None if os.environ.get("ASAN_OPTIONS") else limited
    return subprocess.run([CB, *args], stdout=stdout, stderr=subprocess.PIPE, text=True,
                          timeout=timeout, cwd=cwd, env=env, preexec_fn=pre, errors="replace")


def one_line_error(res, code, words, what):
    lines = res.stderr.strip().splitlines()
    return check(res.returncode == code and len(lines) == 1 and lines[0].startswith("codecbench: error: ")
                 and all(w in lines[0] for w in words),
                 f"{what}: exit {res.returncode} (want {code}), {lines[:3]}")


def hostile_presets(tmp):
    cases = {
        "selfalias": ("vars: &r {self: *r}\n", ["selfalias.yaml:1", "alias refers to a map or list that contains it"]),
        "laughs": ("a0: &a0 [" + ", ".join(["lol"] * 10) + "]\n" + "".join(
            f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 10) + "]\n" for i in range(1, 10)),
            ["laughs.yaml", "more than 1000000 values after expanding aliases"]),
        "chain": ("vars:\n" + "".join(f"  v{i}: ${{vars.v{i + 1}}}\n" for i in range(20000)) + "  v20000: end\n",
                  ["chain.yaml", "more than 64 deep"]),
        "double": ("v0: abcdefghij\n" + "".join(f"v{i}: ${{v{i - 1}}}${{v{i - 1}}}\n" for i in range(1, 60)),
                   ["double.yaml", "longer than 1024 KiB"]),
        "nul": ("a: \"x\0y\"\n", ["nul.yaml:1", "NUL byte"]),
        "twodoc": ("a: 1\n---\nb: 2\n", ["twodoc.yaml:2", "second YAML document"]),
        "threads": ("inputs: [lavfi:testsrc2=d=1]\nencoders: {x: libx264}\nthreads: 100000\n",
                    ["threads.yaml:3", "threads: must be at most 1024 (got 100000)"]),
        "outside": ("defaults: [../../../etc/passwd]\n", ["outside.yaml:1", "outside the preset's folder"]),
    }
    nested = "x"
    for _ in range(20000):
        nested = "${a." + nested + "}"
    cases["nested"] = ("a:\n  x: 1\nv: '" + nested + "'\n", ["nested.yaml:3", "more than 64 deep"])
    for name, (text, words) in cases.items():
        path = os.path.join(tmp, name + ".yaml")
        with open(path, "w") as f:
            f.write(text)
        t0 = time.monotonic()
        try:
            res = run("config", path, timeout=60)
        except subprocess.TimeoutExpired:
            check(False, f"preset {name}: hangs")
            continue
        one_line_error(res, 3, words, f"preset {name} ({time.monotonic() - t0:.1f} s)")
    res = run("config", "presets/quick.yaml", "-m", "threads=range(0,10000)", "repeats=range(0,10000)",
              "warmup=range(0,10000)")
    one_line_error(res, 3, ["more than 10000 variants"], "three range(0,10000) axes")
    res = run("config", "presets/quick.yaml", "-m", "threads=range(a,b)")
    one_line_error(res, 3, ["range() takes finite numbers, not 'a'"], "range(a,b)")
    res = run("config", "presets/quick.yaml", "-m", "threads=range(1e17,100000000000000010,3)")
    one_line_error(res, 3, ["too large to step"], "range on huge floats")


def hostile_options(tmp):
    cases = [
        (["codecs", "--probe", "--probe-jobs", "65537"], 2, ["--probe-jobs", "65537"]),
        (["codecs", "--probe", "--probe-timeout", "nan"], 2, ["--probe-timeout", "'nan'"]),
        (["transcode", "lavfi:testsrc2=d=1", "-c", "libx264", "--frames", "-1"], 2, ["--frames"]),
        (["transcode", "lavfi:testsrc2=d=1", "-c", "libx264", "--start", "nan"], 2, ["--start"]),
        (["transcode", "lavfi:sine=duration=0", "-c", "aac"], 3, ["never ends"]),
        (["transcode", "lavfi:nosuchfilter", "-c", "libx264"], 3, ["No such filter"]),
        (["transcode", "/dev/zero", "-c", "libx264"], 3, ["/dev/zero", "a character device"]),
        (["transcode", tmp, "-c", "libx264"], 3, [tmp, "is a directory"]),
        (["bdrate", "--points", "/dev/zero", "--anchor", "a", "--test", "b"], 3, ["/dev/zero", "character device"]),
        (["compare", "/dev/zero", "/dev/zero"], 3, ["/dev/zero"]),
        (["codecs", "--grep", "(a)\\1"], 2, ["back-references"]),
    ]
    fifo = os.path.join(tmp, "fifo")
    os.mkfifo(fifo)
    cases.append((["transcode", fifo, "-c", "libx264"], 3, [fifo, "a FIFO"]))
    for args, code, words in cases:
        try:
            res = run(*args, timeout=60)
        except subprocess.TimeoutExpired:
            check(False, f"{' '.join(args)}: hangs")
            continue
        one_line_error(res, code, words, " ".join(args))
    closed = subprocess.run([CB, "codecs"], capture_output=False, stderr=subprocess.PIPE, text=True,
                            preexec_fn=lambda: os.close(1), timeout=60)
    one_line_error(closed, 3, ["stdout: write failed: Bad file descriptor"], "codecs with stdout closed")
    res = run("transcode", "lavfi:testsrc2=size=64x64:rate=25:duration=0.2", "-c", "libx265", "-q")
    check(res.returncode == 0 and res.stderr == "",
          f"x265 prints nothing of its own on stderr: {res.stderr.splitlines()[:2]}")
    t0 = time.monotonic()
    res = run("codecs", "--grep", "(.*.*)*zzz", "--no-legend", timeout=60)
    check(res.returncode == 0 and time.monotonic() - t0 < 30,
          f"--grep with a pathological pattern ends ({time.monotonic() - t0:.1f} s)")
    with open("/dev/full", "w") as full:
        for args in (["codecs"], ["--help"], ["run", "presets/quick.yaml", "--dry-run", "-q"]):
            res = run(*args, stdout=full)
            one_line_error(res, 3, ["stdout: write failed"], f"{' '.join(args)} > /dev/full")


REPORT_PRESET = """
name: hostile
inputs:
  - {uri: "lavfi:testsrc2=size=64x64:rate=25:duration=0.4", name: "</script><!--<script>"}
encoders:
  "<!--<script>": {codec: mpeg4, axes: {b: [100k, 300k]}}
  "x</script>": {codec: libx264, options: {preset: ultrafast}, axes: {crf: [20, 35]}}
metrics: [psnr, ssim]
"""


def hostile_report(tmp):
    preset = os.path.join(tmp, "hostile.yaml")
    open(preset, "w").write(REPORT_PRESET)
    store = os.path.join(tmp, "hostile.sqlite")
    res = run("run", preset, "--store", store, "-q")
    check(res.returncode == 0, f"a run with hostile names ({res.stderr.strip()[:200]})")
    html_path = os.path.join(tmp, "hostile.html")
    res = run("report", "--store", store, "-o", html_path)
    check(res.returncode == 0, "report of it")
    html = open(html_path, encoding="utf-8").read()
    try:
        import html5lib
    except ImportError:
        html5lib = None
    if html5lib is None:
        print("SKIP: python3-html5lib is not installed: the report was not parsed as HTML5")
    else:
        doc = html5lib.parse(html, namespaceHTMLElements=False)
        scripts = doc.findall(".//script")
        specs = [s for s in scripts if s.get("id") == "chart-specs"]
        if os.environ.get("CODECBENCH_VEGA") == "1":
            ok = len(specs) == 1
            if ok:
                parsed = json.loads(specs[0].text)
                names = json.dumps(parsed)
                ok = "<!--<script>" in names and "</script>" in names
            check(ok, "HTML5 parse: the chart data is one script element whose text is the whole JSON")
        sort = [s for s in scripts if s.text and "function sortTable" in s.text]
        check(len(sort) == 1 and sort[0].text.rstrip().endswith("}"), "HTML5 parse: the sorting script is intact")
        rows = [r for r in doc.findall(".//table[@id='results']/tbody/tr")
                if r.get("class") != "group-head"]
        check(len(rows) == 4, f"HTML5 parse: the results table has every job ({len(rows)})")
        cells = "".join("".join(td.itertext()) for r in rows for td in r.findall("td"))
        check("<!--<script>" in cells and "x</script>" in cells, "hostile names shown as text")
    browser = shutil.which("chromium-headless-shell") or shutil.which("chromium")
    if not browser or os.environ.get("CODECBENCH_VEGA") != "1":
        print("SKIP: no headless Chromium or no Vega: the hostile report was not rendered")
        return
    dom = subprocess.run([browser, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
                          "--disable-background-networking", "--virtual-time-budget=20000",
                          f"--user-data-dir={tmp}/chrome", "--dump-dom", "file://" + html_path],
                         capture_output=True, text=True, timeout=180).stdout
    check('data-charts="done"' in dom and 'data-error="' not in dom and dom.count("data-drawn=") >= 4,
          f"Chromium draws every chart of the hostile report ({dom.count('data-drawn=')} drawn)")


STALE = """
name: stale
inputs: [lavfi:testsrc2=size=320x240:rate=25:duration=2]
encoders:
  x: {codec: libx264, options: {preset: slow}, axes: {crf: [18, 21, 24, 27, 30, 33, 36, 39]}}
metrics: [psnr]
"""


def signal_after_first_job(args, sig):
    """Starts `codecbench ARGS`, sends `sig` once its first job has finished, and waits."""
    p = subprocess.Popen([CB, *args], cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                         text=True)
    line = p.stderr.readline()
    while line and not (line.startswith("[") and line.rstrip().endswith(": ok")):
        line = p.stderr.readline()
    p.send_signal(sig)
    p.communicate(timeout=120)
    return p.returncode


def stale_and_resume(tmp):
    preset = os.path.join(tmp, "stale.yaml")
    open(preset, "w").write(STALE)
    store = os.path.join(tmp, "stale.sqlite")
    signal_after_first_job(["run", preset, "--store", store], signal.SIGKILL)
    res = run("runs", "--store", store, "--json")
    runs = json.loads(res.stdout) if res.returncode == 0 else []
    validate(runs, "runs")
    check(len(runs) == 1 and runs[0]["status"] == "stale", f"a run killed by SIGKILL is stale: {runs}")
    html_path = os.path.join(tmp, "stale.html")
    run("report", "--store", store, "-o", html_path)
    check("the process writing it is gone" in open(html_path).read(), "the report says the run did not finish")
    res = run("run", preset, "--store", store, "--resume", "-q")
    db = sqlite3.connect(store)
    (ok,) = db.execute("select count(distinct job_key) from jobs where status = 'ok'").fetchone()
    statuses = [s for (s,) in db.execute("select status from runs order by id")]
    db.close()
    check(res.returncode == 0 and ok == 8 and statuses == ["running", "ok"],
          f"--resume after kill -9 completes the launch: {ok} of 8 jobs, runs {statuses}")
    leftovers = [f for f in os.listdir(tmp) if "reserve" in f]
    check(not leftovers, f"the killed writer's space reserve was cleaned up: {leftovers}")


def concurrent_first_opens(tmp):
    preset = os.path.join(tmp, "tiny.yaml")
    open(preset, "w").write("inputs: [lavfi:testsrc2=size=64x64:rate=25:duration=0.2]\n"
                            "encoders: {m: mpeg4}\nmetrics: [psnr]\n")
    for attempt in range(3):
        store = os.path.join(tmp, f"race{attempt}.sqlite")
        procs = [subprocess.Popen([CB, "run", preset, "--store", store, "-q"], cwd=ROOT,
                                  stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
                 for _ in range(6)]
        errs = [(p.wait(timeout=120), p.stderr.read().strip()) for p in procs]
        db = sqlite3.connect(store)
        (n,) = db.execute("select count(*) from runs where status = 'ok'").fetchone()
        db.close()
        if not check(all(rc == 0 for rc, _ in errs) and n == 6,
                     f"six processes creating one store at once all succeed ({n} runs, {errs})"):
            break


def outputs(tmp):
    victim = os.path.join(tmp, "bashrc")
    open(victim, "w").write("export PATH=/usr/bin\n")
    preset = os.path.join(tmp, "writer.yaml")
    open(preset, "w").write("inputs: [lavfi:testsrc2=size=64x64:rate=25:duration=0.2]\n"
                            "encoders: {m: mpeg4}\nmetrics: [psnr]\n"
                            f"output: {{store: {tmp}/w.sqlite, json: {victim}, csv: {tmp}/w.csv}}\n")
    res = run("run", preset, "--dry-run")
    check(res.returncode == 3 and "bashrc" in res.stderr and "--force" in res.stderr,
          f"--dry-run refuses a preset that would overwrite a foreign file: {res.stderr.strip()}")
    res = run("run", preset)
    one_line_error(res, 3, [victim, "was not written by codecbench", "--force"], "output.json over a foreign file")
    check(open(victim).read() == "export PATH=/usr/bin\n" and not os.path.exists(f"{tmp}/w.sqlite"),
          "the foreign file is untouched and nothing ran")
    os.remove(victim)
    res = run("run", preset, "--dry-run")
    check(res.returncode == 0 and f"writes: store {tmp}/w.sqlite, output.json {victim}, output.csv {tmp}/w.csv"
          in res.stderr, f"--dry-run lists every path a run writes: {res.stderr.strip()}")
    res = run("run", preset, "-q")
    res2 = run("run", preset, "-q")
    check(res.returncode == 0 and res2.returncode == 0 and json.load(open(victim))["schema_version"] >= 1,
          "a codecbench output is replaced by the next run")
    foreign = os.path.join(tmp, "places.sqlite")
    db = sqlite3.connect(foreign)
    db.execute("create table moz_places(url)")
    db.commit()
    db.close()
    res = run("runs", "--store", foreign)
    one_line_error(res, 3, ["places.sqlite", "another program", "moz_places"], "a foreign SQLite store")


def non_utf8(tmp):
    name = os.fsencode(tmp) + b"/clip\xff\xfe.mpg"
    shutil.copy(os.path.join(ROOT, "samples", "cityCC0.mpg"), name)
    preset = os.path.join(tmp, "bytes.yaml")
    with open(preset, "wb") as f:
        f.write(b"inputs: [{uri: '" + name + b"', frames: 3}]\nencoders: {m: mpeg4}\n")
    store = os.path.join(tmp, "bytes.sqlite")
    res = subprocess.run([CB, "run", preset, "--store", store, "--json", "-q"], capture_output=True, cwd=ROOT)
    ok = res.returncode == 0
    try:
        doc = json.loads(res.stdout.decode("utf-8"))
        ok = ok and doc["jobs"][0]["status"] == "ok"
    except (ValueError, KeyError, IndexError):
        ok = False
    check(ok, f"a non-UTF-8 file name: run --json is valid UTF-8 JSON ({res.stderr[:200]})")
    res = subprocess.run([CB, "runs", "export", "1", "--store", store, "--json"], capture_output=True)
    check(res.returncode == 0 and json.loads(res.stdout.decode("utf-8"))["jobs"], "and its run exports")


def full_disk_keep(tmp):
    mnt = os.path.join(tmp, "small")
    with SmallDisk(mnt, "64k", "--keep on a full disk did not run") as mounted:
        if not mounted:
            return
        kept = os.path.join(mnt, "k.mkv")
        res = run("transcode", os.path.join(ROOT, "samples", "cityCC0.mpg"), "-c", "libx264", "--keep", kept)
        one_line_error(res, 3, ["k.mkv", "No space left on device"], "--keep on a full disk")
        check(os.listdir(mnt) == [], f"no partial kept file is left: {os.listdir(mnt)}")


def completion_injection(tmp):
    """Round two, high 2: a preset file named $(touch${IFS}PWNED).yaml in the working folder is
    offered as a name by bash, zsh and fish completion, and runs nothing."""
    hostile = "$(touch${IFS}PWNED)"

    def folder(shell):  # a working folder of its own per shell, with the hostile presets
        d = os.path.join(tmp, "completion-" + shell)
        os.makedirs(d)
        for name in (hostile, "`touch PWNED2`", "good"):
            with open(os.path.join(d, name + ".yaml"), "w") as f:
                f.write("inputs: ['lavfi:testsrc2=d=1']\nencoders: {m: {codec: mpeg4}}\n")
        return d

    env = dict(os.environ, PATH=os.path.dirname(os.path.abspath(CB)) + os.pathsep + os.environ["PATH"])
    d = folder("bash")
    pwned = lambda: [f for f in os.listdir(d) if f.startswith("PWNED")]
    scripts = {}
    for shell in ("bash", "zsh", "fish"):
        res = run("completions", shell)
        scripts[shell] = os.path.join(tmp, "completion." + shell)
        with open(scripts[shell], "w") as f:
            f.write(res.stdout)
    prog = (f"source {scripts['bash']}\nCOMP_WORDS=({CB} run ''); COMP_CWORD=2\n"
            "_codecbench; printf '%s\\n' \"${COMPREPLY[@]}\"\n")
    res = subprocess.run(["bash", "-c", prog], cwd=d, capture_output=True, text=True, timeout=60,
                         env=env)
    got = res.stdout.splitlines()
    check(not pwned() and hostile in got and "good" in got and "`touch PWNED2`" in got,
          f"bash: run <TAB> offers the hostile preset names as they are, runs nothing "
          f"({pwned()}, {got[:8]})")
    prog = (f"source {scripts['bash']}\nCOMP_WORDS=({CB} run '$('); COMP_CWORD=2\n"
            "_codecbench; printf '%s\\n' \"${COMPREPLY[@]}\"\n")
    res = subprocess.run(["bash", "-c", prog], cwd=d, capture_output=True, text=True, timeout=60,
                         env=env)
    got = res.stdout.splitlines()
    check(not pwned() and hostile in got and "good" not in got,
          f"bash: run $(<TAB> completes to the hostile name by its prefix ({got[:8]}))")
    if shutil.which("zsh"):
        d = folder("zsh")
        prog = ("compadd() { [[ $1 == -- ]] && shift; printf '%s\\n' \"$@\"; }\n"
                "_files() { :; }; _message() { :; }; _describe() { :; }\n"
                f"source {scripts['zsh']}\nwords=({CB} run ''); CURRENT=3\n_codecbench\n")
        res = subprocess.run(["zsh", "-f", "-c", prog], cwd=d, capture_output=True, text=True,
                             timeout=60, env=env)
        got = res.stdout.splitlines()
        check(not pwned() and hostile in got and "good" in got,
              f"zsh: run <TAB> offers the hostile name, runs nothing ({pwned()}, {got[:8]}, "
              f"{res.stderr[-200:]})")
    if shutil.which("fish"):
        d = folder("fish")
        res = subprocess.run(["fish", "--no-config", "-c",
                              f"source {scripts['fish']}; complete -C 'codecbench run '"],
                             cwd=d, capture_output=True, text=True, timeout=60, env=env)
        got = [line.split("\t")[0] for line in res.stdout.splitlines()]
        check(not pwned() and hostile in got and "good" in got,
              f"fish: run <TAB> offers the hostile name, runs nothing ({pwned()}, {got[:8]})")


def deep_json(tmp):
    """Round two, high 3: JSON nested 70,000 deep in a run document, a stream line or a store
    row is one line naming the file (and row), exit 3, never a stack overflow."""
    d = os.path.join(tmp, "deep")
    os.makedirs(d)
    with open(os.path.join(ROOT, "tests", "data", "run-v1.json")) as f:
        doc = json.load(f)
    deep = "[" * 70000 + "]" * 70000
    doc["jobs"][0]["result"] = "DEEP"
    path = os.path.join(d, "deep.json")
    with open(path, "w") as f:
        f.write(json.dumps(doc).replace('"DEEP"', deep))
    for args in (("merge", os.path.join(d, "m.sqlite"), path), ("compare", path, path),
                 ("bdrate", path, "--anchor", "x264", "--test", "x265")):
        one_line_error(run(*args), 3, [path, "nested deeper than 256"], f"{args[0]} of a deep document")
    stream = os.path.join(d, "deep.jsonl")
    with open(stream, "w") as f:
        f.write(json.dumps({"record": "run", "schema_version": 2, "run": {}}) + "\n")
        f.write('{"record": "job", "job": ' + deep + "}\n")
    one_line_error(run("compare", stream, stream), 3, [stream + ":2", "nested deeper"],
                   "compare of a stream with a deep line")
    store = os.path.join(d, "s.sqlite")
    res = run("merge", store, os.path.join(ROOT, "tests", "data", "run-v1.json"), "-q")
    check(res.returncode in (0, 5), f"a store to tamper with ({res.stderr.strip()[-200:]})")
    db = sqlite3.connect(store)
    db.execute("UPDATE jobs SET result_json = ? WHERE id = (SELECT min(id) FROM jobs)", (deep,))
    db.commit()
    db.close()
    for args in (("runs", "show", "1"), ("runs", "export", "1", "--json"), ("compare", "1", "1"),
                 ("report", "1", "-o", os.path.join(d, "r.html")), ("bdrate", "--anchor", "a",
                                                                     "--test", "b")):
        one_line_error(run(*args, "--store", store), 3, [store, "job row", "result_json", "nested"],
                       f"{' '.join(args[:2])} of a store with a deep row")
    one_line_error(run("merge", os.path.join(d, "m2.sqlite"), store), 3, [store, "nested"],
                   "merge of a store with a deep row")


def outputs_over_the_store(tmp):
    """Round two, high 5: an output that is the store (or its -wal/-shm, or a link to it) or an
    input of the same command is refused before anything is written; the store keeps its run."""
    d = os.path.join(tmp, "over")
    os.makedirs(d)
    store = os.path.join(d, "s.sqlite")
    doc = os.path.join(ROOT, "tests", "data", "run-v1.json")
    res = run("merge", store, doc, "-q")
    check(res.returncode in (0, 5), f"a store with one run ({res.stderr.strip()[-200:]})")
    link = os.path.join(d, "link.json")
    os.symlink(store, link)
    copy = os.path.join(d, "copy.json")
    shutil.copy(doc, copy)
    before = open(store, "rb").read()
    preset = os.path.join(d, "p.yaml")
    with open(preset, "w") as f:
        f.write("inputs: ['lavfi:testsrc2=size=64x64:rate=5:duration=1']\n"
                "encoders: {m: {codec: mpeg4}}\n")
    cases = [
        (("run", preset, "--store", store, "--json", store), ["--json", "the results store"]),
        (("run", preset, "--store", store, "--csv", link), ["--csv", "the results store"]),
        (("run", preset, "--store", store, "--stream", store + "-wal"), ["--stream"]),
        (("run", preset, "--store", "sqlite:" + store, "--jsonl", store), ["--jsonl"]),
        (("runs", "export", "1", "--store", store, "--json", store), ["--json"]),
        (("runs", "--store", store, "--markdown", link), ["--markdown"]),
        (("report", "1", "--store", store, "-o", store), ["-o", "the results store"]),
        (("merge", store, doc, "--json", store), ["--json", "merged into"]),
        (("merge", os.path.join(d, "m.sqlite"), copy, "--json", copy), ["--json", "an input"]),
        (("compare", "1", copy, "--store", store, "--csv", copy), ["--csv", "RUN_B"]),
    ]
    for args, words in cases:
        one_line_error(run(*args), 2, words + ["would destroy it"], " ".join(
            os.path.basename(a) for a in args))
    db = sqlite3.connect(store)
    runs = db.execute("SELECT count(*) FROM runs").fetchone()[0]
    db.close()
    check(open(copy).read() == open(doc).read() and runs == 1 and not os.path.exists(
        os.path.join(d, "results")), f"the store and the inputs are untouched ({runs} runs)")
    check(open(store, "rb").read() == before or runs == 1, "the store file is the same")


def slurm_scripts(tmp):
    """Round two, high 1 and 10: a newline or control character in any value that would go
    into a Slurm script is refused before a script is written; the default folder of a preset
    named x/../../../escaped stays in the working folder; what is written, bash runs without
    running anything but codecbench and sbatch's own lines."""
    d = os.path.join(tmp, "slurm")
    os.makedirs(os.path.join(d, "work"))
    def preset(name, launcher=""):
        p = os.path.join(d, f"p{len(os.listdir(d))}.yaml")
        with open(p, "w") as f:
            f.write(f"name: {json.dumps(name)}\ninputs: ['lavfi:testsrc2=d=1']\n"
                    f"encoders: {{m: {{codec: mpeg4}}}}\n{launcher}")
        return p
    evil = "x\ntouch PWNED #"
    cases = [
        ((preset(evil), "--dir", os.path.join(d, "o1")), ["the preset's name", "0x0a"]),
        ((preset("ok", "launcher: {partition: \"a\\ntouch PWNED\"}\n"), "--dir",
          os.path.join(d, "o2")), ["launcher.partition", "0x0a"]),
        ((preset("ok"), "--dir", os.path.join(d, "o3"), "--time", "1:00\ntouch PWNED"),
         ["--time", "0x0a"]),
        ((preset("ok"), "--dir", os.path.join(d, "o4"), "--account", "a\rb"), ["--account", "0x0d"]),
        ((preset("ok"), "--dir", os.path.join(d, "o5"), "--sbatch-arg=--qos=x\ntouch PWNED"),
         ["--sbatch-arg", "0x0a"]),
        ((preset("ok"), "--dir", os.path.join(d, "o6\ntouch PWNED")), ["--dir", "0x0a"]),
    ]
    for args, words in cases:
        res = run("slurm", *args, cwd=os.path.join(d, "work"))
        folder = args[args.index("--dir") + 1]
        one_line_error(res, 3, words, f"slurm with a control character ({words[0]})")
        check(not os.path.exists(os.path.join(folder, "array.sbatch")),
              f"no script written ({words[0]})")
    # The default folder: a sanitised name, inside the working folder.
    res = run("slurm", preset("x/../../../escaped"), "-q", cwd=os.path.join(d, "work"))
    made = os.listdir(os.path.join(d, "work"))
    check(res.returncode == 0 and len(made) == 1 and made[0].startswith("slurm-x_.._.._.._escaped-")
          and not os.path.exists(os.path.join(tmp, "escaped")) and not any(
              f.startswith("slurm-") for f in os.listdir(tmp)),
          f"the default folder stays in the working folder ({made}, {res.stderr.strip()[-200:]})")
    # Quotes, $() and backticks are written quoted: bash with stubs runs only them.
    odd = "it's $(touch PWNED) `touch PWNED` \"q\""
    out = os.path.join(d, "odd")
    res = run("slurm", preset(odd, "launcher: {partition: \"p$(touch PWNED)\"}\n"), "--dir", out,
              "--sbatch-arg=--comment=$(touch PWNED)", cwd=os.path.join(d, "work"))
    check(res.returncode == 0, f"a name with quotes and $() is written ({res.stderr.strip()[-200:]})")
    stubs = os.path.join(d, "stubs")
    os.makedirs(stubs)
    log = os.path.join(d, "stub.log")
    with open(os.path.join(stubs, "stub"), "w") as f:
        f.write(f"#!/bin/sh\necho \"$0 $*\" >> {log}\n")
    os.chmod(os.path.join(stubs, "stub"), 0o755)
    for script in ("array.sbatch", "merge.sbatch"):
        path = os.path.join(out, script)
        if not os.path.exists(path):
            check(False, f"{script} written")
            continue
        text = open(path).read().replace(os.path.abspath(CB), os.path.join(stubs, "stub"))
        with open(path, "w") as f:
            f.write(text)
        env = dict(os.environ, SLURM_ARRAY_TASK_ID="1", PATH=stubs + os.pathsep + os.environ["PATH"])
        subprocess.run(["bash", path], cwd=os.path.join(d, "work"), env=env, capture_output=True,
                       timeout=60)
    check(not [f for r, _, fs in os.walk(d) for f in fs if f.startswith("PWNED")],
          "bash running the scripts ran nothing a name or value carried")


def results_variable(tmp):
    """Round two, medium 7: CODECBENCH_RESULTS empty is unset (never the filesystem's root); a
    relative value is relative to the working folder, not the shipped presets' folder; a
    newline in it is refused instead of splitting the writes: line."""
    d = os.path.join(tmp, "results-var")
    os.makedirs(d)
    quick = os.path.join(ROOT, "presets", "quick.yaml")
    for value, want in (("", os.path.join(d, "results")), ("mine", os.path.join(d, "mine")),
                        ("/abs/r", "/abs/r")):
        env = dict(os.environ, CODECBENCH_RESULTS=value)
        res = run("run", quick, "--dry-run", "--json", cwd=d, env=env)
        line = next((x for x in res.stderr.splitlines() if x.startswith("writes: ")), "")
        check(res.returncode == 0 and line.startswith(f"writes: store {want}/codecbench.sqlite"),
              f"CODECBENCH_RESULTS={value!r}: {line}")
    env = dict(os.environ, CODECBENCH_RESULTS="/tmp/a\nwrites: store /elsewhere")
    one_line_error(run("run", quick, "--dry-run", cwd=d, env=env), 3,
                   ["CODECBENCH_RESULTS", "control character"], "a newline in CODECBENCH_RESULTS")


def tampered_store_objects(tmp):
    """Round two, high 4: a store whose table is replaced by a recursive view (or that holds a
    trigger, an unknown table, or a table without a column codecbench reads) is refused at once,
    naming the store and the object, instead of running for ever."""
    d = os.path.join(tmp, "objects")
    os.makedirs(d)
    doc = os.path.join(ROOT, "tests", "data", "run-v1.json")
    recursive = ("WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) "
                 "SELECT x AS {cols} FROM c")
    cases = {
        "view": ("ALTER TABLE runs RENAME TO runs_old; CREATE VIEW runs AS "
                 + recursive.format(cols="id, x AS uuid, x AS started, x AS finished, x AS status, "
                                    "x AS preset_name, x AS preset_hash, x AS jobs_total, "
                                    "x AS jobs_failed, x AS owner"), ["'runs' is a view"]),
        "trigger": ("CREATE TRIGGER t AFTER INSERT ON runs BEGIN DELETE FROM jobs; END",
                    ["trigger 't'"]),
        "table": ("CREATE TABLE extra (a)", ["table 'extra'"]),
        "column": ("ALTER TABLE jobs DROP COLUMN record_json", ["lacks the column 'record_json'"]),
    }
    for name, (sql, words) in cases.items():
        store = os.path.join(d, name + ".sqlite")
        res = run("merge", store, doc, "-q")
        db = sqlite3.connect(store)
        db.executescript(sql)
        db.commit()
        db.close()
        for args in (("runs",), ("runs", "show", "1"), ("runs", "export", "1", "--json")):
            t0 = time.monotonic()
            try:
                res = run(*args, "--store", store, timeout=30)
            except subprocess.TimeoutExpired:
                check(False, f"{' '.join(args[:2])} on a store with a {name}: ran for 30 s")
                continue
            one_line_error(res, 3, [store, "not a usable results store"] + words,
                           f"{' '.join(args)} on a store with a {name} "
                           f"({time.monotonic() - t0:.1f} s)")
        res = run("merge", os.path.join(d, name + "-out.sqlite"), store, timeout=30)
        one_line_error(res, 3, [store] + words, f"merge from a store with a {name}")


def merge_same_uuid(tmp):
    """Round two, medium 1: merge refuses to fold another preset's run into a stored run that
    has the same UUID."""
    d = os.path.join(tmp, "same-uuid")
    os.makedirs(d)
    store = os.path.join(d, "s.sqlite")
    doc = os.path.join(ROOT, "tests", "data", "run-v1.json")
    run("merge", store, doc, "-q")
    with open(doc) as f:
        other = json.load(f)
    res = run("runs", "export", "1", "--json", "--store", store)
    stored = json.loads(res.stdout) if res.returncode == 0 else {}
    other["run"]["uuid"] = stored.get("run", {}).get("uuid")
    other["run"]["preset_hash"] = "0123456789abcdef"
    path = os.path.join(d, "other.json")
    with open(path, "w") as f:
        json.dump(other, f)
    one_line_error(run("merge", store, path), 3, [store, "another preset", "0123456789abcdef"],
                   "merge of another preset's run with the same UUID")
    db = sqlite3.connect(store)
    n = db.execute("SELECT count(*) FROM jobs").fetchone()[0]
    db.close()
    check(n == len(stored.get("jobs", [])) and n > 0, f"the stored run is unchanged ({n} jobs)")


def vmaf_model_duplicates(tmp):
    """Round two, high 7: a VMAF model that lists a feature 200,000 times (9 MB; it ended in an
    uncaught std::bad_alloc) is refused as a model, one line, exit 3."""
    with open(os.path.join(ROOT, "models", "vmaf_float_v0.6.1.json")) as f:
        model = json.load(f)
    model["model_dict"]["feature_names"] = ["VMAF_feature_adm2_score"] * 200000
    path = os.path.join(tmp, "dup-model.json")
    with open(path, "w") as f:
        json.dump(model, f)
    res = run("transcode", "lavfi:testsrc2=size=176x144:rate=5:duration=0.4", "-c", "mpeg4",
              "--metrics", "vmaf", "--vmaf-model", path, "-q")
    one_line_error(res, 3, [path, "adm2", "listed twice"], "a VMAF model with a feature 200,000 times")


def slurm_dir_links(tmp):
    """Round two, high 9: links planted in the --dir folder are replaced, never written
    through (a victim file keeps its content, a dangling link creates nothing); a script there
    that codecbench did not write is refused without --force, and nothing is written."""
    d = os.path.join(tmp, "slurmlinks")
    out = os.path.join(d, "out")
    os.makedirs(out)
    p = os.path.join(d, "p.yaml")
    with open(p, "w") as f:
        f.write("name: links\ninputs: ['lavfi:testsrc2=d=1']\nencoders: {m: {codec: mpeg4}}\n")
    victim = os.path.join(d, "victim")
    with open(victim, "w") as f:
        f.write("precious\n")
    os.symlink(victim, os.path.join(out, "array.sbatch"))
    os.symlink(os.path.join(d, "created-through-link"), os.path.join(out, "merge.sbatch"))
    res = run("slurm", p, "--dir", out, "-q")
    one_line_error(res, 3, [os.path.join(out, "array.sbatch"), "symbolic link", "--force"],
                   "slurm --dir over a planted link")
    check(open(victim).read() == "precious\n" and os.path.islink(os.path.join(out, "merge.sbatch")),
          "a refused slurm writes nothing")
    res = run("slurm", p, "--dir", out, "-q", "--force")
    check(res.returncode == 0, f"slurm --force replaces links ({res.stderr.strip()[-200:]})")
    check(open(victim).read() == "precious\n", "the victim file behind a link is untouched")
    check(not os.path.exists(os.path.join(d, "created-through-link")),
          "a dangling link creates no file where it points")
    for script in ("array.sbatch", "merge.sbatch"):
        path = os.path.join(out, script)
        check(not os.path.islink(path) and os.path.isfile(path) and os.access(path, os.X_OK),
              f"{script} is a new executable file")
    # Its own scripts codecbench replaces; another file only with --force.
    res = run("slurm", p, "--dir", out, "-q")
    check(res.returncode == 0, f"slurm replaces its own scripts ({res.stderr.strip()[-200:]})")
    with open(os.path.join(out, "merge.sbatch"), "w") as f:
        f.write("#!/bin/bash\necho mine\n")
    before = open(os.path.join(out, "array.sbatch")).read()
    res = run("slurm", p, "--dir", out, "-q")
    one_line_error(res, 3, [os.path.join(out, "merge.sbatch"), "did not write", "--force"],
                   "slurm --dir over a script codecbench did not write")
    check(open(os.path.join(out, "merge.sbatch")).read() == "#!/bin/bash\necho mine\n" and
          open(os.path.join(out, "array.sbatch")).read() == before,
          "a refusal leaves both scripts as they were")
    check(not [f for f in os.listdir(out) if ".tmp" in f], "no temporary file is left")


def decompression_bomb(tmp):
    """Round two, high 8: a small file of huge frames is refused as too large from its header
    (transcode, decode, search), before a frame is decoded, and within a small memory budget; a
    lavfi source is checked on its frames; --max-pixels raises the limit, and frames in flight
    x threads are bounded too."""
    bomb = os.path.join(tmp, "bomb.mkv")
    subprocess.run(["ffmpeg", "-loglevel", "error", "-y", "-f", "lavfi", "-i",
                    "color=black:s=9000x9000:r=5,format=monob", "-frames:v", "2", "-c:v", "png",
                    bomb], check=True, timeout=120)
    check(os.path.getsize(bomb) < 200_000, f"the bomb is small ({os.path.getsize(bomb)} bytes)")
    words = ["9000x9000", "too large", "--max-pixels"]
    for args in (("transcode", bomb, "-c", "mpeg4", "--scale", "64x64", "--metrics", "none"),
                 ("decode", bomb),
                 ("search", bomb, "-c", "libx264", "--param", "crf", "--range", "10:51",
                  "--target", "psnr=30", "--no-store")):
        res = run(*args, "-q")
        one_line_error(res, 3, [bomb] + words, f"{args[0]} of 9000x9000 PNG frames")
        check("damaged" not in res.stderr, f"{args[0]}: too large is not called damaged")
    res = run("transcode", "lavfi:color=s=9000x9000:d=0.4", "-c", "mpeg4", "--scale", "64x64",
              "--metrics", "none", "-q")
    one_line_error(res, 3, ["lavfi:color=s=9000x9000:d=0.4"] + words, "a lavfi source of huge frames")
    # Raised, the same file is measured (two frames of 81 M pixels fit the test's 3 GiB).
    res = run("transcode", bomb, "-c", "mpeg4", "--scale", "64x64", "--metrics", "none", "-q",
              "--max-pixels", "100000000", "--threads", "1", "--json")
    check(res.returncode == 0 and json.loads(res.stdout or "{}").get("video", {}).get("source_width") == 9000,
          f"--max-pixels 100000000 measures it (exit {res.returncode}, {res.stderr.strip()[-200:]})")
    res = run("decode", bomb, "--max-pixels", "100000000", "-q")
    check(res.returncode == 0, f"decode --max-pixels measures it ({res.stderr.strip()[-200:]})")
    res = run("transcode", bomb, "-c", "mpeg4", "--scale", "64x64", "--metrics", "none", "-q",
              "--max-pixels", "100000000", "--threads", "1000")
    one_line_error(res, 3, [bomb, "frames in flight", "fewer threads"],
                   "huge frames x 1000 threads")
    # A preset's input lowers (or raises) the limit.
    p = os.path.join(tmp, "max_pixels.yaml")
    with open(p, "w") as f:
        f.write("name: mp\ninputs: [{uri: 'lavfi:testsrc2=size=176x144:d=0.4', max_pixels: 20000}]\n"
                "encoders: {m: {codec: mpeg4}}\nmetrics: [psnr]\n")
    res = run("run", p, "--store", "memory:", "-q", "--json", os.path.join(tmp, "mp.json"))
    doc = json.load(open(os.path.join(tmp, "mp.json"))) if os.path.exists(os.path.join(tmp, "mp.json")) else {}
    errors = [j.get("error", "") for j in doc.get("jobs", [])]
    check(res.returncode == 5 and errors and "176x144" in errors[0] and "too large" in errors[0],
          f"an input's max_pixels: 20000 refuses 176x144 frames (exit {res.returncode}, {errors})")


def concurrent_merges(tmp):
    """Round two, medium 2: merges into one store at once (the last array tasks and the merge
    job) are each one write transaction: 8 at a time, over several rounds, leave one run with
    every job once and the status of the whole, never a duplicate row or a UNIQUE failure."""
    d = os.path.join(tmp, "concurrent-merges")
    os.makedirs(d)
    with open(os.path.join(ROOT, "tests", "data", "run-v1.json")) as f:
        base = json.load(f)
    base["run"]["uuid"] = "5b1e6f0a-1111-4222-8333-944455556666"
    template = base["jobs"][0]
    shards = []
    for k in range(4):  # four shards of 150 distinct ok jobs each
        doc = json.loads(json.dumps(base))
        doc["jobs"] = []
        for i in range(150):
            job = json.loads(json.dumps(template))
            job["key"] = f"{k:02d}{i:014x}"
            job["status"] = "ok"
            job["error"] = ""
            doc["jobs"].append(job)
        shards.append(os.path.join(d, f"shard-{k}.json"))
        with open(shards[-1], "w") as f:
            json.dump(doc, f)
    keys = {f"{k:02d}{i:014x}" for k in range(4) for i in range(150)}
    problems = []
    for round_ in range(6):
        store = os.path.join(d, f"merged-{round_}.sqlite")
        procs = [subprocess.Popen([CB, "merge", store, shards[m % 4], shards[(m + 1) % 4], "-q"],
                                  stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
                 for m in range(8)]
        for p in procs:
            _, err = p.communicate(timeout=300)
            if p.returncode not in (0, 5) or err.strip():
                problems.append(f"round {round_}: exit {p.returncode} {err.strip()[:200]}")
        db = sqlite3.connect(store)
        runs = db.execute("SELECT id, status FROM runs").fetchall()
        rows = db.execute("SELECT job_key FROM jobs").fetchall()
        db.close()
        if len(runs) != 1 or runs[0][1] != "ok":
            problems.append(f"round {round_}: runs {runs}")
        if len(rows) != len(keys) or {r[0] for r in rows} != keys:
            problems.append(f"round {round_}: {len(rows)} job rows for {len(keys)} jobs")
    check(not problems, f"8 concurrent merges into one store, 6 rounds: {problems[:3]}")


def read_only_inputs(tmp):
    """Round two, medium 3: stores that are only read (merge inputs, runs, runs show/export,
    report, compare) are opened read-only: an older store is not migrated or switched to WAL
    in place, its bytes do not change, a missing store is not created, and (not as root) a
    store in a read-only folder can be read."""
    d = os.path.join(tmp, "read-only")
    os.makedirs(d)
    current = os.path.join(d, "current.sqlite")
    res = run("merge", current, os.path.join(ROOT, "tests", "data", "run-v1.json"), "-q")
    check(res.returncode in (0, 5), f"a store to age ({res.stderr.strip()[-200:]})")
    old = os.path.join(d, "v4.sqlite")
    src = sqlite3.connect(current)
    dst = sqlite3.connect(old)
    src.backup(dst)
    src.close()
    dst.execute("ALTER TABLE runs DROP COLUMN conditions_json")
    dst.execute("UPDATE schema_version SET version = 4")
    dst.commit()
    dst.execute("PRAGMA journal_mode = DELETE")
    dst.close()
    def state():
        with open(old, "rb") as f:
            data = f.read()
        extra = sorted(f for f in os.listdir(d) if f.startswith("v4.sqlite") and f != "v4.sqlite")
        return data, extra
    before = state()
    html = os.path.join(d, "r.html")
    for args in (("runs", "--store", old), ("runs", "show", "1", "--store", old),
                 ("runs", "export", "1", "--json", os.path.join(d, "e.json"), "--store", old),
                 ("report", "--store", old, "-o", html),
                 ("compare", "1", "1", "--store", old),
                 ("merge", os.path.join(d, "out.sqlite"), old)):
        res = run(*args, "-q")
        check(res.returncode in (0, 5) and not res.stderr.strip(),
              f"{' '.join(args[:2])} reads a v4 store (exit {res.returncode}, {res.stderr.strip()[-200:]})")
        check(state() == before, f"{' '.join(args[:2])} leaves the v4 store as it was "
              f"(files beside it: {state()[1]})")
    db = sqlite3.connect(old)
    version = db.execute("SELECT version FROM schema_version").fetchone()[0]
    mode = db.execute("PRAGMA journal_mode").fetchone()[0]
    db.close()
    check(version == 4 and mode == "delete", f"still schema 4 in rollback-journal mode ({version}, {mode})")
    res = run("runs", "show", "1", "--store", os.path.join(d, "out.sqlite"), "--json")
    check(res.returncode == 0 and json.loads(res.stdout or "{}").get("jobs"),
          "the merge of the v4 store holds its jobs")
    missing = os.path.join(d, "missing", "none.sqlite")
    res = run("runs", "--store", missing, "-q")
    check(res.returncode == 0 and not os.path.exists(os.path.dirname(missing)),
          f"runs on a missing store creates nothing (exit {res.returncode}, {res.stderr.strip()})")
    one_line_error(run("runs", "--store", "file:" + old), 2, ["file:", "give a path"],
                   "a file: URI as the store")
    check(not os.path.exists(os.path.join(ROOT, "file:" + d.split(os.sep)[1])), "no stray file: folder")
    if os.geteuid() != 0:  # root reads and writes whatever the permissions say
        ro = os.path.join(d, "ro")
        os.makedirs(ro)
        shutil.copy(current, os.path.join(ro, "s.sqlite"))
        os.chmod(os.path.join(ro, "s.sqlite"), 0o444)
        os.chmod(ro, 0o555)
        res = run("runs", "show", "1", "--store", os.path.join(ro, "s.sqlite"), "-q")
        os.chmod(ro, 0o755)
        check(res.returncode == 0, f"a store in a read-only folder is read ({res.stderr.strip()})")


def tiny_preset(d, name):
    """A preset of two quick encodes of one small lavfi input, named `name`, in folder `d`."""
    p = os.path.join(d, "p.yaml")
    with open(p, "w") as f:
        f.write(f"name: {name}\ninputs: ['lavfi:testsrc2=size=64x64:rate=5:d=0.4']\n"
                "encoders: {a: {codec: mpeg4}, b: {codec: mpeg2video}}\nmetrics: [psnr]\n")
    return p


def merged_shard(tmp):
    """Round two, low: a merge into a shard's own store leaves the merged run no shard (it
    kept `shard: 1/2`)."""
    d = os.path.join(tmp, "merged-shard")
    os.makedirs(d)
    p = tiny_preset(d, "ms")
    uuid = "0b1e6f0a-1111-4222-8333-944455556677"
    stores = [os.path.join(d, f"s{k}.sqlite") for k in (1, 2)]
    for k, store in enumerate(stores, 1):
        res = run("run", p, "--shard", f"{k}/2", "--run-uuid", uuid, "--store", store, "-q")
        check(res.returncode == 0, f"shard {k}/2 ran ({res.stderr.strip()[-200:]})")
    res = run("merge", stores[0], stores[1], "-q")
    check(res.returncode == 0, f"merged into shard 1's store ({res.stderr.strip()[-200:]})")
    res = run("runs", "export", "1", "--json", "--store", stores[0])
    doc = json.loads(res.stdout) if res.returncode == 0 else {}
    check(doc.get("run", {}).get("shard", "?") == "" and len(doc.get("jobs", [])) == 2,
          f"the merged run is no shard ({doc.get('run', {}).get('shard')!r}, "
          f"{len(doc.get('jobs', []))} jobs)")


def claims_of_another_run(tmp):
    """Round two, medium 5: a --claims folder left by another launch is refused (it made the
    new run leave every job out and say ok with 0 jobs); a shard that ran nothing because the
    others of its run had claimed every job says so."""
    d = os.path.join(tmp, "claims-reused")
    os.makedirs(d)
    p = tiny_preset(d, "cl")
    claims = os.path.join(d, "claims")
    first = "1b1e6f0a-1111-4222-8333-944455556677"
    res = run("run", p, "--shard", "1/2", "--run-uuid", first, "--claims", claims, "--store",
              os.path.join(d, "a1.sqlite"))
    check(res.returncode == 0 and "claimed" not in res.stderr,
          f"the first shard runs every job ({res.stderr.strip()[-200:]})")
    res = run("run", p, "--shard", "2/2", "--run-uuid", first, "--claims", claims, "--store",
              os.path.join(d, "a2.sqlite"))
    check(res.returncode == 0 and "2 of 2 jobs were claimed by other processes of this run" in res.stderr
          and "ran none" in res.stderr,
          f"a shard left with nothing says so ({res.stderr.strip()[-300:]})")
    res = run("run", p, "--shard", "1/2", "--run-uuid", "2b1e6f0a-1111-4222-8333-944455556677",
              "--claims", claims, "--store", os.path.join(d, "b1.sqlite"), "-q")
    one_line_error(res, 3, [claims, "holds the claims of run " + first, "new folder"],
                   "a claims folder of another launch")
    check(not os.path.exists(os.path.join(d, "b1.sqlite")), "the refused run wrote no store")


def torn_stream(tmp):
    """Round two, medium 6: a --stream file whose last line was cut short (its writer killed
    mid-line) gives its complete lines, and the commands say the last was cut; a bad line
    that is not the last (or ends with a newline) is still refused, naming the line."""
    d = os.path.join(tmp, "torn-stream")
    os.makedirs(d)
    p = tiny_preset(d, "ts")
    stream = os.path.join(d, "s.jsonl")
    res = run("run", p, "--store", "memory:", "--stream", stream, "-q")
    lines = open(stream).read().splitlines(keepends=True) if os.path.exists(stream) else []
    check(res.returncode == 0 and len(lines) == 4, f"a stream of 4 lines ({len(lines)})")
    torn = os.path.join(d, "torn.jsonl")
    with open(torn, "w") as f:  # header, one job, and half of the second job's line
        f.write(lines[0] + lines[1] + lines[2][: len(lines[2]) // 2])
    res = run("merge", os.path.join(d, "m.sqlite"), torn, "--json")
    doc = json.loads(res.stdout) if res.stdout.strip() else {}
    check(res.returncode == 5 and doc.get("added") == 1 and len(doc.get("missing", [])) == 1
          and "torn.jsonl:3: the last line was cut short" in res.stderr
          and any("cut short" in w for w in doc.get("warnings", [])),
          f"merge of a torn stream uses its complete lines and says so (exit {res.returncode}, "
          f"{res.stderr.strip()[-300:]})")
    if doc:
        validate(doc, "merge")
    res = run("compare", torn, stream)
    check(res.returncode == 0 and "cut short" in res.stderr,
          f"compare reads a torn stream with a warning ({res.stderr.strip()[-200:]})")
    bad = os.path.join(d, "bad.jsonl")
    with open(bad, "w") as f:  # the same cut, then a newline: not a cut write
        f.write(lines[0] + lines[2][: len(lines[2]) // 2] + "\n" + lines[1])
    one_line_error(run("merge", os.path.join(d, "m2.sqlite"), bad), 3, ["bad.jsonl:2"],
                   "a broken line in the middle of a stream")


def sigterm_like_sigint(tmp):
    """Round two, low: SIGTERM (what Slurm sends at a time limit) stops a run as SIGINT does:
    exit 130, the run closed as interrupted, the stream's end line written (it was stale with
    no end line)."""
    preset = os.path.join(tmp, "sigterm.yaml")
    open(preset, "w").write(STALE.replace("name: stale", "name: sigterm"))
    store = os.path.join(tmp, "sigterm.sqlite")
    stream = os.path.join(tmp, "sigterm.jsonl")
    code = signal_after_first_job(["run", preset, "--store", store, "--stream", stream],
                                  signal.SIGTERM)
    res = run("runs", "--store", store, "--json")
    runs = json.loads(res.stdout) if res.returncode == 0 else []
    last = open(stream).read().splitlines()[-1] if os.path.exists(stream) else "{}"
    check(code == 130 and len(runs) == 1 and runs[0]["status"] == "interrupted"
          and json.loads(last).get("record") == "end",
          f"SIGTERM: exit {code}, runs {[r['status'] for r in runs]}, last stream line "
          f"{last[:40]}")


def report_outputs(tmp):
    """Round two, medium 8 and lows: report --figures on a 20,000-job run draws every figure
    (bar charts of more than 60 jobs become medians per input and encoder; it failed late,
    "rasterising the SVG", after writing the HTML); --figures naming a file is refused before
    anything is written; -o a FIFO that nothing reads fails at once instead of blocking."""
    d = os.path.join(tmp, "report-outputs")
    os.makedirs(d)
    with open(os.path.join(ROOT, "tests", "data", "run-v1.json")) as f:
        base = json.load(f)
    template = next(j for j in base["jobs"] if j["status"] == "ok")
    template.update(key="@KEY@", input="@INPUT@", encoder_label="@LABEL@")
    template["result"]["size"].update(bitrate_kbps=-1111.5, compression_ratio=-2222.5)
    template["result"]["quality"]["psnr"]["average"] = -3333.5
    text = json.dumps(template)
    n = 2000 if SANITIZED else 20000
    base["jobs"] = []
    head, tail = json.dumps(base).split('"jobs": []', 1)
    with open(os.path.join(d, "big.json"), "w") as f:
        f.write(head + '"jobs": [')
        f.write(",".join(text.replace("@KEY@", f"{i:016x}").replace("@INPUT@", f"clip{i % 4}")
                         .replace("@LABEL@", f"enc{i % 5}").replace("-1111.5", str(100 + i * 0.5))
                         .replace("-2222.5", str(10 + i % 7))
                         .replace("-3333.5", str(30 + (i % 1000) / 100)) for i in range(n)))
        f.write("]" + tail)
    doc = os.path.join(d, "big.json")
    store = os.path.join(d, "big.sqlite")
    res = run("merge", store, doc, "-q", timeout=300)
    check(res.returncode == 0, f"a {n}-job run stored ({res.stderr.strip()[-200:]})")
    html, figs = os.path.join(d, "r.html"), os.path.join(d, "figs")
    res = run("report", "--store", store, "-o", html, "--figures", figs, "-q", timeout=300)
    names = sorted(os.listdir(figs)) if os.path.isdir(figs) else []
    svg = open(os.path.join(figs, "compression-ratio.svg")).read() if "compression-ratio.svg" in names else ""
    check(res.returncode == 0 and "compression-ratio.png" in names and "encode-speed.png" in names
          and f"median per input and encoder of {n} jobs" in svg
          and f"clip0 enc0 (median of {n // 20})" in svg,
          f"report --figures of {n} jobs: exit {res.returncode} {res.stderr.strip()[-200:]}, "
          f"{len(names)} files")
    for args, words, code in ((("--figures", doc), [doc, "not a folder"], 2),):
        out = os.path.join(d, "not-written.html")
        res = run("report", "--store", store, "-o", out, *args, timeout=300)
        one_line_error(res, code, words, "report --figures FILE")
        check(not os.path.exists(out), "report --figures FILE writes no HTML")
    fifo = os.path.join(d, "fifo")
    os.mkfifo(fifo)
    try:
        res = run("report", "--store", store, "-o", fifo, timeout=120)
        one_line_error(res, 3, [fifo, "FIFO that nothing reads"], "report -o FIFO")
    except subprocess.TimeoutExpired:
        check(False, "report -o FIFO with no reader blocked")


def long_error_lines(tmp):
    """Round two, low: an error that echoes a huge value (a 10 MB encoder name) stays one
    line of at most a few KiB, with its start and the cause at its end."""
    p = os.path.join(tmp, "longname.yaml")
    with open(p, "w") as f:
        f.write("name: l\ninputs: ['lavfi:testsrc2=d=1']\nencoders: {x: {codec: " + "n" * 10_000_000 + "}}\n")
    res = run("run", p, "--store", "memory:", "-q")
    one_line_error(res, 2, ["encoders.x: no encoder 'nnn", "bytes left out", "in this FFmpeg"],
                   "a 10 MB encoder name")
    check(len(res.stderr) < 5000, f"the error line is bounded ({len(res.stderr)} bytes)")


def merge_job_limit(tmp):
    """Round two, high 6: a run document or stream of more jobs than a run may have (100,000)
    is refused while it is read, within the test's 3 GiB (an 82 MB document of 2,000,000 jobs
    took 5.2 GB); jobs are made records one at a time as the document is parsed."""
    d = os.path.join(tmp, "merge-limit")
    os.makedirs(d)
    with open(os.path.join(ROOT, "tests", "data", "run-v1.json")) as f:
        base = json.load(f)
    doc = os.path.join(d, "many.json")
    with open(doc, "w") as f:
        f.write('{"jobs":[')
        f.write(",".join('{"key":"%016x","status":"ok"}' % i for i in range(2_000_000)))
        f.write('],"run":' + json.dumps(base["run"]) + ',"schema_version":1}')
    res = run("merge", os.path.join(d, "m.sqlite"), doc, "-q", timeout=300)
    one_line_error(res, 3, [doc, "more than 100000 jobs in one run"], "merge of 2,000,000 jobs")
    stream = os.path.join(d, "many.jsonl")
    with open(stream, "w") as f:
        f.write(json.dumps({"record": "run", "schema_version": 2, "run": base["run"]}) + "\n")
        for i in range(100_001):
            f.write('{"record":"job","run_uuid":"u","job":{"key":"%016x","status":"ok"}}\n' % i)
    res = run("merge", os.path.join(d, "m2.sqlite"), stream, "-q", timeout=300)
    one_line_error(res, 3, [stream + ":100002", "more than 100000 jobs"], "a stream of 100,001 jobs")
    # Just under the limit (under the sanitizers, a tenth of it), a document is merged whole.
    n = 10_000 if SANITIZED else 100_000
    with open(doc, "w") as f:
        f.write('{"jobs":[')
        f.write(",".join('{"key":"%016x","status":"ok"}' % i for i in range(n)))
        f.write('],"run":' + json.dumps(base["run"]) + ',"schema_version":1}')
    res = run("merge", os.path.join(d, "m3.sqlite"), doc, "--json", timeout=300)
    out = json.loads(res.stdout) if res.returncode == 0 else {}
    check(out.get("added") == n, f"{n} jobs merge ({res.stderr.strip()[-200:]})")


def huge_store_value(tmp):
    """Round two, medium 4: a store row with a 300 MB value is refused with exit 3 and a line
    naming the store (it was "out of memory" or an internal error): SQLite itself refuses
    values past 256 MiB, before reading them."""
    d = os.path.join(tmp, "huge-value")
    os.makedirs(d)
    store = os.path.join(d, "s.sqlite")
    run("merge", store, os.path.join(ROOT, "tests", "data", "run-v1.json"), "-q")
    db = sqlite3.connect(store)
    db.execute("UPDATE jobs SET result_json = printf('\"%.*c\"', 300000000, 'x') "
               "WHERE id = (SELECT min(id) FROM jobs)")
    db.commit()
    db.close()
    for args in (("runs", "show", "1", "--store", store), ("merge", os.path.join(d, "m.sqlite"), store),
                 ("runs", "export", "1", "--json", "--store", store)):
        res = run(*args, "-q", timeout=300)
        one_line_error(res, 3, [store, "larger than 256 MiB"], f"{args[0]} {args[1]} of a 300 MB value")


def main():
    """Every case, or only those named on the command line (e.g. slurm_dir_links)."""
    cases = [hostile_presets, hostile_options, hostile_report, stale_and_resume, concurrent_first_opens, outputs, non_utf8, full_disk_keep, completion_injection, deep_json, outputs_over_the_store, slurm_scripts, results_variable, tampered_store_objects, merge_same_uuid, vmaf_model_duplicates, slurm_dir_links, decompression_bomb, concurrent_merges, read_only_inputs, merged_shard, claims_of_another_run, torn_stream, sigterm_like_sigint, report_outputs, long_error_lines, merge_job_limit, huge_store_value]
    wanted = sys.argv[1:]
    with tempfile.TemporaryDirectory() as tmp:
        for case in cases:
            if not wanted or case.__name__ in wanted:
                case(tmp)
    return finish()


if __name__ == "__main__":
    sys.exit(main())
