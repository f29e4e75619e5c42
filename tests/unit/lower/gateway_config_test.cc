// Tests for gateway proxies: Gateway merging, listeners, route configurations, vhosts, TLS/TCP
// chains and clusters (SEMANTICS 1.18, 2.6, 3.8, 4.2, 4.3, 7.3-7.5, 9.4, 9.12-9.15).
#include "lower/gateway_config.h"

#include <catch2/catch.hpp>

#include "lower/gateway_test_util.h"
#include "lower/proxy_config.h"

namespace {

using namespace meshc;
using namespace meshc::lower;

using testing::build;
using testing::findListener;
using testing::hasNote;
using testing::ingress;
using testing::Lowered;

// A Gateway `name` in istio-system selecting the ingress pod, with the given servers (YAML list
// items indented by four spaces).
std::string gateway(const std::string& name, const std::string& servers,
                    const std::string& ns = "istio-system", const std::string& ts = "") {
  std::string meta = "{name: " + name + ", namespace: " + ns;
  if (!ts.empty()) {
    meta += ", creationTimestamp: \"" + ts + "\"";
  }
  meta += "}";
  return "---\napiVersion: networking.istio.io/v1\nkind: Gateway\nmetadata: " + meta +
         "\nspec:\n  selector: {istio: ingressgateway}\n  servers:\n" + servers;
}

std::string httpServer(uint32_t port, const std::string& hosts, const std::string& extra = "") {
  return "  - port: {number: " + std::to_string(port) + ", name: http-" + std::to_string(port) +
         ", protocol: HTTP}\n    hosts: " + hosts + "\n" + extra;
}

// A VS bound to the given gateways with http rules (indented by two spaces, "  - ...").
std::string vs(const std::string& name, const std::string& hosts, const std::string& gateways,
               const std::string& http, const std::string& ns = "default",
               const std::string& ts = "", const std::string& extra = "") {
  std::string meta = "{name: " + name + ", namespace: " + ns;
  if (!ts.empty()) {
    meta += ", creationTimestamp: \"" + ts + "\"";
  }
  meta += "}";
  return "---\napiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata: " + meta +
         "\nspec:\n  hosts: " + hosts + "\n  gateways: " + gateways + "\n" + extra + "  http:\n" +
         http;
}

// One http rule routing to `host`, matching `prefix` when given (else a rule without matches).
std::string routeTo(const std::string& host, const std::string& prefix = "") {
  std::string route = "route: [{destination: {host: " + host + "}}]\n";
  if (prefix.empty()) {
    return "  - " + route;
  }
  return "  - match: [{uri: {prefix: " + prefix + "}}]\n    " + route;
}

const std::string kIngressService = R"(---
apiVersion: v1
kind: Service
metadata: {name: istio-ingressgateway, namespace: istio-system}
spec:
  selector: {istio: ingressgateway}
  ports:
  - {name: http2, port: 80, targetPort: 8080}
  - {name: https, port: 443, targetPort: 8443}
)";

const VirtualHost* findVhost(const RouteConfiguration& rc, std::string_view name) {
  for (const VirtualHost& v : rc.virtual_hosts) {
    if (v.name == name) {
      return &v;
    }
  }
  return nullptr;
}

std::vector<std::string> routePrefixes(const VirtualHost& vh) {
  std::vector<std::string> out;
  for (const Route& r : vh.routes) {
    out.push_back(r.match.path.value);
  }
  return out;
}

}  // namespace

// --- Selection and listener topology (1.18, 7.5)
// -----------------------------------------------------

TEST_CASE(
    "gateway: server port 80 listens on the Service targetPort, RDS uses the listener port, "
    "the vhost the server port (TestTargetPort basic, SEMANTICS 7.5, 9.12)",
    "[lower-gateway]") {
  Lowered pc = build(kIngressService + gateway("gw", httpServer(80, "[example.com]")) +
                         vs("a", "[example.com]", "[istio-system/gw]",
                            "  - route: [{destination: {host: a, port: {number: 80}}}]\n"));
  REQUIRE(pc.listeners.size() == 1);
  const Listener& l = pc.listeners[0];
  CHECK(l.name == "0.0.0.0_8080");
  CHECK(l.port == 8080);
  CHECK(l.server_port == 80);
  REQUIRE(l.filter_chains.size() == 1);
  CHECK(l.filter_chains[0].http);
  CHECK(l.filter_chains[0].rds_name == "http.8080");
  const RouteConfiguration* rc = pc.findRouteConfig("http.8080");
  REQUIRE(rc != nullptr);
  REQUIRE(rc->virtual_hosts.size() == 1);
  CHECK(rc->virtual_hosts[0].name == "example.com:80");
  CHECK(rc->virtual_hosts[0].domains == std::vector<std::string>{"example.com"});
  CHECK(rc->ignore_port_in_host_matching);
  CHECK(rc->virtual_hosts[0].routes[0].route.cluster == "outbound|80||a.default.svc.cluster.local");
  testing::Loaded service_only(kIngressService);
  model::ConfigSet cs = testing::buildModel(service_only);
  CHECK(gatewayListenerPort(cs, ingress(), 443) == 8443);
  CHECK(gatewayListenerPort(cs, ingress(), 8000) == 8000);
}

