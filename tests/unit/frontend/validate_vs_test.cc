// Tests for the VirtualService webhook rules (ISTIO-VALIDATION.md A.4, V1-V79) and the metadata
// rules (A.1), through the real loader: one passing and one failing case per rule.
#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "frontend/rule_catalog.h"
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

// A VirtualService "vs" in namespace "default" with the given spec body (indented two spaces).
std::vector<Diagnostic> vs(const std::string& spec, const std::string& metadata_extra = "") {
  return validateYaml(
      "apiVersion: networking.istio.io/v1\n"
      "kind: VirtualService\n"
      "metadata:\n"
      "  name: vs\n"
      "  namespace: default\n" +
      metadata_extra + "spec:" + spec + "\n");
}

// A mesh VirtualService for host "reviews" with a single http route whose fields (indented four
// spaces, after "  - ") are given.
std::vector<Diagnostic> route(const std::string& fields) {
  return vs("\n  hosts: [reviews]\n  http:\n  - " + fields);
}

constexpr const char* kDest =
    "route:\n"
    "    - destination:\n"
    "        host: reviews\n";

}  // namespace

// --- Basics ------------------------------------------------------------------------------------

TEST_CASE("a typical VirtualService is clean", "[validate-vs]") {
  auto d = vs(R"(
  hosts: [reviews.default.svc.cluster.local, "*.example.com"]
  gateways: [istio-system/ingress, mesh]
  exportTo: ["."]
  http:
  - name: v2-users
    match:
    - headers:
        end-user:
          exact: jason
      uri:
        prefix: /api
    route:
    - destination:
        host: reviews
        subset: v2
      weight: 90
    - destination:
        host: reviews
        subset: v1
        port:
          number: 9080
      weight: 10
    timeout: 1.5s
    retries:
      attempts: 3
      perTryTimeout: 500ms
      retryOn: 5xx,connect-failure,503
    headers:
      request:
        set:
          x-env: prod
      response:
        remove: [x-internal]
    corsPolicy:
      allowOrigins:
      - exact: https://example.com
      allowMethods: [GET, POST]
      allowHeaders: [x-custom]
      maxAge: 24h
  - route:
    - destination:
        host: reviews
        subset: v1
  tcp:
  - match:
    - port: 3306
      destinationSubnets: [10.0.0.0/8]
    route:
    - destination:
        host: mysql
)");
  INFO(describe(d));
  CHECK(d.empty());
}

TEST_CASE("every VirtualService and metadata rule id is in the catalog", "[validate-vs]") {
  for (std::string_view id :
       {"vs-delegate-gateways", "vs-route-and-redirect", "vs-no-routes", "vs-invalid-host",
        "vs-duplicate-host", "vs-invalid-duration", "IST0130", "IST0131", "meta-dry-run-annotation",
        "meta-always-reject", "meta-internal-annotation"}) {
    INFO(id);
    CHECK(meshc::frontend::findRule(id) != nullptr);
  }
  const auto* r = meshc::frontend::findRule("IST0131");
  REQUIRE(r != nullptr);
  CHECK(r->severity == Severity::kInfo);
}

// --- A.1 metadata ------------------------------------------------------------------------------

TEST_CASE("dry-run annotation is rejected on networking kinds and hides other errors",
          "[validate-vs]") {
  auto d = vs("\n  hosts: [\"*\"]", "  annotations:\n    istio.io/dry-run: \"true\"\n");
  INFO(describe(d));
  const Diagnostic* diag = findId(d, "meta-dry-run-annotation");
  REQUIRE(diag != nullptr);
  CHECK(diag->loc.line == 7);
  CHECK(diag->loc.column == 5);
  CHECK(diag->istio_code == "IST0106");
  CHECK_FALSE(hasId(d, "vs-no-routes"));  // Istio returns before the kind's own validation
  CHECK_FALSE(hasId(vs("\n  hosts: [a]\n  http:\n  - " + std::string(kDest),
                       "  annotations:\n    istio.io/other: \"true\"\n"),
                    "meta-dry-run-annotation"));
}

TEST_CASE("internal annotations are rejected", "[validate-vs]") {
  CHECK(hasId(
      vs("\n  hosts: [a]", "  annotations:\n    internal.istio.io/webhook-always-reject: x\n"),
      "meta-always-reject"));
  CHECK(hasId(vs("\n  hosts: [a]", "  annotations:\n    internal.istio.io/parent-namespace: x\n"),
              "meta-internal-annotation"));
  CHECK(hasId(vs("\n  hosts: [a]", "  annotations:\n    internal.istio.io/parents: x\n"),
              "meta-internal-annotation"));
}

// --- V1-V11 -------------------------------------------------------------------------------------

TEST_CASE("delegate VirtualService must not set gateways, tls or tcp", "[validate-vs]") {
  auto bad = vs(R"(
  gateways: [istio-system/gw]
  http:
  - route:
    - destination:
        host: reviews
  tls:
  - match:
    - sniHosts: [a.example.com]
    route:
    - destination:
        host: a.example.com
  tcp:
  - route:
    - destination:
        host: db
)");
  INFO(describe(bad));
  CHECK(hasId(bad, "vs-delegate-gateways"));
  CHECK(hasId(bad, "vs-delegate-tls"));
  CHECK(hasId(bad, "vs-delegate-tcp"));
  auto ok = vs("\n  http:\n  - " + std::string(kDest));
  INFO(describe(ok));
  CHECK(ok.empty());
}

