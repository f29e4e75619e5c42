#!/usr/bin/env python3
"""Golden tests: each CASE.yaml under the golden dir is linted; its text, JSON and SARIF output and
exit code must equal CASE.txt, CASE.json, CASE.sarif. Set MESHC_UPDATE_GOLDEN=1 to rewrite them."""
import difflib
import os
import subprocess
import sys


def run(meshc, case_dir, name, fmt):
    args = [meshc, "lint", name, "-o", fmt, "--color", "never", "--fail-on", "warning"]
    env = dict(os.environ, NO_COLOR="1")
    p = subprocess.run(args, cwd=case_dir, capture_output=True, text=True, env=env, timeout=60)
    return f"exit: {p.returncode}\n" + p.stdout


def main():
    meshc, case_dir = os.path.abspath(sys.argv[1]), sys.argv[2]
    update = os.environ.get("MESHC_UPDATE_GOLDEN") == "1"
    failures = 0
    cases = sorted(f for f in os.listdir(case_dir) if f.endswith(".yaml"))
    checked = 0
    for name in cases:
        base = name[: -len(".yaml")]
        for fmt, ext in (("text", "txt"), ("json", "json"), ("sarif", "sarif")):
            got = run(meshc, case_dir, name, fmt)
            path = os.path.join(case_dir, f"{base}.{ext}")
            if update:
                with open(path, "w") as f:
                    f.write(got)
                continue
            try:
                with open(path) as f:
                    want = f.read()
            except FileNotFoundError:
                print(f"FAIL {name} [{fmt}]: missing {path} (run with MESHC_UPDATE_GOLDEN=1)")
                failures += 1
                continue
            checked += 1
            if got != want:
                failures += 1
                print(f"FAIL {name} [{fmt}]")
                sys.stdout.writelines(difflib.unified_diff(
                    want.splitlines(True), got.splitlines(True), f"{base}.{ext} (expected)", "actual"))
    print(f"{checked - failures if checked >= failures else 0} passed, {failures} failed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
