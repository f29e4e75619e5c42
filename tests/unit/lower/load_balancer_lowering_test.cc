// Lowering of the DestinationRule load-balancer fields bundle format v2 carries (PROXY-SEMANTICS
// R4.5, R5.5), of meshConfig gatewayTopology.numTrustedProxies (R2.4), and of the connection
// pools and outlier detection format v3 carries (R12.1, R12.4, R5.8). Expected values are
// read off the manifests in each test, following Istio's cluster_traffic_policy.go
// ApplyRingHashLoadBalancer and route.go ConsistentHashToHashPolicy.
#include <catch2/catch.hpp>
#include <memory>
#include <string>

#include "frontend/mesh_config.h"
#include "lower/proxy_config.h"
#include "model/model_test_util.h"

namespace meshc::lower {
namespace {

// A Service "web" in namespace "shop" (port 80 → 8080) with two pods, v1 and v2.
constexpr const char* kWeb = R"(apiVersion: v1
kind: Service
metadata: {name: web, namespace: shop}
spec:
  clusterIP: 10.96.0.20
  selector: {app: web}
  ports:
  - {name: http, port: 80, targetPort: 8080}
---
apiVersion: v1
kind: Pod
metadata:
  name: web-1
  namespace: shop
  labels: {app: web, version: v1, zone: a}
spec:
  containers: [{name: c, image: i}]
status: {podIP: 10.1.0.1}
---
apiVersion: v1
kind: Pod
metadata:
  name: web-2
  namespace: shop
  labels: {app: web, version: v2, zone: a}
spec:
  containers: [{name: c, image: i}]
status: {podIP: 10.1.0.2}
---
)";

struct Lowered {
  std::unique_ptr<testing::Loaded> loaded;
  ProxyConfig pc;

  const Cluster& cluster(std::string_view name) const {
    const Cluster* c = pc.findCluster(name);
    INFO("cluster " << name);
    REQUIRE(c != nullptr);
    return *c;
  }
  // The hash policy of the first route of the sidecar's port-80 virtual host for web.
  const std::vector<HashPolicy>& webHashPolicy() const {
    for (const RouteConfiguration& rc : pc.route_configs) {
      for (const VirtualHost& vh : rc.virtual_hosts) {
        if (vh.name == "web.shop.svc.cluster.local:80") {
          REQUIRE_FALSE(vh.routes.empty());
          return vh.routes.front().route.hash_policy;
        }
      }
    }
    FAIL("no virtual host web.shop.svc.cluster.local:80");
    static const std::vector<HashPolicy> none;
    return none;
  }
};

Lowered lower(const std::string& yaml, ProxyIdentity proxy, frontend::MeshConfig mesh = {}) {
  Lowered out;
  out.loaded = std::make_unique<testing::Loaded>(yaml);
  model::ConfigSet config = testing::buildCheckedModel(*out.loaded, mesh);
  REQUIRE(testing::allSchemaValid(*out.loaded));
  out.pc = buildProxyConfig(config, proxy).config;
  return out;
}

ProxyIdentity sidecarInShop() {
  ProxyIdentity p;
  p.kind = ProxyIdentity::Kind::kSidecar;
  p.name_space = "shop";
  p.labels = {{"app", "client"}};
  return p;
}

std::string webRule(const std::string& spec) {
  return "apiVersion: networking.istio.io/v1\nkind: DestinationRule\nmetadata:\n"
         "  name: web\n  namespace: shop\nspec:\n  host: web\n" +
         spec + "---\n";
}

}  // namespace

