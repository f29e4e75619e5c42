#!/usr/bin/env python3
"""meshproxy against nginx, HAProxy and h2o on loopback: requests/s, p99 latency and CPU per
request of each proxy (one worker each, same nginx upstream, wrk as the client), the time to
/ready and resident memory with a 10,000-route bundle, and memory per idle connection.

Entry point: main(). `python3 bench/proxy_bench.py --smoke` is the quick self-check (< 1 min).
The comparison servers and wrk come from Debian (installed here if missing, never started as
system services); every child runs in the foreground from a config in a temp dir and is killed
at exit. See bench/README.md.
"""
import argparse
import atexit
import json
import os
import platform
import re
import resource
import shlex
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
CLK_TCK = os.sysconf("SC_CLK_TCK")
PAGE = os.sysconf("SC_PAGE_SIZE")
START_TIMEOUT = 20.0  # seconds any server gets to accept connections / answer /ready
ALL_PROXIES = ("meshproxy", "nginx", "haproxy", "h2o")
LOAD_SCENARIOS = ("one-route", "prefix-1000", "regex-1000")
ALL_SCENARIOS = LOAD_SCENARIOS + ("ready-10k", "reload-10k", "idle-conns")
# Debian package → the executable it provides. nginx-light is the smallest nginx with proxy
# and upstream keepalive; any installed nginx flavour is accepted.
PACKAGES = (("nginx-light", "nginx"), ("haproxy", "haproxy"), ("h2o", "h2o"), ("wrk", "wrk"))
ROUTES_BIG = 1000

# ---------------------------------------------------------------------------------------------
# Child processes: each in its own process group, all killed at exit, every wait bounded.

CHILDREN = []


def spawn(cmd, log_path, **kw):
    log = open(log_path, "ab")
    p = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                         start_new_session=True, **kw)
    log.close()
    p.log_path = log_path
    CHILDREN.append(p)
    return p


