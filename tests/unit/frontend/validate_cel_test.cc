// Tests for the CRD CEL rules (ISTIO-VALIDATION.md section D) and for not reporting a CEL rule
// where the webhook rules already report the same problem.
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

// An object of `kind` in namespace ns1 with the given spec (fields indented by two spaces);
// the spec's first line is line 7.
std::vector<Diagnostic> object(const std::string& kind, const std::string& spec) {
  return validateYaml(
      "apiVersion: networking.istio.io/v1\n"
      "kind: " +
      kind +
      "\n"
      "metadata:\n"
      "  name: obj\n"
      "  namespace: ns1\n"
      "spec:\n" +
      spec);
}

int celCount(const std::vector<Diagnostic>& diags) {
  int n = 0;
  for (const Diagnostic& d : diags) {
    n += d.id.rfind("cel-", 0) == 0 ? 1 : 0;
  }
  return n;
}

// A Gateway with one HTTPS server whose tls block is the given fields (indented six spaces).
std::vector<Diagnostic> gatewayTls(const std::string& tls) {
  return object("Gateway",
                "  selector:\n    istio: ingressgateway\n  servers:\n  - port:\n"
                "      number: 443\n      name: https\n      protocol: HTTPS\n"
                "    hosts: [\"*.example.com\"]\n    tls:\n" +
                    tls);
}

// A ServiceEntry with a selector whose label value has a '*' (the webhook stops at it), hosts
// and the given extra fields.
std::vector<Diagnostic> shortCircuitedSe(const std::string& fields) {
  return object("ServiceEntry", "  workloadSelector:\n    labels:\n      app: \"web*\"\n" + fields);
}

}  // namespace

// --- Durations ---------------------------------------------------------------------------------

TEST_CASE("warmupDurationSecs below 1ms is a CEL error at every policy level", "[validate-cel]") {
  auto d = object("DestinationRule", R"(  host: reviews
  trafficPolicy:
    loadBalancer:
      warmupDurationSecs: 0s
    portLevelSettings:
    - port:
        number: 80
      loadBalancer:
        warmupDurationSecs: 500us
  subsets:
  - name: v1
    trafficPolicy:
      loadBalancer:
        warmupDurationSecs: nonsense
)");
  INFO(describe(d));
  CHECK(countId(d, "cel-duration-min") == 3);
  const Diagnostic* first = findId(d, "cel-duration-min");
  REQUIRE(first != nullptr);
  CHECK(first->istio_code == "IST0106");
  CHECK(first->loc.line == 10);
  CHECK(first->loc.column == 27);
  auto ok = object("DestinationRule",
                   "  host: reviews\n  trafficPolicy:\n    loadBalancer:\n"
                   "      warmupDurationSecs: 100s\n");
  INFO(describe(ok));
  CHECK(ok.empty());
}

TEST_CASE("durations the webhook checks are not reported again by CEL", "[validate-cel]") {
  auto d = object("DestinationRule", R"(  host: reviews
  trafficPolicy:
    outlierDetection:
      interval: 500us
    connectionPool:
      tcp:
        connectTimeout: 0s
)");
  INFO(describe(d));
  CHECK(hasId(d, "dr-outlier-duration"));
  CHECK(hasId(d, "conn-pool-duration"));
  CHECK(celCount(d) == 0);
  auto vs = object("VirtualService",
                   "  hosts: [reviews]\n  http:\n  - route:\n    - destination:\n"
                   "        host: reviews\n    timeout: 0.5ms\n");
  INFO(describe(vs));
  CHECK(celCount(vs) == 0);
}

TEST_CASE("durations in a policy the webhook skips (tunnel + proxyProtocol) come from CEL",
          "[validate-cel]") {
  auto d = object("DestinationRule", R"(  host: reviews
  trafficPolicy:
    tunnel:
      targetHost: egress.example.com
      targetPort: 8443
    proxyProtocol:
      version: V1
    outlierDetection:
      interval: 500us
    portLevelSettings:
    - port:
        number: 80
      connectionPool:
        http:
          http2KeepAlive:
            interval: 0s
            timeout: 10s
)");
  INFO(describe(d));
  CHECK(hasId(d, "dr-tunnel-with-proxy-protocol"));
  CHECK(countId(d, "cel-duration-min") == 2);
  CHECK_FALSE(hasId(d, "dr-outlier-duration"));
}

