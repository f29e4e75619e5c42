#!/usr/bin/env python3
"""Differential: a few thousand generated requests through meshproxy and through
`meshc simulate --bundle` on the same bundle agree on the route, the cluster, the path and
authority sent upstream, redirects and direct responses (issue: "agree on the chosen route and
cluster for every one"). The generator is seeded; a disagreement prints the request."""
import json
import os
import random
import re
import subprocess

import harness
from harness import Client, free_port

SEED = 20261203
COUNT = 2500

HOSTS = ["shop.example", "api.shop.example", "a.wild.example", "b.wild.example", "other.example"]
SEGMENTS = ["api", "v1", "v2", "cart", "items", "Cart", "static", "img", "old", "admin", "x",
            "..", ".", "%2E%2E", "a%2Fb", "", "reviews", "42", "search"]
HEADERS = [("x-user", ["alice", "bob", "Alice", ""]), ("x-canary", ["1", "true", "0"]),
           ("x-version", ["v1", "v2", "v10"]), ("accept", ["text/html", "application/json"])]


def manifest(gw_port, up_port):
    services = ["cart", "items", "reviews", "static", "admin", "search", "wild", "fallback"]
    docs = [harness.gateway_yaml(gw_port)]
    for s in services:
        docs.append(f"""apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: {{name: {s}, namespace: istio-system}}
spec:
  hosts: [{s}.svc.local]
  ports: [{{number: 80, name: http, protocol: HTTP, targetPort: {up_port}}}]
  resolution: STATIC
  location: MESH_EXTERNAL
  endpoints: [{{address: 127.0.0.1}}]
""")

    def dest(s, subset_port=80):
        return f"{{destination: {{host: {s}.svc.local, port: {{number: {subset_port}}}}}}}"

    docs.append(f"""apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {{name: shop, namespace: istio-system}}
spec:
  hosts: [shop.example, api.shop.example]
  gateways: [gw]
  http:
  - name: cart-canary
    match: [{{uri: {{prefix: /api/v1/cart}}, headers: {{x-canary: {{exact: "1"}}}}}}]
    route: [{dest("cart")}]
    headers: {{request: {{set: {{x-route: canary}}}}}}
  - name: cart
    match: [{{uri: {{prefix: /api/v1/cart}}}}]
    rewrite: {{uri: /cart}}
    route: [{dest("cart")}]
  - name: items-exact
    match: [{{uri: {{exact: /api/v1/items}}}}]
    route: [{dest("items")}]
  - name: items-regex
    match: [{{uri: {{regex: "/api/v[0-9]+/items/[0-9]+"}}}}]
    rewrite: {{uri: /item, authority: items.internal}}
    route: [{dest("items")}]
  - name: user-alice
    match: [{{headers: {{x-user: {{exact: alice}}}}, uri: {{prefix: /api}}}}]
    route: [{dest("reviews")}]
  - name: user-prefix
    match: [{{headers: {{x-user: {{prefix: b}}}}}}]
    route: [{dest("search")}]
  - name: version-regex
    match: [{{headers: {{x-version: {{regex: "v[0-9]"}}}}}}]
    route: [{dest("reviews")}]
  - name: post-only
    match: [{{method: {{exact: POST}}, uri: {{prefix: /api}}}}]
    route: [{dest("admin")}]
  - name: query
    match: [{{queryParams: {{debug: {{exact: "1"}}}}}}]
    directResponse: {{status: 299, body: {{string: "debug"}}}}
  - name: static-ci
    match: [{{uri: {{prefix: /static/}}, ignoreUriCase: true}}]
    route: [{dest("static")}]
  - name: old
    match: [{{uri: {{prefix: /old}}}}]
    redirect: {{uri: /new, redirectCode: 302}}
  - name: old-host
    match: [{{uri: {{exact: /moved}}}}]
    redirect: {{authority: elsewhere.example}}
  - name: admin-blocked
    match: [{{uri: {{prefix: /admin}}}}]
    directResponse: {{status: 403}}
  - name: search
    match: [{{uri: {{regex: "/search(/.*)?"}}}}]
    rewrite: {{uriRegexRewrite: {{match: "^/search/?(.*)$", rewrite: "/q/\\\\1"}}}}
    route: [{dest("search")}]
  - name: shop-default
    route: [{dest("fallback")}]
""")
    docs.append(f"""apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {{name: wild, namespace: istio-system}}
spec:
  hosts: ["*.wild.example"]
  gateways: [gw]
  http:
  - name: wild-api
    match: [{{uri: {{prefix: /api/}}}}]
    rewrite: {{uri: /}}
    route: [{dest("wild")}]
  - name: wild-exact-root
    match: [{{uri: {{exact: /}}}}]
    directResponse: {{status: 200, body: {{string: "root"}}}}
""")
    return "---\n".join(docs)


