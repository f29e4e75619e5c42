#!/usr/bin/env python3
"""`resolution: DNS` ServiceEntries: endpoint host names are resolved off the event loops (a
resolver thread), one host per address, and an unresolvable name leaves the cluster without a
healthy host (503 UH, R11.3) while the proxy keeps serving."""
import harness
from harness import free_port, request


def manifest(gw_port, up_port):
    return harness.gateway_yaml(gw_port) + f"""---
apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: {{name: named, namespace: istio-system}}
spec:
  hosts: [named.example]
  ports: [{{number: 80, name: http, protocol: HTTP, targetPort: {up_port}}}]
  resolution: DNS
  location: MESH_EXTERNAL
  endpoints: [{{address: localhost}}]
---
apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: {{name: nowhere, namespace: istio-system}}
spec:
  hosts: [nowhere.example]
  ports: [{{number: 80, name: http, protocol: HTTP}}]
  resolution: DNS
  location: MESH_EXTERNAL
  endpoints: [{{address: no-such-host.invalid}}]
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {{name: vs, namespace: istio-system}}
spec:
  hosts: ["*"]
  gateways: [gw]
  http:
  - match: [{{uri: {{prefix: /nowhere}}}}]
    route: [{{destination: {{host: nowhere.example, port: {{number: 80}}}}}}]
  - route: [{{destination: {{host: named.example, port: {{number: 80}}}}}}]
"""


class Dns(harness.ProxyTest):
    def test_dns_endpoints(self):
        up = self.upstream("named")
        port = free_port()
        p = self.proxy(self.compile(manifest(port, up.port)), "--dns-refresh-rate", "1s")
        r = request(port, path="/x")
        self.assertEqual((r.status, r.header("x-backend")), (200, "named"))
        line = p.log_lines(1)[-1].split(" ")
        self.assertEqual(line[-7], f'"127.0.0.1:{up.port}"')  # the resolved address
        r = request(port, path="/nowhere")
        self.assertEqual((r.status, r.body), (503, b"no healthy upstream"))
        status, clusters = p.admin("/clusters")
        self.assertIn(f"outbound|80||named.example::127.0.0.1:{up.port}::rq_total::1", clusters)


if __name__ == "__main__":
    harness.main()
