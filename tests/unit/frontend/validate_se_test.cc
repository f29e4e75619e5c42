// Tests for the ServiceEntry webhook rules (ISTIO-VALIDATION.md A.7, SE1-SE19).
#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "schema_rejection_util.h"
#include "test_util.h"

namespace {

using meshc::Diagnostic;
using meshc::Severity;
using meshc::testing::countId;
using meshc::testing::describe;
using meshc::testing::findId;
using meshc::testing::hasId;
using meshc::testing::validateYaml;

// A ServiceEntry in namespace ns1 whose spec is `spec` (fields indented by two spaces);
// `labels` are metadata.labels lines indented by four spaces.
std::vector<Diagnostic> se(const std::string& spec, const std::string& labels = "") {
  return validateYaml(
      "apiVersion: networking.istio.io/v1\n"
      "kind: ServiceEntry\n"
      "metadata:\n"
      "  name: ext\n"
      "  namespace: ns1\n" +
      (labels.empty() ? std::string() : "  labels:\n" + labels) + "spec:\n" + spec);
}

// hosts [api.example.com], one HTTP port 443/https, plus the given fields.
std::vector<Diagnostic> httpSe(const std::string& fields) {
  return se(
      "  hosts: [api.example.com]\n"
      "  ports:\n"
      "  - number: 443\n"
      "    name: https\n"
      "    protocol: TLS\n" +
      fields);
}

}  // namespace

TEST_CASE("service entry for an external DNS service is clean", "[validate-se]") {
  auto d = httpSe("  resolution: DNS\n  location: MESH_EXTERNAL\n  exportTo: [\".\"]\n");
  INFO(describe(d));
  CHECK(d.empty());
}

// --- SE1 / SE2 workload selector
// ------------------------------------------------------------------

TEST_CASE("selector errors stop the service entry validation", "[validate-se]") {
  auto d = se("  hosts: [\"*\"]\n  workloadSelector:\n    labels:\n      app: \"*\"\n");
  INFO(describe(d));
  CHECK(hasId(d, "se-workload-selector"));
  CHECK_FALSE(hasId(d, "se-host-invalid"));
  auto ok = httpSe(
      "  resolution: STATIC\n  location: MESH_INTERNAL\n  workloadSelector:\n    labels:\n"
      "      app: db\n");
  INFO(describe(ok));
  CHECK(ok.empty());
}

TEST_CASE("empty selector labels warn that the entry applies namespace-wide", "[validate-se]") {
  auto d = httpSe("  resolution: STATIC\n  workloadSelector: {}\n");
  const Diagnostic* diag = findId(d, "se-workload-selector");
  REQUIRE(diag != nullptr);
  CHECK(diag->severity == Severity::kWarning);
  CHECK(diag->message.find("namespace") != std::string::npos);
}

TEST_CASE("workloadSelector and endpoints are exclusive", "[validate-se]") {
  auto d = httpSe(
      "  resolution: STATIC\n  workloadSelector:\n    labels:\n      app: db\n"
      "  endpoints:\n  - address: 10.0.0.1\n");
  CHECK(hasId(d, "se-selector-with-endpoints"));
  CHECK(httpSe("  resolution: STATIC\n  endpoints:\n  - address: 10.0.0.1\n").empty());
}

// --- SE3-SE7 hosts and addresses ----------------------------------------------------------------

TEST_CASE("service entry needs hosts", "[validate-se]") {
  auto d = se("  hosts: []\n  resolution: DNS\n");
  CHECK(hasId(d, "se-hosts-empty"));
}

TEST_CASE("host '*' and malformed hosts are rejected", "[validate-se]") {
  auto d =
      se("  hosts: [\"*\", \"bad_host.com\"]\n  ports:\n  - number: 80\n    name: http\n"
         "    protocol: HTTP\n  resolution: DNS\n");
  INFO(describe(d));
  const Diagnostic* star = findId(d, "se-host-invalid");
  REQUIRE(star != nullptr);
  CHECK(star->loc.line == 7);
  CHECK(star->loc.column == 11);
  CHECK(countId(d, "se-host-invalid") == 2);
  // The CRD's CEL copy of the "*" rule is not reported a second time.
  CHECK_FALSE(hasId(d, "cel-se-host-wildcard"));
}

