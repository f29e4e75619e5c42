#!/usr/bin/env python3
"""TLS termination at the gateway (PROXY-SEMANTICS §14): SIMPLE and MUTUAL HTTPS servers
sharing a port and told apart by SNI (R14.1, R14.2), the route table of the server the SNI
chose (R14.3), Envoy's protocol floor (R14.5), client certificates verified against the CA
with subjectAltNames (R14.6), httpsRedirect on the plain port (R14.7), a TLS server with SIMPLE
termination in front of a TCP route, certificates by credential name from a credentials
directory or by file path, and reloading them. Certificates come from pki.py (openssl CLI);
clients are curl and `openssl s_client`."""
import os
import select
import shutil
import signal
import socket
import ssl
import subprocess
import time

import harness
from harness import DEADLINE, free_ports, service_entry, wait_until
from pki import Ca, credential_dir
from tcp_servers import TcpUpstream


def manifest(ports, web_port, db_port, db_cert, db_key):
    p = ports
    return f"""apiVersion: networking.istio.io/v1
kind: Gateway
metadata: {{name: gw, namespace: istio-system}}
spec:
  selector: {{istio: ingressgateway}}
  servers:
  - port: {{number: {p['http']}, name: http, protocol: HTTP}}
    hosts: [shop.example.com]
    tls: {{httpsRedirect: true}}
  - port: {{number: {p['https']}, name: https, protocol: HTTPS}}
    hosts: [shop.example.com]
    tls: {{mode: SIMPLE, credentialName: shop-cert}}
  - port: {{number: {p['https']}, name: https-admin, protocol: HTTPS}}
    hosts: [admin.example.com]
    tls:
      mode: MUTUAL
      credentialName: admin-cert
      subjectAltNames: [client.example.com]
  - port: {{number: {p['tls']}, name: tls-db, protocol: TLS}}
    hosts: [db.example.com]
    tls: {{mode: SIMPLE, serverCertificate: {db_cert}, privateKey: {db_key}}}
---
{service_entry("web", 80, web_port)}---
{service_entry("db", 9000, db_port, "TCP")}---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {{name: web, namespace: istio-system}}
spec:
  hosts: [shop.example.com, admin.example.com]
  gateways: [gw]
  http:
  - route: [{{destination: {{host: web.local, port: {{number: 80}}}}}}]
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {{name: db, namespace: istio-system}}
spec:
  hosts: [db.example.com]
  gateways: [gw]
  tcp:
  - match: [{{port: {p['tls']}}}]
    route: [{{destination: {{host: db.local, port: {{number: 9000}}}}}}]
"""


