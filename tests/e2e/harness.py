"""Shared pieces of meshproxy's end-to-end tests: compile a manifest into a bundle, start echo
upstreams and the real meshproxy binary on loopback ports the harness picks, speak raw HTTP/1.1.

Every wait is bounded (DEADLINE seconds at most); every process started is stopped in tearDown.
A test module calls harness.main() so that CTest sees exit 0 (pass), 1 (a failure) or 77 (every
test skipped, e.g. curl is missing).

Usage from CTest: python3 test_x.py --bin BUILD/bin [unittest arguments]
"""
import argparse
import json
import os
import random
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import unittest
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
DEADLINE = 15.0
BIN = None


def free_port():
    """A loopback port nobody listens on right now, below the kernel's ephemeral range: a port
    the kernel hands out (bind to 0, or the local end of any outgoing connection, of this test
    or a parallel one) can be taken between this call and the proxy's bind."""
    for _ in range(1000):
        port = random.randint(20000, 32000)
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise AssertionError("no free port in 20000-32000")


def free_ports(count):
    """`count` distinct free loopback ports (free_port() may hand out a port twice)."""
    ports = []
    for _ in range(100 * count):
        p = free_port()
        if p not in ports:
            ports.append(p)
        if len(ports) == count:
            return ports
    raise AssertionError(f"no {count} distinct free ports")


def wait_until(predicate, timeout=DEADLINE, interval=0.02, what="condition"):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")


