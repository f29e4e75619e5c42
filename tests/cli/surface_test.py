#!/usr/bin/env python3
"""The CLI surface (issue 8, section 4): typed request/test files, the routing commands' shared
flags, lint's success line, carets after UTF-8, unclosed flow collections, explain -o dot.
Expected texts are written from the documented behaviour, and compared whole where the text is
the contract."""
import json
import os
import subprocess
import sys
import tempfile

MESHC = os.path.abspath(sys.argv[1])
ROOT = os.path.abspath(sys.argv[2])
SHOP = os.path.join(ROOT, "samples", "shop")
passed = 0
failed = 0


def run(*args, cwd=None):
    env = dict(os.environ, NO_COLOR="1")
    return subprocess.run([MESHC, *args], cwd=cwd or ROOT, capture_output=True, text=True,
                          env=env, timeout=120)


def check(name, cond, detail=""):
    global passed, failed
    if cond:
        passed += 1
    else:
        failed += 1
        print(f"FAIL {name}\n{detail}")


def same(name, p, code, stdout=None, stderr=None):
    """Exit code and whole stdout/stderr (None: not compared)."""
    ok = p.returncode == code and (stdout is None or p.stdout == stdout) and (
        stderr is None or p.stderr == stderr)
    check(name, ok, f"exit={p.returncode} (want {code})\n--- stdout:\n{p.stdout}--- want:\n{stdout}"
                    f"--- stderr:\n{p.stderr}--- want:\n{stderr}")


def write(path, text):
    with open(path, "w", encoding="utf-8") as f:
        f.write(text)
    return path


GATEWAY = {"kind": "gateway", "labels": {"istio": "ingressgateway"}}