TEST_CASE("lowering: httpCookie name, path, ttl and attributes reach the route hash policy",
          "[lower-lb]") {
  Lowered l = lower(std::string(kWeb) + webRule(R"(  trafficPolicy:
    loadBalancer:
      consistentHash:
        httpCookie:
          name: session
          path: /cart
          ttl: 90s
          attributes:
          - {name: SameSite, value: Strict}
          - {name: Secure}
)"),
                    sidecarInShop());
  const std::vector<HashPolicy>& hp = l.webHashPolicy();
  REQUIRE(hp.size() == 1);
  CHECK(hp[0].cookie_name == "session");
  CHECK(hp[0].cookie_path == "/cart");
  REQUIRE(hp[0].cookie_ttl_ns.has_value());
  CHECK(*hp[0].cookie_ttl_ns == 90'000'000'000);
  using Attr = std::pair<std::string, std::string>;
  CHECK(hp[0].cookie_attributes == std::vector<Attr>{{"SameSite", "Strict"}, {"Secure", ""}});
  CHECK(hp[0].header_name.empty());
  CHECK(l.cluster("outbound|80||web.shop.svc.cluster.local").lb_policy == "RING_HASH");
}

TEST_CASE("lowering: a VirtualService route gets the same cookie hash policy as a default route",
          "[lower-lb]") {
  Lowered l = lower(std::string(kWeb) + webRule(R"(  trafficPolicy:
    loadBalancer:
      consistentHash:
        httpCookie: {name: session, path: /, ttl: 10s, attributes: [{name: HttpOnly}]}
)") + R"(apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: web, namespace: shop}
spec:
  hosts: [web]
  http:
  - name: to-web
    route:
    - destination: {host: web}
)",
                    sidecarInShop());
  const std::vector<HashPolicy>& hp = l.webHashPolicy();
  REQUIRE(hp.size() == 1);
  CHECK(hp[0].cookie_name == "session");
  CHECK(hp[0].cookie_path == "/");
  CHECK(hp[0].cookie_ttl_ns == std::optional<int64_t>(10'000'000'000));
  using Attr = std::pair<std::string, std::string>;
  CHECK(hp[0].cookie_attributes == std::vector<Attr>{{"HttpOnly", ""}});
}

TEST_CASE("lowering: an httpCookie ttl of 0s is kept as set, an absent ttl as unset",
          "[lower-lb]") {
  Lowered zero = lower(std::string(kWeb) + webRule(R"(  trafficPolicy:
    loadBalancer:
      consistentHash: {httpCookie: {name: s, ttl: 0s}}
)"),
                       sidecarInShop());
  REQUIRE(zero.webHashPolicy().size() == 1);
  CHECK(zero.webHashPolicy()[0].cookie_ttl_ns == std::optional<int64_t>(0));
  CHECK(zero.webHashPolicy()[0].cookie_path.empty());
  Lowered none = lower(std::string(kWeb) + webRule(R"(  trafficPolicy:
    loadBalancer:
      consistentHash: {httpCookie: {name: s}}
)"),
                       sidecarInShop());
  REQUIRE(none.webHashPolicy().size() == 1);
  CHECK_FALSE(none.webHashPolicy()[0].cookie_ttl_ns.has_value());
}

TEST_CASE("lowering: ringHash.minimumRingSize sets the ring size of a RING_HASH cluster",
          "[lower-lb]") {
  Lowered l = lower(std::string(kWeb) + webRule(R"(  trafficPolicy:
    loadBalancer:
      consistentHash:
        httpHeaderName: x-user
        ringHash: {minimumRingSize: 4096}
)"),
                    sidecarInShop());
  const Cluster& c = l.cluster("outbound|80||web.shop.svc.cluster.local");
  CHECK(c.lb_policy == "RING_HASH");
  CHECK(c.ring_hash_minimum_ring_size == 4096);
  CHECK(c.maglev_table_size == 65537);  // untouched default
}

TEST_CASE("lowering: the deprecated minimumRingSize is used when no algorithm is named",
          "[lower-lb]") {
  Lowered set = lower(std::string(kWeb) + webRule(R"(  trafficPolicy:
    loadBalancer:
      consistentHash: {useSourceIp: true, minimumRingSize: 2048}
)"),
                      sidecarInShop());
  const Cluster& c = set.cluster("outbound|80||web.shop.svc.cluster.local");
  CHECK(c.lb_policy == "RING_HASH");
  CHECK(c.ring_hash_minimum_ring_size == 2048);
  // ringHash without a size: Istio leaves lb_config unset, Envoy uses 1024.
  Lowered unset = lower(std::string(kWeb) + webRule(R"(  trafficPolicy:
    loadBalancer:
      consistentHash: {useSourceIp: true, ringHash: {}}
)"),
                        sidecarInShop());
  CHECK(unset.cluster("outbound|80||web.shop.svc.cluster.local").ring_hash_minimum_ring_size ==
        1024);
}

TEST_CASE("lowering: maglev is MAGLEV with its tableSize, not RING_HASH", "[lower-lb]") {
  Lowered l = lower(std::string(kWeb) + webRule(R"(  trafficPolicy:
    loadBalancer:
      consistentHash:
        httpHeaderName: x-user
        maglev: {tableSize: 131071}
  subsets:
  - name: v2
    labels: {version: v2}
    trafficPolicy:
      loadBalancer:
        consistentHash:
          httpHeaderName: x-user
          ringHash: {minimumRingSize: 512}
)"),
                    sidecarInShop());
  const Cluster& plain = l.cluster("outbound|80||web.shop.svc.cluster.local");
  CHECK(plain.lb_policy == "MAGLEV");
  CHECK(plain.maglev_table_size == 131071);
  CHECK(plain.ring_hash_minimum_ring_size == 1024);  // untouched default
  // The subset's own load balancer overrides the top level (R4.6).
  const Cluster& v2 = l.cluster("outbound|80|v2|web.shop.svc.cluster.local");
  CHECK(v2.lb_policy == "RING_HASH");
  CHECK(v2.ring_hash_minimum_ring_size == 512);
  CHECK(v2.maglev_table_size == 65537);
}

TEST_CASE("lowering: subset clusters carry the subset's labels, the plain cluster none",
          "[lower-lb]") {
  Lowered l = lower(std::string(kWeb) + webRule(R"(  subsets:
  - {name: v1, labels: {version: v1}}
  - {name: v1a, labels: {version: v1, zone: a}}
)"),
                    sidecarInShop());
  CHECK(l.cluster("outbound|80||web.shop.svc.cluster.local").subset_labels.empty());
  const Cluster& v1 = l.cluster("outbound|80|v1|web.shop.svc.cluster.local");
  CHECK(v1.subset_labels == StringMap{{"version", "v1"}});
  REQUIRE(v1.endpoints.size() == 1);
  CHECK(v1.endpoints[0].address == "10.1.0.1");
  CHECK(l.cluster("outbound|80|v1a|web.shop.svc.cluster.local").subset_labels ==
        StringMap{{"version", "v1"}, {"zone", "a"}});
}

TEST_CASE("lowering: gatewayTopology.numTrustedProxies reaches gateways, not sidecars",
          "[lower-lb]") {
  SourceManager sources;
  DiagnosticSink sink;
  frontend::YamlArena arena;
  uint32_t id = sources.add("mesh.yaml",
                            "defaultConfig:\n  gatewayTopology:\n"
                            "    numTrustedProxies: 2\n");
  auto docs = frontend::parseYamlFile(sources, id, arena, sink);
  REQUIRE(docs.size() == 1);
  frontend::MeshConfig mesh = frontend::parseMeshConfig(*docs[0].root, sink);
  CHECK(sink.size() == 0);
  CHECK(mesh.num_trusted_proxies == 2);

  const std::string gateway = R"(apiVersion: networking.istio.io/v1
kind: Gateway
metadata: {name: gw, namespace: istio-system}
spec:
  selector: {istio: ingressgateway}
  servers:
  - port: {number: 80, name: http, protocol: HTTP}
    hosts: ["*"]
---
)";
  ProxyIdentity gw;
  gw.kind = ProxyIdentity::Kind::kGateway;
  gw.name_space = "istio-system";
  gw.labels = {{"istio", "ingressgateway"}};
  CHECK(lower(std::string(kWeb) + gateway, gw, mesh).pc.proxy.num_trusted_proxies == 2);
  CHECK(lower(std::string(kWeb) + gateway, gw).pc.proxy.num_trusted_proxies == 0);
  CHECK(lower(std::string(kWeb), sidecarInShop(), mesh).pc.proxy.num_trusted_proxies == 0);
}

TEST_CASE("mesh config: a numTrustedProxies that is not a uint32 is reported", "[lower-lb]") {
  SourceManager sources;
  DiagnosticSink sink;
  frontend::YamlArena arena;
  uint32_t id = sources.add("mesh.yaml",
                            "defaultConfig:\n  gatewayTopology:\n"
                            "    numTrustedProxies: -1\n");
  auto docs = frontend::parseYamlFile(sources, id, arena, sink);
  frontend::MeshConfig mesh = frontend::parseMeshConfig(*docs[0].root, sink);
  CHECK(mesh.num_trusted_proxies == 0);
  REQUIRE(sink.size() == 1);
  CHECK(sink.diagnostics()[0].id == "mesh-config-invalid");
  CHECK(sink.diagnostics()[0].loc.line == 3);
}

// --- Format v3: connection pools and outlier detection (R12.1, R12.4, R5.8), merged as
// MergeTrafficPolicy does: a subset's pool or detector replaces the top-level one whole, and a
// port-level entry replaces both (absent fields included).

using CB = CircuitBreakers;
constexpr uint32_t kMax = UINT32_MAX;

TEST_CASE("lowering: connection pool thresholds, per-connection limit and timeouts (R12.1)",
          "[lower-pool]") {
  Lowered l = lower(std::string(kWeb) + webRule(R"(  trafficPolicy:
    connectionPool:
      tcp: {maxConnections: 7, connectTimeout: 250ms, idleTimeout: 9s}
      http: {http1MaxPendingRequests: 3, http2MaxRequests: 11, maxRequestsPerConnection: 2,
             maxRetries: 4}
)"),
                    sidecarInShop());
  const Cluster& c = l.cluster("outbound|80||web.shop.svc.cluster.local");
  CHECK(c.circuit_breakers == CB{7, 3, 11, 4});
  CHECK(c.max_requests_per_connection == 2);
  CHECK(c.connect_timeout_ns == std::optional<int64_t>(250'000'000));
  CHECK(c.idle_timeout_ns == std::optional<int64_t>(9'000'000'000));  // tcp's, http has none
  CHECK_FALSE(c.outlier_detection.has_value());
  CHECK(c.healthy_panic_threshold == 50);
}

TEST_CASE("lowering: zero thresholds keep Istio's 2^32-1, http idle timeout wins (R12.1)",
          "[lower-pool]") {
  Lowered l = lower(std::string(kWeb) + webRule(R"(  trafficPolicy:
    connectionPool:
      tcp: {maxConnections: 0, idleTimeout: 9s}
      http: {http1MaxPendingRequests: 0, idleTimeout: 3s}
)"),
                    sidecarInShop());
  const Cluster& c = l.cluster("outbound|80||web.shop.svc.cluster.local");
  CHECK(c.circuit_breakers == CB{kMax, kMax, kMax, kMax});
  CHECK(c.idle_timeout_ns == std::optional<int64_t>(3'000'000'000));
  CHECK_FALSE(c.connect_timeout_ns.has_value());
}

TEST_CASE("lowering: outlier detection translation and the panic threshold (R12.4, R5.8)",
          "[lower-pool]") {
  Lowered l = lower(std::string(kWeb) + webRule(R"(  trafficPolicy:
    outlierDetection:
      consecutive5xxErrors: 0
      consecutiveGatewayErrors: 4
      interval: 2s
      baseEjectionTime: 1m
      maxEjectionPercent: 40
      minHealthPercent: 30
)"),
                    sidecarInShop());
  const Cluster& c = l.cluster("outbound|80||web.shop.svc.cluster.local");
  REQUIRE(c.outlier_detection.has_value());
  const OutlierDetection& od = *c.outlier_detection;
  CHECK(od.consecutive_5xx == 0);
  CHECK(od.enforcing_consecutive_5xx == 0);  // 0 turns the detector off
  CHECK(od.consecutive_gateway_failure == 4);
  CHECK(od.enforcing_consecutive_gateway_failure == 100);
  CHECK(od.interval_ns == 2'000'000'000);
  CHECK(od.base_ejection_time_ns == 60'000'000'000);
  CHECK(od.max_ejection_percent == 40);
  CHECK(od.max_ejection_time_ns == 300'000'000'000);  // Envoy's default
  CHECK(c.healthy_panic_threshold == 30);

  Lowered defaults = lower(std::string(kWeb) + webRule("  trafficPolicy:\n    outlierDetection: {}\n"),
                           sidecarInShop());
  const Cluster& d = defaults.cluster("outbound|80||web.shop.svc.cluster.local");
  REQUIRE(d.outlier_detection.has_value());
  CHECK(*d.outlier_detection == OutlierDetection{});  // Envoy's defaults throughout
  CHECK(d.outlier_detection->consecutive_5xx == 5);
  CHECK(d.outlier_detection->enforcing_consecutive_gateway_failure == 0);
  CHECK(d.healthy_panic_threshold == 0);  // Istio turns panic off with a detector
}

TEST_CASE("lowering: subsets and port-level settings replace the pool and detector whole",
          "[lower-pool]") {
  Lowered l = lower(std::string(kWeb) + webRule(R"(  trafficPolicy:
    connectionPool: {tcp: {maxConnections: 100}}
    outlierDetection: {consecutive5xxErrors: 9}
  subsets:
  - name: v1
    labels: {version: v1}
  - name: v2
    labels: {version: v2}
    trafficPolicy:
      connectionPool: {http: {http1MaxPendingRequests: 5}}
  - name: v3
    labels: {version: v3}
    trafficPolicy:
      portLevelSettings:
      - port: {number: 80}
        loadBalancer: {simple: RANDOM}
)") + R"(apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: web, namespace: shop}
spec:
  hosts: [web]
  http:
  - route:
    - {destination: {host: web, subset: v1}, weight: 40}
    - {destination: {host: web, subset: v2}, weight: 30}
    - {destination: {host: web, subset: v3}, weight: 30}
)",
                    sidecarInShop());
  const Cluster& v1 = l.cluster("outbound|80|v1|web.shop.svc.cluster.local");
  CHECK(v1.circuit_breakers == CB{100, kMax, kMax, kMax});  // inherited
  REQUIRE(v1.outlier_detection.has_value());
  CHECK(v1.outlier_detection->consecutive_5xx == 9);
  const Cluster& v2 = l.cluster("outbound|80|v2|web.shop.svc.cluster.local");
  CHECK(v2.circuit_breakers == CB{kMax, 5, kMax, kMax});  // replaced, not merged field by field
  REQUIRE(v2.outlier_detection.has_value());               // not set on the subset: inherited
  CHECK(v2.outlier_detection->consecutive_5xx == 9);
  CHECK_FALSE(v1.circuit_breakers.retry_budget.has_value());
  const Cluster& v3 = l.cluster("outbound|80|v3|web.shop.svc.cluster.local");
  CHECK(v3.circuit_breakers == CB{kMax, kMax, kMax, kMax});  // the port-level entry has none
  CHECK_FALSE(v3.outlier_detection.has_value());
  CHECK(v3.lb_policy == "RANDOM");
}

TEST_CASE("lowering: a retry budget replaces maxRetries, subsets override it (R7.8)",
          "[lower-pool]") {
  Lowered l = lower(std::string(kWeb) + webRule(R"(  trafficPolicy:
    connectionPool: {http: {maxRetries: 2}}
    retryBudget: {percent: 30}
  subsets:
  - name: v1
    labels: {version: v1}
  - name: v2
    labels: {version: v2}
    trafficPolicy:
      retryBudget: {minRetryConcurrency: 7}
)") + R"(apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: web, namespace: shop}
spec:
  hosts: [web]
  http:
  - route:
    - {destination: {host: web, subset: v1}, weight: 50}
    - {destination: {host: web, subset: v2}, weight: 50}
)",
                    sidecarInShop());
  const Cluster& v1 = l.cluster("outbound|80|v1|web.shop.svc.cluster.local");
  CHECK(v1.circuit_breakers.max_retries == 2);
  CHECK(v1.circuit_breakers.retry_budget == std::optional<RetryBudget>(RetryBudget{300'000, 3}));
  const Cluster& v2 = l.cluster("outbound|80|v2|web.shop.svc.cluster.local");
  CHECK(v2.circuit_breakers.retry_budget == std::optional<RetryBudget>(RetryBudget{200'000, 7}));
}

}  // namespace meshc::lower
