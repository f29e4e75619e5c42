// Sidecar outbound lowering: listeners, filter chains, route configurations, virtual hosts,
// default routes, catch-alls and clusters (SEMANTICS 2.5, 3.6-3.8, 4.3, 5.2-5.4, 7.1, 7.2, 7.6,
// 9.2, 9.3, 9.8, 9.10, 9.11). Several cases mirror Istio's TestSidecarRoutes.
#include "lower/sidecar_config.h"

#include <algorithm>
#include <catch2/catch.hpp>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "model/model_test_util.h"

namespace meshc::lower {
namespace {

const char* const kTimeOlder = "2019-01-01T00:00:00Z";
const char* const kTimeBase = "2020-01-01T00:00:00Z";
const char* const kTimeNewer = "2021-01-01T00:00:00Z";

// The services of Istio's TestSidecarRoutes.
const char* const kKnownServices = R"(apiVersion: v1
kind: Service
metadata:
  name: known
  namespace: default
spec:
  clusterIP: 2.0.0.0
  ports:
  - port: 80
    name: http
  - port: 8080
    name: http
---
apiVersion: v1
kind: Service
metadata:
  name: alt-known
  namespace: default
spec:
  clusterIP: 2.0.0.1
  ports:
  - port: 80
    name: http
  - port: 8080
    name: http
---
apiVersion: v1
kind: Service
metadata:
  name: not-default
  namespace: not-default
spec:
  clusterIP: 2.0.0.2
  ports:
  - port: 80
    name: http
  - port: 8080
    name: http
---
)";

struct VsArgs {
  std::string ns;
  std::vector<std::string> hosts;
  std::string dest;
  std::string time = kTimeBase;
  uint32_t port = 0;        // destination port
  uint32_t port_match = 0;  // match.port
};

std::string vsYaml(const VsArgs& a) {
  std::string name = a.ns;
  for (const std::string& h : a.hosts) {
    for (char c : h) {
      name += c == '*' ? 'w' : c;
    }
  }
  name += a.dest;
  std::string out =
      "apiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata:\n"
      "  name: \"" +
      name + "\"\n  namespace: " + a.ns + "\n  creationTimestamp: \"" + a.time +
      "\"\nspec:\n  hosts:\n";
  for (const std::string& h : a.hosts) {
    out += "  - \"" + h + "\"\n";
  }
  out += "  http:\n  - route:\n    - destination:\n        host: " + a.dest + "\n";
  if (a.port != 0) {
    out += "        port:\n          number: " + std::to_string(a.port) + "\n";
  }
  if (a.port_match != 0) {
    out += "    match:\n    - port: " + std::to_string(a.port_match) + "\n";
  }
  return out + "---\n";
}

std::string scYaml(const std::string& ns, const std::vector<std::string>& egress) {
  std::string out = "apiVersion: networking.istio.io/v1\nkind: Sidecar\nmetadata:\n  name: \"" +
                    ns + "\"\n  namespace: \"" + ns + "\"\nspec:\n  egress:\n  - hosts:\n";
  for (const std::string& h : egress) {
    out += "    - \"" + h + "\"\n";
  }
  return out + "---\n";
}

ProxyIdentity sidecarIn(std::string ns, StringMap labels = {}) {
  ProxyIdentity p;
  p.kind = ProxyIdentity::Kind::kSidecar;
  p.name_space = std::move(ns);
  p.labels = std::move(labels);
  p.ip = "10.99.0.1";
  return p;
}

// Inline YAML → ProxyConfig for one sidecar.
struct Built {
  Built(std::string yaml, ProxyIdentity proxy, frontend::MeshConfig mesh = {})
      : loaded(std::make_unique<testing::Loaded>(std::move(yaml))) {
    config = testing::buildCheckedModel(*loaded, mesh);
    LoweredProxy lowered = buildSidecarConfig(config, proxy);
    pc = std::move(lowered.config);
    notes = std::move(lowered.notes);
  }
  std::unique_ptr<testing::Loaded> loaded;
  model::ConfigSet config;
  ProxyConfig pc;
  std::vector<Diagnostic> notes;  // lowering's notes, returned beside the config

