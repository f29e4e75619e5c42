#!/usr/bin/env python3
"""meshproxy as an Istio ingress gateway: forwarding, the headers Envoy adds and strips, local
replies (404, redirects, direct responses, 503s) with Envoy's bodies and flags, the access log
and the admin endpoints. Rule numbers refer to ../shared/reference/PROXY-SEMANTICS.md."""
import os
import re
import time
import uuid

import harness
from harness import Client, free_port, gateway_manifest, request

ROUTES = """  - name: redirect
    match: [{uri: {prefix: /old}}]
    redirect: {uri: /new}
  - name: fixed
    match: [{uri: {prefix: /fixed}}]
    directResponse: {status: 503, body: {string: "maintenance\\n"}}
  - name: empty-direct
    match: [{uri: {prefix: /nobody}}]
    directResponse: {status: 204}
  - name: dead
    match: [{uri: {prefix: /dead}}]
    route: [{destination: {host: dead.local, port: {number: 80}}}]
  - name: nohosts
    match: [{uri: {prefix: /nohosts}}]
    route: [{destination: {host: nohosts.local, port: {number: 80}}}]
  - name: only-exact
    match: [{uri: {exact: /exact}}]
    route: [{destination: {host: a.local, port: {number: 80}}}]
  - name: echo
    match: [{uri: {prefix: /}}, {uri: {prefix: /x}}]
    route: [{destination: {host: a.local, port: {number: 80}}}]
"""

NOHOSTS = """apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: {name: nohosts, namespace: istio-system}
spec:
  hosts: [nohosts.local]
  ports: [{number: 80, name: http, protocol: HTTP}]
  resolution: STATIC
  location: MESH_EXTERNAL
"""

LOG_RE = re.compile(
    r'^\[(?P<start>\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z)\] '
    r'"(?P<method>\S+) (?P<path>\S+) (?P<protocol>\S+)" (?P<code>\d+) (?P<flags>\S+) '
    r'(?P<details>\S+) (?P<term>\S+) "(?P<tfr>[^"]*)" (?P<rx>\d+) (?P<tx>\d+) (?P<duration>\d+) '
    r'(?P<ust>\S+) "(?P<xff>[^"]*)" "(?P<ua>[^"]*)" "(?P<rid>[^"]*)" "(?P<authority>[^"]*)" '
    r'"(?P<uhost>[^"]*)" (?P<cluster>\S+) (?P<ulocal>\S+) (?P<dlocal>\S+) (?P<dremote>\S+) '
    r'(?P<sni>\S+) (?P<route>\S+)$')


