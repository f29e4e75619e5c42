// Tests for the DestinationRule webhook rules (ISTIO-VALIDATION.md A.5, D1-D38).
#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "frontend/validation/validate_traffic_policy.h"
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

// A DestinationRule in namespace ns1 whose spec is `spec` (fields indented by two spaces).
std::vector<Diagnostic> dr(const std::string& spec) {
  return validateYaml(
      "apiVersion: networking.istio.io/v1\n"
      "kind: DestinationRule\n"
      "metadata:\n"
      "  name: rule\n"
      "  namespace: ns1\n"
      "spec:\n" +
      spec);
}

// A DestinationRule with host "reviews" and the given top-level trafficPolicy fields
// (indented by four spaces).
std::vector<Diagnostic> policy(const std::string& fields) {
  return dr("  host: reviews\n  trafficPolicy:\n" + fields);
}

// The same fields inside subsets[0].trafficPolicy (indented by eight spaces).
std::vector<Diagnostic> subsetPolicy(const std::string& fields) {
  return dr(
      "  host: reviews\n"
      "  subsets:\n"
      "  - name: v1\n"
      "    trafficPolicy:\n" +
      fields);
}

}  // namespace

TEST_CASE("destination rule with every section filled in correctly is clean", "[validate-dr]") {
  auto d = dr(R"(  host: reviews.prod.svc.cluster.local
  trafficPolicy:
    connectionPool:
      tcp:
        maxConnections: 100
        connectTimeout: 30ms
      http:
        http1MaxPendingRequests: 10
        idleTimeout: 10s
    outlierDetection:
      consecutive5xxErrors: 7
      interval: 5m
      baseEjectionTime: 15m
      maxEjectionPercent: 50
    loadBalancer:
      simple: LEAST_REQUEST
      localityLbSetting:
        enabled: true
        failover:
        - from: us-east
          to: us-west
    tls:
      mode: SIMPLE
      credentialName: client-cred
    portLevelSettings:
    - port:
        number: 80
      loadBalancer:
        simple: ROUND_ROBIN
  subsets:
  - name: v1
    labels:
      version: v1
  - name: v2
    labels:
      version: v2
    trafficPolicy:
      loadBalancer:
        consistentHash:
          maglev:
            tableSize: 65537
  exportTo:
  - "."
)");
  INFO(describe(d));
  CHECK(d.empty());
}

// --- D1 host ---------------------------------------------------------------------------------

TEST_CASE("destination rule host with an invalid label is rejected at the host", "[validate-dr]") {
  auto d = dr("  host: bad_host.example.com\n");
  INFO(describe(d));
  const Diagnostic* diag = findId(d, "dr-host-invalid");
  REQUIRE(diag != nullptr);
  CHECK(diag->severity == Severity::kError);
  CHECK(diag->istio_code == "IST0106");
  CHECK(diag->loc.line == 7);
  CHECK(diag->loc.column == 9);
}

TEST_CASE("destination rule host may be a short name, a wildcard or '*'", "[validate-dr]") {
  for (const char* host : {"reviews", "*.example.com", "\"*\""}) {
    auto d = dr(std::string("  host: ") + host + "\n");
    INFO(host << "\n" << describe(d));
    CHECK_FALSE(hasId(d, "dr-host-invalid"));
  }
}

TEST_CASE("destination rule without a host is rejected", "[validate-dr]") {
  auto d = dr("  exportTo: [\".\"]\n");
  CHECK(hasId(d, "dr-host-invalid"));
}

// --- D2 / D3 policy shape ----------------------------------------------------------------------

TEST_CASE("empty traffic policy is rejected and nothing else in it is checked", "[validate-dr]") {
  auto d = policy("      {}\n");
  INFO(describe(d));
  CHECK(countId(d, "dr-traffic-policy-empty") == 1);
  auto ok = policy("    retryBudget:\n      percent: 20\n");
  INFO(describe(ok));
  CHECK_FALSE(hasId(ok, "dr-traffic-policy-empty"));
}

