#!/usr/bin/env python3
"""Route actions through the real proxy (PROXY-SEMANTICS §3): header operations at route and
destination level in Envoy's order, %COMMAND% values, prefix/regex/authority rewrites with
their bookkeeping headers, redirects, and paths Envoy refuses to normalise."""
import harness
from harness import Client, free_port, gateway_manifest, request

ROUTES = """  - name: headers
    match: [{uri: {prefix: /headers}}]
    headers:
      request:
        set: {x-set: route, x-client: "%DOWNSTREAM_REMOTE_ADDRESS_WITHOUT_PORT%"}
        add: {x-added: one}
        remove: [x-secret]
      response:
        set: {x-resp: route}
        remove: [x-backend]
    route:
    - destination: {host: a.local, port: {number: 80}}
      headers:
        request: {set: {x-dest: a, x-set: destination}}
        response: {add: {x-dest-resp: a}}
  - name: rewrite
    match: [{uri: {prefix: /old/}}]
    rewrite: {uri: /new/, authority: internal.example}
    route: [{destination: {host: a.local, port: {number: 80}}}]
  - name: regex
    match: [{uri: {regex: "/users/[0-9]+/profile"}}]
    rewrite: {uriRegexRewrite: {match: "^/users/([0-9]+)/profile$", rewrite: "/profile?id=\\\\1"}}
    route: [{destination: {host: a.local, port: {number: 80}}}]
  - name: moved
    match: [{uri: {prefix: /moved}}]
    redirect: {scheme: https, authority: new.example, port: 8443, redirectCode: 308}
  - name: timed
    match: [{uri: {prefix: /timed}}]
    timeout: 3s
    route: [{destination: {host: a.local, port: {number: 80}}}]
  - name: per-try
    match: [{uri: {prefix: /per-try}}]
    timeout: 3s
    retries: {attempts: 2, perTryTimeout: 1s}
    route: [{destination: {host: a.local, port: {number: 80}}}]
  - name: echo
    route: [{destination: {host: a.local, port: {number: 80}}}]
"""


class RouteActions(harness.ProxyTest):
    def setUp(self):
        super().setUp()
        self.a = self.upstream("a")
        self.port = free_port()
        self.p = self.proxy(self.compile(gateway_manifest(self.port, {"a": self.a.port}, ROUTES)))

    def test_header_operations_order_and_levels(self):
        # R3.4: a single destination's ops join the route's lists (route entries first), so for
        # the same `set` key the destination's value wins (R3.5); remove, then set, then add;
        # R3.8 substitution; R3.9 response ops.
        r = request(self.port, path="/headers", headers={"x-secret": "s", "x-added": "zero",
                                                          "x-set": "client"})
        seen = r.json()["headers"]
        values = lambda name: [v for k, v in seen if k == name]
        self.assertEqual(values("x-secret"), [])
        self.assertEqual(values("x-set"), ["destination"])
        self.assertEqual(values("x-dest"), ["a"])
        self.assertEqual(values("x-added"), ["zero", "one"])
        self.assertEqual(values("x-client"), ["127.0.0.1"])
        self.assertEqual(r.header("x-resp"), "route")
        self.assertEqual(r.header("x-dest-resp"), "a")
        self.assertIsNone(r.header("x-backend"))  # removed from the response (R3.9)

    def test_prefix_and_authority_rewrite(self):
        # R3.12, R3.11, R2.15; R11.20: the access log shows the original path.
        r = request(self.port, path="/old/thing?q=1", host="shop.example")
        seen = dict(r.json()["headers"])
        self.assertEqual(r.json()["path"], "/new/thing?q=1")
        self.assertEqual(seen["host"], "internal.example")
        self.assertEqual(seen["x-envoy-original-path"], "/old/thing?q=1")
        self.assertEqual(seen["x-envoy-original-host"], "shop.example")
        line = self.p.log_lines(1)[-1]
        self.assertIn('"GET /old/thing?q=1 HTTP/1.1"', line)
        self.assertIn('"internal.example"', line)

    def test_regex_rewrite(self):
        # R3.13: RE2 substitution over the path; the query of the request is kept apart.
        r = request(self.port, path="/users/42/profile")
        self.assertEqual(r.json()["path"], "/profile?id=42")

    def test_redirect_with_scheme_authority_port_and_code(self):
        # R3.15/R3.16: configured scheme, authority and port; 308; path and query kept.
        r = request(self.port, path="/moved/x?y=1", host=f"shop.example:{self.port}")
        self.assertEqual(r.status, 308)
        self.assertEqual(r.header("location"), "https://new.example:8443/moved/x?y=1")

    def test_expected_timeout_header(self):
        # R2.10: the per-try timeout when set and shorter, else the route timeout; absent with
        # Istio's default (no timeout). R2.9: x-envoy-attempt-count 1 on the first try.
        def sent(path):
            return dict(request(self.port, path=path).json()["headers"])
        self.assertEqual(sent("/timed")["x-envoy-expected-rq-timeout-ms"], "3000")
        self.assertEqual(sent("/per-try")["x-envoy-expected-rq-timeout-ms"], "1000")
        plain = sent("/plain")
        self.assertNotIn("x-envoy-expected-rq-timeout-ms", plain)
        self.assertEqual(plain["x-envoy-attempt-count"], "1")

    def test_unnormalisable_path_is_400(self):
        # R1.13: a NUL in the path fails canonicalisation: 400 path_normalization_failed.
        c = Client(self.port)
        c.send(b"GET /a/%00/b HTTP/1.1\r\nhost: h\r\n\r\n")
        r = c.read_response()
        self.assertEqual(r.status, 400)
        c.close()
        harness.wait_until(lambda: any(" 400 " in l and "path_normalization_failed" in l
                                       for l in self.p.log_lines(1)), what="the 400 logged")


if __name__ == "__main__":
    harness.main()