TEST_CASE("sidecar pool durations come from CEL only where the webhook stops", "[validate-cel]") {
  auto sc = object("Sidecar", R"(  workloadSelector:
    labels:
      app: "*"
  inboundConnectionPool:
    tcp:
      connectTimeout: 100us
)");
  INFO(describe(sc));
  CHECK(countId(sc, "cel-duration-min") == 1);
  auto no_port = object("Sidecar", R"(  ingress:
  - defaultEndpoint: 127.0.0.1:8080
    connectionPool:
      http:
        idleTimeout: 0s
)");
  INFO(describe(no_port));
  CHECK(countId(no_port, "cel-duration-min") == 1);
  auto webhook = object("Sidecar", R"(  inboundConnectionPool:
    tcp:
      connectTimeout: 100us
)");
  INFO(describe(webhook));
  CHECK(hasId(webhook, "conn-pool-duration"));
  CHECK(celCount(webhook) == 0);
}

// --- Selectors ---------------------------------------------------------------------------------

TEST_CASE("selector wildcard CEL rules are left to the webhook", "[validate-cel]") {
  auto dr = object("DestinationRule",
                   "  host: reviews\n  workloadSelector:\n    matchLabels:\n      \"*\": \"*\"\n");
  INFO(describe(dr));
  CHECK(hasId(dr, "dr-workload-selector"));
  CHECK(celCount(dr) == 0);
  auto sc = object("Sidecar",
                   "  workloadSelector:\n    labels:\n      app: \"*\"\n  egress:\n"
                   "  - hosts: [\"./*\"]\n");
  CHECK(celCount(sc) == 0);
  auto se = shortCircuitedSe("  hosts: [a.example.com]\n");
  INFO(describe(se));
  CHECK(hasId(se, "se-workload-selector"));
  CHECK(celCount(se) == 0);
}

// --- Server TLS exclusivity
// -----------------------------------------------------------------------

TEST_CASE("credentialNames with tlsCertificates is left to the webhook when both are set",
          "[validate-cel]") {
  auto d = gatewayTls(R"(      mode: SIMPLE
      credentialNames: [a]
      tlsCertificates:
      - serverCertificate: /c.pem
        privateKey: /k.pem
)");
  INFO(describe(d));
  CHECK(hasId(d, "gw-tls-multiple-cert-sources"));
  CHECK(celCount(d) == 0);
}

TEST_CASE("an empty credentialNames still conflicts with tlsCertificates in CEL",
          "[validate-cel]") {
  auto d = gatewayTls(R"(      mode: SIMPLE
      credentialNames: []
      tlsCertificates:
      - serverCertificate: /c.pem
        privateKey: /k.pem
)");
  INFO(describe(d));
  const Diagnostic* diag = findId(d, "cel-tls-credential-names-and-certificates");
  REQUIRE(diag != nullptr);
  CHECK(diag->loc.line == 18);  // the tlsCertificates key
  CHECK(diag->loc.column == 7);
  CHECK(countId(d, "cel-tls-credential-names-and-certificates") == 1);
  auto ok = gatewayTls(
      "      mode: SIMPLE\n      tlsCertificates:\n      - serverCertificate: /c.pem\n"
      "        privateKey: /k.pem\n");
  INFO(describe(ok));
  CHECK(ok.empty());
}

TEST_CASE("an empty credentialName still conflicts with credentialNames in CEL", "[validate-cel]") {
  auto d =
      gatewayTls("      mode: SIMPLE\n      credentialName: \"\"\n      credentialNames: [a]\n");
  INFO(describe(d));
  CHECK(hasId(d, "cel-tls-credential-name-and-names"));
  auto ok = gatewayTls("      mode: SIMPLE\n      credentialNames: [a, b]\n");
  INFO(describe(ok));
  CHECK(ok.empty());
}

