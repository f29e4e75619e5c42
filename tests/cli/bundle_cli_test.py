#!/usr/bin/env python3
"""CLI tests for bundles: meshc compile, meshc inspect, meshc simulate --bundle, and meshc compile
--credentials-dir.

--credentials-dir writes the Secrets a gateway's TLS servers name as DIR/<name>/<key> (the layout
of a mounted Secret, which meshproxy --credentials DIR reads). Checked from the rules rather than
from output: Istio resolves a bare credentialName in the gateway proxy's namespace
(credentials.ParseResourceName) and reads only its certificate keys (cert/key/cacert/crl,
tls.crt/tls.key/ca.crt/ca.crl/tls.ocsp-staple); MUTUAL servers also take the "<name>-cacert"
Secret when there is one; stringData is merged over data as the API server does. DIR and
DIR/<name> are 0700 and files 0600 whatever the umask, contents byte-equal to the decoded Secret,
no key material in any output, a missing Secret is a note (exit 0), bad base64 an error naming
file:line:col with nothing written (exit 1)."""
import base64
import json
import os
import stat
import subprocess
import sys
import tempfile

MESHC = os.path.abspath(sys.argv[1])
ROOT = os.path.abspath(sys.argv[2])
SHOP = os.path.join(ROOT, "samples", "shop")
DATA = os.path.join(ROOT, "tests", "cli", "data")
passed = 0
failed = 0


