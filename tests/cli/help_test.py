#!/usr/bin/env python3
"""Every --help ends with one real example, and the example runs: from a directory holding
samples/ (as a checkout's root does), with exit 0. `meshc --help` lists the exit codes."""
import os
import re
import subprocess
import sys
import tempfile

MESHC, ROOT = os.path.abspath(sys.argv[1]), os.path.abspath(sys.argv[2])
passed = 0
failed = 0


def check(name, cond, detail=""):
    global passed, failed
    if cond:
        passed += 1
    else:
        failed += 1
        print(f"FAIL {name}\n{detail}")


def example_of(help_text):
    """The example a help text ends with, or None."""
    lines = help_text.rstrip("\n").splitlines()
    if len(lines) < 2 or lines[-2] != "Example:" or not lines[-1].startswith("  meshc "):
        return None
    return lines[-1].strip()


top = subprocess.run([MESHC, "--help"], capture_output=True, text=True)
check("meshc --help lists the exit codes 0, 1, 2, 3",
      top.returncode == 0 and "Exit codes:\n" in top.stdout
      and all(re.search(rf"^  {c}  {w}", top.stdout, re.M) for c, w in
              [(0, "clean"), (1, "findings at or above --fail-on"), (2, "usage error"),
               (3, "internal error")]), top.stdout)
section = top.stdout.split("Subcommands:\n", 1)[-1].split("\n\n", 1)[0]
subcommands = [l.split()[0] for l in section.splitlines() if l.strip()]
check("meshc --help lists the subcommands", len(subcommands) >= 8, top.stdout)

examples = [("meshc", example_of(top.stdout))]
for sub in subcommands:
    p = subprocess.run([MESHC, sub, "--help"], capture_output=True, text=True)
    examples.append((sub, example_of(p.stdout)))
    ex = examples[-1][1]
    check(f"meshc {sub} --help ends with an example of meshc {sub}",
          p.returncode == 0 and ex is not None and f"meshc {sub} " in ex, p.stdout[-400:])

with tempfile.TemporaryDirectory() as tmp:
    os.symlink(os.path.join(ROOT, "samples"), os.path.join(tmp, "samples"))
    env = dict(os.environ, PATH=os.path.dirname(MESHC) + os.pathsep + os.environ.get("PATH", ""))
    for sub, example in examples:
        if example is None:
            continue
        # The examples are shell command lines (one chains two commands with &&).
        p = subprocess.run(["sh", "-c", example], cwd=tmp, env=env, capture_output=True,
                           text=True, timeout=300)
        check(f"the example of {sub} runs and exits 0: {example}", p.returncode == 0,
              f"exit {p.returncode}\n{p.stdout[-2000:]}{p.stderr[-2000:]}")

print(f"{passed} passed, {failed} failed")
sys.exit(1 if failed else 0)
