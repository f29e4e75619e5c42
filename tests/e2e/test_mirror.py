#!/usr/bin/env python3
"""Request mirroring through the real proxy (PROXY-SEMANTICS §9): the copy's headers, body and
host, its percentage, several mirrors, fire and forget (the client's answer and latency never
depend on the mirror), no mirror when the primary is not forwarded, no retry of the copy."""
import json
import time
import urllib.request

import harness
from harness import Client, free_port, gateway_manifest, request

A = "{destination: {host: a.local, port: {number: 80}}}"
ROUTES = f"""  - name: mirrored
    match: [{{uri: {{prefix: /m/}}}}]
    rewrite: {{uri: /}}
    route: [{A}]
    mirror: {{host: b.local, port: {{number: 80}}}}
  - name: half
    match: [{{uri: {{prefix: /half/}}}}]
    rewrite: {{uri: /}}
    route: [{A}]
    mirror: {{host: b.local, port: {{number: 80}}}}
    mirrorPercentage: {{value: 50}}
  - name: zero
    match: [{{uri: {{prefix: /zero/}}}}]
    rewrite: {{uri: /}}
    route: [{A}]
    mirror: {{host: b.local, port: {{number: 80}}}}
    mirrorPercentage: {{value: 0}}
  - name: two
    match: [{{uri: {{prefix: /two/}}}}]
    rewrite: {{uri: /}}
    route: [{A}]
    mirrors:
    - destination: {{host: b.local, port: {{number: 80}}}}
    - destination: {{host: c.local, port: {{number: 80}}}}
      percentage: {{value: 100}}
  - name: to-slow
    match: [{{uri: {{prefix: /slow-mirror/}}}}]
    rewrite: {{uri: /}}
    route: [{A}]
    mirror: {{host: slow.local, port: {{number: 80}}}}
  - name: to-dead
    match: [{{uri: {{prefix: /dead-mirror/}}}}]
    rewrite: {{uri: /}}
    route: [{A}]
    mirror: {{host: dead.local, port: {{number: 80}}}}
  - name: aborted
    match: [{{uri: {{prefix: /aborted/}}}}]
    rewrite: {{uri: /}}
    fault: {{abort: {{httpStatus: 503, percentage: {{value: 100}}}}}}
    route: [{A}]
    mirror: {{host: b.local, port: {{number: 80}}}}
  - name: retried
    match: [{{uri: {{prefix: /retried/}}}}]
    rewrite: {{uri: /}}
    retries: {{attempts: 2, retryOn: 5xx}}
    route: [{A}]
    mirror: {{host: b.local, port: {{number: 80}}}}
"""


