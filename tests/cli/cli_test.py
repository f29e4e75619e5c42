#!/usr/bin/env python3
"""CLI tests for meshc lint: exit codes, stdin, directories, --fail-on, suppression, formats."""
import json
import os
import shutil
import subprocess
import sys
import tempfile

MESHC = os.path.abspath(sys.argv[1])
DATA = os.path.join(os.path.dirname(os.path.abspath(__file__)), "data")
passed = 0
failed = 0


def run(*args, stdin=None, env=None):
    e = dict(os.environ)
    e.pop("NO_COLOR", None)
    if env:
        e.update(env)
    return subprocess.run([MESHC, *args], cwd=DATA, input=stdin, capture_output=True, text=True,
                          env=e, timeout=60)


def check(name, cond, detail=""):
    global passed, failed
    if cond:
        passed += 1
    else:
        failed += 1
        print(f"FAIL {name}\n{detail}")


def case(name, args, code, stdin=None, contains=(), absent=(), stream="stdout", env=None):
    p = run(*args, stdin=stdin, env=env)
    out = p.stdout if stream == "stdout" else p.stderr
    ok = p.returncode == code and all(c in out for c in contains) and not any(a in out for a in absent)
    check(name, ok, f"args={args} exit={p.returncode} (want {code})\nstdout:\n{p.stdout}\nstderr:\n{p.stderr}")
    return p


case("clean file exits 0", ["lint", "clean.yaml"], 0, contains=["0 errors"])
case("schema error exits 1 with file:line:col",
     ["lint", "error.yaml"], 1, contains=["error.yaml:6:3: error[schema-unknown-field]", "  hostz:", "  ^~~~~"])
case("warning alone exits 0 by default", ["lint", "warning.yaml"], 0, contains=["warning[IST0134]"])
case("--fail-on warning makes a warning fail", ["lint", "warning.yaml", "--fail-on", "warning"], 1)
case("--fail-on none never fails", ["lint", "error.yaml", "--fail-on", "none"], 0)
case("annotation suppresses its code", ["lint", "suppressed.yaml", "--fail-on", "warning"], 0,
     absent=["IST0134"], contains=["1 suppressed"])
case("--suppress with Kind ns/name", ["lint", "warning.yaml", "--fail-on", "warning",
                                      "--suppress", "IST0134=ServiceEntry default/db"], 0, absent=["IST0134"])
case("--suppress with a glob", ["lint", "warning.yaml", "--fail-on", "warning",
                                "--suppress", "IST0134=ServiceEntry *"], 0)
case("--suppress with legacy Kind name.ns", ["lint", "warning.yaml", "--fail-on", "warning",
                                             "--suppress", "IST0134=ServiceEntry db.default"], 0)
case("--suppress of another resource keeps the finding",
     ["lint", "warning.yaml", "--fail-on", "warning", "--suppress", "IST0134=ServiceEntry default/other"], 1)
case("malformed --suppress is a usage error", ["lint", "warning.yaml", "--suppress", "IST0134"], 2)
case("unknown flag is a usage error", ["lint", "--bogus", "clean.yaml"], 2)
case("missing path is a usage error", ["lint", "does-not-exist.yaml"], 2, stream="stderr",
     contains=["does-not-exist.yaml"])
case("no path is a usage error", ["lint"], 2)
case("bad -o value is a usage error", ["lint", "clean.yaml", "-o", "xml"], 2)
case("stdin with -", ["lint", "-"], 1, stdin=open(os.path.join(DATA, "error.yaml")).read(),
     contains=["<stdin>:6:3"])
case("directories are read recursively, *.yaml/*.yml only, other kinds counted",
     ["lint", "dir"], 0, contains=["1 resource from 2 files", "v1 ConfigMap: 1"])
case("YAML syntax error exits 1", ["lint", "broken.yaml"], 1, contains=["error[yaml-syntax]"])
case("one bad file never hides the others", ["lint", "broken.yaml", "error.yaml"], 1,
     contains=["yaml-syntax", "schema-unknown-field"])