TEST_CASE("gateway references are checked, legacy form warns", "[validate-vs]") {
  auto legacy = vs("\n  hosts: [a.example.com]\n  gateways: [gw.istio-system]\n  http:\n  - " +
                   std::string(kDest));
  const Diagnostic* w = findId(legacy, "vs-gateway-legacy-name");
  REQUIRE(w != nullptr);
  CHECK(w->severity == Severity::kWarning);
  CHECK(w->istio_code == "IST0133");
  CHECK_FALSE(hasId(legacy, "vs-invalid-gateway"));

  auto bad =
      vs("\n  hosts: [a.example.com]\n  gateways: [\"istio-system/Bad_Name\"]\n  http:\n  - " +
         std::string(kDest));
  const Diagnostic* e = findId(bad, "vs-invalid-gateway");
  REQUIRE(e != nullptr);
  CHECK(e->loc.line == 8);
  CHECK(e->loc.column == 14);
}

TEST_CASE("JWT claim routing needs a gateway", "[validate-vs]") {
  const std::string http = R"(
  http:
  - match:
    - headers:
        "@request.auth.claims.group":
          exact: admin
    route:
    - destination:
        host: reviews)";
  CHECK(hasId(vs("\n  hosts: [reviews]" + http), "vs-jwt-claim-without-gateway"));
  CHECK(hasId(vs("\n  hosts: [reviews]\n  gateways: [mesh, ns/gw]" + http),
              "vs-jwt-claim-without-gateway"));
  auto ok = vs("\n  hosts: [reviews.example.com]\n  gateways: [ns/gw]" + http);
  INFO(describe(ok));
  CHECK(ok.empty());
}

TEST_CASE("hosts must be domains, IPs accepted", "[validate-vs]") {
  auto ok = vs("\n  hosts: [reviews, \"*.foo.com\", 10.1.2.3, \"*foo.bar.com\"]\n  http:\n  - " +
               std::string(kDest));
  INFO(describe(ok));
  CHECK(ok.empty());
  auto bad = vs("\n  hosts: [\"foo_bar.com\"]\n  http:\n  - " + std::string(kDest));
  const Diagnostic* e = findId(bad, "vs-invalid-host");
  REQUIRE(e != nullptr);
  CHECK(e->loc.line == 7);
  CHECK(e->loc.column == 11);
}

TEST_CASE("auto-generated SNI hosts are accepted on gateway-bound VS with sniHosts",
          "[validate-vs]") {
  const std::string tls = R"(
  tls:
  - match:
    - sniHosts: ["outbound_.80_._.e2e.foobar.mesh"]
    route:
    - destination:
        host: e2e.foobar.mesh)";
  auto ok = vs("\n  hosts: [\"outbound_.80_._.e2e.foobar.mesh\"]\n  gateways: [ns/gw]" + tls);
  INFO(describe(ok));
  CHECK(ok.empty());
  CHECK(hasId(vs("\n  hosts: [\"outbound_.80_._.e2e.foobar.mesh\"]" + tls), "vs-invalid-host"));
  CHECK(hasId(vs("\n  hosts: [\"outbound_.xx_._.e2e.foobar.mesh\"]\n  gateways: [ns/gw]" + tls),
              "vs-invalid-host"));
}

TEST_CASE("wildcard host * only on gateway-bound VS", "[validate-vs]") {
  CHECK(
      hasId(vs("\n  hosts: [\"*\"]\n  http:\n  - " + std::string(kDest)), "vs-mesh-wildcard-host"));
  CHECK(
      hasId(vs("\n  hosts: [\"*\"]\n  gateways: [mesh, ns/gw]\n  http:\n  - " + std::string(kDest)),
            "vs-mesh-wildcard-host"));
  CHECK_FALSE(
      hasId(vs("\n  hosts: [\"*\"]\n  gateways: [ns/gw]\n  http:\n  - " + std::string(kDest)),
            "vs-mesh-wildcard-host"));
}

TEST_CASE("overlapping hosts are duplicates, once every host is valid", "[validate-vs]") {
  auto d =
      vs("\n  hosts: [\"*.foo.com\", a.foo.com, b.com, b.com]\n  http:\n  - " + std::string(kDest));
  CHECK(countId(d, "vs-duplicate-host") == 2);
  CHECK_FALSE(hasId(vs("\n  hosts: [\"*.foo.com\", foo.com]\n  http:\n  - " + std::string(kDest)),
                    "vs-duplicate-host"));
  auto invalid = vs("\n  hosts: [a.com, a.com, \"bad_host\"]\n  http:\n  - " + std::string(kDest));
  CHECK_FALSE(hasId(invalid, "vs-duplicate-host"));
}

TEST_CASE("a VirtualService needs http, tcp or tls", "[validate-vs]") {
  CHECK(hasId(vs("\n  hosts: [reviews]"), "vs-no-routes"));
  CHECK(hasId(vs("\n  hosts: [reviews]\n  http: []"), "vs-no-routes"));
  CHECK_FALSE(hasId(route(kDest), "vs-no-routes"));
}

