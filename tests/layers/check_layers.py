#!/usr/bin/env python3
"""Checks that no file in src/ or include/ includes a file of a higher layer (src/LAYERS).

Usage: check_layers.py [ROOT]        check the tree at ROOT (default: this checkout)
       check_layers.py --self-test   show that a violation, an unknown folder and a header
                                     outside any layer are caught (a temporary tree)

Each violation is one line naming both files and both layers; exit 1 when there is any.
"""
import os
import re
import sys
import tempfile

INCLUDE = re.compile(r'^[ \t]*#[ \t]*include[ \t]*"([^"]+)"', re.M)


def read_layers(root):
    rank = {}
    with open(os.path.join(root, 'src', 'LAYERS'), encoding='utf-8') as f:
        level = 0
        for line in f:
            line = line.split('#', 1)[0].split()
            if not line:
                continue
            for folder in line:
                if folder in rank:
                    raise SystemExit(f'src/LAYERS: folder {folder} is listed twice')
                rank[folder] = level
            level += 1
    return rank


def sources(root):
    for top in ('src', os.path.join('include', 'codecbench')):
        for d, _, files in os.walk(os.path.join(root, top)):
            for f in sorted(files):
                if f.endswith(('.cpp', '.hpp', '.h', '.in')):
                    yield os.path.relpath(os.path.join(d, f), root)


def folder_of(rel):
    """The layer folder of a path relative to the root, or None outside src/ and include/."""
    parts = rel.split(os.sep)
    if parts[0] == 'src' and len(parts) > 2:
        return parts[1]
    if parts[:2] == ['include', 'codecbench']:
        return parts[2] if len(parts) > 3 else ''  # '' = a header outside any folder
    return None


def resolve(root, including, name):
    """The file an #include "name" in `including` reads, relative to root (None: not ours)."""
    candidates = [os.path.join(os.path.dirname(including), name),
                  os.path.join('include', name), os.path.join('src', name), name]
    for c in candidates:
        c = os.path.normpath(c)
        if os.path.isfile(os.path.join(root, c)):
            return c
    return None  # generated (build_info.hpp, vega_state.h) or a system header


def check(root):
    rank = read_layers(root)
    problems = []
    for rel in sources(root):
        folder = folder_of(rel)
        if folder == '':
            problems.append(f'{rel}: a public header outside a layer folder '
                            '(include/codecbench/LAYER/)')
            continue
        if folder not in rank:
            problems.append(f'{rel}: folder {folder} is not a layer in src/LAYERS')
            continue
        with open(os.path.join(root, rel), encoding='utf-8', errors='replace') as f:
            text = f.read()
        for m in INCLUDE.finditer(text):
            target = resolve(root, rel, m.group(1))
            if target is None:
                continue
            other = folder_of(target)
            if other is None or other == '' or other not in rank:
                continue  # reported as that file's own problem
            if rank[other] > rank[folder]:
                line = text.count('\n', 0, m.start()) + 1
                problems.append(f'{rel}:{line}: layer {folder} includes {target} of the higher '
                                f'layer {other}')
    return problems


def self_test():
    with tempfile.TemporaryDirectory() as t:
        def put(rel, text):
            os.makedirs(os.path.dirname(os.path.join(t, rel)), exist_ok=True)
            with open(os.path.join(t, rel), 'w', encoding='utf-8') as f:
                f.write(text)
        put('src/LAYERS', 'core\nmedia metrics\nreport\n')
        put('include/codecbench/core/a.hpp', '#pragma once\n')
        put('include/codecbench/report/r.hpp', '#include "codecbench/core/a.hpp"\n')
        put('src/core/a.cpp', '#include "codecbench/core/a.hpp"\n\n#include "codecbench/report/r.hpp"\n')
        put('src/media/m.cpp', '#include "codecbench/core/a.hpp"\n#include "../metrics/x.hpp"\n')
        put('src/metrics/x.hpp', '#include "local.hpp"\n')
        put('src/metrics/local.hpp', '\n')
        put('src/report/r.cpp', '#include <vector>\n#include "codecbench/report/r.hpp"\n')
        put('include/codecbench/loose.hpp', '\n')
        put('src/gui/w.cpp', '\n')
        got = check(t)
        want = ['include/codecbench/loose.hpp: a public header outside a layer folder '
                '(include/codecbench/LAYER/)',
                'src/core/a.cpp:3: layer core includes include/codecbench/report/r.hpp of the '
                'higher layer report',
                'src/gui/w.cpp: folder gui is not a layer in src/LAYERS']
        if sorted(got) != sorted(want):
            print('self-test failed; got:', *got, sep='\n  ')
            return 1
    print('self-test: a violation, a loose header and an unknown folder are caught')
    return 0


def main():
    if sys.argv[1:] == ['--self-test']:
        return self_test()
    root = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), '..', '..')
    problems = check(os.path.normpath(root))
    for p in problems:
        print(p)
    if problems:
        print(f'{len(problems)} layering problem(s); the order is in src/LAYERS')
        return 1
    print('every #include in src/ and include/ goes to its own layer or a lower one')
    return 0


if __name__ == '__main__':
    sys.exit(main())