def stop(p, grace=3.0):
    """SIGTERM to the child's process group (nginx master + worker), SIGKILL after `grace`."""
    if p.poll() is None:
        for sig, wait in ((signal.SIGTERM, grace), (signal.SIGKILL, 5.0)):
            try:
                os.killpg(p.pid, sig)
            except ProcessLookupError:
                break
            try:
                p.wait(timeout=wait)
                break
            except subprocess.TimeoutExpired:
                continue
    else:
        # The leader is gone; its group (e.g. an nginx worker) may not be.
        try:
            os.killpg(p.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
    if p in CHILDREN:
        CHILDREN.remove(p)


def stop_all():
    for p in reversed(list(CHILDREN)):
        try:
            stop(p, grace=1.0)
        except Exception:  # noqa: BLE001 - best effort at exit
            pass


def _on_signal(signum, _frame):
    raise SystemExit(128 + signum)


def tail(path, n=20):
    try:
        with open(path, errors="replace") as f:
            return "".join(f.readlines()[-n:])
    except OSError:
        return ""


# ---------------------------------------------------------------------------------------------
# /proc readings


def descendants(pid):
    """pid and every live descendant (nginx's master has its worker as a child)."""
    parents = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as f:
                    fields = f.read().rsplit(")", 1)[1].split()
                parents.setdefault(int(fields[1]), []).append(int(entry))
            except (OSError, IndexError):
                continue
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        out.append(p)
        todo.extend(parents.get(p, []))
    return out


def cpu_seconds(pids):
    """utime+stime (all threads) summed over `pids`, in seconds; exited pids count 0."""
    total = 0
    for p in pids:
        try:
            with open(f"/proc/{p}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])  # fields 14 and 15 of proc(5)
        except (OSError, IndexError):
            pass
    return total / CLK_TCK


def rss_bytes(pids, field="VmRSS"):
    """Sum of a /proc/<pid>/status memory field (VmRSS, RssAnon, RssFile) in bytes."""
    total = 0
    for p in pids:
        try:
            with open(f"/proc/{p}/status") as f:
                for line in f:
                    if line.startswith(field + ":"):
                        total += int(line.split()[1]) * 1024
        except OSError:
            pass
    return total


def loadavg():
    with open("/proc/loadavg") as f:
        return " ".join(f.read().split()[:3])


def machine():
    model = "unknown"
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    return {"nproc": os.cpu_count(), "cpu": model, "kernel": platform.release(),
            "python": platform.python_version()}


# ---------------------------------------------------------------------------------------------
# Installing the comparison servers


def ensure_packages(needed_bins):
    missing = []
    for pkg, exe in PACKAGES:
        if exe not in needed_bins or shutil.which(exe):
            continue
        ok = subprocess.run(["dpkg", "-s", pkg], stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL, timeout=30).returncode == 0
        if not ok or not shutil.which(exe):
            missing.append(pkg)
    if not missing:
        return
    if os.geteuid() != 0:
        sys.exit(f"proxy_bench: missing {' '.join(missing)}; run as root or "
                 f"`apt-get install {' '.join(missing)}`")
    # Debian starts nginx/haproxy/h2o as services on install (port 80 etc.): a policy-rc.d that
    # exits 101 forbids that. Only remove it again if this script created it.
    guard = "/usr/sbin/policy-rc.d"
    created = False
    if not os.path.exists(guard):
        with open(guard, "w") as f:
            f.write("#!/bin/sh\nexit 101\n")
        os.chmod(guard, 0o755)
        created = True
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    try:
        print(f"proxy_bench: installing {' '.join(missing)}", file=sys.stderr)
        r = subprocess.run(["apt-get", "install", "-y", "--no-install-recommends", *missing],
                           env=env, timeout=900)
        if r.returncode != 0:
            subprocess.run(["apt-get", "update"], env=env, timeout=600)
            r = subprocess.run(["apt-get", "install", "-y", "--no-install-recommends", *missing],
                               env=env, timeout=900)
        if r.returncode != 0:
            sys.exit(f"proxy_bench: apt-get install {' '.join(missing)} failed")
    finally:
        if created:
            os.unlink(guard)


def version_of(exe):
    cmds = {"nginx": ["nginx", "-v"], "haproxy": ["haproxy", "-v"], "h2o": ["h2o", "--version"],
            "wrk": ["wrk", "--version"]}
    try:
        r = subprocess.run(cmds[exe], capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.TimeoutExpired):
        return "?"
    m = re.search(r"(\d+\.\d+(?:\.\d+)?[\w.+~-]*)", r.stdout + r.stderr)
    return f"{exe} {m.group(1)}" if m else f"{exe} ?"


# ---------------------------------------------------------------------------------------------
# Networking helpers


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def http_get(port, path="/", timeout=2.0):
    """Status code of a one-shot GET (connection: close), or None if nothing answers."""
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=timeout) as s:
            s.sendall(f"GET {path} HTTP/1.1\r\nhost: bench\r\nconnection: close\r\n\r\n".encode())
            data = b""
            while b"\r\n" not in data:
                chunk = s.recv(4096)
                if not chunk:
                    break
                data += chunk
        m = re.match(rb"HTTP/1\.[01] (\d{3})", data)
        return int(m.group(1)) if m else None
    except OSError:
        return None


def wait_http(port, path, proc, want=200, timeout=START_TIMEOUT, interval=0.02):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if proc.poll() is not None:
            raise RuntimeError(f"{proc.args[0]} exited {proc.returncode}:\n{tail(proc.log_path)}")
        if http_get(port, path, timeout=1.0) == want:
            return
        time.sleep(interval)
    raise RuntimeError(f"{proc.args[0]}: no {want} on :{port}{path} within {timeout}s\n"
                       f"{tail(proc.log_path)}")


# ---------------------------------------------------------------------------------------------
# Routes: the same table for every proxy. `kind` is one / prefix / regex.


def route_table(kind, count):
    if kind == "one":
        return [], "/hello"
    if kind == "prefix":
        return [f"/p{i:04d}/" for i in range(count)], f"/p{count - 1:04d}/hello"
    return [f"/r{i:04d}/[a-z]+" for i in range(count)], f"/r{count - 1:04d}/hello"


def istio_manifest(kind, routes, gw_port, up_port):
    """Gateway on gw_port, ServiceEntry up.local → the upstream, one VirtualService."""
    lines = []
    if kind == "one":
        lines.append("  - name: all\n    route: [{destination: {host: up.local, port: {number: 80}}}]")
    else:
        key = "prefix" if kind == "prefix" else "regex"
        for i, r in enumerate(routes):
            lines.append(f"  - name: r{i:05d}\n    match: [{{uri: {{{key}: \"{r}\"}}}}]\n"
                         f"    route: [{{destination: {{host: up.local, port: {{number: 80}}}}}}]")
    return f"""apiVersion: networking.istio.io/v1
kind: Gateway
metadata: {{name: bench-gw, namespace: istio-system}}
spec:
  selector: {{istio: ingressgateway}}
  servers:
  - port: {{number: {gw_port}, name: http, protocol: HTTP}}
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
kind: VirtualService
metadata: {{name: bench, namespace: istio-system}}
spec:
  hosts: ["*"]
  gateways: [bench-gw]
  http:
""" + "\n".join(lines) + "\n"


def compile_bundle(meshc, workdir, name, manifest):
    src = os.path.join(workdir, name)
    os.makedirs(src, exist_ok=True)
    with open(os.path.join(src, "bench.yaml"), "w") as f:
        f.write(manifest)
    out = os.path.join(workdir, name + ".mcb")
    cmd = [meshc, "compile", "-f", src, "--gateway", "istio=ingressgateway", "-o", out]
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
    if r.returncode != 0:
        raise RuntimeError(f"{shlex.join(cmd)} exited {r.returncode}:\n{r.stderr[-4000:]}")
    return out


# ---------------------------------------------------------------------------------------------
# Server configs


def nginx_common(d, name):
    # Temp paths and the pid file in the temp dir so a non-default prefix never needs /var/lib.
    return f"""worker_processes 1;
worker_rlimit_nofile {NOFILE};
pid {d}/{name}.pid;
error_log {d}/{name}.error.log warn;
events {{ worker_connections {MAX_CONNS}; multi_accept on; }}
"""


def nginx_http_common(d, name):
    return f"""  access_log off;
  client_body_temp_path {d}/{name}-body;
  proxy_temp_path {d}/{name}-proxy;
  keepalive_requests 10000000;
  keepalive_timeout 3600s;
"""


def upstream_conf(d, port):
    return nginx_common(d, "upstream") + "http {\n" + nginx_http_common(d, "upstream") + f"""
  server {{
    listen 127.0.0.1:{port} reuseport backlog=4096;
    location / {{ return 200 "ok\\n"; }}
  }}
}}
"""


def nginx_conf(d, port, up_port, kind, routes):
    proxy = ("proxy_pass http://up; proxy_http_version 1.1; "
             "proxy_set_header Connection \"\";")
    if kind == "one":
        locations = f"    location / {{ {proxy} }}\n"
    elif kind == "prefix":
        locations = "".join(f"    location {r} {{ {proxy} }}\n" for r in routes)
        locations += "    location / { return 404; }\n"
    else:
        # Istio regex matches the whole path (RE2 full match): anchor both ends.
        locations = "".join(f"    location ~ ^{r}$ {{ {proxy} }}\n" for r in routes)
        locations += "    location / { return 404; }\n"
    return nginx_common(d, "nginx") + "http {\n" + nginx_http_common(d, "nginx") + f"""
  upstream up {{
    server 127.0.0.1:{up_port};
    keepalive 64;
    keepalive_requests 10000000;
    keepalive_timeout 3600s;
  }}
  server {{
    listen 127.0.0.1:{port} backlog=4096;
{locations}  }}
}}
"""


def haproxy_maxconn():
    return (NOFILE - 256) // 2


def haproxy_conf(d, port, up_port, kind, routes):
    rules = ""
    if kind != "one":
        fetch = "path_beg" if kind == "prefix" else "path_reg"
        pats = routes if kind == "prefix" else [f"^{r}$" for r in routes]
        rules = "".join(f"  acl a{i:04d} {fetch} {p}\n" for i, p in enumerate(pats))
        rules += "".join(f"  use_backend up if a{i:04d}\n" for i in range(len(pats)))
    default = "up" if kind == "one" else "notfound"
    return f"""global
  nbthread 1
  # HAProxy reserves 2 fds per maxconn and refuses to start above the hard limit.
  maxconn {haproxy_maxconn()}
  pidfile {d}/haproxy.pid
defaults
  mode http
  timeout connect 5s
  timeout client 3600s
  timeout server 60s
  timeout http-keep-alive 3600s
  option http-keep-alive
frontend fe
  bind 127.0.0.1:{port} backlog 4096
{rules}  default_backend {default}
backend up
  http-reuse always
  server s1 127.0.0.1:{up_port}
backend notfound
  http-request return status 404
"""


def h2o_conf(d, port, up_port, kind, routes):
    if kind == "regex":
        return None  # h2o's path mapping is prefix-only (regex needs mruby)
    paths = ["/"] if kind == "one" else routes
    body = "".join(f'      "{p}":\n        proxy.reverse.url: "http://127.0.0.1:{up_port}{p}"\n'
                   for p in paths)
    if kind != "one":
        body += '      "/":\n        file.dir: "' + d + '/empty"\n'
        os.makedirs(os.path.join(d, "empty"), exist_ok=True)
    user = "user: nobody\n" if os.geteuid() == 0 else ""
    return f"""{user}num-threads: 1
max-connections: {MAX_CONNS}
proxy.timeout.keepalive: 3600000
http1-request-timeout: 3600
listen:
  host: 127.0.0.1
  port: {port}
hosts:
  "default":
    paths:
{body}"""


# ---------------------------------------------------------------------------------------------
# Proxies


class Server:
    """One proxy under test: started from a config, measured by pid tree."""

    def __init__(self, name, cmd, port, workdir, ready_path="/", ready_port=None):
        self.name = name
        self.port = port
        self.cmd = cmd
        self.proc = spawn(cmd, os.path.join(workdir, f"{name}.out"))
        wait_http(ready_port or port, ready_path, self.proc)
        self.pids = descendants(self.proc.pid)

    def cpu(self):
        return cpu_seconds(self.pids)

    def rss(self):
        return rss_bytes(self.pids)

    def stop(self):
        stop(self.proc)


def start_upstream(workdir):
    port = free_port()
    conf = os.path.join(workdir, "upstream.conf")
    with open(conf, "w") as f:
        f.write(upstream_conf(workdir, port))
    s = Server("upstream", ["nginx", "-p", workdir, "-e", os.path.join(workdir, "upstream.err"),
                            "-g", "daemon off;", "-c", conf], port, workdir)
    return s


def start_proxy(name, args, workdir, up_port, kind, routes, bundle=None, gw_port=None):
    d = os.path.join(workdir, f"{name}-{kind}")
    os.makedirs(d, exist_ok=True)
    os.chmod(d, 0o755)  # nginx/h2o workers drop to nobody
    if name == "meshproxy":
        admin = free_port()
        cmd = [args.meshproxy, "--bundle", bundle, "--admin", f"127.0.0.1:{admin}", "--workers",
               "1", "--listen-address", "127.0.0.1"]
        return Server(name, cmd, gw_port, d, ready_path="/ready", ready_port=admin)
    port = free_port()
    if name == "nginx":
        text = nginx_conf(d, port, up_port, kind, routes)
    elif name == "haproxy":
        text = haproxy_conf(d, port, up_port, kind, routes)
    else:
        text = h2o_conf(d, port, up_port, kind, routes)
        if text is None:
            return None
    conf = os.path.join(d, f"{name}.conf")
    with open(conf, "w") as f:
        f.write(text)
    if name == "nginx":
        cmd_tail = ["nginx", "-p", d, "-e", os.path.join(d, "nginx.err"), "-g", "daemon off;",
                    "-c", conf]
    elif name == "haproxy":
        cmd_tail = ["haproxy", "-f", conf, "-db"]
    else:
        cmd_tail = ["h2o", "-c", conf]
    # The request path must reach the upstream through the proxy: 200 on the hit path.
    _, hit = route_table(kind, len(routes) if routes else 1)
    return Server(name, cmd_tail, port, d, ready_path=hit)


# ---------------------------------------------------------------------------------------------
# wrk


UNITS = {"us": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0}


def parse_duration(text):
    m = re.match(r"([\d.]+)(us|ms|s|m)$", text)
    return float(m.group(1)) * UNITS[m.group(2)] if m else float("nan")


def run_wrk(port, path, duration, connections):
    cmd = ["wrk", "-t1", f"-c{connections}", f"-d{duration}s", "--latency",
           f"http://127.0.0.1:{port}{path}"]
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=duration + 60)
    out = r.stdout
    if r.returncode != 0:
        raise RuntimeError(f"{shlex.join(cmd)} exited {r.returncode}: {r.stderr}{out}")
    res = {"cmd": shlex.join(cmd)}
    m = re.search(r"(\d+) requests in ([\d.]+)(\w+)", out)
    res["requests"] = int(m.group(1)) if m else 0
    m = re.search(r"Requests/sec:\s+([\d.]+)", out)
    res["rps"] = float(m.group(1)) if m else 0.0
    for q in ("50", "75", "90", "99"):
        m = re.search(rf"^\s+{q}%\s+(\S+)", out, re.M)
        res[f"p{q}"] = parse_duration(m.group(1)) if m else float("nan")
    m = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    res["non2xx"] = int(m.group(1)) if m else 0
    m = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    res["socket_errors"] = sum(map(int, m.groups())) if m else 0
    return res


