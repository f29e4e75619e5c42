#!/usr/bin/env python3
"""`meshc endpoints`: the whole JSON document for a sidecar, compared with
tests/cli/data/endpoints.expected.json, written by hand from tests/cli/data/endpoints/ (slices
preferred over Pods, not-ready endpoints left out, ports paired by name, labels from the
targetRef Pod, subset clusters filtered by the DestinationRule's labels); -o writes the same
document atomically; usage errors.
Usage: endpoints_cli_test.py MESHC SOURCE_DIR"""
import json
import os
import subprocess
import sys
import tempfile

MESHC = os.path.abspath(sys.argv[1])
ROOT = os.path.abspath(sys.argv[2])
DATA = os.path.join(ROOT, "tests", "cli", "data")
INPUT = os.path.join(DATA, "endpoints")
SIDECAR = ["--sidecar", "app=productpage", "-n", "shop"]
failures = []


def run(*args):
    return subprocess.run([MESHC, *args], cwd=ROOT, capture_output=True, text=True, timeout=120)


def check(name, cond, detail=""):
    if not cond:
        failures.append(name)
        print(f"FAIL {name}\n{detail}")


with open(os.path.join(DATA, "endpoints.expected.json")) as f:
    expected = json.load(f)

p = run("endpoints", "-f", INPUT, *SIDECAR)
check("endpoints exits 0 and prints only JSON", p.returncode == 0 and p.stderr == "",
      f"exit={p.returncode}\n{p.stderr}")
try:
    got = json.loads(p.stdout)
except json.JSONDecodeError:
    got = None
check("stdout is the expected document", got == expected,
      f"--- got:\n{p.stdout}\n--- want:\n{json.dumps(expected, indent=2)}")
check("keys come in the documented order (version first)",
      p.stdout.startswith('{\n  "version": 1,\n  "clusters": ['), p.stdout[:80])

with tempfile.TemporaryDirectory() as tmp:
    out = os.path.join(tmp, "eps.json")
    with open(out, "w") as f:
        f.write("stale")
    p = run("endpoints", "-f", INPUT, *SIDECAR, "-o", out)
    check("-o exits 0 and prints nothing", p.returncode == 0 and p.stdout == "" and p.stderr == "",
          p.stdout + p.stderr)
    with open(out) as f:
        check("-o replaces the file with the same document", json.load(f) == expected)
    check("-o leaves no temporary file", os.listdir(tmp) == ["eps.json"], str(os.listdir(tmp)))
    p = run("endpoints", "-f", INPUT, *SIDECAR, "-o", os.path.join(tmp, "no-such-dir", "e.json"))
    check("an unwritable -o is a usage error", p.returncode == 2 and "cannot write" in p.stderr,
          p.stderr)

p = run("endpoints", *SIDECAR)
check("endpoints needs -f", p.returncode == 2 and "-f PATH" in p.stderr, p.stderr)
p = run("endpoints", "-f", INPUT)
check("endpoints needs a proxy", p.returncode == 2 and "--gateway" in p.stderr, p.stderr)

if failures:
    print(f"{len(failures)} failure(s)")
    sys.exit(1)
print("meshc endpoints: document, -o and usage errors as expected")