TEST_CASE(
    "gateway: without a Service port the listener binds the server port itself "
    "(SEMANTICS 7.5)",
    "[lower-gateway]") {
  Lowered pc = build(gateway("gw", httpServer(80, "[\"*\"]")));
  REQUIRE(pc.listeners.size() == 1);
  CHECK(pc.listeners[0].name == "0.0.0.0_80");
  CHECK(pc.listeners[0].filter_chains[0].rds_name == "http.80");
}

TEST_CASE(
    "gateway: a Service labelled disable-gateway-port-translation is not used "
    "(TestDisablePortTranslation, SEMANTICS 7.5)",
    "[lower-gateway]") {
  Lowered pc = build(R"(---
apiVersion: v1
kind: Service
metadata:
  name: knative
  namespace: istio-system
  labels: {experimental.istio.io/disable-gateway-port-translation: "true"}
spec:
  selector: {istio: ingressgateway}
  ports: [{name: http, port: 80, targetPort: 8081}]
)" + gateway("gw", httpServer(80, "[\"*\"]")));
  REQUIRE(pc.listeners.size() == 1);
  CHECK(pc.listeners[0].name == "0.0.0.0_80");
}

TEST_CASE(
    "gateway: no VirtualService gives the blackhole:<port> vhost matching every host "
    "(TestHTTPGateway no virtual services, SEMANTICS 2.6, 3.6)",
    "[lower-gateway]") {
  Lowered pc = build(gateway("gw", httpServer(80, "[foo.bar]")));
  const RouteConfiguration* rc = pc.findRouteConfig("http.80");
  REQUIRE(rc != nullptr);
  REQUIRE(rc->virtual_hosts.size() == 1);
  CHECK(rc->virtual_hosts[0].name == "blackhole:80");
  CHECK(rc->virtual_hosts[0].domains == std::vector<std::string>{"*"});
  CHECK(rc->virtual_hosts[0].routes.empty());
}

TEST_CASE(
    "gateway: selectors must be a subset of the pod labels, a nil selector selects every "
    "gateway (SEMANTICS 1.18)",
    "[lower-gateway]") {
  std::string other = R"(---
apiVersion: networking.istio.io/v1
kind: Gateway
metadata: {name: egress, namespace: istio-system}
spec:
  selector: {istio: egressgateway}
  servers:
  - port: {number: 81, name: http, protocol: HTTP}
    hosts: ["*"]
---
apiVersion: networking.istio.io/v1
kind: Gateway
metadata: {name: all, namespace: elsewhere}
spec:
  servers:
  - port: {number: 82, name: http, protocol: HTTP}
    hosts: ["*"]
)";
  Lowered pc = build(other);
  REQUIRE(pc.listeners.size() == 1);
  CHECK(pc.listeners[0].name == "0.0.0.0_82");
  ProxyIdentity egress = ingress();
  egress.labels = {{"istio", "egressgateway"}, {"extra", "x"}};
  CHECK(build(other, egress).listeners.size() == 2);
}

TEST_CASE(
    "gateway: a bind address names the listener and suffixes the RDS name "
    "(SEMANTICS 7.3, 7.5)",
    "[lower-gateway]") {
  Lowered pc = build(gateway("gw", httpServer(80, "[\"*\"]", "    bind: 10.1.2.3\n")));
  REQUIRE(pc.listeners.size() == 1);
  CHECK(pc.listeners[0].name == "10.1.2.3_80");
  CHECK(pc.listeners[0].address == "10.1.2.3");
  CHECK(pc.listeners[0].filter_chains[0].rds_name == "http.80.10.1.2.3");
}

TEST_CASE(
    "gateway: HTTP and TCP on one port keep whichever Gateway is older "
    "(TestGatewayConflicts multiple protocols, SEMANTICS 7.5)",
    "[lower-gateway]") {
  std::string tcp = "  - port: {number: 80, name: tcp, protocol: TCP}\n    hosts: [foo.bar]\n";
  std::string tcp_vs = R"(---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: t, namespace: istio-system}
spec:
  hosts: ["*"]
  gateways: [tcpgw, httpgw]
  tcp:
  - route: [{destination: {host: tcp-backend, port: {number: 9000}}}]
)";
  Lowered tcp_first =
      build(gateway("tcpgw", tcp, "istio-system", "2024-01-01T00:00:00Z") +
            gateway("httpgw", httpServer(80, "[foo.bar]"), "istio-system", "2024-02-01T00:00:00Z") +
            tcp_vs);
  REQUIRE(tcp_first.listeners.size() == 1);
  REQUIRE(tcp_first.listeners[0].filter_chains.size() == 1);
  CHECK_FALSE(tcp_first.listeners[0].filter_chains[0].http);
  CHECK(tcp_first.listeners[0].filter_chains[0].tcp_proxy->cluster ==
        "outbound|9000||tcp-backend.istio-system.svc.cluster.local");
  CHECK(hasNote(tcp_first, "lower-gw-protocol-conflict"));

  Lowered http_first =
      build(gateway("tcpgw", tcp, "istio-system", "2024-02-01T00:00:00Z") +
            gateway("httpgw", httpServer(80, "[foo.bar]"), "istio-system", "2024-01-01T00:00:00Z") +
            tcp_vs);
  REQUIRE(http_first.listeners.size() == 1);
  CHECK(http_first.listeners[0].filter_chains[0].http);
}

