#!/usr/bin/env python3
"""Lints ../shared/corpus (Istio's own samples) and compares the findings, as a multiset of
"ID Kind ns/name file" lines, with tests/corpus/expected-findings.txt: every finding listed there is
one Istio itself reports for the same files (see the comments in that file). Exit 77 = skipped."""
import collections
import json
import os
import subprocess
import sys


def main():
    meshc, corpus, expected_path = sys.argv[1:4]
    meshc = os.path.abspath(meshc)
    if not os.path.isdir(corpus):
        print(f"skipped: {corpus} does not exist")
        return 77
    # Each sample file is meant to be applied on its own, so each is linted on its own, as
    # `istioctl analyze --use-kube=false FILE` would be.
    files = []
    for root, _, names in os.walk(corpus):
        files += [os.path.relpath(os.path.join(root, n), corpus) for n in names
                  if n.endswith((".yaml", ".yml", ".json"))]
    got = collections.Counter()
    for rel in sorted(files):
        p = subprocess.run([meshc, "lint", rel, "-o", "json", "--fail-on", "none"], cwd=corpus,
                           capture_output=True, text=True, timeout=300)
        if p.returncode != 0:
            print(f"meshc lint {rel} exited {p.returncode}\n{p.stderr}")
            return 1
        for d in json.loads(p.stdout)["diagnostics"]:
            r = d.get("resource") or {}
            ref = f"{r.get('kind', '-')} {r.get('namespace', '')}/{r.get('name', '')}" if r else "-"
            got[f"{d['id']} {ref} {os.path.normpath(d['file'] or '-')}"] += 1
    want = collections.Counter()
    with open(expected_path) as f:
        for line in f:
            line = line.split("#", 1)[0].strip()
            if line:
                want[line] += 1
    unexpected = got - want
    missing = want - got
    for k in sorted(unexpected.elements()):
        print(f"UNEXPECTED (Istio would not report this): {k}")
    for k in sorted(missing.elements()):
        print(f"MISSING (Istio reports this): {k}")
    failed = len(list(unexpected.elements())) + len(list(missing.elements()))
    print(f"{sum(got.values()) - len(list(unexpected.elements()))} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