TEST_CASE("null http entries are errors, null tls/tcp entries are not", "[validate-vs]") {
  auto d = vs("\n  hosts: [reviews]\n  http:\n  - null\n  - " + std::string(kDest));
  CHECK(hasId(d, "vs-null-http-route"));
  auto tcp = vs(R"(
  hosts: [reviews]
  tcp:
  - null
  - route:
    - destination:
        host: reviews)");
  INFO(describe(tcp));
  CHECK(tcp.empty());
}

TEST_CASE("exportTo rules apply to VirtualService", "[validate-vs]") {
  CHECK(hasId(vs("\n  hosts: [reviews]\n  exportTo: [\"~\"]\n  http:\n  - " + std::string(kDest)),
              "vs-invalid-export-to"));
  CHECK(hasId(
      vs("\n  hosts: [reviews]\n  exportTo: [\".\", default]\n  http:\n  - " + std::string(kDest)),
      "vs-invalid-export-to"));
  CHECK_FALSE(
      hasId(vs("\n  hosts: [reviews]\n  exportTo: [\"*\"]\n  http:\n  - " + std::string(kDest)),
            "vs-invalid-export-to"));
}

// --- V12-V18: actions ---------------------------------------------------------------------------

TEST_CASE("root routes may only delegate", "[validate-vs]") {
  auto bad = route(R"(delegate:
      name: child
    redirect:
      uri: /x
    route:
    - destination:
        host: reviews)");
  CHECK(hasId(bad, "vs-root-redirect"));
  CHECK(hasId(bad, "vs-root-route"));
  CHECK_FALSE(hasId(bad, "vs-route-and-redirect"));  // root routes skip the other checks
  auto ok = route("delegate:\n      name: child");
  INFO(describe(ok));
  CHECK(ok.empty());
}

TEST_CASE("delegate VirtualService routes cannot delegate again", "[validate-vs]") {
  CHECK(hasId(vs("\n  http:\n  - delegate:\n      name: grandchild"), "vs-nested-delegate"));
  CHECK_FALSE(hasId(vs("\n  http:\n  - " + std::string(kDest)), "vs-nested-delegate"));
}

TEST_CASE("redirect conflicts with route, fault, rewrite and directResponse", "[validate-vs]") {
  auto d = route(R"(redirect:
      uri: /new
    fault:
      delay:
        fixedDelay: 1s
    rewrite:
      uri: /x
    directResponse:
      status: 200
    route:
    - destination:
        host: reviews)");
  INFO(describe(d));
  CHECK(hasId(d, "vs-route-and-redirect"));
  CHECK(hasId(d, "vs-fault-and-redirect"));
  CHECK(hasId(d, "vs-rewrite-and-redirect"));
  CHECK(hasId(d, "vs-direct-response-and-redirect"));
  CHECK_FALSE(hasId(d, "vs-route-and-direct-response"));
  auto ok = route("redirect:\n      uri: /new");
  INFO(describe(ok));
  CHECK(ok.empty());
}

TEST_CASE("directResponse conflicts with route, fault and rewrite", "[validate-vs]") {
  auto d = route(R"(directResponse:
      status: 503
    fault:
      abort:
        httpStatus: 500
    rewrite:
      uri: /x
    route:
    - destination:
        host: reviews)");
  CHECK(hasId(d, "vs-route-and-direct-response"));
  CHECK(hasId(d, "vs-fault-and-direct-response"));
  CHECK(hasId(d, "vs-rewrite-and-direct-response"));
  auto ok = route("directResponse:\n      status: 503\n      body:\n        string: unavailable");
  INFO(describe(ok));
  CHECK(ok.empty());
}

TEST_CASE("an http route needs an action", "[validate-vs]") {
  auto d = route("timeout: 1s");
  const Diagnostic* e = findId(d, "vs-no-action");
  REQUIRE(e != nullptr);
  CHECK(e->loc.line == 9);
  CHECK(e->loc.column == 5);
  CHECK_FALSE(hasId(route(kDest), "vs-no-action"));
}

TEST_CASE("mirror and mirrors are exclusive", "[validate-vs]") {
  auto d = route(std::string(kDest) + R"(    mirror:
      host: shadow
    mirrors:
    - destination:
        host: shadow2)");
  CHECK(hasId(d, "vs-mirror-and-mirrors"));
  auto ok = route(std::string(kDest) + "    mirror:\n      host: shadow");
  INFO(describe(ok));
  CHECK(ok.empty());
}

// --- V19-V26: match requests ---------------------------------------------------------------------

TEST_CASE("header matches must not be null and names must be tokens", "[validate-vs]") {
  auto d = route(R"(match:
    - headers:
        x-null:
        "bad header":
          exact: v
        ":authority":
          exact: a
    )" + std::string(kDest));
  INFO(describe(d));
  CHECK(countId(d, "vs-null-header-match") == 1);
  CHECK(countId(d, "vs-invalid-match-header-name") == 1);
  auto without = route(R"(match:
    - withoutHeaders:
        x-present:
          regex: "*"
        "bad header": {}
    )" + std::string(kDest));
  INFO(describe(without));
  CHECK_FALSE(hasId(without, "vs-invalid-string-match"));
  CHECK(hasId(without, "vs-invalid-match-header-name"));
}

