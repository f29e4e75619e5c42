#!/usr/bin/env python3
"""TCP and TLS passthrough at the gateway: Gateway TCP servers and PASSTHROUGH TLS servers become
tcp_proxy filter chains (PROXY-SEMANTICS §15, R14.8); the TLS inspector reads the SNI from the
ClientHello without terminating it (R14.2); weighted routes pick per connection (R15.2); the
DestinationRule's tcp.idleTimeout closes silent connections (R15.3); half-close flows both ways
and a failed connect closes the client with no data (R15.4); one access log line per connection
(R15.5)."""
import socket
import ssl
import subprocess
import time

import harness
from harness import DEADLINE, free_ports, service_entry, wait_until
from tcp_servers import TcpUpstream, closed_without_data, recv_until_closed, tls_upstream


def manifest(ports, upstreams, weights=(25, 75), idle="1s"):
    p = ports
    return "---\n".join([f"""apiVersion: networking.istio.io/v1
kind: Gateway
metadata: {{name: gw, namespace: istio-system}}
spec:
  selector: {{istio: ingressgateway}}
  servers:
  - port: {{number: {p['tcp']}, name: tcp, protocol: TCP}}
    hosts: ["*"]
  - port: {{number: {p['idle']}, name: tcp-idle, protocol: TCP}}
    hosts: ["*"]
  - port: {{number: {p['dead']}, name: tcp-dead, protocol: TCP}}
    hosts: ["*"]
  - port: {{number: {p['tls']}, name: tls, protocol: TLS}}
    hosts: [pay.example.com, "*.wild.example"]
    tls: {{mode: PASSTHROUGH}}
""", *[service_entry(n, 9000 if n not in ("pay", "wild") else 443, port,
                     "TLS" if n in ("pay", "wild") else "TCP")
       for n, port in upstreams.items()], f"""apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {{name: tcp, namespace: istio-system}}
spec:
  hosts: ["*"]
  gateways: [gw]
  tcp:
  - match: [{{port: {p['tcp']}}}]
    route:
    - destination: {{host: blue.local, port: {{number: 9000}}}}
      weight: {weights[0]}
    - destination: {{host: green.local, port: {{number: 9000}}}}
      weight: {weights[1]}
  - match: [{{port: {p['idle']}}}]
    route: [{{destination: {{host: idle.local, port: {{number: 9000}}}}}}]
  - match: [{{port: {p['dead']}}}]
    route: [{{destination: {{host: dead.local, port: {{number: 9000}}}}}}]
""", f"""apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {{name: tls, namespace: istio-system}}
spec:
  hosts: [pay.example.com, "*.wild.example"]
  gateways: [gw]
  tls:
  - match: [{{port: {p['tls']}, sniHosts: [pay.example.com]}}]
    route: [{{destination: {{host: pay.local, port: {{number: 443}}}}}}]
  - match: [{{port: {p['tls']}, sniHosts: ["*.wild.example"]}}]
    route: [{{destination: {{host: wild.local, port: {{number: 443}}}}}}]
""", f"""apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {{name: idle, namespace: istio-system}}
spec:
  host: idle.local
  trafficPolicy:
    connectionPool:
      tcp: {{idleTimeout: {idle}}}
"""])


