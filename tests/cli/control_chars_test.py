#!/usr/bin/env python3
"""End to end: a YAML value holding a terminal escape sequence (ESC[31m) reaches `meshc lint`
output escaped as \\x1b[31m, in every output format, and no raw control byte is printed."""
import subprocess
import sys


def main():
    meshc, case = sys.argv[1], sys.argv[2]
    failures = 0
    for fmt in ("text", "json", "sarif"):
        p = subprocess.run([meshc, "lint", case, "-o", fmt, "--color", "never"],
                           capture_output=True, timeout=60)
        out = p.stdout + p.stderr
        raw = sorted({b for b in out if (b < 0x20 and b not in (0x0A,)) or b == 0x7F})
        if raw:
            print(f"FAIL [{fmt}]: raw control bytes in output: {[hex(b) for b in raw]}")
            failures += 1
        if b"\\x1b[31mreviews" not in out:
            print(f"FAIL [{fmt}]: the escaped value \\x1b[31mreviews is missing:\n{out.decode()}")
            failures += 1
        if b"\\tv2" not in out:
            print(f"FAIL [{fmt}]: the escaped tab in reviews\\tv2 is missing")
            failures += 1
        if p.returncode != 1:
            print(f"FAIL [{fmt}]: exit {p.returncode}, expected 1 (errors found)")
            failures += 1
    print("ok" if failures == 0 else f"{failures} failure(s)")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