TEST_CASE("string matches: empty prefix allowed only for uri, regexes must compile",
          "[validate-vs]") {
  auto ok = route(R"(match:
    - uri:
        prefix: ""
      method:
        exact: ""
    )" + std::string(kDest));
  INFO(describe(ok));
  CHECK(ok.empty());
  auto bad = route(R"(match:
    - scheme:
        prefix: ""
      authority:
        regex: "("
      queryParams:
        q:
          regex: ""
      uri:
        regex: "[a-"
      headers:
        h:
          prefix: ""
    )" + std::string(kDest));
  INFO(describe(bad));
  CHECK(countId(bad, "vs-invalid-string-match") == 5);
}

TEST_CASE("match port, sourceLabels, gateways and sourceNamespace are checked", "[validate-vs]") {
  auto bad = route(R"(match:
    - port: 70000
      sourceLabels:
        "bad key!": v
      gateways: ["ns/Bad_Gw"]
      sourceNamespace: Bad_Ns
    - gateways: [gw.ns]
    )" + std::string(kDest));
  INFO(describe(bad));
  CHECK(hasId(bad, "vs-invalid-match-port"));
  CHECK(hasId(bad, "vs-invalid-source-labels"));
  CHECK(hasId(bad, "vs-invalid-gateway"));
  CHECK(hasId(bad, "vs-invalid-source-namespace"));
  // Istio drops the legacy-name warning for http match gateways.
  CHECK_FALSE(hasId(bad, "vs-gateway-legacy-name"));
  auto ok = route(R"(match:
    - port: 8080
      sourceLabels:
        app: productpage
      gateways: [mesh]
      sourceNamespace: default
    )" + std::string(kDest));
  INFO(describe(ok));
  CHECK(ok.empty());
}

// --- V27-V29: header operations
// -------------------------------------------------------------------

TEST_CASE("header operation names and values are checked", "[validate-vs]") {
  auto bad = route(std::string(kDest) + R"(    headers:
      request:
        set:
          ":path": /x
          x-bad: "abc%"
        remove: [host]
      response:
        add:
          ":status": "200"
        remove: [""]
)");
  INFO(describe(bad));
  CHECK(countId(bad, "vs-invalid-header-operation") == 4);
  CHECK(countId(bad, "vs-invalid-header-value") == 1);
  auto ok = route(std::string(kDest) + R"(    headers:
      request:
        add:
          x-req: "%DOWNSTREAM_REMOTE_ADDRESS%"
        set:
          host: new.example.com
      response:
        set:
          x-pct: "100%%"
)");
  INFO(describe(ok));
  CHECK(ok.empty());
}

TEST_CASE("per-destination header operations are checked too", "[validate-vs]") {
  auto bad = route(R"(route:
    - destination:
        host: reviews
      headers:
        response:
          set:
            Host: x
)");
  CHECK(hasId(bad, "vs-invalid-header-operation"));
}

TEST_CASE("authority may be rewritten in only one place", "[validate-vs]") {
  auto bad = route(std::string(kDest) + R"(    rewrite:
      authority: a.example.com
    headers:
      request:
        set:
          ":authority": b.example.com
)");
  CHECK(hasId(bad, "vs-authority-rewrite-conflict"));
  auto ok = route(std::string(kDest) + "    rewrite:\n      authority: a.example.com\n");
  INFO(describe(ok));
  CHECK(ok.empty());
}

// --- V30-V33: CORS
// --------------------------------------------------------------------------------

TEST_CASE("CORS origins, methods, headers and maxAge are checked", "[validate-vs]") {
  auto bad = route(std::string(kDest) + R"(    corsPolicy:
      allowOrigins:
      - exact: ""
      - regex: "(("
      allowMethods: [get, FETCH]
      allowHeaders: ["bad header"]
      exposeHeaders: [""]
      maxAge: 1.5s
)");
  INFO(describe(bad));
  CHECK(countId(bad, "vs-invalid-cors-origin") == 2);
  CHECK(countId(bad, "vs-invalid-cors-method") == 2);
  CHECK(countId(bad, "vs-invalid-cors-header") == 2);
  CHECK(hasId(bad, "vs-cors-max-age-precision"));
  auto dur = route(std::string(kDest) + "    corsPolicy:\n      maxAge: 0s\n");
  CHECK(hasId(dur, "vs-invalid-duration"));
  auto ok = route(std::string(kDest) + R"(    corsPolicy:
      allowOrigins:
      - prefix: https://
      - regex: ".*\\.example\\.com"
      allowMethods: ["*"]
      allowHeaders: ["*"]
      maxAge: 10s
)");
  INFO(describe(ok));
  CHECK(ok.empty());
}

// --- V34-V41: faults
// --------------------------------------------------------------------------------

TEST_CASE("fault needs abort or delay, percentages are bounded", "[validate-vs]") {
  CHECK(hasId(route(std::string(kDest) + "    fault: {}\n"), "vs-empty-fault"));
  auto bad = route(std::string(kDest) + R"(    fault:
      abort:
        httpStatus: 503
        percentage:
          value: 0.00001
      delay:
        fixedDelay: 1s
        percentage:
          value: 101
)");
  CHECK(countId(bad, "vs-invalid-fault-percentage") == 2);
  auto ok = route(std::string(kDest) + R"(    fault:
      abort:
        httpStatus: 600
        percentage:
          value: 0
      delay:
        fixedDelay: 100ms
        percentage:
          value: 0.0001
)");
  INFO(describe(ok));
  CHECK(ok.empty());
}

