// Tests for reading Gateways into the typed model (SEMANTICS 1.18).
#include <catch2/catch.hpp>

#include "model/model_test_util.h"

using meshc::model::ConfigSet;
using meshc::testing::buildCheckedModel;
using meshc::testing::buildModel;
using meshc::testing::describe;
using meshc::testing::Loaded;

TEST_CASE(
    "model gateway: tls mode defaults to PASSTHROUGH, protocol is upper-cased "
    "(SEMANTICS 1.18)",
    "[model]") {
  Loaded l(R"(apiVersion: networking.istio.io/v1
kind: Gateway
metadata: {name: gw, namespace: istio-system}
spec:
  selector: {istio: ingressgateway}
  servers:
  - port: {number: 443, name: https, protocol: https}
    hosts: [ns1/a.example.com, "*.b.com"]
    tls: {credentialName: cert}
    name: srv
  - port: {number: 80, name: http, protocol: HTTP}
    bind: 10.0.0.1
    hosts: ["*"]
    tls: {httpsRedirect: true}
  - port: {number: 8080, name: plain, protocol: HTTP}
    hosts: ["*"]
)");
  ConfigSet set = buildCheckedModel(l);
  INFO(describe(l.sink.diagnostics()));
  CHECK(meshc::testing::allSchemaValid(l));
  REQUIRE(set.gateways.size() == 1);
  const auto& gw = set.gateways[0];
  CHECK(gw.meta.ref() == "istio-system/gw");
  REQUIRE(gw.selector.has_value());
  CHECK(gw.selector->at("istio") == "ingressgateway");
  REQUIRE(gw.servers.size() == 3);
  const auto& s0 = gw.servers[0];
  CHECK(s0.port.number == 443);
  CHECK(s0.port.protocol == "HTTPS");
  CHECK(s0.port.name == "https");
  CHECK(s0.hosts == std::vector<std::string>{"ns1/a.example.com", "*.b.com"});
  REQUIRE(s0.tls.has_value());
  CHECK(s0.tls->mode == "PASSTHROUGH");
  CHECK(s0.tls->credential_name == "cert");
  CHECK(s0.name == "srv");
  CHECK(s0.index == 0);
  CHECK(s0.loc.line == 7);
  CHECK(s0.loc.column == 5);
  CHECK(gw.servers[1].bind == "10.0.0.1");
  CHECK(gw.servers[1].tls->https_redirect);
  CHECK(gw.servers[1].index == 1);
  CHECK_FALSE(gw.servers[2].tls.has_value());
}

TEST_CASE("model gateway: enums given as numbers map to their names", "[model]") {
  Loaded l(R"(apiVersion: networking.istio.io/v1
kind: Gateway
metadata: {name: gw}
spec:
  servers:
  - port: {number: 443, name: a, protocol: HTTPS}
    hosts: ["*"]
    tls: {mode: 1, minProtocolVersion: 3, maxProtocolVersion: TLSV1_3, credentialName: c,
          subjectAltNames: [x], cipherSuites: [ECDHE-RSA-AES128-GCM-SHA256]}
  - port: {number: 444, name: b, protocol: TLS}
    hosts: ["*"]
    tls: {mode: 3}
  - port: {number: 445, name: c, protocol: HTTPS}
    hosts: ["*"]
    tls: {mode: 5, serverCertificate: /c, privateKey: /k, caCertificates: /ca}
  - port: {number: 446, name: d, protocol: TLS}
    hosts: ["*"]
    tls: {mode: 9}
)");
  ConfigSet set = buildModel(l);
  const auto& servers = set.gateways.at(0).servers;
  REQUIRE(servers.size() == 4);
  CHECK(servers[0].tls->mode == "SIMPLE");
  CHECK(servers[0].tls->min_protocol_version == "TLSV1_2");
  CHECK(servers[0].tls->max_protocol_version == "TLSV1_3");
  CHECK(servers[0].tls->subject_alt_names == std::vector<std::string>{"x"});
  CHECK(servers[0].tls->cipher_suites.size() == 1);
  CHECK(servers[1].tls->mode == "AUTO_PASSTHROUGH");
  CHECK(servers[2].tls->mode == "OPTIONAL_MUTUAL");
  CHECK(servers[2].tls->server_certificate == "/c");
  CHECK(servers[2].tls->private_key == "/k");
  CHECK(servers[2].tls->ca_certificates == "/ca");
  CHECK(servers[3].tls->mode == "9");  // proto3 enums are open: unknown numbers are kept
}

TEST_CASE("model gateway: a missing selector is nullopt, an empty one is kept", "[model]") {
  Loaded l(R"(apiVersion: networking.istio.io/v1
kind: Gateway
metadata: {name: a}
spec:
  servers: [{port: {number: 80, name: http, protocol: HTTP}, hosts: ["*"]}]
---
apiVersion: networking.istio.io/v1
kind: Gateway
metadata: {name: b}
spec:
  selector: {}
  servers: [{port: {number: 80, name: http, protocol: HTTP}, hosts: ["*"]}]
---
apiVersion: networking.istio.io/v1
kind: Gateway
metadata: {name: c}
spec:
  selector: [x]
  servers: [7, {port: 80, hosts: "*", tls: yes}]
)");
  ConfigSet set = buildModel(l);
  REQUIRE(set.gateways.size() == 3);
  CHECK_FALSE(set.gateways[0].selector.has_value());
  REQUIRE(set.gateways[1].selector.has_value());
  CHECK(set.gateways[1].selector->empty());
  CHECK_FALSE(set.gateways[2].selector.has_value());
  REQUIRE(set.gateways[2].servers.size() == 1);
  CHECK(set.gateways[2].servers[0].index == 1);
  CHECK(set.gateways[2].servers[0].port.number == 0);
  CHECK(set.gateways[2].servers[0].hosts.empty());
  CHECK_FALSE(set.gateways[2].servers[0].tls.has_value());
}
