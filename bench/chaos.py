#!/usr/bin/env python3
"""Chaos run: three upstreams behind one route with retries and outlier detection, one failing
half its requests (503), one slow, one dead (nothing listens). A client sends requests one after
another through meshproxy; the run reports its success rate next to what Envoy's semantics
predict for the same configuration, from a model written from PROXY-SEMANTICS (R5.2 round robin,
R7.3/R7.6 retries on another host, R12.4–R12.6 consecutive-error ejection with
maxEjectionPercent) and simulated many times over.

Usage: python3 bench/chaos.py [--requests 600] [--bin build/bin] [--runs 400]
Exit 0 when the measured success rate lies inside the model's 99.9 % interval, 1 otherwise.
"""
import argparse
import os
import random
import statistics
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, os.path.join(ROOT, "tests", "e2e"))
import harness  # noqa: E402

FAIL_RATE = 0.5       # upstream "flaky": share of 503 answers
SLOW_MS = 20          # upstream "slow": answers after this long
ATTEMPTS = 1          # VS retries.attempts: one retry, two tries in all
CONSECUTIVE_5XX = 3   # DR outlierDetection
MAX_EJECTION = 50     # percent: one host of three at most
BASE_EJECTION_S = 30  # longer than the run: an ejected host stays out

MANIFEST = """apiVersion: networking.istio.io/v1
kind: Gateway
metadata: {{name: gw, namespace: istio-system}}
spec:
  selector: {{istio: ingressgateway}}
  servers: [{{port: {{number: {gw}, name: http, protocol: HTTP}}, hosts: ["*"]}}]
---
apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: {{name: chaos, namespace: istio-system}}
spec:
  hosts: [chaos.local]
  ports: [{{number: 80, name: http, protocol: HTTP}}]
  resolution: STATIC
  location: MESH_EXTERNAL
  endpoints:
  - {{address: 127.0.0.1, ports: {{http: {flaky}}}}}
  - {{address: 127.0.0.1, ports: {{http: {slow}}}}}
  - {{address: 127.0.0.1, ports: {{http: {dead}}}}}
---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {{name: chaos, namespace: istio-system}}
spec:
  host: chaos.local
  trafficPolicy:
    loadBalancer: {{simple: ROUND_ROBIN}}
    outlierDetection:
      consecutive5xxErrors: {c5xx}
      interval: 1s
      baseEjectionTime: {base}s
      maxEjectionPercent: {maxej}
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {{name: chaos, namespace: istio-system}}
spec:
  hosts: ["*"]
  gateways: [gw]
  http:
  - route: [{{destination: {{host: chaos.local, port: {{number: 80}}}}}}]
    retries: {{attempts: {attempts}, retryOn: "5xx", perTryTimeout: 2s}}
"""


