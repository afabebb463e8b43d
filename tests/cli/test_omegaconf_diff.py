#!/usr/bin/env python3
"""Differential test: `codecbench config` resolves the same YAML to the same values as
OmegaConf itself (Debian's python3-omegaconf), feature by feature. Skipped where OmegaConf is
not installed for the system Python."""
import json
import os
import subprocess
import sys
import tempfile

SKIP = 77
CB = os.environ["CODECBENCH"]

YAML = r"""
paths:
  root: /data
  out: ${paths.root}/out
  rel: ${.root}/rel
  deeper:
    up: ${..root}/up
    chain: ${.up}/more
vars:
  n: 3
  f: 2.5
  flag: true
  list: [1, two, 3.0]
  map: {a: 1, b: x}
  copy_n: ${vars.n}
  copy_list: ${vars.list}
  copy_map: ${vars.map}
  text: "n=${vars.n} f=${vars.f} flag=${vars.flag}"
  env: ${oc.env:CODECBENCH_DIFF_SET}
  env_default: ${oc.env:CODECBENCH_DIFF_UNSET,fallback}
  select: ${oc.select:vars.missing,7}
  which: root
  nested: ${paths.${vars.which}}
  escaped: \${not.this}
  rates: [100, 200, [7, 8], {k: v}]
  index_dot: ${vars.rates.1}
  index_bracket: ${vars.rates[1]}
  index_nested: ${vars.rates[2][1]}
  index_then_key: ${vars.rates[3].k}
  index_dot_key: ${vars.rates.3.k}
  index_relative: ${.rates[0]}
  index_in_text: "r${vars.rates[1]}-${vars.rates.2.0}"
inputs: [lavfi:testsrc2=duration=1]
encoders: {x: {codec: mpeg4}}
"""

OMEGA = r"""
import json, sys
from omegaconf import OmegaConf
cfg = OmegaConf.load(sys.argv[1])
print(json.dumps(OmegaConf.to_container(cfg, resolve=True)))
"""


def main():
    python = "/usr/bin/python3"
    if not os.path.exists(python) or subprocess.run([python, "-c", "import omegaconf"],
                                                    capture_output=True).returncode != 0:
        print("SKIP: OmegaConf is not installed for /usr/bin/python3 (apt-get install python3-omegaconf)")
        return SKIP
    env = dict(os.environ, CODECBENCH_DIFF_SET="from-env")
    env.pop("CODECBENCH_DIFF_UNSET", None)
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "p.yaml")
        open(path, "w").write(YAML)
        theirs = json.loads(subprocess.run([python, "-c", OMEGA, path], capture_output=True, text=True,
                                           env=env, check=True).stdout)
        ours_yaml = subprocess.run([CB, "config", path], capture_output=True, text=True, env=env)
        if ours_yaml.returncode != 0:
            print(f"FAIL: codecbench config: {ours_yaml.stderr}")
            return 1
        # Read our YAML back with OmegaConf's own loader (no interpolations are left in it).
        out = os.path.join(tmp, "ours.yaml")
        open(out, "w").write(ours_yaml.stdout)
        ours = json.loads(subprocess.run([python, "-c", OMEGA, out], capture_output=True, text=True,
                                         env=env, check=True).stdout)
    failures = 0
    for group in ("paths", "vars"):
        for key, value in theirs[group].items():
            mine = ours[group].get(key)
            ok = mine == value and type(mine) is type(value) and json.dumps(mine) == json.dumps(value)
            failures += 0 if ok else 1
            print(f"{'ok' if ok else 'FAIL'}: {group}.{key}: codecbench {mine!r}, OmegaConf {value!r}")
    print(f"{'FAILED' if failures else 'passed'}: {failures} failure(s)")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