def run(*args, stdin=None, umask=None):
    # umask=0o000 shows that file modes come from meshc, not from the caller's umask.
    return subprocess.run([MESHC, *args], cwd=ROOT, input=stdin, capture_output=True, text=True,
                          timeout=120,
                          preexec_fn=None if umask is None else (lambda: os.umask(umask)))


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
         contains=["format version 5", "written by meshc", "(verified)", "STRS", "TREE", "SMAP",
                   "0.0.0.0_443 0.0.0.0:443", "https.443.https.shop-gateway.shop: 1 virtual hosts, 5 routes",
                   "proxy: gateway istio=ingressgateway in namespace istio-system",
                   "NATV", "native code: x86_64-pc-linux-gnu cpu x86-64, LLVM 19", "2 entry points"])
    p = run("inspect", gw, "-o", "json")
    try:
        j = json.loads(p.stdout)
        check("inspect -o json", p.returncode == 0 and j["formatVersion"] == 5
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

# --- compile --credentials-dir -------------------------------------------------------------

def mode(path):
    return stat.S_IMODE(os.stat(path).st_mode)


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


# Key material with bytes a text round trip would break (NUL, CR, 0xff, no final newline).
SHOP_CRT = b"-----BEGIN CERTIFICATE-----\nc2hvcA==\n-----END CERTIFICATE-----\n"
SHOP_KEY = b"\x00\x01\xffsecret-shop-key\r\nlast line without newline"
M_CERT = b"mutual certificate \xe2\x9c\x93\n"
M_KEY = b"mutual key \x00\x00\n"
M_CA_OLD = b"overridden by stringData"
M_CA = "mutual CA from stringData\n"
TWIN_CA = b"the -cacert twin\n"
SECRETS = [SHOP_CRT, SHOP_KEY, M_CERT, M_KEY, M_CA_OLD, M_CA.encode(), TWIN_CA]


def gateway(servers):
    return f"""apiVersion: networking.istio.io/v1
kind: Gateway
metadata: {{name: gw, namespace: shop}}
spec:
  selector: {{istio: ingressgateway}}
  servers:
{servers}---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {{name: web, namespace: shop}}
spec:
  hosts: ["*.example.com"]
  gateways: [gw]
  http:
  - route: [{{destination: {{host: web.shop.svc.cluster.local}}}}]
"""


SERVERS = """  - port: {number: 443, name: https, protocol: HTTPS}
    hosts: [shop.example.com]
    tls: {mode: SIMPLE, credentialName: shop-cert}
  - port: {number: 443, name: https-m, protocol: HTTPS}
    hosts: [m.example.com]
    tls: {mode: MUTUAL, credentialName: m-cert}
  - port: {number: 443, name: https-ext, protocol: HTTPS}
    hosts: [ext.example.com]
    tls: {mode: SIMPLE, credentialName: "sds://vault/ext"}
  - port: {number: 443, name: https-gone, protocol: HTTPS}
    hosts: [gone.example.com]
    tls: {mode: SIMPLE, credentialName: gone-cert}
"""

SECRET_DOCS = f"""---
apiVersion: v1
kind: Secret
metadata: {{name: shop-cert, namespace: istio-system}}
type: kubernetes.io/tls
data:
  tls.crt: {b64(SHOP_CRT)}
  tls.key: {b64(SHOP_KEY)}
---
apiVersion: v1
kind: Secret
metadata: {{name: m-cert, namespace: istio-system}}
data:
  cert: {b64(M_CERT)}
  key: {b64(M_KEY)}
  cacert: {b64(M_CA_OLD)}
  unrelated: {b64(b"not an Istio key")}
stringData:
  cacert: "{M_CA.rstrip()}\\n"
---
apiVersion: v1
kind: Secret
metadata: {{name: m-cert-cacert, namespace: istio-system}}
data:
  ca.crt: {b64(TWIN_CA)}
---
# The same name in the Gateway's namespace: not the proxy's, so not used.
apiVersion: v1
kind: Secret
metadata: {{name: gone-cert, namespace: shop}}
data:
  tls.crt: {b64(b"wrong namespace")}
"""

PORTABLE_GATEWAY = ["--gateway", "istio=ingressgateway", "--no-native"]


def no_material(name, p):
    """No value of a Secret, decoded (any line of 8+ characters) or base64, in any output."""
    out = p.stdout + p.stderr
    leaked = [v for v in SECRETS if b64(v) in out or any(
        len(line.strip()) >= 8 and line.strip() in out
        for line in v.decode("latin-1").splitlines())]
    check(f"{name}: no key material on stdout or stderr", not leaked, repr(leaked) + "\n" + out)


with tempfile.TemporaryDirectory() as tmp:
    manifests = os.path.join(tmp, "gw.yaml")
    with open(manifests, "w") as f:
        f.write(gateway(SERVERS) + SECRET_DOCS)
    creds = os.path.join(tmp, "creds")
    bundle = os.path.join(tmp, "gw.mcb")
    p = run("compile", "-f", manifests, *PORTABLE_GATEWAY, "-o", bundle, "--credentials-dir", creds,
            umask=0o000)
    check("compile --credentials-dir exits 0", p.returncode == 0, p.stdout + p.stderr)
    no_material("compile --credentials-dir", p)
    check("the bundle is written", os.path.isfile(bundle))
    want_notes = (
        "meshc compile: note: credential sds://vault/ext does not name a Secret of the gateway's "
        "namespace; --credentials-dir leaves it out\n"
        f"meshc compile: note: credential istio-system/gone-cert is not in the input; meshproxy "
        f"will read it from --credentials {creds}/gone-cert/ at run time\n")
    check("unresolvable credentials are notes on stderr, each named once", p.stderr == want_notes,
          p.stderr)
    check("stdout names the Secrets and keys written, nothing else",
          p.stdout.endswith(f"credentials: wrote 3 Secret(s) to {creds}: shop-cert (tls.crt, "
                            "tls.key), m-cert (cacert, cert, key), m-cert-cacert (ca.crt)\n"),
          p.stdout)
    want = {
        "shop-cert": {"tls.crt": SHOP_CRT, "tls.key": SHOP_KEY},
        # stringData wins over data; keys Istio does not read stay out.
        "m-cert": {"cert": M_CERT, "key": M_KEY, "cacert": M_CA.encode()},
        "m-cert-cacert": {"ca.crt": TWIN_CA},
    }
    check("DIR is 0700 although the umask is 000", os.path.isdir(creds) and mode(creds) == 0o700,
          oct(mode(creds)) if os.path.exists(creds) else "missing")
    check("DIR holds exactly the resolved Secrets", sorted(os.listdir(creds)) == sorted(want),
          str(os.listdir(creds)))
    for name, files in want.items():
        d = os.path.join(creds, name)
        check(f"{name}/ is 0700", mode(d) == 0o700, oct(mode(d)))
        check(f"{name}/ holds exactly {sorted(files)}", sorted(os.listdir(d)) == sorted(files),
              str(os.listdir(d)))
        for key, data in files.items():
            path = os.path.join(d, key)
            with open(path, "rb") as f:
                got = f.read()
            check(f"{name}/{key} is byte-equal to the decoded Secret", got == data, repr(got))
            check(f"{name}/{key} is 0600", mode(path) == 0o600, oct(mode(path)))

    # A second run after a key left the Secret: the stale file goes, an existing DIR keeps its
    # mode, the Secret's directory is narrowed back to 0700.
    os.chmod(creds, 0o750)
    os.chmod(os.path.join(creds, "shop-cert"), 0o755)
    with open(manifests, "w") as f:
        f.write(gateway(SERVERS) + SECRET_DOCS.replace("  cacert: " + b64(M_CA_OLD) + "\n", "")
                .replace('stringData:\n  cacert: "' + M_CA.rstrip() + '\\n"\n', ""))
    p = run("compile", "-f", manifests, *PORTABLE_GATEWAY, "-o", bundle, "--credentials-dir", creds,
            umask=0o000)
    check("recompiling into the same DIR exits 0", p.returncode == 0, p.stdout + p.stderr)
    check("a key the Secret no longer has is removed",
          sorted(os.listdir(os.path.join(creds, "m-cert"))) == ["cert", "key"],
          str(os.listdir(os.path.join(creds, "m-cert"))))
    check("an existing DIR keeps its mode", mode(creds) == 0o750, oct(mode(creds)))
    check("a Secret's directory is 0700 again", mode(os.path.join(creds, "shop-cert")) == 0o700)
    leftovers = [f for _, _, fs in os.walk(creds) for f in fs if f.endswith(".tmp")]
    check("no temporary file is left behind", not leftovers, str(leftovers))

    # -n: the proxy's namespace is where a bare name resolves.
    in_shop = os.path.join(tmp, "in-shop")
    p = run("compile", "-f", manifests, *PORTABLE_GATEWAY, "-n", "shop", "-o", bundle, "--credentials-dir",
            in_shop)
    check("with -n shop the Secret in shop is used, the istio-system ones are not",
          p.returncode == 0 and sorted(os.listdir(in_shop)) == ["gone-cert"]
          and "credential shop/shop-cert is not in the input" in p.stderr, p.stdout + p.stderr)

    # Bad base64: an error at the value, nothing written at all.
    bad = os.path.join(tmp, "bad.yaml")
    with open(bad, "w") as f:
        f.write(gateway(SERVERS) + SECRET_DOCS.replace(b64(SHOP_KEY), "not*base64"))
    with open(bad) as f:
        line = next(i for i, l in enumerate(f, 1) if "not*base64" in l)
    bad_bundle = os.path.join(tmp, "bad.mcb")
    bad_creds = os.path.join(tmp, "bad-creds")
    p = run("compile", "-f", bad, *PORTABLE_GATEWAY, "-o", bad_bundle, "--credentials-dir", bad_creds)
    check("bad base64 in a referenced Secret: exit 1 and the whole message",
          p.returncode == 1 and p.stdout == "" and p.stderr ==
          f"meshc compile: {bad}:{line}:12: Secret istio-system/shop-cert: data key \"tls.key\" "
          "is not valid base64\n", f"exit {p.returncode}\n{p.stdout}{p.stderr}")
    check("bad base64 writes neither the bundle nor DIR",
          not os.path.exists(bad_bundle) and not os.path.exists(bad_creds))
    no_material("bad base64", p)

    # Without --credentials-dir nothing about credentials happens.
    p = run("compile", "-f", manifests, *PORTABLE_GATEWAY, "-o", bundle)
    check("without --credentials-dir: no credentials line, no notes",
          p.returncode == 0 and "credentials" not in p.stdout and p.stderr == "",
          p.stdout + p.stderr)

    # The v5 golden's input: its two Secrets and the -cacert twin of its MUTUAL server.
    golden = os.path.join(tmp, "golden-creds")
    p = run("compile", "-f", "tests/golden/bundle/v5/shop", "--mesh-config",
            "tests/golden/bundle/v5/mesh.yaml", *PORTABLE_GATEWAY, "-o", os.path.join(tmp, "g.mcb"),
            "--credentials-dir", golden)
    check("the v5 golden input writes shop-cert, partners-cert and partners-cert-cacert",
          p.returncode == 0 and p.stderr == ""
          and sorted(os.listdir(golden)) == ["partners-cert", "partners-cert-cacert", "shop-cert"]
          and sorted(os.listdir(os.path.join(golden, "partners-cert"))) == ["cert", "key"],
          p.stdout + p.stderr)

print(f"{passed} passed, {failed} failed")
sys.exit(1 if failed else 0)
