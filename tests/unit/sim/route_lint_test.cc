// Tests for the route-shadowing lint: provable shadowing only, Istio's codes kept where Istio
// reports, static conditions never shadow.
#include <catch2/catch.hpp>

#include "sim/route_lint.h"
#include "test_util.h"

using namespace meshc::frontend;
using meshc::testing::countId;
using meshc::testing::describe;
using meshc::testing::hasId;

namespace {

LintResult lintWithRoutes(const std::string& http) {
  LintOptions o;
  o.extra_checks.push_back(meshc::sim::checkRouteShadowing);
  std::string yaml = "apiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata: {name: s}\n"
                     "spec:\n  hosts: [catalog]\n  http:\n" + http;
  return meshc::testing::lintYaml(yaml, o);
}

}  // namespace

TEST_CASE("an exact path behind a covering prefix with weaker conditions is reported", "[route-lint]") {
  LintResult r = lintWithRoutes(R"(  - match: [{uri: {prefix: /api}}]
    route: [{destination: {host: a}}]
  - match: [{uri: {exact: /api/items}, method: {exact: GET}}]
    route: [{destination: {host: b}}]
)");
  INFO(describe(r.diagnostics));
  REQUIRE(countId(r.diagnostics, "vs-route-shadowed") == 1);
  for (const meshc::Diagnostic& d : r.diagnostics) {
    if (d.id == "vs-route-shadowed") {
      CHECK(d.loc.line == 9);
      REQUIRE(d.notes.size() == 1);
      CHECK(d.notes[0].loc.line == 7);
      CHECK(d.message.find("rule #0") != std::string::npos);
    }
  }
}

TEST_CASE("where Istio reports IST0131 the prefix overlap keeps Istio's code only", "[route-lint]") {
  LintResult r = lintWithRoutes(R"(  - match: [{uri: {prefix: /api}}]
    route: [{destination: {host: a}}]
  - match: [{uri: {prefix: /api/v1}}]
    route: [{destination: {host: b}}]
)");
  INFO(describe(r.diagnostics));
  CHECK(hasId(r.diagnostics, "IST0131"));
  CHECK_FALSE(hasId(r.diagnostics, "vs-route-shadowed"));
}

TEST_CASE("a header condition on the earlier route means no finding", "[route-lint]") {
  LintResult r = lintWithRoutes(R"(  - match: [{uri: {prefix: /api}, headers: {x-beta: {exact: "1"}}}]
    route: [{destination: {host: a}}]
  - match: [{uri: {exact: /api/items}}]
    route: [{destination: {host: b}}]
)");
  INFO(describe(r.diagnostics));
  CHECK_FALSE(hasId(r.diagnostics, "vs-route-shadowed"));
}

TEST_CASE("an earlier match with a port condition never shadows", "[route-lint]") {
  LintResult r = lintWithRoutes(R"(  - match: [{uri: {prefix: /api}, port: 8080}]
    route: [{destination: {host: a}}]
  - match: [{uri: {exact: /api/items}}]
    route: [{destination: {host: b}}]
)");
  INFO(describe(r.diagnostics));
  CHECK_FALSE(hasId(r.diagnostics, "vs-route-shadowed"));
}

TEST_CASE("a regex later route is left alone unless provable", "[route-lint]") {
  LintResult r = lintWithRoutes(R"(  - match: [{uri: {prefix: /api/v1}}]
    route: [{destination: {host: a}}]
  - match: [{uri: {regex: "/api/.*"}}]
    route: [{destination: {host: b}}]
)");
  INFO(describe(r.diagnostics));
  CHECK_FALSE(hasId(r.diagnostics, "vs-route-shadowed"));
}