class Tls(harness.ProxyTest):
    def setUp(self):
        super().setUp()
        self.servers = []
        self.ca = Ca(self.workdir, "ca")
        self.other_ca = Ca(self.workdir, "other-ca")
        self.creds = os.path.join(self.workdir, "credentials")
        shop = self.ca.issue("shop", ["DNS:shop.example.com"])
        admin = self.ca.issue("admin", ["DNS:admin.example.com"])
        credential_dir(self.creds, "shop-cert", *shop)
        credential_dir(self.creds, "admin-cert", *admin, ca=self.ca.cert)
        self.db_cert, self.db_key = self.ca.issue("db", ["DNS:db.example.com"])
        self.client = self.ca.issue("client", ["DNS:client.example.com"])
        self.stranger = self.ca.issue("stranger", ["DNS:stranger.example.com"])
        self.expired = self.ca.issue("expired", ["DNS:client.example.com"], expired=True)
        self.foreign = self.other_ca.issue("foreign", ["DNS:client.example.com"])

    def tearDown(self):
        for s in self.servers:
            s.stop()
        super().tearDown()

    def start(self):
        self.web = self.upstream("web")
        self.db = TcpUpstream("db")
        self.servers.append(self.db)
        http, https, tls = free_ports(3)
        self.ports = {"http": http, "https": https, "tls": tls}
        bundle = self.compile(manifest(self.ports, self.web.port, self.db.port, self.db_cert,
                                       self.db_key))
        return self.proxy(bundle, "--credentials", self.creds)

    def curl(self, host, path="/", port=None, cert=None, extra=()):
        port = port or self.ports["https"]
        cmd = ["curl", "-sS", "--max-time", "10", "--cacert", self.ca.cert, "--resolve",
               f"{host}:{port}:127.0.0.1", "-o", "-", "-w", "\n%{http_code} %{http_version}",
               *extra]
        if cert is not None:
            cmd += ["--cert", cert[0], "--key", cert[1]]
        cmd.append(f"https://{host}:{port}{path}")
        return subprocess.run(cmd, capture_output=True, text=True, timeout=30)

    def test_simple_termination_routes_with_the_servers_table(self):
        # R14.1: the chain for SNI shop.example.com terminates with shop-cert (curl verifies it
        # against the CA and the name); the request is HTTPS to the router (R2.4, R2.6).
        p = self.start()
        r = self.curl("shop.example.com", "/cart?x=1")
        self.assertEqual(r.returncode, 0, r.stderr)
        body, status = r.stdout.rsplit("\n", 1)
        # R14.4: curl offers h2 and http/1.1; this build answers on HTTP/1.1.
        self.assertEqual(status, "200 1.1")
        seen = dict(harness.Response(200, "", [], body.encode()).json()["headers"])
        self.assertEqual(seen["x-forwarded-proto"], "https")
        line = p.log_lines(1)[-1]
        self.assertIn(" shop.example.com ", line)  # REQUESTED_SERVER_NAME
        self.assertEqual(p.metric("envoy_listener_ssl_handshake",
                                  listener_address=f"0.0.0.0_{self.ports['https']}"), 1)
        # R14.3: SNI picks the chain, the Host header the virtual host, independently: the
        # admin host is not in the SIMPLE server's route table.
        r = self.curl("shop.example.com", "/", extra=("-H", "host: admin.example.com"))
        self.assertTrue(r.stdout.endswith("\n404 1.1"), r.stdout)

    def test_unknown_sni_no_sni_and_old_protocols_fail_the_handshake(self):
        # R14.2: every chain on the port lists names: another SNI, or none, finds no chain and
        # the connection closes during the handshake. R14.5: TLS 1.2 is Envoy's floor.
        p = self.start()
        for name in ("other.example.com", None):
            ctx = ssl.create_default_context(cafile=self.ca.cert)
            ctx.check_hostname = False
            raw = socket.create_connection(("127.0.0.1", self.ports["https"]), timeout=DEADLINE)
            with self.assertRaises((ssl.SSLError, OSError)):
                ctx.wrap_socket(raw, server_hostname=name)
            raw.close()
        r = self.curl("shop.example.com", extra=("--tlsv1.0", "--tls-max", "1.1"))
        self.assertNotEqual(r.returncode, 0, r.stdout)
        listener = f"0.0.0.0_{self.ports['https']}"
        wait_until(lambda: p.metric("envoy_listener_no_filter_chain_match",
                                    listener_address=listener) == 2, what="no chain match")
        # Counted after the alert went out: the client may have exited first.
        wait_until(lambda: p.metric("envoy_listener_ssl_connection_error",
                                    listener_address=listener) == 1, what="the failed handshake")

    def test_mutual_requires_a_client_certificate_the_ca_signed_with_an_allowed_san(self):
        # R14.6: MUTUAL: no certificate, one from another CA, an expired one, or one whose SAN
        # is not in subjectAltNames: the handshake fails; the right one gets through.
        p = self.start()
        r = self.curl("admin.example.com", "/ops", cert=self.client)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertTrue(r.stdout.endswith("\n200 1.1"), r.stdout)
        for name, cert in (("none", None), ("foreign CA", self.foreign),
                           ("expired", self.expired), ("SAN", self.stranger)):
            r = self.curl("admin.example.com", "/ops", cert=cert)
            self.assertNotEqual(r.returncode, 0, f"{name}: {r.stdout}")
            self.assertFalse(r.stdout.startswith("{"), f"{name}: got a response")
        listener = f"0.0.0.0_{self.ports['https']}"
        wait_until(lambda: p.metric("envoy_listener_ssl_connection_error",
                                    listener_address=listener) == 4, what="4 failed handshakes")
        self.assertEqual(p.metric("envoy_listener_ssl_fail_verify_no_cert",
                                  listener_address=listener), 1)
        self.assertEqual(p.metric("envoy_listener_ssl_fail_verify_error",
                                  listener_address=listener), 2)  # foreign CA, expired
        self.assertEqual(p.metric("envoy_listener_ssl_fail_verify_san",
                                  listener_address=listener), 1)
        # The SIMPLE server on the same port asks for no certificate.
        self.assertTrue(self.curl("shop.example.com").stdout.endswith("\n200 1.1"))

    def test_https_redirect_on_the_plain_port(self):
        # R14.7: the plain HTTP server with httpsRedirect answers 301 to https, port kept.
        self.start()
        r = harness.request(self.ports["http"], path="/a?b=1",
                            host=f"shop.example.com:{self.ports['http']}")
        self.assertEqual(r.status, 301)
        self.assertEqual(r.header("location"),
                         f"https://shop.example.com:{self.ports['http']}/a?b=1")

    def test_tls_server_terminates_in_front_of_a_tcp_route(self):
        # A TLS server with SIMPLE termination and a tcp route: the bytes after TLS reach the
        # upstream in the clear (openssl s_client as the client; certificate by file path).
        self.start()
        client = subprocess.Popen(
            ["openssl", "s_client", "-connect", f"127.0.0.1:{self.ports['tls']}", "-servername",
             "db.example.com", "-CAfile", self.ca.cert, "-verify_return_error", "-quiet",
             "-no_ign_eof"], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
            stderr=subprocess.PIPE)
        try:
            client.stdin.write(b"select 1\n")
            client.stdin.flush()
            got = b""
            deadline = time.monotonic() + DEADLINE
            while b"db:select 1\n" not in got and time.monotonic() < deadline:
                ready, _, _ = select.select([client.stdout], [], [], 0.2)
                if ready:
                    chunk = os.read(client.stdout.fileno(), 4096)
                    if not chunk:
                        break
                    got += chunk
            self.assertEqual(got, b"db:select 1\n")
            client.stdin.close()  # s_client closes the connection at EOF (-no_ign_eof)
            self.assertEqual(client.wait(timeout=DEADLINE), 0, client.stderr.read())
        finally:
            if client.poll() is None:
                client.kill()
                client.wait(timeout=DEADLINE)
            client.stdout.close()
            client.stderr.close()
        # The client's close reached the upstream as a FIN (it answered "bye" to nobody).
        wait_until(lambda: self.db.connections == 1, what="the upstream connection")

    def test_reload_reads_certificates_again_and_names_what_is_missing(self):
        p = self.start()

        def served():
            ctx = ssl.create_default_context(cafile=self.ca.cert)
            with socket.create_connection(("127.0.0.1", self.ports["https"]), timeout=5) as raw:
                with ctx.wrap_socket(raw, server_hostname="shop.example.com") as t:
                    return t.getpeercert(binary_form=True)
        old = served()
        # A new certificate for the same name, then SIGHUP: new handshakes use it.
        fresh = self.ca.issue("shop-renewed", ["DNS:shop.example.com"])
        credential_dir(self.creds, "shop-cert", *fresh)
        p.signal(signal.SIGHUP)
        with open(fresh[0]) as f:
            want = ssl.PEM_cert_to_DER_cert(f.read())
        wait_until(lambda: served() == want, what="the renewed certificate")
        self.assertNotEqual(old, want)
        # A credential that disappears (a rotation caught half-way): the reload names it and
        # the certificate loaded before keeps serving, as Envoy keeps the last good secret.
        shutil.rmtree(os.path.join(self.creds, "admin-cert"))
        p.signal(signal.SIGHUP)
        wait_until(lambda: "the certificate loaded before keeps serving" in p.errors(),
                   what="the missing credential named")
        self.assertIn("admin-cert", p.errors())
        self.assertTrue(self.curl("admin.example.com", cert=self.client).stdout.endswith("\n200 1.1"))
        # Started without it, there is nothing to keep: that chain's connections close, the
        # other chains serve.
        p.stop()
        p = self.proxy(p.bundle, "--credentials", self.creds)
        self.assertIn("TLS not served", p.errors())
        r = self.curl("admin.example.com", cert=self.client)
        self.assertNotEqual(r.returncode, 0, r.stdout)
        self.assertTrue(self.curl("shop.example.com").stdout.endswith("\n200 1.1"))
        self.assertEqual(p.metric("meshproxy_listener_tls_not_served",
                                  listener_address=f"0.0.0.0_{self.ports['https']}"), 1)

    def test_sessions_resume_on_a_chain_that_verifies_clients(self):
        # A client that resumes its session (a ticket) on the MUTUAL chain gets the same
        # answer as on its first connection: resumption is not an error.
        self.start()
        ctx = ssl.create_default_context(cafile=self.ca.cert)
        ctx.load_cert_chain(*self.client)
        session = None
        for attempt in range(2):
            with socket.create_connection(("127.0.0.1", self.ports["https"]), timeout=5) as raw:
                with ctx.wrap_socket(raw, server_hostname="admin.example.com",
                                     session=session) as t:
                    t.sendall(b"GET /r HTTP/1.1\r\nhost: admin.example.com\r\n"
                              b"connection: close\r\n\r\n")
                    data = b""
                    while True:
                        chunk = t.recv(65536)
                        if not chunk:
                            break
                        data += chunk
                    self.assertTrue(data.startswith(b"HTTP/1.1 200 "), data[:100])
                    if attempt == 1:
                        self.assertTrue(t.session_reused)
                    session = t.session

if __name__ == "__main__":
    harness.main()
