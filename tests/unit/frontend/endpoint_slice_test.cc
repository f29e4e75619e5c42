// EndpointSlice (discovery.k8s.io/v1) as an input kind: accepted as kubectl prints it (also
// inside a List), schema-checked, and checked like the API server's ValidateEndpointSlice.
#include <catch2/catch.hpp>
#include <string>

#include "test_util.h"

using meshc::Severity;
using meshc::testing::describe;
using meshc::testing::findId;
using meshc::testing::hasId;
using meshc::testing::lintYaml;

namespace {

// `kubectl get endpointslices -n shop -o yaml` for one Service, fields as the API server fills
// them (managedFields left out).
constexpr const char* kKubectlList = R"(apiVersion: v1
items:
- addressType: IPv4
  apiVersion: discovery.k8s.io/v1
  endpoints:
  - addresses:
    - 10.1.0.1
    conditions:
      ready: true
      serving: true
      terminating: false
    nodeName: node-1
    targetRef:
      kind: Pod
      name: reviews-v1-7d8f
      namespace: shop
      uid: 0b3c2f7e-1f6e-4bb5-9d07-2f0c1e6d1a10
    zone: zone-a
  - addresses:
    - 10.1.0.2
    conditions:
      ready: false
      serving: false
      terminating: true
    hints:
      forZones:
      - name: zone-a
  kind: EndpointSlice
  metadata:
    annotations:
      endpoints.kubernetes.io/last-change-trigger-time: "2024-05-01T10:00:00Z"
    creationTimestamp: "2024-05-01T09:00:00Z"
    generateName: reviews-
    generation: 4
    labels:
      endpointslice.kubernetes.io/managed-by: endpointslice-controller.k8s.io
      kubernetes.io/service-name: reviews
    name: reviews-x7k2p
    namespace: shop
    ownerReferences:
    - apiVersion: v1
      blockOwnerDeletion: true
      controller: true
      kind: Service
      name: reviews
      uid: 6b1d2c3e-0000-4000-8000-000000000001
    resourceVersion: "18231"
    uid: 4f0e7c1a-0000-4000-8000-000000000002
  ports:
  - name: http
    port: 9080
    protocol: TCP
  - appProtocol: grpc
    name: grpc
    port: 7070
    protocol: TCP
kind: List
metadata:
  resourceVersion: ""
)";

std::string slice(const std::string& address_type, const std::string& endpoints,
                  const std::string& ports,
                  const std::string& labels = "    kubernetes.io/service-name: reviews\n") {
  return "apiVersion: discovery.k8s.io/v1\nkind: EndpointSlice\nmetadata:\n  name: s\n"
         "  namespace: shop\n  labels:\n" +
         labels + "addressType: " + address_type + "\nendpoints:\n" + endpoints + "ports:\n" +
         ports;
}

}  // namespace

TEST_CASE("endpointslice: a kubectl List of EndpointSlices lints clean", "[endpointslice]") {
  meshc::frontend::LintResult r = lintYaml(kKubectlList);
  INFO(describe(r.diagnostics));
  CHECK(r.diagnostics.empty());
  CHECK(r.resources == 1);
  CHECK(r.skipped_kinds.empty());  // understood, not skipped
}

TEST_CASE("endpointslice: empty endpoints and ports as kubectl prints them are valid",
          "[endpointslice]") {
  meshc::frontend::LintResult r = lintYaml(
      "apiVersion: discovery.k8s.io/v1\nkind: EndpointSlice\nmetadata:\n  name: empty\n"
      "  namespace: shop\n  labels: {kubernetes.io/service-name: reviews}\n"
      "addressType: IPv6\nendpoints: null\nports: null\n");
  INFO(describe(r.diagnostics));
  CHECK(r.diagnostics.empty());
}