def measure(server, upstream, path, duration, connections):
    c0, u0 = server.cpu(), upstream.cpu()
    res = run_wrk(server.port, path, duration, connections)
    c1, u1 = server.cpu(), upstream.cpu()
    n = max(res["requests"], 1)
    res["cpu_us_per_req"] = (c1 - c0) * 1e6 / n
    res["upstream_cpu_us_per_req"] = (u1 - u0) * 1e6 / n
    res["proxy_cpu_util"] = (c1 - c0) / duration
    return res


# ---------------------------------------------------------------------------------------------
# Scenarios


def scenario_load(args, scenario, workdir, upstream, proxies):
    kind = {"one-route": "one", "prefix-1000": "prefix", "regex-1000": "regex"}[scenario]
    routes, path = route_table(kind, ROUTES_BIG)
    servers = {}
    try:
        for name in proxies:
            bundle = gw = None
            if name == "meshproxy":
                gw = free_port()
                bundle = compile_bundle(args.meshc, workdir, f"bundle-{scenario}",
                                        istio_manifest(kind, routes, gw, upstream.port))
            s = start_proxy(name, args, workdir, upstream.port, kind, routes, bundle, gw)
            if s is not None:
                servers[name] = s
            # Sanity: the hit path goes through to the upstream (200), a miss does not.
            if s is not None and http_get(s.port, path) != 200:
                raise RuntimeError(f"{name}: GET {path} did not answer 200")
        names = list(servers)
        samples = {n: [] for n in names}
        load = [loadavg()]
        for rnd in range(args.rounds):
            order = names[rnd % len(names):] + names[:rnd % len(names)]
            for n in order:
                if args.warmup > 0:
                    run_wrk(servers[n].port, path, args.warmup, args.connections)
                res = measure(servers[n], upstream, path, args.duration, args.connections)
                res["round"] = rnd + 1
                samples[n].append(res)
                print(f"  [{scenario}] round {rnd + 1}/{args.rounds} {n:9s} "
                      f"{res['rps']:>9.0f} req/s  p99 {res['p99'] * 1e3:7.3f} ms  "
                      f"{res['cpu_us_per_req']:6.2f} us/req", file=sys.stderr)
        load.append(loadavg())
        return {"scenario": scenario, "path": path, "routes": len(routes) or 1,
                "samples": samples, "loadavg_before_after": load,
                "commands": {n: shlex.join(s.cmd) for n, s in servers.items()}}
    finally:
        for s in servers.values():
            s.stop()