case("no colour without a TTY", ["lint", "error.yaml", "--color", "auto"], 1, absent=["\033["])
case("--color always colours", ["lint", "error.yaml", "--color", "always"], 1, contains=["\033["])
case("NO_COLOR wins over auto", ["lint", "error.yaml"], 1, absent=["\033["], env={"NO_COLOR": "1"})

p = run("lint", "error.yaml", "warning.yaml", "-o", "json")
try:
    doc = json.loads(p.stdout)
    d0 = doc["diagnostics"][0]
    check("json: one object with diagnostics and summary",
          set(doc) == {"diagnostics", "summary"} and doc["summary"]["errors"] == 1
          and doc["summary"]["warnings"] == 1 and p.returncode == 1, p.stdout)
    check("json: diagnostic fields",
          {"id", "severity", "message", "file", "line", "column", "resource"} <= set(d0)
          and d0["resource"] == {"kind": "VirtualService", "namespace": "default", "name": "reviews"}
          and d0["line"] == 6 and d0["column"] == 3, json.dumps(d0))
except (ValueError, KeyError, IndexError) as e:
    check("json output parses", False, f"{e}\n{p.stdout}")

p = run("lint", "error.yaml", "-o", "sarif")
try:
    sarif = json.loads(p.stdout)
    run0 = sarif["runs"][0]
    res = run0["results"][0]
    region = res["locations"][0]["physicalLocation"]["region"]
    check("sarif: 2.1.0 with rules and regions",
          sarif["version"] == "2.1.0" and run0["tool"]["driver"]["rules"][0]["id"] == "schema-unknown-field"
          and res["ruleId"] == "schema-unknown-field" and res["level"] == "error"
          and region["startLine"] == 6 and region["startColumn"] == 3
          and res["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == "error.yaml", p.stdout)
except (ValueError, KeyError, IndexError) as e:
    check("sarif output parses", False, f"{e}\n{p.stdout}")

case("istioctl format", ["lint", "warning.yaml", "-o", "istioctl"], 0,
     contains=["Warning [IST0134] (ServiceEntry default/db warning.yaml:"])
case("istioctl format success message on stderr", ["lint", "clean.yaml", "-o", "istioctl"], 0,
     stream="stderr", contains=["No validation issues found"])
case("-v lists analyzers", ["lint", "clean.yaml", "-v"], 0, stream="stderr", contains=["analyzer ran:"])
case("schema prints a kind", ["schema", "VirtualService"], 0, contains=['"$schema"'])
case("schema --list", ["schema", "--list"], 0, contains=["VirtualService", "Gateway"])
case("schema of an unknown kind is a usage error", ["schema", "Nope"], 2)

# Routing commands over samples/shop.
SHOP = os.path.join(DATA, "..", "..", "..", "samples", "shop")
SHOP_TESTS = os.path.join(DATA, "..", "..", "..", "samples", "tests", "shop.test.yaml")
case("simulate explains a gateway request", ["simulate", "-f", SHOP, "--gateway", "istio=ingressgateway",
                                            "GET https://shop.example.com/api/cart"], 0,
     contains=["listener 0.0.0.0_443", "route cart-api of VirtualService shop/shop-frontend",
               "=> route outbound|8080||cart.shop.svc.cluster.local"])
p = run("simulate", "-f", SHOP, "--sidecar", "app=frontend", "-n", "shop", "-o", "json",
        "GET http://reviews:9080/r", "-H", "end-user: tester")
try:
    j = json.loads(p.stdout)
    check("simulate -o json for a sidecar", p.returncode == 0 and j["outcome"] == "route"
          and j["cluster"] == "outbound|9080|v2|reviews.shop.svc.cluster.local"
          and j["source"].endswith("30-routing.yaml:82"), p.stdout + p.stderr)
except (ValueError, KeyError) as e:
    check("simulate -o json parses", False, f"{e}\n{p.stdout}{p.stderr}")
case("simulate needs exactly one proxy", ["simulate", "-f", SHOP, "GET http://a/"], 2)
case("simulate rejects a bad URL", ["simulate", "-f", SHOP, "--gateway", "istio=x", "GET a/b"], 2,
     stream="stderr", contains=["invalid URL"])
case("simulate rejects bad labels", ["simulate", "-f", SHOP, "--gateway", "istio", "GET http://a/"], 2)
TMP = tempfile.mkdtemp(prefix="meshc-cli-test-")
reqs = '{"name": "a", "proxy": {"kind": "gateway", "labels": {"istio": "ingressgateway"}}, "request": {"scheme": "https", "authority": "shop.example.com", "path": "/static/x.css"}}\n'
with open(os.path.join(TMP, "requests.tmp.jsonl"), "w") as f:
    f.write(reqs + "not json\n")
p = run("simulate", "-f", SHOP, "--requests", os.path.join(TMP, "requests.tmp.jsonl"))
lines = p.stdout.splitlines()
check("simulate --requests: one JSON line per request, bad lines reported, exit 2",
      p.returncode == 2 and len(lines) == 2 and json.loads(lines[0])["route"] == "static-assets"
      and json.loads(lines[0])["name"] == "a" and json.loads(lines[1])["line"] == 2, p.stdout + p.stderr)
case("test passes the shop tests", ["test", "-f", SHOP, SHOP_TESTS, "--coverage"], 0,
     contains=["12 passed, 0 failed", "coverage: "])
case("test --min-coverage fails above the achieved coverage",
     ["test", "-f", SHOP, SHOP_TESTS, "--min-coverage", "100"], 1, stream="stderr",
     contains=["below --min-coverage"])
p = run("test", "-f", SHOP, SHOP_TESTS, "-o", "junit")
check("test -o junit is a testsuite", p.returncode == 0 and '<testsuite name="meshc" tests="12" failures="0"' in p.stdout,
      p.stdout)
with open(os.path.join(TMP, "failing.tmp.test.yaml"), "w") as f:
    f.write("- name: wrong cluster\n  proxy: {kind: gateway, labels: {istio: ingressgateway}}\n"
            "  request: {scheme: https, authority: shop.example.com, path: /api/cart}\n"
            "  expect: {cluster: outbound|1||nope}\n")
case("a failing test exits 1 with a diff", ["test", "-f", SHOP, os.path.join(TMP, "failing.tmp.test.yaml")], 1,
     contains=["FAIL", "- expected: \"outbound|1||nope\"", "+ actual:   \"outbound|8080||cart.shop.svc.cluster.local\""])
with open(os.path.join(TMP, "bad.tmp.test.yaml"), "w") as f:
    f.write("- name: typo\n  request: {path: /}\n  expect: {clustr: x}\n")
case("an unknown expect field is a usage error", ["test", "-f", SHOP, os.path.join(TMP, "bad.tmp.test.yaml")], 2,
     stream="stderr", contains=['unknown expect field "clustr"'])
case("diff stops with a usage error on a bad request line", ["diff", "--old", SHOP, "--new", SHOP, "--requests", os.path.join(TMP, "requests.tmp.jsonl")], 2)
with open(os.path.join(TMP, "requests.tmp.jsonl"), "w") as f:
    f.write(reqs)
case("diff of identical configs reports nothing", ["diff", "--old", SHOP, "--new", SHOP, "--requests", os.path.join(TMP, "requests.tmp.jsonl")], 0,
     contains=["0 of 1 requests change"])
case("explain lists listeners, virtual hosts and routes", ["explain", "-f", SHOP, "--gateway", "istio=ingressgateway"], 0,
     contains=["listener 0.0.0.0_443", "virtual host shop.example.com:443", "#0 cart-api prefix \"/api/cart\""])
case("explain --format dot is a digraph", ["explain", "-f", SHOP, "--gateway", "istio=ingressgateway", "--format", "dot"], 0,
     contains=["digraph proxy {"])
case("explain --tree prints the IR", ["explain", "-f", SHOP, "--gateway", "istio=ingressgateway", "--tree"], 0,
     contains=["listener 0.0.0.0_443"])
shutil.rmtree(TMP)

print(f"{passed} passed, {failed} failed")
sys.exit(1 if failed else 0)
