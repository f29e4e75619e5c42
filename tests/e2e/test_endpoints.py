#!/usr/bin/env python3
"""Endpoints from Kubernetes EndpointSlices and `--endpoints FILE`: the bundle carries the
slices' ready endpoints; `meshc endpoints` writes the file meshproxy reads to replace them
without recompiling routes, reloaded with the bundle (SIGHUP); subset clusters follow their
labels (R4.5)."""
import json
import os
import signal
import subprocess

import harness
from harness import free_port, request


def manifests(gw_port, slice_ports, ready=True):
    eps = "\n".join(f"""  - addresses: [127.0.0.1]
    conditions: {{ready: {str(ready).lower()}}}""" for _ in [0])
    slices = []
    for i, port in enumerate(slice_ports):
        slices.append(f"""apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata:
  name: web-{i}
  namespace: default
  labels: {{kubernetes.io/service-name: web}}
addressType: IPv4
ports: [{{name: http, port: {port}, protocol: TCP}}]
endpoints:
{eps}
""")
    return "---\n".join([harness.gateway_yaml(gw_port, namespace="default"), """apiVersion: v1
kind: Service
metadata: {name: web, namespace: default}
spec:
  selector: {app: web}
  ports: [{name: http, port: 80, targetPort: 8080}]
""", """apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: web, namespace: default}
spec:
  hosts: ["*"]
  gateways: [gw]
  http:
  - route: [{destination: {host: web.default.svc.cluster.local, port: {number: 80}}}]
""", *slices])


class Endpoints(harness.ProxyTest):
    def endpoints_file(self, manifest, name):
        src = os.path.join(self.workdir, name + ".yaml")
        with open(src, "w") as f:
            f.write(manifest)
        out = os.path.join(self.workdir, name + ".json")
        r = subprocess.run([os.path.join(harness.BIN, "meshc"), "endpoints", "-f", src,
                            "--gateway", "istio=ingressgateway", "-n", "default", "-o", out],
                           capture_output=True, text=True, timeout=60)
        self.assertEqual(r.returncode, 0, r.stderr)
        return out

    def test_slices_then_endpoints_file_then_reload(self):
        # R16.3: endpoint updates apply to the next host selection; R4.5 cluster names.
        one, two = self.upstream("one"), self.upstream("two")
        port = free_port()
        proxy_ns = ("--gateway", "istio=ingressgateway", "-n", "default")
        bundle = self.compile(manifests(port, [one.port]), proxy=proxy_ns)
        # The bundle's own endpoints: the slice's ready address.
        p = self.proxy(bundle)
        self.assertEqual(request(port).header("x-backend"), "one")
        p.stop()
        # --endpoints replaces them: the file says "two" now.
        eps = self.endpoints_file(manifests(port, [two.port]), "eps")
        doc = json.load(open(eps))
        self.assertEqual(doc["version"], 1)
        cluster = [c for c in doc["clusters"] if c["name"] == "outbound|80||web.default.svc.cluster.local"]
        self.assertEqual(cluster[0]["endpoints"][0]["port"], two.port)
        p = self.proxy(bundle, "--endpoints", eps)
        self.assertEqual(request(port).header("x-backend"), "two")
        # Endpoints change, routes do not: a new file and SIGHUP.
        eps2 = self.endpoints_file(manifests(port, [one.port]), "eps2")
        os.replace(eps2, eps)
        p.signal(signal.SIGHUP)
        harness.wait_until(lambda: request(port).header("x-backend") == "one",
                           what="endpoints reloaded")

    def test_watch_reloads_a_replaced_endpoints_file(self):
        # R16.3: endpoints replaced without a new bundle apply to the next request.
        one, two = self.upstream("one"), self.upstream("two")
        port = free_port()
        bundle = self.compile(manifests(port, [one.port]),
                              proxy=("--gateway", "istio=ingressgateway", "-n", "default"))
        eps = self.endpoints_file(manifests(port, [one.port]), "eps")
        self.proxy(bundle, "--endpoints", eps, "--watch")
        self.assertEqual(request(port).header("x-backend"), "one")
        os.replace(self.endpoints_file(manifests(port, [two.port]), "eps-next"), eps)
        harness.wait_until(lambda: request(port).header("x-backend") == "two",
                           what="--watch picking up the endpoints file")

    def test_not_ready_endpoints_are_left_out(self):
        port = free_port()
        up = self.upstream("one")
        bundle = self.compile(manifests(port, [up.port], ready=False),
                              proxy=("--gateway", "istio=ingressgateway", "-n", "default"))
        self.proxy(bundle)
        r = request(port)
        self.assertEqual((r.status, r.body), (503, b"no healthy upstream"))  # R11.3

    def test_bad_endpoints_file_is_refused(self):
        # Not a PROXY-SEMANTICS rule: the endpoints file's format (upstream/endpoints_file.h).
        port = free_port()
        up = self.upstream("one")
        bundle = self.compile(manifests(port, [up.port]),
                              proxy=("--gateway", "istio=ingressgateway", "-n", "default"))
        bad = os.path.join(self.workdir, "bad.json")
        with open(bad, "w") as f:
            f.write('{"version": 1, "clusters": [{"name": "x", "endpoints": [{"address": "1.2.3.4", "port": 0}]}]}')
        r = subprocess.run([os.path.join(harness.BIN, "meshproxy"), "--bundle", bundle,
                            "--endpoints", bad], capture_output=True, text=True, timeout=20)
        self.assertEqual(r.returncode, 1)
        self.assertIn("bad.json: clusters[0].endpoints[0]: port must be 1-65535, found 0", r.stderr)


if __name__ == "__main__":
    harness.main()