TEST_CASE(
    "gateway: two plain HTTP servers on a port share one route configuration "
    "(SEMANTICS 7.3)",
    "[lower-gateway]") {
  Lowered pc =
      build(gateway("a", httpServer(80, "[a.com]")) + gateway("b", httpServer(80, "[b.com]")) +
            vs("va", "[a.com]", "[istio-system/a]", routeTo("x")) +
            vs("vb", "[b.com]", "[istio-system/b]", routeTo("y")));
  REQUIRE(pc.listeners.size() == 1);
  REQUIRE(pc.listeners[0].filter_chains.size() == 1);
  REQUIRE(pc.route_configs.size() == 1);
  const RouteConfiguration& rc = pc.route_configs[0];
  REQUIRE(rc.virtual_hosts.size() == 2);
  CHECK(rc.virtual_hosts[0].name == "a.com:80");
  CHECK(rc.virtual_hosts[1].name == "b.com:80");
}

// --- HTTPS (7.3)
// -----------------------------------------------------------------------------------

TEST_CASE(
    "gateway: terminated HTTPS servers get their own chain and RDS "
    "https.<port>.<portName>.<gw>.<ns> (SEMANTICS 7.3)",
    "[lower-gateway]") {
  std::string servers = R"(  - port: {number: 443, name: https-a, protocol: HTTPS}
    hosts: [a.example.com]
    tls: {mode: SIMPLE, credentialName: a-cert}
  - port: {number: 443, name: https-b, protocol: HTTPS}
    hosts: ["istio-system/b.example.com", "*.c.example.com"]
    tls: {mode: MUTUAL, credentialName: b-cert}
)";
  Lowered pc =
      build(kIngressService + gateway("gw", servers) +
            vs("a", "[a.example.com]", "[istio-system/gw]", routeTo("a")) +
            vs("b", "[b.example.com]", "[istio-system/gw]", routeTo("b"), "istio-system"));
  const Listener* l = findListener(pc, "0.0.0.0_8443");
  REQUIRE(l != nullptr);
  CHECK(l->has_tls_inspector);
  REQUIRE(l->filter_chains.size() == 2);
  const FilterChain& a = l->filter_chains[0];
  CHECK(a.http);
  CHECK(a.terminates_tls);
  CHECK_FALSE(a.requires_client_certificate);
  CHECK(a.match.server_names == std::vector<std::string>{"a.example.com"});
  CHECK(a.rds_name == "https.443.https-a.gw.istio-system");
  const FilterChain& b = l->filter_chains[1];
  CHECK(b.requires_client_certificate);
  CHECK(b.match.server_names == std::vector<std::string>{"*.c.example.com", "b.example.com"});
  CHECK(b.rds_name == "https.443.https-b.gw.istio-system");
  const RouteConfiguration* rca = pc.findRouteConfig("https.443.https-a.gw.istio-system");
  REQUIRE(rca != nullptr);
  REQUIRE(rca->virtual_hosts.size() == 1);
  CHECK(rca->virtual_hosts[0].name == "a.example.com:443");
  const RouteConfiguration* rcb = pc.findRouteConfig("https.443.https-b.gw.istio-system");
  REQUIRE(rcb != nullptr);
  REQUIRE(rcb->virtual_hosts.size() == 1);
  CHECK(rcb->virtual_hosts[0].name == "b.example.com:443");
}

TEST_CASE(
    "gateway: a wildcard * host disables the SNI match but keeps the TLS inspector "
    "(SEMANTICS 7.3)",
    "[lower-gateway]") {
  Lowered pc = build(gateway("gw", R"(  - port: {number: 443, name: https, protocol: HTTPS}
    hosts: ["*"]
    tls: {mode: ISTIO_MUTUAL}
)"));
  REQUIRE(pc.listeners.size() == 1);
  const FilterChain& fc = pc.listeners[0].filter_chains[0];
  CHECK(fc.match.server_names.empty());
  CHECK(fc.istio_mutual);
  CHECK(fc.requires_client_certificate);
  CHECK(pc.listeners[0].has_tls_inspector);
}

TEST_CASE(
    "gateway: a later server repeating a TLS host on the same port is skipped "
    "(TestGatewayConflicts duplicate hosts, SEMANTICS 7.3)",
    "[lower-gateway]") {
  std::string server = R"(  - port: {number: 443, name: https, protocol: HTTPS}
    hosts: [a.example.com]
    tls: {mode: SIMPLE, credentialName: cert}
)";
  Lowered pc = build(gateway("first", server, "istio-system", "2024-01-01T00:00:00Z") +
                         gateway("second", server, "istio-system", "2024-01-02T00:00:00Z"));
  REQUIRE(pc.listeners.size() == 1);
  REQUIRE(pc.listeners[0].filter_chains.size() == 1);
  CHECK(pc.listeners[0].filter_chains[0].rds_name == "https.443.https.first.istio-system");
  CHECK(hasNote(pc, "lower-gw-duplicate-tls-host"));
}