class GatewayBasics(harness.ProxyTest):
    def setUp(self):
        super().setUp()
        self.a = self.upstream("a")
        self.port = free_port()
        dead_port = free_port()  # nothing listens there: connect is refused
        manifest = gateway_manifest(self.port, {"a": self.a.port, "dead": dead_port}, ROUTES,
                                    extra=NOHOSTS)
        self.p = self.proxy(self.compile(manifest))

    def test_forwards_with_envoy_headers(self):
        # R2.4 (XFF appended with a bare comma; loopback peer → the proxy's own address),
        # R2.6/R2.4 (x-forwarded-proto overwritten with http), R2.8 (x-request-id replaced on a
        # gateway), R2.9 (x-envoy-attempt-count: 1), R2.2 (client x-envoy-* control headers
        # dropped), R2.1 (hop-by-hop removed), R2.11 (x-envoy-upstream-service-time), R1.21.
        r = request(self.port, path="/hello?q=1", headers={
            "x-forwarded-for": "1.2.3.4", "x-forwarded-proto": "https",
            "x-request-id": "client-chosen", "x-envoy-max-retries": "7",
            "x-envoy-upstream-rq-timeout-ms": "1", "keep-alive": "timeout=5",
            "proxy-connection": "keep-alive", "x-envoy-original-path": "/forged",
            "te": "gzip, trailers", "user-agent": "e2e"})
        self.assertEqual(r.status, 200, r)
        seen = dict(r.json()["headers"])
        self.assertEqual(r.json()["path"], "/hello?q=1")
        xff = seen["x-forwarded-for"].split(",")
        self.assertEqual(len(xff), 2)
        self.assertEqual(xff[0], "1.2.3.4")
        self.assertNotIn(" ", seen["x-forwarded-for"])
        self.assertEqual(seen["x-forwarded-proto"], "http")
        self.assertNotEqual(seen["x-request-id"], "client-chosen")
        self.assertEqual(uuid.UUID(seen["x-request-id"]).version, 4)
        self.assertEqual(seen["x-envoy-attempt-count"], "1")
        self.assertEqual(seen["te"], "trailers")
        for gone in ("x-envoy-max-retries", "x-envoy-upstream-rq-timeout-ms", "keep-alive",
                     "proxy-connection", "x-envoy-original-path", "connection"):
            self.assertNotIn(gone, seen)
        self.assertEqual(seen["user-agent"], "e2e")
        self.assertEqual(seen["host"], "example.com")
        self.assertEqual(r.header("server"), "istio-envoy")  # R1.21: gateway server name
        self.assertRegex(r.header("date"), r"^\w{3}, \d\d \w{3} \d{4} \d\d:\d\d:\d\d GMT$")
        self.assertRegex(r.header("x-envoy-upstream-service-time"), r"^\d+$")
        self.assertEqual(r.header("x-backend"), "a")
        self.assertIsNone(r.header("x-request-id"))  # R2.8: not echoed

    def test_no_route_is_404_nr(self):
        # R11.1: exact match misses → no route: 404, empty body, content-length 0 (R1.20).
        r = request(self.port, path="/exact/more")
        self.assertEqual(r.status, 200)  # the prefix route "/" catches it
        self.assertEqual(request(self.port, path="/exact").json()["path"], "/exact")
        manifest_port = free_port()
        only = gateway_manifest(manifest_port, {"a": self.a.port}, """  - name: only
    match: [{uri: {exact: /only}}]
    route: [{destination: {host: a.local, port: {number: 80}}}]
""")
        p2 = self.proxy(self.compile(only, name="only.mcb"))
        r = request(manifest_port, path="/other")
        self.assertEqual(r.status, 404)
        self.assertEqual(r.body, b"")
        self.assertEqual(r.header("content-length"), "0")
        self.assertIsNone(r.header("content-type"))
        line = LOG_RE.match(p2.log_lines(1)[-1])
        self.assertEqual((line["code"], line["flags"], line["details"], line["route"],
                          line["cluster"], line["uhost"]), ("404", "NR", "route_not_found", "-",
                                                            "-", "-"))

    def test_redirect_keeps_host_and_port(self):
        # R3.15/R11.11: a uri-only redirect keeps scheme and the Host as sent (port included),
        # 301 by default, no body.
        r = request(self.port, path="/old/thing?x=1", host=f"shop.example:{self.port}")
        self.assertEqual(r.status, 301)
        self.assertEqual(r.header("location"), f"http://shop.example:{self.port}/new?x=1")
        self.assertEqual(r.body, b"")
        self.assertEqual(r.header("content-length"), "0")

    def test_direct_response(self):
        # R3.19/R11.11: configured status and body, text/plain, flags "-", details direct_response.
        r = request(self.port, path="/fixed")
        self.assertEqual((r.status, r.body), (503, b"maintenance\n"))
        self.assertEqual(r.header("content-type"), "text/plain")
        self.assertEqual(r.header("content-length"), str(len(b"maintenance\n")))
        r = request(self.port, path="/nobody")
        self.assertEqual((r.status, r.body), (204, b""))
        lines = self.p.log_lines(2)
        first = LOG_RE.match(lines[0])
        self.assertEqual((first["code"], first["flags"], first["details"], first["route"]),
                         ("503", "-", "direct_response", "fixed"))

    def test_connect_refused_is_503_uf(self):
        # R11.4: connection refused → 503 UF with Envoy's body; Istio's default retry policy
        # (R7.1: connect-failure, 2 retries) tries twice more first, so the body says "retried"
        # and the flags are URX,UF (R7.11).
        r = request(self.port, path="/dead")
        self.assertEqual(r.status, 503)
        self.assertEqual(r.body.decode(),
                         "upstream connect error or disconnect/reset before headers. retried and "
                         "the latest reset reason: remote connection failure, transport failure "
                         "reason: delayed connect error: Connection refused")
        self.assertEqual(r.header("content-type"), "text/plain")
        line = LOG_RE.match(self.p.log_lines(1)[-1])
        self.assertEqual(line["flags"], "URX,UF")
        self.assertEqual(line["cluster"], "outbound|80||dead.local")

    def test_no_endpoints_is_503_uh(self):
        # R11.3: a cluster with no endpoints → 503 "no healthy upstream", flag UH.
        r = request(self.port, path="/nohosts")
        self.assertEqual((r.status, r.body), (503, b"no healthy upstream"))
        line = LOG_RE.match(self.p.log_lines(1)[-1])
        self.assertEqual((line["flags"], line["details"]), ("UH", "no_healthy_upstream"))

    def test_access_log_line(self):
        # R11.19/R11.20: Istio's default text format, field by field.
        body = b"x" * 123
        r = request(self.port, method="POST", path="/echo?z=9", body=body,
                    headers={"user-agent": "ua-test", "x-forwarded-for": "9.9.9.9"})
        self.assertEqual(r.status, 200)
        m = LOG_RE.match(self.p.log_lines(1)[-1])
        self.assertIsNotNone(m, self.p.log_lines(1)[-1])
        sent_rid = dict(r.json()["headers"])["x-request-id"]
        self.assertEqual(m["method"], "POST")
        self.assertEqual(m["path"], "/echo?z=9")
        self.assertEqual(m["protocol"], "HTTP/1.1")
        self.assertEqual((m["code"], m["flags"], m["details"]), ("200", "-", "via_upstream"))
        self.assertEqual(m["rx"], "123")
        self.assertEqual(m["tx"], str(len(r.body)))
        self.assertEqual(m["rid"], sent_rid)
        self.assertEqual(m["ua"], "ua-test")
        self.assertTrue(m["xff"].startswith("9.9.9.9,"))
        self.assertEqual(m["authority"], "example.com")
        self.assertEqual(m["uhost"], f"127.0.0.1:{self.a.port}")
        self.assertEqual(m["cluster"], "outbound|80||a.local")
        self.assertEqual(m["dlocal"], f"127.0.0.1:{self.port}")
        self.assertRegex(m["dremote"], r"^127\.0\.0\.1:\d+$")
        self.assertEqual(m["route"], "echo")
        self.assertEqual(m["sni"], "-")

    def test_keep_alive_and_pipelining(self):
        # R1.16/R1.17: persistent connections; pipelined requests answered in order.
        c = Client(self.port)
        c.send(b"GET /one HTTP/1.1\r\nhost: a\r\n\r\n"
               b"GET /fixed HTTP/1.1\r\nhost: a\r\n\r\n"
               b"POST /three HTTP/1.1\r\nhost: a\r\ncontent-length: 3\r\n\r\nabc"
               b"GET /four HTTP/1.1\r\nhost: a\r\nconnection: close\r\n\r\n")
        r1, r2, r3, r4 = (c.read_response() for _ in range(4))
        self.assertEqual(r1.json()["path"], "/one")
        self.assertEqual((r2.status, r2.body), (503, b"maintenance\n"))
        self.assertEqual((r3.json()["path"], r3.json()["body_size"]), ("/three", 3))
        self.assertEqual(r4.json()["path"], "/four")
        self.assertEqual(r4.header("connection"), "close")
        self.assertIsNone(r1.header("connection"))
        self.assertTrue(c.closed())

    def test_chunked_upload_and_download(self):
        # R13.3: a chunked request goes up chunked; R1.20: a response without content-length
        # comes down chunked.
        c = Client(self.port)
        c.send(b"POST /up HTTP/1.1\r\nhost: a\r\ntransfer-encoding: chunked\r\n\r\n"
               b"5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n")
        r = c.read_response()
        self.assertEqual(r.json()["body_size"], 11)
        self.assertIn(["transfer-encoding", "chunked"], r.json()["headers"])
        c.send(b"GET /chunked/4500 HTTP/1.1\r\nhost: a\r\n\r\n")
        r = c.read_response()
        self.assertEqual(r.header("transfer-encoding"), "chunked")
        self.assertEqual(r.body, b"y" * 4500)
        c.send(b"GET /bytes/70000 HTTP/1.1\r\nhost: a\r\n\r\n")
        r = c.read_response()
        self.assertEqual(r.header("content-length"), "70000")
        self.assertEqual(len(r.body), 70000)
        c.close()

    def test_split_chunk_headers_both_ways(self):
        # R13.3/R1.20: chunk-size lines that arrive in pieces (either direction) are parsed
        # once complete; the proxy neither stalls nor spins on a partial one.
        import time
        c = Client(self.port)
        c.send(b"POST /up HTTP/1.1\r\nhost: a\r\ntransfer-encoding: chunked\r\n\r\n")
        for piece in (b"1", b"0\r", b"\n0123456789ab", b"cdef\r\n", b"0\r", b"\n\r\n"):
            time.sleep(0.05)
            c.send(piece)
        r = c.read_response()
        self.assertEqual(r.json()["body_size"], 16)
        c.send(b"GET /trickle/3000 HTTP/1.1\r\nhost: a\r\n\r\n")
        r = c.read_response()
        self.assertEqual(r.body, b"z" * 3000)
        c.close()

    def test_header_only_post_gets_content_length_zero(self):
        # R13.3: a body-capable method without a body goes up with content-length: 0.
        c = Client(self.port)
        c.send(b"POST /p HTTP/1.1\r\nhost: a\r\n\r\n")
        seen = dict(c.read_response().json()["headers"])
        self.assertEqual(seen.get("content-length"), "0")
        c.send(b"GET /g HTTP/1.1\r\nhost: a\r\n\r\n")
        seen = dict(c.read_response().json()["headers"])
        self.assertNotIn("content-length", seen)
        c.close()

    def test_expect_100_continue_relayed(self):
        # R1.18: Expect is forwarded; the upstream's 100 Continue is relayed, then the answer.
        c = Client(self.port)
        c.send(b"PUT /put HTTP/1.1\r\nhost: a\r\ncontent-length: 4\r\nexpect: 100-continue\r\n\r\n")
        interim = c.read_response()
        self.assertEqual(interim.status, 100)
        c.send(b"data")
        r = c.read_response()
        self.assertEqual(r.status, 200)
        self.assertEqual(r.json()["body_size"], 4)
        self.assertEqual(dict(r.json()["headers"]).get("expect"), "100-continue")
        c.close()

    def test_head_request(self):
        # R1.20: HEAD answers carry the upstream's content-length and no body.
        c = Client(self.port)
        c.send(b"HEAD /bytes/500 HTTP/1.1\r\nhost: a\r\n\r\n")
        r = c.read_response(head_request=True)
        self.assertEqual((r.status, r.header("content-length")), (200, "500"))
        c.send(b"GET /fixed HTTP/1.1\r\nhost: a\r\n\r\n")
        self.assertEqual(c.read_response().body, b"maintenance\n")  # nothing left over
        c.close()

    def test_upstream_errors_keep_proxy_serving(self):
        # R11.5: the upstream closes without answering → 503 UC; the proxy serves the next one.
        r = request(self.port, path="/drop")
        self.assertEqual(r.status, 503)
        self.assertEqual(r.body.decode(), "upstream connect error or disconnect/reset before "
                                          "headers. reset reason: connection termination")
        line = LOG_RE.match(self.p.log_lines(1)[-1])
        self.assertEqual(line["flags"], "UC")
        self.assertEqual(request(self.port, path="/after").status, 200)

    def test_early_response_while_the_client_uploads(self):
        # R13.6: the upstream answers before the client finished its body: the answer is
        # forwarded, with `connection: close` (the request is incomplete), and the client's
        # connection is closed; the proxy keeps serving.
        c = Client(self.port)
        c.send(b"POST /early HTTP/1.1\r\nhost: a\r\ncontent-length: 100000\r\n\r\n" + b"x" * 10)
        r = c.read_response()
        self.assertEqual((r.status, r.body), (413, b"too large\n"))
        self.assertEqual(r.header("connection"), "close")
        self.assertTrue(c.closed())
        line = LOG_RE.match(self.p.log_lines(1)[-1])
        self.assertEqual((line["code"], line["path"]), ("413", "/early"))
        self.assertEqual(request(self.port, path="/after").status, 200)

    def test_upstream_closing_an_idle_connection(self):
        # R13.4: a pooled keep-alive connection the upstream closes while it sits idle is
        # dropped from the pool when that happens (Envoy keeps reading idle connections: its
        # pool removes one on the remote close, conn_pool_base.cc onConnectionEvent), never
        # reused: the next request gets a fresh connection and a 200, not a 503 UC.
        b = self.upstream("b", args=("--idle-close", "0.3"))
        port = free_port()
        routes = "  - route: [{destination: {host: a.local, port: {number: 80}}}]\n"
        p = self.proxy(self.compile(gateway_manifest(port, {"a": b.port}, routes), name="b.mcb"))
        key = f"outbound|80||a.local::127.0.0.1:{b.port}::"

        def stat(name):
            _, text = p.admin("/clusters")
            return int(re.search(re.escape(key + name + "::") + r"(\d+)", text).group(1))

        self.assertEqual(request(port, path="/first").status, 200)
        self.assertEqual((stat("cx_total"), stat("cx_idle")), (1, 1))
        harness.wait_until(lambda: stat("cx_idle") == 0, what="the closed connection leaves the pool")
        r = request(port, path="/second")
        self.assertEqual((r.status, r.json()["path"]), (200, "/second"))
        self.assertEqual(LOG_RE.match(p.log_lines(2)[-1])["flags"], "-")
        self.assertEqual((stat("cx_total"), stat("cx_idle")), (2, 1))

    def test_reload_closes_pooled_connections_of_gone_endpoints(self):
        # R16.3: keep-alive connections to endpoints that stay survive an update; those to an
        # endpoint that went away are closed, and the active-connection gauge says so.
        b, c = self.upstream("b"), self.upstream("c")
        port = free_port()
        routes = "  - route: [{destination: {host: a.local, port: {number: 80}}}]\n"
        live = os.path.join(self.workdir, "live.mcb")
        os.replace(self.compile(gateway_manifest(port, {"a": b.port}, routes), name="b.mcb"), live)
        p = self.proxy(live)
        gauge = "envoy_cluster_manager_upstream_cx_active"
        self.assertEqual(request(port, path="/x").header("x-backend"), "b")
        self.assertEqual(p.metric(gauge), 1)
        os.replace(self.compile(gateway_manifest(port, {"a": c.port}, routes), name="c.mcb"), live)
        self.assertEqual(p.admin("/reload", method="POST")[0], 200)
        harness.wait_until(lambda: p.metric(gauge) == 0, what="the gone endpoint's connection closed")
        self.assertEqual(request(port, path="/y").header("x-backend"), "c")
        self.assertEqual(p.metric(gauge), 1)

    def test_idle_proxy_burns_no_cpu(self):
        # The contract (no rule): with a keep-alive client connection and a pooled
        # upstream connection both idle, the proxy sleeps: their reads wait on the reactor
        # (drained_read.h), and a watch that re-armed itself on every readiness report would
        # burn a core here. 1 s idle must cost well under 0.2 s of CPU.
        c = Client(self.port)
        c.send(b"GET /warm HTTP/1.1\r\nhost: a\r\n\r\n")
        self.assertEqual(c.read_response().status, 200)

        def cpu_seconds():
            with open(f"/proc/{self.p.proc.pid}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
            return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

        before = cpu_seconds()
        time.sleep(1.0)
        self.assertLess(cpu_seconds() - before, 0.2)
        c.send(b"GET /again HTTP/1.1\r\nhost: a\r\n\r\n")  # and both connections still work
        self.assertEqual(c.read_response().json()["path"], "/again")

    def test_admin_endpoints(self):
        # R17.1 (/ready), R17.3 (Envoy-style names), R17.4 (istio_requests_total labels);
        # /config and /clusters as the issue specifies.
        self.assertEqual(self.p.admin("/ready"), (200, "LIVE\n"))
        request(self.port, path="/count")
        request(self.port, path="/fixed")
        self.p.log_lines(2)
        status, config = self.p.admin("/config")
        self.assertEqual(status, 200)
        import json
        doc = json.loads(config)
        self.assertIsInstance(doc["format_version"], int)
        self.assertRegex(doc["input_hash"], r"^[0-9a-f]{16}$")
        self.assertEqual([l["address"] for l in doc["listeners"]], [f"127.0.0.1:{self.port}"])
        status, clusters = self.p.admin("/clusters")
        self.assertIn(f"outbound|80||a.local::127.0.0.1:{self.a.port}::rq_total::1", clusters)
        self.assertEqual(self.p.metric("istio_requests_total", response_code="200"), 1)
        self.assertEqual(self.p.metric("istio_requests_total", response_code="503",
                                       response_flags="-"), 1)
        self.assertEqual(self.p.metric("envoy_cluster_upstream_rq_total",
                                       cluster_name="outbound|80||a.local"), 1)
        self.assertEqual(self.p.admin("/nothing-here")[0], 404)


if __name__ == "__main__":
    harness.main()
