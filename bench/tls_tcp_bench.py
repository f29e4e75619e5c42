#!/usr/bin/env python3
"""meshproxy's TLS termination and TCP proxy on loopback (issue 11's targets):

  https-keepalive  HTTPS termination with keep-alive, meshproxy vs nginx (same certificate, an
                   ECDSA P-256 key, TLS 1.3, both proxying to the same nginx upstream with
                   upstream keep-alive; one worker each; `wrk -t1 -c64` over https): requests/s
                   and CPU µs per request, A/B turns alternated, medians. Target: ≥ 1.1× nginx.
  tcp-throughput   bulk bytes through a Gateway TCP server (tcp_proxy) against the same transfer
                   on a direct connection (same client and sink, Python, 1 MiB writes): MB/s,
                   medians of alternated turns. Target: within 10 % of direct.

Reuses proxy_bench.py's process, package and wrk helpers. `--smoke` is a quick self-check.
"""
import argparse
import os
import shlex
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time

import proxy_bench as pb


def make_cert(d):
    cert, key = os.path.join(d, "bench.crt"), os.path.join(d, "bench.key")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                    "ec_paramgen_curve:prime256v1", "-nodes", "-days", "2", "-subj",
                    "/CN=bench.example", "-addext", "subjectAltName=DNS:bench.example",
                    "-keyout", key, "-out", cert], check=True, capture_output=True, timeout=30)
    creds = os.path.join(d, "credentials", "bench-cert")
    os.makedirs(creds)
    for src, dst in ((cert, "tls.crt"), (key, "tls.key")):
        with open(src, "rb") as f, open(os.path.join(creds, dst), "wb") as out:
            out.write(f.read())
    os.chmod(d, 0o755)
    os.chmod(key, 0o644)  # nginx's worker reads it as nobody (a throwaway bench key)
    return cert, key, os.path.dirname(creds)


def gateway_manifest(https_port, tcp_port, up_port, sink_port):
    return f"""apiVersion: networking.istio.io/v1
kind: Gateway
metadata: {{name: gw, namespace: istio-system}}
spec:
  selector: {{istio: ingressgateway}}
  servers:
  - port: {{number: {https_port}, name: https, protocol: HTTPS}}
    hosts: ["*"]
    tls: {{mode: SIMPLE, credentialName: bench-cert}}
  - port: {{number: {tcp_port}, name: tcp, protocol: TCP}}
    hosts: ["*"]
---
apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: {{name: up, namespace: istio-system}}
spec:
  hosts: [up.local]
  ports: [{{number: 80, name: http, protocol: HTTP, targetPort: {up_port}}}]
  resolution: STATIC
  location: MESH_EXTERNAL
  endpoints: [{{address: 127.0.0.1}}]
---
apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: {{name: sink, namespace: istio-system}}
spec:
  hosts: [sink.local]
  ports: [{{number: 9000, name: tcp, protocol: TCP, targetPort: {sink_port}}}]
  resolution: STATIC
  location: MESH_EXTERNAL
  endpoints: [{{address: 127.0.0.1}}]
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {{name: vs, namespace: istio-system}}
spec:
  hosts: ["*"]
  gateways: [gw]
  http:
  - route: [{{destination: {{host: up.local, port: {{number: 80}}}}}}]
  tcp:
  - match: [{{port: {tcp_port}}}]
    route: [{{destination: {{host: sink.local, port: {{number: 9000}}}}}}]
"""


def nginx_https_conf(d, port, up_port, cert, key):
    return pb.nginx_common(d, "nginx-tls") + "http {\n" + pb.nginx_http_common(d, "nginx-tls") + f"""
  upstream up {{ server 127.0.0.1:{up_port}; keepalive 128; keepalive_requests 10000000; }}
  server {{
    listen 127.0.0.1:{port} ssl reuseport backlog=4096;
    ssl_certificate {cert};
    ssl_certificate_key {key};
    ssl_protocols TLSv1.2 TLSv1.3;
    location / {{ proxy_pass http://up; proxy_http_version 1.1; proxy_set_header Connection ""; }}
  }}
}}
"""


def https_status(port):
    r = subprocess.run(["curl", "-sk", "-o", "/dev/null", "-w", "%{http_code}",
                        f"https://127.0.0.1:{port}/"], capture_output=True, text=True, timeout=10)
    return r.stdout


class Sink:
    """Counts and drops every byte of each connection (a thread per connection)."""

    def __init__(self):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.port = self.sock.getsockname()[1]
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while True:
            try:
                c, _ = self.sock.accept()
            except OSError:
                return
            threading.Thread(target=self._drain, args=(c,), daemon=True).start()

    @staticmethod
    def _drain(c):
        buf = bytearray(1 << 20)
        total = 0
        with c:
            while True:
                n = c.recv_into(buf)
                if n == 0:
                    break
                total += n
            c.sendall(str(total).encode())


def transfer(port, total):
    """Sends `total` bytes to 127.0.0.1:port and waits for the sink's count: MB/s."""
    chunk = b"x" * (1 << 20)
    start = time.monotonic()
    with socket.create_connection(("127.0.0.1", port), timeout=60) as s:
        sent = 0
        while sent < total:
            s.sendall(chunk)
            sent += len(chunk)
        s.shutdown(socket.SHUT_WR)
        got = b""
        while True:
            part = s.recv(64)
            if not part:
                break
            got += part
    elapsed = time.monotonic() - start
    if int(got or b"0") != total:
        raise RuntimeError(f"sink counted {got!r}, sent {total}")
    return total / elapsed / 1e6


