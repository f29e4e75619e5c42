#!/usr/bin/env python3
"""Weighted destinations, subsets and load balancing through the real proxy, with statistical
bounds stated in each test (PROXY-SEMANTICS §4, §5)."""
import re
import threading

import harness
from harness import Client, free_port



def service_entry(name, backends, labels=None):
    """One ServiceEntry `name.local` port 80 whose endpoints are the echo servers `backends`."""
    eps = []
    for i, b in enumerate(backends):
        extra = f", labels: {{version: {labels[i]}}}" if labels else ""
        eps.append(f"{{address: 127.0.0.1, ports: {{http: {b.port}}}{extra}}}")
    return f"""apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: {{name: {name}, namespace: istio-system}}
spec:
  hosts: [{name}.local]
  ports: [{{number: 80, name: http, protocol: HTTP}}]
  resolution: STATIC
  location: MESH_EXTERNAL
  endpoints: [{", ".join(eps)}]
"""


def virtual_service(http):
    return f"""apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {{name: vs, namespace: istio-system}}
spec:
  hosts: ["*"]
  gateways: [gw]
  http:
{http}
"""


def destination_rule(host, policy, subsets=""):
    return f"""apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {{name: dr-{host.split('.')[0]}, namespace: istio-system}}
spec:
  host: {host}
  trafficPolicy:
    loadBalancer: {policy}
{subsets}
"""