def start_only(args):
    """exec → exit of `meshproxy --help`: the process start (dynamic loading, static
    initialisers) that every time-to-ready includes, and its peak RSS (wait4's ru_maxrss)."""
    times, peaks = [], []
    for _ in range(max(args.rounds, 1)):
        t0 = time.monotonic()
        p = subprocess.Popen([args.meshproxy, "--help"], stdout=subprocess.DEVNULL,
                             stderr=subprocess.DEVNULL)
        end = t0 + START_TIMEOUT
        while True:
            pid, _, ru = os.wait4(p.pid, os.WNOHANG)
            if pid:
                p.returncode = 0  # reaped here; keep Popen from waiting again
                break
            if time.monotonic() > end:
                p.kill()
                p.wait(timeout=5)
                raise RuntimeError("meshproxy --help did not exit")
            time.sleep(0.001)
        times.append(time.monotonic() - t0)
        peaks.append(ru.ru_maxrss * 1024)
    return {"exit_s": times, "maxrss_bytes": peaks}


def scenario_ready(args, workdir, upstream):
    """Time from exec to /ready 200 and VmRSS after ready: 1 route vs 10,000 routes."""
    out = {"scenario": "ready-10k", "rows": [], "start_only": start_only(args)}
    for kind, count in (("one", 1), ("prefix", 10000)):
        routes, _ = route_table(kind, count)
        gw = free_port()
        t0 = time.monotonic()
        bundle = compile_bundle(args.meshc, workdir, f"bundle-ready-{count}",
                                istio_manifest(kind, routes, gw, upstream.port))
        compile_s = time.monotonic() - t0
        times, rss, anon = [], [], []
        for _ in range(max(args.rounds, 1)):
            admin = free_port()
            cmd = [args.meshproxy, "--bundle", bundle, "--admin", f"127.0.0.1:{admin}",
                   "--workers", "1", "--listen-address", "127.0.0.1"]
            t0 = time.monotonic()
            p = spawn(cmd, os.path.join(workdir, f"ready-{count}.out"))
            try:
                end = t0 + START_TIMEOUT
                while True:
                    if p.poll() is not None:
                        raise RuntimeError(f"meshproxy exited {p.returncode}:\n{tail(p.log_path)}")
                    if http_get(admin, "/ready", timeout=1.0) == 200:
                        break
                    if time.monotonic() > end:
                        raise RuntimeError("meshproxy: /ready not 200 within "
                                           f"{START_TIMEOUT}s\n{tail(p.log_path)}")
                    time.sleep(0.002)
                times.append(time.monotonic() - t0)
                time.sleep(0.2)  # let the workers settle (first allocations) before reading RSS
                rss.append(rss_bytes([p.pid]))
                anon.append(rss_bytes([p.pid], "RssAnon"))
            finally:
                stop(p)
        out["rows"].append({"routes": count, "bundle_bytes": os.path.getsize(bundle),
                            "compile_s": compile_s, "ready_s": times, "rss_bytes": rss,
                            "rss_anon_bytes": anon})
    return out