TEST_CASE("abort error types: grpc names, no http2Error, status 200..600", "[validate-vs]") {
  auto fault = [](const std::string& abort) {
    return route(std::string(kDest) + "    fault:\n      abort:\n        " + abort + "\n");
  };
  CHECK(hasId(fault("grpcStatus: NOPE"), "vs-invalid-grpc-status"));
  CHECK_FALSE(hasId(fault("grpcStatus: UNAVAILABLE"), "vs-invalid-grpc-status"));
  CHECK(hasId(fault("http2Error: REFUSED_STREAM"), "vs-http2-abort-unsupported"));
  CHECK(hasId(fault("httpStatus: 199"), "vs-invalid-abort-status"));
  CHECK(hasId(fault("httpStatus: 601"), "vs-invalid-abort-status"));
  CHECK_FALSE(hasId(fault("httpStatus: 200"), "vs-invalid-abort-status"));
  // Istio's "abort without error type" warning is dropped before it reaches the user.
  auto no_type = fault("percentage:\n          value: 5");
  INFO(describe(no_type));
  CHECK(no_type.empty());
}

TEST_CASE("delay durations are checked and exponentialDelay is rejected", "[validate-vs]") {
  auto fault = [](const std::string& delay) {
    return route(std::string(kDest) + "    fault:\n      delay:\n        " + delay + "\n");
  };
  CHECK(hasId(fault("fixedDelay: 0.5ms"), "vs-invalid-duration"));
  CHECK(hasId(fault("exponentialDelay: 1s"), "vs-exponential-delay-unsupported"));
  CHECK(fault("fixedDelay: 2s").empty());
}

// --- V42-V45: mirrors ----------------------------------------------------------------------------

TEST_CASE("mirrorPercent is deprecated and bounded, mirrorPercentage is 0..100", "[validate-vs]") {
  auto old =
      route(std::string(kDest) + "    mirror:\n      host: shadow\n    mirrorPercent: 150\n");
  CHECK(hasId(old, "vs-invalid-mirror-percent"));
  const Diagnostic* w = findId(old, "vs-mirror-percent-deprecated");
  REQUIRE(w != nullptr);
  CHECK(w->severity == Severity::kWarning);
  CHECK(hasId(route(std::string(kDest) +
                    "    mirror:\n      host: shadow\n    mirrorPercentage:\n      value: -1\n"),
              "vs-invalid-mirror-percent"));
  auto ok = route(std::string(kDest) +
                  "    mirror:\n      host: shadow\n    mirrorPercentage:\n      value: 50.5\n");
  INFO(describe(ok));
  CHECK(ok.empty());
}

TEST_CASE("mirror destinations and mirrors entries are checked", "[validate-vs]") {
  auto bad = route(std::string(kDest) + R"(    mirrors:
    - null
    - percentage:
        value: 10
    - destination:
        host: "*"
      percentage:
        value: 200
)");
  INFO(describe(bad));
  CHECK(hasId(bad, "vs-null-mirror"));
  CHECK(hasId(bad, "vs-missing-destination"));
  CHECK(hasId(bad, "vs-invalid-destination"));
  CHECK(hasId(bad, "vs-invalid-mirror-percent"));
  CHECK(hasId(route(std::string(kDest) + "    mirror:\n      host: bad_host\n"),
              "vs-invalid-destination"));
}

// --- V46-V51: redirect
// ----------------------------------------------------------------------------

TEST_CASE("redirect rules report only the first problem", "[validate-vs]") {
  auto both = route("redirect:\n      uri: /a\n      prefixRewrite: /b\n      redirectCode: 200");
  CHECK(hasId(both, "vs-redirect-uri-and-prefix"));
  CHECK_FALSE(hasId(both, "vs-invalid-redirect-code"));
  CHECK(hasId(route("redirect:\n      redirectCode: 301"), "vs-redirect-empty"));
  CHECK(hasId(route("redirect:\n      uri: /a\n      redirectCode: 200"),
              "vs-invalid-redirect-code"));
  CHECK(hasId(route("redirect:\n      scheme: HTTPS"), "vs-invalid-redirect-scheme"));
  CHECK(hasId(route("redirect:\n      port: 70000"), "vs-invalid-redirect-port"));
  auto ok = route("redirect:\n      scheme: https\n      port: 8443\n      redirectCode: 308");
  INFO(describe(ok));
  CHECK(ok.empty());
  CHECK(route("redirect:\n      derivePort: FROM_REQUEST_PORT").empty());
}

TEST_CASE("prefixRewrite needs prefix uri matches", "[validate-vs]") {
  CHECK(
      hasId(route("match:\n    - uri:\n        exact: /a\n    redirect:\n      prefixRewrite: /b"),
            "vs-redirect-prefix-needs-prefix-match"));
  auto ok = route(
      "match:\n    - uri:\n        prefix: /a\n    - port: 80\n    redirect:\n"
      "      prefixRewrite: /b");
  INFO(describe(ok));
  CHECK(ok.empty());
}