def generate(rng, port):
    requests = []
    for _ in range(COUNT):
        host = rng.choice(HOSTS)
        authority = host if rng.random() < 0.7 else f"{host}:{port}"
        depth = rng.randint(0, 4)
        path = "/" + "/".join(rng.choice(SEGMENTS) for _ in range(depth))
        if rng.random() < 0.25:
            path += "?" + rng.choice(["debug=1", "debug=0", "a=b&debug=1", "q=x"])
        method = rng.choice(["GET", "GET", "GET", "POST", "PUT", "HEAD"])
        headers = {}
        for name, values in HEADERS:
            if rng.random() < 0.3:
                headers[name] = rng.choice(values)
        requests.append({"method": method, "authority": authority, "path": path,
                         "headers": headers})
    return requests


class Differential(harness.ProxyTest):
    def test_meshproxy_agrees_with_simulate(self):
        upstream = self.upstream("diff")
        port = free_port()
        bundle = self.compile(manifest(port, upstream.port))
        p = self.proxy(bundle)
        rng = random.Random(SEED)
        requests = generate(rng, port)

        # What the simulator says, from the same bundle.
        lines = []
        for r in requests:
            lines.append(json.dumps({"request": {"authority": r["authority"], "path": r["path"],
                                                 "method": r["method"], "port": port,
                                                 "headers": r["headers"]}}))
        req_file = os.path.join(self.workdir, "requests.jsonl")
        with open(req_file, "w") as f:
            f.write("\n".join(lines) + "\n")
        sim = subprocess.run([os.path.join(harness.BIN, "meshc"), "simulate", "--bundle", bundle,
                              "--requests", req_file, "-o", "jsonl"], capture_output=True,
                             text=True, timeout=300)
        self.assertEqual(sim.returncode, 0, sim.stderr[:2000])
        expected = [json.loads(line) for line in sim.stdout.splitlines()]
        self.assertEqual(len(expected), COUNT)

        # What meshproxy does: one keep-alive connection, requests in order.
        c = Client(port)
        got = []
        for r in requests:
            head = [f"{r['method']} {r['path']} HTTP/1.1", f"host: {r['authority']}"]
            head += [f"{k}: {v}" for k, v in r["headers"].items()]
            c.send(("\r\n".join(head) + "\r\n\r\n").encode())
            resp = c.read_response(head_request=r["method"] == "HEAD")
            got.append(resp)
        c.close()
        log = p.log_lines(COUNT, timeout=30)
        self.assertEqual(len(log), COUNT)

        mismatches = []
        outcomes = {}
        for i, (r, want, resp, line) in enumerate(zip(requests, expected, got, log)):
            fields = line.split(" ")
            route_name, cluster = fields[-1], fields[-6]
            outcome = want.get("outcome", "noRoute" if "route" not in want else "?")
            outcomes[outcome] = outcomes.get(outcome, 0) + 1
            problems = []
            if "route" in want:
                if route_name != want["route"]:
                    problems.append(f"route {route_name} != {want['route']}")
            elif resp.status != 404 or route_name != "-":
                problems.append(f"simulate: no route, proxy: {resp.status} {route_name}")
            if want.get("outcome") == "route":
                if cluster != want.get("cluster"):
                    problems.append(f"cluster {cluster} != {want.get('cluster')}")
                if resp.status != 200:
                    problems.append(f"status {resp.status}")
                elif r["method"] != "HEAD":
                    echoed = resp.json()
                    sent_path = want.get("rewrittenPath")
                    if sent_path is not None and echoed["path"] != sent_path:
                        problems.append(f"path {echoed['path']} != {sent_path}")
                    host = dict(echoed["headers"]).get("host")
                    if want.get("rewrittenAuthority") and host != want["rewrittenAuthority"]:
                        problems.append(f"authority {host} != {want['rewrittenAuthority']}")
            elif want.get("outcome") == "redirect":
                if resp.status != want["redirect"]["status"]:
                    problems.append(f"redirect status {resp.status}")
                if resp.header("location") != want["redirect"]["location"]:
                    problems.append(f"location {resp.header('location')} != "
                                    f"{want['redirect']['location']}")
            elif want.get("outcome") == "directResponse":
                d = want["directResponse"]
                if resp.status != d["status"]:
                    problems.append(f"direct status {resp.status} != {d['status']}")
                if r["method"] != "HEAD" and resp.body.decode() != d.get("body", ""):
                    problems.append(f"direct body {resp.body!r}")
            if problems:
                mismatches.append(f"#{i} {r}: {'; '.join(problems)}")
        # Every kind of outcome was exercised, so agreement means something.
        for kind in ("route", "redirect", "directResponse", "noRoute"):
            self.assertGreater(outcomes.get(kind, 0), 20, outcomes)
        self.assertFalse(mismatches, "\n".join(mismatches[:20]) +
                         f"\n{len(mismatches)} of {COUNT} disagree")


if __name__ == "__main__":
    harness.main()