TEST_CASE("partial wildcard host is only a warning, and none for DYNAMIC_DNS", "[validate-se]") {
  auto d =
      se("  hosts: [\"*foo.com\"]\n  ports:\n  - number: 80\n    name: http\n    protocol: HTTP\n"
         "  resolution: STATIC\n");
  const Diagnostic* diag = findId(d, "se-host-partial-wildcard");
  REQUIRE(diag != nullptr);
  CHECK(diag->severity == Severity::kWarning);
  CHECK(diag->istio_code == "IST0133");
  auto dyn =
      se("  hosts: [\"*foo.com\"]\n  ports:\n  - number: 80\n    name: http\n    protocol: HTTP\n"
         "  resolution: DYNAMIC_DNS\n");
  INFO(describe(dyn));
  CHECK(dyn.empty());
}

TEST_CASE("addresses must be IPs or CIDRs, and CIDRs need NONE or STATIC", "[validate-se]") {
  auto bad = httpSe("  addresses: [10.0.0.300]\n  resolution: STATIC\n");
  CHECK(hasId(bad, "se-address-invalid"));
  auto cidr = httpSe("  addresses: [10.0.0.0/24]\n  resolution: DNS\n");
  CHECK(hasId(cidr, "se-cidr-resolution"));
  auto ok = httpSe("  addresses: [10.0.0.0/24, \"2001:db8::1\"]\n  resolution: STATIC\n");
  INFO(describe(ok));
  CHECK(ok.empty());
}

// --- SE8 / SE9 ports
// ---------------------------------------------------------------------------------

TEST_CASE("ports must have unique names and numbers and valid fields", "[validate-se]") {
  auto d = se(R"(  hosts: [api.example.com]
  resolution: DNS
  ports:
  - null
  - number: 80
    name: web
    protocol: HTTP
  - number: 80
    name: web
    protocol: FTP
    targetPort: 70000
  - number: 0
    name: Bad_Name
    protocol: HTTP
)");
  INFO(describe(d));
  CHECK(hasId(d, "se-port-null"));
  CHECK(hasId(d, "se-port-duplicate-name"));
  CHECK(hasId(d, "se-port-duplicate-number"));
  CHECK(hasId(d, "se-port-protocol"));
  CHECK(hasId(d, "se-target-port"));
  CHECK(hasId(d, "se-port-name"));
  CHECK(hasId(d, "se-port-number"));
}

TEST_CASE("TCP ports without addresses warn only when no IP is auto-allocated", "[validate-se]") {
  const std::string tcp =
      "  hosts: [db.example.com]\n  ports:\n  - number: 5432\n    name: pg\n    protocol: TCP\n";
  auto none = se(tcp + "  resolution: NONE\n");
  const Diagnostic* diag = findId(none, "se-addresses-required");
  REQUIRE(diag != nullptr);
  CHECK(diag->severity == Severity::kWarning);
  // DNS resolution gets an auto-allocated address...
  CHECK_FALSE(hasId(se(tcp + "  resolution: DNS\n"), "se-addresses-required"));
  // ...unless the entry opts out with the label.
  CHECK(hasId(se(tcp + "  resolution: DNS\n",
                 "    networking.istio.io/enable-autoallocate-ip: \"False\"\n"),
              "se-addresses-required"));
  CHECK_FALSE(
      hasId(se(tcp + "  resolution: NONE\n  addresses: [10.1.2.3]\n"), "se-addresses-required"));
}

// --- SE10-SE17 resolution ----------------------------------------------------------------------

