#!/usr/bin/env python3
"""A sidecar bundle run the way Istio's sidecar runs: the application's outbound TCP is
redirected by iptables to meshproxy's 15001-style listener (REDIRECT in nat OUTPUT, meshproxy's
own traffic exempted by its uid, loopback destinations left alone, as istio-iptables does), and
meshproxy recovers the original destination with SO_ORIGINAL_DST. Listener selection by VIP:port,
the HTTP inspector on HTTP ports, virtualOutbound's catch-all, PassthroughCluster and
BlackHoleCluster then happen for real (ISTIO-SEMANTICS §7.6, §8.2; PROXY-SEMANTICS R11.16, R15).

Everything runs in a network namespace the file creates for itself (`unshare -n`): the
"external" addresses sit on its loopback, the service VIPs are routed there, and the iptables
rules vanish with the namespace. Skipped, with the reason, where the kernel or the tools refuse any of it."""
import os
import shutil
import socket
import subprocess
import unittest

import harness
from harness import Client, DEADLINE, wait_until
from test_sidecar import REGISTRY_ONLY  # the Sidecar resource that sets it
from tcp_servers import TcpUpstream, closed_without_data, http_recorder, recv_until_closed

NOBODY = 65534  # meshproxy's uid: its own connections are not captured again
REVIEWS_VIP = "10.96.0.10"
DB_VIP = "10.96.0.20"
OUTSIDE_HTTP = "10.10.0.2"  # an address no service owns: PassthroughCluster territory
OUTSIDE_TCP = "10.10.0.3"


def sh(*cmd):
    return subprocess.run(list(cmd), capture_output=True, text=True, timeout=30)


def setup_namespace(capture_port):
    """Addresses and capture rules inside this (private) namespace; the reason it cannot be
    done, or ""."""
    steps = [
        ("ip", "addr", "add", OUTSIDE_HTTP + "/32", "dev", "lo"),
        ("ip", "addr", "add", OUTSIDE_TCP + "/32", "dev", "lo"),
        ("ip", "route", "add", "10.96.0.0/16", "dev", "lo"),
        ("iptables", "-t", "nat", "-N", "MESH_OUTPUT"),
        ("iptables", "-t", "nat", "-A", "OUTPUT", "-p", "tcp", "-j", "MESH_OUTPUT"),
        ("iptables", "-t", "nat", "-A", "MESH_OUTPUT", "-m", "owner", "--uid-owner", str(NOBODY),
         "-j", "RETURN"),
        ("iptables", "-t", "nat", "-A", "MESH_OUTPUT", "-d", "127.0.0.0/8", "-j", "RETURN"),
        ("iptables", "-t", "nat", "-A", "MESH_OUTPUT", "-p", "tcp", "-j", "REDIRECT",
         "--to-ports", str(capture_port)),
    ]
    for cmd in steps:
        if shutil.which(cmd[0]) is None:
            return f"{cmd[0]} is not installed"
        r = sh(*cmd)
        if r.returncode != 0:
            return f"{' '.join(cmd)}: {r.stderr.strip()}"
    return ""


def manifest(reviews_port, db_port, extra=""):
    return f"""apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: {{name: reviews, namespace: default}}
spec:
  hosts: [reviews.shop.internal]
  addresses: [{REVIEWS_VIP}]
  ports: [{{number: 9080, name: http, protocol: HTTP, targetPort: {reviews_port}}}]
  resolution: STATIC
  location: MESH_INTERNAL
  endpoints: [{{address: 127.0.0.1}}]
---
apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: {{name: db, namespace: default}}
spec:
  hosts: [db.shop.internal]
  addresses: [{DB_VIP}]
  ports: [{{number: 5432, name: tcp-postgres, protocol: TCP, targetPort: {db_port}}}]
  resolution: STATIC
  location: MESH_INTERNAL
  endpoints: [{{address: 127.0.0.1}}]
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {{name: reviews, namespace: default}}
spec:
  hosts: [reviews.shop.internal]
  http:
  - name: v2-prefix
    match: [{{uri: {{prefix: /v2}}}}]
    rewrite: {{uri: /}}
    route: [{{destination: {{host: reviews.shop.internal}}}}]
  - name: main
    route: [{{destination: {{host: reviews.shop.internal}}}}]
{extra}"""