def open_idle(port, count, path):
    """`count` keep-alive connections, one request answered on each, left open."""
    req = f"GET {path} HTTP/1.1\r\nhost: bench\r\n\r\n".encode()
    socks, failures = [], 0
    for _ in range(count):
        try:
            s = socket.create_connection(("127.0.0.1", port), timeout=5)
            s.sendall(req)
            data = b""
            # Responses are small: read until the head and a content-length body are in.
            while True:
                chunk = s.recv(4096)
                if not chunk:
                    raise OSError("closed")
                data += chunk
                head, sep, body = data.partition(b"\r\n\r\n")
                if sep:
                    m = re.search(rb"(?i)content-length:\s*(\d+)", head)
                    if m and len(body) >= int(m.group(1)):
                        break
            if not data.startswith(b"HTTP/1.1 200"):
                raise OSError(data[:40])
            socks.append(s)
        except OSError:
            failures += 1
            try:
                s.close()
            except Exception:  # noqa: BLE001
                pass
    return socks, failures


def still_open(socks):
    n = 0
    for s in socks:
        try:
            # Non-blocking mode: a socket with a timeout polls before recv even with DONTWAIT.
            s.setblocking(False)
            if s.recv(1, socket.MSG_PEEK) != b"":
                n += 1
        except BlockingIOError:
            n += 1
        except OSError:
            pass
    return n


def scenario_idle(args, workdir, upstream, proxies):
    kind = "one"
    routes, path = route_table(kind, 1)
    rows = {}
    rounds = max(1, min(args.rounds, 3))
    for rnd in range(rounds):
        order = proxies[rnd % len(proxies):] + proxies[:rnd % len(proxies)]
        for name in order:
            bundle = gw = None
            if name == "meshproxy":
                gw = free_port()
                bundle = compile_bundle(args.meshc, workdir, "bundle-idle",
                                        istio_manifest(kind, routes, gw, upstream.port))
            s = start_proxy(name, args, workdir, upstream.port, kind, routes, bundle, gw)
            socks = []
            try:
                warm, _ = open_idle(s.port, 64, path)  # pools, buffers, first allocations
                for w in warm:
                    w.close()
                time.sleep(0.3)
                r0 = s.rss()
                t0 = time.monotonic()
                count = args.idle_conns
                if name == "haproxy":
                    count = min(count, haproxy_maxconn() - 128)
                socks, failures = open_idle(s.port, count, path)
                open_s = time.monotonic() - t0
                time.sleep(1.0)
                r1 = s.rss()
                alive = still_open(socks)
                rows.setdefault(name, []).append({
                    "rss_before": r0, "rss_after": r1, "opened": len(socks),
                    "failures": failures, "still_open_after_1s": alive, "open_s": open_s,
                    "bytes_per_conn": (r1 - r0) / max(len(socks), 1)})
                print(f"  [idle-conns] round {rnd + 1}/{rounds} {name:9s} "
                      f"{(r1 - r0) / max(len(socks), 1):8.0f} B/conn ({len(socks)} open, "
                      f"{failures} failed)", file=sys.stderr)
            finally:
                for sk in socks:
                    sk.close()
                s.stop()
    return {"scenario": "idle-conns", "connections": args.idle_conns, "rounds": rounds,
            "rows": rows}