def backends_of(port, count, path="/", headers=None, threads=1):
    """Sends `count` requests (keep-alive, `threads` connections) and returns the x-backend of
    each answer, per thread in order."""
    results = [[] for _ in range(threads)]
    extra = "".join(f"{k}: {v}\r\n" for k, v in (headers or {}).items())
    raw = f"GET {path} HTTP/1.1\r\nhost: h\r\n{extra}\r\n".encode()

    def run(slot, n):
        c = Client(port)
        for _ in range(n):
            c.send(raw)
            r = c.read_response()
            results[slot].append(r.header("x-backend") if r.status == 200 else r.status)
        c.close()

    workers = [threading.Thread(target=run, args=(i, count // threads + (i < count % threads)))
               for i in range(threads)]
    for w in workers:
        w.start()
    for w in workers:
        w.join(timeout=300)
    return results


class Balancing(harness.ProxyTest):
    def start(self, docs, workers=1):
        self.port = free_port()
        manifest = "---\n".join([harness.gateway_yaml(self.port), *docs])
        return self.proxy(self.compile(manifest), workers=workers)

    def test_weights_90_10_chi_square(self):
        # R4.2: each request picks a destination with probability weight/total. Over 10,000
        # requests the counts must pass a chi-square test with 1 degree of freedom at
        # p = 0.001 (statistic < 10.83): a correct proxy fails this 1 run in 1000.
        a, b = self.upstream("a"), self.upstream("b")
        self.start([service_entry("a", [a]), service_entry("b", [b]), virtual_service(
            """  - route:
    - {destination: {host: a.local, port: {number: 80}}, weight: 90}
    - {destination: {host: b.local, port: {number: 80}}, weight: 10}""")])
        seen = sum(backends_of(self.port, 10000, threads=4), [])
        n_a, n_b = seen.count("a"), seen.count("b")
        self.assertEqual(n_a + n_b, 10000, set(seen))
        chi2 = (n_a - 9000) ** 2 / 9000 + (n_b - 1000) ** 2 / 1000
        self.assertLess(chi2, 10.83, f"a={n_a} b={n_b}")

    def test_round_robin_exact_rotation(self):
        # R5.2: ROUND_ROBIN with equal weights visits the hosts in a fixed cycle: with one
        # worker and one client, every window of 3 consecutive answers holds each host once.
        ups = [self.upstream(n) for n in ("r1", "r2", "r3")]
        self.start([service_entry("rr", ups), destination_rule("rr.local", "{simple: ROUND_ROBIN}"),
                    virtual_service("  - route: [{destination: {host: rr.local, port: {number: 80}}}]")])
        seq = backends_of(self.port, 30)[0]
        for i in range(len(seq) - 2):
            self.assertEqual(sorted(seq[i:i + 3]), ["r1", "r2", "r3"], seq)

    def test_default_policy_spreads(self):
        # R5.1: with no DestinationRule Istio's default (LEAST_REQUEST) applies; sequential
        # requests (no load) are spread over all hosts: each of 3 hosts gets at least 20% of
        # 600 requests (each share is Binomial(600, 1/3); 20% is > 6 standard deviations off).
        ups = [self.upstream(n) for n in ("d1", "d2", "d3")]
        self.start([service_entry("d", ups),
                    virtual_service("  - route: [{destination: {host: d.local, port: {number: 80}}}]")])
        seq = backends_of(self.port, 600)[0]
        for name in ("d1", "d2", "d3"):
            self.assertGreater(seq.count(name), 120, {n: seq.count(n) for n in set(seq)})

    def test_consistent_hash_header_is_sticky(self):
        # R5.5: RING_HASH on a header: the same value always reaches the same host; 40 distinct
        # values use more than one host (all on one host: probability 3 * (1/3)^40).
        ups = [self.upstream(n) for n in ("h1", "h2", "h3")]
        self.start([service_entry("h", ups),
                    destination_rule("h.local", "{consistentHash: {httpHeaderName: x-user}}"),
                    virtual_service("  - route: [{destination: {host: h.local, port: {number: 80}}}]")],
                   workers=2)
        chosen = {}
        for i in range(40):
            got = set(sum(backends_of(self.port, 10, headers={"x-user": f"user{i}"}, threads=2), []))
            self.assertEqual(len(got), 1, f"user{i} spread over {got}")
            chosen[f"user{i}"] = got.pop()
        self.assertGreater(len(set(chosen.values())), 1)

    def test_consistent_hash_cookie_generated(self):
        # R5.5: httpCookie with a ttl: a request without the cookie gets `set-cookie` with
        # Max-Age and HttpOnly; sending it back sticks to one host.
        ups = [self.upstream(n) for n in ("c1", "c2", "c3")]
        self.start([service_entry("c", ups),
                    destination_rule("c.local", "{consistentHash: {httpCookie: {name: sticky, "
                                                "ttl: 30s, path: /app}}}"),
                    virtual_service("  - route: [{destination: {host: c.local, port: {number: 80}}}]")])
        c = Client(self.port)
        c.send(b"GET /app HTTP/1.1\r\nhost: h\r\n\r\n")
        r = c.read_response()
        cookie = r.header("set-cookie")
        self.assertIsNotNone(cookie, r.headers)
        m = re.fullmatch(r'sticky="([^"]+)"; Max-Age=30; Path=/app; HttpOnly', cookie)
        self.assertIsNotNone(m, cookie)
        first = r.header("x-backend")
        for _ in range(20):
            c.send(f'GET /app HTTP/1.1\r\nhost: h\r\ncookie: sticky="{m.group(1)}"\r\n\r\n'.encode())
            r = c.read_response()
            self.assertEqual(r.header("x-backend"), first)
            self.assertIsNone(r.header("set-cookie"))
        c.close()

    def test_subset_routes_to_labelled_endpoints(self):
        # R4.5: a subset cluster holds only the endpoints whose labels match the subset's.
        v1, v2a, v2b = self.upstream("v1"), self.upstream("v2a"), self.upstream("v2b")
        subsets = """  subsets:
  - {name: one, labels: {version: v1}}
  - {name: two, labels: {version: v2}}"""
        self.start([service_entry("s", [v1, v2a, v2b], labels=["v1", "v2", "v2"]),
                    destination_rule("s.local", "{simple: ROUND_ROBIN}", subsets),
                    virtual_service("""  - match: [{uri: {prefix: /one}}]
    route: [{destination: {host: s.local, port: {number: 80}, subset: one}}]
  - route: [{destination: {host: s.local, port: {number: 80}, subset: two}}]""")])
        self.assertEqual(set(backends_of(self.port, 20, path="/one")[0]), {"v1"})
        self.assertEqual(set(backends_of(self.port, 20, path="/two")[0]), {"v2a", "v2b"})


if __name__ == "__main__":
    harness.main()