TEST_CASE("endpointslice: an address of another family than addressType is an error",
          "[endpointslice]") {
  meshc::frontend::LintResult r =
      lintYaml(slice("IPv4", "- addresses: [10.1.0.1, 'fd00::1']\n", "- {name: http, port: 80}\n"));
  const meshc::Diagnostic* d = findId(r.diagnostics, "endpointslice-address");
  REQUIRE(d != nullptr);
  CHECK(d->severity == Severity::kError);
  CHECK(d->message == "expected an IPv4 address (addressType IPv4), found \"fd00::1\"");
  CHECK(d->loc.line == 10);
  CHECK(d->loc.column == 25);  // the quoted scalar
  CHECK(meshc::testing::countId(r.diagnostics, "endpointslice-address") == 1);

  meshc::frontend::LintResult v6 =
      lintYaml(slice("IPv6", "- addresses: ['fd00::1', 10.1.0.300]\n", "- {port: 80}\n"));
  const meshc::Diagnostic* d6 = findId(v6.diagnostics, "endpointslice-address");
  REQUIRE(d6 != nullptr);
  CHECK(d6->message == "expected an IPv6 address (addressType IPv6), found \"10.1.0.300\"");

  meshc::frontend::LintResult fqdn =
      lintYaml(slice("FQDN", "- addresses: [Db.Example.com]\n", "- {port: 80}\n"));
  const meshc::Diagnostic* df = findId(fqdn.diagnostics, "endpointslice-address");
  REQUIRE(df != nullptr);
  CHECK(df->message ==
        "expected a DNS-1123 subdomain (lower-case host name) (addressType FQDN), found "
        "\"Db.Example.com\"");
}

TEST_CASE("endpointslice: port names must be unique DNS-1123 labels", "[endpointslice]") {
  meshc::frontend::LintResult r = lintYaml(
      slice("IPv4", "- addresses: [10.1.0.1]\n",
            "- {name: http, port: 80}\n- {name: http, port: 81}\n- {name: Web_UI, port: 82}\n"));
  const meshc::Diagnostic* dup = findId(r.diagnostics, "endpointslice-duplicate-port");
  REQUIRE(dup != nullptr);
  CHECK(dup->message ==
        "port name \"http\" appears twice; each port of an EndpointSlice needs its own name");
  CHECK(dup->loc.line == 13);  // the second "http"
  const meshc::Diagnostic* name = findId(r.diagnostics, "endpointslice-port-name");
  REQUIRE(name != nullptr);
  CHECK(name->message ==
        "expected a DNS-1123 label as port name (lower-case letters, digits and '-', at most 63 "
        "characters), found \"Web_UI\"");
  CHECK(name->loc.line == 14);
}

TEST_CASE("endpointslice: a slice without the service-name label is a warning", "[endpointslice]") {
  meshc::frontend::LintResult r = lintYaml(
      slice("IPv4", "- addresses: [10.1.0.1]\n", "- {name: http, port: 80}\n", "    app: x\n"));
  const meshc::Diagnostic* d = findId(r.diagnostics, "endpointslice-no-service");
  REQUIRE(d != nullptr);
  CHECK(d->severity == Severity::kWarning);
  CHECK(d->message ==
        "expected a \"kubernetes.io/service-name\" label naming the Service this EndpointSlice "
        "belongs to, found none; no Service takes its endpoints");
  CHECK(d->loc.line == 4);  // metadata.name
}

TEST_CASE("endpointslice: the schema rejects a bad addressType, port and missing addresses",
          "[endpointslice]") {
  CHECK(hasId(lintYaml(slice("IPv5", "- addresses: [10.1.0.1]\n", "- {port: 80}\n")).diagnostics,
              "schema-enum"));
  CHECK(hasId(lintYaml(slice("IPv4", "- addresses: [10.1.0.1]\n", "- {port: 70000}\n")).diagnostics,
              "schema-range"));
  CHECK(
      hasId(lintYaml(slice("IPv4", "- conditions: {ready: true}\n", "- {port: 80}\n")).diagnostics,
            "schema-required"));
  CHECK(hasId(lintYaml(slice("IPv4", "- addresses: [10.1.0.1]\n  readyy: true\n", "- {port: 80}\n"))
                  .diagnostics,
              "schema-unknown-field"));
}