// --- httpsRedirect (7.4)
// ----------------------------------------------------------------------------

TEST_CASE(
    "gateway: httpsRedirect creates a require_tls vhost even without a VirtualService "
    "(TestHTTPGateway httpsRedirect without routes, SEMANTICS 7.4)",
    "[lower-gateway]") {
  Lowered pc =
      build(gateway("gw", httpServer(80, "[example.com]", "    tls: {httpsRedirect: true}\n")));
  const RouteConfiguration* rc = pc.findRouteConfig("http.80");
  REQUIRE(rc != nullptr);
  REQUIRE(rc->virtual_hosts.size() == 1);
  CHECK(rc->virtual_hosts[0].name == "example.com:80");
  CHECK(rc->virtual_hosts[0].require_tls);
  CHECK(rc->virtual_hosts[0].routes.empty());
}

TEST_CASE(
    "gateway: one server with httpsRedirect makes the shared host redirect "
    "(TestHTTPGateway mixed httpsRedirect with routes, SEMANTICS 7.4)",
    "[lower-gateway]") {
  Lowered pc = build(
      gateway("gateway", httpServer(80, "[example.com]", "    tls: {httpsRedirect: true}\n"),
              "default", "2024-01-01T00:00:00Z") +
      gateway("gateway2", httpServer(80, "[example.com]"), "default", "2024-01-02T00:00:00Z") +
      vs("vs", "[example.com]", "[gateway]", routeTo("b", "/")));
  const RouteConfiguration* rc = pc.findRouteConfig("http.80");
  REQUIRE(rc != nullptr);
  REQUIRE(rc->virtual_hosts.size() == 1);
  CHECK(rc->virtual_hosts[0].name == "example.com:80");
  CHECK(rc->virtual_hosts[0].require_tls);
  CHECK(rc->virtual_hosts[0].routes.size() == 1);
}

// --- Virtual hosts, merging and ordering (2.6, 4.2, 4.3, 9.4, 9.13)
// ---------------------------------

TEST_CASE(
    "gateway: exact and wildcard VS hosts become separate vhosts, so the exact one shadows "
    "the wildcard (SEMANTICS 4.3, 9.13)",
    "[lower-gateway]") {
  Lowered pc =
      build(gateway("gw", httpServer(80, "[\"*.example.com\"]")) +
            vs("exact", "[a.example.com]", "[istio-system/gw]", routeTo("a", "/a")) +
            vs("wild", "[\"*.example.com\"]", "[istio-system/gw]", routeTo("w", "/w")));
  const RouteConfiguration* rc = pc.findRouteConfig("http.80");
  REQUIRE(rc != nullptr);
  REQUIRE(rc->virtual_hosts.size() == 2);
  const VirtualHost* exact = findVhost(*rc, "a.example.com:80");
  const VirtualHost* wild = findVhost(*rc, "*.example.com:80");
  REQUIRE((exact && wild));
  CHECK(routePrefixes(*exact) == std::vector<std::string>{"/a"});  // no /w here
  CHECK(routePrefixes(*wild) == std::vector<std::string>{"/w"});
}

TEST_CASE(
    "gateway: catch-all routes move after other routes across VSs, so a newer VS's /api "
    "beats an older VS's / (SEMANTICS 4.3, 9.4)",
    "[lower-gateway]") {
  Lowered pc =
      build(gateway("gw", httpServer(80, "[example.com]")) +
            vs("old", "[example.com]", "[istio-system/gw]", routeTo("root", "/"), "default",
               "2024-01-01T00:00:00Z") +
            vs("new", "[example.com]", "[istio-system/gw]",
               routeTo("api", "/api") + routeTo("rest"), "default", "2024-02-01T00:00:00Z"));
  const RouteConfiguration* rc = pc.findRouteConfig("http.80");
  REQUIRE(rc != nullptr);
  REQUIRE(rc->virtual_hosts.size() == 1);
  const VirtualHost& vh = rc->virtual_hosts[0];
  REQUIRE(vh.routes.size() == 3);
  CHECK(vh.routes[0].match.path.value == "/api");
  CHECK(vh.routes[0].source.virtual_service == "default/new");
  // Both catch-alls keep their relative (config) order: old's / first.
  CHECK(vh.routes[1].source.virtual_service == "default/old");
  CHECK(vh.routes[2].source.virtual_service == "default/new");
}

