#!/usr/bin/env python3
"""CLI tests for bundles: meshc compile, meshc inspect, meshc simulate --bundle."""
import json
import os
import subprocess
import sys
import tempfile

MESHC = os.path.abspath(sys.argv[1])
ROOT = os.path.abspath(sys.argv[2])
SHOP = os.path.join(ROOT, "samples", "shop")
DATA = os.path.join(ROOT, "tests", "cli", "data")
passed = 0
failed = 0


def run(*args, stdin=None):
    return subprocess.run([MESHC, *args], cwd=ROOT, input=stdin, capture_output=True, text=True,
                          timeout=120)


def check(name, cond, detail=""):
    global passed, failed
    if cond:
        passed += 1
    else:
        failed += 1
        print(f"FAIL {name}\n{detail}")


def case(name, args, code, contains=(), stream="stdout"):
    p = run(*args)
    out = p.stdout if stream == "stdout" else p.stderr
    check(name, p.returncode == code and all(c in out for c in contains),
          f"args={args} exit={p.returncode} (want {code})\nstdout:\n{p.stdout}\nstderr:\n{p.stderr}")
    return p


GATEWAY = ["--gateway", "istio=ingressgateway"]
SIDECAR = ["--sidecar", "app=web", "-n", "shop"]

with tempfile.TemporaryDirectory() as tmp:
    gw = os.path.join(tmp, "gw.mcb")
    sc = os.path.join(tmp, "sc.mcb")
    case("compile a gateway bundle (with generic x86-64 native code)", ["compile", "-f", SHOP, *GATEWAY, "-o", gw], 0,
         contains=["wrote", "2 listeners", "2 route configurations", "10 routes",
                   "native code: x86_64", "for cpu x86-64, 3 virtual hosts as native control flow"])
    case("compile a sidecar bundle", ["compile", "-f", SHOP, *SIDECAR, "-o", sc], 0)
    again = os.path.join(tmp, "gw2.mcb")
    run("compile", "-f", SHOP, *GATEWAY, "-o", again)
    check("compiling twice gives byte-identical bundles",
          open(gw, "rb").read() == open(again, "rb").read())
    check("no temporary file is left behind", not os.path.exists(gw + ".tmp"))

    case("compile needs -o", ["compile", "-f", SHOP, *GATEWAY], 2, stream="stderr",
         contains=["-o PATH"])
    case("compile needs exactly one proxy", ["compile", "-f", SHOP, "-o", gw, *GATEWAY, "--sidecar", "a=b"],
         2, stream="stderr", contains=["exactly one of --gateway"])
    bad = os.path.join(tmp, "bad.mcb")
    case("compile refuses inputs with rejected objects",
         ["compile", "-f", SHOP, "-f", os.path.join(DATA, "error.yaml"), *GATEWAY, "-o", bad], 1,
         stream="stderr", contains=["would be rejected", "--keep-going"])
    check("a refused compile writes nothing", not os.path.exists(bad))
    case("--keep-going compiles without them",
         ["compile", "-f", SHOP, "-f", os.path.join(DATA, "error.yaml"), *GATEWAY, "-o", bad,
          "--keep-going"], 0)

    portable = os.path.join(tmp, "portable.mcb")
    case("compile --no-native", ["compile", "-f", SHOP, *GATEWAY, "-o", portable, "--no-native"], 0,
         contains=["native code: none (--no-native)"])
    case("inspect of a portable-only bundle", ["inspect", portable], 0,
         contains=["native code: none (the runtime evaluates the portable tree)"], )
    host_cpu = os.path.join(tmp, "host.mcb")
    case("compile --cpu native --stats", ["compile", "-f", SHOP, *GATEWAY, "-o", host_cpu, "--cpu", "native", "--stats"],
         0, contains=["codegen: ", "LLVM instructions"])
    case("compile --cpu with an unknown CPU", ["compile", "-f", SHOP, *GATEWAY, "-o", host_cpu, "--cpu", "pentium9"],
         2, stream="stderr", contains=['unknown CPU "pentium9"'])
    case("inspect shows header, sections, listeners and counts", ["inspect", gw], 0,
         contains=["format version 4", "written by meshc", "(verified)", "STRS", "TREE", "SMAP",
                   "0.0.0.0_443 0.0.0.0:443", "https.443.https.shop-gateway.shop: 1 virtual hosts, 5 routes",
                   "proxy: gateway istio=ingressgateway in namespace istio-system",
                   "NATV", "native code: x86_64-pc-linux-gnu cpu x86-64, LLVM 19", "2 entry points"])
    p = run("inspect", gw, "-o", "json")
    try:
        j = json.loads(p.stdout)
        check("inspect -o json", p.returncode == 0 and j["formatVersion"] == 4
              and [s["kind"] for s in j["sections"]][:2] == ["STRS", "PRXY"]
              and j["routeConfigs"][1] == {"name": "http.80", "virtualHosts": 2, "routes": 5},
              p.stdout)
    except ValueError as e:
        check("inspect -o json parses", False, f"{e}\n{p.stdout}{p.stderr}")
    case("inspect of a file that is not a bundle is a usage error (exit 2)",
         ["inspect", os.path.join(DATA, "clean.yaml")], 2,
         stream="stderr", contains=["error[bad-magic]", "not a meshc routing bundle"])
    case("inspect of a missing file", ["inspect", os.path.join(tmp, "nope.mcb")], 2, stream="stderr")

    requests = [
        (GATEWAY, gw, "GET https://shop.example.com/products", ["-H", "x-canary: true"]),
        (GATEWAY, gw, "GET https://shop.example.com/api/cart/7", []),
        (GATEWAY, gw, "GET http://shop.example.com/products", []),
        (GATEWAY, gw, "GET https://nowhere.example.com/", []),
        (SIDECAR, sc, "GET http://reviews.shop.svc.cluster.local/", ["-H", "end-user: jason"]),
        (SIDECAR, sc, "GET https://api.payments.example.net/", []),
    ]
    for proxy, bundle, line, extra in requests:
        for fmt in ("text", "json"):
            # Relative to the cwd (ROOT), as the bundle's source map names the files.
            want = run("simulate", "-f", "samples/shop", *proxy, line, *extra, "-o", fmt, "--engine",
                       "reference")
            for engine in ("native", "interpreter", "reference"):
                got = run("simulate", "--bundle", bundle, line, *extra, "-o", fmt, "--engine", engine)
                check(f"simulate --bundle --engine {engine} answers as the manifests ({line}, {fmt})",
                      want.returncode == 0 and got.returncode == 0 and want.stdout == got.stdout
                      and got.stderr == "",
                      f"manifests:\n{want.stdout}{want.stderr}\nbundle:\n{got.stdout}{got.stderr}")
            got = run("simulate", "-f", "samples/shop", *proxy, line, *extra, "-o", fmt, "--engine", "native")
            check(f"simulate --engine native from manifests ({line}, {fmt})",
                  got.returncode == 0 and want.stdout == got.stdout, got.stdout + got.stderr)
    case("simulate --bundle --engine native on a portable-only bundle warns and answers",
         ["simulate", "--bundle", portable, "GET https://shop.example.com/products", "--engine", "native"],
         0, stream="stderr", contains=["warning:", "has no native code"])

    case("simulate --bundle refuses -f", ["simulate", "--bundle", gw, "-f", SHOP, "GET http://x/"], 2,
         stream="stderr", contains=["--bundle fixes the proxy"])
    # A damaged bundle is an unusable input: inspect and simulate --bundle give the same words
    # (after their "meshc COMMAND: " prefix) and the same exit code, 2.
    gw_bytes = open(gw, "rb").read()
    truncated = os.path.join(tmp, "truncated.mcb")
    with open(truncated, "wb") as f:
        f.write(gw_bytes[:300])
    flipped = os.path.join(tmp, "flipped.mcb")
    data = bytearray(gw_bytes)
    data[len(data) // 2] ^= 0x01
    with open(flipped, "wb") as f:
        f.write(bytes(data))
    damaged = [
        ("truncated", truncated,
         f"error[size-mismatch]: {truncated}: header says the bundle is {len(gw_bytes)} bytes, "
         "the file is 300 (truncated?)\n"),
        ("bit-flipped", flipped, f"error[checksum-mismatch]: {flipped}: CRC-32C of the file is 0x"),
    ]
    for what, path, want in damaged:
        ins = run("inspect", path)
        sim = run("simulate", "--bundle", path, "GET http://x/")
        ins_text = ins.stderr.removeprefix("meshc inspect: ")
        sim_text = sim.stderr.removeprefix("meshc simulate: ")
        check(f"inspect on a {what} bundle: exit 2, the reader's error class and message",
              ins.returncode == 2 and ins.stdout == "" and ins.stderr.startswith("meshc inspect: ")
              and ins_text.startswith(want), ins.stdout + ins.stderr)
        check(f"simulate --bundle on a {what} bundle: the same text and exit code as inspect",
              sim.returncode == ins.returncode and sim.stdout == "" and sim_text == ins_text,
              f"inspect:\n{ins.stderr}simulate:\n{sim.stderr}")
    check("the bit-flipped bundle is reported as damaged",
          "(the file is damaged)\n" in run("inspect", flipped).stderr)

    reqs = os.path.join(tmp, "reqs.jsonl")
    with open(reqs, "w") as f:
        f.write(json.dumps({"request": {"authority": "shop.example.com", "path": "/api/cart"}}) + "\n")
        f.write(json.dumps({"proxy": {"kind": "gateway", "labels": {"istio": "ingressgateway"}},
                            "request": {"authority": "shop.example.com"}}) + "\n")
        f.write(json.dumps({"proxy": {"kind": "sidecar", "labels": {"app": "web"}},
                            "request": {"authority": "shop.example.com"}}) + "\n")
    p = run("simulate", "--bundle", gw, "--requests", reqs)
    lines = [json.loads(l) for l in p.stdout.splitlines() if l.strip()]
    check("simulate --bundle --requests: the bundle's proxy, a matching proxy, a foreign proxy",
          p.returncode == 2 and len(lines) == 3 and lines[0].get("outcome") == "redirect"
          and lines[1].get("outcome") == "redirect" and "not the one" in lines[2].get("error", ""),
          p.stdout + p.stderr)

print(f"{passed} passed, {failed} failed")
sys.exit(1 if failed else 0)
