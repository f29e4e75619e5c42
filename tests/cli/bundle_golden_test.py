#!/usr/bin/env python3
"""Bundle format version 5 is pinned by committed bundles (tests/golden/bundle/v5/); the
version-1 to -4 bundles in tests/golden/bundle/v1/ to v4/ stay as the proof that today's reader
refuses them.

Writer and reader share runtime/bundle/codec.h, so a round trip cannot notice a layout change.
These goldens can: for each v5 one,
  1. an independent reader (this file, written from format.h's documented layout, not from the
     codec) checks the header, the CRC-32C, the section table and the alignment rules;
  2. today's reader reads it: `meshc inspect -o json` equals the committed JSON, and `simulate
     --bundle` answers requests with the routes the manifests in v5/shop/ define;
  3. today's writer reproduces its bytes from the same input (the 16-byte compiler version field,
     and so the CRC, may differ after a release; every other byte must not), also when the input
     path is spelled differently (./dir, dir/, dir//, /abs/dir, a/../dir).
Any layout change fails here until the format version is bumped and a new golden committed.
For each v1 to v4 bundle: the independent reader still finds a sound file of that version, and
`inspect` and `simulate --bundle` refuse it (exit 2) with the unsupported-version message, whole.
Regenerate (only with a version bump): MESHC_UPDATE_GOLDEN=1.
Usage: bundle_golden_test.py MESHC SOURCE_DIR"""
import json
import os
import struct
import subprocess
import sys
import tempfile

HEADER_SIZE = 80
ENTRY_SIZE = 24
SECTION_ORDER = [b"STRS", b"PRXY", b"VHST", b"TREE", b"ACTN", b"CLST", b"SMAP"]
COMPILER_VERSION = slice(40, 56)
CRC = slice(32, 36)

# name, proxy selection flags
GOLDENS = [
    ("shop-gateway", ["--gateway", "istio=ingressgateway"]),
    ("shop-sidecar", ["--sidecar", "app=web", "-n", "shop"]),
]
FORMAT_VERSION = 5
GOLDEN_DIR = "tests/golden/bundle/v5"
INPUT = GOLDEN_DIR + "/shop"
# gatewayTopology.numTrustedProxies: 1 and tlsDefaults (both reach the gateway bundle only).
MESH = ["--mesh-config", GOLDEN_DIR + "/mesh.yaml"]
# Older versions: directory, version, the reader's whole message.
OLD = [
    ("tests/golden/bundle/v1", 1,
     "bundle format version 1 (written by meshc 0.1.0) is older than this reader's version 5, "
     "which adds consistent-hash cookie TTL/path/attributes, subset labels, ring-hash and Maglev "
     "sizes, trusted proxies, DestinationRule connection pools and outlier detection, TCP proxy "
     "idle timeouts, gateway TLS settings: recompile the bundle with this meshc"),
    ("tests/golden/bundle/v2", 2,
     "bundle format version 2 (written by meshc 0.1.0) is older than this reader's version 5, "
     "which adds DestinationRule connection pools and outlier detection, TCP proxy idle "
     "timeouts, gateway TLS settings: recompile the bundle with this meshc"),
    ("tests/golden/bundle/v3", 3,
     "bundle format version 3 (written by meshc 0.1.0) is older than this reader's version 5, "
     "which adds TCP proxy idle timeouts, gateway TLS settings: recompile the bundle with this "
     "meshc"),
    ("tests/golden/bundle/v4", 4,
     "bundle format version 4 (written by meshc 0.1.0) is older than this reader's version 5, "
     "which adds gateway TLS settings: recompile the bundle with this meshc"),
]