class Upstream:
    """tests/e2e/echo_server.py on 127.0.0.1: answers with JSON describing what it received."""

    def __init__(self, name, port=0, args=()):
        self.name = name
        self.proc = subprocess.Popen(
            [sys.executable, os.path.join(HERE, "echo_server.py"), "--name", name, "--port",
             str(port), *args], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        line = self.proc.stdout.readline()
        if not line.startswith("PORT "):
            self.proc.kill()
            raise RuntimeError(f"echo server {name} did not start: {line!r}")
        self.port = int(line.split()[1])

    def stop(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(timeout=DEADLINE)
        self.proc.stdout.close()


class Proxy:
    """The meshproxy binary with an admin port and an access log file."""

    def __init__(self, bundle, workdir, args=(), workers=1, expect_ready=True, prefix=()):
        self.bundle = bundle
        self.admin_port = free_port()
        self.access_log = os.path.join(workdir, f"access-{self.admin_port}.log")
        self.stderr_path = os.path.join(workdir, f"proxy-{self.admin_port}.err")
        self.stderr = open(self.stderr_path, "w")
        cmd = [*prefix, os.path.join(BIN, "meshproxy"), "--bundle", bundle, "--admin",
               f"127.0.0.1:{self.admin_port}", "--workers", str(workers), "--access-log",
               self.access_log, "--listen-address", "127.0.0.1", *args]
        self.proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=self.stderr)
        if expect_ready:
            wait_until(lambda: self.ready_status() == 200 or self.proc.poll() is not None,
                       what="meshproxy /ready")
            if self.proc.poll() is not None:
                raise AssertionError(f"meshproxy exited {self.proc.returncode}: {self.errors()}")

    def admin(self, path, method="GET"):
        req = urllib.request.Request(f"http://127.0.0.1:{self.admin_port}{path}", method=method)
        try:
            with urllib.request.urlopen(req, timeout=5) as r:
                return r.status, r.read().decode()
        except urllib.error.HTTPError as e:
            return e.code, e.read().decode()

    def ready_status(self):
        try:
            return self.admin("/ready")[0]
        except OSError:
            return None

    def errors(self):
        self.stderr.flush()
        with open(self.stderr_path) as f:
            return f.read()

    def log_lines(self, count, timeout=DEADLINE):
        """Waits until the access log holds at least `count` lines (flushed every 100 ms)."""
        def read():
            if not os.path.exists(self.access_log):
                return None
            with open(self.access_log) as f:
                lines = f.read().splitlines()
            return lines if len(lines) >= count else None
        return wait_until(read, timeout, what=f"{count} access log lines")

    def metric(self, name, **labels):
        """Sum of the Prometheus samples named `name` whose labels include `labels`."""
        status, text = self.admin("/stats/prometheus")
        total = 0.0
        for line in text.splitlines():
            if line.startswith("#") or not line.startswith(name):
                continue
            m = re.match(r"^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})? (\S+)$", line)
            if not m or m.group(1) != name:
                continue
            got = dict(re.findall(r'(\w+)="((?:[^"\\]|\\.)*)"', m.group(3) or ""))
            if all(got.get(k) == str(v) for k, v in labels.items()):
                total += float(m.group(4))
        return total

    def signal(self, sig):
        self.proc.send_signal(sig)

    def wait(self, timeout=DEADLINE):
        return self.proc.wait(timeout=timeout)

    def stop(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(timeout=DEADLINE)
        self.stderr.close()


class Response:
    def __init__(self, status, reason, headers, body, version="HTTP/1.1"):
        self.status = status
        self.reason = reason
        self.headers = headers  # [(lower-case name, value)] in wire order
        self.body = body
        self.version = version

    def header(self, name, default=None):
        values = [v for k, v in self.headers if k == name]
        return values[0] if values else default

    def header_all(self, name):
        return [v for k, v in self.headers if k == name]

    def json(self):
        return json.loads(self.body)

    def __repr__(self):
        return f"Response({self.status} {self.reason!r}, {self.headers!r}, {self.body[:200]!r})"


class Client:
    """A raw HTTP/1.1 client connection: send exact bytes, read whole responses."""

    def __init__(self, port, host="127.0.0.1", timeout=DEADLINE):
        self.sock = socket.create_connection((host, port), timeout=timeout)
        self.buf = b""

    def send(self, data):
        self.sock.sendall(data if isinstance(data, bytes) else data.encode())

    def _fill(self):
        chunk = self.sock.recv(65536)
        if not chunk:
            raise EOFError("connection closed")
        self.buf += chunk

    def _line(self):
        while b"\r\n" not in self.buf:
            self._fill()
        line, self.buf = self.buf.split(b"\r\n", 1)
        return line

    def _exact(self, n):
        while len(self.buf) < n:
            self._fill()
        data, self.buf = self.buf[:n], self.buf[n:]
        return data

    def read_response(self, head_request=False):
        """One response; 1xx interim responses are returned too (the caller reads again)."""
        status_line = self._line().decode("latin-1")
        version, status, reason = (status_line.split(" ", 2) + [""])[:3]
        headers = []
        while True:
            line = self._line()
            if not line:
                break
            name, value = line.decode("latin-1").split(":", 1)
            headers.append((name.strip().lower(), value.strip()))
        resp = Response(int(status), reason, headers, b"", version)
        status = int(status)
        if head_request or 100 <= status < 200 or status in (204, 304):
            return resp
        te = resp.header("transfer-encoding")
        cl = resp.header("content-length")
        if te and te.lower() == "chunked":
            body = b""
            while True:
                size = int(self._line().split(b";")[0], 16)
                if size == 0:
                    while self._line():
                        pass
                    break
                body += self._exact(size)
                self._exact(2)
            resp.body = body
        elif cl is not None:
            resp.body = self._exact(int(cl))
        else:
            try:
                while True:
                    self._fill()
            except EOFError:
                pass
            resp.body, self.buf = self.buf, b""
        return resp

    def closed(self, timeout=2.0):
        """True when the peer closed the connection (EOF) within `timeout`."""
        self.sock.settimeout(timeout)
        try:
            data = self.sock.recv(1)
            if data:
                self.buf += data
                return False
            return True
        except socket.timeout:
            return False
        except ConnectionResetError:
            return True
        finally:
            self.sock.settimeout(DEADLINE)

    def close(self):
        self.sock.close()


def request(port, method="GET", path="/", headers=None, body=b"", host="example.com"):
    """One request on a new connection, `connection: close`; returns the Response."""
    lines = [f"{method} {path} HTTP/1.1", f"host: {host}"]
    for k, v in (headers or {}).items():
        lines.append(f"{k}: {v}")
    if body:
        lines.append(f"content-length: {len(body)}")
    lines.append("connection: close")
    c = Client(port)
    try:
        c.send(("\r\n".join(lines) + "\r\n\r\n").encode() + body)
        return c.read_response(head_request=(method == "HEAD"))
    finally:
        c.close()


class ProxyTest(unittest.TestCase):
    """Base class: a temp dir, helpers to compile bundles and start processes, all cleaned up."""

    def setUp(self):
        self.workdir = tempfile.mkdtemp(prefix="meshproxy-e2e-")
        self._procs = []

    def tearDown(self):
        for p in reversed(self._procs):
            try:
                p.stop()
            except Exception:
                pass
        shutil.rmtree(self.workdir, ignore_errors=True)

    def compile(self, manifest, name="routes.mcb", proxy=("--gateway", "istio=ingressgateway"),
                extra=()):
        src = os.path.join(self.workdir, name + ".yaml")
        with open(src, "w") as f:
            f.write(manifest)
        out = os.path.join(self.workdir, name)
        r = subprocess.run([os.path.join(BIN, "meshc"), "compile", "-f", src, *proxy, "-o", out,
                            *extra], capture_output=True, text=True, timeout=120)
        self.assertEqual(r.returncode, 0, r.stderr)
        return out

    def upstream(self, name, port=0, args=()):
        u = Upstream(name, port, args)
        self._procs.append(u)
        return u

    def proxy(self, bundle, *args, workers=1, expect_ready=True, prefix=()):
        """meshproxy on `bundle`; `prefix` runs it under another command (setpriv, say)."""
        p = Proxy(bundle, self.workdir, args, workers=workers, expect_ready=expect_ready,
                  prefix=prefix)
        self._procs.append(p)
        return p


def gateway_yaml(gw_port, hosts='["*"]', namespace="istio-system"):
    """The Gateway `gw` of the ingress gateway (istio=ingressgateway): one plain-HTTP server."""
    return f"""apiVersion: networking.istio.io/v1
kind: Gateway
metadata: {{name: gw, namespace: {namespace}}}
spec:
  selector: {{istio: ingressgateway}}
  servers:
  - port: {{number: {gw_port}, name: http, protocol: HTTP}}
    hosts: {hosts}
"""


def service_entry(name, port, target_port, protocol="HTTP"):
    """A STATIC ServiceEntry `NAME.local` in istio-system: `port` → 127.0.0.1:`target_port`."""
    return f"""apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: {{name: {name}, namespace: istio-system}}
spec:
  hosts: [{name}.local]
  ports: [{{number: {port}, name: {protocol.lower()}-{name}, protocol: {protocol}, targetPort: {target_port}}}]
  resolution: STATIC
  location: MESH_EXTERNAL
  endpoints: [{{address: 127.0.0.1}}]
"""


def gateway_manifest(gw_port, upstreams, routes_yaml, hosts='["*"]', extra=""):
    """A Gateway on `gw_port` (hosts `hosts`), one ServiceEntry per upstream name → port
    (`NAME.local`, port 80 → the echo server's port), and a VirtualService with `routes_yaml` as
    its `http:` list (indented by 2)."""
    parts = [gateway_yaml(gw_port, hosts)]
    for name, port in upstreams.items():
        parts.append(f"""apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: {{name: {name}, namespace: istio-system}}
spec:
  hosts: [{name}.local]
  ports: [{{number: 80, name: http, protocol: HTTP, targetPort: {port}}}]
  resolution: STATIC
  location: MESH_EXTERNAL
  endpoints: [{{address: 127.0.0.1}}]
""")
    parts.append(f"""apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {{name: vs, namespace: istio-system}}
spec:
  hosts: {hosts}
  gateways: [gw]
  http:
{routes_yaml}
""")
    if extra:
        parts.append(extra)
    return "---\n".join(parts)


NETNS_ENV = "MESHC_E2E_PRIVATE_NETNS"


def in_private_netns():
    """True inside the network namespace main(private_netns=True) made: loopback only."""
    return os.environ.get(NETNS_ENV) == "1"


def main(private_netns=False):
    """Runs the file's test cases. private_netns: re-run them inside a network namespace of
    their own (`unshare -n`, loopback up, removed when they exit) when the kernel allows it, so
    that nothing they do (a DNS query, say) can leave the machine; cases that need it check
    in_private_netns() and skip otherwise."""
    global BIN
    if private_netns and not in_private_netns():
        probe = subprocess.run(["unshare", "-n", "true"], capture_output=True)
        if probe.returncode == 0:
            env = dict(os.environ, **{NETNS_ENV: "1"})
            r = subprocess.run(["unshare", "-n", "sh", "-c", 'ip link set lo up && exec "$0" "$@"',
                                sys.executable, *sys.argv], env=env)
            sys.exit(r.returncode)
        print(f"no private network namespace ({probe.stderr.decode().strip()}): cases that "
              "need one skip", file=sys.stderr)
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", required=True)
    args, rest = ap.parse_known_args()
    BIN = os.path.abspath(args.bin)
    import warnings
    warnings.simplefilter("ignore", ResourceWarning)  # sockets the tests drop on purpose
    program = unittest.main(module="__main__", argv=[sys.argv[0], *rest], exit=False,
                            verbosity=2)
    result = program.result
    if not result.wasSuccessful():
        sys.exit(1)
    if result.testsRun > 0 and len(result.skipped) == result.testsRun:
        sys.exit(77)
    if result.testsRun == 0:
        print("no test ran", file=sys.stderr)
        sys.exit(1)
    sys.exit(0)