TEST_CASE("tunnel together with proxyProtocol short-circuits the policy", "[validate-dr]") {
  auto d = policy(R"(    tunnel:
      targetHost: egress.example.com
      targetPort: 8443
    proxyProtocol:
      version: V2
    outlierDetection:
      maxEjectionPercent: 500
)");
  INFO(describe(d));
  const Diagnostic* diag = findId(d, "dr-tunnel-with-proxy-protocol");
  REQUIRE(diag != nullptr);
  CHECK(diag->loc.line == 12);  // the proxyProtocol key
  CHECK(diag->loc.column == 5);
  CHECK_FALSE(hasId(d, "dr-outlier-percent-range"));
  auto ok = policy("    tunnel:\n      targetHost: egress.example.com\n      targetPort: 8443\n");
  INFO(describe(ok));
  CHECK(ok.empty());
}

// --- D4-D7 outlier detection -----------------------------------------------------------------

TEST_CASE("outlier detection durations must be whole milliseconds", "[validate-dr]") {
  auto d = policy("    outlierDetection:\n      interval: 1500us\n      baseEjectionTime: 0s\n");
  INFO(describe(d));
  CHECK(countId(d, "dr-outlier-duration") == 2);
  auto ok = policy("    outlierDetection:\n      interval: 10s\n      baseEjectionTime: 1ms\n");
  CHECK_FALSE(hasId(ok, "dr-outlier-duration"));
}

TEST_CASE("deprecated consecutiveErrors warns only in the top-level policy", "[validate-dr]") {
  auto top = policy("    outlierDetection:\n      consecutiveErrors: 5\n");
  INFO(describe(top));
  const Diagnostic* diag = findId(top, "dr-outlier-consecutive-errors-deprecated");
  REQUIRE(diag != nullptr);
  CHECK(diag->severity == Severity::kWarning);
  CHECK(diag->istio_code == "IST0133");
  // Istio's appendErrors drops the warning inside subsets and port-level settings.
  auto nested = subsetPolicy("      outlierDetection:\n        consecutiveErrors: 5\n");
  CHECK_FALSE(hasId(nested, "dr-outlier-consecutive-errors-deprecated"));
  auto port = policy(R"(    portLevelSettings:
    - port:
        number: 80
      outlierDetection:
        consecutiveErrors: 5
)");
  INFO(describe(port));
  CHECK_FALSE(hasId(port, "dr-outlier-consecutive-errors-deprecated"));
  auto ok = policy("    outlierDetection:\n      consecutive5xxErrors: 5\n");
  CHECK(ok.empty());
}

TEST_CASE("local-origin failures need splitExternalLocalOriginErrors", "[validate-dr]") {
  auto d = policy("    outlierDetection:\n      consecutiveLocalOriginFailures: 3\n");
  CHECK(hasId(d, "dr-outlier-local-origin-without-split"));
  auto ok = policy(
      "    outlierDetection:\n      consecutiveLocalOriginFailures: 3\n"
      "      splitExternalLocalOriginErrors: true\n");
  CHECK_FALSE(hasId(ok, "dr-outlier-local-origin-without-split"));
}

TEST_CASE("outlier detection percentages must be 0..100", "[validate-dr]") {
  auto d =
      policy("    outlierDetection:\n      maxEjectionPercent: 101\n      minHealthPercent: -1\n");
  CHECK(countId(d, "dr-outlier-percent-range") == 2);
  auto ok =
      policy("    outlierDetection:\n      maxEjectionPercent: 100\n      minHealthPercent: 0\n");
  CHECK_FALSE(hasId(ok, "dr-outlier-percent-range"));
}

TEST_CASE("connection pool rules apply to top-level and port-level pools", "[validate-dr]") {
  auto d = policy(R"(    connectionPool: {}
    portLevelSettings:
    - port:
        number: 80
      connectionPool:
        tcp:
          maxConnections: -1
)");
  INFO(describe(d));
  CHECK(hasId(d, "conn-pool-empty"));
  CHECK(hasId(d, "conn-pool-negative"));
}

// --- D15-D18 consistent hash -----------------------------------------------------------------

TEST_CASE("httpCookie needs a name", "[validate-dr]") {
  auto d =
      policy("    loadBalancer:\n      consistentHash:\n        httpCookie:\n          ttl: 0s\n");
  CHECK(hasId(d, "dr-cookie-name-missing"));
  auto ok = policy(
      "    loadBalancer:\n      consistentHash:\n        httpCookie:\n          name: user\n");
  CHECK(ok.empty());
}