# Requests and what the manifests in v5/shop/ say about them (30-routing.yaml, 20-gateway.yaml,
# 70-tcp.yaml, 80-tls.yaml).
EXPECT = {
    "shop-gateway": [
        # route cart-api: prefix /api/cart → cart:8080, prefix rewritten to /cart
        (["GET https://shop.example.com/api/cart/items"],
         {"outcome": "route", "route": "cart-api", "rewrittenPath": "/cart/items",
          "cluster": "outbound|8080||cart.shop.svc.cluster.local"}),
        # the HTTP server has tls.httpsRedirect: a 301 to https
        (["GET http://shop.example.com/x"],
         {"outcome": "redirect", "status": 301,
          "redirect": {"location": "https://shop.example.com/x", "status": 301}}),
        # route legacy-checkout: exact /checkout.php redirects to /checkout with 301
        (["GET https://shop.example.com/checkout.php"],
         {"outcome": "redirect", "route": "legacy-checkout", "status": 301}),
        # route canary-testers: x-canary: true → frontend subset v2
        (["GET https://shop.example.com/", "-H", "x-canary: true"],
         {"outcome": "route", "route": "canary-testers",
          "cluster": "outbound|80|v2|frontend.shop.svc.cluster.local"}),
        # 70-tcp.yaml: the TCP server on 5432 forwards to orders-db (R15.1)
        (["tcp://db.example.com:5432"],
         {"outcome": "route", "listener": "0.0.0.0_5432", "virtualService": "shop/orders-db",
          "cluster": "outbound|5432||orders-db.shop.svc.cluster.local"}),
        # the PASSTHROUGH server on 8443: SNI pay.example.com, 80/20 by weight (R14.8, R15.2)
        (["tls://pay.example.com:8443"],
         {"outcome": "route", "virtualService": "shop/payments",
          "weightedClusters": [
              {"cluster": "outbound|443||payments.shop.svc.cluster.local", "weight": 80},
              {"cluster": "outbound|443|next|payments.shop.svc.cluster.local", "weight": 20}]}),
        # another SNI: no chain (R14.8)
        (["tls://other.example.com:8443"], {"outcome": "noFilterChain"}),
        # 80-tls.yaml: the MUTUAL server beside the SIMPLE one on 443 routes its own host (R14.3)
        (["GET https://partners.example.com/orders"],
         {"outcome": "route", "route": "partner-orders", "virtualService": "shop/partners",
          "cluster": "outbound|8080||cart.shop.svc.cluster.local"}),
        # 80-tls.yaml: TLS terminated on 5433, then TCP to orders-db (ISTIO-SEMANTICS 7.3)
        (["tls://db.example.com:5433"],
         {"outcome": "route", "listener": "0.0.0.0_5433", "virtualService": "shop/orders-db-tls",
          "cluster": "outbound|5432||orders-db.shop.svc.cluster.local"}),
    ],
    "shop-sidecar": [
        # VirtualService reviews, rule testers: end-user: tester → subset v2 (Service port 9080)
        (["GET http://reviews.shop.svc.cluster.local:9080/r", "-H", "end-user: tester"],
         {"outcome": "route", "route": "testers",
          "cluster": "outbound|9080|v2|reviews.shop.svc.cluster.local"}),
        (["GET http://reviews.shop.svc.cluster.local:9080/r"],
         {"outcome": "route", "route": "everyone",
          "cluster": "outbound|9080|v1|reviews.shop.svc.cluster.local"}),
    ],
}

failures = []


def fail(msg):
    failures.append(msg)
    print("FAIL: " + msg)


def crc32c(data: bytes) -> int:
    table = []
    for i in range(256):
        c = i
        for _ in range(8):
            c = (c >> 1) ^ 0x82F63B78 if c & 1 else c >> 1
        table.append(c)
    crc = 0xFFFFFFFF
    for b in data:
        crc = table[(crc ^ b) & 0xFF] ^ (crc >> 8)
    return crc ^ 0xFFFFFFFF


def check_layout(name: str, data: bytes, want_version: int = FORMAT_VERSION) -> None:
    """The frame as documented in runtime/bundle/format.h (the same in versions 1 to 5), read
    without the project's code."""
    if len(data) < HEADER_SIZE:
        return fail(f"{name}: {len(data)} bytes, shorter than the header")
    magic, version, header_size, total, count, flags, crc, res0 = struct.unpack_from(
        "<8sIIQIIII", data, 0)
    input_hash, = struct.unpack_from("<Q", data, 56)
    if magic != b"MESHCRB\x1a":
        fail(f"{name}: magic {magic!r}")
    if version != want_version:
        fail(f"{name}: format version {version}, this golden is version {want_version}")
    if header_size != HEADER_SIZE or total != len(data):
        fail(f"{name}: header size {header_size}, total size {total} for {len(data)} bytes")
    if flags & ~0x3 or res0 != 0 or data[64:80] != bytes(16):
        fail(f"{name}: unknown flag bits or non-zero reserved fields")
    gateway = "gateway" in name
    if bool(flags & 0x2) != gateway or flags & 0x1:
        fail(f"{name}: flags {flags:#x} (gateway={gateway}, no native code expected)")
    if input_hash == 0:
        fail(f"{name}: input hash is zero")
    zeroed = data[:32] + bytes(4) + data[36:]
    if crc32c(zeroed) != crc:
        fail(f"{name}: CRC-32C {crc:#010x}, computed {crc32c(zeroed):#010x}")
    end_of_table = HEADER_SIZE + count * ENTRY_SIZE
    kinds = []
    prev_end = end_of_table
    for i in range(count):
        kind, reserved, offset, size = struct.unpack_from("<4sIQQ", data, HEADER_SIZE + i * ENTRY_SIZE)
        kinds.append(kind)
        if reserved != 0 or offset % 8 != 0 or offset < prev_end or offset + size > len(data):
            fail(f"{name}: section {kind!r} at {offset}+{size} breaks the table rules")
        if any(data[prev_end:offset]):
            fail(f"{name}: non-zero padding before section {kind!r}")
        prev_end = offset + size
    if prev_end != len(data):
        fail(f"{name}: {len(data) - prev_end} bytes after the last section")
    if kinds != SECTION_ORDER:
        fail(f"{name}: sections {kinds}, expected {SECTION_ORDER}")