class Mirror(harness.ProxyTest):
    def setUp(self):
        super().setUp()
        self.a = self.upstream("a")
        self.b = self.upstream("b")
        self.c = self.upstream("c")
        self.slow = self.upstream("slow", args=["--delay-ms", "1500"])
        self.port = free_port()
        self.p = self.proxy(self.compile(gateway_manifest(
            self.port, {"a": self.a.port, "b": self.b.port, "c": self.c.port,
                        "slow": self.slow.port, "dead": free_port()}, ROUTES)))
        self.keys = 0

    def key(self):
        self.keys += 1
        return f"m{self.keys}"

    def seen(self, upstream, key):
        with urllib.request.urlopen(f"http://127.0.0.1:{upstream.port}/count/{key}",
                                    timeout=5) as r:
            return json.loads(r.read())

    def mirrored_total(self, name):
        return self.p.metric("envoy_cluster_upstream_rq_total",
                             cluster_name=f"outbound|80||{name}.local")

    def test_the_copy(self):
        # R9.4: the primary's headers as routed (x-envoy-attempt-count 1, XFF, request id),
        # plus x-envoy-internal: true and the proxy's address appended to x-forwarded-for;
        # R9.3 (Istio ≥ 1.28): the same Host, no -shadow suffix.
        key = self.key()
        r = request(self.port, path=f"/m/flaky/{key}/0/200", headers={"x-test": "yes"},
                    host="shop.example")
        self.assertEqual((r.status, r.header("x-backend")), (200, "a"))
        harness.wait_until(lambda: self.seen(self.b, key)["count"] == 1, what="the mirror")
        primary = dict(self.seen(self.a, key)["headers"])
        copy = dict(self.seen(self.b, key)["headers"])
        self.assertEqual(copy["host"], "shop.example")
        self.assertEqual(copy["x-envoy-internal"], "true")
        self.assertEqual(copy["x-forwarded-for"], primary["x-forwarded-for"] + ",10.0.0.1")
        self.assertEqual(copy["x-envoy-attempt-count"], "1")
        expected = dict(primary)
        expected["x-envoy-internal"] = "true"
        expected["x-forwarded-for"] = copy["x-forwarded-for"]
        self.assertEqual(copy, expected)

    def test_bodies_are_mirrored(self):
        # R9.5: the body goes to the mirror too, content-length and chunked.
        body = bytes(range(256)) * 40
        key = self.key()
        r = request(self.port, method="POST", path=f"/m/flaky/{key}/0/200", body=body)
        self.assertEqual(r.status, 200)
        harness.wait_until(lambda: self.seen(self.b, key)["body_sizes"] == [len(body)],
                           what="the mirrored body")
        key = self.key()
        c = Client(self.port)
        c.send(f"POST /m/flaky/{key}/0/200 HTTP/1.1\r\nhost: h\r\n"
               "transfer-encoding: chunked\r\n\r\n".encode())
        for piece in [b"p" * 700, b"q" * 2000]:
            c.send(b"%x\r\n%s\r\n" % (len(piece), piece))
            time.sleep(0.05)
        c.send(b"0\r\n\r\n")
        self.assertEqual(c.read_response().status, 200)
        c.close()
        harness.wait_until(lambda: self.seen(self.b, key)["body_sizes"] == [2700],
                           what="the mirrored chunked body")
        self.assertEqual(self.seen(self.a, key)["body_sizes"], [2700])

    def test_fire_and_forget(self):
        # R9.5: a slow or dead mirror changes nothing for the client.
        started = time.monotonic()
        r = request(self.port, path="/slow-mirror/x")
        self.assertEqual((r.status, r.header("x-backend")), (200, "a"))
        self.assertLess(time.monotonic() - started, 1.0)  # the mirror takes 1.5 s
        r = request(self.port, path="/dead-mirror/x")
        self.assertEqual((r.status, r.header("x-backend")), (200, "a"))
        lines = self.p.log_lines(2)
        self.assertIn(" 200 - via_upstream ", lines[-1])
        harness.wait_until(lambda: self.p.metric("envoy_cluster_upstream_cx_connect_fail",
                                                 cluster_name="outbound|80||dead.local") == 1,
                           what="the dead mirror's connect failure")
        # Not retried: one connect attempt, whatever the default policy says for the primary.
        time.sleep(0.3)
        self.assertEqual(self.p.metric("envoy_cluster_upstream_cx_connect_fail",
                                       cluster_name="outbound|80||dead.local"), 1)

    def test_percentages(self):
        # R9.1: value 0 → no mirror at all; R9.2: 50 % is a fresh draw per request. 400
        # requests: binomial sd 10, bound ±6 sd.
        c = Client(self.port)
        for _ in range(20):
            c.send(b"GET /zero/flaky/z/0/200 HTTP/1.1\r\nhost: h\r\n\r\n")
            self.assertEqual(c.read_response().status, 200)
        for _ in range(400):
            c.send(b"GET /half/flaky/h/0/200 HTTP/1.1\r\nhost: h\r\n\r\n")
            self.assertEqual(c.read_response().status, 200)
        c.close()
        started = self.mirrored_total("b")
        self.assertGreaterEqual(started, 140)
        self.assertLessEqual(started, 260)
        harness.wait_until(lambda: self.seen(self.b, "h")["count"] == started,
                           what="every started mirror to arrive")
        self.assertEqual(self.seen(self.b, "z")["count"], 0)

    def test_several_mirrors(self):
        # R9.1: each `mirrors` entry is its own policy (percentage absent → 100 %).
        key = self.key()
        self.assertEqual(request(self.port, path=f"/two/flaky/{key}/0/200").status, 200)
        harness.wait_until(lambda: (self.seen(self.b, key)["count"],
                                    self.seen(self.c, key)["count"]) == (1, 1),
                           what="both mirrors")

    def test_no_mirror_when_not_forwarded_and_no_retry_of_the_copy(self):
        # R9.6: a fault abort answers before the router: nothing is mirrored. R9.4: the primary
        # is retried (5xx), the copy is sent once.
        key = self.key()
        self.assertEqual(request(self.port, path=f"/aborted/flaky/{key}/0/200").status, 503)
        key2 = self.key()
        r = request(self.port, path=f"/retried/flaky/{key2}/1/503")
        self.assertEqual(r.status, 200)
        self.assertEqual(self.seen(self.a, key2)["count"], 2)
        harness.wait_until(lambda: self.seen(self.b, key2)["count"] == 1, what="the mirror")
        time.sleep(0.2)
        self.assertEqual(self.seen(self.b, key2)["count"], 1)
        self.assertEqual(self.seen(self.b, key)["count"], 0)


if __name__ == "__main__":
    harness.main()
