#!/usr/bin/env python3
"""tools/package-deb: the Debian package's control fields and contents, its dependencies
satisfied by this system's packages, and a round trip through dpkg in a throwaway root
(installed, `codecbench run quick` from an empty folder, removed, nothing left behind)."""
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile

from harness import check, finish

ROOT = os.environ["SOURCE_ROOT"]
BUILD = os.environ.get("BUILD_ROOT", os.path.dirname(os.environ["CODECBENCH"]))
SKIP = 77


def sh(*args, **kw):
    return subprocess.run(list(args), capture_output=True, text=True, timeout=600, **kw)


def satisfied(dep):
    """Whether one Depends entry ('libfoo1 (>= 1.2)') holds for this system's packages."""
    m = re.fullmatch(r"\s*([a-z0-9.+-]+)(?::\w+)?\s*(?:\((>=|<=|>>|<<|=)\s*([^)]+)\))?\s*", dep)
    if not m:
        return False
    name, op, version = m.groups()
    got = sh("dpkg-query", "-W", "-f=${Status} ${Version}", name)
    if got.returncode != 0 or not got.stdout.startswith("install ok installed"):
        return False
    if not op:
        return True
    have = got.stdout.split()[-1]
    ops = {">=": "ge", "<=": "le", ">>": "gt", "<<": "lt", "=": "eq"}
    return sh("dpkg", "--compare-versions", have, ops[op], version).returncode == 0


def main():
    for tool in ("dpkg-deb", "dpkg-shlibdeps", "dpkg"):
        if not shutil.which(tool):
            print(f"SKIP: {tool} is not installed (apt-get install dpkg-dev)")
            return SKIP
    with tempfile.TemporaryDirectory() as tmp:
        res = sh(os.path.join(ROOT, "tools", "package-deb"), "-C", BUILD, "-o", tmp)
        if not check(res.returncode == 0, f"tools/package-deb exits 0 ({res.stderr.strip()[-300:]})"):
            return finish()
        deb = res.stdout.strip().splitlines()[-1]
        check(os.path.isfile(deb) and deb.endswith(".deb"), f"it prints the package's path ({deb})")
        fields = {}
        for line in sh("dpkg-deb", "-f", deb).stdout.splitlines():
            if ":" in line and not line.startswith(" "):
                k, v = line.split(":", 1)
                fields[k] = v.strip()
        check(fields.get("Package") == "codecbench", "Package: codecbench")
        check(fields.get("Architecture") == sh("dpkg", "--print-architecture").stdout.strip(),
              "Architecture: this machine's")
        deps = [d.strip() for d in fields.get("Depends", "").split(",") if d.strip()]
        names = {re.split(r"[\s(]", d)[0] for d in deps}
        check({"libavcodec59", "libavformat59", "libtbb12", "libsqlite3-0", "libyaml-cpp0.7"}
              <= names, f"Depends names the libraries it links ({sorted(names)})")
        unmet = [d for d in deps if not satisfied(d)]
        check(not unmet, f"every dependency is satisfied by this system's packages ({unmet})")
        listing = sh("dpkg-deb", "-c", deb).stdout
        for path in ("./usr/bin/codecbench", "./usr/share/codecbench/presets/quick.yaml",
                     "./usr/share/codecbench/samples/cityCC0.mpg",
                     "./usr/share/man/man1/codecbench.1.gz",
                     "./usr/share/bash-completion/completions/codecbench",
                     "./usr/share/zsh/vendor-completions/_codecbench",
                     "./usr/share/fish/vendor_completions.d/codecbench.fish",
                     "./usr/share/doc/codecbench/copyright"):
            check(f" {path}\n" in listing, f"the package holds {path}")
        check("/usr/local" not in listing, "nothing under /usr/local")

        # dpkg into a throwaway root: its own database, the system's libraries.
        droot = os.path.join(tmp, "root")
        for d in ("var/lib/dpkg/info", "var/lib/dpkg/updates", "var/lib/dpkg/triggers"):
            os.makedirs(os.path.join(droot, d))
        open(os.path.join(droot, "var/lib/dpkg/status"), "w").close()
        dpkg = ["dpkg", f"--root={droot}", "--force-depends", "--force-not-root",
                "--force-script-chrootless", "--no-triggers"]
        res = sh(*dpkg, "-i", deb)
        check(res.returncode == 0, f"dpkg -i into a throwaway root exits 0 ({res.stderr.strip()[-300:]})")
        exe = os.path.join(droot, "usr", "bin", "codecbench")
        check(os.access(exe, os.X_OK), "the binary is installed")
        empty = os.path.join(tmp, "empty")
        os.makedirs(empty)
        env = dict(os.environ, CODECBENCH_CACHE_DIR=os.path.join(tmp, "cache"),
                   XDG_CONFIG_HOME=os.path.join(tmp, "config"))
        env.pop("CODECBENCH_PRESET_PATH", None)
        res = sh(exe, "run", "quick", "-q", "--json", cwd=empty, env=env)
        check(res.returncode == 0, f"the packaged codecbench runs quick from an empty folder "
              f"({res.stderr.strip()[-300:]})")
        if res.returncode == 0:
            jobs = json.loads(res.stdout)["jobs"]
            check(len(jobs) == 14 and all(j["status"] == "ok" for j in jobs),
                  f"14 jobs, all ok ({len(jobs)})")
        res = sh(*dpkg, "-r", "codecbench")
        check(res.returncode == 0, f"dpkg -r exits 0 ({res.stderr.strip()[-200:]})")
        left = [os.path.join(d, f) for d, _, fs in os.walk(os.path.join(droot, "usr")) for f in fs]
        check(not left, f"removal leaves no file under usr/ ({left[:5]})")
    return finish()


if __name__ == "__main__":
    sys.exit(main())