TEST_CASE(
    "gateway: non-catch-all routes of several VSs keep candidate order (oldest first) "
    "(SEMANTICS 4.1, 4.3)",
    "[lower-gateway]") {
  Lowered pc = build(gateway("gw", httpServer(80, "[example.com]")) +
                         vs("b-new", "[example.com]", "[istio-system/gw]", routeTo("x", "/x"),
                            "default", "2024-03-01T00:00:00Z") +
                         vs("a-old", "[example.com]", "[istio-system/gw]", routeTo("y", "/x"),
                            "default", "2024-01-01T00:00:00Z"));
  const VirtualHost& vh = pc.findRouteConfig("http.80")->virtual_hosts[0];
  REQUIRE(vh.routes.size() == 2);
  CHECK(vh.routes[0].source.virtual_service == "default/a-old");
}

TEST_CASE(
    "gateway: hosts of one VS share a vhost (route collapse), named after the most "
    "specific host (SEMANTICS 2.6)",
    "[lower-gateway]") {
  Lowered pc = build(
      gateway("gw", httpServer(80, "[\"*\"]")) +
      vs("v", "[b.example.com, a.example.com, \"*.wild.com\"]", "[istio-system/gw]", routeTo("x")) +
      vs("other", "[c.example.com]", "[istio-system/gw]", routeTo("x")));
  const RouteConfiguration* rc = pc.findRouteConfig("http.80");
  REQUIRE(rc != nullptr);
  REQUIRE(rc->virtual_hosts.size() == 2);
  const VirtualHost* merged = findVhost(*rc, "a.example.com:80");
  REQUIRE(merged != nullptr);
  CHECK(merged->domains ==
        std::vector<std::string>{"a.example.com", "b.example.com", "*.wild.com"});
  // A different VS with identical content is not collapsed (different route objects).
  CHECK(findVhost(*rc, "c.example.com:80") != nullptr);
}

TEST_CASE("gateway: server host ns/ restricts which VS namespaces bind (SEMANTICS 4.2)",
          "[lower-gateway]") {
  Lowered pc =
      build(gateway("gw", httpServer(80, "[\"team/*\", \"./own.com\"]")) +
            vs("in-team", "[a.com]", "[istio-system/gw]", routeTo("x"), "team") +
            vs("not-team", "[b.com]", "[istio-system/gw]", routeTo("x"), "default") +
            vs("own", "[own.com]", "[istio-system/gw]", routeTo("x"), "istio-system") +
            vs("own-wrong-ns", "[own.com]", "[istio-system/gw]", routeTo("y"), "default"));
  const RouteConfiguration* rc = pc.findRouteConfig("http.80");
  REQUIRE(rc != nullptr);
  REQUIRE(rc->virtual_hosts.size() == 2);
  CHECK(findVhost(*rc, "a.com:80") != nullptr);
  const VirtualHost* own = findVhost(*rc, "own.com:80");
  REQUIRE(own != nullptr);
  REQUIRE(own->routes.size() == 1);
  CHECK(own->routes[0].source.virtual_service == "istio-system/own");
  // VSs that contribute nothing are reported.
  CHECK(hasNote(pc, "lower-gw-vs-unused"));
  int unused = 0;
  for (const Diagnostic& d : pc.notes) {
    unused += d.id == "lower-gw-vs-unused" ? 1 : 0;
  }
  CHECK(unused == 2);  // not-team and own-wrong-ns
}

TEST_CASE("gateway: a VS bound only to the mesh never reaches a gateway (SEMANTICS 4.1)",
          "[lower-gateway]") {
  Lowered pc = build(gateway("gw", httpServer(80, "[\"*\"]")) + R"(---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: meshonly, namespace: default}
spec:
  hosts: [a.com]
  http: [{route: [{destination: {host: x}}]}]
)");
  CHECK(pc.findRouteConfig("http.80")->virtual_hosts[0].name == "blackhole:80");
}

TEST_CASE(
    "gateway: exportTo is checked against the gateway pod's namespace, not the Gateway's "
    "(SEMANTICS 4.5, 9.15)",
    "[lower-gateway]") {
  std::string config = gateway("gw", httpServer(80, "[\"*\"]")) +
                       vs("private", "[a.com]", "[istio-system/gw]", routeTo("x"), "istio-system",
                          "", "  exportTo: [.]\n");
  Lowered same_ns = build(config);
  CHECK(same_ns.findRouteConfig("http.80")->virtual_hosts[0].name == "a.com:80");
  ProxyIdentity other = ingress();
  other.name_space = "ingress-ns";
  Lowered other_ns = build(config, other);
  CHECK(other_ns.findRouteConfig("http.80")->virtual_hosts[0].name == "blackhole:80");
}

