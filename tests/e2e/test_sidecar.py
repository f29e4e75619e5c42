#!/usr/bin/env python3
"""meshproxy with a sidecar bundle in explicit outbound mode: the client uses it as its HTTP
proxy; the route configuration is the one Istio's listener for the authority's port uses.
Sidecar header rules differ from the gateway's (R1.21, R2.5, R2.8); ports without a listener
fall to virtualOutbound's catch-all (R11.16)."""
import os
import shutil
import subprocess
import unittest

import harness
from harness import Client, free_port


def manifest(up_port, mesh_port, policy_extra=""):
    return f"""apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: {{name: echo, namespace: default}}
spec:
  hosts: [echo.svc.local]
  ports: [{{number: {mesh_port}, name: http, protocol: HTTP, targetPort: {up_port}}}]
  resolution: STATIC
  location: MESH_INTERNAL
  endpoints: [{{address: 127.0.0.1}}]
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {{name: echo, namespace: default}}
spec:
  hosts: [echo.svc.local]
  http:
  - name: v2
    match: [{{uri: {{prefix: /v2}}}}]
    rewrite: {{uri: /}}
    route: [{{destination: {{host: echo.svc.local}}}}]
  - name: main
    route: [{{destination: {{host: echo.svc.local}}}}]
{policy_extra}"""


REGISTRY_ONLY = """---
apiVersion: networking.istio.io/v1
kind: Sidecar
metadata: {name: default, namespace: default}
spec:
  outboundTrafficPolicy: {mode: REGISTRY_ONLY}
"""


class Sidecar(harness.ProxyTest):
    def start(self, extra=""):
        self.up = self.upstream("app")
        self.mesh_port = free_port()
        bundle = self.compile(manifest(self.up.port, self.mesh_port, extra), name="sc.mcb",
                              proxy=("--sidecar", "app=client", "-n", "default"))
        self.listen = free_port()
        return self.proxy(bundle, "--sidecar-listen", f"127.0.0.1:{self.listen}")

    def get(self, url, headers=None):
        c = Client(self.listen)
        lines = [f"GET {url} HTTP/1.1", "host: ignored.example"]
        lines += [f"{k}: {v}" for k, v in (headers or {}).items()]
        c.send(("\r\n".join(lines) + "\r\n\r\n").encode())
        try:
            return c.read_response()
        finally:
            c.close()

    def test_routes_by_authority_port_with_sidecar_headers(self):
        p = self.start()
        r = self.get(f"http://echo.svc.local:{self.mesh_port}/hello",
                     {"x-request-id": "kept-id", "x-forwarded-for": "1.2.3.4",
                      "x-forwarded-proto": "https"})
        self.assertEqual(r.status, 200, r)
        seen = dict(r.json()["headers"])
        self.assertEqual(r.json()["path"], "/hello")
        self.assertEqual(seen["host"], f"echo.svc.local:{self.mesh_port}")  # R1.11a
        self.assertEqual(seen["x-request-id"], "kept-id")           # R2.8: kept on sidecars
        self.assertEqual(seen["x-forwarded-for"], "1.2.3.4")        # R2.5: not appended
        self.assertEqual(seen["x-forwarded-proto"], "https")        # R2.5: passed through
        self.assertNotIn("x-envoy-external-address", seen)          # R2.5
        self.assertEqual(r.header("server"), "envoy")               # R1.21: SC-out
        r = self.get(f"http://echo.svc.local:{self.mesh_port}/v2/x")
        self.assertEqual(r.json()["path"], "/x")                    # R3.12 prefix rewrite
        line = p.log_lines(2)[-1].split(" ")
        self.assertEqual(line[-1], "v2")
        self.assertEqual(line[-6], f"outbound|{self.mesh_port}||echo.svc.local")

    def test_sidecar_adds_request_id_and_proto_when_absent(self):
        self.start()
        r = self.get(f"http://echo.svc.local:{self.mesh_port}/")
        seen = dict(r.json()["headers"])
        self.assertRegex(seen["x-request-id"], r"^[0-9a-f-]{36}$")
        self.assertEqual(seen["x-forwarded-proto"], "http")

    def test_allow_any_passthrough_to_original_destination(self):
        # R11.16 ALLOW_ANY (default): an unknown host on a mesh port takes the allow_any route
        # to PassthroughCluster; a port without a listener goes to the catch-all, also
        # PassthroughCluster: both reach the destination the client named.
        p = self.start()
        other = self.upstream("other")
        r = self.get(f"http://127.0.0.1:{other.port}/direct")
        self.assertEqual((r.status, r.header("x-backend")), (200, "other"))
        line = p.log_lines(1)[-1].split(" ")
        self.assertEqual(line[-6], "PassthroughCluster")

    def test_registry_only_blocks_unknown_hosts(self):
        # R11.16/R11.12 REGISTRY_ONLY: unknown host on a mesh port → block_all, 502, no body.
        p = self.start(REGISTRY_ONLY)
        r = self.get(f"http://unknown.example:{self.mesh_port}/")
        self.assertEqual((r.status, r.body), (502, b""))
        self.assertEqual(p.log_lines(1)[-1].split(" ")[-1], "block_all")
        # The known service still works.
        self.assertEqual(self.get(f"http://echo.svc.local:{self.mesh_port}/").status, 200)

    def test_curl_as_proxy_client(self):
        # A real client: curl -x uses absolute-form request targets.
        if shutil.which("curl") is None:
            self.skipTest("curl is not installed")
        self.start()
        out = subprocess.run(["curl", "-s", "-x", f"http://127.0.0.1:{self.listen}",
                              f"http://echo.svc.local:{self.mesh_port}/curl?x=1"],
                             capture_output=True, text=True, timeout=20)
        self.assertEqual(out.returncode, 0, out.stderr)
        import json
        self.assertEqual(json.loads(out.stdout)["path"], "/curl?x=1")


if __name__ == "__main__":
    harness.main()
