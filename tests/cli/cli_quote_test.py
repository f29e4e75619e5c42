#!/usr/bin/env python3
"""End to end: user text holding a terminal escape (ESC) in a route test file's test name, a
request file's path, a proxy kind, a --suppress value or a schema kind reaches meshc's messages
quoted by meshc::quote(), as \\x1b, and no raw control byte is printed."""
import json
import os
import subprocess
import sys
import tempfile

ESC = "\x1b[31m"


def run(meshc, args):
    p = subprocess.run([meshc] + args, capture_output=True, timeout=60)
    return p.stdout + p.stderr


def check(label, out, expected):
    failures = 0
    raw = sorted({b for b in out if (b < 0x20 and b not in (0x0A,)) or b == 0x7F})
    if raw:
        print(f"FAIL [{label}]: raw control bytes in output: {[hex(b) for b in raw]}")
        failures += 1
    if expected.encode() not in out:
        print(f"FAIL [{label}]: {expected!r} missing from:\n{out.decode(errors='replace')}")
        failures += 1
    return failures


def main():
    meshc, source = sys.argv[1], sys.argv[2]
    shop = os.path.join(source, "samples", "shop")
    gateway = {"kind": "gateway", "labels": {"istio": "ingressgateway"}}
    failures = 0
    with tempfile.TemporaryDirectory() as tmp:
        # A route test with no expect block: the message names the test.
        tests = os.path.join(tmp, "route.tests.json")
        with open(tests, "w") as f:
            json.dump([{"name": f"bad{ESC}name", "proxy": gateway,
                        "request": {"authority": "shop.example.com", "path": "/"}}], f)
        failures += check("test name", run(meshc, ["test", tests, "-f", shop]),
                          '"bad\\x1b[31mname"')
        # An unknown test field.
        with open(tests, "w") as f:
            json.dump([{"name": "t", f"x{ESC}": 1, "proxy": gateway, "expect": {"noRoute": True}}],
                      f)
        failures += check("test field", run(meshc, ["test", tests, "-f", shop]),
                          '"x\\x1b[31m"')
        # A request file whose path does not start with '/'.
        requests = os.path.join(tmp, "bad.requests.jsonl")
        with open(requests, "w") as f:
            f.write(json.dumps({"name": "r", "proxy": gateway,
                                "request": {"authority": "shop.example.com",
                                            "path": f"x{ESC}y"}}) + "\n")
        failures += check("request path",
                          run(meshc, ["simulate", "--requests", requests, "-f", shop]),
                          '"x\\x1b[31my"')
        # A proxy kind.
        with open(requests, "w") as f:
            f.write(json.dumps({"name": "r", "proxy": {"kind": f"k{ESC}"},
                                "request": {"path": "/"}}) + "\n")
        failures += check("proxy.kind",
                          run(meshc, ["simulate", "--requests", requests, "-f", shop]),
                          '"k\\x1b[31m"')
    failures += check("--suppress", run(meshc, ["lint", shop, "--suppress", f"x{ESC}"]),
                      '"x\\x1b[31m"')
    failures += check("schema kind", run(meshc, ["schema", f"k{ESC}"]), '"k\\x1b[31m"')
    print("ok" if failures == 0 else f"{failures} failure(s)")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
