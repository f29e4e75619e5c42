// Tests for reading DestinationRules into the typed model (SEMANTICS 1.20).
#include <catch2/catch.hpp>

#include "model/model_test_util.h"

using meshc::model::ConfigSet;
using meshc::testing::buildCheckedModel;
using meshc::testing::buildModel;
using meshc::testing::describe;
using meshc::testing::Loaded;

TEST_CASE("model dr: host, subsets, policies, port-level settings and exportTo", "[model]") {
  Loaded l(R"(apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: reviews, namespace: ns1}
spec:
  host: reviews
  trafficPolicy:
    loadBalancer: {simple: ROUND_ROBIN}
    tls: {mode: ISTIO_MUTUAL, sni: r.example}
    portLevelSettings:
    - port: {number: 9080}
      loadBalancer:
        consistentHash: {httpHeaderName: x-user}
  subsets:
  - name: v1
    labels: {version: v1}
  - name: v2
    labels: {version: v2}
    trafficPolicy:
      loadBalancer:
        consistentHash: {httpCookie: {name: c, ttl: 0s}}
  exportTo: ["."]
)");
  ConfigSet set = buildCheckedModel(l);
  INFO(describe(l.sink.diagnostics()));
  CHECK(meshc::testing::allSchemaValid(l));
  REQUIRE(set.destination_rules.size() == 1);
  const auto& dr = set.destination_rules[0];
  CHECK(dr.host == "reviews");
  REQUIRE(dr.traffic_policy.has_value());
  CHECK(dr.traffic_policy->load_balancer->simple == "ROUND_ROBIN");
  CHECK_FALSE(dr.traffic_policy->load_balancer->consistent_hash.has_value());
  CHECK(dr.traffic_policy->tls->mode == "ISTIO_MUTUAL");
  CHECK(dr.traffic_policy->tls->sni == "r.example");
  REQUIRE(dr.traffic_policy->port_level_settings.size() == 1);
  const auto& pl = dr.traffic_policy->port_level_settings[0];
  CHECK(pl.port == 9080);
  CHECK(pl.load_balancer->simple.empty());
  CHECK(pl.load_balancer->consistent_hash->http_header_name == "x-user");
  CHECK_FALSE(pl.tls.has_value());
  REQUIRE(dr.subsets.size() == 2);
  CHECK(dr.subsets[0].name == "v1");
  CHECK(dr.subsets[0].labels.at("version") == "v1");
  CHECK_FALSE(dr.subsets[0].traffic_policy.has_value());
  CHECK(dr.subsets[1].traffic_policy->load_balancer->consistent_hash->http_cookie_name == "c");
  CHECK(dr.export_to == std::vector<std::string>{"."});
  CHECK_FALSE(dr.workload_selector.has_value());
}

TEST_CASE("model dr: enums by number, tls mode defaults to DISABLE, default exportTo", "[model]") {
  Loaded l(R"(apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: a}
spec:
  host: a.example.com
  workloadSelector: {matchLabels: {app: x}}
  trafficPolicy:
    loadBalancer: {simple: 5}
    tls: {sni: only-sni}
    portLevelSettings:
    - port: {number: 80}
      tls: {mode: 2}
      loadBalancer: {simple: 0, consistentHash: {useSourceIp: true}}
    - port: {number: 81}
      loadBalancer: {consistentHash: {httpQueryParameterName: q}}
)");
  meshc::frontend::MeshConfig mesh;
  mesh.default_destination_rule_export_to = {"istio-system"};
  ConfigSet set = buildModel(l, mesh);
  REQUIRE(set.destination_rules.size() == 1);
  const auto& dr = set.destination_rules[0];
  CHECK(dr.traffic_policy->load_balancer->simple == "LEAST_REQUEST");
  CHECK(dr.traffic_policy->tls->mode == "DISABLE");
  const auto& pls = dr.traffic_policy->port_level_settings;
  REQUIRE(pls.size() == 2);
  CHECK(pls[0].tls->mode == "MUTUAL");
  CHECK(pls[0].load_balancer->simple.empty());  // UNSPECIFIED
  CHECK(pls[0].load_balancer->consistent_hash->use_source_ip);
  CHECK(pls[1].load_balancer->consistent_hash->http_query_parameter_name == "q");
  REQUIRE(dr.workload_selector.has_value());
  CHECK(dr.workload_selector->at("app") == "x");
  CHECK(dr.export_to == std::vector<std::string>{"istio-system"});
}