  const Listener* listener(std::string_view name) const {
    for (const Listener& l : pc.listeners) {
      if (l.name == name) {
        return &l;
      }
    }
    return nullptr;
  }
  const RouteConfiguration* rc(std::string_view name) const { return pc.findRouteConfig(name); }
  const VirtualHost* vhost(std::string_view rc_name, std::string_view vh_name) const {
    const RouteConfiguration* r = rc(rc_name);
    if (r == nullptr) {
      return nullptr;
    }
    for (const VirtualHost& vh : r->virtual_hosts) {
      if (vh.name == vh_name) {
        return &vh;
      }
    }
    return nullptr;
  }
  // xdstest.ExtractVirtualHosts: every domain → the clusters its routes send to.
  std::map<std::string, std::vector<std::string>> hosts(std::string_view rc_name) const {
    std::map<std::string, std::vector<std::string>> out;
    const RouteConfiguration* r = rc(rc_name);
    if (r == nullptr) {
      return out;
    }
    for (const VirtualHost& vh : r->virtual_hosts) {
      for (const std::string& d : vh.domains) {
        std::vector<std::string>& clusters = out[d];
        for (const Route& route : vh.routes) {
          if (!route.route.cluster.empty()) {
            clusters.push_back(route.route.cluster);
          }
          for (const WeightedCluster& w : route.route.weighted) {
            clusters.push_back(w.name);
          }
        }
      }
    }
    return out;
  }
  std::vector<std::string> clustersFor(std::string_view rc_name, std::string_view domain) const {
    auto h = hosts(rc_name);
    auto it = h.find(std::string(domain));
    return it == h.end() ? std::vector<std::string>{} : it->second;
  }
  bool hasDomain(std::string_view rc_name, std::string_view domain) const {
    return hosts(rc_name).count(std::string(domain)) != 0;
  }
  std::string dump() const {
    std::string out;
    for (const Listener& l : pc.listeners) {
      out += "listener " + l.name + "\n";
      for (const FilterChain& fc : l.filter_chains) {
        out += "  chain '" + fc.name + "' rds=" + fc.rds_name +
               " tcp=" + (fc.tcp_proxy ? fc.tcp_proxy->cluster : std::string("-")) + " sni=";
        for (const std::string& s : fc.match.server_names) {
          out += s + ",";
        }
        out += " cidr=";
        for (const std::string& s : fc.match.prefix_ranges) {
          out += s + ",";
        }
        out += "\n";
      }
      if (l.default_filter_chain) {
        out += "  default '" + l.default_filter_chain->name + "'\n";
      }
    }
    for (const RouteConfiguration& r : pc.route_configs) {
      out += "rds " + r.name + "\n";
      for (const VirtualHost& vh : r.virtual_hosts) {
        out += "  vhost " + vh.name + ":";
        for (const std::string& d : vh.domains) {
          out += " " + d;
        }
        out += "\n";
        for (const Route& route : vh.routes) {
          out += "    route '" + route.name + "' -> " + route.route.cluster + "\n";
        }
      }
    }
    for (const Cluster& c : pc.clusters) {
      out += "cluster " + c.name + "\n";
    }
    for (const Diagnostic& d : notes) {
      out += "note " + d.id + ": " + d.message + "\n";
    }
    return out;
  }
};

using Clusters = std::vector<std::string>;

Built routesCase(const std::vector<VsArgs>& vss, std::vector<std::string> sidecar_egress,
                 std::string proxy_ns, std::string extra = "") {
  std::string yaml = kKnownServices;
  for (const VsArgs& a : vss) {
    yaml += vsYaml(a);
  }
  if (!sidecar_egress.empty()) {
    yaml += scYaml(proxy_ns, sidecar_egress);
  }
  yaml += extra;
  return Built(yaml, sidecarIn(proxy_ns));
}

// --- TestSidecarRoutes (3.8, 4.3, 9.2, 9.3, 9.10) ---------------------------------------------

TEST_CASE("sidecar routes: simple port 80 routes the VS host to its destination (3.8)",
          "[lower-sidecar]") {
  Built b = routesCase(
      {{"default", {"known.default.svc.cluster.local"}, "alt-known.default.svc.cluster.local"}}, {},
      "default");
  INFO(b.dump());
  CHECK(b.clustersFor("80", "known.default.svc.cluster.local") ==
        Clusters{"outbound|80||alt-known.default.svc.cluster.local"});
}

TEST_CASE("sidecar routes: simple port 8080 uses the listener port for the destination (9.2)",
          "[lower-sidecar]") {
  Built b = routesCase(
      {{"default", {"known.default.svc.cluster.local"}, "alt-known.default.svc.cluster.local"}}, {},
      "default");
  CHECK(b.clustersFor("8080", "known.default.svc.cluster.local") ==
        Clusters{"outbound|8080||alt-known.default.svc.cluster.local"});
}

TEST_CASE(
    "sidecar routes: a destination with one port on another port still gets the "
    "listener port (9.2)",
    "[lower-sidecar]") {
  std::string extra =
      "apiVersion: v1\nkind: Service\nmetadata:\n  name: single\n  namespace: default\nspec:\n"
      "  clusterIP: 2.0.0.9\n  ports:\n  - {port: 9080, name: http}\n---\n";
  Built b = routesCase(
      {{"default", {"known.default.svc.cluster.local"}, "single.default.svc.cluster.local"}}, {},
      "default", extra);
  CHECK(b.clustersFor("8080", "known.default.svc.cluster.local") ==
        Clusters{"outbound|8080||single.default.svc.cluster.local"});
}

TEST_CASE("sidecar routes: unknown host on port 80 still gets a vhost (9.10)", "[lower-sidecar]") {
  Built b =
      routesCase({{"default", {"foo.default.svc.cluster.local"}, "foo.default.svc.cluster.local"}},
                 {}, "default");
  CHECK(b.clustersFor("80", "foo.default.svc.cluster.local") ==
        Clusters{"outbound|80||foo.default.svc.cluster.local"});
}

TEST_CASE("sidecar routes: unknown host on port 8080 is ignored (9.10)", "[lower-sidecar]") {
  Built plain =
      routesCase({{"default", {"foo.default.svc.cluster.local"}, "foo.default.svc.cluster.local"}},
                 {}, "default");
  CHECK_FALSE(plain.hasDomain("8080", "foo.default.svc.cluster.local"));
  VsArgs matched{"default", {"foo.default.svc.cluster.local"}, "foo.default.svc.cluster.local"};
  matched.port_match = 8080;
  CHECK_FALSE(
      routesCase({matched}, {}, "default").hasDomain("8080", "foo.default.svc.cluster.local"));
  VsArgs dest{"default", {"foo.default.svc.cluster.local"}, "foo.default.svc.cluster.local"};
  dest.port = 8080;
  CHECK_FALSE(routesCase({dest}, {}, "default").hasDomain("8080", "foo.default.svc.cluster.local"));
}

TEST_CASE("sidecar routes: producer, consumer and arbitrary namespace rules all apply (4.1)",
          "[lower-sidecar]") {
  for (const char* ns : {"default", "not-default", "arbitrary"}) {
    Built b = routesCase(
        {{ns, {"known.default.svc.cluster.local"}, "alt-known.default.svc.cluster.local"}}, {},
        "not-default");
    INFO(ns);
    CHECK(b.clustersFor("80", "known.default.svc.cluster.local") ==
          Clusters{"outbound|80||alt-known.default.svc.cluster.local"});
    CHECK(b.clustersFor("8080", "known.default.svc.cluster.local") ==
          Clusters{"outbound|8080||alt-known.default.svc.cluster.local"});
  }
}

TEST_CASE("sidecar routes: multiple rules 80 and 8080: the oldest public VS wins (4.3, 9.3)",
          "[lower-sidecar]") {
  Built b = routesCase(
      {{"arbitrary", {"known.default.svc.cluster.local"}, "arbitrary.example.com", kTimeOlder},
       {"default", {"known.default.svc.cluster.local"}, "default.example.com", kTimeBase},
       {"not-default", {"known.default.svc.cluster.local"}, "not-default.example.com", kTimeNewer}},
      {}, "not-default");
  INFO(b.dump());
  CHECK(b.clustersFor("80", "known.default.svc.cluster.local") ==
        Clusters{"outbound|80||arbitrary.example.com"});
  CHECK(b.clustersFor("8080", "known.default.svc.cluster.local") ==
        Clusters{"outbound|8080||arbitrary.example.com"});
  // The shadowed VirtualServices are reported.
  CHECK(testing::countId(b.notes, "lower-sidecar-vs-shadowed") >= 2);
}

TEST_CASE("sidecar routes: same namespace conflict: the oldest wins (4.3, 9.3)",
          "[lower-sidecar]") {
  Built b =
      routesCase({{"default", {"known.default.svc.cluster.local"}, "old.example.com", kTimeOlder},
                  {"default", {"known.default.svc.cluster.local"}, "new.example.com", kTimeNewer}},
                 {}, "default");
  CHECK(b.clustersFor("80", "known.default.svc.cluster.local") ==
        Clusters{"outbound|80||old.example.com"});
}

TEST_CASE(
    "sidecar routes: cross namespace conflict: the older producer VS beats the consumer "
    "(9.3)",
    "[lower-sidecar]") {
  Built b = routesCase(
      {{"not-default", {"known.default.svc.cluster.local"}, "producer.example.com", kTimeOlder},
       {"default", {"known.default.svc.cluster.local"}, "consumer.example.com", kTimeNewer}},
      {}, "default");
  CHECK(b.clustersFor("80", "known.default.svc.cluster.local") ==
        Clusters{"outbound|80||producer.example.com"});
}

TEST_CASE("sidecar routes: a VS exported only to the consumer beats an older public one (4.1)",
          "[lower-sidecar]") {
  std::string priv =
      "apiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata:\n  name: mine\n"
      "  namespace: default\n  creationTimestamp: \"2022-01-01T00:00:00Z\"\nspec:\n"
      "  hosts: [known.default.svc.cluster.local]\n  exportTo: [\".\"]\n  http:\n"
      "  - route:\n    - destination:\n        host: private.example.com\n---\n";
  Built b = routesCase(
      {{"not-default", {"known.default.svc.cluster.local"}, "public.example.com", kTimeOlder}}, {},
      "default", priv);
  CHECK(b.clustersFor("80", "known.default.svc.cluster.local") ==
        Clusters{"outbound|80||private.example.com"});
}

TEST_CASE("sidecar routes: wildcard VS host matching no service is emitted as-is (4.3)",
          "[lower-sidecar]") {
  Built b =
      routesCase({{"default", {"*.unknown.example.com"}, "arbitrary.example.com"}}, {}, "default");
  CHECK(b.clustersFor("80", "alt-known.default.svc.cluster.local") ==
        Clusters{"outbound|80||alt-known.default.svc.cluster.local"});
  CHECK(b.clustersFor("80", "known.default.svc.cluster.local") ==
        Clusters{"outbound|80||known.default.svc.cluster.local"});
  CHECK(b.clustersFor("80", "*.unknown.example.com") ==
        Clusters{"outbound|80||arbitrary.example.com"});
}

TEST_CASE("sidecar routes: wildcard match with sidecar attaches the VS to every service (4.3)",
          "[lower-sidecar]") {
  Built b = routesCase({{"default", {"*.cluster.local"}, "arbitrary.example.com"}},
                       {"*/*.cluster.local"}, "default");
  CHECK(b.clustersFor("80", "alt-known.default.svc.cluster.local") ==
        Clusters{"outbound|80||arbitrary.example.com"});
  CHECK(b.clustersFor("80", "known.default.svc.cluster.local") ==
        Clusters{"outbound|80||arbitrary.example.com"});
  CHECK_FALSE(b.hasDomain("80", "*.cluster.local"));
}

TEST_CASE("sidecar routes: exact VS host beats an older or newer wildcard VS (4.3)",
          "[lower-sidecar]") {
  for (bool wildcard_older : {true, false}) {
    Built b = routesCase({{"default",
                           {"*.cluster.local"},
                           "wild.example.com",
                           wildcard_older ? kTimeOlder : kTimeNewer},
                          {"default",
                           {"known.default.svc.cluster.local"},
                           "explicit.example.com",
                           wildcard_older ? kTimeNewer : kTimeOlder}},
                         {}, "default");
    INFO(b.dump());
    CHECK(b.clustersFor("80", "alt-known.default.svc.cluster.local") ==
          Clusters{"outbound|80||wild.example.com"});
    CHECK(b.clustersFor("80", "known.default.svc.cluster.local") ==
          Clusters{"outbound|80||explicit.example.com"});
    CHECK_FALSE(b.hasDomain("80", "*.cluster.local"));
  }
}

TEST_CASE(
    "sidecar routes: an imported wildcard VS attaches even to services listed exactly "
    "(5.1)",
    "[lower-sidecar]") {
  Built b = routesCase(
      {{"default", {"*.cluster.local"}, "wild.example.com", kTimeOlder},
       {"default", {"known.default.svc.cluster.local"}, "explicit.example.com", kTimeNewer}},
      {"default/known.default.svc.cluster.local", "default/alt-known.default.svc.cluster.local"},
      "default");
  CHECK(b.clustersFor("80", "alt-known.default.svc.cluster.local") ==
        Clusters{"outbound|80||wild.example.com"});
  CHECK(b.clustersFor("80", "known.default.svc.cluster.local") ==
        Clusters{"outbound|80||explicit.example.com"});
}

TEST_CASE("sidecar routes: a wildcard VS in a namespace not imported does not attach (9.9)",
          "[lower-sidecar]") {
  Built b = routesCase(
      {{"not-default", {"*.cluster.local"}, "wild.example.com", kTimeOlder},
       {"default", {"known.default.svc.cluster.local"}, "explicit.example.com", kTimeNewer}},
      {"default/known.default.svc.cluster.local", "default/alt-known.default.svc.cluster.local"},
      "default");
  CHECK(b.clustersFor("80", "alt-known.default.svc.cluster.local") ==
        Clusters{"outbound|80||alt-known.default.svc.cluster.local"});
  CHECK(b.clustersFor("80", "known.default.svc.cluster.local") ==
        Clusters{"outbound|80||explicit.example.com"});
}

TEST_CASE("sidecar routes: wildcard and explicit cross namespace (4.3)", "[lower-sidecar]") {
  Built b = routesCase(
      {{"not-default", {"*.cluster.local"}, "wild.example.com", kTimeOlder},
       {"default", {"known.default.svc.cluster.local"}, "explicit.example.com", kTimeNewer}},
      {}, "default");
  CHECK(b.clustersFor("80", "alt-known.default.svc.cluster.local") ==
        Clusters{"outbound|80||wild.example.com"});
  CHECK(b.clustersFor("80", "known.default.svc.cluster.local") ==
        Clusters{"outbound|80||explicit.example.com"});
}

TEST_CASE("sidecar routes: wildcard and explicit unknown hosts are both literal vhosts (4.3)",
          "[lower-sidecar]") {
  Built b = routesCase({{"default", {"*.tld"}, "wild.example.com", kTimeOlder},
                        {"default", {"example.tld"}, "explicit.example.com", kTimeNewer}},
                       {}, "default");
  CHECK(b.clustersFor("80", "known.default.svc.cluster.local") ==
        Clusters{"outbound|80||known.default.svc.cluster.local"});
  CHECK(b.clustersFor("80", "*.tld") == Clusters{"outbound|80||wild.example.com"});
  CHECK(b.clustersFor("80", "example.tld") == Clusters{"outbound|80||explicit.example.com"});
}

TEST_CASE("sidecar routes: explicit non-service host with a wildcard sidecar import (9.10)",
          "[lower-sidecar]") {
  Built b =
      routesCase({{"default", {"arbitrary.svc.cluster.local"}, "arbitrary.svc.cluster.local"}},
                 {"*/*.cluster.local"}, "default");
  CHECK(b.clustersFor("80", "arbitrary.svc.cluster.local") ==
        Clusters{"outbound|80||arbitrary.svc.cluster.local"});
}

TEST_CASE("sidecar routes: wildcard VS with an explicit sidecar import (5.1)", "[lower-sidecar]") {
  Built b = routesCase({{"default", {"*.cluster.local"}, "arbitrary.example.com"}},
                       {"*/known.default.svc.cluster.local"}, "default");
  CHECK(b.clustersFor("80", "known.default.svc.cluster.local") ==
        Clusters{"outbound|80||arbitrary.example.com"});
  CHECK_FALSE(b.hasDomain("80", "*.cluster.local"));
}

TEST_CASE("sidecar routes: non-service wildcard match with explicit sidecar (5.1)",
          "[lower-sidecar]") {
  Built b =
      routesCase({{"default", {"*.example.org"}, "arbitrary.example.com"}},
                 {"*/explicit.example.org", "*/alt-known.default.svc.cluster.local"}, "default");
  CHECK_FALSE(b.hasDomain("80", "known.default.svc.cluster.local"));
  CHECK(b.clustersFor("80", "alt-known.default.svc.cluster.local") ==
        Clusters{"outbound|80||alt-known.default.svc.cluster.local"});
  CHECK(b.clustersFor("80", "*.example.org") == Clusters{"outbound|80||arbitrary.example.com"});
}

TEST_CASE("sidecar routes: sidecar filter imports a wildcard VS as a literal wildcard (5.1)",
          "[lower-sidecar]") {
  Built b = routesCase(
      {{"not-default", {"*.default.svc.cluster.local"}, "arbitrary.example.com"},
       {"default", {"explicit.default.svc.cluster.local"}, "explicit.default.svc.cluster.local"}},
      {"not-default/*.default.svc.cluster.local",
       "not-default/not-default.not-default.svc.cluster.local"},
      "not-default");
  INFO(b.dump());
  CHECK(b.clustersFor("80", "*.default.svc.cluster.local") ==
        Clusters{"outbound|80||arbitrary.example.com"});
  CHECK_FALSE(b.hasDomain("80", "explicit.default.svc.cluster.local"));
  CHECK(b.clustersFor("80", "not-default.not-default.svc.cluster.local") ==
        Clusters{"outbound|80||not-default.not-default.svc.cluster.local"});
}

TEST_CASE("sidecar routes: importing only an unknown service gives no route config at all",
          "[lower-sidecar]") {
  Built b = routesCase({{"default", {"foo.default.svc.cluster.local"}, "example.com"}},
                       {"*/foo.default.svc.cluster.local"}, "default");
  CHECK(b.rc("80") == nullptr);
  CHECK(b.listener("0.0.0.0_80") == nullptr);
}

TEST_CASE("sidecar routes: multi-host VS importing one host keeps both hosts (Istio #37087)",
          "[lower-sidecar]") {
  Built b = routesCase({{"default",
                         {"known.default.svc.cluster.local", "alt-known.default.svc.cluster.local"},
                         "example.com"}},
                       {"*/known.default.svc.cluster.local"}, "default");
  CHECK(b.clustersFor("80", "known.default.svc.cluster.local") ==
        Clusters{"outbound|80||example.com"});
  CHECK(b.clustersFor("80", "alt-known.default.svc.cluster.local") ==
        Clusters{"outbound|80||example.com"});
}

// --- Virtual host domains (2.5) ---------------------------------------------------------------

TEST_CASE(
    "sidecar domains: same namespace gets name, name.ns.svc, name.ns, FQDN, FQDN. and VIP "
    "(2.5)",
    "[lower-sidecar]") {
  Built b(kKnownServices, sidecarIn("default"));
  const VirtualHost* vh = b.vhost("80", "known.default.svc.cluster.local:80");
  REQUIRE(vh != nullptr);
  CHECK(vh->domains == std::vector<std::string>{"known.default.svc.cluster.local",
                                                "known.default.svc.cluster.local.", "known",
                                                "known.default.svc", "known.default", "2.0.0.0"});
}

TEST_CASE("sidecar domains: another namespace never gets the bare name (2.5)", "[lower-sidecar]") {
  Built b(kKnownServices, sidecarIn("not-default"));
  const VirtualHost* vh = b.vhost("80", "known.default.svc.cluster.local:80");
  REQUIRE(vh != nullptr);
  CHECK(vh->domains == std::vector<std::string>{"known.default.svc.cluster.local",
                                                "known.default.svc.cluster.local.", "known.default",
                                                "known.default.svc", "2.0.0.0"});
}

TEST_CASE("sidecar domains: a ServiceEntry host gets only itself and its absolute form (2.5)",
          "[lower-sidecar]") {
  Built b(
      "apiVersion: networking.istio.io/v1\nkind: ServiceEntry\nmetadata:\n  name: e\n"
      "  namespace: default\nspec:\n  hosts: [api.example.com]\n  addresses: [240.1.1.1]\n"
      "  ports:\n  - {number: 80, name: http, protocol: HTTP}\n",
      sidecarIn("default"));
  const VirtualHost* vh = b.vhost("80", "api.example.com:80");
  REQUIRE(vh != nullptr);
  CHECK(vh->domains ==
        std::vector<std::string>{"api.example.com", "api.example.com.", "240.1.1.1"});
}

TEST_CASE("sidecar domains: an expanded short name equal to a real host is dropped (2.5)",
          "[lower-sidecar]") {
  // The ServiceEntry host "known.default" is a real hostname; the Kubernetes service's short form
  // "known.default" must not steal it.
  Built b(std::string(kKnownServices) +
              "apiVersion: networking.istio.io/v1\nkind: ServiceEntry\nmetadata:\n  name: e\n"
              "  namespace: default\nspec:\n  hosts: [known.default]\n  ports:\n"
              "  - {number: 80, name: http, protocol: HTTP}\n",
          sidecarIn("default"));
  const VirtualHost* vh = b.vhost("80", "known.default.svc.cluster.local:80");
  REQUIRE(vh != nullptr);
  CHECK(std::count(vh->domains.begin(), vh->domains.end(), "known.default") == 0);
  CHECK(b.clustersFor("80", "known.default") == Clusters{"outbound|80||known.default"});
}

TEST_CASE("sidecar domains: headless Kubernetes services also match '*.' domains (2.5)",
          "[lower-sidecar]") {
  Built b(
      "apiVersion: v1\nkind: Service\nmetadata:\n  name: db\n  namespace: default\nspec:\n"
      "  clusterIP: None\n  ports:\n  - {port: 80, name: http}\n",
      sidecarIn("default"));
  const VirtualHost* vh = b.vhost("80", "db.default.svc.cluster.local:80");
  REQUIRE(vh != nullptr);
  CHECK(std::count(vh->domains.begin(), vh->domains.end(), "*.db.default.svc.cluster.local") == 1);
  CHECK(std::count(vh->domains.begin(), vh->domains.end(), "*.db") == 1);
}

TEST_CASE(
    "sidecar domains: ExternalName aliases are domains of their target, never vhosts "
    "(2.5, 3.7)",
    "[lower-sidecar]") {
  Built b(std::string(kKnownServices) +
              "apiVersion: v1\nkind: Service\nmetadata:\n  name: alias\n  namespace: default\n"
              "spec:\n  type: ExternalName\n  externalName: known.default.svc.cluster.local\n"
              "  ports:\n  - {port: 80, name: http}\n",
          sidecarIn("default"));
  INFO(b.dump());
  const VirtualHost* vh = b.vhost("80", "known.default.svc.cluster.local:80");
  REQUIRE(vh != nullptr);
  CHECK(std::count(vh->domains.begin(), vh->domains.end(), "alias.default.svc.cluster.local") == 1);
  CHECK(std::count(vh->domains.begin(), vh->domains.end(), "alias") == 1);
  CHECK(b.vhost("80", "alias.default.svc.cluster.local:80") == nullptr);
  CHECK(b.pc.findCluster("outbound|80||alias.default.svc.cluster.local") == nullptr);
}

TEST_CASE(
    "sidecar domains: a VS routing to an ExternalName alias uses the target's cluster "
    "(3.8)",
    "[lower-sidecar]") {
  Built b(
      std::string(kKnownServices) +
          "apiVersion: v1\nkind: Service\nmetadata:\n  name: alias\n  namespace: default\n"
          "spec:\n  type: ExternalName\n  externalName: alt-known.default.svc.cluster.local\n"
          "  ports:\n  - {port: 80, name: http}\n---\n" +
          vsYaml(
              {"default", {"known.default.svc.cluster.local"}, "alias.default.svc.cluster.local"}),
      sidecarIn("default"));
  CHECK(b.clustersFor("80", "known.default.svc.cluster.local") ==
        Clusters{"outbound|80||alt-known.default.svc.cluster.local"});
}

// --- Default routes and catch-alls (3.7, 2.5, 5.4, 9.8) ---------------------------------------

TEST_CASE(
    "sidecar defaults: an unclaimed HTTP port gets route 'default' with retries, no "
    "timeout (3.7)",
    "[lower-sidecar]") {
  Built b(kKnownServices, sidecarIn("default"));
  const VirtualHost* vh = b.vhost("8080", "alt-known.default.svc.cluster.local:8080");
  REQUIRE(vh != nullptr);
  REQUIRE(vh->routes.size() == 1);
  const Route& r = vh->routes[0];
  CHECK(r.name == "default");
  CHECK(r.match.path.kind == PathMatcher::Kind::kPrefix);
  CHECK(r.match.path.value == "/");
  CHECK(r.route.cluster == "outbound|8080||alt-known.default.svc.cluster.local");
  CHECK(r.route.timeout_ns == 0);
  REQUIRE(r.route.retry_policy.has_value());
  CHECK(r.route.retry_policy->num_retries == 2);
  CHECK(r.source.virtual_service.empty());
}

TEST_CASE("sidecar defaults: a DestinationRule consistent hash reaches the default route (3.7)",
          "[lower-sidecar]") {
  Built b(std::string(kKnownServices) +
              "apiVersion: networking.istio.io/v1\nkind: DestinationRule\nmetadata:\n  name: d\n"
              "  namespace: default\nspec:\n  host: known\n  trafficPolicy:\n    loadBalancer:\n"
              "      consistentHash: {httpHeaderName: x-user}\n",
          sidecarIn("default"));
  const VirtualHost* vh = b.vhost("80", "known.default.svc.cluster.local:80");
  REQUIRE(vh != nullptr);
  REQUIRE(vh->routes.at(0).route.hash_policy.size() == 1);
  CHECK(vh->routes[0].route.hash_policy[0].header_name == "x-user");
  CHECK(b.pc.findCluster("outbound|80||known.default.svc.cluster.local")->lb_policy == "RING_HASH");
}

TEST_CASE(
    "sidecar defaults: a VS whose routes all miss the port leaves the default route "
    "(4.3)",
    "[lower-sidecar]") {
  VsArgs only_8080{"default", {"known.default.svc.cluster.local"}, "x.example.com"};
  only_8080.port_match = 8080;
  Built b = routesCase({only_8080}, {}, "default");
  CHECK(b.clustersFor("80", "known.default.svc.cluster.local") ==
        Clusters{"outbound|80||known.default.svc.cluster.local"});
  CHECK(b.clustersFor("8080", "known.default.svc.cluster.local") ==
        Clusters{"outbound|8080||x.example.com"});
}

TEST_CASE("sidecar catch-all: ALLOW_ANY appends allow_any to PassthroughCluster (2.5)",
          "[lower-sidecar]") {
  Built b(kKnownServices, sidecarIn("default"));
  const RouteConfiguration* rc = b.rc("80");
  REQUIRE(rc != nullptr);
  CHECK(rc->ignore_port_in_host_matching);
  const VirtualHost& last = rc->virtual_hosts.back();
  CHECK(last.name == "allow_any");
  CHECK(last.domains == std::vector<std::string>{"*"});
  CHECK(last.routes.at(0).name == "allow_any");
  CHECK(last.routes.at(0).route.cluster == "PassthroughCluster");
  CHECK(last.routes.at(0).route.timeout_ns == 0);
}

TEST_CASE("sidecar catch-all: REGISTRY_ONLY gives block_all with a 502 direct response (9.8)",
          "[lower-sidecar]") {
  frontend::MeshConfig mesh;
  mesh.outbound_traffic_policy = "REGISTRY_ONLY";
  Built b(kKnownServices, sidecarIn("default"), mesh);
  const VirtualHost& last = b.rc("80")->virtual_hosts.back();
  CHECK(last.name == "block_all");
  CHECK(last.routes.at(0).action == Route::ActionKind::kDirectResponse);
  CHECK(last.routes.at(0).direct_response.status == 502);
}

TEST_CASE("sidecar catch-all: a Sidecar with outboundTrafficPolicy {} blocks too (9.8)",
          "[lower-sidecar]") {
  Built b(std::string(kKnownServices) +
              "apiVersion: networking.istio.io/v1\nkind: Sidecar\nmetadata:\n  name: s\n"
              "  namespace: default\nspec:\n  outboundTrafficPolicy: {}\n",
          sidecarIn("default"));
  CHECK(b.rc("80")->virtual_hosts.back().name == "block_all");
  const Listener* vo = b.listener("virtualOutbound");
  REQUIRE(vo != nullptr);
  CHECK(vo->filter_chains.back().tcp_proxy->cluster == "BlackHoleCluster");
}

TEST_CASE("sidecar catch-all: virtualOutbound has blackhole and catch-all chains (5.4)",
          "[lower-sidecar]") {
  Built b(kKnownServices, sidecarIn("default"));
  const Listener* vo = b.listener("virtualOutbound");
  REQUIRE(vo != nullptr);
  CHECK(vo->port == 15001);
  CHECK(vo->use_original_dst);
  REQUIRE(vo->filter_chains.size() == 2);
  CHECK(vo->filter_chains[0].name == "virtualOutbound-blackhole");
  CHECK(vo->filter_chains[0].match.destination_port == 15001u);
  CHECK(vo->filter_chains[0].tcp_proxy->cluster == "BlackHoleCluster");
  CHECK(vo->filter_chains[1].name == "virtualOutbound-catchall-tcp");
  CHECK(vo->filter_chains[1].tcp_proxy->cluster == "PassthroughCluster");
}

TEST_CASE("sidecar catch-all: ALLOW_ANY with an egressProxy routes unknown traffic there (5.4)",
          "[lower-sidecar]") {
  Built b(std::string(kKnownServices) +
              "apiVersion: networking.istio.io/v1\nkind: Sidecar\nmetadata:\n  name: s\n"
              "  namespace: default\nspec:\n  outboundTrafficPolicy:\n    mode: ALLOW_ANY\n"
              "    egressProxy:\n      host: egress.istio-system.svc.cluster.local\n"
              "      port: {number: 80}\n",
          sidecarIn("default"));
  CHECK(b.rc("80")->virtual_hosts.back().routes.at(0).route.cluster ==
        "outbound|80||egress.istio-system.svc.cluster.local");
  CHECK(b.listener("virtualOutbound")->filter_chains.back().tcp_proxy->cluster ==
        "outbound|80||egress.istio-system.svc.cluster.local");
}

// --- Listener topology (7.6) --------------------------------------------------------------------

TEST_CASE("sidecar listeners: an HTTP port is a shared 0.0.0.0_<port> with RDS \"<port>\" (7.6)",
          "[lower-sidecar]") {
  Built b(kKnownServices, sidecarIn("default"));
  INFO(b.dump());
  const Listener* l = b.listener("0.0.0.0_80");
  REQUIRE(l != nullptr);
  CHECK(l->address == "0.0.0.0");
  REQUIRE(l->filter_chains.size() == 1);
  const FilterChain& fc = l->filter_chains[0];
  CHECK(fc.http);
  CHECK(fc.rds_name == "80");
  CHECK(fc.match.application_protocols == std::vector<std::string>{"http/1.1", "h2c"});
  CHECK(fc.match.transport_protocol == "raw_buffer");
  CHECK(l->has_http_inspector);
  REQUIRE(l->default_filter_chain.has_value());
  CHECK(l->default_filter_chain->name == "PassthroughFilterChain");
  CHECK(l->default_filter_chain->tcp_proxy->cluster == "PassthroughCluster");
  CHECK(b.listener("2.0.0.0_80") == nullptr);  // HTTP never binds the VIP
}

TEST_CASE(
    "sidecar listeners: REGISTRY_ONLY sends non-HTTP bytes on HTTP ports to BlackHole "
    "(5.4)",
    "[lower-sidecar]") {
  frontend::MeshConfig mesh;
  mesh.outbound_traffic_policy = "REGISTRY_ONLY";
  Built b(kKnownServices, sidecarIn("default"), mesh);
  CHECK(b.listener("0.0.0.0_80")->default_filter_chain->tcp_proxy->cluster == "BlackHoleCluster");
}

TEST_CASE(
    "sidecar listeners: a sniffed port with a VIP gets <VIP>_<port> with TCP and HTTP "
    "chains (7.6)",
    "[lower-sidecar]") {
  Built b(
      "apiVersion: v1\nkind: Service\nmetadata:\n  name: auto\n  namespace: default\n"
      "spec:\n  clusterIP: 2.0.0.5\n  ports:\n  - {port: 9000, name: web}\n",
      sidecarIn("default"));
  INFO(b.dump());
  const Listener* l = b.listener("2.0.0.5_9000");
  REQUIRE(l != nullptr);
  REQUIRE(l->filter_chains.size() == 1);  // the HTTP chain (ALPN-matched)
  CHECK(l->filter_chains[0].http);
  CHECK(l->filter_chains[0].rds_name == "auto.default.svc.cluster.local:9000");
  REQUIRE(l->default_filter_chain.has_value());  // the match-all TCP chain
  CHECK(l->default_filter_chain->tcp_proxy->cluster ==
        "outbound|9000||auto.default.svc.cluster.local");
  CHECK(b.listener("0.0.0.0_9000") == nullptr);
}

TEST_CASE("sidecar listeners: a sniffed route config has one vhost with domain '*' (9.11)",
          "[lower-sidecar]") {
  Built b(
      "apiVersion: v1\nkind: Service\nmetadata:\n  name: auto\n  namespace: default\n"
      "spec:\n  clusterIP: 2.0.0.5\n  ports:\n  - {port: 9000, name: web}\n---\n" +
          vsYaml({"default", {"auto.default.svc.cluster.local"}, "v2.example.com"}),
      sidecarIn("default"));
  const RouteConfiguration* rc = b.rc("auto.default.svc.cluster.local:9000");
  REQUIRE(rc != nullptr);
  REQUIRE(rc->virtual_hosts.size() == 1);  // no catch-all either
  CHECK(rc->virtual_hosts[0].domains == std::vector<std::string>{"*"});
  CHECK(rc->virtual_hosts[0].routes.at(0).route.cluster == "outbound|9000||v2.example.com");
}

TEST_CASE(
    "sidecar listeners: a sniffed port without a VIP shares 0.0.0.0_<port> and RDS "
    "\"<port>\" (7.6)",
    "[lower-sidecar]") {
  Built b(
      "apiVersion: networking.istio.io/v1\nkind: ServiceEntry\nmetadata:\n  name: e\n"
      "  namespace: default\nspec:\n  hosts: [a.example.com]\n  resolution: DNS\n  ports:\n"
      "  - {number: 9000, name: x}\n",
      sidecarIn("default"));
  INFO(b.dump());
  const Listener* l = b.listener("0.0.0.0_9000");
  REQUIRE(l != nullptr);
  bool http = false;
  for (const FilterChain& fc : l->filter_chains) {
    if (fc.http) {
      http = true;
      CHECK(fc.rds_name == "9000");
    }
  }
  CHECK(http);
  REQUIRE(b.rc("9000") != nullptr);
  CHECK(b.clustersFor("9000", "a.example.com") == Clusters{"outbound|9000||a.example.com"});
}

TEST_CASE("sidecar listeners: a TCP port is <VIP>_<port> with a tcp_proxy to the service (7.1)",
          "[lower-sidecar]") {
  Built b(
      "apiVersion: v1\nkind: Service\nmetadata:\n  name: db\n  namespace: default\n"
      "spec:\n  clusterIP: 2.0.0.7\n  ports:\n  - {port: 5432, name: tcp-pg}\n",
      sidecarIn("default"));
  const Listener* l = b.listener("2.0.0.7_5432");
  REQUIRE(l != nullptr);
  REQUIRE(l->filter_chains.size() == 1);
  CHECK_FALSE(l->filter_chains[0].http);
  CHECK(l->filter_chains[0].tcp_proxy->cluster == "outbound|5432||db.default.svc.cluster.local");
  CHECK_FALSE(l->default_filter_chain.has_value());
  CHECK(b.pc.route_configs.empty());
}

TEST_CASE("sidecar listeners: a ServiceEntry TCP port without addresses captures 0.0.0.0 (7.1)",
          "[lower-sidecar]") {
  Built b(
      "apiVersion: networking.istio.io/v1\nkind: ServiceEntry\nmetadata:\n  name: e\n"
      "  namespace: default\nspec:\n  hosts: [db.example.com]\n  resolution: DNS\n"
      "  ports:\n  - {number: 3306, name: mysql, protocol: MYSQL}\n",
      sidecarIn("default"));
  const Listener* l = b.listener("0.0.0.0_3306");
  REQUIRE(l != nullptr);
  CHECK(l->filter_chains.at(0).tcp_proxy->cluster == "outbound|3306||db.example.com");
}

TEST_CASE("sidecar listeners: a CIDR address listens on 0.0.0.0 with a prefix match (7.1)",
          "[lower-sidecar]") {
  Built b(
      "apiVersion: networking.istio.io/v1\nkind: ServiceEntry\nmetadata:\n  name: e\n"
      "  namespace: default\nspec:\n  hosts: [range.example.com]\n  addresses: [10.5.0.0/16]\n"
      "  resolution: NONE\n  ports:\n  - {number: 7000, name: tcp, protocol: TCP}\n",
      sidecarIn("default"));
  INFO(b.dump());
  const Listener* l = b.listener("0.0.0.0_7000");
  REQUIRE(l != nullptr);
  REQUIRE(l->filter_chains.size() == 1);
  CHECK(l->filter_chains[0].match.prefix_ranges == std::vector<std::string>{"10.5.0.0/16"});
  CHECK(l->default_filter_chain->name == "PassthroughFilterChain");
}

TEST_CASE("sidecar listeners: HTTP and TCP services on one port merge into sniffing (7.6)",
          "[lower-sidecar]") {
  Built b(
      "apiVersion: networking.istio.io/v1\nkind: ServiceEntry\nmetadata:\n  name: t\n"
      "  namespace: default\n  creationTimestamp: '2019-01-01T00:00:00Z'\nspec:\n"
      "  hosts: [tcp.example.com]\n  resolution: DNS\n"
      "  ports:\n  - {number: 8000, name: tcp, protocol: TCP}\n---\n"
      "apiVersion: networking.istio.io/v1\nkind: ServiceEntry\nmetadata:\n  name: h\n"
      "  namespace: default\n  creationTimestamp: '2020-01-01T00:00:00Z'\nspec:\n"
      "  hosts: [http.example.com]\n  resolution: DNS\n"
      "  ports:\n  - {number: 8000, name: http, protocol: HTTP}\n",
      sidecarIn("default"));
  INFO(b.dump());
  const Listener* l = b.listener("0.0.0.0_8000");
  REQUIRE(l != nullptr);
  bool has_http = false;
  bool has_tcp = false;
  auto inspect = [&](const FilterChain& fc) {
    has_http = has_http || fc.http;
    has_tcp =
        has_tcp || (fc.tcp_proxy && fc.tcp_proxy->cluster == "outbound|8000||tcp.example.com");
  };
  for (const FilterChain& fc : l->filter_chains) {
    inspect(fc);
  }
  if (l->default_filter_chain) {
    inspect(*l->default_filter_chain);
  }
  CHECK(has_http);
  CHECK(has_tcp);
}

TEST_CASE("sidecar listeners: UDP ports get no listener and no cluster", "[lower-sidecar]") {
  Built b(
      "apiVersion: v1\nkind: Service\nmetadata:\n  name: dns\n  namespace: default\n"
      "spec:\n  clusterIP: 2.0.0.8\n  ports:\n  - {port: 53, name: dns, protocol: UDP}\n",
      sidecarIn("default"));
  CHECK(b.listener("2.0.0.8_53") == nullptr);
  CHECK(b.pc.findCluster("outbound|53||dns.default.svc.cluster.local") == nullptr);
}

TEST_CASE("sidecar listeners: headless TCP services get one listener per pod IP (7.6)",
          "[lower-sidecar]") {
  Built b(
      "apiVersion: v1\nkind: Service\nmetadata:\n  name: db\n  namespace: default\nspec:\n"
      "  clusterIP: None\n  selector: {app: db}\n  ports:\n  - {port: 5432, name: tcp}\n---\n"
      "apiVersion: v1\nkind: Pod\nmetadata:\n  name: db-0\n  namespace: default\n"
      "  labels: {app: db}\nspec:\n  containers:\n  - {name: c, image: i}\nstatus:\n"
      "  podIP: 10.1.1.1\n---\n"
      "apiVersion: v1\nkind: Pod\nmetadata:\n  name: db-1\n  namespace: default\n"
      "  labels: {app: db}\nspec:\n  containers:\n  - {name: c, image: i}\nstatus:\n"
      "  podIP: 10.1.1.2\n",
      sidecarIn("default"));
  INFO(b.dump());
  CHECK(b.listener("10.1.1.1_5432") != nullptr);
  CHECK(b.listener("10.1.1.2_5432") != nullptr);
  CHECK(b.listener("0.0.0.0_5432") == nullptr);
  const Cluster* c = b.pc.findCluster("outbound|5432||db.default.svc.cluster.local");
  REQUIRE(c != nullptr);
  CHECK(c->type == Cluster::DiscoveryType::kOriginalDst);
}

TEST_CASE(
    "sidecar listeners: an explicit egress port locks that port against the catch-all "
    "(5.2)",
    "[lower-sidecar]") {
  Built b(std::string(kKnownServices) +
              "apiVersion: networking.istio.io/v1\nkind: Sidecar\nmetadata:\n  name: s\n"
              "  namespace: default\nspec:\n  egress:\n"
              "  - port: {number: 80, protocol: HTTP, name: web}\n"
              "    hosts: ['default/known.default.svc.cluster.local']\n"
              "  - hosts: ['*/*']\n",
          sidecarIn("default"));
  INFO(b.dump());
  REQUIRE(b.rc("80") != nullptr);
  CHECK(b.hasDomain("80", "known.default.svc.cluster.local"));
  CHECK_FALSE(b.hasDomain("80", "alt-known.default.svc.cluster.local"));
  // The catch-all listener still serves the other port.
  CHECK(b.hasDomain("8080", "alt-known.default.svc.cluster.local"));
}

// --- TCP and TLS VirtualService routes (7.1, 7.2) ---------------------------------------------

const char* const kTcpService =
    "apiVersion: v1\nkind: Service\nmetadata:\n  name: db\n  namespace: default\nspec:\n"
    "  clusterIP: 2.0.0.7\n  ports:\n  - {port: 5432, name: tcp-pg}\n  - {port: 5433, name: "
    "tcp-alt}\n---\n";

TEST_CASE("sidecar tcp: a VS tcp route without match replaces the default chain (7.1)",
          "[lower-sidecar]") {
  Built b(std::string(kTcpService) +
              "apiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata:\n  name: v\n"
              "  namespace: default\nspec:\n  hosts: [db.default.svc.cluster.local]\n  tcp:\n"
              "  - route:\n    - destination: {host: db-v2.example.com, port: {number: 6000}}\n",
          sidecarIn("default"));
  const Listener* l = b.listener("2.0.0.7_5432");
  REQUIRE(l != nullptr);
  REQUIRE(l->filter_chains.size() == 1);
  CHECK(l->filter_chains[0].tcp_proxy->cluster == "outbound|6000||db-v2.example.com");
  CHECK(l->filter_chains[0].tcp_proxy->source.virtual_service == "default/v");
}

TEST_CASE("sidecar tcp: a match on another port keeps the default chain (7.1)", "[lower-sidecar]") {
  Built b(std::string(kTcpService) +
              "apiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata:\n  name: v\n"
              "  namespace: default\nspec:\n  hosts: [db]\n  tcp:\n"
              "  - match:\n    - port: 5433\n    route:\n"
              "    - destination: {host: other.example.com}\n",
          sidecarIn("default"));
  INFO(b.dump());
  CHECK(b.listener("2.0.0.7_5432")->filter_chains.at(0).tcp_proxy->cluster ==
        "outbound|5432||db.default.svc.cluster.local");
  // On 5433 the destination has no port and is not a known service: the listener port.
  CHECK(b.listener("2.0.0.7_5433")->filter_chains.at(0).tcp_proxy->cluster ==
        "outbound|5433||other.example.com");
}

TEST_CASE("sidecar tcp: destinationSubnets make a CIDR chain next to the default (7.1)",
          "[lower-sidecar]") {
  Built b(std::string(kTcpService) +
              "apiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata:\n  name: v\n"
              "  namespace: default\nspec:\n  hosts: [db.default.svc.cluster.local]\n  tcp:\n"
              "  - match:\n    - destinationSubnets: [10.0.0.0/8]\n    route:\n"
              "    - destination: {host: subnet.example.com, port: {number: 1}}\n",
          sidecarIn("default"));
  INFO(b.dump());
  const Listener* l = b.listener("2.0.0.7_5432");
  REQUIRE(l != nullptr);
  REQUIRE(l->filter_chains.size() == 1);
  CHECK(l->filter_chains[0].match.prefix_ranges == std::vector<std::string>{"10.0.0.0/8"});
  CHECK(l->filter_chains[0].tcp_proxy->cluster == "outbound|1||subnet.example.com");
  REQUIRE(l->default_filter_chain.has_value());
  CHECK(l->default_filter_chain->tcp_proxy->cluster ==
        "outbound|5432||db.default.svc.cluster.local");
}

TEST_CASE(
    "sidecar tcp: several destinations become weighted clusters without zero weights "
    "(1.5)",
    "[lower-sidecar]") {
  Built b(
      std::string(kTcpService) +
          "apiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata:\n  name: v\n"
          "  namespace: default\nspec:\n  hosts: [db.default.svc.cluster.local]\n  tcp:\n"
          "  - route:\n    - {destination: {host: a.example.com, port: {number: 1}}, weight: 80}\n"
          "    - {destination: {host: b.example.com, port: {number: 1}}, weight: 20}\n"
          "    - {destination: {host: c.example.com, port: {number: 1}}, weight: 0}\n",
      sidecarIn("default"));
  const TcpProxy& tp = *b.listener("2.0.0.7_5432")->filter_chains.at(0).tcp_proxy;
  CHECK(tp.cluster.empty());
  REQUIRE(tp.weighted.size() == 2);
  CHECK(tp.weighted[0].name == "outbound|1||a.example.com");
  CHECK(tp.weighted[0].weight == 80);
}

TEST_CASE("sidecar tcp: sourceLabels that the proxy lacks drop the route (7.1)",
          "[lower-sidecar]") {
  std::string yaml = std::string(kTcpService) +
                     "apiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata:\n"
                     "  name: v\n  namespace: default\nspec:\n  hosts: [db]\n  tcp:\n"
                     "  - match:\n    - sourceLabels: {app: special}\n    route:\n"
                     "    - destination: {host: special.example.com, port: {number: 1}}\n";
  Built plain(yaml, sidecarIn("default"));
  CHECK(plain.listener("2.0.0.7_5432")->filter_chains.at(0).tcp_proxy->cluster ==
        "outbound|5432||db.default.svc.cluster.local");
  Built special(yaml, sidecarIn("default", {{"app", "special"}}));
  CHECK(special.listener("2.0.0.7_5432")->filter_chains.at(0).tcp_proxy->cluster ==
        "outbound|1||special.example.com");
}

const char* const kTlsEntry =
    "apiVersion: networking.istio.io/v1\nkind: ServiceEntry\nmetadata:\n  name: e\n"
    "  namespace: default\nspec:\n  hosts: [api.example.com, '*.wild.example.com']\n"
    "  resolution: NONE\n  ports:\n  - {number: 443, name: tls, protocol: TLS}\n---\n";

TEST_CASE("sidecar tls: without a VS, a port without VIP is SNI-matched on the host (7.2)",
          "[lower-sidecar]") {
  Built b(kTlsEntry, sidecarIn("default"));
  INFO(b.dump());
  const Listener* l = b.listener("0.0.0.0_443");
  REQUIRE(l != nullptr);
  CHECK(l->has_tls_inspector);
  std::set<std::string> sni;
  for (const FilterChain& fc : l->filter_chains) {
    for (const std::string& s : fc.match.server_names) {
      sni.insert(s + "=" + fc.tcp_proxy->cluster);
    }
  }
  CHECK(sni.count("api.example.com=outbound|443||api.example.com") == 1);
  CHECK(sni.count("*.wild.example.com=outbound|443||*.wild.example.com") == 1);
  CHECK(l->default_filter_chain->name == "PassthroughFilterChain");
}

TEST_CASE("sidecar tls: VS tls routes become SNI chains, first duplicate wins (7.2)",
          "[lower-sidecar]") {
  Built b(std::string(kTlsEntry) +
              "apiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata:\n  name: v\n"
              "  namespace: default\nspec:\n  hosts: [api.example.com]\n  tls:\n"
              "  - match:\n    - sniHosts: [api.example.com]\n    route:\n"
              "    - destination: {host: api.example.com, subset: v2}\n"
              "  - match:\n    - sniHosts: [api.example.com]\n    route:\n"
              "    - destination: {host: never.example.com}\n",
          sidecarIn("default"));
  INFO(b.dump());
  const Listener* l = b.listener("0.0.0.0_443");
  REQUIRE(l != nullptr);
  int api_chains = 0;
  for (const FilterChain& fc : l->filter_chains) {
    if (fc.match.server_names == std::vector<std::string>{"api.example.com"}) {
      ++api_chains;
      CHECK(fc.tcp_proxy->cluster == "outbound|443|v2|api.example.com");
    }
  }
  CHECK(api_chains == 1);
}

TEST_CASE("sidecar tls: http routes never apply to a TLS port (7.2)", "[lower-sidecar]") {
  Built b(std::string(kTlsEntry) +
              "apiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata:\n  name: v\n"
              "  namespace: default\nspec:\n  hosts: [api.example.com]\n  http:\n"
              "  - route:\n    - destination: {host: http.example.com}\n",
          sidecarIn("default"));
  CHECK(b.pc.route_configs.empty());
  CHECK(testing::hasId(b.notes, "lower-sidecar-vs-unused"));
}

TEST_CASE(
    "sidecar tcp: two hosts without addresses on one TCP port: the first keeps the port "
    "(7.1)",
    "[lower-sidecar]") {
  Built b(
      "apiVersion: networking.istio.io/v1\nkind: ServiceEntry\nmetadata:\n  name: e\n"
      "  namespace: default\nspec:\n  hosts: [a.example.com, b.example.com]\n"
      "  resolution: DNS\n  ports:\n  - {number: 3306, name: mysql, protocol: MYSQL}\n",
      sidecarIn("default"));
  const Listener* l = b.listener("0.0.0.0_3306");
  REQUIRE(l != nullptr);
  REQUIRE(l->filter_chains.size() == 1);
  CHECK(l->filter_chains[0].tcp_proxy->cluster == "outbound|3306||a.example.com");
  CHECK(testing::hasId(b.notes, "lower-sidecar-listener-conflict"));
}

TEST_CASE("sidecar notes: a shadowed VirtualService is reported at its own position (9.3)",
          "[lower-sidecar]") {
  std::string yaml =
      std::string(kKnownServices) +  // 39 lines
      vsYaml({"default",
              {"known.default.svc.cluster.local"},
              "old.example.com",
              kTimeOlder}) +  // 14 lines
      vsYaml({"default", {"known.default.svc.cluster.local"}, "new.example.com", kTimeNewer});
  Built b(yaml, sidecarIn("default"));
  REQUIRE(testing::hasId(b.notes, "lower-sidecar-vs-shadowed"));
  for (const Diagnostic& d : b.notes) {
    if (d.id != "lower-sidecar-vs-shadowed") {
      continue;
    }
    CHECK(d.severity == Severity::kInfo);
    CHECK(d.resource.kind == "VirtualService");
    CHECK(d.resource.name == "defaultknown.default.svc.cluster.localnew.example.com");
    CHECK(d.loc.line == 54);  // the newer VS document starts there
    CHECK(d.loc.column == 1);
  }
}

TEST_CASE("sidecar tls: a TLS port with a VIP needs no SNI, VS sniHosts add SNI chains (7.2)",
          "[lower-sidecar]") {
  std::string svc =
      "apiVersion: v1\nkind: Service\nmetadata:\n  name: secure\n  namespace: default\nspec:\n"
      "  clusterIP: 2.0.0.4\n  ports:\n  - {port: 443, name: https}\n---\n";
  Built plain(svc, sidecarIn("default"));
  const Listener* l = plain.listener("2.0.0.4_443");
  REQUIRE(l != nullptr);
  REQUIRE(l->filter_chains.size() == 1);
  CHECK(l->filter_chains[0].match.server_names.empty());
  CHECK(l->filter_chains[0].tcp_proxy->cluster == "outbound|443||secure.default.svc.cluster.local");
  CHECK_FALSE(l->has_tls_inspector);

  Built routed(svc +
                   "apiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata:\n"
                   "  name: v\n  namespace: default\nspec:\n  hosts: [secure]\n  tls:\n"
                   "  - match:\n    - sniHosts: [secure.default.svc.cluster.local]\n"
                   "    route:\n    - destination: {host: secure, subset: canary}\n",
               sidecarIn("default"));
  INFO(routed.dump());
  const Listener* r = routed.listener("2.0.0.4_443");
  REQUIRE(r != nullptr);
  REQUIRE(r->filter_chains.size() == 1);
  CHECK(r->filter_chains[0].match.server_names ==
        std::vector<std::string>{"secure.default.svc.cluster.local"});
  CHECK(r->filter_chains[0].tcp_proxy->cluster ==
        "outbound|443|canary|secure.default.svc.cluster.local");
  CHECK(r->has_tls_inspector);
  CHECK(r->default_filter_chain->name == "PassthroughFilterChain");
}

TEST_CASE(
    "sidecar listeners: a ServiceEntry with two addresses gets a listener per address "
    "(1.21)",
    "[lower-sidecar]") {
  Built b(
      "apiVersion: networking.istio.io/v1\nkind: ServiceEntry\nmetadata:\n  name: e\n"
      "  namespace: default\nspec:\n  hosts: [db.example.com]\n"
      "  addresses: [240.0.0.1, 240.0.0.2]\n  resolution: STATIC\n  endpoints:\n"
      "  - address: 1.1.1.1\n  ports:\n  - {number: 5432, name: tcp, protocol: TCP}\n",
      sidecarIn("default"));
  CHECK(b.listener("240.0.0.1_5432") != nullptr);
  CHECK(b.listener("240.0.0.2_5432") != nullptr);
  const Cluster* c = b.pc.findCluster("outbound|5432||db.example.com");
  REQUIRE(c != nullptr);
  REQUIRE(c->endpoints.size() == 1);
  CHECK(c->endpoints[0].address == "1.1.1.1");
}

TEST_CASE("sidecar listeners: captureMode NONE binds an egress port on 127.0.0.1 (1.19)",
          "[lower-sidecar]") {
  Built b(std::string(kKnownServices) +
              "apiVersion: networking.istio.io/v1\nkind: Sidecar\nmetadata:\n  name: s\n"
              "  namespace: default\nspec:\n  egress:\n"
              "  - port: {number: 80, protocol: HTTP, name: web}\n    captureMode: NONE\n"
              "    hosts: ['default/*']\n",
          sidecarIn("default"));
  INFO(b.dump());
  const Listener* l = b.listener("127.0.0.1_80");
  REQUIRE(l != nullptr);
  REQUIRE(l->filter_chains.size() == 1);
  CHECK(l->filter_chains[0].rds_name == "80");
  CHECK(l->filter_chains[0].match.application_protocols.empty());
  CHECK(b.listener("0.0.0.0_8080") == nullptr);  // no catch-all egress listener
  CHECK(b.hasDomain("80", "known.default.svc.cluster.local"));
}

TEST_CASE("sidecar catch-all: mesh ALLOW_ANY_DYNAMIC_DNS uses the dynamic DNS cluster (5.4)",
          "[lower-sidecar]") {
  frontend::MeshConfig mesh;
  mesh.outbound_traffic_policy = "ALLOW_ANY_DYNAMIC_DNS";
  Built b(kKnownServices, sidecarIn("default"), mesh);
  const VirtualHost& last = b.rc("80")->virtual_hosts.back();
  CHECK(last.name == "allow_any_dynamic_dns");
  CHECK(last.routes.at(0).route.cluster == "AllowAnyDynamicDNSCluster");
  const Listener* vo = b.listener("virtualOutbound");
  REQUIRE(vo != nullptr);
  REQUIRE(vo->filter_chains.size() == 3);
  CHECK(vo->filter_chains[1].http);
  CHECK(vo->filter_chains[1].rds_name == "allow_any_dynamic_dns");
  CHECK(vo->filter_chains[2].tcp_proxy->cluster == "PassthroughCluster");
  CHECK(b.rc("allow_any_dynamic_dns") != nullptr);
  CHECK(b.pc.findCluster("AllowAnyDynamicDNSCluster") != nullptr);
}

// --- Clusters ------------------------------------------------------------------------------------

TEST_CASE("sidecar clusters: one per service port and DR subset, plus the fixed ones, sorted",
          "[lower-sidecar]") {
  Built b(std::string(kKnownServices) +
              "apiVersion: networking.istio.io/v1\nkind: DestinationRule\nmetadata:\n  name: d\n"
              "  namespace: default\nspec:\n  host: known\n  subsets:\n"
              "  - {name: v1, labels: {version: v1}}\n",
          sidecarIn("default"));
  CHECK(b.pc.findCluster("outbound|80||known.default.svc.cluster.local") != nullptr);
  CHECK(b.pc.findCluster("outbound|8080||known.default.svc.cluster.local") != nullptr);
  CHECK(b.pc.findCluster("outbound|80|v1|known.default.svc.cluster.local") != nullptr);
  CHECK(b.pc.findCluster("outbound|8080|v1|known.default.svc.cluster.local") != nullptr);
  CHECK(b.pc.findCluster("outbound|80|v1|alt-known.default.svc.cluster.local") == nullptr);
  CHECK(b.pc.findCluster("PassthroughCluster") != nullptr);
  CHECK(b.pc.findCluster("BlackHoleCluster") != nullptr);
  CHECK(std::is_sorted(b.pc.clusters.begin(), b.pc.clusters.end(),
                       [](const Cluster& x, const Cluster& y) { return x.name < y.name; }));
}

TEST_CASE(
    "sidecar clusters: a VS destination outside the egress hosts still gets a cluster "
    "(5.1)",
    "[lower-sidecar]") {
  Built b = routesCase({{"default",
                         {"known.default.svc.cluster.local"},
                         "not-default.not-default.svc.cluster.local"}},
                       {"./*"}, "default");
  CHECK(b.pc.findCluster("outbound|80||not-default.not-default.svc.cluster.local") != nullptr);
  CHECK_FALSE(b.hasDomain("80", "not-default.not-default.svc.cluster.local"));
}

TEST_CASE("sidecar clusters: a service exported elsewhere has no cluster here (4.5)",
          "[lower-sidecar]") {
  Built b(
      "apiVersion: v1\nkind: Service\nmetadata:\n  name: hidden\n  namespace: other\n"
      "  annotations:\n    networking.istio.io/exportTo: \".\"\nspec:\n  clusterIP: 2.0.0.3\n"
      "  ports:\n  - {port: 80, name: http}\n",
      sidecarIn("default"));
  CHECK(b.pc.findCluster("outbound|80||hidden.other.svc.cluster.local") == nullptr);
  CHECK(b.rc("80") == nullptr);
}

// --- Behaviour on odd inputs
// ----------------------------------------------------------------------

TEST_CASE("sidecar: an empty config still has virtualOutbound and the fixed clusters",
          "[lower-sidecar]") {
  model::ConfigSet empty;
  ProxyConfig pc = buildSidecarConfig(empty, sidecarIn("default")).config;
  REQUIRE(pc.listeners.size() == 1);
  CHECK(pc.listeners[0].name == "virtualOutbound");
  CHECK(pc.clusters.size() == 2);
  CHECK(pc.route_configs.empty());
}

TEST_CASE("sidecar: hand-built models with missing fields never crash", "[lower-sidecar]") {
  model::ConfigSet c;
  model::VirtualService v;
  v.meta.name = "v";
  v.meta.name_space = "default";
  v.hosts = {"", "*", "a"};
  model::HttpRoute r;
  r.route.push_back({});  // destination without a host
  v.http.push_back(r);
  model::TcpRoute t;
  t.route.push_back({});
  v.tcp.push_back(t);
  model::TlsRoute tl;
  tl.match.push_back({});
  tl.route.push_back({});
  v.tls.push_back(tl);
  c.virtual_services.push_back(v);
  model::ServiceEntry se;
  se.meta.name = "e";
  se.meta.name_space = "default";
  se.hosts = {"", "a.default.svc.cluster.local"};
  se.addresses = {"not-an-ip", "1.2.3.4/99", "::1"};
  se.ports = {{0, "", "", 0}, {443, "TLS", "t", 0}, {80, "HTTP", "h", 0}};
  se.endpoints.push_back({});
  c.service_entries.push_back(se);
  model::KubernetesService ks;
  ks.meta.name = "k";
  ks.meta.name_space = "default";
  ks.ports.push_back({"", 0, "named", "TCP", ""});
  ks.selector = {{"a", "b"}};
  c.services.push_back(ks);
  model::WorkloadInstance w;
  w.meta.name = "p";
  w.meta.name_space = "default";
  w.labels = {{"a", "b"}};
  c.workloads.push_back(w);
  model::Sidecar sc;
  sc.meta.name = "s";
  sc.meta.name_space = "default";
  model::IstioEgressListener el;
  el.hosts = {"bad", "a/b/c", "~/", "./"};
  el.port = model::SidecarPort{0, "", ""};
  sc.egress.push_back(el);
  sc.egress.push_back({});
  c.sidecars.push_back(sc);
  model::DestinationRule dr;
  dr.meta.name = "d";
  dr.meta.name_space = "default";
  dr.subsets.push_back({});
  c.destination_rules.push_back(dr);
  ProxyConfig pc = buildSidecarConfig(c, sidecarIn("default")).config;
  CHECK_FALSE(pc.listeners.empty());
}

}  // namespace
}  // namespace meshc::lower