with tempfile.TemporaryDirectory() as tmp:
    # 1. Wrongly typed fields in request files are usage errors with file:line, every bad line
    # is reported, and nothing ends in an internal error.
    lines = [
        {"name": 1, "proxy": GATEWAY, "request": {"authority": "shop.example.com"}},
        {"name": "ok", "proxy": GATEWAY, "request": {"authority": "shop.example.com"}},
        {"name": "k", "proxy": {"kind": 5}, "request": {"authority": "shop.example.com"}},
        {"name": "l", "proxy": {"kind": "gateway", "labels": ["istio"]}, "request": {}},
        None,  # a blank line is skipped but counted
        {"name": "r", "proxy": GATEWAY, "request": 7},
        {"name": "p", "proxy": GATEWAY, "request": {"port": "80"}},
        {"name": "h", "proxy": GATEWAY, "request": {"headers": {"x-a": 1}}},
        {"name": "u", "proxy": GATEWAY, "request": {"pth": "/"}},
    ]
    reqs = write(os.path.join(tmp, "typed.jsonl"),
                 "".join((json.dumps(l) if l is not None else "") + "\n" for l in lines))
    errors = [
        (1, "name must be a string, found a number"),
        (3, 'proxy.kind must be "gateway" or "sidecar", found a number 5'),
        (4, "proxy.labels must be a map of label names to values, found a list"),
        (6, '"request" must be an object, found a number'),
        (7, 'request.port must be a number 1..65535, found "80"'),
        (8, "request.headers.x-a must be a string or a list of strings, found a number (quote it in YAML)"),
        (9, 'unknown field "request.pth"; expected authority, host, path, method, scheme, port, '
            'headers, tls, protocol, address'),
    ]
    want_stderr = "".join(f"{reqs}:{n}: error: {m}\n" for n, m in errors)
    p = run("simulate", "-f", SHOP, "--requests", reqs)
    out = [json.loads(l) for l in p.stdout.splitlines()]
    want_errors = [{"line": n, "error": m} for n, m in errors]
    check("simulate --requests: typed-field errors are usage errors (exit 2) with file:line, "
          "every bad line reported, the good line answered",
          p.returncode == 2 and p.stderr == want_stderr
          and [o for o in out if "error" in o] == want_errors
          and [o.get("name") for o in out if "error" not in o] == ["ok"]
          and out[1]["outcome"] == "redirect" and out[1]["status"] == 301,
          f"exit={p.returncode}\n{p.stdout}{p.stderr}")
    p = run("diff", "--old", SHOP, "--new", SHOP, "--requests", reqs)
    same("diff: every bad line is reported before anything is replayed, exit 2", p, 2,
         stdout="", stderr=want_stderr)

    tests = write(os.path.join(tmp, "typed.test.yaml"), """\
- name: 1
  proxy: {kind: gateway, labels: {istio: ingressgateway}}
  request: {authority: shop.example.com}
  expect: {outcome: redirect}
- name: kind
  proxy:
    kind: 5
  request: {authority: shop.example.com}
  expect: {outcome: redirect}
- name: labels
  proxy:
    kind: gateway
    labels: [istio]
  request: {authority: shop.example.com}
  expect: {outcome: redirect}
- name: port
  proxy: {kind: gateway, labels: {istio: ingressgateway}}
  request:
    authority: shop.example.com
    port: http
  expect: {noRoute: yes}
- name: fine
  proxy: {kind: gateway, labels: {istio: ingressgateway}}
  request: {authority: shop.example.com}
  expect: {outcome: redirect}
""")
    p = run("test", "-f", SHOP, tests)
    same("test: typed-field errors in a route test file are usage errors at the field's line, "
         "all of them", p, 2, stdout="", stderr="".join(f"meshc test: {tests}:{n}: {m}\n" for n, m in [
             (1, "name must be a string, found 1 (quote it)"),
             (7, 'proxy.kind must be "gateway" or "sidecar", found a number 5'),
             (13, "proxy.labels must be a map of label names to values, found a list"),
             (20, 'request.port must be a number 1..65535, found "http"'),
             (21, 'expect.noRoute must be true or false, found "yes"'),
         ]))

    # 2. One set of flags for the routing commands.
    def help_lines(cmd):
        return run(cmd, "--help").stdout.splitlines()

    shared = ["-f,--file", "--gateway", "--sidecar", "-n,--namespace", "--default-namespace",
              "--mesh-config"]
    routing = ["simulate", "test", "diff", "explain", "compile", "endpoints"]
    helps = {c: help_lines(c) for c in routing}
    for flag in shared + ["--engine"]:
        takers = routing if flag != "--engine" else ["simulate", "test", "diff"]
        found = {c: [l for l in helps[c] if l.strip().startswith(flag + " ")] for c in takers}
        check(f"{flag} is registered once, alike, on {', '.join(takers)}",
              all(len(v) == 1 for v in found.values())
              and len({v[0] for v in found.values()}) == 1, json.dumps(found, indent=1))

    # --default-namespace places objects without metadata.namespace, on every routing command.
    app = write(os.path.join(tmp, "no-namespace.yaml"), """\
apiVersion: networking.istio.io/v1
kind: Gateway
metadata:
  name: gw
spec:
  selector:
    istio: ingressgateway
  servers:
  - port: {number: 80, name: http, protocol: HTTP}
    hosts: ["*/app.example.org"]
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata:
  name: app
spec:
  hosts: [app.example.org]
  gateways: [gw]
  http:
  - name: all
    route:
    - destination: {host: app.team.svc.cluster.local, port: {number: 8080}}
""")
    p = run("simulate", "-f", app, "--gateway", "istio=ingressgateway", "--default-namespace",
            "team", "-o", "json", "GET http://app.example.org/")
    try:
        j = json.loads(p.stdout)
        check("simulate --default-namespace: the VirtualService lives in that namespace",
              p.returncode == 0 and j["virtualService"] == "team/app"
              and j["cluster"] == "outbound|8080||app.team.svc.cluster.local", p.stdout + p.stderr)
    except (ValueError, KeyError) as e:
        check("simulate --default-namespace parses", False, f"{e}\n{p.stdout}{p.stderr}")
    p = run("explain", "-f", app, "--gateway", "istio=ingressgateway", "--default-namespace", "team")
    check("explain --default-namespace", p.returncode == 0 and f"(team/app {app}:20)" in p.stdout,
          p.stdout + p.stderr)
    t = write(os.path.join(tmp, "ns.test.yaml"),
              "- name: app\n  request: {authority: app.example.org}\n"
              "  expect: {virtualService: team/app}\n")
    p = run("test", "-f", app, "--gateway", "istio=ingressgateway", "--default-namespace", "team", t)
    same("test: --gateway is the proxy of tests without one; --default-namespace applies", p, 0,
         stdout="ok    app\n1 passed, 0 failed\n", stderr="")
    moved = write(os.path.join(tmp, "moved.yaml"), open(app).read().replace("8080", "9090"))
    r = write(os.path.join(tmp, "one.jsonl"), json.dumps({"name": "app", "request": {
        "authority": "app.example.org", "path": "/x"}}) + "\n")
    p = run("diff", "--old", app, "--new", moved, "--requests", r, "--gateway",
            "istio=ingressgateway", "--default-namespace", "team")
    same("diff: a changed destination is reported, with --gateway as the default proxy", p, 1,
         stdout='changed: app (GET app.example.org/x)\n  cluster:\n'
                '    - "outbound|8080||app.team.svc.cluster.local"\n'
                '    + "outbound|9090||app.team.svc.cluster.local"\n'
                "1 of 1 requests change their routing decision\n")
    p = run("compile", "-f", app, "--gateway", "istio=ingressgateway", "--default-namespace", "team",
            "--no-native", "-o", os.path.join(tmp, "team.mcb"))
    check("compile takes --default-namespace", p.returncode == 0, p.stdout + p.stderr)

    # lint takes -f like the routing commands, and --default-namespace as another name for -n.
    err = os.path.join(ROOT, "tests", "cli", "data", "error.yaml")
    want = run("lint", err)
    got = run("lint", "-f", err)
    check("lint -f PATH is lint PATH", want.returncode == 1 and got.returncode == 1
          and got.stdout == want.stdout, got.stdout + got.stderr)
    ns = run("lint", "-o", "json", "--default-namespace", "team", err)
    check("lint --default-namespace is -n", ns.returncode == 1
          and json.loads(ns.stdout)["diagnostics"][0]["resource"]["namespace"] == "team", ns.stdout)

    # explain takes -o like the other commands; --format still works, with a warning.
    dot = run("explain", "-f", SHOP, "--gateway", "istio=ingressgateway", "-o", "dot")
    old = run("explain", "-f", SHOP, "--gateway", "istio=ingressgateway", "--format", "dot")
    check("explain --format dot is a deprecated alias of -o dot",
          dot.returncode == 0 and old.returncode == 0 and old.stdout == dot.stdout
          and old.stderr == "meshc explain: warning: --format is deprecated; use -o dot\n",
          old.stderr)

    # 4a. dot labels break lines with Graphviz's \n escape, not a literal backslash.
    label = ('"V:https.443.https.shop-gateway.shop:0:0" [label="#0 cart-api\\nprefix '
             '\\"/api/cart\\"\\n→ outbound|8080||cart.shop.svc.cluster.local"];\n')
    check("explain -o dot: a route's label is name, match and action on three lines",
          label in dot.stdout and "\\\\n" not in dot.stdout, dot.stdout)

    # 4b. The caret sits under the character, after multi-byte and wide characters.
    u = write(os.path.join(tmp, "utf8.yaml"), """\
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata:
  name: x
  annotations: {"日本": "語", é: 1}
spec:
  hosts: [a]
  hóstz: [b]
""")
    p = run("lint", "utf8.yaml", cwd=tmp)
    same("lint: carets line up under UTF-8 and wide characters (columns stay bytes)", p, 1,
         stdout="utf8.yaml:5:38: error[schema-type]: expected string, found integer 1 at "
                "metadata.annotations.é; quote the value to make it a string\n"
                '  annotations: {"日本": "語", é: 1}\n'
                + " " * 33 + "^\n"
                "utf8.yaml:8:3: error[schema-unknown-field]: unknown field \"hóstz\" in "
                "VirtualService spec; expected one of: exportTo, gateways, hosts, http, tcp, tls\n"
                "  hóstz: [b]\n"
                "  ^~~~~\n"
                "2 errors, 0 warnings, 0 infos in 1 resource from 1 file\n")

    # 4c. An unclosed flow collection is reported at its opening bracket.
    write(os.path.join(tmp, "unclosed-map.yaml"), """\
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata:
  name: x
  labels: {app: web
spec:
  hosts: [a]
""")
    p = run("lint", "unclosed-map.yaml", cwd=tmp)
    same("lint: an unclosed '{' is reported at the '{'", p, 1,
         stdout="unclosed-map.yaml:5:11: error[yaml-syntax]: invalid YAML: this '{' is never "
                "closed; expected '}' after the last entry\n"
                "  labels: {app: web\n"
                "          ^\n"
                "1 error, 0 warnings, 0 infos in 0 resources from 1 file\n")
    write(os.path.join(tmp, "unclosed-nested.yaml"), "hosts: [a, [b, c]\n")
    p = run("lint", "unclosed-nested.yaml", cwd=tmp)
    check("lint: with nested brackets, the one never closed is reported",
          p.returncode == 1 and p.stdout.startswith(
              "unclosed-nested.yaml:1:8: error[yaml-syntax]: invalid YAML: this '[' is never "
              "closed"), p.stdout)

    # 4d. A clean lint says so, as istioctl does, unless -q.
    clean = os.path.join(ROOT, "tests", "cli", "data", "clean.yaml")
    same("lint: a clean run prints istioctl's success line and the summary", run("lint", clean), 0,
         stdout="✔ No validation issues found when analyzing 1 file.\n"
                "0 errors, 0 warnings, 0 infos in 1 resource from 1 file\n", stderr="")
    same("lint -q: a clean run prints nothing", run("lint", "-q", clean), 0, stdout="", stderr="")
    same("lint --quiet -o istioctl: no success line on stderr",
         run("lint", "--quiet", "-o", "istioctl", clean), 0, stdout="", stderr="")
    q = run("lint", "-q", err)
    check("lint -q still prints the findings, without the summary",
          q.returncode == 1 and "error[schema-unknown-field]" in q.stdout
          and "0 warnings" not in q.stdout, q.stdout)

print(f"{passed} passed, {failed} failed")
sys.exit(1 if failed else 0)