TEST_CASE("resolution NONE rejects endpoints and warns about a selector", "[validate-se]") {
  auto eps = httpSe("  endpoints:\n  - address: 10.0.0.1\n");
  CHECK(hasId(eps, "se-none-endpoints"));
  auto sel = httpSe("  workloadSelector:\n    labels:\n      app: db\n");
  const Diagnostic* diag = findId(sel, "se-none-workload-selector");
  REQUIRE(diag != nullptr);
  CHECK(diag->severity == Severity::kWarning);
  CHECK(httpSe("  resolution: NONE\n").empty());
}

TEST_CASE("STATIC endpoints need IP addresses", "[validate-se]") {
  auto d = httpSe(R"(  resolution: STATIC
  endpoints:
  - null
  - labels:
      app: x
  - address: db.example.com
  - network: remote
  - address: 10.0.0.2
    labels:
      "bad key!": x
)");
  INFO(describe(d));
  CHECK(hasId(d, "se-endpoint-null"));
  CHECK(hasId(d, "se-endpoint-address-missing"));
  CHECK(hasId(d, "se-endpoint-address-invalid"));
  const Diagnostic* warn = findId(d, "se-endpoint-address-unset-network");
  REQUIRE(warn != nullptr);
  CHECK(warn->severity == Severity::kWarning);
  CHECK(hasId(d, "se-endpoint-labels"));
  auto ok = httpSe(
      "  resolution: STATIC\n  endpoints:\n  - address: 10.0.0.1\n"
      "    ports:\n      https: 8443\n");
  INFO(describe(ok));
  CHECK(ok.empty());
}

TEST_CASE("endpoint ports must be declared, well named and in range", "[validate-se]") {
  auto d = httpSe(R"(  resolution: STATIC
  endpoints:
  - address: 10.0.0.1
    ports:
      grpc: 9000
      https: 70000
)");
  INFO(describe(d));
  CHECK(hasId(d, "se-endpoint-port-undeclared"));
  CHECK(hasId(d, "se-endpoint-port-number"));
  auto name = httpSe(
      "  resolution: DNS\n  endpoints:\n  - address: db.example.com\n    ports:\n"
      "      \"Bad_Port\": 80\n");
  CHECK(hasId(name, "se-endpoint-port-name"));
}

TEST_CASE("unix endpoints need a valid path, no ports and one service port", "[validate-se]") {
  auto d = se(R"(  hosts: [uds.local]
  resolution: STATIC
  ports:
  - number: 80
    name: http
    protocol: HTTP
  - number: 81
    name: http2
    protocol: HTTP
  endpoints:
  - address: unix://relative/sock
    ports:
      http: 80
)");
  INFO(describe(d));
  CHECK(hasId(d, "se-endpoint-unix-address"));
  CHECK(hasId(d, "se-endpoint-unix-ports"));
  CHECK(hasId(d, "se-endpoint-unix-service-ports"));
  auto ok =
      se("  hosts: [uds.local]\n  resolution: STATIC\n  ports:\n  - number: 80\n    name: http\n"
         "    protocol: HTTP\n  endpoints:\n  - address: unix:///var/run/app.sock\n");
  INFO(describe(ok));
  CHECK(ok.empty());
}

TEST_CASE("DNS without endpoints needs FQDN hosts, reporting only the first", "[validate-se]") {
  auto d =
      se("  hosts: [\"*.a.com\", \"*.b.com\"]\n  ports:\n  - number: 443\n    name: tls\n"
         "    protocol: TLS\n  resolution: DNS\n");
  INFO(describe(d));
  CHECK(countId(d, "se-dns-host-not-fqdn") == 1);
  auto with_endpoint =
      se("  hosts: [\"*.a.com\"]\n  ports:\n  - number: 443\n    name: tls\n"
         "    protocol: TLS\n  resolution: DNS\n  endpoints:\n  - address: lb.example.com\n");
  INFO(describe(with_endpoint));
  CHECK(with_endpoint.empty());
}

