#!/usr/bin/env python3
"""meshproxy's life cycle: start-up errors and exit codes, reload (SIGHUP, --watch, POST
/reload) with corrupt bundles refused, reload under steady load, drain on SIGTERM (R16.x)."""
import os
import shutil
import signal
import subprocess
import threading
import time

import harness
from harness import Client, free_port, gateway_manifest, request


def routes(tag):
    return f"""  - name: {tag}
    match: [{{uri: {{prefix: /{tag}}}}}]
    directResponse: {{status: 200, body: {{string: "{tag}"}}}}
  - name: echo
    route: [{{destination: {{host: a.local, port: {{number: 80}}}}}}]
"""


class Lifecycle(harness.ProxyTest):
    def setUp(self):
        super().setUp()
        self.a = self.upstream("a")
        self.port = free_port()

    def bundle(self, tag, name):
        return self.compile(gateway_manifest(self.port, {"a": self.a.port}, routes(tag)), name=name)

    def install(self, source, live):
        """Replaces `live` by a rename, the way `meshc compile -o` writes it."""
        tmp = live + ".tmp"
        shutil.copyfile(source, tmp)
        os.replace(tmp, live)

    def test_exit_codes(self):
        # Not a PROXY-SEMANTICS rule: the CLI contract (0 drained, 1 load/bind, 2 usage).
        meshproxy = os.path.join(harness.BIN, "meshproxy")
        # Usage errors → 2.
        r = subprocess.run([meshproxy], capture_output=True, text=True, timeout=20)
        self.assertEqual(r.returncode, 2, r.stderr)
        self.assertIn("--bundle", r.stderr)
        r = subprocess.run([meshproxy, "--bundle", "x", "--no-such-flag"], capture_output=True,
                           text=True, timeout=20)
        self.assertEqual(r.returncode, 2)
        # A bundle that cannot be loaded → 1 with the reader's specific error.
        missing = os.path.join(self.workdir, "missing.mcb")
        r = subprocess.run([meshproxy, "--bundle", missing], capture_output=True, text=True,
                           timeout=20)
        self.assertEqual(r.returncode, 1)
        self.assertIn("missing.mcb", r.stderr)
        good = self.bundle("one", "good.mcb")
        data = bytearray(open(good, "rb").read())
        truncated = os.path.join(self.workdir, "truncated.mcb")
        open(truncated, "wb").write(data[: len(data) // 2])
        r = subprocess.run([meshproxy, "--bundle", truncated], capture_output=True, text=True,
                           timeout=20)
        self.assertEqual(r.returncode, 1)
        self.assertRegex(r.stderr, r"truncated\.mcb: .*(truncated|size|length|short)")
        flipped = os.path.join(self.workdir, "flipped.mcb")
        data[len(data) - 10] ^= 0xFF
        open(flipped, "wb").write(data)
        r = subprocess.run([meshproxy, "--bundle", flipped], capture_output=True, text=True,
                           timeout=20)
        self.assertEqual(r.returncode, 1)
        self.assertRegex(r.stderr.lower(), r"checksum|crc")
        self.assertNotIn("internal error", r.stderr.lower())
        # A listener port already taken → 1 naming the address.
        import socket
        s = socket.socket()
        s.bind(("127.0.0.1", self.port))
        s.listen()
        try:
            r = subprocess.run([meshproxy, "--bundle", good, "--listen-address", "127.0.0.1"],
                               capture_output=True, text=True, timeout=20)
            self.assertEqual(r.returncode, 1)
            self.assertIn(f"127.0.0.1:{self.port}", r.stderr)
        finally:
            s.close()

    def test_sighup_watch_and_admin_reload(self):
        # R16.3/R16.5: a new route configuration applies to requests that arrive after it; a
        # refused update leaves the running one serving.
        live = os.path.join(self.workdir, "live.mcb")
        b1, b2, b3 = (self.bundle(t, f"{t}.mcb") for t in ("one", "two", "three"))
        shutil.copyfile(b1, live)
        p = self.proxy(live, "--watch")
        self.assertEqual(request(self.port, path="/one").body, b"one")
        # --watch: a rename replaces the file → the new routes serve.
        self.install(b2, live)
        harness.wait_until(lambda: request(self.port, path="/two").body == b"two",
                           what="--watch reload")
        self.assertEqual(request(self.port, path="/one").status, 200)  # now the echo route
        self.assertNotEqual(request(self.port, path="/one").body, b"one")
        # A corrupt bundle is refused, counted, and the old one keeps serving.
        corrupt = os.path.join(self.workdir, "corrupt.mcb")
        with open(corrupt, "wb") as f:
            f.write(b"MCB garbage" * 10)
        before = p.metric("meshproxy_reloads_total", result="failed")
        self.install(corrupt, live)
        harness.wait_until(lambda: p.metric("meshproxy_reloads_total", result="failed") > before,
                           what="failed reload counted")
        self.assertEqual(request(self.port, path="/two").body, b"two")
        self.assertIn("reload refused", p.errors())
        # POST /reload answers with the reader's error while the file is still corrupt.
        status, body = p.admin("/reload", method="POST")
        self.assertNotEqual(status, 200)
        self.assertIn("live.mcb", body)
        # SIGHUP after a good bundle lands.
        shutil.copyfile(b3, live + ".tmp")
        os.replace(live + ".tmp", live)
        p.signal(signal.SIGHUP)
        harness.wait_until(lambda: request(self.port, path="/three").body == b"three",
                           what="SIGHUP reload")
        self.assertGreaterEqual(p.metric("meshproxy_reloads_total", result="ok"), 2,
                                p.admin("/stats/prometheus")[1])

    def test_reload_under_load(self):
        # R16.3/R16.5. Issue: a client at steady load while the bundle is replaced 20 times
        # (one corrupt): zero failed requests, and each good reload's routes visible afterwards.
        live = os.path.join(self.workdir, "live.mcb")
        tags = [f"v{i}" for i in range(20)]
        bundles = {t: self.bundle(t, f"{t}.mcb") for t in tags}
        shutil.copyfile(bundles[tags[0]], live)
        p = self.proxy(live, workers=2)
        stop = threading.Event()
        failures, done = [], [0]

        def load():
            c = Client(self.port)
            while not stop.is_set():
                try:
                    c.send(b"GET /steady HTTP/1.1\r\nhost: h\r\n\r\n")
                    r = c.read_response()
                    if r.status != 200:
                        failures.append(r.status)
                    done[0] += 1
                except Exception as e:  # a dropped connection is a failure too
                    failures.append(repr(e))
                    c = Client(self.port)
            c.close()

        threads = [threading.Thread(target=load) for _ in range(4)]
        for t in threads:
            t.start()
        try:
            for i, tag in enumerate(tags):
                if i == 10:
                    corrupt = os.path.join(self.workdir, "bad.mcb")
                    open(corrupt, "wb").write(open(bundles[tag], "rb").read()[:-7])
                    self.install(corrupt, live)
                    p.signal(signal.SIGHUP)
                    time.sleep(0.1)
                self.install(bundles[tag], live)
                p.signal(signal.SIGHUP)
                harness.wait_until(lambda: request(self.port, path=f"/{tag}").body == tag.encode(),
                                   what=f"routes of {tag}")
                mark = done[0]  # let the load run across every reload
                harness.wait_until(lambda: done[0] >= mark + 5, what="load between reloads")
        finally:
            stop.set()
            for t in threads:
                t.join(timeout=10)
        self.assertEqual(failures, [])
        self.assertGreater(done[0], 100)
        self.assertEqual(p.metric("meshproxy_reloads_total", result="ok"), 20)  # v0 again, then v1..v19
        self.assertEqual(p.metric("meshproxy_reloads_total", result="failed"), 1)

    def test_drain_finishes_in_flight_requests(self):
        # R16.2/R16.4: SIGTERM → /ready 503, no new connections, in-flight requests finish with
        # connection: close, idle keep-alive connections closed, exit 0.
        p = self.proxy(self.bundle("one", "one.mcb"), "--drain-timeout", "5s")
        idle = Client(self.port)
        idle.send(b"GET /warm HTTP/1.1\r\nhost: h\r\n\r\n")
        self.assertEqual(idle.read_response().status, 200)
        slow = Client(self.port)
        slow.send(b"GET /slow/800 HTTP/1.1\r\nhost: h\r\n\r\n")
        time.sleep(0.2)
        p.signal(signal.SIGTERM)
        harness.wait_until(lambda: p.ready_status() == 503, what="/ready 503 while draining")
        self.assertTrue(idle.closed(timeout=3), "idle keep-alive connection left open")
        r = slow.read_response()
        self.assertEqual(r.status, 200)
        self.assertEqual(r.header("connection"), "close")
        self.assertEqual(p.wait(timeout=10), 0)
        with self.assertRaises(OSError):
            Client(self.port, timeout=1).send(b"GET / HTTP/1.1\r\nhost: h\r\n\r\n")

    def test_drain_timeout_cuts_stragglers(self):
        # R16.4: what is still open when the drain time ends is closed.
        p = self.proxy(self.bundle("one", "one.mcb"), "--drain-timeout", "300ms")
        slow = Client(self.port)
        slow.send(b"GET /slow/5000 HTTP/1.1\r\nhost: h\r\n\r\n")
        time.sleep(0.2)
        started = time.monotonic()
        p.signal(signal.SIGTERM)
        self.assertEqual(p.wait(timeout=10), 0)
        self.assertLess(time.monotonic() - started, 3.0)
        self.assertTrue(slow.closed(timeout=2))

    def test_upstream_killed_mid_test(self):
        # R11.4. Issue: an upstream killed mid-test gives 503 UF and the proxy keeps serving.
        p = self.proxy(self.bundle("one", "one.mcb"))
        self.assertEqual(request(self.port, path="/x").status, 200)
        self.a.stop()
        r = request(self.port, path="/x")
        self.assertEqual(r.status, 503)
        self.assertIn(b"reset reason: remote connection failure", r.body)
        self.assertEqual(request(self.port, path="/one").body, b"one")
        self.assertEqual(p.ready_status(), 200)


if __name__ == "__main__":
    harness.main()