TEST_CASE("credentialName with tlsCertificates is not a CEL error (CRD generator bug)",
          "[validate-cel]") {
  auto d = gatewayTls(R"(      mode: SIMPLE
      credentialName: cred
      tlsCertificates:
      - serverCertificate: /c.pem
        privateKey: /k.pem
)");
  INFO(describe(d));
  CHECK(celCount(d) == 0);
  CHECK(hasId(d, "gw-tls-multiple-cert-sources"));
}

TEST_CASE("sidecar ingress tls exclusivity is reported once", "[validate-cel]") {
  auto make = [](const std::string& tls) {
    return object("Sidecar",
                  "  ingress:\n  - port:\n      number: 8443\n      name: https\n"
                  "      protocol: HTTPS\n    defaultEndpoint: 127.0.0.1:8080\n    tls:\n" +
                      tls);
  };
  auto both_empty = make(
      "      mode: SIMPLE\n      credentialName: \"\"\n      credentialNames: []\n"
      "      serverCertificate: /c.pem\n      privateKey: /k.pem\n");
  INFO(describe(both_empty));
  CHECK(hasId(both_empty, "cel-tls-credential-name-and-names"));
  auto rejected =
      make("      mode: SIMPLE\n      credentialName: cred\n      credentialNames: []\n");
  INFO(describe(rejected));
  CHECK(hasId(rejected, "sidecar-ingress-tls-unsupported"));
  CHECK(celCount(rejected) == 0);
}

// --- ServiceEntry ------------------------------------------------------------------------------

TEST_CASE("targetPort 0 is a CEL error the webhook ignores", "[validate-cel]") {
  auto d = object("ServiceEntry",
                  "  hosts: [a.example.com]\n  resolution: DNS\n  ports:\n  - number: 80\n"
                  "    name: http\n    protocol: HTTP\n    targetPort: 0\n");
  INFO(describe(d));
  const Diagnostic* diag = findId(d, "cel-se-port-range");
  REQUIRE(diag != nullptr);
  CHECK(diag->loc.line == 13);
  CHECK(diag->loc.column == 17);
  CHECK(celCount(object("ServiceEntry",
                        "  hosts: [a.example.com]\n  resolution: DNS\n  ports:\n  - number: 80\n"
                        "    name: http\n    protocol: HTTP\n    targetPort: 8080\n")) == 0);
}

TEST_CASE("an empty endpoints list is rejected by CEL with NONE or a selector", "[validate-cel]") {
  auto none = object("ServiceEntry",
                     "  hosts: [a.example.com]\n  ports:\n  - number: 80\n    name: http\n"
                     "    protocol: HTTP\n  endpoints: []\n");
  INFO(describe(none));
  CHECK(hasId(none, "cel-se-none-endpoints"));
  CHECK_FALSE(hasId(none, "se-none-endpoints"));
  auto selector = object("ServiceEntry",
                         "  hosts: [a.example.com]\n  resolution: STATIC\n  ports:\n"
                         "  - number: 80\n    name: http\n    protocol: HTTP\n"
                         "  workloadSelector:\n    labels:\n      app: a\n  endpoints: []\n");
  INFO(describe(selector));
  CHECK(hasId(selector, "cel-se-selector-and-endpoints"));
  // With real endpoints the webhook reports both problems, so CEL stays quiet.
  auto webhook = object("ServiceEntry",
                        "  hosts: [a.example.com]\n  ports:\n  - number: 80\n    name: http\n"
                        "    protocol: HTTP\n  endpoints:\n  - address: 10.0.0.1\n");
  INFO(describe(webhook));
  CHECK(hasId(webhook, "se-none-endpoints"));
  CHECK(celCount(webhook) == 0);
}