def run(cmd, cwd):
    return subprocess.run(cmd, cwd=cwd, capture_output=True, text=True)


def main() -> int:
    meshc, src = sys.argv[1], os.path.realpath(sys.argv[2])
    gdir = os.path.join(src, GOLDEN_DIR)
    update = os.environ.get("MESHC_UPDATE_GOLDEN") == "1"
    with tempfile.TemporaryDirectory() as tmp:
        for name, proxy in GOLDENS:
            golden_path = os.path.join(gdir, name + ".mcb")
            out = os.path.join(tmp, name + ".mcb")
            r = run([meshc, "compile", "-f", INPUT, *MESH, *proxy, "--no-native", "-o", out], src)
            if r.returncode != 0:
                fail(f"{name}: compile failed: {r.stderr}")
                continue
            with open(out, "rb") as f:
                fresh = f.read()
            if update:
                with open(golden_path, "wb") as f:
                    f.write(fresh)
                js = run([meshc, "inspect", golden_path, "-o", "json"], src).stdout
                with open(os.path.join(gdir, name + ".inspect.json"), "w") as f:
                    f.write(js)
            with open(golden_path, "rb") as f:
                golden = f.read()
            check_layout(name, golden)
            check_layout(name + " (fresh)", fresh)

            def masked(b):
                return b[:CRC.start] + b[CRC.stop:COMPILER_VERSION.start] + b[COMPILER_VERSION.stop:]

            if masked(fresh) != masked(golden):
                at = next((i for i in range(min(len(fresh), len(golden))) if fresh[i] != golden[i]),
                          min(len(fresh), len(golden)))
                fail(f"{name}: today's writer no longer reproduces format v{FORMAT_VERSION} (first difference at "
                     f"byte {at}; sizes {len(fresh)} vs {len(golden)}). A layout change needs a "
                     f"format version bump and a new golden.")
            # Path spelling does not change the bytes.
            abs_input = os.path.join(src, INPUT)
            for spelling in ["./" + INPUT, INPUT + "/", INPUT.replace("/", "//"), abs_input,
                             "tests/../" + INPUT]:
                alt = os.path.join(tmp, "alt.mcb")
                r = run([meshc, "compile", "-f", spelling, *MESH, *proxy, "--no-native", "-o", alt],
                        src)
                with open(alt, "rb") as f:
                    if r.returncode != 0 or f.read() != fresh:
                        fail(f"{name}: -f {spelling} gives other bytes than -f {INPUT}")
            # Today's reader: inspect equals the committed JSON.
            r = run([meshc, "inspect", golden_path, "-o", "json"], src)
            with open(os.path.join(gdir, name + ".inspect.json")) as f:
                want = json.load(f)
            if r.returncode != 0 or json.loads(r.stdout or "null") != want:
                fail(f"{name}: inspect -o json differs from {name}.inspect.json:\n{r.stdout}{r.stderr}")
            if want.get("formatVersion") != FORMAT_VERSION or want.get("totalSize") != len(golden):
                fail(f"{name}: inspect JSON does not describe a {len(golden)}-byte "
                     f"v{FORMAT_VERSION} bundle")
            # Today's reader routes from it as the manifests say, with every engine it has.
            for args, expect in EXPECT[name]:
                for engine in ("interpreter", "reference"):
                    r = run([meshc, "simulate", "--bundle", golden_path, *args, "-o", "json",
                             "--engine", engine], src)
                    try:
                        got = json.loads(r.stdout)
                    except json.JSONDecodeError:
                        got = None
                    if got is None or any(got.get(k) != v for k, v in expect.items()):
                        fail(f"{name} {engine} {' '.join(args)}: expected {expect}, got {r.stdout}{r.stderr}")
    # Older versions: still sound files of their version, refused by today's reader with the
    # whole message.
    for old_dir, old_version, message in OLD:
        for name, _ in GOLDENS:
            rel = f"{old_dir}/{name}.mcb"
            with open(os.path.join(src, rel), "rb") as f:
                check_layout(f"{name} (v{old_version})", f.read(), want_version=old_version)
            for cmd in (["inspect", rel], ["simulate", "--bundle", rel, "GET http://x/"]):
                r = run([meshc, *cmd], src)
                want = f"meshc {cmd[0]}: error[unsupported-version]: {rel}: {message}\n"
                if r.returncode != 2 or r.stdout != "" or r.stderr != want:
                    fail(f"{name} v{old_version}: {' '.join(cmd)}: exit {r.returncode}, stderr:\n"
                         f"{r.stderr}wanted exit 2, stderr:\n{want}")
    if failures:
        print(f"{len(failures)} failure(s)")
        return 1
    print(f"{len(GOLDENS)} v{FORMAT_VERSION} goldens: layout, reader, writer and path spellings "
          f"agree; " + ", ".join(f"v{v}" for _, v, _ in OLD) + " goldens refused")
    return 0


if __name__ == "__main__":
    sys.exit(main())