TEST_CASE("httpCookie attributes need unique non-empty names", "[validate-dr]") {
  auto d = policy(R"(    loadBalancer:
      consistentHash:
        httpCookie:
          name: user
          attributes:
          - name: SameSite
            value: Strict
          - name: SameSite
            value: Lax
          - value: x
)");
  INFO(describe(d));
  CHECK(countId(d, "dr-cookie-attribute-invalid") == 2);
  auto ok = policy(R"(    loadBalancer:
      consistentHash:
        httpCookie:
          name: user
          attributes:
          - name: SameSite
          - name: Secure
)");
  CHECK(ok.empty());
}

TEST_CASE("minimumRingSize warns, and errors together with ringHash", "[validate-dr]") {
  auto warn = policy(
      "    loadBalancer:\n      consistentHash:\n        httpHeaderName: x-user\n"
      "        minimumRingSize: 1024\n");
  INFO(describe(warn));
  CHECK(hasId(warn, "dr-minimum-ring-size-deprecated"));
  CHECK_FALSE(hasId(warn, "dr-minimum-ring-size-with-hash-algorithm"));
  auto both = policy(
      "    loadBalancer:\n      consistentHash:\n        httpHeaderName: x-user\n"
      "        minimumRingSize: 1024\n        ringHash:\n          minimumRingSize: 1024\n");
  CHECK(hasId(both, "dr-minimum-ring-size-with-hash-algorithm"));
  auto ok = policy(
      "    loadBalancer:\n      consistentHash:\n        httpHeaderName: x-user\n"
      "        ringHash:\n          minimumRingSize: 1024\n");
  CHECK(ok.empty());
}

TEST_CASE("maglev table size must be set, below 5000011 and prime", "[validate-dr]") {
  auto maglev = [](const std::string& size) {
    return policy(
        "    loadBalancer:\n      consistentHash:\n        useSourceIp: true\n"
        "        maglev:\n" +
        size);
  };
  CHECK(countId(maglev("          tableSize: 65536\n"), "dr-maglev-table-size") == 1);
  // Absent means 0: "must be set" and "not prime" (Envoy's routine says 0 is not prime).
  CHECK(countId(maglev("          {}\n"), "dr-maglev-table-size") == 2);
  CHECK(countId(maglev("          tableSize: 5000011\n"), "dr-maglev-table-size") == 1);
  // The largest prime below 2^63 must not make the check loop for minutes.
  CHECK(countId(maglev("          tableSize: 9223372036854775783\n"), "dr-maglev-table-size") == 1);
  CHECK_FALSE(hasId(maglev("          tableSize: 65537\n"), "dr-maglev-table-size"));
  CHECK_FALSE(hasId(maglev("          tableSize: 1\n"), "dr-maglev-table-size"));
}

TEST_CASE("Envoy's primality routine counts 1, 2 and 3 as prime", "[validate-dr]") {
  using meshc::frontend::validation::isEnvoyPrime;
  CHECK(isEnvoyPrime(1));
  CHECK(isEnvoyPrime(2));
  CHECK(isEnvoyPrime(3));
  CHECK_FALSE(isEnvoyPrime(0));
  CHECK_FALSE(isEnvoyPrime(9));
  CHECK(isEnvoyPrime(4294967291ull));                 // largest 32-bit prime
  CHECK(isEnvoyPrime(2305843009213693951ull));        // 2^61 - 1
  CHECK_FALSE(isEnvoyPrime(1000000016000000063ull));  // 1000000007 * 1000000009
}

// --- D19-D26 locality and zone-aware load balancing --------------------------------------------

TEST_CASE("localityLbSetting and zoneAwareLbSetting are exclusive", "[validate-dr]") {
  auto d = policy(
      "    loadBalancer:\n      localityLbSetting:\n        enabled: true\n"
      "      zoneAwareLbSetting:\n        enabled: true\n");
  CHECK(hasId(d, "dr-locality-and-zone-aware"));
  auto ok = policy("    loadBalancer:\n      zoneAwareLbSetting:\n        enabled: true\n");
  CHECK(ok.empty());
}