TEST_CASE("DNS_ROUND_ROBIN allows at most one endpoint", "[validate-se]") {
  auto d = httpSe(
      "  resolution: DNS_ROUND_ROBIN\n  endpoints:\n  - address: a.example.com\n"
      "  - address: b.example.com\n");
  INFO(describe(d));
  CHECK(hasId(d, "se-dns-round-robin-endpoints"));
  CHECK_FALSE(hasId(d, "cel-se-dns-round-robin-endpoints"));
  CHECK(
      httpSe("  resolution: DNS_ROUND_ROBIN\n  endpoints:\n  - address: a.example.com\n").empty());
}

TEST_CASE("DNS endpoints must be IPs or FQDNs", "[validate-se]") {
  auto d = httpSe("  resolution: DNS\n  endpoints:\n  - address: \"*.wild.com\"\n");
  CHECK(hasId(d, "se-endpoint-address-invalid"));
  CHECK(httpSe("  resolution: DNS\n  endpoints:\n  - address: 10.0.0.9\n").empty());
}

TEST_CASE("DNS entry with addresses, several hosts and a TCP port warns", "[validate-se]") {
  auto make = [](const std::string& protocol) {
    return se(
        "  hosts: [a.example.com, b.example.com]\n  addresses: [10.0.0.1]\n"
        "  ports:\n  - number: 443\n    name: p\n    protocol: " +
        protocol + "\n  resolution: DNS\n");
  };
  auto d = make("TLS");  // TLS is "TCP-ish" for this rule
  const Diagnostic* diag = findId(d, "se-dns-multiple-hosts-tcp");
  REQUIRE(diag != nullptr);
  CHECK(diag->severity == Severity::kWarning);
  CHECK_FALSE(hasId(make("HTTP"), "se-dns-multiple-hosts-tcp"));
}

TEST_CASE("DYNAMIC_DNS needs wildcard hosts and HTTP/TLS ports only", "[validate-se]") {
  auto d = se(R"(  hosts: [plain.example.com]
  addresses: [10.0.0.1]
  ports:
  - number: 5432
    name: pg
    protocol: TCP
  resolution: DYNAMIC_DNS
  endpoints:
  - address: 10.0.0.2
)");
  INFO(describe(d));
  CHECK(hasId(d, "se-dynamic-dns-host"));
  CHECK(hasId(d, "se-dynamic-dns-addresses"));
  CHECK(hasId(d, "se-dynamic-dns-endpoints"));
  CHECK(hasId(d, "se-dynamic-dns-protocol"));
  auto ok =
      se("  hosts: [\"*.example.com\"]\n  ports:\n  - number: 443\n    name: tls\n"
         "    protocol: TLS\n  resolution: DYNAMIC_DNS\n  location: MESH_INTERNAL\n");
  INFO(describe(ok));
  CHECK(ok.empty());
}

TEST_CASE("DYNAMIC_DNS with MESH_INTERNAL is rejected behind a waypoint", "[validate-se]") {
  const std::string spec =
      "  hosts: [\"*.example.com\"]\n  ports:\n  - number: 443\n    name: tls\n"
      "    protocol: TLS\n  resolution: DYNAMIC_DNS\n  location: MESH_INTERNAL\n";
  CHECK(hasId(se(spec, "    istio.io/use-waypoint: wp\n"), "se-dynamic-dns-location"));
  CHECK_FALSE(hasId(se(spec, "    istio.io/use-waypoint: None\n"), "se-dynamic-dns-location"));
  CHECK(hasId(se("  hosts: [\"*.example.com\"]\n  resolution: DYNAMIC_DNS\n  location: 7\n"),
              "se-dynamic-dns-location"));
}

TEST_CASE("an unknown resolution number is rejected", "[validate-se]") {
  CHECK(hasId(httpSe("  resolution: 9\n"), "se-resolution-unknown"));
  CHECK_FALSE(hasId(httpSe("  resolution: 1\n"), "se-resolution-unknown"));
}

