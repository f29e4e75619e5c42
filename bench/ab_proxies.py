#!/usr/bin/env python3
"""Paired A/B of two meshproxy builds on one route: both proxies up at once behind the same
nginx upstream, `wrk -t1 -c64` turns alternated (A B, B A, ...), each preceded by a 1 s warm-up;
requests/s and CPU µs per request of each proxy (utime + stime from /proc), medians.

For a change's cost on the request path, where two separate runs of proxy_bench.py differ by
more than the change (the machine is shared and noisy). Each build compiles its bundle with its
own meshc (bundle formats differ between builds).

Usage: python3 bench/ab_proxies.py MESHPROXY_A MESHC_A MESHPROXY_B MESHC_B [--pairs 8]
"""
import argparse
import os
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import proxy_bench as pb  # noqa: E402

def cpu_seconds(pid):
    fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("proxy_a")
    ap.add_argument("meshc_a")
    ap.add_argument("proxy_b")
    ap.add_argument("meshc_b")
    ap.add_argument("--pairs", type=int, default=8)
    ap.add_argument("--duration", type=int, default=4)
    args = ap.parse_args()
    pb.ensure_packages(["nginx", "wrk"])
    work = tempfile.mkdtemp(prefix="ab-proxies-")
    procs = []
    try:
        up = pb.free_port()
        with open(os.path.join(work, "up.conf"), "w") as f:
            f.write(pb.upstream_conf(work, up))
        os.makedirs(os.path.join(work, "upstream-body"), exist_ok=True)
        procs.append(subprocess.Popen(["nginx", "-c", os.path.join(work, "up.conf"), "-g",
                                       "daemon off;"], stderr=subprocess.DEVNULL,
                                      start_new_session=True))
        proxies = {}
        for name, proxy, meshc in (("A", args.proxy_a, args.meshc_a),
                                   ("B", args.proxy_b, args.meshc_b)):
            port = pb.free_port()
            bundle = pb.compile_bundle(meshc, work, f"one-route-{name}",
                                       pb.istio_manifest("one", [], port, up))
            p = subprocess.Popen([proxy, "--bundle", bundle, "--workers", "1",
                                  "--listen-address", "127.0.0.1"], stderr=subprocess.DEVNULL,
                                 start_new_session=True)
            procs.append(p)
            proxies[name] = (p, port)
        time.sleep(1.0)
        samples = {"A": [], "B": []}
        for i in range(args.pairs):
            for name in ("A", "B") if i % 2 == 0 else ("B", "A"):
                p, port = proxies[name]
                url = f"http://127.0.0.1:{port}/"
                subprocess.run(["wrk", "-t1", "-c64", "-d1s", url], capture_output=True, timeout=30)
                before = cpu_seconds(p.pid)
                out = subprocess.run(["wrk", "-t1", "-c64", f"-d{args.duration}s", url],
                                     capture_output=True, text=True, timeout=60).stdout
                used = cpu_seconds(p.pid) - before
                requests = int(re.search(r"(\d+) requests in", out).group(1))
                samples[name].append((requests / args.duration, 1e6 * used / requests))
        print(f"| build | requests/s | CPU µs/request | samples (µs) |")
        print(f"| --- | ---: | ---: | --- |")
        med = {}
        for name in ("A", "B"):
            rps = statistics.median(x for x, _ in samples[name])
            us = statistics.median(y for _, y in samples[name])
            med[name] = (rps, us)
            print(f"| {name} | {rps:,.0f} | {us:.2f} | "
                  f"{', '.join(f'{y:.2f}' for _, y in samples[name])} |")
        print(f"\nB/A: requests/s {med['B'][0] / med['A'][0]:.3f}x, CPU per request "
              f"{med['B'][1] / med['A'][1]:.3f}x ({args.pairs} alternated pairs)")
    finally:
        for p in procs:  # the whole process group: nginx's worker too
            try:
                os.killpg(p.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            p.wait(timeout=10)
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
