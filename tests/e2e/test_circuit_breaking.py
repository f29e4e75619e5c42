#!/usr/bin/env python3
"""DestinationRule connection pools and outlier detection through the real proxy
(PROXY-SEMANTICS §12, R7.8): connection, pending-request and request limits with Envoy's
overflow answer, requests per connection, the retry circuit breaker, consecutive-error
ejection with max ejection percent, growing ejection times, return to service and the panic
threshold."""
import socket
import threading
import time

import harness
from harness import Client, free_port, gateway_yaml

FAILURE_BODY = b"upstream connect error or disconnect/reset before headers. reset reason: overflow"


def manifest(gw_port, endpoints, traffic_policy, routes=None):
    """A gateway routing everything to `svc.local` port 80, whose endpoints are the given
    loopback ports, with `traffic_policy` (YAML flow text) as the DestinationRule's."""
    eps = ", ".join(f"{{address: 127.0.0.1, ports: {{http: {p}}}}}" for p in endpoints)
    routes = routes or "  - route: [{destination: {host: svc.local, port: {number: 80}}}]\n"
    return "---\n".join([gateway_yaml(gw_port), f"""apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: {{name: svc, namespace: istio-system}}
spec:
  hosts: [svc.local]
  ports: [{{number: 80, name: http, protocol: HTTP}}]
  resolution: STATIC
  location: MESH_EXTERNAL
  endpoints: [{eps}]
""", f"""apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {{name: svc, namespace: istio-system}}
spec:
  host: svc.local
  trafficPolicy: {traffic_policy}
""", f"""apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {{name: vs, namespace: istio-system}}
spec:
  hosts: ["*"]
  gateways: [gw]
  http:
{routes}"""])


def timed_request(port, path, results, index, delay=0.0):
    time.sleep(delay)
    started = time.monotonic()
    c = Client(port)
    try:
        c.send(f"GET {path} HTTP/1.1\r\nhost: h\r\nconnection: close\r\n\r\n".encode())
        r = c.read_response()
        results[index] = (r, time.monotonic() - started)
    finally:
        c.close()


class ConnectionPool(harness.ProxyTest):
    def start(self, traffic_policy, upstream_args=(), routes=None):
        self.a = self.upstream("a", args=upstream_args)
        self.port = free_port()
        self.p = self.proxy(self.compile(manifest(self.port, [self.a.port], traffic_policy,
                                                  routes)))
        self.cluster = "outbound|80||svc.local"

    def concurrent(self, paths, gap=0.1):
        results = [None] * len(paths)
        threads = [threading.Thread(target=timed_request,
                                    args=(self.port, p, results, i, i * gap))
                   for i, p in enumerate(paths)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=harness.DEADLINE)
        return results

    def test_one_connection_one_pending(self):
        # R12.2: maxConnections 1 + http1MaxPendingRequests 1: one request active, one queued
        # (served after it, on the same connection), the third answered 503 UO at once.
        self.start("{connectionPool: {tcp: {maxConnections: 1}, http: {http1MaxPendingRequests: 1}}}")
        results = self.concurrent(["/slow/600"] * 3)
        (r1, t1), (r2, t2), (r3, t3) = results
        self.assertEqual((r1.status, r2.status), (200, 200))
        self.assertGreaterEqual(t2, 1.0)  # waited for the first request's connection
        self.assertEqual((r3.status, r3.body), (503, FAILURE_BODY))
        self.assertEqual(r3.header("x-envoy-overloaded"), "true")
        self.assertLess(t3, 0.5)
        self.assertIn(" 503 UO upstream_reset_before_response_started{overflow} ",
                      "\n".join(self.p.log_lines(3)))
        self.assertEqual(self.p.metric("envoy_cluster_upstream_cx_total",
                                       cluster_name=self.cluster), 1)
        self.assertEqual(self.p.metric("envoy_cluster_upstream_rq_pending_overflow",
                                       cluster_name=self.cluster), 1)

    def test_request_limit(self):
        # R12.1/R12.2: http2MaxRequests limits concurrent requests to the cluster (HTTP/1.1
        # too): the second concurrent request overflows even though connections are free.
        self.start("{connectionPool: {http: {http2MaxRequests: 1}}}")
        (r1, _), (r2, t2) = self.concurrent(["/slow/500", "/slow/500"])
        self.assertEqual(r1.status, 200)
        self.assertEqual((r2.status, r2.header("x-envoy-overloaded")), (503, "true"))
        self.assertLess(t2, 0.4)

    def connections_for_three_requests(self):
        """Three requests one after another on one client connection; the upstream connections
        the proxy opened for them."""
        c = Client(self.port)
        for _ in range(3):
            c.send(b"GET / HTTP/1.1\r\nhost: h\r\n\r\n")
            self.assertEqual(c.read_response().status, 200)
        c.close()
        return self.p.metric("envoy_cluster_upstream_cx_total", cluster_name=self.cluster)

    def test_requests_per_connection(self):
        # R12.1: maxRequestsPerConnection 1 disables upstream keep-alive.
        self.start("{connectionPool: {http: {maxRequestsPerConnection: 1}}}")
        self.assertEqual(self.connections_for_three_requests(), 3)

    def test_keep_alive_without_limits(self):
        # R12.1 defaults (2^32−1 everywhere): one connection serves sequential requests.
        self.start("{loadBalancer: {simple: ROUND_ROBIN}}")
        self.assertEqual(self.connections_for_three_requests(), 1)

    def test_upstream_idle_timeout(self):
        # R12.1: http.idleTimeout closes a pooled upstream connection that long idle.
        self.start("{connectionPool: {http: {idleTimeout: 300ms}}}")
        self.assertEqual(harness.request(self.port, path="/").status, 200)
        harness.wait_until(lambda: self.p.metric("envoy_cluster_manager_upstream_cx_active") == 0,
                           timeout=3, what="the idle upstream connection to close")
        self.assertEqual(harness.request(self.port, path="/").status, 200)
        self.assertEqual(self.p.metric("envoy_cluster_upstream_cx_total",
                                       cluster_name=self.cluster), 2)

    def test_retry_circuit_breaker(self):
        # R7.8: maxRetries 1 → one retry may wait at a time. Six requests fail together; the
        # first takes the retry slot for its back-off (uniform below 1 s); the others find it
        # taken unless that back-off ended within the few milliseconds between them (well
        # under 1 % each): they get the failing response itself, flagged UO.
        self.check_one_retry_at_a_time("{connectionPool: {http: {maxRetries: 1}}}")

    def test_retry_budget(self):
        # R7.8: a retry budget replaces maxRetries: 0 % of the active requests, at least one
        # retry at a time: the same as maxRetries 1 (maxRetries 100 is ignored).
        self.check_one_retry_at_a_time("{connectionPool: {http: {maxRetries: 100}}, "
                                       "retryBudget: {percent: 0, minRetryConcurrency: 1}}")

    def check_one_retry_at_a_time(self, policy):
        routes = """  - retries: {attempts: 1, retryOn: 5xx, backoff: 1s}
    route: [{destination: {host: svc.local, port: {number: 80}}}]
"""
        self.start(policy, routes=routes)
        results = self.concurrent([f"/flaky/r{i}/1/503" for i in range(6)], gap=0.0)
        statuses = sorted(r.status for r, _ in results)
        refused = statuses.count(503)
        self.assertGreaterEqual(refused, 1)
        self.assertEqual(statuses.count(200) + refused, 6)
        lines = self.p.log_lines(6)
        self.assertEqual(sum(" 503 UO via_upstream " in line for line in lines), refused)
        self.assertEqual(self.p.metric("envoy_cluster_upstream_rq_retry_overflow",
                                       cluster_name=self.cluster), refused)