// --- SE18 / SE19 ---------------------------------------------------------------------------------

TEST_CASE("several hosts need HTTP or TLS ports unless resolution is NONE", "[validate-se]") {
  auto make = [](const std::string& resolution, const std::string& protocol) {
    return se(
        "  hosts: [a.example.com, b.example.com]\n  ports:\n  - number: 80\n"
        "    name: p\n    protocol: " +
        protocol + "\n  resolution: " + resolution + "\n");
  };
  CHECK(hasId(make("DNS", "TCP"), "se-multiple-hosts-non-http"));
  CHECK(hasId(make("STATIC", "MONGO"), "se-multiple-hosts-non-http"));
  CHECK_FALSE(hasId(make("DNS", "HTTP"), "se-multiple-hosts-non-http"));
  CHECK_FALSE(hasId(make("NONE", "TCP"), "se-multiple-hosts-non-http"));
}

TEST_CASE("exportTo allows '~' alone on a service entry", "[validate-se]") {
  CHECK(httpSe("  resolution: DNS\n  exportTo: [\"~\"]\n").empty());
  CHECK(hasId(httpSe("  resolution: DNS\n  exportTo: [\"~\", \"*\"]\n"), "se-export-to"));
}

TEST_CASE("service entry validation survives wrongly typed fields", "[validate-se]") {
  // Lines 7-14. The webhook validators must not crash; lint reports exactly the type errors
  // of the ServiceEntry CRD (ports[] also require name and number) and no webhook finding.
  const std::string spec = R"(  hosts: {a: 1}
  addresses: 5
  ports: [1, [2], {number: x, name: [a]}]
  resolution: [DNS]
  location: {}
  endpoints: [3, {address: [x], ports: [1]}]
  workloadSelector: []
  exportTo: 7
)";
  auto d = se(spec);
  INFO(describe(d));
  auto r = meshc::testing::lintYaml(
      "apiVersion: networking.istio.io/v1\nkind: ServiceEntry\nmetadata:\n  name: ext\n"
      "  namespace: ns1\nspec:\n" +
      spec);
  // meshc's analyzers still see the object (istioctl could not decode it and would not):
  // IST0134 is reported once per entry of ports. Only the schema findings are Istio's here.
  std::vector<Diagnostic> schema;
  for (const Diagnostic& f : r.diagnostics) {
    if (f.id.rfind("schema-", 0) == 0) {
      schema.push_back(f);
    } else {
      CHECK(f.id == "IST0134");
    }
  }
  meshc::testing::checkFindings(
      schema,
      {
          {"schema-type", 7, 3, "expected array, found object at spec.hosts"},
          {"schema-type", 8, 14, "expected array, found integer 5 at spec.addresses"},
          {"schema-type", 9, 11, "expected object, found integer 1 at spec.ports[0]"},
          {"schema-type", 9, 14, "expected object, found array at spec.ports[1]"},
          {"schema-type", 9, 28, "expected integer, found string \"x\" at spec.ports[2].number"},
          {"schema-type", 9, 31, "expected string, found array at spec.ports[2].name"},
          {"schema-type", 10, 3, "expected string, found array at spec.resolution"},
          {"schema-type", 11, 3, "expected string, found object at spec.location"},
          {"schema-type", 12, 15, "expected object, found integer 3 at spec.endpoints[0]"},
          {"schema-type", 12, 19, "expected string, found array at spec.endpoints[1].address"},
          {"schema-type", 12, 33, "expected object, found array at spec.endpoints[1].ports"},
          {"schema-type", 13, 3, "expected object, found array at spec.workloadSelector"},
          {"schema-type", 14, 13, "expected array, found integer 7 at spec.exportTo"},
      });
  auto empty = validateYaml(
      "apiVersion: networking.istio.io/v1\nkind: ServiceEntry\nmetadata:\n  name: e\nspec:\n");
  CHECK(hasId(empty, "se-hosts-empty"));
}
