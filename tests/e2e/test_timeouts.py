#!/usr/bin/env python3
"""Connection-level timeouts and caps: the request-headers timeout (slowloris) answers 408
(R1.23), the idle timeout closes silently and only between requests (R1.24), and
--max-connections refuses connections beyond the cap."""
import time

import harness
from harness import Client, free_port, gateway_manifest

ROUTES = """  - name: echo
    route: [{destination: {host: a.local, port: {number: 80}}}]
"""


class Timeouts(harness.ProxyTest):
    def start(self, *args):
        self.a = self.upstream("a")
        self.port = free_port()
        return self.proxy(self.compile(gateway_manifest(self.port, {"a": self.a.port}, ROUTES)),
                          *args)

    def test_slowloris_gets_408(self):
        p = self.start("--request-headers-timeout", "400ms")
        c = Client(self.port)
        started = time.monotonic()
        c.send(b"GET / HTTP/1.1\r\nhost: h\r\n")
        for _ in range(3):  # a header now and then, never the blank line
            time.sleep(0.1)
            c.send(b"x-drip: 1\r\n")
        r = c.read_response()
        elapsed = time.monotonic() - started
        self.assertEqual((r.status, r.body), (408, b"request header timeout"))
        self.assertEqual(r.header("connection"), "close")
        self.assertTrue(c.closed())
        self.assertGreaterEqual(elapsed, 0.4)
        self.assertLess(elapsed, 2.0)
        self.assertIn(" 408 - request_header_timeout ", p.log_lines(1)[-1])
        # A connection that sent nothing is idle, not slow: the headers timer has not started.
        idle = Client(self.port)
        time.sleep(0.7)
        idle.send(b"GET /late HTTP/1.1\r\nhost: h\r\n\r\n")
        self.assertEqual(idle.read_response().status, 200)

    def test_idle_timeout_closes_silently_between_requests_only(self):
        self.start("--idle-timeout", "300ms")
        c = Client(self.port)
        c.send(b"GET /slow/700 HTTP/1.1\r\nhost: h\r\n\r\n")  # active longer than the timeout
        self.assertEqual(c.read_response().status, 200)
        started = time.monotonic()
        self.assertTrue(c.closed(timeout=3))
        self.assertLess(time.monotonic() - started, 2.0)
        self.assertEqual(c.buf, b"")  # R1.24: no response is written

    def test_max_connections(self):
        # Not a PROXY-SEMANTICS rule: the connection cap (Envoy's overload manager refuses
        # connections beyond its limit the same way, by closing them).
        self.start("--max-connections", "2")
        held = [Client(self.port), Client(self.port)]
        for c in held:
            c.send(b"GET / HTTP/1.1\r\nhost: h\r\n\r\n")
            self.assertEqual(c.read_response().status, 200)
        extra = Client(self.port)
        self.assertTrue(extra.closed(timeout=2))
        held[0].close()
        harness.wait_until(lambda: self._one_request_ok(), what="a slot after a close")

    def _one_request_ok(self):
        try:
            c = Client(self.port)
            c.send(b"GET / HTTP/1.1\r\nhost: h\r\nconnection: close\r\n\r\n")
            return c.read_response().status == 200
        except (EOFError, OSError):
            return False


if __name__ == "__main__":
    harness.main()
