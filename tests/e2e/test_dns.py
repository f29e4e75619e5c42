#!/usr/bin/env python3
"""`resolution: DNS` ServiceEntries: endpoint host names are resolved off the event loops (a
resolver thread), one host per address, and an unresolvable name leaves the cluster without a
healthy host (503 UH, R11.3) while the proxy keeps serving.

The file runs in a network namespace of its own (loopback only) where the kernel allows it: the
unresolvable name makes the system resolver ask its name server, and that query must not leave
the machine. `localhost` resolves from /etc/hosts either way."""
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
        status, clusters = p.admin("/clusters")
        self.assertIn(f"outbound|80||named.example::127.0.0.1:{up.port}::rq_total::1", clusters)

    def test_unresolvable_name_is_no_healthy_upstream(self):
        if not harness.in_private_netns():
            self.skipTest("needs a private network namespace (the resolver would query the "
                          "network)")
        up = self.upstream("named")
        port = free_port()
        p = self.proxy(self.compile(manifest(port, up.port)), "--dns-refresh-rate", "1s")
        r = request(port, path="/nowhere")  # R11.3
        self.assertEqual((r.status, r.body), (503, b"no healthy upstream"))
        self.assertEqual(p.log_lines(1)[-1].split(" ")[5], "UH")
        self.assertEqual(request(port, path="/x").status, 200)  # and it keeps serving


if __name__ == "__main__":
    harness.main(private_netns=True)