def main(argv):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--duration", type=float, default=5)
    ap.add_argument("--connections", type=int, default=64)
    ap.add_argument("--bytes", type=int, default=2 << 30, help="bytes per TCP turn (2 GiB)")
    ap.add_argument("--meshproxy", default=os.path.join(pb.ROOT, "build", "bin", "meshproxy"))
    ap.add_argument("--meshc", default=os.path.join(pb.ROOT, "build", "bin", "meshc"))
    ap.add_argument("--smoke", action="store_true", help="1 round, 1 s turns, 64 MiB transfers")
    args = ap.parse_args(argv)
    if args.smoke:
        args.rounds, args.duration, args.bytes = 1, 1, 64 << 20
    pb.ensure_packages({"nginx", "wrk"})
    workdir = tempfile.mkdtemp(prefix="tls-tcp-bench-")
    os.chmod(workdir, 0o755)
    cert, key, creds = make_cert(workdir)
    upstream = pb.start_upstream(workdir)
    sink = Sink()
    https_port, tcp_port = pb.free_port(), pb.free_port()
    src = os.path.join(workdir, "gw.yaml")
    with open(src, "w") as f:
        f.write(gateway_manifest(https_port, tcp_port, upstream.port, sink.port))
    bundle = os.path.join(workdir, "gw.mcb")
    subprocess.run([args.meshc, "compile", "-f", src, "--gateway", "istio=ingressgateway", "-o",
                    bundle], check=True, capture_output=True, timeout=120)
    admin = pb.free_port()
    mesh = pb.Server("meshproxy", [args.meshproxy, "--bundle", bundle, "--admin",
                                   f"127.0.0.1:{admin}", "--workers", "1", "--listen-address",
                                   "127.0.0.1", "--credentials", creds],
                     https_port, workdir, ready_path="/ready", ready_port=admin)
    nginx_port = pb.free_port()
    conf = os.path.join(workdir, "nginx-tls.conf")
    with open(conf, "w") as f:
        f.write(nginx_https_conf(workdir, nginx_port, upstream.port, cert, key))
    ngx = pb.spawn(["nginx", "-p", workdir, "-e", os.path.join(workdir, "nginx-tls.err"), "-g",
                    "daemon off;", "-c", conf], os.path.join(workdir, "nginx-tls.out"))
    deadline = time.monotonic() + pb.START_TIMEOUT
    while https_status(nginx_port) != "200" and time.monotonic() < deadline:
        time.sleep(0.05)
    nginx = type("N", (), {})()
    nginx.pids, nginx.port = pb.descendants(ngx.pid), nginx_port
    for name, port in (("meshproxy", https_port), ("nginx", nginx_port)):
        if https_status(port) != "200":
            sys.exit(f"{name}: GET https://127.0.0.1:{port}/ did not answer 200")
    samples = {"meshproxy": [], "nginx": []}
    servers = {"meshproxy": (mesh.pids, https_port), "nginx": (nginx.pids, nginx_port)}
    for rnd in range(args.rounds):
        for name in (["meshproxy", "nginx"] if rnd % 2 == 0 else ["nginx", "meshproxy"]):
            pids, port = servers[name]
            cmd = ["wrk", "-t1", f"-c{args.connections}", f"-d{args.duration:g}s",
                   f"https://127.0.0.1:{port}/"]
            subprocess.run(cmd[:3] + ["-d1s", cmd[4]], capture_output=True, timeout=60)  # warm
            c0 = pb.cpu_seconds(pids)
            r = subprocess.run(cmd, capture_output=True, text=True, timeout=args.duration + 60)
            c1 = pb.cpu_seconds(pids)
            if "Requests/sec:" not in r.stdout:
                raise RuntimeError(f"{shlex.join(cmd)} exited {r.returncode}: {r.stdout}{r.stderr}")
            rps = float(r.stdout.split("Requests/sec:")[1].split()[0])
            n = int(r.stdout.split(" requests in ")[0].split()[-1])
            samples[name].append((rps, (c1 - c0) * 1e6 / max(n, 1)))
            print(f"  [https-keepalive] round {rnd + 1} {name:9s} {rps:9.0f} req/s "
                  f"{samples[name][-1][1]:6.2f} us/req", file=sys.stderr)
    tcp = {"direct": [], "meshproxy": []}
    for rnd in range(args.rounds):
        for name in (["direct", "meshproxy"] if rnd % 2 == 0 else ["meshproxy", "direct"]):
            mbps = transfer(sink.port if name == "direct" else tcp_port, args.bytes)
            tcp[name].append(mbps)
            print(f"  [tcp-throughput] round {rnd + 1} {name:9s} {mbps:9.0f} MB/s",
                  file=sys.stderr)
    pb.stop(ngx)
    mesh.stop()
    upstream.stop()
    med = statistics.median
    m_rps, n_rps = med(s[0] for s in samples["meshproxy"]), med(s[0] for s in samples["nginx"])
    m_cpu, n_cpu = med(s[1] for s in samples["meshproxy"]), med(s[1] for s in samples["nginx"])
    print(f"\nhttps-keepalive ({args.rounds} rounds x {args.duration:g} s, wrk -t1 "
          f"-c{args.connections}, medians)")
    print(f"  meshproxy {m_rps:9.0f} req/s {m_cpu:6.2f} CPU us/req")
    print(f"  nginx     {n_rps:9.0f} req/s {n_cpu:6.2f} CPU us/req")
    print(f"  ratio     {m_rps / n_rps:9.2f}x req/s {m_cpu / n_cpu:6.2f}x CPU/req  "
          f"(target >= 1.1x req/s)")
    d, p = med(tcp["direct"]), med(tcp["meshproxy"])
    print(f"\ntcp-throughput ({args.rounds} rounds x {args.bytes >> 20} MiB, medians)")
    print(f"  direct    {d:9.0f} MB/s\n  meshproxy {p:9.0f} MB/s\n  ratio     {p / d:9.2f}x "
          f"(target >= 0.9x)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