TEST_CASE("distribute with failover short-circuits the locality checks", "[validate-dr]") {
  auto d = policy(R"(    outlierDetection:
      interval: 1s
    loadBalancer:
      localityLbSetting:
        distribute:
        - from: us-east/*
          to:
            "us-east/*": 100
        failover:
        - from: us-east
          to: us-east
)");
  INFO(describe(d));
  CHECK(hasId(d, "dr-locality-distribute-and-failover"));
  CHECK_FALSE(hasId(d, "dr-locality-failover-invalid"));
}

TEST_CASE("failover cannot be combined with a topology failoverPriority", "[validate-dr]") {
  auto make = [](const std::string& label) {
    return policy(
        "    outlierDetection:\n      interval: 1s\n    loadBalancer:\n"
        "      localityLbSetting:\n        failover:\n        - from: us-east\n"
        "          to: us-west\n        failoverPriority:\n        - " +
        label + "\n");
  };
  CHECK(hasId(make("topology.kubernetes.io/zone"), "dr-locality-failover-topology-priority"));
  auto ok = make("example.com/rack");
  INFO(describe(ok));
  CHECK(ok.empty());
}

TEST_CASE("distribute weights must be 1..100 and sum to 100", "[validate-dr]") {
  auto make = [](const std::string& to) {
    return policy(
        "    loadBalancer:\n      localityLbSetting:\n        distribute:\n"
        "        - from: us-east/zone1/*\n          to:\n" +
        to);
  };
  CHECK(hasId(make("            us-east/zone1/*: 50\n            us-west/*: 40\n"),
              "dr-locality-weight"));
  CHECK(hasId(make("            us-east/zone1/*: 0\n            us-west/*: 100\n"),
              "dr-locality-weight"));
  CHECK(hasId(make("            us-west/*: 101\n"), "dr-locality-weight"));
  auto ok = make("            us-east/zone1/*: 80\n            us-west/*: 20\n");
  INFO(describe(ok));
  CHECK(ok.empty());
}

TEST_CASE("localities must not overlap or misuse wildcards", "[validate-dr]") {
  auto make = [](const std::string& from1, const std::string& from2) {
    return policy(
        "    loadBalancer:\n      localityLbSetting:\n        distribute:\n"
        "        - from: " +
        from1 +
        "\n          to:\n            us-west: 100\n"
        "        - from: " +
        from2 + "\n          to:\n            us-west: 100\n");
  };
  CHECK(hasId(make("us-east", "us-east/zone1"), "dr-locality-invalid"));
  CHECK(hasId(make("\"*\"", "us-west"), "dr-locality-invalid"));
  CHECK(hasId(make("us-east/*/zone", "us-west"), "dr-locality-invalid"));
  CHECK(hasId(make("us-east//sub", "us-west"), "dr-locality-invalid"));
  auto ok = make("us-east/zone1", "us-east/zone2/*");
  INFO(describe(ok));
  CHECK(ok.empty());
}

TEST_CASE("failover without outlier detection warns only at the top level", "[validate-dr]") {
  const std::string lb =
      "loadBalancer:\n      localityLbSetting:\n        failover:\n        - from: us-east\n"
      "          to: us-west\n";
  auto top = policy("    " + lb);
  const Diagnostic* diag = findId(top, "dr-failover-without-outlier");
  REQUIRE(diag != nullptr);
  CHECK(diag->severity == Severity::kWarning);
  auto with_outlier = policy("    outlierDetection:\n      interval: 1s\n    " + lb);
  CHECK(with_outlier.empty());
  auto nested = subsetPolicy(
      "      loadBalancer:\n        localityLbSetting:\n          failover:\n"
      "          - from: us-east\n            to: us-west\n");
  INFO(describe(nested));
  CHECK(nested.empty());
}

TEST_CASE("locality failover must name two different plain regions", "[validate-dr]") {
  auto make = [](const std::string& from, const std::string& to) {
    return policy(
        "    outlierDetection:\n      interval: 1s\n    loadBalancer:\n"
        "      localityLbSetting:\n        failover:\n        - from: " +
        from + "\n          to: " + to + "\n");
  };
  CHECK(countId(make("us-east", "us-east"), "dr-locality-failover-invalid") == 1);
  CHECK(countId(make("us-east/zone1", "us-west"), "dr-locality-failover-invalid") == 1);
  CHECK(countId(make("\"us-*\"", "us-west"), "dr-locality-failover-invalid") == 1);
  CHECK(make("us-east", "us-west").empty());
}

TEST_CASE("zone-aware settings reject topology priorities and bad failover", "[validate-dr]") {
  auto d = policy(R"(    loadBalancer:
      zoneAwareLbSetting:
        failoverPriority:
        - topology.kubernetes.io/region
        - topology.istio.io/subzone
        failover:
        - from: eu
          to: eu
)");
  INFO(describe(d));
  CHECK(countId(d, "dr-zone-aware-topology-priority") == 2);
  CHECK(countId(d, "dr-zone-aware-failover-invalid") == 1);
  CHECK(hasId(d, "dr-failover-without-outlier"));
  auto ok = policy(R"(    outlierDetection:
      interval: 1s
    loadBalancer:
      zoneAwareLbSetting:
        failoverPriority:
        - example.com/rack
        failover:
        - from: eu
          to: us
)");
  INFO(describe(ok));
  CHECK(ok.empty());
}

TEST_CASE("warmup needs a duration and sane percent and aggression", "[validate-dr]") {
  auto d = policy(
      "    loadBalancer:\n      warmup:\n        minimumPercent: 150\n        aggression: 0\n");
  INFO(describe(d));
  CHECK(countId(d, "dr-warmup-invalid") == 3);
  auto bad_duration = policy("    loadBalancer:\n      warmup:\n        duration: 10.5ms\n");
  CHECK(hasId(bad_duration, "dr-warmup-invalid"));
  auto ok = policy(
      "    loadBalancer:\n      warmup:\n        duration: 60s\n        minimumPercent: 10\n"
      "        aggression: 1.5\n");
  INFO(describe(ok));
  CHECK(ok.empty());
}

// --- D28-D31 client TLS ------------------------------------------------------------------------

TEST_CASE("configmap credentialName must name the rule's own namespace", "[validate-dr]") {
  auto tls = [](const std::string& cred) {
    return policy("    tls:\n      mode: SIMPLE\n      credentialName: " + cred + "\n");
  };
  CHECK(hasId(tls("configmap://other/ca"), "dr-tls-configmap-credential"));
  CHECK(hasId(tls("configmap://ca"), "dr-tls-configmap-credential"));
  CHECK(hasId(tls("configmap:///ca"), "dr-tls-configmap-credential"));
  auto ok = tls("configmap://ns1/ca");
  INFO(describe(ok));
  CHECK(ok.empty());
}

TEST_CASE("insecureSkipVerify cannot be combined with verification settings", "[validate-dr]") {
  auto simple = policy(
      "    tls:\n      mode: SIMPLE\n      insecureSkipVerify: true\n"
      "      caCertificates: /etc/ca.pem\n");
  CHECK(hasId(simple, "dr-tls-insecure-skip-verify"));
  auto mutual = policy(
      "    tls:\n      mode: MUTUAL\n      insecureSkipVerify: true\n"
      "      clientCertificate: /c.pem\n      privateKey: /k.pem\n      subjectAltNames: [a]\n");
  CHECK(hasId(mutual, "dr-tls-insecure-skip-verify"));
  auto ok = policy("    tls:\n      mode: SIMPLE\n      insecureSkipVerify: true\n");
  CHECK(ok.empty());
}

TEST_CASE("credentialName cannot be combined with certificate files", "[validate-dr]") {
  auto d = policy(
      "    tls:\n      mode: SIMPLE\n      credentialName: cred\n      caCertificates: /ca.pem\n");
  CHECK(hasId(d, "dr-tls-credential-with-files"));
  auto disabled = policy(
      "    tls:\n      mode: DISABLE\n      credentialName: cred\n      caCertificates: /ca.pem\n");
  CHECK(disabled.empty());
}

TEST_CASE("MUTUAL tls needs a client certificate and key", "[validate-dr]") {
  auto d = policy("    tls:\n      mode: MUTUAL\n");
  CHECK(countId(d, "dr-tls-mutual-missing-cert") == 2);
  CHECK(policy("    tls:\n      mode: MUTUAL\n      clientCertificate: /c.pem\n"
               "      privateKey: /k.pem\n")
            .empty());
  CHECK(policy("    tls:\n      mode: MUTUAL\n      credentialName: cred\n").empty());
}

// --- D32 port-level settings --------------------------------------------------------------------

TEST_CASE("port-level settings need a port and at least one field", "[validate-dr]") {
  auto d = policy(R"(    portLevelSettings:
    - null
    - loadBalancer:
        simple: RANDOM
    - port:
        number: 81
)");
  INFO(describe(d));
  CHECK(hasId(d, "dr-port-policy-null"));
  CHECK(hasId(d, "dr-port-policy-missing-port"));
  const Diagnostic* empty = findId(d, "dr-port-policy-empty");
  REQUIRE(empty != nullptr);
  CHECK(empty->loc.line == 13);
}

TEST_CASE("port-level settings report nested errors but drop nested warnings", "[validate-dr]") {
  auto d = policy(R"(    portLevelSettings:
    - port:
        number: 80
      outlierDetection:
        maxEjectionPercent: 200
      loadBalancer:
        localityLbSetting:
          failover:
          - from: a
            to: b
)");
  INFO(describe(d));
  CHECK(hasId(d, "dr-outlier-percent-range"));
  CHECK_FALSE(hasId(d, "dr-failover-without-outlier"));
}

// --- D33 / D34 tunnel and PROXY protocol ------------------------------------------------------

TEST_CASE("tunnel settings need a known protocol, a host and a port", "[validate-dr]") {
  auto d = policy(
      "    tunnel:\n      protocol: GET\n      targetHost: \"*.example.com\"\n"
      "      targetPort: 0\n");
  INFO(describe(d));
  CHECK(hasId(d, "dr-tunnel-protocol"));
  CHECK(hasId(d, "dr-tunnel-target-host"));
  CHECK(hasId(d, "dr-tunnel-target-port"));
  auto ok = policy(
      "    tunnel:\n      protocol: POST\n      targetHost: 10.0.0.1\n      targetPort: 8080\n");
  INFO(describe(ok));
  CHECK(ok.empty());
}

TEST_CASE("proxyProtocol version must be V1 or V2", "[validate-dr]") {
  CHECK(hasId(policy("    proxyProtocol:\n      version: 7\n"), "dr-proxy-protocol-version"));
  CHECK(policy("    proxyProtocol:\n      version: V2\n").empty());
  CHECK(policy("    proxyProtocol: {}\n").empty());
}

// --- D35 / D36 subsets -----------------------------------------------------------------------

TEST_CASE("subsets may not be null or share a name", "[validate-dr]") {
  auto d = dr("  host: reviews\n  subsets:\n  - null\n  - name: v1\n  - name: v1\n");
  INFO(describe(d));
  CHECK(hasId(d, "dr-subset-null"));
  const Diagnostic* dup = findId(d, "dr-subset-duplicate");
  REQUIRE(dup != nullptr);
  CHECK(dup->loc.line == 11);
  CHECK(dup->loc.column == 11);
  CHECK(dr("  host: reviews\n  subsets:\n  - name: v1\n  - name: v2\n").empty());
}

TEST_CASE("subset names must be DNS labels and labels valid", "[validate-dr]") {
  auto d =
      dr("  host: reviews\n  subsets:\n  - name: Bad_Name\n  - labels:\n      version: v1\n"
         "  - name: v3\n    labels:\n      \"bad key!\": v1\n");
  INFO(describe(d));
  CHECK(countId(d, "dr-subset-name") == 2);
  CHECK(hasId(d, "dr-subset-labels"));
}

TEST_CASE("subset traffic policies report errors but not warnings", "[validate-dr]") {
  auto d = subsetPolicy(R"(      outlierDetection:
        maxEjectionPercent: 200
        consecutiveErrors: 3
)");
  INFO(describe(d));
  CHECK(hasId(d, "dr-outlier-percent-range"));
  CHECK_FALSE(hasId(d, "dr-outlier-consecutive-errors-deprecated"));
  CHECK(hasId(subsetPolicy("      {}\n"), "dr-traffic-policy-empty"));
}

// --- D37 / D38 exportTo and workload selector ----------------------------------------------------

TEST_CASE("exportTo duplicates are rejected", "[validate-dr]") {
  CHECK(hasId(dr("  host: reviews\n  exportTo: [\".\", ns1]\n"), "dr-export-to"));
  CHECK(dr("  host: reviews\n  exportTo: [\".\", other]\n").empty());
}

TEST_CASE("with a workload selector exportTo may only name the own namespace", "[validate-dr]") {
  auto make = [](const std::string& export_to) {
    return dr(
        "  host: reviews\n  workloadSelector:\n    matchLabels:\n      app: a\n"
        "  exportTo: " +
        export_to + "\n");
  };
  CHECK(hasId(make("[\"*\"]"), "dr-export-to-selector"));
  CHECK(hasId(make("[other]"), "dr-export-to-selector"));
  CHECK(hasId(make("[\".\", other]"), "dr-export-to-selector"));
  CHECK(make("[\".\"]").empty());
  CHECK(make("[ns1]").empty());
}

TEST_CASE("workload selector rejects wildcards and warns when empty", "[validate-dr]") {
  auto bad = dr("  host: reviews\n  workloadSelector:\n    matchLabels:\n      app: \"*\"\n");
  INFO(describe(bad));
  const Diagnostic* diag = findId(bad, "dr-workload-selector");
  REQUIRE(diag != nullptr);
  CHECK(diag->severity == Severity::kError);
  // The CRD's CEL copy of this rule is not reported a second time.
  CHECK(bad.size() == 1);
  auto empty = dr("  host: reviews\n  workloadSelector: {}\n");
  const Diagnostic* warn = findId(empty, "dr-workload-selector");
  REQUIRE(warn != nullptr);
  CHECK(warn->severity == Severity::kWarning);
}

TEST_CASE("destination rule validation survives wrongly typed fields", "[validate-dr]") {
  // Lines 7-22. The webhook validators must not crash; lint reports exactly the type errors
  // of the DestinationRule CRD and nothing else.
  const std::string spec = R"(  host: [a]
  trafficPolicy:
    outlierDetection: 5
    loadBalancer:
      consistentHash:
        maglev:
          tableSize: "x"
        httpCookie: []
      localityLbSetting:
        distribute: {a: b}
        failover: [null, 3]
    portLevelSettings: {x: 1}
    tls: [1]
  subsets: 7
  exportTo: {a: 1}
  workloadSelector: 3
)";
  auto d = dr(spec);
  INFO(describe(d));
  auto r = meshc::testing::lintYaml(
      "apiVersion: networking.istio.io/v1\nkind: DestinationRule\nmetadata:\n  name: rule\n"
      "  namespace: ns1\nspec:\n" +
      spec);
  const std::string lb = "spec.trafficPolicy.loadBalancer.";
  meshc::testing::checkFindings(
      r.diagnostics,
      {
          {"schema-type", 7, 3, "expected string, found array at spec.host"},
          {"schema-type", 9, 23,
           "expected object, found integer 5 at spec.trafficPolicy.outlierDetection"},
          {"schema-type", 13, 22,
           "expected integer, found string \"x\" at " + lb + "consistentHash.maglev.tableSize"},
          {"schema-type", 14, 9,
           "expected object, found array at " + lb + "consistentHash.httpCookie"},
          {"schema-type", 16, 9,
           "expected array, found object at " + lb + "localityLbSetting.distribute"},
          {"schema-type", 17, 20,
           "expected object, found null at " + lb + "localityLbSetting.failover[0]"},
          {"schema-type", 17, 26,
           "expected object, found integer 3 at " + lb + "localityLbSetting.failover[1]"},
          {"schema-type", 18, 5,
           "expected array, found object at spec.trafficPolicy.portLevelSettings"},
          {"schema-type", 19, 5, "expected object, found array at spec.trafficPolicy.tls"},
          {"schema-type", 20, 12, "expected array, found integer 7 at spec.subsets"},
          {"schema-type", 21, 3, "expected array, found object at spec.exportTo"},
          {"schema-type", 22, 21, "expected object, found integer 3 at spec.workloadSelector"},
      });
  auto null_spec = validateYaml(
      "apiVersion: networking.istio.io/v1\nkind: DestinationRule\nmetadata:\n  name: r\nspec:\n");
  CHECK(hasId(null_spec, "dr-host-invalid"));
}