// --- V52-V53: direct response
// -----------------------------------------------------------------------

TEST_CASE("direct response body size and status are checked", "[validate-vs]") {
  auto body = [](size_t n) {
    return route("directResponse:\n      status: 200\n      body:\n        string: " +
                 std::string(n, 'x'));
  };
  CHECK(body(100 * 1024).empty());
  auto large = body(100 * 1024 + 1);
  const Diagnostic* w = findId(large, "vs-direct-response-large");
  REQUIRE(w != nullptr);
  CHECK(w->severity == Severity::kWarning);
  CHECK(hasId(body(1024 * 1024 + 1), "vs-direct-response-too-large"));
  CHECK(hasId(route("directResponse:\n      status: 100"), "vs-invalid-direct-response-status"));
  CHECK(hasId(route("directResponse:\n      body:\n        string: x"),
              "vs-invalid-direct-response-status"));
}

// --- V54-V57: retries
// ---------------------------------------------------------------------------------

TEST_CASE("retry attempts, disabled retries and retryOn tokens", "[validate-vs]") {
  auto retries = [](const std::string& body) {
    return route(std::string(kDest) + "    retries:\n" + body);
  };
  CHECK(hasId(retries("      attempts: -1\n"), "vs-invalid-retry-attempts"));
  CHECK(
      hasId(retries("      attempts: 0\n      retryOn: 5xx\n"), "vs-retry-disabled-with-settings"));
  CHECK(hasId(retries("      retryRemoteLocalities: false\n"), "vs-retry-disabled-with-settings"));
  CHECK_FALSE(hasId(retries("      attempts: 0\n"), "vs-retry-disabled-with-settings"));
  auto tokens = retries("      attempts: 2\n      retryOn: \"5xx, reset,499,418,bogus\"\n");
  INFO(describe(tokens));
  CHECK(countId(tokens, "vs-invalid-retry-on") == 3);  // " reset" (space), 499, bogus
  CHECK(hasId(retries("      attempts: 2\n      perTryTimeout: 1us\n"), "vs-invalid-duration"));
  CHECK(hasId(retries("      attempts: 2\n      backoff: 1.0001s\n"), "vs-invalid-duration"));
  CHECK(retries("      attempts: 2\n      retryOn: gateway-error,cancelled,+503\n"
                "      backoff: 25ms\n")
            .empty());
}

// --- V58-V60: rewrite
// -----------------------------------------------------------------------------

TEST_CASE("rewrite needs exactly one uri form and a valid regex rewrite", "[validate-vs]") {
  auto rewrite = [](const std::string& body) {
    return route(std::string(kDest) + "    rewrite:\n" + body);
  };
  CHECK(hasId(rewrite("      uri: /a\n      uriRegexRewrite:\n        match: a\n"
                      "        rewrite: b\n"),
              "vs-rewrite-uri-and-regex"));
  CHECK(hasId(rewrite("      {}\n"), "vs-rewrite-empty"));
  CHECK(
      hasId(rewrite("      uriRegexRewrite:\n        match: a\n"), "vs-invalid-uri-regex-rewrite"));
  CHECK(hasId(rewrite("      uriRegexRewrite:\n        match: \"(\"\n        rewrite: b\n"),
              "vs-invalid-uri-regex-rewrite"));
  CHECK(rewrite("      uriRegexRewrite:\n        match: ^/v1/(.*)\n        rewrite: /v2/\\1\n")
            .empty());
}

// --- V61-V66: destinations and timeout
// ---------------------------------------------------------------

TEST_CASE("route entries need a valid destination", "[validate-vs]") {
  auto bad = route(R"(route:
    - null
    - weight: 10
    - destination:
        host: "*"
        subset: Bad_Subset
        port:
          number: 0
)");
  INFO(describe(bad));
  CHECK(hasId(bad, "vs-null-route-destination"));
  CHECK(hasId(bad, "vs-missing-destination"));
  CHECK(countId(bad, "vs-invalid-destination") == 3);
}

TEST_CASE("weights: negative rejected, all-zero rejected, sum need not be 100", "[validate-vs]") {
  auto weights = [](int a, int b) {
    return route("route:\n    - destination:\n        host: a\n      weight: " + std::to_string(a) +
                 "\n    - destination:\n        host: b\n      weight: " + std::to_string(b) +
                 "\n");
  };
  CHECK(hasId(weights(-1, 50), "vs-negative-weight"));
  CHECK(hasId(weights(0, 0), "vs-zero-total-weight"));
  CHECK(weights(1000, 50).empty());
  CHECK(weights(99, 0).empty());
  CHECK(route(kDest).empty());  // a single destination needs no weight
}

TEST_CASE("timeout must be a millisecond duration", "[validate-vs]") {
  auto bad = route(std::string(kDest) + "    timeout: 1.0001s\n");
  const Diagnostic* e = findId(bad, "vs-invalid-duration");
  REQUIRE(e != nullptr);
  CHECK(e->loc.line == 12);
  CHECK(e->loc.column == 14);
  CHECK(hasId(route(std::string(kDest) + "    timeout: soon\n"), "vs-invalid-duration"));
  CHECK(route(std::string(kDest) + "    timeout: 1h2m3.5s\n").empty());
}

