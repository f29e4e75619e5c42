#!/usr/bin/env python3
"""The HTTP filters Istio runs before the router, through the real proxy: fault injection
(PROXY-SEMANTICS §8: delay, abort, percentages, gRPC aborts, order) and CORS (§10: preflights
answered, forwarded or ignored, actual-request decoration), plus the gRPC form of local replies
(R3.20)."""
import time

import harness
from harness import Client, free_port, gateway_manifest, request

CORS = """    corsPolicy:
      allowOrigins: [{exact: "https://app.example"}, {regex: "https://[a-z]+[.]partner[.]example"}]
      allowMethods: [GET, POST]
      allowHeaders: [x-token]
      exposeHeaders: [x-trace]
      maxAge: 24h
      allowCredentials: true
"""

ROUTES = f"""  - name: abort-all
    match: [{{uri: {{prefix: /abort-all}}}}]
    fault: {{abort: {{httpStatus: 503, percentage: {{value: 100}}}}}}
    route: [{{destination: {{host: a.local, port: {{number: 80}}}}}}]
  - name: abort-none
    match: [{{uri: {{prefix: /abort-none}}}}]
    fault: {{abort: {{httpStatus: 503, percentage: {{value: 0}}}}}}
    route: [{{destination: {{host: a.local, port: {{number: 80}}}}}}]
  - name: abort-unset
    match: [{{uri: {{prefix: /abort-unset}}}}]
    fault: {{abort: {{httpStatus: 418}}, delay: {{fixedDelay: 5s}}}}
    route: [{{destination: {{host: a.local, port: {{number: 80}}}}}}]
  - name: abort-half
    match: [{{uri: {{prefix: /abort-half}}}}]
    fault: {{abort: {{httpStatus: 500, percentage: {{value: 50}}}}}}
    route: [{{destination: {{host: a.local, port: {{number: 80}}}}}}]
  - name: delay
    match: [{{uri: {{prefix: /delay-only}}}}]
    fault: {{delay: {{fixedDelay: 300ms, percentage: {{value: 100}}}}}}
    route: [{{destination: {{host: a.local, port: {{number: 80}}}}}}]
  - name: delay-abort
    match: [{{uri: {{prefix: /delay-abort}}}}]
    fault:
      delay: {{fixedDelay: 200ms, percentage: {{value: 100}}}}
      abort: {{httpStatus: 429, percentage: {{value: 100}}}}
    route: [{{destination: {{host: a.local, port: {{number: 80}}}}}}]
  - name: grpc-abort
    match: [{{uri: {{prefix: /grpc-abort}}}}]
    fault: {{abort: {{grpcStatus: UNAVAILABLE, percentage: {{value: 100}}}}}}
    route: [{{destination: {{host: a.local, port: {{number: 80}}}}}}]
  - name: denied
    match: [{{uri: {{prefix: /denied}}}}]
    directResponse: {{status: 403, body: {{string: "no entry"}}}}
  - name: cors-ignore
    match: [{{uri: {{prefix: /cors-ignore}}}}]
    corsPolicy:
      allowOrigins: [{{exact: "https://app.example"}}]
      allowMethods: ["*"]
      unmatchedPreflights: IGNORE
    route: [{{destination: {{host: a.local, port: {{number: 80}}}}}}]
  - name: cors-dead
    match: [{{uri: {{prefix: /cors-dead}}}}]
{CORS}    route: [{{destination: {{host: dead.local, port: {{number: 80}}}}}}]
  - name: cors-abort
    match: [{{uri: {{prefix: /cors-abort}}}}]
    fault: {{abort: {{httpStatus: 503, percentage: {{value: 100}}}}}}
{CORS}    route: [{{destination: {{host: a.local, port: {{number: 80}}}}}}]
  - name: cors
    match: [{{uri: {{prefix: /cors}}}}]
{CORS}    route: [{{destination: {{host: a.local, port: {{number: 80}}}}}}]
  - name: echo
    route: [{{destination: {{host: a.local, port: {{number: 80}}}}}}]
"""