TEST_CASE("spec-level ServiceEntry CEL rules fire when the selector stops the webhook",
          "[validate-cel]") {
  auto d = shortCircuitedSe(R"(  hosts: ["*"]
  addresses: [10.0.0.0/8]
  resolution: DNS_ROUND_ROBIN
  ports:
  - number: 80
    name: a
  - number: 80
    name: b
  - number: 0
    name: c
  endpoints:
  - address: a.example.com
  - address: b.example.com
)");
  INFO(describe(d));
  CHECK(hasId(d, "cel-se-host-wildcard"));
  CHECK(hasId(d, "cel-se-cidr-resolution"));
  CHECK(hasId(d, "cel-se-dns-round-robin-endpoints"));
  CHECK(countId(d, "cel-se-port-number-duplicate") == 1);
  CHECK(hasId(d, "cel-se-port-range"));
  CHECK(hasId(d, "cel-se-selector-and-endpoints"));
  auto ok = shortCircuitedSe(
      "  hosts: [a.example.com]\n  resolution: STATIC\n  ports:\n  - number: 80\n    name: a\n");
  INFO(describe(ok));
  CHECK(celCount(ok) == 0);
}

TEST_CASE("endpoint CEL rules fire where the resolution hides them from the webhook",
          "[validate-cel]") {
  auto d = object("ServiceEntry", R"(  hosts: [a.example.com]
  ports:
  - number: 80
    name: http
    protocol: HTTP
  endpoints:
  - labels:
      app: x
  - address: unix://relative
  - address: unix://@abstract/
  - address: 10.0.0.1
    ports:
      http: 0
)");
  INFO(describe(d));
  CHECK(hasId(d, "se-none-endpoints"));
  CHECK(hasId(d, "cel-se-endpoint-address-required"));
  CHECK(hasId(d, "cel-se-endpoint-unix-path"));
  CHECK(hasId(d, "cel-se-endpoint-unix-dir"));
  CHECK(hasId(d, "cel-se-endpoint-port-range"));
  auto ok = object("ServiceEntry",
                   "  hosts: [a.example.com]\n  resolution: STATIC\n  ports:\n  - number: 80\n"
                   "    name: http\n    protocol: HTTP\n  endpoints:\n"
                   "  - address: 10.0.0.1\n    ports:\n      http: 8080\n");
  INFO(describe(ok));
  CHECK(ok.empty());
}

TEST_CASE("unix endpoint ports in DNS mode are only a CEL error", "[validate-cel]") {
  auto d = object("ServiceEntry", R"(  hosts: [a.example.com]
  resolution: DNS
  ports:
  - number: 80
    name: http
    protocol: HTTP
  endpoints:
  - address: unix:///var/run/sock
    ports:
      http: 80
)");
  INFO(describe(d));
  CHECK(hasId(d, "se-endpoint-address-invalid"));
  CHECK(hasId(d, "cel-se-endpoint-unix-ports"));
  CHECK_FALSE(hasId(d, "cel-se-endpoint-unix-path"));
}

TEST_CASE("endpoint port names of 63 characters are only a CEL error", "[validate-cel]") {
  const std::string name63(63, 'p');
  auto d = object("ServiceEntry",
                  "  hosts: [a.example.com]\n  resolution: STATIC\n  ports:\n  - number: 80\n"
                  "    name: " +
                      name63 +
                      "\n    protocol: HTTP\n  endpoints:\n"
                      "  - address: 10.0.0.1\n    ports:\n      " +
                      name63 + ": 8080\n");
  INFO(describe(d));
  CHECK(hasId(d, "cel-se-endpoint-port-name"));
  CHECK_FALSE(hasId(d, "se-endpoint-port-name"));
  auto webhook = object("ServiceEntry",
                        "  hosts: [a.example.com]\n  resolution: STATIC\n  ports:\n"
                        "  - number: 80\n    name: http\n    protocol: HTTP\n  endpoints:\n"
                        "  - address: 10.0.0.1\n    ports:\n      Bad_Name: 8080\n");
  INFO(describe(webhook));
  CHECK(hasId(webhook, "se-endpoint-port-name"));
  CHECK_FALSE(hasId(webhook, "cel-se-endpoint-port-name"));
}