// --- V67-V77: tls and tcp routes
// -------------------------------------------------------------------

TEST_CASE("tls routes need matches with sniHosts inside the hosts", "[validate-vs]") {
  auto bad = vs(R"(
  hosts: ["*.example.com"]
  tls:
  - route:
    - destination:
        host: a.example.com
  - match:
    - null
    - port: 443
    - sniHosts: [other.com, "bad_sni.example.com", 10.0.0.1]
      destinationSubnets: [10.0.0.0/33]
      port: 0
      gateways: [gw.ns]
  - match:
    - sniHosts: [a.example.com]
)");
  INFO(describe(bad));
  CHECK(hasId(bad, "vs-tls-route-no-match"));
  CHECK(hasId(bad, "vs-null-tls-match"));
  CHECK(hasId(bad, "vs-tls-match-no-sni"));
  CHECK(hasId(bad, "vs-sni-host-not-in-hosts"));
  CHECK(hasId(bad, "vs-invalid-sni-host"));
  CHECK(hasId(bad, "vs-sni-host-is-ip"));
  CHECK(hasId(bad, "vs-invalid-destination-subnet"));
  CHECK(hasId(bad, "vs-gateway-legacy-name"));  // kept for TLS match gateways
  CHECK(hasId(bad, "vs-tls-route-no-destinations"));
  auto ok = vs(R"(
  hosts: ["*.example.com"]
  gateways: [ns/gw]
  tls:
  - match:
    - sniHosts: [a.example.com, "*.b.example.com"]
      port: 443
    route:
    - destination:
        host: a.example.com
)");
  INFO(describe(ok));
  CHECK(ok.empty());
}

TEST_CASE("a wildcard SNI host must be at least as specific as a wildcard host", "[validate-vs]") {
  auto bad = vs(R"(
  hosts: ["*.a.example.com"]
  tls:
  - match:
    - sniHosts: ["*.example.com"]
    route:
    - destination:
        host: x.a.example.com
)");
  CHECK(hasId(bad, "vs-sni-host-not-in-hosts"));
}

TEST_CASE("tcp routes: null match, subnets, port, labels, destinations", "[validate-vs]") {
  auto bad = vs(R"(
  hosts: [db]
  tcp:
  - match:
    - null
    - port: 65536
      destinationSubnets: [bogus]
      sourceLabels:
        "": x
      gateways: [gw.ns]
  - route:
    - destination:
        host: db
      weight: -5
)");
  INFO(describe(bad));
  CHECK(hasId(bad, "vs-null-tcp-match"));
  CHECK(hasId(bad, "vs-invalid-match-port"));
  CHECK(hasId(bad, "vs-invalid-destination-subnet"));
  CHECK(hasId(bad, "vs-invalid-source-labels"));
  CHECK(hasId(bad, "vs-tcp-route-no-destinations"));
  CHECK(hasId(bad, "vs-negative-weight"));
  CHECK_FALSE(hasId(bad, "vs-gateway-legacy-name"));  // dropped for TCP match gateways
}

// --- V78-V79: IST0130 / IST0131
// ----------------------------------------------------------------------

TEST_CASE("rules after a catch-all rule are unreachable (IST0130)", "[validate-vs]") {
  auto d = vs(R"(
  hosts: [reviews]
  http:
  - name: catch-all
    route:
    - destination:
        host: reviews
  - name: second
    route:
    - destination:
        host: reviews
  - match:
    - uri:
        prefix: /a
    - uri:
        prefix: /b
    route:
    - destination:
        host: reviews
)");
  INFO(describe(d));
  REQUIRE(countId(d, "IST0130") == 3);
  const Diagnostic* first = findId(d, "IST0130");
  CHECK(first->severity == Severity::kWarning);
  CHECK(first->istio_code == "IST0130");
  CHECK(first->message ==
        "virtualService rule \"second\" not used (only the last rule can have no matches)");
  CHECK(first->loc.line == 13);
  bool saw_index = false;
  for (const Diagnostic& diag : d) {
    saw_index = saw_index || diag.message ==
                                 "virtualService rule #2 not used (route without "
                                 "matches defined before)";
  }
  CHECK(saw_index);
  CHECK_FALSE(hasId(route(kDest), "IST0130"));
}

TEST_CASE("duplicate matches are ineffective, all-duplicate rules unreachable", "[validate-vs]") {
  auto d = vs(R"(
  hosts: [reviews]
  http:
  - match:
    - name: first
      uri:
        exact: /a
    route:
    - destination:
        host: reviews
  - name: dup
    match:
    - uri: {exact: "/a"}
      name: other-name
      port: 0
    route:
    - destination:
        host: reviews
)");
  INFO(describe(d));
  const Diagnostic* info = findId(d, "IST0131");
  REQUIRE(info != nullptr);
  CHECK(info->severity == Severity::kInfo);
  CHECK(info->message ==
        "virtualService rule \"dup\" match \"other-name\" is not used "
        "(duplicate/overlapping match in rule #0)");
  CHECK(hasId(d, "IST0130"));
  auto different = vs(R"(
  hosts: [reviews]
  http:
  - match:
    - uri: {exact: /a}
    route:
    - destination:
        host: reviews
  - match:
    - uri: {exact: /a}
      ignoreUriCase: true
    route:
    - destination:
        host: reviews
)");
  INFO(describe(different));
  CHECK(different.empty());
}