# ---------------------------------------------------------------------------------------------
# Report


def med(xs):
    xs = [x for x in xs if x == x]
    return statistics.median(xs) if xs else float("nan")


def fmt_num(x, digits=0):
    if x != x:
        return "n/a"
    return f"{x:,.{digits}f}"


def fmt_ratio(a, b):
    if not b or a != a or b != b:
        return "n/a"
    return f"{a / b:.2f}x"


def report_load(res, lines):
    lines.append(f"### {res['scenario']} (`GET {res['path']}`, {res['routes']} route(s); "
                 f"load {res['loadavg_before_after'][0]} → {res['loadavg_before_after'][1]})")
    lines.append("")
    lines.append("| proxy | req/s median (min–max) | p50 | p99 median (min–max) | proxy CPU µs/req "
                 "| proxy CPU use | upstream CPU µs/req | errors |")
    lines.append("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    meds = {}
    for name, ss in res["samples"].items():
        rps = [s["rps"] for s in ss]
        p99 = [s["p99"] * 1e3 for s in ss]
        m = {"rps": med(rps), "p50": med([s["p50"] * 1e3 for s in ss]), "p99": med(p99),
             "cpu": med([s["cpu_us_per_req"] for s in ss]),
             "util": med([s["proxy_cpu_util"] for s in ss]),
             "up": med([s["upstream_cpu_us_per_req"] for s in ss])}
        meds[name] = m
        errs = sum(s["non2xx"] + s["socket_errors"] for s in ss)
        lines.append(f"| {name} | {fmt_num(m['rps'])} ({fmt_num(min(rps))}–{fmt_num(max(rps))}) "
                     f"| {m['p50']:.3f} ms | {m['p99']:.3f} ms ({min(p99):.3f}–{max(p99):.3f}) "
                     f"| {m['cpu']:.2f} | {m['util'] * 100:.0f}% | {m['up']:.2f} | {errs} |")
    res["medians"] = meds
    lines.append("")
    if "meshproxy" in meds:
        mp = meds["meshproxy"]
        others = [n for n in ("nginx", "haproxy", "h2o") if n in meds]
        if others:
            lines.append("| ratio | req/s | p99 | CPU/req |")
            lines.append("| --- | ---: | ---: | ---: |")
            for o in others:
                lines.append(f"| meshproxy/{o} | {fmt_ratio(mp['rps'], meds[o]['rps'])} | "
                             f"{fmt_ratio(mp['p99'], meds[o]['p99'])} | "
                             f"{fmt_ratio(mp['cpu'], meds[o]['cpu'])} |")
            lines.append("")


def report_ready(res, lines):
    lines.append("### ready-10k (meshproxy: exec → `/ready` 200, VmRSS after ready)")
    lines.append("")
    lines.append("| routes | bundle | meshc compile | time to ready median (min–max) "
                 "| VmRSS after ready | of it anonymous | RSS over 1-route "
                 "| extra RSS / bundle size |")
    lines.append("| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    so = res["start_only"]
    t = [x * 1e3 for x in so["exit_s"]]
    lines.append(f"| `meshproxy --help` (process start only) | | | {med(t):.1f} ms "
                 f"({min(t):.1f}–{max(t):.1f}) to exit | {med(so['maxrss_bytes']) / 2**20:.1f} MiB "
                 "peak | | | |")
    base = None
    for row in res["rows"]:
        rss = med(row["rss_bytes"])
        if base is None:
            base = rss
        extra = rss - base
        t = [x * 1e3 for x in row["ready_s"]]
        lines.append(f"| {row['routes']:,} | {row['bundle_bytes'] / 1024:,.1f} KiB | "
                     f"{row['compile_s']:.2f} s | {med(t):.1f} ms ({min(t):.1f}–{max(t):.1f}) | "
                     f"{rss / 2**20:.1f} MiB | {med(row['rss_anon_bytes']) / 2**20:.1f} MiB | "
                     f"{extra / 2**20:+.1f} MiB | "
                     f"{(extra / row['bundle_bytes']) if row['routes'] > 1 else float('nan'):.2f}"
                     .replace("nan", "–") + " |")
    lines.append("")


def report_idle(res, lines):
    lines.append(f"### idle-conns ({res['connections']:,} idle keep-alive connections, one "
                 f"request each; median of {res['rounds']})")
    lines.append("")
    lines.append("| proxy | RSS before | RSS after | bytes per idle connection | opened | failed "
                 "| still open after 1 s |")
    lines.append("| --- | ---: | ---: | ---: | ---: | ---: | ---: |")
    for name, rows in res["rows"].items():
        lines.append(f"| {name} | {med([r['rss_before'] for r in rows]) / 2**20:.1f} MiB | "
                     f"{med([r['rss_after'] for r in rows]) / 2**20:.1f} MiB | "
                     f"{fmt_num(med([r['bytes_per_conn'] for r in rows]))} | "
                     f"{min(r['opened'] for r in rows):,} | {max(r['failures'] for r in rows)} | "
                     f"{min(r['still_open_after_1s'] for r in rows):,} |")
    lines.append("")


def git_rev(path):
    try:
        r = subprocess.run(["git", "-C", path, "describe", "--always", "--dirty"],
                           capture_output=True, text=True, timeout=10)
        return r.stdout.strip() or "?"
    except (OSError, subprocess.TimeoutExpired):
        return "?"


# ---------------------------------------------------------------------------------------------


def parse_args(argv):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--scenarios", default=",".join(ALL_SCENARIOS),
                    help=f"comma-separated subset of {','.join(ALL_SCENARIOS)}")
    ap.add_argument("--proxies", default=",".join(ALL_PROXIES),
                    help=f"comma-separated subset of {','.join(ALL_PROXIES)}")
    ap.add_argument("--rounds", type=int, default=5, help="A/B rounds; medians reported (5)")
    ap.add_argument("--duration", type=float, default=5, help="measured seconds per turn (5)")
    ap.add_argument("--warmup", type=float, default=1,
                    help="unmeasured seconds of load before each turn (1; 0 = none)")
    ap.add_argument("--connections", type=int, default=64, help="wrk connections (64)")
    ap.add_argument("--idle-conns", type=int, default=10000, help="idle-conns count (10000)")
    ap.add_argument("--meshproxy", default=os.path.join(ROOT, "build", "bin", "meshproxy"))
    ap.add_argument("--meshc", default=os.path.join(ROOT, "build", "bin", "meshc"))
    ap.add_argument("--json", help="also write every sample and the medians here")
    ap.add_argument("--keep", action="store_true", help="keep the temp dir (configs, logs)")
    ap.add_argument("--smoke", action="store_true",
                    help="self-check: 1 round of 2 s, one-route only, 1 s warm-up")
    args = ap.parse_args(argv)
    if args.smoke:
        args.rounds, args.duration, args.warmup, args.scenarios = 1, 2, 1, "one-route"
    args.scenarios = [s for s in args.scenarios.split(",") if s]
    args.proxies = [p for p in args.proxies.split(",") if p]
    for s in args.scenarios:
        if s not in ALL_SCENARIOS:
            ap.error(f"unknown scenario {s!r}; expected one of {', '.join(ALL_SCENARIOS)}")
    for p in args.proxies:
        if p not in ALL_PROXIES:
            ap.error(f"unknown proxy {p!r}; expected one of {', '.join(ALL_PROXIES)}")
    if args.rounds < 1 or args.duration <= 0 or args.connections < 1:
        ap.error("--rounds, --duration and --connections must be positive")
    if args.duration != int(args.duration) or args.warmup != int(args.warmup):
        ap.error("--duration and --warmup must be whole seconds (wrk)")
    args.duration, args.warmup = int(args.duration), int(args.warmup)
    args.meshproxy = os.path.abspath(args.meshproxy)
    args.meshc = os.path.abspath(args.meshc)
    return args


NOFILE = 20000
MAX_CONNS = 16000


def raise_nofile(need):
    """Raise RLIMIT_NOFILE (inherited by every child) as far as the hard limit allows."""
    global NOFILE, MAX_CONNS
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    want = max(soft, need)
    if hard != resource.RLIM_INFINITY and want > hard:
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (want, want))
            hard = want
        except (ValueError, OSError):
            want = hard
    resource.setrlimit(resource.RLIMIT_NOFILE, (want, hard))
    NOFILE = want
    MAX_CONNS = max(1024, want - 512)
    return want