class Capture(harness.ProxyTest):
    reason = None  # why the namespace cannot be set up (class-wide: set up once)

    @classmethod
    def setUpClass(cls):
        if not harness.in_private_netns():
            cls.reason = "no private network namespace (needs root and unshare -n)"
            return
        cls.capture_port = 15001
        cls.reason = setup_namespace(cls.capture_port) or None

    def setUp(self):
        if self.reason:
            self.skipTest(self.reason)
        super().setUp()
        os.chmod(self.workdir, 0o777)  # meshproxy runs as nobody: reads the bundle, writes logs
        self.servers = []

    def tearDown(self):
        for s in getattr(self, "servers", []):
            s.stop()
        super().tearDown()

    def start(self, extra=""):
        self.reviews = self.upstream("reviews")
        self.db = TcpUpstream("db")
        self.outside_http = http_recorder("outside", OUTSIDE_HTTP, 9080)
        self.outside_tcp = TcpUpstream("raw", host=OUTSIDE_TCP, port=9080)
        self.outside_other = TcpUpstream("other", host=OUTSIDE_HTTP, port=7777)
        self.servers += [self.db, self.outside_http, self.outside_tcp, self.outside_other]
        bundle = self.compile(manifest(self.reviews.port, self.db.port, extra), name="sc.mcb",
                              proxy=("--sidecar", "app=client", "-n", "default"))
        os.chmod(bundle, 0o644)
        return self.proxy(bundle, "--sidecar-listen", f"127.0.0.1:{self.capture_port}",
                          prefix=("setpriv", f"--reuid={NOBODY}", f"--regid={NOBODY}",
                                  "--clear-groups"))

    def http(self, address, port, path, host):
        c = Client(port, host=address)
        c.send(f"GET {path} HTTP/1.1\r\nhost: {host}\r\nconnection: close\r\n\r\n".encode())
        try:
            return c.read_response()
        finally:
            c.close()

    def test_http_to_a_service_vip_is_routed_by_its_port_listener(self):
        # The app calls the VIP; iptables sends it to meshproxy; SO_ORIGINAL_DST says
        # 10.96.0.10:9080; the 0.0.0.0_9080 listener's HTTP chain (the HTTP inspector saw
        # HTTP/1.1) routes it with route configuration "9080".
        p = self.start()
        r = self.http(REVIEWS_VIP, 9080, "/v2/ratings", "reviews.shop.internal:9080")
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.json()["path"], "/ratings")  # the VirtualService's rewrite ran
        line = p.log_lines(1)[-1]
        self.assertIn("outbound|9080||reviews.shop.internal", line)
        self.assertIn(f" {REVIEWS_VIP}:9080 ", line)  # DOWNSTREAM_LOCAL_ADDRESS: the original
        self.assertEqual(p.metric("istio_requests_total", listener="0.0.0.0_9080",
                                  response_code="200"), 1)

    def test_tcp_to_a_service_vip_takes_its_vip_listener(self):
        # 10.96.0.20:5432 has a listener of its own (TCP service port): tcp_proxy to db.
        p = self.start()
        s = socket.create_connection((DB_VIP, 5432), timeout=DEADLINE)
        s.sendall(b"select 1")
        self.assertEqual(s.recv(100), b"db:select 1")
        s.shutdown(socket.SHUT_WR)
        self.assertEqual(recv_until_closed(s), b"db:bye:8")
        s.close()
        # Counted when the proxy closes its side, which may follow the client's EOF.
        wait_until(lambda: p.metric("istio_tcp_connections_closed_total",
                                    listener=f"{DB_VIP}_5432",
                                    destination_cluster_name="outbound|5432||db.shop.internal")
                   == 1, what="the closed connection counted")

    def test_unknown_destinations_pass_through_to_where_the_app_was_going(self):
        # ALLOW_ANY (R11.16): HTTP on a mesh port to an address no service owns takes the
        # allow_any route to PassthroughCluster, which connects to the original destination,
        # whatever the Host header says; a port without a listener takes virtualOutbound's
        # catch-all chain to the same cluster.
        p = self.start()
        r = self.http(OUTSIDE_HTTP, 9080, "/anything", "somewhere.else.example:9080")
        self.assertEqual(r.status, 200, r)
        self.assertTrue(r.body.startswith(b"outside\nGET /anything HTTP/1.1"), r.body)
        self.assertEqual(len(self.outside_http.requests), 1)
        s = socket.create_connection((OUTSIDE_HTTP, 7777), timeout=DEADLINE)
        s.sendall(b"hi")
        self.assertEqual(s.recv(100), b"other:hi")
        s.close()
        lines = p.log_lines(2)
        self.assertTrue(any("PassthroughCluster" in l and f"{OUTSIDE_HTTP}:9080" in l
                            for l in lines), lines)
        self.assertTrue(any(l.startswith("[") and '"- - -"' in l and "PassthroughCluster" in l
                            and f"{OUTSIDE_HTTP}:7777" in l for l in lines), lines)

    def test_non_http_bytes_on_an_http_port_take_the_passthrough_chain(self):
        # The HTTP inspector finds no request line: not the HTTP chain but the listener's
        # default PassthroughFilterChain, a tcp_proxy to the original destination.
        self.start()
        s = socket.create_connection((OUTSIDE_TCP, 9080), timeout=DEADLINE)
        s.sendall(b"SSH-2.0-OpenSSH_9.2p1\r\n")
        self.assertEqual(s.recv(100), b"raw:SSH-2.0-OpenSSH_9.2p1\r\n")
        s.close()

    def test_registry_only_blackholes_unknown_destinations(self):
        # REGISTRY_ONLY: the catch-all goes to BlackHoleCluster: closed without data, and
        # nothing reaches the address the app asked for.
        self.start(REGISTRY_ONLY)
        s = socket.create_connection((OUTSIDE_HTTP, 7777), timeout=DEADLINE)
        s.sendall(b"hi")
        self.assertTrue(closed_without_data(s))
        s.close()
        self.assertEqual(self.outside_other.connections, 0)
        # The registered service still works.
        r = self.http(REVIEWS_VIP, 9080, "/x", "reviews.shop.internal:9080")
        self.assertEqual(r.status, 200, r)

    def test_explicit_proxy_use_still_works_beside_capture(self):
        # A client that talks to the listener itself (not redirected) is an explicit proxy
        # client: the route configuration comes from the authority's port.
        self.start()
        c = Client(self.capture_port)
        c.send(b"GET http://reviews.shop.internal:9080/hello HTTP/1.1\r\n"
               b"host: reviews.shop.internal:9080\r\nconnection: close\r\n\r\n")
        r = c.read_response()
        c.close()
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.json()["path"], "/hello")


if __name__ == "__main__":
    harness.main(private_netns=True)