TEST_CASE("an earlier shorter prefix shadows a later longer one (IST0131)", "[validate-vs]") {
  auto d = vs(R"(
  hosts: [reviews]
  http:
  - match:
    - uri:
        prefix: /debug
    route:
    - destination:
        host: reviews
  - match:
    - uri:
        prefix: /debugs
    route:
    - destination:
        host: reviews
)");
  INFO(describe(d));
  REQUIRE(countId(d, "IST0131") == 1);
  CHECK(findId(d, "IST0131")->message ==
        "virtualService rule #1 match #0 of prefix /debugs is not used (duplicate/overlapping "
        "match in rule #0 of prefix /debug on #0)");
  CHECK_FALSE(hasId(d, "IST0130"));
  // A different method on the later match keeps it reachable.
  auto ok = vs(R"(
  hosts: [reviews]
  http:
  - match:
    - uri:
        prefix: /debug
      method:
        exact: GET
    route:
    - destination:
        host: reviews
  - match:
    - uri:
        prefix: /debugs
      method:
        exact: POST
    route:
    - destination:
        host: reviews
)");
  INFO(describe(ok));
  CHECK(ok.empty());
}

TEST_CASE("duplicate tcp and tls matches are reported with #index names", "[validate-vs]") {
  auto tcp = vs(R"(
  hosts: [db]
  tcp:
  - match:
    - port: 3306
    route:
    - destination:
        host: db
  - match:
    - port: 3306
    route:
    - destination:
        host: db
  - route:
    - destination:
        host: db
  - route:
    - destination:
        host: db
)");
  INFO(describe(tcp));
  CHECK(countId(tcp, "IST0131") == 1);
  CHECK(countId(tcp, "IST0130") == 2);
  CHECK(findId(tcp, "IST0131")->message ==
        "virtualService rule #1 match #0 is not used (duplicate/overlapping match in rule #0)");
}

TEST_CASE("validators survive wrongly typed fields", "[validate-vs]") {
  // Lines 7-24 of the object. The webhook validators must not crash on these nodes; lint must
  // report exactly the structural schema's type errors (VirtualService CRD) and nothing else.
  const std::string spec = R"(
  hosts: {a: b}
  gateways: 5
  http:
  - match: 7
    route: "x"
    headers: [1, 2]
    corsPolicy: [a]
    fault: 3
    retries: [x]
    redirect: 5
    rewrite: true
    mirrors: {a: b}
    timeout: [1]
  - match: [null, 3, [1]]
    route: [3, [4]]
  tcp: {a: b}
  tls: [3, {match: 4, route: 5}]
  exportTo: 3
)";
  auto d = vs(spec);
  INFO(describe(d));
  auto r = meshc::testing::lintYaml(
      "apiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata:\n  name: vs\n"
      "  namespace: default\nspec:" +
      spec + "\n");
  meshc::testing::checkFindings(
      r.diagnostics,
      {
          {"schema-type", 7, 3, "expected array, found object at spec.hosts"},
          {"schema-type", 8, 13, "expected array, found integer 5 at spec.gateways"},
          {"schema-type", 10, 12, "expected array, found integer 7 at spec.http[0].match"},
          {"schema-type", 11, 12, "expected array, found string \"x\" at spec.http[0].route"},
          {"schema-type", 12, 5, "expected object, found array at spec.http[0].headers"},
          {"schema-type", 13, 5, "expected object, found array at spec.http[0].corsPolicy"},
          {"schema-type", 14, 12, "expected object, found integer 3 at spec.http[0].fault"},
          {"schema-type", 15, 5, "expected object, found array at spec.http[0].retries"},
          {"schema-type", 16, 15, "expected object, found integer 5 at spec.http[0].redirect"},
          {"schema-type", 17, 14, "expected object, found boolean true at spec.http[0].rewrite"},
          {"schema-type", 18, 5, "expected array, found object at spec.http[0].mirrors"},
          {"schema-type", 19, 5, "expected string, found array at spec.http[0].timeout"},
          {"schema-type", 20, 13, "expected object, found null at spec.http[1].match[0]"},
          {"schema-type", 20, 19, "expected object, found integer 3 at spec.http[1].match[1]"},
          {"schema-type", 20, 22, "expected object, found array at spec.http[1].match[2]"},
          {"schema-type", 21, 13, "expected object, found integer 3 at spec.http[1].route[0]"},
          {"schema-type", 21, 16, "expected object, found array at spec.http[1].route[1]"},
          {"schema-type", 22, 3, "expected array, found object at spec.tcp"},
          {"schema-type", 23, 9, "expected object, found integer 3 at spec.tls[0]"},
          {"schema-type", 23, 20, "expected array, found integer 4 at spec.tls[1].match"},
          {"schema-type", 23, 30, "expected array, found integer 5 at spec.tls[1].route"},
          {"schema-type", 24, 13, "expected array, found integer 3 at spec.exportTo"},
      });
  auto spec_null = vs(" null");
  CHECK(hasId(spec_null, "vs-no-routes"));
}