class Tcp(harness.ProxyTest):
    def setUp(self):
        super().setUp()
        self.servers = []

    def tearDown(self):
        for s in self.servers:
            s.stop()
        super().tearDown()

    def start(self, weights=(25, 75)):
        self.blue = TcpUpstream("blue")
        self.green = TcpUpstream("green")
        self.idle_up = TcpUpstream("idle")
        self.pay, self.pay_cert = tls_upstream(self.workdir, "pay", ["pay.example.com"])
        self.wild, self.wild_cert = tls_upstream(self.workdir, "wild",
                                                 ["*.wild.example", "x.y.wild.example"])
        self.servers += [self.blue, self.green, self.idle_up, self.pay, self.wild]
        # Four gateway ports and one where nothing listens, all distinct.
        tcp, idle, dead_gw, tls, dead = free_ports(5)
        self.ports = {"tcp": tcp, "idle": idle, "dead": dead_gw, "tls": tls}
        upstreams = {"blue": self.blue.port, "green": self.green.port,
                     "idle": self.idle_up.port, "dead": dead, "pay": self.pay.port,
                     "wild": self.wild.port}
        bundle = self.compile(manifest(self.ports, upstreams, weights))
        return self.proxy(bundle)

    def connect(self, port):
        s = socket.create_connection(("127.0.0.1", port), timeout=DEADLINE)
        return s

    def test_echo_and_half_close_both_ways(self):
        # R15.1, R15.4: bytes both ways; the client's FIN reaches the upstream, which still
        # answers after it, and its own FIN comes back.
        p = self.start(weights=(100, 0))
        s = self.connect(self.ports["tcp"])
        s.sendall(b"hello")
        self.assertEqual(s.recv(100), b"blue:hello")
        s.sendall(b"x" * 100_000)
        got = b""
        while len(got) < 100_000 + 5 * (100_000 // 65536 + 1):
            chunk = s.recv(1 << 20)
            self.assertTrue(chunk, "the proxy closed mid-stream")
            got += chunk
            if got.count(b"x") == 100_000:
                break
        self.assertEqual(got.count(b"x"), 100_000)
        s.shutdown(socket.SHUT_WR)
        self.assertEqual(recv_until_closed(s), b"blue:bye:100005")
        s.close()
        # R15.5: one access log line per connection, when it closes; HTTP fields print "-".
        line = p.log_lines(1)[-1]
        self.assertIn('"- - -" 0 - ', line)
        fields = line.split(" ")
        self.assertEqual(fields[fields.index("0") + 5], "100005")  # bytes received
        self.assertIn("outbound|9000||blue.local", line)
        self.assertEqual(p.metric("istio_tcp_received_bytes_total",
                                  destination_cluster_name="outbound|9000||blue.local",
                                  response_flags="-"), 100005)
        self.assertEqual(p.metric("istio_tcp_connections_closed_total",
                                  destination_cluster_name="outbound|9000||blue.local",
                                  response_flags="-"), 1)

    def test_weighted_routes_pick_per_connection(self):
        # R15.2: 25/75 chosen once per connection; every byte of a connection goes one way.
        self.start(weights=(25, 75))
        n = 400
        counts = {"blue": 0, "green": 0}
        for i in range(n):
            s = self.connect(self.ports["tcp"])
            s.sendall(b"a")
            first = s.recv(100)
            s.sendall(b"b")
            second = s.recv(100)
            name = first.split(b":")[0].decode()
            self.assertEqual(second, name.encode() + b":b")
            counts[name] += 1
            s.close()
        # Binomial(400, 0.25): mean 100, sd 8.7; 4.5 sd either side.
        self.assertTrue(61 <= counts["blue"] <= 139, counts)
        self.assertEqual(counts["blue"] + counts["green"], n)
        wait_until(lambda: self.blue.connections + self.green.connections == n,
                   what="upstream connections")
        self.assertEqual(self.blue.connections, counts["blue"])

    def test_connect_failure_closes_the_client_without_data(self):
        # R15.4: one connect attempt; refused → the downstream closes with no byte, flag UF.
        p = self.start()
        s = self.connect(self.ports["dead"])
        s.sendall(b"anyone?")
        self.assertTrue(closed_without_data(s))
        s.close()
        line = p.log_lines(1)[-1]
        self.assertIn(" 0 UF ", line)
        self.assertIn("outbound|9000||dead.local", line)
        self.assertEqual(p.metric("istio_tcp_connections_closed_total",
                                  destination_cluster_name="outbound|9000||dead.local",
                                  response_flags="UF"), 1)

    def test_idle_timeout_closes_silent_connections_only(self):
        # R15.3: tcp.idleTimeout 1s: a connection that talks every 0.3 s outlives it; one that
        # goes silent is closed both ways within a period of the check.
        p = self.start()
        talker = self.connect(self.ports["idle"])
        silent = self.connect(self.ports["idle"])
        silent.sendall(b"x")
        self.assertEqual(silent.recv(100), b"idle:x")
        started = time.monotonic()
        for _ in range(6):  # 1.8 s of activity
            talker.sendall(b"t")
            self.assertEqual(talker.recv(100), b"idle:t")
            time.sleep(0.3)
        silent.settimeout(DEADLINE)
        self.assertEqual(recv_until_closed(silent), b"")  # closed by the proxy, no bye
        waited = time.monotonic() - started
        self.assertGreaterEqual(waited, 1.0)
        talker.sendall(b"still")
        self.assertEqual(talker.recv(100), b"idle:still")
        talker.close()
        silent.close()
        wait_until(lambda: p.metric("envoy_tcp_idle_timeout",
                                    tcp_prefix="outbound|9000||idle.local") == 1,
                   what="idle timeout counter")

    def tls_client(self, server_name, cafile):
        ctx = ssl.create_default_context(cafile=cafile)
        raw = self.connect(self.ports["tls"])
        return ctx.wrap_socket(raw, server_hostname=server_name)

    def test_passthrough_routes_by_sni_without_terminating(self):
        # R14.8: the chain for the ClientHello's SNI forwards the TLS bytes untouched: the
        # handshake is with the upstream's own certificate, which the client verifies.
        p = self.start()
        t = self.tls_client("pay.example.com", self.pay_cert)
        t.sendall(b"ping")
        self.assertEqual(t.recv(100), b"pay:ping")
        t.close()
        # R14.2: a wildcard server name takes any name below it, several labels deep.
        for name in ("a.wild.example", "x.y.wild.example"):
            t = self.tls_client(name, self.wild_cert)
            t.sendall(b"ping")
            self.assertEqual(t.recv(100), b"wild:ping")
            t.close()
        self.assertEqual(self.pay.snis, ["pay.example.com"])
        self.assertEqual(self.wild.snis, ["a.wild.example", "x.y.wild.example"])
        line = p.log_lines(3)[0]
        self.assertIn(" pay.example.com ", line)  # REQUESTED_SERVER_NAME (R11.20)

    def test_passthrough_closes_unknown_sni_no_sni_and_plaintext(self):
        # R14.2, R14.8: no chain for the SNI (or none sent, or not TLS at all): closed during
        # the handshake, nothing answered, nothing forwarded.
        p = self.start()
        for name in ("other.example", None):
            ctx = ssl.create_default_context(cafile=self.pay_cert)
            ctx.check_hostname = False
            raw = self.connect(self.ports["tls"])
            with self.assertRaises((ssl.SSLError, OSError)):
                ctx.wrap_socket(raw, server_hostname=name).recv(10)
            raw.close()
        s = self.connect(self.ports["tls"])
        s.sendall(b"GET / HTTP/1.1\r\nhost: pay.example.com\r\n\r\n")
        self.assertTrue(closed_without_data(s))
        s.close()
        self.assertEqual(self.pay.connections + self.wild.connections, 0)
        wait_until(lambda: p.metric("envoy_listener_no_filter_chain_match",
                                    listener_address=f"0.0.0.0_{self.ports['tls']}") == 3,
                   what="no_filter_chain_match")

    def test_client_hello_in_pieces_is_still_inspected(self):
        # The TLS inspector waits for the whole ClientHello however it is cut up.
        self.start()
        ctx = ssl.create_default_context(cafile=self.pay_cert)
        incoming, outgoing = ssl.MemoryBIO(), ssl.MemoryBIO()
        obj = ctx.wrap_bio(incoming, outgoing, server_hostname="pay.example.com")
        with self.assertRaises(ssl.SSLWantReadError):
            obj.do_handshake()
        hello = outgoing.read()
        s = self.connect(self.ports["tls"])
        for i in range(0, 12):  # the record header and the start of the handshake, bytewise
            s.sendall(hello[i:i + 1])
            time.sleep(0.01)
        s.sendall(hello[12:100])
        time.sleep(0.05)
        s.sendall(hello[100:])
        deadline = time.monotonic() + DEADLINE
        while time.monotonic() < deadline:
            try:
                obj.do_handshake()
                break
            except ssl.SSLWantReadError:
                data = outgoing.read()
                if data:
                    s.sendall(data)
                chunk = s.recv(65536)
                self.assertTrue(chunk, "closed during the handshake")
                incoming.write(chunk)
        s.sendall(outgoing.read())
        obj.write(b"pieces")
        s.sendall(outgoing.read())
        got = b""
        while time.monotonic() < deadline and not got:  # session tickets may come first
            try:
                got = obj.read(100)
            except ssl.SSLWantReadError:
                chunk = s.recv(65536)
                self.assertTrue(chunk, "closed before the echo")
                incoming.write(chunk)
        self.assertEqual(got, b"pay:pieces")
        s.close()

    def test_a_client_that_hangs_up_mid_client_hello_is_let_go_at_once(self):
        # The inspector waits for the rest of a ClientHello on the next readiness edge; a
        # client that half-closes after part of one has spent that edge: the connection
        # closes now, not at the listener filters' 15 s timeout.
        p = self.start()
        ctx = ssl.create_default_context(cafile=self.pay_cert)
        incoming, outgoing = ssl.MemoryBIO(), ssl.MemoryBIO()
        obj = ctx.wrap_bio(incoming, outgoing, server_hostname="pay.example.com")
        with self.assertRaises(ssl.SSLWantReadError):
            obj.do_handshake()
        hello = outgoing.read()
        s = self.connect(self.ports["tls"])
        s.sendall(hello[:50])
        time.sleep(0.05)
        started = time.monotonic()
        s.shutdown(socket.SHUT_WR)
        s.settimeout(5)
        self.assertTrue(closed_without_data(s))
        self.assertLess(time.monotonic() - started, 2.0)
        s.close()
        self.assertEqual(self.pay.connections, 0)
        self.assertEqual(p.metric("envoy_listener_downstream_pre_cx_timeout",
                                  listener_address=f"0.0.0.0_{self.ports['tls']}"), 0)

    def test_curl_https_through_passthrough(self):
        # The client: curl, verifying the upstream's certificate through the gateway.
        self.start()
        r = subprocess.run(["curl", "-sS", "--http0.9", "--max-time", "10", "--cacert",
                            self.pay_cert,
                            "--resolve", f"pay.example.com:{self.ports['tls']}:127.0.0.1",
                            "--data-binary", "@-", "-o", "-",
                            f"https://pay.example.com:{self.ports['tls']}/"],
                           input=b"", capture_output=True, timeout=30)
        # The upstream is an echo, not HTTP: what matters is that curl's TLS handshake with
        # the upstream's certificate succeeded and its request came back echoed.
        self.assertIn(b"pay:POST / HTTP/1.1", r.stdout, r.stderr)


if __name__ == "__main__":
    harness.main()
