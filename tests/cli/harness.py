"""What the CLI and oracle tests share: checks that print and count, and the summary line.

    from harness import check, finish
    check(value == expected, "what was checked")
    ...
    sys.exit(finish())
"""

failures = []


def check(cond, what):
    """Prints ok/FAIL with `what` and records a failure; returns cond."""
    print(("ok: " if cond else "FAIL: ") + what)
    if not cond:
        failures.append(what)
    return cond


def finish():
    """Prints the summary; the test's exit status (1 when any check failed)."""
    print(f"{'FAILED' if failures else 'passed'}: {len(failures)} failure(s)")
    for f in failures:
        print("  " + f)
    return 1 if failures else 0


_SCHEMAS = {}


def _schema_dir():
    import os
    return os.path.join(os.environ["SOURCE_ROOT"], "docs", "schema")


def _validator(name):
    """A validator for docs/schema/NAME.schema.json with the other schemas as $ref targets."""
    import json
    import os

    import jsonschema
    if name in _SCHEMAS:
        return _SCHEMAS[name]
    store = {}
    for f in os.listdir(_schema_dir()):
        if f.endswith(".schema.json"):
            store[f] = json.load(open(os.path.join(_schema_dir(), f)))
    schema = store[name + ".schema.json"]
    cls = jsonschema.validators.validator_for(schema)
    try:  # jsonschema >= 4.18: the referencing library
        from referencing import Registry, Resource
        registry = Registry().with_resources(
            [(s["$id"], Resource.from_contents(s)) for s in store.values()])
        v = cls(schema, registry=registry)
    except ImportError:  # Debian 12's jsonschema 4.10
        resolver = jsonschema.RefResolver(
            schema["$id"], schema, store={s["$id"]: s for s in store.values()})
        v = cls(schema, resolver=resolver)
    _SCHEMAS[name] = v
    return v


def validate(doc, name):
    """Checks a JSON document against docs/schema/NAME.schema.json; returns whether it is valid."""
    errors = sorted(_validator(name).iter_errors(doc), key=lambda e: list(e.path))
    what = f"valid against docs/schema/{name}.schema.json"
    if errors:
        e = errors[0]
        what += f": {len(errors)} error(s), first at /{'/'.join(map(str, e.path))}: {e.message[:300]}"
    return check(not errors, what)


def shape(doc):
    """The shape of a JSON document: keys and value types, arrays by their first element; what a
    golden test pins (values change from run to run, shapes only with a schema version)."""
    if isinstance(doc, dict):
        return {k: shape(v) for k, v in sorted(doc.items())}
    if isinstance(doc, list):
        return [shape(doc[0])] if doc else []
    if isinstance(doc, bool):
        return "bool"
    if isinstance(doc, (int, float)):
        return "number"
    if doc is None:
        return "null"
    return "string"


def golden(doc, name):
    """Compares shape(doc) with tests/golden/NAME.json; CODECBENCH_UPDATE_GOLDEN=1 rewrites it."""
    import json
    import os
    path = os.path.join(os.environ["SOURCE_ROOT"], "tests", "golden", name + ".json")
    got = shape(doc)
    if os.environ.get("CODECBENCH_UPDATE_GOLDEN") == "1":
        with open(path, "w") as f:
            json.dump(got, f, indent=1, sort_keys=True)
            f.write("\n")
    want = json.load(open(path)) if os.path.exists(path) else None
    return check(got == want, f"shape of {name} equals tests/golden/{name}.json"
                 + ("" if got == want else f" (got {json.dumps(got)[:400]})"))


# A small preset of seven quick jobs (two video inputs x three mpeg4 rates, one tone x flac):
# what the shard, Slurm and MPI tests distribute and compare with one process.
SEVEN_JOBS = """
inputs:
  - lavfi:testsrc2=size=160x120:rate=25:duration=0.4
  - lavfi:testsrc2=size=352x288:rate=25:duration=0.6
  - lavfi:sine=frequency=440:duration=0.5
encoders:
  m: {codec: mpeg4, axes: {b: [200k, 400k, 800k]}}
  f: flac
jobs: 1
"""


def figures(doc):
    """key -> (status, bitstream bytes, primary quality figure) of a run document: what must
    agree between a distributed run and one process."""
    out = {}
    for j in doc["jobs"]:
        r = j["result"] or {}
        q = r.get("quality", {})
        primary = q.get("psnr", {}).get("average", q.get("snr", {}).get("db"))
        out[j["key"]] = (j["status"], r.get("size", {}).get("bitstream_bytes"), primary)
    return out


class SmallDisk:
    """A tmpfs of `size` mounted at `path` for fault-injection tests (needs root):
        with SmallDisk(path, "64k", "what did not run") as ok:
            if ok: ...
    Unmounted on exit; without root it prints SKIP with `what` and yields False."""

    def __init__(self, path, size, what):
        self.path, self.size, self.what, self.mounted = path, size, what, False

    def __enter__(self):
        import os
        import subprocess
        os.makedirs(self.path, exist_ok=True)
        self.mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={self.size}", "tmpfs",
                                       self.path], capture_output=True).returncode == 0
        if not self.mounted:
            print(f"SKIP: cannot mount a tmpfs (not root?): {self.what}")
        return self.mounted

    def __exit__(self, *exc):
        import subprocess
        if self.mounted:
            subprocess.run(["umount", self.path], capture_output=True)
        return False
