// Service registry, DestinationRule lookup and sidecar scoping: the inputs of sidecar lowering
// (SEMANTICS 1.20, 1.21, 3.9, 4.5, 5.1-5.3, 7.6, 9.8, 9.9).
#include "lower/service_registry.h"

#include <catch2/catch.hpp>
#include <memory>
#include <string>

#include "lower/destination_rules.h"
#include "lower/sidecar_scope.h"
#include "lower/vs_index.h"
#include "model/model_test_util.h"

namespace meshc::lower {
namespace {

// Inline YAML → schema-checked ConfigSet, kept alive with its sources.
struct World {
  explicit World(std::string yaml, frontend::MeshConfig mesh = {})
      : loaded(std::make_unique<testing::Loaded>(std::move(yaml))) {
    config = testing::buildCheckedModel(*loaded, mesh);
    registry = ServiceRegistry::build(config);
  }
  std::unique_ptr<testing::Loaded> loaded;
  model::ConfigSet config;
  ServiceRegistry registry;

  const Service& svc(std::string_view host) const {
    std::vector<const Service*> all = registry.findAll(host);
    REQUIRE(all.size() == 1);
    return *all.front();
  }
};

std::string kubeService(std::string name, std::string ns, std::string ports,
                        std::string extra_spec = "", std::string annotations = "") {
  return "apiVersion: v1\nkind: Service\nmetadata:\n  name: " + name + "\n  namespace: " + ns +
         "\n" + annotations + "spec:\n" + extra_spec + "  ports:\n" + ports + "---\n";
}

ProxyIdentity sidecarIn(std::string ns, StringMap labels = {}) {
  ProxyIdentity p;
  p.kind = ProxyIdentity::Kind::kSidecar;
  p.name_space = std::move(ns);
  p.labels = std::move(labels);
  return p;
}

// --- Kubernetes Services (7.6) ------------------------------------------------------------------

TEST_CASE("registry: a Kubernetes Service is name.ns.svc.<suffix> with its ClusterIP as VIP (7.6)",
          "[lower-registry]") {
  World w(kubeService("reviews", "bookinfo", "  - name: http\n    port: 9080\n",
                      "  clusterIP: 10.0.0.12\n"));
  const Service& s = w.svc("reviews.bookinfo.svc.cluster.local");
  CHECK(s.isKubernetes());
  CHECK(s.name_space == "bookinfo");
  REQUIRE(s.addresses.size() == 1);
  CHECK(s.addresses[0] == "10.0.0.12");
  CHECK_FALSE(s.synthetic_vip);
  CHECK(s.primaryVip() == "10.0.0.12");
  REQUIRE(s.ports.size() == 1);
  CHECK(s.ports[0].protocol == "HTTP");
  CHECK(s.resolution == ServiceResolution::kClientSideLb);
}

TEST_CASE("registry: the mesh domain suffix names Kubernetes services (7.6)", "[lower-registry]") {
  frontend::MeshConfig mesh;
  mesh.domain_suffix = "corp.internal";
  World w(kubeService("a", "ns1", "  - port: 80\n"), mesh);
  CHECK(w.registry.findAll("a.ns1.svc.corp.internal").size() == 1);
  CHECK(w.registry.findAll("a.ns1.svc.cluster.local").empty());
}

TEST_CASE("registry: port protocol comes from the name prefix before '-' (7.6)",
          "[lower-registry]") {
  World w(kubeService("p", "default",
                      "  - {name: http-web, port: 1}\n"
                      "  - {name: grpc-api, port: 2}\n"
                      "  - {name: grpc-web-ui, port: 3}\n"
                      "  - {name: tcp-db, port: 4}\n"
                      "  - {name: tls, port: 5}\n"
                      "  - {name: web, port: 6}\n"
                      "  - {name: HTTP2-x, port: 7}\n"
                      "  - {name: mongo, port: 8}\n"));
  const Service& s = w.svc("p.default.svc.cluster.local");
  REQUIRE(s.ports.size() == 8);
  CHECK(s.ports[0].protocol == "HTTP");
  CHECK(s.ports[0].kind == PortProtocolKind::kHttp);
  CHECK(s.ports[1].protocol == "GRPC");
  CHECK(s.ports[2].protocol == "GRPC-WEB");
  CHECK(s.ports[3].protocol == "TCP");
  CHECK(s.ports[3].kind == PortProtocolKind::kTcp);
  CHECK(s.ports[4].protocol == "TLS");
  CHECK(s.ports[4].kind == PortProtocolKind::kTls);
  CHECK(s.ports[5].protocol.empty());  // unknown prefix: sniffed
  CHECK(s.ports[5].kind == PortProtocolKind::kSniffed);
  CHECK(s.ports[6].protocol == "HTTP2");  // case-insensitive
  CHECK(s.ports[7].protocol == "MONGO");
}

TEST_CASE("registry: appProtocol wins over the port name, even when unknown (7.6)",
          "[lower-registry]") {
  World w(kubeService("p", "default",
                      "  - {name: http, port: 1, appProtocol: tcp}\n"
                      "  - {name: tcp, port: 2, appProtocol: kubernetes.io/h2c}\n"
                      "  - {name: http, port: 3, appProtocol: custom}\n"
                      "  - {name: http, port: 4, protocol: UDP}\n"));
  const Service& s = w.svc("p.default.svc.cluster.local");
  REQUIRE(s.ports.size() == 4);
  CHECK(s.ports[0].protocol == "TCP");
  CHECK(s.ports[1].protocol == "HTTP2");
  CHECK(s.ports[2].protocol.empty());  // appProtocol replaces the name; "custom" is unknown
  CHECK(s.ports[3].protocol == "UDP");
  CHECK(s.ports[3].kind == PortProtocolKind::kUdp);
}

TEST_CASE("registry: unnamed ports 25, 53, 3306 and 27017 default to TCP (7.6)",
          "[lower-registry]") {
  World w(kubeService("db", "default",
                      "  - {port: 3306}\n  - {port: 27017, name: db}\n  - {port: 53, name: dns}\n"
                      "  - {port: 25}\n  - {port: 3307}\n  - {port: 3306, name: http-x, "
                      "targetPort: 1}\n"));
  const Service& s = w.svc("db.default.svc.cluster.local");
  REQUIRE(s.ports.size() == 6);
  CHECK(s.ports[0].protocol == "TCP");
  CHECK(s.ports[1].protocol == "TCP");
  CHECK(s.ports[2].protocol == "TCP");
  CHECK(s.ports[3].protocol == "TCP");
  CHECK(s.ports[4].protocol.empty());    // not a well-known port: sniffed
  CHECK(s.ports[5].protocol == "HTTP");  // a known name beats the well-known default
}

TEST_CASE("registry: headless Service has no VIP and passthrough resolution (7.6)",
          "[lower-registry]") {
  World w(kubeService("db", "default", "  - {name: tcp, port: 5432}\n", "  clusterIP: None\n"));
  const Service& s = w.svc("db.default.svc.cluster.local");
  CHECK(s.headless);
  CHECK(s.addresses.empty());
  CHECK(s.resolution == ServiceResolution::kPassthrough);
  CHECK(s.primaryVip().empty());
}

TEST_CASE("registry: a Service without clusterIP gets a deterministic synthetic VIP",
          "[lower-registry]") {
  World w(kubeService("a", "default", "  - {port: 80}\n") +
          kubeService("b", "default", "  - {port: 80}\n"));
  const Service& a = w.svc("a.default.svc.cluster.local");
  const Service& b = w.svc("b.default.svc.cluster.local");
  REQUIRE(a.addresses.size() == 1);
  REQUIRE(b.addresses.size() == 1);
  CHECK(a.synthetic_vip);
  CHECK(a.addresses[0].rfind("10.", 0) == 0);
  CHECK(a.addresses[0] != b.addresses[0]);
  World again(kubeService("b", "default", "  - {port: 80}\n") +
              kubeService("a", "default", "  - {port: 80}\n"));
  CHECK(again.svc("a.default.svc.cluster.local").addresses[0] == a.addresses[0]);
}

TEST_CASE("registry: an ExternalName Service is an alias recorded on its target (1.21)",
          "[lower-registry]") {
  World w(kubeService("real", "default", "  - {name: http, port: 80}\n") +
          kubeService("alias", "other", "  - {name: http, port: 80}\n",
                      "  type: ExternalName\n  externalName: real.default.svc.cluster.local\n"));
  const Service& alias = w.svc("alias.other.svc.cluster.local");
  CHECK(alias.resolution == ServiceResolution::kAlias);
  CHECK(alias.alias_target == "real.default.svc.cluster.local");
  CHECK(alias.addresses.empty());
  const Service& real = w.svc("real.default.svc.cluster.local");
  REQUIRE(real.aliases.size() == 1);
  CHECK(real.aliases[0] == "alias.other.svc.cluster.local");
}

TEST_CASE("registry: the exportTo annotation limits who sees a Service (4.5)", "[lower-registry]") {
  World w(kubeService("priv", "a", "  - {port: 80}\n", "",
                      "  annotations:\n    networking.istio.io/exportTo: \".\"\n") +
          kubeService("some", "a", "  - {port: 80}\n", "",
                      "  annotations:\n    networking.istio.io/exportTo: \"b, c\"\n") +
          kubeService("none", "a", "  - {port: 80}\n", "",
                      "  annotations:\n    networking.istio.io/exportTo: \"~\"\n") +
          kubeService("pub", "a", "  - {port: 80}\n"));
  CHECK(w.svc("priv.a.svc.cluster.local").visibleTo("a"));
  CHECK_FALSE(w.svc("priv.a.svc.cluster.local").visibleTo("b"));
  CHECK(w.svc("some.a.svc.cluster.local").visibleTo("c"));
  CHECK_FALSE(w.svc("some.a.svc.cluster.local").visibleTo("a"));
  CHECK_FALSE(w.svc("none.a.svc.cluster.local").visibleTo("a"));
  CHECK(w.svc("pub.a.svc.cluster.local").visibleTo("zzz"));
  // servicesExportedToNamespace: non-public ones first, then public.
  std::vector<const Service*> seen = w.registry.exportedTo("b");
  REQUIRE(seen.size() == 2);
  CHECK(seen[0]->name == "some");
  CHECK(seen[1]->name == "pub");
}

TEST_CASE("registry: mesh defaultServiceExportTo applies when a service sets none (4.5)",
          "[lower-registry]") {
  frontend::MeshConfig mesh;
  mesh.default_service_export_to = {"."};
  World w(kubeService("a", "ns1", "  - {port: 80}\n"), mesh);
  CHECK(w.svc("a.ns1.svc.cluster.local").visibleTo("ns1"));
  CHECK_FALSE(w.svc("a.ns1.svc.cluster.local").visibleTo("ns2"));
}

TEST_CASE("registry: endpoints are the selected pods with named and numeric target ports",
          "[lower-registry]") {
  World w(kubeService("web", "default",
                      "  - {name: http, port: 80, targetPort: web}\n"
                      "  - {name: tcp-admin, port: 9000, targetPort: 9901}\n"
                      "  - {name: tcp-x, port: 7000}\n",
                      "  selector:\n    app: web\n") +
          "apiVersion: v1\nkind: Pod\nmetadata:\n  name: web-1\n  namespace: default\n  labels:\n"
          "    app: web\n    version: v1\nspec:\n  containers:\n  - name: c\n    image: i\n"
          "    ports:\n    - {name: web, containerPort: 8080}\nstatus:\n  podIP: 10.1.0.5\n---\n"
          "apiVersion: v1\nkind: Pod\nmetadata:\n  name: web-2\n  namespace: other\n  labels:\n"
          "    app: web\nspec:\n  containers:\n  - name: c\n    image: i\nstatus:\n"
          "  podIP: 10.1.0.6\n");
  const Service& s = w.svc("web.default.svc.cluster.local");
  REQUIRE(s.endpoints.size() == 1);  // the pod in another namespace is not selected
  std::vector<Endpoint> http = w.registry.endpointsFor(s, 80);
  REQUIRE(http.size() == 1);
  CHECK(http[0].address == "10.1.0.5");
  CHECK(http[0].port == 8080);
  std::vector<Endpoint> admin = w.registry.endpointsFor(s, 9000);
  REQUIRE(admin.size() == 1);
  CHECK(admin[0].port == 9901);
  CHECK(w.registry.endpointsFor(s, 7000).at(0).port == 7000);
  CHECK(w.registry.endpointsFor(s, 1234).empty());
  CHECK(w.registry.endpointsFor(s, 80, {{"version", "v1"}}).size() == 1);
  CHECK(w.registry.endpointsFor(s, 80, {{"version", "v2"}}).empty());
}

// --- ServiceEntries (1.21) ----------------------------------------------------------------------

TEST_CASE("registry: a ServiceEntry gives one service per host, hosts verbatim (1.21, 2.1)",
          "[lower-registry]") {
  World w(
      "apiVersion: networking.istio.io/v1\nkind: ServiceEntry\nmetadata:\n  name: ext\n"
      "  namespace: ns1\nspec:\n  hosts: [api.example.com, short]\n  addresses: [240.0.0.1, "
      "10.2.0.0/16, 10.3.0.7/32]\n  location: MESH_INTERNAL\n  resolution: STATIC\n  ports:\n"
      "  - {number: 443, name: tls, protocol: TLS}\n  - {number: 80, name: web, protocol: "
      "http}\n");
  const Service& a = w.svc("api.example.com");
  CHECK_FALSE(a.isKubernetes());
  CHECK(w.registry.findAll("short").size() == 1);  // never short-name expanded
  CHECK(w.registry.findAll("short.ns1.svc.cluster.local").empty());
  REQUIRE(a.addresses.size() == 3);
  CHECK(a.addresses[0] == "240.0.0.1");
  CHECK(a.addresses[1] == "10.2.0.0/16");
  CHECK(a.addresses[2] == "10.3.0.7");  // a full-length CIDR is just an address
  CHECK_FALSE(a.mesh_external);
  CHECK(a.resolution == ServiceResolution::kClientSideLb);
  CHECK(a.ports[0].protocol == "TLS");
  CHECK(a.ports[1].protocol == "HTTP");
}

TEST_CASE("registry: ServiceEntry defaults are MESH_EXTERNAL and resolution NONE (1.21)",
          "[lower-registry]") {
  World w(
      "apiVersion: networking.istio.io/v1\nkind: ServiceEntry\nmetadata:\n  name: ext\n"
      "  namespace: ns1\nspec:\n  hosts: [a.example.com]\n  ports:\n"
      "  - {number: 80, name: http, protocol: HTTP}\n");
  const Service& a = w.svc("a.example.com");
  CHECK(a.mesh_external);
  CHECK(a.resolution == ServiceResolution::kPassthrough);
  CHECK(a.addresses.empty());
  CHECK(a.endpoints.empty());
}

TEST_CASE("registry: DNS ServiceEntry without endpoints resolves its own host (1.21)",
          "[lower-registry]") {
  World w(
      "apiVersion: networking.istio.io/v1\nkind: ServiceEntry\nmetadata:\n  name: ext\n"
      "  namespace: ns1\nspec:\n  hosts: [a.example.com]\n  resolution: DNS\n  ports:\n"
      "  - {number: 443, name: tls, protocol: TLS, targetPort: 8443}\n");
  const Service& a = w.svc("a.example.com");
  std::vector<Endpoint> eps = w.registry.endpointsFor(a, 443);
  REQUIRE(eps.size() == 1);
  CHECK(eps[0].address == "a.example.com");
  CHECK(eps[0].port == 8443);
}

TEST_CASE("registry: ServiceEntry endpoints map ports by name, then targetPort (1.21)",
          "[lower-registry]") {
  World w(
      "apiVersion: networking.istio.io/v1\nkind: ServiceEntry\nmetadata:\n  name: ext\n"
      "  namespace: ns1\nspec:\n  hosts: [db.example.com]\n  resolution: STATIC\n  ports:\n"
      "  - {number: 80, name: http, protocol: HTTP}\n"
      "  - {number: 90, name: admin, protocol: HTTP, targetPort: 9090}\n  endpoints:\n"
      "  - address: 1.1.1.1\n    ports: {http: 8080}\n    labels: {v: one}\n"
      "  - address: 2.2.2.2\n    labels: {v: two}\n");
  const Service& s = w.svc("db.example.com");
  std::vector<Endpoint> http = w.registry.endpointsFor(s, 80);
  REQUIRE(http.size() == 2);
  CHECK(http[0].port == 8080);
  CHECK(http[1].port == 80);
  std::vector<Endpoint> admin = w.registry.endpointsFor(s, 90);
  REQUIRE(admin.size() == 2);
  CHECK(admin[0].port == 9090);
  CHECK(w.registry.endpointsFor(s, 80, {{"v", "two"}}).at(0).address == "2.2.2.2");
}

TEST_CASE("registry: ServiceEntry exportTo '~' hides the service from everyone (1.17)",
          "[lower-registry]") {
  World w(
      "apiVersion: networking.istio.io/v1\nkind: ServiceEntry\nmetadata:\n  name: ext\n"
      "  namespace: ns1\nspec:\n  hosts: [a.example.com]\n  exportTo: ['~']\n  ports:\n"
      "  - {number: 80, name: http, protocol: HTTP}\n");
  CHECK_FALSE(w.svc("a.example.com").visibleTo("ns1"));
  CHECK(w.registry.exportedTo("ns1").empty());
}

TEST_CASE("registry: hostname lookup prefers the proxy namespace, then Kubernetes, then oldest",
          "[lower-registry]") {
  World w(
      "apiVersion: networking.istio.io/v1\nkind: ServiceEntry\nmetadata:\n  name: e1\n"
      "  namespace: ns1\n  creationTimestamp: '2020-01-01T00:00:00Z'\nspec:\n  hosts: "
      "[x.example.com]\n  ports:\n  - {number: 80, name: http, protocol: HTTP}\n---\n"
      "apiVersion: networking.istio.io/v1\nkind: ServiceEntry\nmetadata:\n  name: e2\n"
      "  namespace: ns2\n  creationTimestamp: '2021-01-01T00:00:00Z'\nspec:\n  hosts: "
      "[x.example.com]\n  ports:\n  - {number: 80, name: http, protocol: HTTP}\n");
  REQUIRE(w.registry.findAll("x.example.com").size() == 2);
  CHECK(w.registry.findVisible("x.example.com", "ns2")->name_space == "ns2");
  CHECK(w.registry.findVisible("x.example.com", "zzz")->name_space == "ns1");
  CHECK(w.registry.findVisible("x.example.com", "zzz", "ns2")->name_space == "ns2");
}

// --- DestinationRules (3.9, 1.20) ---------------------------------------------------------------

std::string dr(std::string name, std::string ns, std::string host, std::string extra = "",
               std::string ts = "") {
  std::string meta = "metadata:\n  name: " + name + "\n  namespace: " + ns + "\n";
  if (!ts.empty()) {
    meta += "  creationTimestamp: '" + ts + "'\n";
  }
  return "apiVersion: networking.istio.io/v1\nkind: DestinationRule\n" + meta +
         "spec:\n  host: " + host + "\n" + extra + "---\n";
}

TEST_CASE("destination rules: the proxy namespace's rule beats the service namespace's (3.9)",
          "[lower-registry]") {
  World w(dr("in-svc-ns", "bookinfo", "reviews") +
          dr("in-client-ns", "client", "reviews.bookinfo.svc.cluster.local") +
          dr("in-root", "istio-system", "reviews.bookinfo.svc.cluster.local"));
  DestinationRuleIndex idx(w.config);
  const std::string host = "reviews.bookinfo.svc.cluster.local";
  CHECK(idx.forProxy(sidecarIn("client"), host, "bookinfo")->rule.meta.name == "in-client-ns");
  CHECK(idx.forProxy(sidecarIn("bookinfo"), host, "bookinfo")->rule.meta.name == "in-svc-ns");
  CHECK(idx.forProxy(sidecarIn("third"), host, "bookinfo")->rule.meta.name == "in-svc-ns");
}

TEST_CASE("destination rules: a DR short host expands in the DR's namespace (2.1, 1.20)",
          "[lower-registry]") {
  World w(dr("d", "ns1", "reviews"));
  DestinationRuleIndex idx(w.config);
  CHECK(idx.forProxy(sidecarIn("x"), "reviews.ns1.svc.cluster.local", "ns1") != nullptr);
  CHECK(idx.forProxy(sidecarIn("x"), "reviews.ns2.svc.cluster.local", "ns2") == nullptr);
}

TEST_CASE("destination rules: root namespace rules are the last resort (3.9)", "[lower-registry]") {
  World w(dr("global", "istio-system", "'*.local'"));
  DestinationRuleIndex idx(w.config);
  const ConsolidatedDestinationRule* c =
      idx.forProxy(sidecarIn("app"), "a.app.svc.cluster.local", "app");
  REQUIRE(c != nullptr);
  CHECK(c->rule.meta.name == "global");
}

TEST_CASE("destination rules: a private (exportTo '.') rule is invisible elsewhere (1.17)",
          "[lower-registry]") {
  World w(dr("private", "bookinfo", "reviews", "  exportTo: ['.']\n"));
  DestinationRuleIndex idx(w.config);
  const std::string host = "reviews.bookinfo.svc.cluster.local";
  CHECK(idx.forProxy(sidecarIn("bookinfo"), host, "bookinfo") != nullptr);
  CHECK(idx.forProxy(sidecarIn("client"), host, "bookinfo") == nullptr);
}

TEST_CASE("destination rules: exact host beats the longest wildcard, which beats shorter (2.3)",
          "[lower-registry]") {
  World w(dr("short", "ns", "'*.com'") + dr("long", "ns", "'*.example.com'") +
          dr("exact", "ns", "a.example.com"));
  DestinationRuleIndex idx(w.config);
  REQUIRE(idx.forProxy(sidecarIn("ns"), "b.other.com", "x") != nullptr);
  CHECK(idx.forProxy(sidecarIn("ns"), "a.example.com", "x")->rule.meta.name == "exact");
  CHECK(idx.forProxy(sidecarIn("ns"), "b.example.com", "x")->rule.meta.name == "long");
  CHECK(idx.forProxy(sidecarIn("ns"), "b.other.com", "x")->rule.meta.name == "short");
  CHECK(idx.forProxy(sidecarIn("ns"), "example.org", "x") == nullptr);
}

TEST_CASE("destination rules: same-host rules merge subsets, the oldest policy wins (3.9)",
          "[lower-registry]") {
  World w(dr("b-newer", "ns", "svc",
             "  trafficPolicy:\n    loadBalancer: {simple: RANDOM}\n  subsets:\n"
             "  - {name: v1, labels: {version: x}}\n  - {name: v3, labels: {version: v3}}\n",
             "2021-01-01T00:00:00Z") +
          dr("a-older", "ns", "svc",
             "  trafficPolicy:\n    loadBalancer: {simple: ROUND_ROBIN}\n  subsets:\n"
             "  - {name: v1, labels: {version: v1}}\n  - {name: v2, labels: {version: v2}}\n",
             "2020-01-01T00:00:00Z"));
  DestinationRuleIndex idx(w.config);
  const ConsolidatedDestinationRule* c =
      idx.forProxy(sidecarIn("ns"), "svc.ns.svc.cluster.local", "ns");
  REQUIRE(c != nullptr);
  REQUIRE(c->rule.subsets.size() == 3);
  CHECK(c->rule.subsets[0].name == "v1");
  CHECK(c->rule.subsets[0].labels.at("version") == "v1");  // the later duplicate is dropped
  CHECK(c->rule.subsets[2].name == "v3");
  CHECK(c->from.size() == 2);
  CHECK(c->from[0] == "ns/a-older");
  CHECK(lbPolicyName(c, 80, "") == "ROUND_ROBIN");
}

TEST_CASE("destination rules: a workload-selector rule applies only to matching proxies (3.9)",
          "[lower-registry]") {
  World w(dr("general", "ns", "svc", "  subsets:\n  - {name: all, labels: {a: b}}\n") +
          dr("special", "ns", "svc",
             "  workloadSelector:\n    matchLabels: {app: special}\n  subsets:\n"
             "  - {name: only, labels: {a: c}}\n"));
  DestinationRuleIndex idx(w.config);
  const std::string host = "svc.ns.svc.cluster.local";
  CHECK(idx.forProxy(sidecarIn("ns", {{"app", "special"}}), host, "ns")->rule.meta.name ==
        "special");
  CHECK(idx.forProxy(sidecarIn("ns", {{"app", "other"}}), host, "ns")->rule.meta.name == "general");
  // Selector rules never leave their namespace.
  CHECK(idx.forProxy(sidecarIn("elsewhere", {{"app", "special"}}), host, "ns")->rule.meta.name ==
        "general");
}

TEST_CASE("destination rules: hash precedence subset port > subset > port > top level (1.20)",
          "[lower-registry]") {
  World w(dr("d", "ns", "svc",
             "  trafficPolicy:\n    loadBalancer:\n      consistentHash: {httpHeaderName: top}\n"
             "    portLevelSettings:\n    - port: {number: 8080}\n      loadBalancer:\n"
             "        consistentHash: {httpHeaderName: top-port}\n  subsets:\n"
             "  - name: s\n    labels: {v: s}\n    trafficPolicy:\n      loadBalancer:\n"
             "        consistentHash: {httpCookie: {name: sub, ttl: 0s}}\n"
             "      portLevelSettings:\n      - port: {number: 9090}\n        loadBalancer:\n"
             "          consistentHash: {useSourceIp: true}\n"
             "  - name: plain\n    labels: {v: p}\n"));
  DestinationRuleIndex idx(w.config);
  const ConsolidatedDestinationRule* c =
      idx.forProxy(sidecarIn("ns"), "svc.ns.svc.cluster.local", "ns");
  REQUIRE(c != nullptr);
  auto hashFor = [&](std::string subset, std::optional<uint32_t> port) {
    model::Destination d;
    d.host = "svc.ns.svc.cluster.local";
    d.subset = std::move(subset);
    d.port = port;
    return consistentHashForDestination(c, d);
  };
  CHECK(hashFor("", std::nullopt)->http_header_name == "top");
  CHECK(hashFor("", 8080)->http_header_name == "top-port");
  CHECK(hashFor("plain", 8080)->http_header_name == "top-port");
  CHECK(hashFor("s", 8080)->http_cookie_name == "sub");
  CHECK(hashFor("s", 9090)->use_source_ip);
  CHECK(consistentHashForServicePort(c, 8080)->http_header_name == "top-port");
  CHECK(consistentHashForServicePort(c, 80)->http_header_name == "top");
  CHECK(lbPolicyName(c, 80, "") == "RING_HASH");
  std::optional<HashPolicy> hp = toHashPolicy(*hashFor("s", 8080));
  REQUIRE(hp.has_value());
  CHECK(hp->cookie_name == "sub");
}

TEST_CASE("destination rules: subset clusters filter endpoints by labels (1.20)",
          "[lower-registry]") {
  World w(kubeService("web", "ns", "  - {name: http, port: 80, targetPort: 8080}\n",
                      "  selector:\n    app: web\n") +
          "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p1\n  namespace: ns\n  labels:\n"
          "    app: web\n    version: v1\nspec:\n  containers:\n  - {name: c, image: i}\n"
          "status:\n  podIP: 10.1.0.1\n---\n"
          "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p2\n  namespace: ns\n  labels:\n"
          "    app: web\n    version: v2\nspec:\n  containers:\n  - {name: c, image: i}\n"
          "status:\n  podIP: 10.1.0.2\n---\n" +
          dr("d", "ns", "web",
             "  subsets:\n  - {name: v1, labels: {version: v1}}\n"
             "  - {name: v3, labels: {version: v3}}\n"));
  DestinationRuleIndex idx(w.config);
  const Service& s = w.svc("web.ns.svc.cluster.local");
  std::vector<Cluster> cs =
      buildServiceClusters(w.registry, s, idx.forProxy(sidecarIn("ns"), s.hostname, "ns"));
  REQUIRE(cs.size() == 3);
  CHECK(cs[0].name == "outbound|80||web.ns.svc.cluster.local");
  CHECK(cs[0].endpoints.size() == 2);
  CHECK(cs[0].type == Cluster::DiscoveryType::kEds);
  CHECK(cs[0].lb_policy == "LEAST_REQUEST");
  CHECK(cs[1].name == "outbound|80|v1|web.ns.svc.cluster.local");
  REQUIRE(cs[1].endpoints.size() == 1);
  CHECK(cs[1].endpoints[0].address == "10.1.0.1");
  CHECK(cs[1].endpoints[0].port == 8080);
  CHECK(cs[2].name == "outbound|80|v3|web.ns.svc.cluster.local");
  CHECK(cs[2].endpoints.empty());  // a subset selecting nothing: empty cluster (503 UH)
}

// --- Sidecar scope (5.1-5.3, 9.8, 9.9) ----------------------------------------------------------

std::string sidecar(std::string name, std::string ns, std::string spec, std::string ts = "") {
  std::string meta = "metadata:\n  name: " + name + "\n  namespace: " + ns + "\n";
  if (!ts.empty()) {
    meta += "  creationTimestamp: '" + ts + "'\n";
  }
  return "apiVersion: networking.istio.io/v1\nkind: Sidecar\n" + meta + "spec:\n" + spec + "---\n";
}

std::string vs(std::string name, std::string ns, std::string hosts, std::string dest,
               std::string extra = "") {
  return "apiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata:\n  name: " + name +
         "\n  namespace: " + ns + "\nspec:\n  hosts: " + hosts + "\n" + extra +
         "  http:\n  - route:\n    - destination:\n        host: " + dest + "\n---\n";
}

struct Scoped {
  explicit Scoped(std::string yaml, ProxyIdentity proxy, frontend::MeshConfig mesh = {})
      : w(std::move(yaml), mesh), index(w.config) {
    scope = SidecarScope::build(w.config, w.registry, index, proxy);
  }
  World w;
  VirtualServiceIndex index;
  SidecarScope scope;
  bool hasService(std::string_view host) const { return scope.serviceForHostname(host); }
  bool listenerHas(size_t i, std::string_view host) const {
    for (const Service& s : scope.egressListeners().at(i).services) {
      if (s.hostname == host) {
        return true;
      }
    }
    return false;
  }
};

TEST_CASE("sidecar scope: selector Sidecar beats namespace-wide, which beats root (5.3)",
          "[lower-registry]") {
  std::string yaml =
      sidecar("root", "istio-system", "  egress:\n  - hosts: ['./*']\n") +
      sidecar("ns-wide", "app", "  egress:\n  - hosts: ['./*']\n") +
      sidecar("selected", "app",
              "  workloadSelector:\n    labels: {role: special}\n  egress:\n  - hosts: ['./*']\n");
  World w(yaml);
  ProxyIdentity special = sidecarIn("app", {{"role", "special"}});
  CHECK(selectSidecar(w.config, special)->meta.name == "selected");
  CHECK(selectSidecar(w.config, sidecarIn("app", {{"role", "other"}}))->meta.name == "ns-wide");
  CHECK(selectSidecar(w.config, sidecarIn("elsewhere"))->meta.name == "root");
  ProxyIdentity gw = sidecarIn("app");
  gw.kind = ProxyIdentity::Kind::kGateway;
  CHECK(selectSidecar(w.config, gw) == nullptr);  // never for gateways
}

TEST_CASE("sidecar scope: the oldest of several namespace-wide Sidecars applies (5.3)",
          "[lower-registry]") {
  World w(sidecar("b", "app", "  egress:\n  - hosts: ['./*']\n", "2020-01-01T00:00:00Z") +
          sidecar("a", "app", "  egress:\n  - hosts: ['./*']\n", "2021-01-01T00:00:00Z"));
  CHECK(selectSidecar(w.config, sidecarIn("app"))->meta.name == "b");
}

TEST_CASE("sidecar scope: no Sidecar imports every visible service and the mesh policy (5.3)",
          "[lower-registry]") {
  Scoped s(
      kubeService("a", "ns1", "  - {port: 80}\n") + kubeService("b", "ns2", "  - {port: 80}\n"),
      sidecarIn("ns1"));
  CHECK(s.scope.sidecar() == nullptr);
  CHECK(s.hasService("a.ns1.svc.cluster.local"));
  CHECK(s.hasService("b.ns2.svc.cluster.local"));
  CHECK(s.scope.outboundMode() == OutboundPolicyMode::kAllowAny);
  CHECK(s.scope.passthroughCluster() == "PassthroughCluster");
}

TEST_CASE(
    "sidecar scope: egress hosts import by service namespace, '.' is the own namespace "
    "(5.1)",
    "[lower-registry]") {
  Scoped s(
      kubeService("a", "ns1", "  - {port: 80}\n") + kubeService("b", "ns2", "  - {port: 80}\n") +
          kubeService("c", "ns3", "  - {port: 80}\n") +
          sidecar("s", "ns1", "  egress:\n  - hosts: ['./*', 'ns2/b.ns2.svc.cluster.local']\n"),
      sidecarIn("ns1"));
  CHECK(s.hasService("a.ns1.svc.cluster.local"));
  CHECK(s.hasService("b.ns2.svc.cluster.local"));
  CHECK_FALSE(s.hasService("c.ns3.svc.cluster.local"));
}

TEST_CASE("sidecar scope: '~ns/host' excludes and '~/*' imports nothing (5.1)",
          "[lower-registry]") {
  std::string services =
      kubeService("a", "ns1", "  - {port: 80}\n") + kubeService("b", "ns1", "  - {port: 80}\n");
  Scoped excl(services + sidecar("s", "ns1",
                                 "  egress:\n  - hosts: ['*/*', '~ns1/b.ns1.svc.cluster.local']\n"),
              sidecarIn("ns1"));
  CHECK(excl.hasService("a.ns1.svc.cluster.local"));
  CHECK_FALSE(excl.hasService("b.ns1.svc.cluster.local"));
  Scoped none(services + sidecar("s", "ns1", "  egress:\n  - hosts: ['~/*']\n"), sidecarIn("ns1"));
  CHECK(none.scope.services().empty());
}

TEST_CASE("sidecar scope: VirtualServices are imported by the VS's namespace (9.9)",
          "[lower-registry]") {
  Scoped s(kubeService("a", "ns2", "  - {name: http, port: 80}\n") +
               vs("in-ns1", "ns1", "[a.ns2.svc.cluster.local]", "a.ns2.svc.cluster.local") +
               vs("in-ns2", "ns2", "[a.ns2.svc.cluster.local]", "a.ns2.svc.cluster.local") +
               sidecar("s", "ns1", "  egress:\n  - hosts: ['ns2/*']\n"),
           sidecarIn("ns1"));
  const auto& vss = s.scope.egressListeners().at(0).virtual_services;
  REQUIRE(vss.size() == 1);
  CHECK(vss[0]->ref() == "ns2/in-ns2");
}

TEST_CASE("sidecar scope: VS host matching is symmetric: entry a.com imports a *.com VS (9.9)",
          "[lower-registry]") {
  Scoped s(vs("wild", "ns1", "['*.com']", "a.com") +
               sidecar("s", "ns1", "  egress:\n  - hosts: ['ns1/a.com']\n"),
           sidecarIn("ns1"));
  REQUIRE(s.scope.egressListeners().at(0).virtual_services.size() == 1);
}

TEST_CASE("sidecar scope: VS destinations join the scope for clusters only (5.1)",
          "[lower-registry]") {
  Scoped s(
      kubeService("a", "ns1", "  - {name: http, port: 80}\n") +
          kubeService("b", "ns2", "  - {name: http, port: 80}\n  - {name: http-x, port: 81}\n") +
          "apiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata:\n  name: v\n"
          "  namespace: ns1\nspec:\n  hosts: [a.ns1.svc.cluster.local]\n  http:\n"
          "  - route:\n    - destination:\n        host: b.ns2.svc.cluster.local\n"
          "        port: {number: 81}\n---\n" +
          sidecar("s", "ns1", "  egress:\n  - hosts: ['./*']\n"),
      sidecarIn("ns1"));
  CHECK(s.listenerHas(0, "a.ns1.svc.cluster.local"));
  CHECK_FALSE(s.listenerHas(0, "b.ns2.svc.cluster.local"));
  const Service* b = s.scope.serviceForHostname("b.ns2.svc.cluster.local");
  REQUIRE(b != nullptr);
  REQUIRE(b->ports.size() == 1);  // trimmed to the port the VS uses
  CHECK(b->ports[0].port == 81);
}

TEST_CASE("sidecar scope: an egress listener port trims services to that port (5.2)",
          "[lower-registry]") {
  Scoped s(kubeService("a", "ns1", "  - {name: http, port: 80}\n  - {name: http-b, port: 81}\n") +
               kubeService("b", "ns1", "  - {name: http, port: 9080}\n") +
               sidecar("s", "ns1",
                       "  egress:\n  - port: {number: 81, protocol: HTTP, name: h}\n"
                       "    hosts: ['./*']\n"),
           sidecarIn("ns1"));
  const EgressListenerScope& l = s.scope.egressListeners().at(0);
  CHECK(l.match_port);
  REQUIRE(l.services.size() == 1);
  CHECK(l.services[0].hostname == "a.ns1.svc.cluster.local");
  REQUIRE(l.services[0].ports.size() == 1);
  CHECK(l.services[0].ports[0].port == 81);
  CHECK(s.scope.egressListenerForRds(81) == &l);
  CHECK(s.scope.egressListenerForRds(80) == nullptr);
}

TEST_CASE("sidecar scope: outboundTrafficPolicy {} means REGISTRY_ONLY (9.8)", "[lower-registry]") {
  Scoped empty(sidecar("s", "ns1", "  outboundTrafficPolicy: {}\n"), sidecarIn("ns1"));
  CHECK(empty.scope.outboundMode() == OutboundPolicyMode::kRegistryOnly);
  Scoped allow(sidecar("s", "ns1", "  outboundTrafficPolicy: {mode: ALLOW_ANY}\n"),
               sidecarIn("ns1"));
  CHECK(allow.scope.outboundMode() == OutboundPolicyMode::kAllowAny);
  frontend::MeshConfig mesh;
  mesh.outbound_traffic_policy = "REGISTRY_ONLY";
  Scoped meshwide(sidecar("s", "ns1", "  egress:\n  - hosts: ['*/*']\n"), sidecarIn("ns1"), mesh);
  CHECK(meshwide.scope.outboundMode() == OutboundPolicyMode::kRegistryOnly);
}

TEST_CASE("sidecar scope: the same host from two namespaces keeps the proxy's own (5.1)",
          "[lower-registry]") {
  std::string se =
      "apiVersion: networking.istio.io/v1\nkind: ServiceEntry\nmetadata:\n"
      "  name: e\n  namespace: NS\nspec:\n  hosts: [x.example.com]\n  ports:\n"
      "  - {number: 80, name: http, protocol: HTTP}\n---\n";
  std::string yaml = se;
  yaml.replace(yaml.find("NS"), 2, "aaa");
  std::string second = se;
  second.replace(second.find("NS"), 2, "mine");
  Scoped s(yaml + second, sidecarIn("mine"));
  const Service* x = s.scope.serviceForHostname("x.example.com");
  REQUIRE(x != nullptr);
  CHECK(x->name_space == "mine");
}

TEST_CASE("sidecar scope: a Kubernetes Service beats a ServiceEntry for the same host (1.21)",
          "[lower-registry]") {
  Scoped s(kubeService("a", "ns1", "  - {name: http, port: 80}\n") +
               "apiVersion: networking.istio.io/v1\nkind: ServiceEntry\nmetadata:\n"
               "  name: squat\n  namespace: other\nspec:\n  hosts: [a.ns1.svc.cluster.local]\n"
               "  ports:\n  - {number: 80, name: http, protocol: HTTP}\n",
           sidecarIn("zzz"));
  const Service* a = s.scope.serviceForHostname("a.ns1.svc.cluster.local");
  REQUIRE(a != nullptr);
  CHECK(a->isKubernetes());
}

TEST_CASE("sidecar scope: egressProxy names the ALLOW_ANY catch-all cluster (5.4)",
          "[lower-registry]") {
  Scoped s(sidecar("s", "ns1",
                   "  outboundTrafficPolicy:\n    mode: ALLOW_ANY\n    egressProxy:\n"
                   "      host: egress.istio-system.svc.cluster.local\n      subset: gw\n"
                   "      port: {number: 443}\n"),
           sidecarIn("ns1"));
  CHECK(s.scope.passthroughCluster() == "outbound|443|gw|egress.istio-system.svc.cluster.local");
}

}  // namespace
}  // namespace meshc::lower

namespace meshc::lower {
namespace {

TEST_CASE("registry: IPv4 literals need exactly four parts of 0..255", "[lower-registry]") {
  CHECK(parseIpv4Address("10.0.0.1") == 0x0a000001u);
  CHECK_FALSE(parseIpv4Address("1.2.3.4.5"));
  CHECK_FALSE(parseIpv4Address("1.2.3.4."));
  CHECK_FALSE(parseIpv4Address("1.2.3"));
  CHECK_FALSE(parseIpv4Address("1.2.3.256"));
  CHECK_FALSE(parseIpv4Address(""));
  CHECK(isIpLiteral("::1"));
  CHECK_FALSE(isIpLiteral("example.com"));
}

}  // namespace
}  // namespace meshc::lower