class OutlierDetection(harness.ProxyTest):
    def start(self, outlier, lb="ROUND_ROBIN", bad_status=503, good=1, bad=1):
        self.good = [self.upstream(f"good{i}") for i in range(good)]
        self.bad = [self.upstream(f"bad{i}", args=["--fail-status", str(bad_status)])
                    for i in range(bad)]
        self.port = free_port()
        policy = f"{{loadBalancer: {{simple: {lb}}}, outlierDetection: {outlier}}}"
        endpoints = [u.port for u in self.good + self.bad]
        self.p = self.proxy(self.compile(manifest(self.port, endpoints, policy)))
        self.cluster = "outbound|80||svc.local"
        self.c = Client(self.port)

    def tearDown(self):
        if hasattr(self, "c"):
            self.c.close()
        super().tearDown()

    def one(self):
        self.c.send(b"GET / HTTP/1.1\r\nhost: h\r\n\r\n")
        return self.c.read_response()

    def ejections(self, name="ejections_active"):
        return self.p.metric(f"envoy_cluster_outlier_detection_{name}", cluster_name=self.cluster)

    def test_ejection_and_return(self):
        # R12.4–R12.6: 3 consecutive 5xx eject the bad host at once (round robin sends it every
        # other request: the 6th request is its 3rd failure); then only the good host answers;
        # it returns at the first sweep (interval 500 ms) after the base ejection time (1 s);
        # its second ejection lasts twice as long.
        self.start("{consecutive5xxErrors: 3, interval: 500ms, baseEjectionTime: 1s, "
                   "maxEjectionPercent: 100}")
        statuses = [self.one().status for _ in range(6)]
        self.assertEqual(statuses.count(503), 3)
        ejected_at = time.monotonic()
        self.assertEqual(self.ejections(), 1)
        self.assertEqual(self.ejections("ejections_enforced_consecutive_5xx"), 1)
        _, clusters = self.p.admin("/clusters")
        self.assertIn(f"::127.0.0.1:{self.bad[0].port}::health_flags::/failed_outlier_check",
                      clusters)
        for _ in range(20):
            r = self.one()
            self.assertEqual((r.status, r.header("x-backend")), (200, "good0"))
        harness.wait_until(lambda: self.one().status == 503, timeout=5,
                           what="the ejected host back in service")
        back = time.monotonic() - ejected_at
        self.assertGreaterEqual(back, 1.0)
        self.assertLess(back, 2.5)
        self.assertEqual(self.ejections(), 0)
        # Two more failures of the returned host complete three (counters restarted), and the
        # second ejection is twice the base time.
        harness.wait_until(lambda: self.one() and self.ejections() > 0, timeout=5,
                           what="the second ejection")
        ejected_at = time.monotonic()
        harness.wait_until(lambda: self.one().status == 503, timeout=6,
                           what="the host back after its second ejection")
        self.assertGreaterEqual(time.monotonic() - ejected_at, 2.0)

    def test_max_ejection_percent_default(self):
        # R12.6: Envoy's default 10 % ejects nothing in a two-host cluster (1/2 = 50 % > 10 %):
        # the bad host keeps its share; the detector counts the refusals.
        self.start("{consecutive5xxErrors: 2, interval: 1s, baseEjectionTime: 30s}")
        statuses = [self.one().status for _ in range(20)]
        self.assertEqual(statuses.count(503), 10)
        self.assertEqual(self.ejections(), 0)
        self.assertGreaterEqual(self.ejections("ejections_overflow"), 1)

    def test_gateway_errors_and_5xx_thresholds(self):
        # R12.4/R12.5: consecutive5xxErrors 0 turns the 5xx detector off; consecutiveGateway-
        # Errors ejects on 502/503/504 only: a host failing with 500 stays in.
        self.start("{consecutive5xxErrors: 0, consecutiveGatewayErrors: 2, interval: 1s, "
                   "baseEjectionTime: 30s, maxEjectionPercent: 100}", bad_status=500)
        statuses = [self.one().status for _ in range(20)]
        self.assertEqual(statuses.count(500), 10)
        self.assertEqual(self.ejections(), 0)

    def test_gateway_error_ejection(self):
        self.start("{consecutive5xxErrors: 0, consecutiveGatewayErrors: 2, interval: 1s, "
                   "baseEjectionTime: 30s, maxEjectionPercent: 100}", bad_status=502)
        statuses = [self.one().status for _ in range(20)]
        self.assertEqual(statuses.count(502), 2)
        self.assertEqual(self.ejections("ejections_enforced_consecutive_gateway_failure"), 1)

    def test_all_ejected_without_panic_is_no_healthy_upstream(self):
        # R11.3/R5.8: with outlier detection Istio turns panic off (minHealthPercent 0): once
        # every host is ejected the answer is 503 "no healthy upstream", UH.
        self.start("{consecutive5xxErrors: 1, interval: 1s, baseEjectionTime: 30s, "
                   "maxEjectionPercent: 100}", good=0, bad=2)
        self.assertEqual([self.one().status for _ in range(2)], [503, 503])
        r = self.one()
        self.assertEqual((r.status, r.body), (503, b"no healthy upstream"))
        self.assertIn(" 503 UH no_healthy_upstream ", self.p.log_lines(3)[-1])

    def test_panic_threshold(self):
        # R5.8: minHealthPercent 60 with one of two hosts ejected (50 % healthy < 60 %): the
        # balancer ignores health and both hosts get traffic again.
        self.start("{consecutive5xxErrors: 1, interval: 1s, baseEjectionTime: 30s, "
                   "maxEjectionPercent: 100, minHealthPercent: 60}")
        statuses = [self.one().status for _ in range(20)]
        self.assertEqual(self.ejections(), 1)
        # Without panic the ejected host would get nothing after its first failure; with it
        # the round robin keeps reaching it (about half the time: the exact interleaving when
        # the balancer sees the ejection is not the point).
        self.assertGreaterEqual(statuses[4:].count(503), 6)

    def test_connect_failures_count(self):
        # R12.5: a refused connection counts as a gateway error of that host. Istio's default
        # retry policy retries it on the other host, so clients see only 200s.
        dead = free_port()
        self.good = [self.upstream("good0")]
        self.port = free_port()
        policy = ("{loadBalancer: {simple: ROUND_ROBIN}, outlierDetection: "
                  "{consecutive5xxErrors: 2, interval: 1s, baseEjectionTime: 30s, "
                  "maxEjectionPercent: 100}}")
        self.p = self.proxy(self.compile(manifest(self.port, [self.good[0].port, dead], policy)))
        self.cluster = "outbound|80||svc.local"
        self.c = Client(self.port)
        statuses = [self.one().status for _ in range(10)]
        self.assertEqual(statuses, [200] * 10)
        self.assertEqual(self.ejections(), 1)
        self.assertEqual(self.p.metric("envoy_cluster_upstream_cx_connect_fail",
                                       cluster_name=self.cluster), 2)


if __name__ == "__main__":
    harness.main()