TEST_CASE(
    "gateway: match.gateways narrows to one Gateway, sourceLabels are compared with the "
    "gateway pod's labels (SEMANTICS 1.3, 9.6)",
    "[lower-gateway]") {
  std::string http = R"(  - match:
    - uri: {prefix: /only-a}
      gateways: [istio-system/a]
    - uri: {prefix: /labels}
      sourceLabels: {app: frontend}
    - uri: {prefix: /pod-labels}
      sourceLabels: {istio: ingressgateway}
    route: [{destination: {host: x}}]
)";
  Lowered pc =
      build(gateway("a", httpServer(80, "[a.com]")) + gateway("b", httpServer(80, "[b.com]")) +
            vs("v", "[a.com, b.com]", "[istio-system/a, istio-system/b]", http));
  const RouteConfiguration* rc = pc.findRouteConfig("http.80");
  REQUIRE(rc != nullptr);
  const VirtualHost* a = findVhost(*rc, "a.com:80");
  const VirtualHost* b = findVhost(*rc, "b.com:80");
  REQUIRE((a && b));
  CHECK(routePrefixes(*a) == std::vector<std::string>{"/only-a", "/pod-labels"});
  CHECK(routePrefixes(*b) == std::vector<std::string>{"/pod-labels"});
}

TEST_CASE(
    "gateway: match.port and FROM_REQUEST_PORT use the server port, not the target port "
    "(SEMANTICS 9.12)",
    "[lower-gateway]") {
  std::string http = R"(  - match: [{uri: {prefix: /p80}, port: 80}]
    redirect: {uri: /x, derivePort: FROM_REQUEST_PORT, scheme: http}
  - match: [{uri: {prefix: /p8080}, port: 8080}]
    route: [{destination: {host: x}}]
)";
  Lowered pc = build(kIngressService + gateway("gw", httpServer(80, "[a.com]")) +
                         vs("v", "[a.com]", "[istio-system/gw]", http));
  const RouteConfiguration* rc = pc.findRouteConfig("http.8080");
  REQUIRE(rc != nullptr);
  const VirtualHost& vh = rc->virtual_hosts[0];
  REQUIRE(vh.routes.size() == 1);
  CHECK(vh.routes[0].match.path.value == "/p80");
  CHECK(vh.routes[0].redirect.port_redirect == 0);  // 80 over http is implicit
}

// --- Destinations and clusters (3.8)
// ------------------------------------------------------------------

TEST_CASE(
    "gateway: an unqualified destination takes the service's only port, else the server "
    "port (SEMANTICS 3.8 Gateway HTTP)",
    "[lower-gateway]") {
  std::string services = R"(---
apiVersion: v1
kind: Service
metadata: {name: single, namespace: default}
spec:
  selector: {app: single}
  ports: [{name: http, port: 9080}]
---
apiVersion: v1
kind: Service
metadata: {name: multi, namespace: default}
spec:
  selector: {app: multi}
  ports: [{name: http, port: 9080}, {name: http-alt, port: 9090}]
)";
  std::string http = R"(  - match: [{uri: {prefix: /single}}]
    route: [{destination: {host: single}}]
  - match: [{uri: {prefix: /multi}}]
    route: [{destination: {host: multi}}]
  - route: [{destination: {host: unknown}}]
)";
  Lowered pc = build(services + kIngressService + gateway("gw", httpServer(80, "[a.com]")) +
                         vs("v", "[a.com]", "[istio-system/gw]", http));
  const VirtualHost& vh = pc.findRouteConfig("http.8080")->virtual_hosts[0];
  REQUIRE(vh.routes.size() == 3);
  CHECK(vh.routes[0].route.cluster == "outbound|9080||single.default.svc.cluster.local");
  CHECK(vh.routes[1].route.cluster == "outbound|80||multi.default.svc.cluster.local");
  CHECK(vh.routes[2].route.cluster == "outbound|80||unknown.default.svc.cluster.local");
  // Clusters exist only for destinations that name a real service port.
  CHECK(pc.findCluster("outbound|9080||single.default.svc.cluster.local") != nullptr);
  CHECK(pc.findCluster("outbound|80||multi.default.svc.cluster.local") == nullptr);
  CHECK(pc.findCluster("outbound|80||unknown.default.svc.cluster.local") == nullptr);
}

TEST_CASE(
    "gateway: referenced clusters carry the service endpoints and subsets "
    "(SEMANTICS 1.20, 3.9)",
    "[lower-gateway]") {
  std::string config = R"(---
apiVersion: v1
kind: Service
metadata: {name: reviews, namespace: default}
spec:
  selector: {app: reviews}
  ports: [{name: http, port: 9080}]
---
apiVersion: v1
kind: Pod
metadata: {name: reviews-v1, namespace: default, labels: {app: reviews, version: v1}}
spec:
  containers: [{name: c, image: x}]
status: {podIP: 10.1.0.1}
---
apiVersion: v1
kind: Pod
metadata: {name: reviews-v2, namespace: default, labels: {app: reviews, version: v2}}
spec:
  containers: [{name: c, image: x}]
status: {podIP: 10.1.0.2}
---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: reviews, namespace: default}
spec:
  host: reviews
  subsets:
  - {name: v1, labels: {version: v1}}
)" + gateway("gw", httpServer(80, "[a.com]")) +
                       vs("v", "[a.com]", "[istio-system/gw]", R"(  - route:
    - destination: {host: reviews, subset: v1}
      weight: 50
    - destination: {host: reviews}
      weight: 50
)");
  Lowered pc = build(config);
  const Cluster* all = pc.findCluster("outbound|9080||reviews.default.svc.cluster.local");
  const Cluster* v1 = pc.findCluster("outbound|9080|v1|reviews.default.svc.cluster.local");
  REQUIRE((all && v1));
  CHECK(all->endpoints.size() == 2);
  REQUIRE(v1->endpoints.size() == 1);
  CHECK(v1->endpoints[0].address == "10.1.0.1");
  CHECK(std::is_sorted(pc.clusters.begin(), pc.clusters.end(),
                       [](const Cluster& a, const Cluster& b) { return a.name < b.name; }));
}