def scenario_reload(args, workdir, upstream):
    """p99 under steady load, then p99 while the 10,000-route bundle is replaced (rename +
    SIGHUP) every 0.5 s, alternating two bundles; medians over the rounds."""
    routes, path = route_table("prefix", 10000)
    gw = free_port()
    bundles = []
    for tag, extra in (("a", []), ("b", ["/reload-marker/"])):
        bundles.append(compile_bundle(args.meshc, workdir, f"bundle-reload-{tag}",
                                      istio_manifest("prefix", extra + routes, gw, upstream.port)))
    live = os.path.join(workdir, "reload-live.mcb")
    shutil.copyfile(bundles[0], live)
    server = start_proxy("meshproxy", args, workdir, upstream.port, "prefix", routes, bundle=live,
                         gw_port=gw)
    out = {"scenario": "reload-10k", "steady": [], "reloading": [], "reloads": []}
    try:
        for _ in range(max(args.rounds, 1)):
            if args.warmup:
                run_wrk(gw, path, args.warmup, args.connections)
            out["steady"].append(run_wrk(gw, path, args.duration, args.connections))
            done = threading.Event()
            count = [0]

            def swap():
                i = 1
                while not done.wait(0.5):
                    tmp = live + ".tmp"
                    shutil.copyfile(bundles[i % 2], tmp)
                    os.replace(tmp, live)
                    server.proc.send_signal(signal.SIGHUP)
                    count[0] += 1
                    i += 1

            t = threading.Thread(target=swap)
            t.start()
            try:
                out["reloading"].append(run_wrk(gw, path, args.duration, args.connections))
            finally:
                done.set()
                t.join(timeout=30)
            out["reloads"].append(count[0])
    finally:
        server.stop()
    return out