def model_run(requests, rng):
    """One simulated run of Envoy's semantics; returns the number of successful requests and
    of ejections. Hosts in endpoint order: flaky, slow, dead. Round robin over the hosts in
    service, starting at a random one; a retry asks up to 5 times for a host not yet tried;
    a host's consecutive 5xx (a refused connect counts as 503) eject it at the threshold when
    (ejected + 1) / hosts stays within max ejection percent; nobody returns within the run."""
    hosts = ["flaky", "slow", "dead"]
    ejected = set()
    consecutive = {h: 0 for h in hosts}
    rr = rng.randrange(len(hosts))
    ok = ejections = 0

    def pick():
        nonlocal rr
        live = [h for h in hosts if h not in ejected]
        h = live[rr % len(live)]
        rr += 1
        return h

    for _ in range(requests):
        tried = []
        success = False
        for attempt in range(ATTEMPTS + 1):
            h = pick()
            if attempt > 0:
                for _ in range(4):  # host_selection_retry_max_attempts 5 in all
                    if h not in tried:
                        break
                    h = pick()
            tried.append(h)
            failed = h == "dead" or (h == "flaky" and rng.random() < FAIL_RATE)
            if failed:
                consecutive[h] += 1
                if consecutive[h] == CONSECUTIVE_5XX:
                    consecutive[h] = 0
                    if h not in ejected and 100 * (len(ejected) + 1) / len(hosts) <= MAX_EJECTION:
                        ejected.add(h)
                        ejections += 1
            else:
                consecutive[h] = 0
                success = True
                break
        ok += success
    return ok, ejections


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--requests", type=int, default=600)
    ap.add_argument("--runs", type=int, default=400, help="model runs")
    ap.add_argument("--bin", default=os.path.join(ROOT, "build", "bin"))
    args = ap.parse_args()
    harness.BIN = os.path.abspath(args.bin)

    work = tempfile.mkdtemp(prefix="meshproxy-chaos-")
    flaky = harness.Upstream("flaky", args=["--fail-status", "503", "--fail-rate", str(FAIL_RATE)])
    slow = harness.Upstream("slow", args=["--delay-ms", str(SLOW_MS)])
    dead = harness.free_port()
    gw = harness.free_port()
    procs = [flaky, slow]
    try:
        src = os.path.join(work, "chaos.yaml")
        with open(src, "w") as f:
            f.write(MANIFEST.format(gw=gw, flaky=flaky.port, slow=slow.port, dead=dead,
                                    c5xx=CONSECUTIVE_5XX, base=BASE_EJECTION_S,
                                    maxej=MAX_EJECTION, attempts=ATTEMPTS))
        bundle = os.path.join(work, "chaos.mcb")
        import subprocess
        r = subprocess.run([os.path.join(harness.BIN, "meshc"), "compile", "-f", src, "--gateway",
                            "istio=ingressgateway", "-o", bundle], capture_output=True, text=True,
                           timeout=120)
        if r.returncode != 0:
            sys.exit(f"meshc compile failed: {r.stderr}")
        proxy = harness.Proxy(bundle, work)
        procs.append(proxy)
        c = harness.Client(gw)
        latencies = []
        ok = 0
        started = time.monotonic()
        for _ in range(args.requests):
            t0 = time.monotonic()
            c.send(b"GET /x HTTP/1.1\r\nhost: chaos.local\r\n\r\n")
            resp = c.read_response()
            latencies.append(time.monotonic() - t0)
            ok += resp.status == 200
        elapsed = time.monotonic() - started
        c.close()
        cluster = "outbound|80||chaos.local"
        measured = {
            "attempts": proxy.metric("envoy_cluster_upstream_rq_total", cluster_name=cluster),
            "retries": proxy.metric("envoy_cluster_upstream_rq_retry", cluster_name=cluster),
            "ejections": proxy.metric("envoy_cluster_outlier_detection_ejections_enforced_total",
                                      cluster_name=cluster),
            "overflow": proxy.metric("envoy_cluster_outlier_detection_ejections_overflow",
                                     cluster_name=cluster),
        }
    finally:
        for p in procs:
            p.stop()

    rng = random.Random(1)
    sims = [model_run(args.requests, rng) for _ in range(args.runs)]
    rates = sorted(s / args.requests for s, _ in sims)
    lo = rates[int(0.0005 * (len(rates) - 1))]
    hi = rates[int(0.9995 * (len(rates) - 1))]
    mean = statistics.fmean(rates)
    ejections = statistics.fmean(e for _, e in sims)
    rate = ok / args.requests
    lat = sorted(latencies)
    print(f"chaos run: {args.requests} requests in {elapsed:.1f} s through meshproxy; upstreams: "
          f"flaky ({int(FAIL_RATE * 100)} % 503), slow ({SLOW_MS} ms), dead (connect refused)")
    print(f"route: retries attempts {ATTEMPTS} on 5xx; DR: ROUND_ROBIN, {CONSECUTIVE_5XX} "
          f"consecutive 5xx, maxEjectionPercent {MAX_EJECTION}, baseEjectionTime "
          f"{BASE_EJECTION_S} s\n")
    print("| | client success | ejections | upstream attempts | retries |")
    print("| --- | ---: | ---: | ---: | ---: |")
    print(f"| meshproxy (measured) | {100 * rate:.2f} % | {measured['ejections']:.0f} "
          f"(+{measured['overflow']:.0f} refused by max %) | {measured['attempts']:.0f} | "
          f"{measured['retries']:.0f} |")
    print(f"| Envoy semantics (model, {args.runs} runs) | {100 * mean:.2f} % "
          f"(99.9 %: {100 * lo:.2f}–{100 * hi:.2f} %) | {ejections:.2f} | | |")
    print(f"\nlatency: p50 {1000 * lat[len(lat) // 2]:.1f} ms, p99 "
          f"{1000 * lat[int(0.99 * (len(lat) - 1))]:.1f} ms")
    inside = lo <= rate <= hi
    print("measured success rate is " + ("inside" if inside else "OUTSIDE") +
          " the model's 99.9 % interval")
    return 0 if inside else 1


if __name__ == "__main__":
    sys.exit(main())
