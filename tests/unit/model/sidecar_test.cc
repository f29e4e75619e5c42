// Tests for reading Sidecars into the typed model (SEMANTICS 1.19, 5.3).
#include <catch2/catch.hpp>

#include "model/model_test_util.h"

using meshc::model::ConfigSet;
using meshc::testing::buildCheckedModel;
using meshc::testing::buildModel;
using meshc::testing::describe;
using meshc::testing::Loaded;

TEST_CASE(
    "model sidecar: outboundTrafficPolicy {} means REGISTRY_ONLY, absent means unset "
    "(SEMANTICS 5.3, 9.8)",
    "[model]") {
  Loaded l(R"(apiVersion: networking.istio.io/v1
kind: Sidecar
metadata: {name: a, namespace: ns1}
spec:
  outboundTrafficPolicy: {}
---
apiVersion: networking.istio.io/v1
kind: Sidecar
metadata: {name: b, namespace: ns1}
spec:
  egress: [{hosts: ["./*"]}]
---
apiVersion: networking.istio.io/v1
kind: Sidecar
metadata: {name: c, namespace: ns1}
spec:
  outboundTrafficPolicy:
    mode: ALLOW_ANY
    egressProxy: {host: egress.ns.svc.cluster.local, subset: s, port: {number: 443}}
)");
  ConfigSet set = buildCheckedModel(l);
  INFO(describe(l.sink.diagnostics()));
  CHECK(meshc::testing::allSchemaValid(l));
  REQUIRE(set.sidecars.size() == 3);
  REQUIRE(set.sidecars[0].outbound_traffic_policy.has_value());
  CHECK(set.sidecars[0].outbound_traffic_policy->mode == "REGISTRY_ONLY");
  CHECK_FALSE(set.sidecars[0].outbound_traffic_policy->egress_proxy.has_value());
  CHECK_FALSE(set.sidecars[1].outbound_traffic_policy.has_value());
  const auto& p = *set.sidecars[2].outbound_traffic_policy;
  CHECK(p.mode == "ALLOW_ANY");
  REQUIRE(p.egress_proxy.has_value());
  CHECK(p.egress_proxy->host == "egress.ns.svc.cluster.local");
  CHECK(p.egress_proxy->subset == "s");
  CHECK(p.egress_proxy->port == 443u);
}

TEST_CASE("model sidecar: listeners, selector, capture mode default and enums by number",
          "[model]") {
  Loaded l(R"(apiVersion: networking.istio.io/v1
kind: Sidecar
metadata: {name: a, namespace: ns1}
spec:
  workloadSelector: {labels: {app: web}}
  ingress:
  - port: {number: 9080, protocol: http, name: in}
    bind: 0.0.0.0
    defaultEndpoint: 127.0.0.1:8080
  egress:
  - port: {number: 3306, protocol: MYSQL, name: db}
    bind: 127.0.0.1
    captureMode: 2
    hosts: [ns2/db.ns2.svc.cluster.local]
  - hosts: ["./*", "istio-system/*"]
  outboundTrafficPolicy: {mode: 1}
)");
  ConfigSet set = buildModel(l);
  REQUIRE(set.sidecars.size() == 1);
  const auto& sc = set.sidecars[0];
  REQUIRE(sc.workload_selector.has_value());
  CHECK(sc.workload_selector->at("app") == "web");
  REQUIRE(sc.ingress.size() == 1);
  CHECK(sc.ingress[0].port.number == 9080);
  CHECK(sc.ingress[0].port.protocol == "HTTP");
  CHECK(sc.ingress[0].port.name == "in");
  CHECK(sc.ingress[0].bind == "0.0.0.0");
  CHECK(sc.ingress[0].default_endpoint == "127.0.0.1:8080");
  CHECK(sc.ingress[0].loc.line == 7);
  REQUIRE(sc.egress.size() == 2);
  REQUIRE(sc.egress[0].port.has_value());
  CHECK(sc.egress[0].port->number == 3306);
  CHECK(sc.egress[0].bind == "127.0.0.1");
  CHECK(sc.egress[0].capture_mode == "NONE");
  CHECK(sc.egress[0].hosts == std::vector<std::string>{"ns2/db.ns2.svc.cluster.local"});
  CHECK_FALSE(sc.egress[1].port.has_value());
  CHECK(sc.egress[1].capture_mode == "DEFAULT");
  CHECK(sc.egress[1].hosts.size() == 2);
  CHECK(sc.egress[1].loc.line == 15);
  CHECK(sc.outbound_traffic_policy->mode == "ALLOW_ANY");
}

TEST_CASE("model sidecar: no workloadSelector is nullopt, odd shapes are skipped", "[model]") {
  Loaded l(R"(apiVersion: networking.istio.io/v1
kind: Sidecar
metadata: {name: a}
spec:
  egress: [3, {port: 80, hosts: "x"}]
  ingress: {a: b}
  outboundTrafficPolicy: ALLOW_ANY
)");
  ConfigSet set = buildModel(l);
  REQUIRE(set.sidecars.size() == 1);
  const auto& sc = set.sidecars[0];
  CHECK_FALSE(sc.workload_selector.has_value());
  REQUIRE(sc.egress.size() == 1);
  CHECK_FALSE(sc.egress[0].port.has_value());
  CHECK(sc.egress[0].hosts.empty());
  CHECK(sc.ingress.empty());
  CHECK_FALSE(sc.outbound_traffic_policy.has_value());
}
