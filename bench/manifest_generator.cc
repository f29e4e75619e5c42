// The benchmark manifest generator: services grouped into namespaces, 4 objects per service.
#include "manifest_generator.h"

#include <fmt/format.h>

namespace meshc::bench {

namespace {

// xorshift64*: tiny deterministic PRNG so outputs are stable across platforms.
struct Rng {
  uint64_t s;
  uint64_t next() {
    s ^= s >> 12;
    s ^= s << 25;
    s ^= s >> 27;
    return s * 2685821657736338717ull;
  }
  int below(int n) { return static_cast<int>(next() % static_cast<uint64_t>(n)); }
};

constexpr int kServicesPerNamespace = 20;
constexpr int kObjectsPerService = 5;  // 2 Deployments, Service, DestinationRule, VirtualService

std::string serviceObjects(const std::string& ns, const std::string& svc, int routes, Rng& rng,
                           int* route_count) {
  std::string out;
  out += fmt::format(R"(apiVersion: apps/v1
kind: Deployment
metadata:
  name: {1}-v1
  namespace: {0}
spec:
  selector:
    matchLabels: {{app: {1}, version: v1}}
  template:
    metadata:
      labels: {{app: {1}, version: v1}}
    spec:
      containers:
      - name: {1}
        image: example/{1}:1.0
        ports:
        - containerPort: 8080
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: {1}-v2
  namespace: {0}
spec:
  selector:
    matchLabels: {{app: {1}, version: v2}}
  template:
    metadata:
      labels: {{app: {1}, version: v2}}
    spec:
      containers:
      - name: {1}
        image: example/{1}:1.1
---
apiVersion: v1
kind: Service
metadata:
  name: {1}
  namespace: {0}
spec:
  selector:
    app: {1}
  ports:
  - name: http
    port: 80
    targetPort: 8080
    protocol: TCP
---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata:
  name: {1}
  namespace: {0}
spec:
  host: {1}.{0}.svc.cluster.local
  trafficPolicy:
    connectionPool:
      http:
        http1MaxPendingRequests: 100
        maxRequestsPerConnection: 10
    outlierDetection:
      consecutive5xxErrors: 5
      interval: 10s
      baseEjectionTime: 30s
  subsets:
  - name: v1
    labels:
      version: v1
  - name: v2
    labels:
      version: v2
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata:
  name: {1}
  namespace: {0}
spec:
  hosts:
  - {1}
  http:
)",
                     ns, svc);
  for (int i = 0; i < routes - 1; ++i) {
    int shape = rng.below(6);
    out += fmt::format("  - name: r{}\n    match:\n", i);
    switch (shape) {
      case 0:
        out += fmt::format("    - uri:\n        prefix: /api/v{}/items/{}/\n", i % 7, i);
        break;
      case 1:
        out += fmt::format("    - uri:\n        exact: /api/orders/{}\n      method:\n        exact: GET\n", i);
        break;
      case 2:
        out += fmt::format(
            "    - headers:\n        x-user:\n          exact: user-{}\n      uri:\n        prefix: /cart/{}\n",
            i, i);
        break;
      case 3:
        out += fmt::format("    - uri:\n        regex: /catalog/[0-9]+/item{}\n", i);
        break;
      case 4:
        out += fmt::format(
            "    - uri:\n        prefix: /v{}/search\n      queryParams:\n        q:\n          prefix: a{}\n",
            i, i);
        break;
      default:
        out += fmt::format(
            "    - authority:\n        exact: {}-{}.example.com\n      uri:\n        prefix: /static/{}\n",
            svc, i, i);
        break;
    }
    if (shape == 2) {
      out += fmt::format(
          "    fault:\n      delay:\n        percentage:\n          value: 0.5\n        fixedDelay: 2s\n");
    }
    out += fmt::format(R"(    route:
    - destination:
        host: {0}
        subset: v1
      weight: 90
    - destination:
        host: {0}
        subset: v2
      weight: 10
    timeout: {1}s
    retries:
      attempts: 3
      perTryTimeout: 2s
      retryOn: 5xx,reset,connect-failure
)",
                       svc, 5 + i % 10);
  }
  out += fmt::format("  - name: default\n    route:\n    - destination:\n        host: {}\n        subset: v1\n", svc);
  *route_count += routes;
  return out;
}

std::string namespaceObjects(const std::string& ns, int index) {
  return fmt::format(R"(apiVersion: networking.istio.io/v1
kind: Sidecar
metadata:
  name: default
  namespace: {0}
spec:
  egress:
  - hosts:
    - "./*"
    - "istio-system/*"
  outboundTrafficPolicy:
    mode: REGISTRY_ONLY
---
apiVersion: networking.istio.io/v1
kind: Gateway
metadata:
  name: {0}-gateway
  namespace: {0}
spec:
  selector:
    istio: ingressgateway
  servers:
  - port:
      number: 443
      name: https-{1}
      protocol: HTTPS
    hosts:
    - "{0}/{0}.example.com"
    tls:
      mode: SIMPLE
      credentialName: {0}-cert
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata:
  name: {0}-ingress
  namespace: {0}
spec:
  hosts:
  - {0}.example.com
  gateways:
  - {0}-gateway
  http:
  - match:
    - uri:
        prefix: /
    route:
    - destination:
        host: svc0.{0}.svc.cluster.local
        port:
          number: 80
---
apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata:
  name: {0}-payments
  namespace: {0}
spec:
  hosts:
  - payments-{1}.example.net
  ports:
  - number: 443
    name: https
    protocol: HTTPS
  resolution: DNS
  location: MESH_EXTERNAL
)",
                     ns, index);
}

}  // namespace

GeneratedSet generateManifests(const GeneratorOptions& options) {
  GeneratedSet set;
  Rng rng{options.seed ? options.seed : 1};
  int per_namespace = kServicesPerNamespace * kObjectsPerService + 4;
  int namespaces = std::max(1, options.resources / per_namespace);
  std::vector<std::string> docs;
  for (int n = 0; n < namespaces; ++n) {
    std::string ns = fmt::format("team{}", n);
    docs.push_back(namespaceObjects(ns, n));
    set.resources += 4;
    set.routes += 1;
    for (int s = 0; s < kServicesPerNamespace; ++s) {
      docs.push_back(serviceObjects(ns, fmt::format("svc{}", s), options.routes_per_service, rng,
                                    &set.routes));
      set.resources += kObjectsPerService;
    }
  }
  int files = std::max(1, std::min<int>(options.files, static_cast<int>(docs.size())));
  set.files.resize(files);
  for (int f = 0; f < files; ++f) {
    set.files[f].name = fmt::format("manifests-{:03}.yaml", f);
  }
  for (size_t i = 0; i < docs.size(); ++i) {
    std::string& text = set.files[i % files].text;
    if (!text.empty()) {
      text += "---\n";
    }
    text += docs[i];
  }
  return set;
}

}  // namespace meshc::bench