GRPC = {"content-type": "application/grpc", "te": "trailers"}


class Filters(harness.ProxyTest):
    def setUp(self):
        super().setUp()
        self.a = self.upstream("a")
        self.port = free_port()
        dead = free_port()  # nothing listens there
        self.p = self.proxy(self.compile(gateway_manifest(self.port, {"a": self.a.port,
                                                                      "dead": dead}, ROUTES)))

    def upstream_requests(self):
        return self.p.metric("envoy_cluster_upstream_rq_total")

    # --- fault injection ---------------------------------------------------------------------

    def test_abort_always_never_and_without_percentage(self):
        # R8.5, R11.10: the configured status, Envoy's body, FI, no upstream contact.
        before = self.upstream_requests()
        r = request(self.port, path="/abort-all")
        self.assertEqual((r.status, r.body), (503, b"fault filter abort"))
        self.assertEqual(r.header("content-type"), "text/plain")
        self.assertEqual(r.header("content-length"), "18")
        self.assertIsNone(r.header("x-backend"))
        self.assertIn('"GET /abort-all HTTP/1.1" 503 FI fault_filter_abort ', self.p.log_lines(1)[-1])
        self.assertEqual(self.upstream_requests(), before)
        # R8.2: percentage 0, and a fault without percentage, never fire (the unset delay is 5 s:
        # an injected one would fail the time bound).
        c = Client(self.port)
        started = time.monotonic()
        for path in ["/abort-none"] * 40 + ["/abort-unset"] * 10:
            c.send(f"GET {path} HTTP/1.1\r\nhost: h\r\n\r\n".encode())
            resp = c.read_response()
            self.assertEqual(resp.status, 200, path)
            self.assertEqual(resp.header("x-backend"), "a")
        c.close()
        self.assertLess(time.monotonic() - started, 4.0)
        self.assertEqual(self.p.metric("envoy_http_fault_aborts_injected"), 1)
        self.assertEqual(self.p.metric("envoy_http_fault_delays_injected"), 0)

    def test_abort_fraction_is_a_fresh_draw_per_request(self):
        # R8.3: 50 % over 400 requests on one connection (not sticky per client). Binomial
        # sd = 10; the bound [140, 260] is ±6 sd (a false failure about once in 10^9 runs).
        c = Client(self.port)
        statuses = []
        for _ in range(400):
            c.send(b"GET /abort-half HTTP/1.1\r\nhost: h\r\n\r\n")
            statuses.append(c.read_response().status)
        c.close()
        aborted = statuses.count(500)
        self.assertEqual(aborted + statuses.count(200), 400)
        self.assertGreaterEqual(aborted, 140)
        self.assertLessEqual(aborted, 260)
        self.assertEqual(self.p.metric("envoy_http_fault_aborts_injected",
                                       http_conn_manager_prefix=f"0.0.0.0_{self.port}"), aborted)

    def test_delay_holds_the_request_and_is_not_upstream_time(self):
        # R8.6: DI, then the request proceeds; R6.2: the delay is not part of the upstream time.
        started = time.monotonic()
        r = request(self.port, path="/delay-only")
        elapsed = time.monotonic() - started
        self.assertEqual((r.status, r.header("x-backend")), (200, "a"))
        self.assertGreaterEqual(elapsed, 0.3)
        self.assertLess(elapsed, 3.0)
        self.assertLess(int(r.header("x-envoy-upstream-service-time")), 300)
        self.assertIn(" 200 DI via_upstream ", self.p.log_lines(1)[-1])
        self.assertEqual(self.p.metric("envoy_http_fault_delays_injected"), 1)

    def test_delay_then_abort(self):
        # R8.4: the abort draw happens after the delay; both flags, in the order set.
        started = time.monotonic()
        r = request(self.port, path="/delay-abort")
        self.assertGreaterEqual(time.monotonic() - started, 0.2)
        self.assertEqual((r.status, r.body), (429, b"fault filter abort"))
        self.assertIn(" 429 DI,FI fault_filter_abort ", self.p.log_lines(1)[-1])

    def test_grpc_abort(self):
        # R8.5: a gRPC request gets 200 with grpc-status and grpc-message, no body; a plain
        # request gets a plain 200 carrying the body.
        r = request(self.port, path="/grpc-abort", headers=GRPC)
        self.assertEqual((r.status, r.body), (200, b""))
        self.assertEqual(r.header("content-type"), "application/grpc")
        self.assertEqual(r.header("grpc-status"), "14")
        self.assertEqual(r.header("grpc-message"), "fault filter abort")
        self.assertEqual(r.header("content-length"), "0")
        plain = request(self.port, path="/grpc-abort")
        self.assertEqual((plain.status, plain.body), (200, b"fault filter abort"))
        self.assertIsNone(plain.header("grpc-status"))
        lines = self.p.log_lines(2)
        self.assertIn(" 200 FI fault_filter_abort ", lines[-2])
        self.assertIn(" 200 FI fault_filter_abort ", lines[-1])

    def test_grpc_requests_get_local_replies_in_grpc_form(self):
        # R3.20: any local reply to a gRPC request: 200, grpc-status mapped from the HTTP code,
        # grpc-message = the (percent-encoded) body.
        cases = [("/abort-all", "14", "fault filter abort"),  # 503
                 ("/denied", "7", "no entry"),                 # direct response 403
                 ("/cors-dead", "14", None)]                   # 503 UF, body checked below
        for path, grpc_status, message in cases:
            r = request(self.port, path=path, headers=GRPC)
            self.assertEqual((r.status, r.body), (200, b""), path)
            self.assertEqual(r.header("content-type"), "application/grpc", path)
            self.assertEqual(r.header("grpc-status"), grpc_status, path)
            if message is not None:
                self.assertEqual(r.header("grpc-message"), message, path)
            else:
                self.assertTrue(r.header("grpc-message").startswith(
                    "upstream connect error or disconnect/reset before headers. "), path)
        # Not gRPC: application/grpc-web keeps the plain answer.
        web = request(self.port, path="/denied", headers={"content-type": "application/grpc-web"})
        self.assertEqual((web.status, web.body), (403, b"no entry"))

    # --- CORS --------------------------------------------------------------------------------

    def preflight(self, path, origin, method="POST", extra=None):
        headers = {"origin": origin, "access-control-request-method": method}
        headers.update(extra or {})
        return request(self.port, method="OPTIONS", path=path, headers=headers)

    def cors_headers(self, r):
        return {k: v for k, v in r.headers if k.startswith("access-control-")}

    def test_allowed_preflight_is_answered_locally(self):
        # R10.3: 200, origin echoed, configured lists, max-age in seconds, credentials; no
        # expose-headers; empty body; never forwarded.
        before = self.upstream_requests()
        for origin in ["https://app.example", "https://www.partner.example"]:
            r = self.preflight("/cors/x", origin, extra={"access-control-request-headers": "x-a"})
            self.assertEqual((r.status, r.body), (200, b""), origin)
            self.assertEqual(self.cors_headers(r), {
                "access-control-allow-origin": origin,
                "access-control-allow-credentials": "true",
                "access-control-allow-methods": "GET,POST",
                "access-control-allow-headers": "x-token",
                "access-control-max-age": "86400"}, origin)
            self.assertEqual(r.header("content-length"), "0")
            self.assertIsNone(r.header("content-type"))
            self.assertIsNone(r.header("x-backend"))
            self.assertEqual(r.header("server"), "istio-envoy")
        self.assertEqual(self.upstream_requests(), before)
        self.assertIn('"OPTIONS /cors/x HTTP/1.1" 200 - cors_response ', self.p.log_lines(2)[-1])
        self.assertEqual(self.p.metric("envoy_http_cors_origin_valid"), 2)

    def test_unmatched_preflight_is_forwarded_by_default(self):
        # R10.3 FORWARD: a regex origin must match whole; the upstream answers, nothing added.
        r = self.preflight("/cors/x?respond-header=access-control-allow-origin:upstream",
                           "https://www.partner.example.evil")
        self.assertEqual((r.status, r.header("x-backend")), (200, "a"))
        self.assertEqual(r.json()["method"], "OPTIONS")
        self.assertEqual(self.cors_headers(r), {"access-control-allow-origin": "upstream"})
        self.assertEqual(self.p.metric("envoy_http_cors_origin_invalid"), 1)

    def test_unmatched_preflight_with_ignore_is_answered_without_origin(self):
        # R10.3 IGNORE: answered locally, the same headers minus allow-origin; a configured "*"
        # echoes the requested method.
        r = self.preflight("/cors-ignore", "https://other.example", method="PATCH")
        self.assertEqual((r.status, r.body), (200, b""))
        self.assertIsNone(r.header("x-backend"))
        self.assertEqual(self.cors_headers(r), {"access-control-allow-methods": "PATCH"})
        allowed = self.preflight("/cors-ignore", "https://app.example", method="PUT")
        self.assertEqual(self.cors_headers(allowed), {
            "access-control-allow-origin": "https://app.example",
            "access-control-allow-methods": "PUT"})

    def test_options_without_request_method_is_an_actual_request(self):
        # R10.3: no Access-Control-Request-Method → forwarded, then decorated (R10.4).
        r = request(self.port, method="OPTIONS", path="/cors/x",
                    headers={"origin": "https://app.example"})
        self.assertEqual((r.status, r.header("x-backend")), (200, "a"))
        self.assertEqual(r.header("access-control-allow-origin"), "https://app.example")

    def test_actual_request_decoration(self):
        # R10.4/R10.5: allowed origin → allow-origin (the origin, overwriting the upstream's
        # "*"), credentials, expose-headers; no Vary. Not allowed → the upstream's headers as
        # they were.
        path = "/cors/x?respond-header=access-control-allow-origin:*"
        r = request(self.port, path=path, headers={"origin": "https://app.example"})
        self.assertEqual((r.status, r.header("x-backend")), (200, "a"))
        self.assertEqual(self.cors_headers(r), {
            "access-control-allow-origin": "https://app.example",
            "access-control-allow-credentials": "true",
            "access-control-expose-headers": "x-trace"})
        self.assertEqual(r.header_all("access-control-allow-origin"), ["https://app.example"])
        self.assertIsNone(r.header("vary"))
        # The origin reaches the upstream untouched.
        self.assertIn(["origin", "https://app.example"], r.json()["headers"])
        other = request(self.port, path=path, headers={"origin": "https://evil.example"})
        self.assertEqual(self.cors_headers(other), {"access-control-allow-origin": "*"})
        plain = request(self.port, path="/cors/x")
        self.assertEqual(self.cors_headers(plain), {})

    def test_router_local_replies_are_decorated_but_fault_aborts_are_not(self):
        # R10.4: a 503 from the router (connect failure) gets the CORS headers; R8.7: the fault
        # filter answers before CORS sees the request.
        r = request(self.port, path="/cors-dead", headers={"origin": "https://app.example"})
        self.assertEqual(r.status, 503)
        self.assertEqual(r.header("access-control-allow-origin"), "https://app.example")
        self.assertEqual(r.header("access-control-expose-headers"), "x-trace")
        self.assertIn(" 503 URX,UF ", self.p.log_lines(1)[-1])  # Istio's default retries (R7.1)
        aborted = request(self.port, path="/cors-abort", headers={"origin": "https://app.example"})
        self.assertEqual((aborted.status, aborted.body), (503, b"fault filter abort"))
        self.assertEqual(self.cors_headers(aborted), {})
        preflight = self.preflight("/cors-abort", "https://app.example")
        self.assertEqual((preflight.status, preflight.body), (503, b"fault filter abort"))


if __name__ == "__main__":
    harness.main()