TEST_CASE("CEL checks survive wrongly typed fields", "[validate-cel]") {
  // One spec (lines 7-17) with the fields of all four kinds, each of a wrong type somewhere. The
  // validators must not crash on it. The API server rejects it on the structural schema first:
  // fields of another kind are unknown, the rest wrongly typed or missing a required field, and
  // a type error stops every CEL rule (Kubernetes skips CEL when a value has the wrong type), so
  // lint reports exactly these schema findings and no cel-* or webhook finding.
  const std::string spec = R"(  trafficPolicy: [1]
  subsets: {a: 1}
  servers: [null, 1, {tls: [1]}, {tls: {credentialNames: 1, tlsCertificates: null}}]
  ingress: [null, {port: 1, tls: 3, connectionPool: {http: 5}}]
  inboundConnectionPool: [x]
  workloadSelector: {labels: [1]}
  endpoints: [null, {address: 5, ports: {"": x}}, {address: "unix://", ports: 4}]
  ports: [null, {number: "80"}, {targetPort: [1]}]
  hosts: {a: 1}
  addresses: [[1], "a/b"]
  resolution: {x: 1}
)";
  const std::vector<std::pair<std::string, std::vector<meshc::testing::ExpectedFinding>>> cases = {
      {"DestinationRule",
       {
           {"schema-type", 7, 3, "expected object, found array at spec.trafficPolicy"},
           {"schema-type", 8, 3, "expected array, found object at spec.subsets"},
           {"schema-unknown-field", 9, 3, "unknown field \"servers\" in DestinationRule spec"},
           {"schema-unknown-field", 10, 3, "unknown field \"ingress\" in DestinationRule spec"},
           {"schema-unknown-field", 11, 3,
            "unknown field \"inboundConnectionPool\" in DestinationRule spec"},
           {"schema-unknown-field", 12, 22,
            "unknown field \"labels\" in DestinationRule spec.workloadSelector"},
           {"schema-unknown-field", 13, 3, "unknown field \"endpoints\" in DestinationRule spec"},
           {"schema-unknown-field", 14, 3, "unknown field \"ports\" in DestinationRule spec"},
           {"schema-unknown-field", 15, 3, "unknown field \"hosts\" in DestinationRule spec"},
           {"schema-unknown-field", 16, 3, "unknown field \"addresses\" in DestinationRule spec"},
           {"schema-unknown-field", 17, 3, "unknown field \"resolution\" in DestinationRule spec"},
       }},
      {"Gateway",
       {
           {"schema-unknown-field", 7, 3, "unknown field \"trafficPolicy\" in Gateway spec"},
           {"schema-unknown-field", 8, 3, "unknown field \"subsets\" in Gateway spec"},
           {"schema-type", 9, 13, "expected object, found null at spec.servers[0]"},
           {"schema-type", 9, 19, "expected object, found integer 1 at spec.servers[1]"},
           {"schema-required", 9, 22, "missing required field \"hosts\" in spec.servers[2]"},
           {"schema-required", 9, 22, "missing required field \"port\" in spec.servers[2]"},
           {"schema-type", 9, 23, "expected object, found array at spec.servers[2].tls"},
           {"schema-required", 9, 34, "missing required field \"hosts\" in spec.servers[3]"},
           {"schema-required", 9, 34, "missing required field \"port\" in spec.servers[3]"},
           {"schema-type", 9, 58,
            "expected array, found integer 1 at spec.servers[3].tls.credentialNames"},
           {"schema-unknown-field", 10, 3, "unknown field \"ingress\" in Gateway spec"},
           {"schema-unknown-field", 11, 3,
            "unknown field \"inboundConnectionPool\" in Gateway spec"},
           {"schema-unknown-field", 12, 3, "unknown field \"workloadSelector\" in Gateway spec"},
           {"schema-unknown-field", 13, 3, "unknown field \"endpoints\" in Gateway spec"},
           {"schema-unknown-field", 14, 3, "unknown field \"ports\" in Gateway spec"},
           {"schema-unknown-field", 15, 3, "unknown field \"hosts\" in Gateway spec"},
           {"schema-unknown-field", 16, 3, "unknown field \"addresses\" in Gateway spec"},
           {"schema-unknown-field", 17, 3, "unknown field \"resolution\" in Gateway spec"},
       }},
      {"Sidecar",
       {
           {"schema-unknown-field", 7, 3, "unknown field \"trafficPolicy\" in Sidecar spec"},
           {"schema-unknown-field", 8, 3, "unknown field \"subsets\" in Sidecar spec"},
           {"schema-unknown-field", 9, 3, "unknown field \"servers\" in Sidecar spec"},
           {"schema-type", 10, 13, "expected object, found null at spec.ingress[0]"},
           {"schema-type", 10, 26, "expected object, found integer 1 at spec.ingress[1].port"},
           {"schema-type", 10, 34, "expected object, found integer 3 at spec.ingress[1].tls"},
           {"schema-type", 10, 60,
            "expected object, found integer 5 at spec.ingress[1].connectionPool.http"},
           {"schema-type", 11, 3, "expected object, found array at spec.inboundConnectionPool"},
           {"schema-type", 12, 22, "expected object, found array at spec.workloadSelector.labels"},
           {"schema-unknown-field", 13, 3, "unknown field \"endpoints\" in Sidecar spec"},
           {"schema-unknown-field", 14, 3, "unknown field \"ports\" in Sidecar spec"},
           {"schema-unknown-field", 15, 3, "unknown field \"hosts\" in Sidecar spec"},
           {"schema-unknown-field", 16, 3, "unknown field \"addresses\" in Sidecar spec"},
           {"schema-unknown-field", 17, 3, "unknown field \"resolution\" in Sidecar spec"},
       }},
      {"ServiceEntry",
       {
           {"schema-unknown-field", 7, 3, "unknown field \"trafficPolicy\" in ServiceEntry spec"},
           {"schema-unknown-field", 8, 3, "unknown field \"subsets\" in ServiceEntry spec"},
           {"schema-unknown-field", 9, 3, "unknown field \"servers\" in ServiceEntry spec"},
           {"schema-unknown-field", 10, 3, "unknown field \"ingress\" in ServiceEntry spec"},
           {"schema-unknown-field", 11, 3,
            "unknown field \"inboundConnectionPool\" in ServiceEntry spec"},
           {"schema-type", 12, 22, "expected object, found array at spec.workloadSelector.labels"},
           {"schema-type", 13, 15, "expected object, found null at spec.endpoints[0]"},
           {"schema-type", 13, 31, "expected string, found integer 5 at spec.endpoints[1].address"},
           {"schema-type", 13, 46,
            "expected integer, found string \"x\" at spec.endpoints[1].ports."},
           {"schema-type", 13, 79, "expected object, found integer 4 at spec.endpoints[2].ports"},
           {"schema-type", 14, 11, "expected object, found null at spec.ports[0]"},
           {"schema-required", 14, 17, "missing required field \"name\" in spec.ports[1]"},
           {"schema-type", 14, 26, "expected integer, found string \"80\" at spec.ports[1].number"},
           {"schema-required", 14, 33, "missing required field \"name\" in spec.ports[2]"},
           {"schema-required", 14, 33, "missing required field \"number\" in spec.ports[2]"},
           {"schema-type", 14, 34, "expected integer, found array at spec.ports[2].targetPort"},
           {"schema-type", 15, 3, "expected array, found object at spec.hosts"},
           {"schema-type", 16, 15, "expected string, found array at spec.addresses[0]"},
           {"schema-type", 17, 3, "expected string, found object at spec.resolution"},
       }},
  };
  for (const auto& [kind, want] : cases) {
    INFO(kind);
    auto d = object(kind, spec);
    INFO(describe(d));
    auto r = meshc::testing::lintYaml("apiVersion: networking.istio.io/v1\nkind: " + kind +
                                      "\nmetadata:\n  name: obj\n  namespace: ns1\nspec:\n" + spec);
    CHECK(celCount(r.diagnostics) == 0);
    meshc::testing::checkFindings(r.diagnostics, want);
  }
}