def report_reload(res, lines):
    lines.append("### reload-10k (meshproxy, 10,000 prefix routes, the bundle replaced every "
                 "0.5 s under load)")
    lines.append("")
    lines.append("| phase | req/s median | p99 median (min–max) | errors | reloads |")
    lines.append("| --- | ---: | ---: | ---: | ---: |")
    for phase in ("steady", "reloading"):
        runs = res[phase]
        p99 = [r["p99"] * 1e3 for r in runs]
        errors = sum(r["non2xx"] + r["socket_errors"] for r in runs)
        reloads = sum(res["reloads"]) if phase == "reloading" else 0
        lines.append(f"| {phase} | {med([r['rps'] for r in runs]):,.0f} | {med(p99):.2f} ms "
                     f"({min(p99):.2f}–{max(p99):.2f}) | {errors} | {reloads} |")
    steady = med([r["p99"] for r in res["steady"]])
    during = med([r["p99"] for r in res["reloading"]])
    lines.append("")
    lines.append(f"p99 during reloads / steady p99: {during / steady:.2f}x")
    lines.append("")


def main(argv=None):
    args = parse_args(sys.argv[1:] if argv is None else argv)
    signal.signal(signal.SIGTERM, _on_signal)
    signal.signal(signal.SIGINT, _on_signal)
    atexit.register(stop_all)
    command = shlex.join(["python3", os.path.relpath(__file__)] +
                         (sys.argv[1:] if argv is None else argv))
    started = time.monotonic()

    needs_meshproxy = "meshproxy" in args.proxies or any(
        s in args.scenarios for s in ("ready-10k", "reload-10k"))
    for exe in ([args.meshproxy, args.meshc] if needs_meshproxy else []):
        if not os.access(exe, os.X_OK):
            sys.exit(f"proxy_bench: {exe} is not built; ninja -C build meshc meshproxy")
    ensure_packages({"nginx", "wrk"} | set(args.proxies))
    nofile = raise_nofile(2 * args.idle_conns + 1024 if "idle-conns" in args.scenarios else 4096)
    if "idle-conns" in args.scenarios and nofile < args.idle_conns + 256:
        sys.exit(f"proxy_bench: RLIMIT_NOFILE hard limit {nofile} is too low for "
                 f"--idle-conns {args.idle_conns}")

    info = {"command": command, "machine": machine(), "loadavg_start": loadavg(),
            "rounds": args.rounds, "duration_s": args.duration, "warmup_s": args.warmup,
            "connections": args.connections, "meshproxy": args.meshproxy,
            "meshproxy_rev": git_rev(os.path.dirname(args.meshproxy)),
            "versions": {e: version_of(e) for e in ("nginx", "haproxy", "h2o", "wrk")
                         if shutil.which(e)}}
    print(f"proxy_bench: load {info['loadavg_start']}, nproc {info['machine']['nproc']}",
          file=sys.stderr)
    workdir = tempfile.mkdtemp(prefix="proxy-bench-")
    os.chmod(workdir, 0o755)
    results = []
    upstream = None
    try:
        upstream = start_upstream(workdir)
        for scenario in args.scenarios:
            print(f"proxy_bench: {scenario}", file=sys.stderr)
            if scenario in LOAD_SCENARIOS:
                results.append(scenario_load(args, scenario, workdir, upstream, args.proxies))
            elif scenario == "ready-10k":
                results.append(scenario_ready(args, workdir, upstream))
            elif scenario == "reload-10k":
                results.append(scenario_reload(args, workdir, upstream))
            else:
                results.append(scenario_idle(args, workdir, upstream, args.proxies))
    finally:
        if upstream is not None:
            upstream.stop()
        stop_all()
        if args.keep:
            print(f"proxy_bench: kept {workdir}", file=sys.stderr)
        else:
            shutil.rmtree(workdir, ignore_errors=True)
    info["loadavg_end"] = loadavg()
    info["elapsed_s"] = time.monotonic() - started

    m = info["machine"]
    lines = ["## meshproxy vs nginx, HAProxy, h2o (loopback, one worker each)", "",
             f"- command: `{command}`",
             f"- machine: {m['nproc']} CPUs ({m['cpu']}), Linux {m['kernel']}; load average "
             f"{info['loadavg_start']} at start, {info['loadavg_end']} at end",
             f"- meshproxy {info['meshproxy_rev']}; " +
             "; ".join(f"{v}" for v in info["versions"].values()),
             f"- {args.rounds} round(s) × {args.duration} s per proxy (after {args.warmup} s "
             f"warm-up), turns rotated each round, medians; client `wrk -t1 "
             f"-c{args.connections}`; upstream: one nginx worker answering `200 ok` over "
             f"keep-alive; CPU = utime+stime of the proxy's processes over the measured window "
             f"/ requests completed",
             f"- elapsed {info['elapsed_s']:.0f} s", ""]
    for res in results:
        if res["scenario"] in LOAD_SCENARIOS:
            report_load(res, lines)
        elif res["scenario"] == "ready-10k":
            report_ready(res, lines)
        elif res["scenario"] == "reload-10k":
            report_reload(res, lines)
        else:
            report_idle(res, lines)
    if any(r["scenario"] == "regex-1000" for r in results) and "h2o" in args.proxies:
        lines.append("h2o has no regex path matching (it needs mruby), so it sits out "
                     "regex-1000.")
        lines.append("")
    print("\n".join(lines))
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"info": info, "results": results}, f, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