// --- TCP and TLS servers (7.3, 9.14)
// ------------------------------------------------------------------

TEST_CASE(
    "gateway: TLS passthrough gets one SNI chain per VS tls match, duplicate SNI is "
    "skipped (SEMANTICS 7.3)",
    "[lower-gateway]") {
  std::string server = R"(  - port: {number: 443, name: tls, protocol: TLS}
    hosts: ["*.example.com"]
    tls: {mode: PASSTHROUGH}
)";
  std::string tls_vs = R"(---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: passthrough, namespace: default}
spec:
  hosts: ["*.example.com"]
  gateways: [istio-system/gw]
  tls:
  - match: [{sniHosts: [b.example.com, a.example.com]}]
    route: [{destination: {host: ab, port: {number: 443}}}]
  - match: [{sniHosts: [a.example.com]}, {sniHosts: [c.example.com], port: 8443}]
    route: [{destination: {host: dup}}]
  - match: [{sniHosts: [d.example.com]}]
    route: [{destination: {host: d}}]
)";
  Lowered pc = build(gateway("gw", server) + tls_vs);
  REQUIRE(pc.listeners.size() == 1);
  const Listener& l = pc.listeners[0];
  CHECK(l.has_tls_inspector);
  REQUIRE(l.filter_chains.size() == 2);
  CHECK(l.filter_chains[0].match.server_names ==
        std::vector<std::string>{"a.example.com", "b.example.com"});
  CHECK_FALSE(l.filter_chains[0].terminates_tls);
  CHECK(l.filter_chains[0].tcp_proxy->cluster == "outbound|443||ab.default.svc.cluster.local");
  CHECK(l.filter_chains[0].tcp_proxy->source.rule_kind == RouteSource::RuleKind::kTls);
  CHECK(l.filter_chains[1].match.server_names == std::vector<std::string>{"d.example.com"});
  CHECK(l.filter_chains[1].tcp_proxy->cluster == "outbound|443||d.default.svc.cluster.local");
  CHECK(hasNote(pc, "lower-gw-duplicate-sni"));
}

TEST_CASE(
    "gateway: a TLS-terminating non-HTTP server routes with tcp blocks, ignoring tls "
    "blocks (SEMANTICS 7.3, 9.14)",
    "[lower-gateway]") {
  std::string server = R"(  - port: {number: 9443, name: tls, protocol: TLS}
    hosts: [db.example.com]
    tls: {mode: SIMPLE, credentialName: cert}
)";
  std::string tls_only = R"(---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: tlsonly, namespace: default}
spec:
  hosts: [db.example.com]
  gateways: [istio-system/gw]
  tls:
  - match: [{sniHosts: [db.example.com]}]
    route: [{destination: {host: db}}]
)";
  Lowered none = build(gateway("gw", server) + tls_only);
  CHECK(none.listeners.empty());
  CHECK(hasNote(none, "lower-gw-no-tcp-route"));
  std::string tcp = R"(---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: tcp, namespace: default}
spec:
  hosts: [db.example.com]
  gateways: [istio-system/gw]
  tcp:
  - match: [{port: 1234}]
    route: [{destination: {host: wrong}}]
  - route: [{destination: {host: db, port: {number: 5432}}}]
)";
  Lowered pc = build(gateway("gw", server) + tls_only + tcp);
  REQUIRE(pc.listeners.size() == 1);
  const FilterChain& fc = pc.listeners[0].filter_chains[0];
  CHECK(fc.terminates_tls);
  CHECK(fc.match.server_names == std::vector<std::string>{"db.example.com"});
  CHECK(fc.tcp_proxy->cluster == "outbound|5432||db.default.svc.cluster.local");
  CHECK(fc.tcp_proxy->source.rule_kind == RouteSource::RuleKind::kTcp);
  CHECK(fc.tcp_proxy->source.http_index == 1);
}

TEST_CASE(
    "gateway: a TCP server uses the first VS with a matching tcp route, none gives no "
    "listener (SEMANTICS 7.3)",
    "[lower-gateway]") {
  std::string server = "  - port: {number: 31400, name: tcp, protocol: TCP}\n    hosts: [\"*\"]\n";
  CHECK(build(gateway("gw", server)).listeners.empty());
  std::string vss = R"(---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: first, namespace: default, creationTimestamp: "2024-01-01T00:00:00Z"}
spec:
  hosts: ["*"]
  gateways: [istio-system/gw]
  tcp:
  - route:
    - {destination: {host: one}, weight: 80}
    - {destination: {host: two}, weight: 20}
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: second, namespace: default, creationTimestamp: "2024-02-01T00:00:00Z"}
spec:
  hosts: ["*"]
  gateways: [istio-system/gw]
  tcp:
  - route: [{destination: {host: three}}]
)";
  Lowered pc = build(gateway("gw", server) + vss);
  REQUIRE(pc.listeners.size() == 1);
  REQUIRE(pc.listeners[0].filter_chains.size() == 1);
  const TcpProxy& tp = *pc.listeners[0].filter_chains[0].tcp_proxy;
  REQUIRE(tp.weighted.size() == 2);
  CHECK(tp.weighted[0].name == "outbound|31400||one.default.svc.cluster.local");
  CHECK(tp.source.virtual_service == "default/first");
  CHECK_FALSE(pc.listeners[0].has_tls_inspector);
}

TEST_CASE(
    "gateway: AUTO_PASSTHROUGH builds SNI-DNAT chains per service port and subset "
    "(SEMANTICS 7.3)",
    "[lower-gateway]") {
  std::string config = R"(---
apiVersion: v1
kind: Service
metadata: {name: reviews, namespace: default}
spec:
  selector: {app: reviews}
  ports: [{name: http, port: 9080}]
---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: reviews, namespace: default}
spec:
  host: reviews
  subsets: [{name: v1, labels: {version: v1}}]
---
apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: {name: ext, namespace: default}
spec:
  hosts: [ext.svc.cluster.local]
  ports: [{number: 80, name: http, protocol: HTTP}]
  location: MESH_EXTERNAL
  resolution: DNS
)" + gateway("gw", R"(  - port: {number: 15443, name: tls, protocol: TLS}
    hosts: ["*.svc.cluster.local"]
    tls: {mode: AUTO_PASSTHROUGH}
)");
  Lowered pc = build(config);
  REQUIRE(pc.listeners.size() == 1);
  const Listener& l = pc.listeners[0];
  REQUIRE(l.filter_chains.size() == 2);  // the MESH_EXTERNAL entry is skipped
  CHECK(l.filter_chains[0].match.server_names ==
        std::vector<std::string>{"outbound_.9080_._.reviews.default.svc.cluster.local"});
  CHECK(l.filter_chains[0].match.application_protocols.size() == 5);
  CHECK(l.filter_chains[1].match.server_names ==
        std::vector<std::string>{"outbound_.9080_.v1_.reviews.default.svc.cluster.local"});
  CHECK(l.filter_chains[1].tcp_proxy->cluster ==
        "outbound_.9080_.v1_.reviews.default.svc.cluster.local");
  CHECK(pc.findCluster("outbound_.9080_._.reviews.default.svc.cluster.local") != nullptr);
}

// --- Entry point
// -----------------------------------------------------------------------------------

TEST_CASE("buildProxyConfig dispatches gateway proxies to the gateway lowering",
          "[lower-gateway]") {
  testing::Loaded l(gateway("gw", httpServer(80, "[\"*\"]")));
  model::ConfigSet cs = testing::buildModel(l);
  ProxyConfig pc = buildProxyConfig(cs, ingress()).config;
  CHECK(pc.proxy.kind == ProxyIdentity::Kind::kGateway);
  CHECK(pc.listeners.size() == 1);
  CHECK(gatewayVirtualHostName("::1", 80) == "[::1]:80");
}

TEST_CASE("gateway: odd but loadable inputs never crash the lowering", "[lower-gateway]") {
  std::string odd = R"(---
apiVersion: networking.istio.io/v1
kind: Gateway
metadata: {name: empty, namespace: istio-system}
spec: {}
---
apiVersion: networking.istio.io/v1
kind: Gateway
metadata: {name: weird, namespace: istio-system}
spec:
  servers:
  - port: {number: 0, name: "", protocol: ""}
    hosts: []
  - port: {number: 443, name: h, protocol: HTTPS}
    hosts: ["*/*", "ns/x.com"]
  - port: {number: 80, name: h, protocol: hTtP}
    hosts: [null, 3]
    tls: {httpsRedirect: true, mode: BOGUS}
  - hosts: ["*"]
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: v, namespace: default}
spec:
  hosts: ["*", ""]
  gateways: [istio-system/weird, "", "a.b.c/d", "/"]
  http:
  - match: [{}, {uri: {}}, {headers: {"": {}}}]
    route: [{destination: {host: ""}, weight: -5}, {destination: {}}]
    mirrors: [{}]
    retries: {attempts: -1}
    redirect: {redirectCode: 99999}
  - delegate: {name: v}
  tcp:
  - route: []
  tls:
  - match: [{sniHosts: []}]
    route: [{destination: {host: x}}]
)";
  Lowered pc = build(odd);
  CHECK(pc.proxy.kind == ProxyIdentity::Kind::kGateway);
}
