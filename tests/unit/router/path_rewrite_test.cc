// rewritePath() and CompiledRouteActions (PROXY-SEMANTICS R3.12-R3.14): prefix rewrite is string
// splicing over the matched part; regex rewrite is RE2 replace-all over the path without query.
#include <catch2/catch.hpp>
#include <string>

#include "router/compiled_route_actions.h"
#include "router/route_actions.h"

namespace meshc::router {
namespace {

using Kind = xds::PathMatcher::Kind;

xds::Route prefixRewrite(Kind kind, std::string match, std::string rewrite) {
  xds::Route r;
  r.name = "rw";
  r.match.path = {kind, std::move(match)};
  r.route.prefix_rewrite = std::move(rewrite);
  return r;
}

xds::Route regexRewrite(std::string pattern, std::string substitution) {
  xds::Route r;
  r.name = "rx";
  r.match.path = {Kind::kPrefix, "/"};
  r.route.regex_rewrite = std::make_pair(std::move(pattern), std::move(substitution));
  return r;
}

TEST_CASE("prefix rewrite: the matched prefix is replaced by plain string splicing (R3.12)",
          "[router][rewrite]") {
  CHECK(rewritePath(prefixRewrite(Kind::kPrefix, "/api", "/"), "/api/users") == "//users");
  CHECK(rewritePath(prefixRewrite(Kind::kPrefix, "/api/", "/"), "/api/users") == "/users");
  CHECK(rewritePath(prefixRewrite(Kind::kPrefix, "/api", "/v1"), "/apix") == "/v1x");
  CHECK(rewritePath(prefixRewrite(Kind::kPrefix, "/api", "/v1"), "/api/x?y=1") == "/v1/x?y=1");
  CHECK(rewritePath(prefixRewrite(Kind::kPrefix, "/api/", "/v2/"), "/api/") == "/v2/");
}

TEST_CASE("prefix rewrite without a uri match replaces the leading slash (R3.12)",
          "[router][rewrite]") {
  CHECK(rewritePath(prefixRewrite(Kind::kPrefix, "/", "/v2/"), "/foo") == "/v2/foo");
  CHECK(rewritePath(prefixRewrite(Kind::kPrefix, "/", "/v2"), "/foo") == "/v2foo");
}

TEST_CASE(
    "prefix rewrite after an exact or regex match replaces the whole path, keeping the "
    "query (R3.12)",
    "[router][rewrite]") {
  CHECK(rewritePath(prefixRewrite(Kind::kPath, "/old", "/new"), "/old?x=1") == "/new?x=1");
  CHECK(rewritePath(prefixRewrite(Kind::kPath, "/old", "/new"), "/old") == "/new");
  CHECK(rewritePath(prefixRewrite(Kind::kSafeRegex, "/items/[0-9]+", "/item"), "/items/42?x") ==
        "/item?x");
}

TEST_CASE("prefix rewrite after a case-insensitive match replaces len(prefix) bytes (R3.12)",
          "[router][rewrite]") {
  xds::Route r = prefixRewrite(Kind::kPrefix, "/API", "/v1/");
  r.match.case_sensitive = false;
  CHECK(rewritePath(r, "/api/x") == "/v1//x");
  CHECK(rewritePath(r, "/Api") == "/v1/");
}

TEST_CASE("regex rewrite replaces every match in the path and never touches the query (R3.13)",
          "[router][rewrite]") {
  // route_components.proto RouteAction.regex_rewrite examples.
  CHECK(rewritePath(regexRewrite("one", "two"), "/xxx/one/yyy/one/zzz") == "/xxx/two/yyy/two/zzz");
  CHECK(rewritePath(regexRewrite("^(.*?)one(.*)$", "\\1two\\2"), "/xxx/one/yyy/one/zzz") ==
        "/xxx/two/yyy/one/zzz");
  CHECK(rewritePath(regexRewrite("^/service/([^/]+)(/.*)$", "\\2/instance/\\1"),
                    "/service/foo/v1/api") == "/v1/api/instance/foo");
  CHECK(rewritePath(regexRewrite("/a/", "/b/"), "/a/x/a/y?q=/a/") == "/b/x/b/y?q=/a/");
}

TEST_CASE("regex rewrite that leaves nothing keeps the path (R3.13)", "[router][rewrite]") {
  CHECK(rewritePath(regexRewrite("^.*$", ""), "/abc") == "/abc");
}

TEST_CASE("regex rewrite wins over a prefix rewrite, no rewrite leaves the path (R3.13 R3.12)",
          "[router][rewrite]") {
  xds::Route both = regexRewrite("^/a", "/z");
  both.route.prefix_rewrite = "/p";
  CHECK(rewritePath(both, "/a/b") == "/z/b");
  xds::Route none;
  CHECK(rewritePath(none, "/a/./b?c") == "/a/./b?c");  // not re-normalised either (R3.14)
}

TEST_CASE("CompiledRouteActions: compiled once, the same answers as compiling per call (R3.13)",
          "[router][rewrite]") {
  xds::ProxyConfig config;
  xds::RouteConfiguration rc;
  rc.name = "80";
  xds::VirtualHost vh;
  vh.name = "vh";
  vh.routes = {regexRewrite("^/svc/([^/]+)/(.*)$", "/\\2/\\1"),
               prefixRewrite(Kind::kPrefix, "/api", "/v1")};
  rc.virtual_hosts.push_back(vh);
  config.route_configs.push_back(rc);
  Expected<CompiledRouteActions> compiled = CompiledRouteActions::create(config);
  REQUIRE(compiled.hasValue());
  const std::vector<xds::Route>& routes = config.route_configs[0].virtual_hosts[0].routes;
  CHECK(compiled->regexRewrite(routes[0]) != nullptr);
  CHECK(compiled->regexRewrite(routes[1]) == nullptr);
  CHECK(rewritePath(routes[0], "/svc/foo/bar/baz?x", &*compiled) == "/bar/baz/foo?x");
  CHECK(rewritePath(routes[1], "/api/x", &*compiled) == "/v1/x");
  // A route it was not built from is compiled on the fly.
  xds::Route other = regexRewrite("b", "c");
  CHECK(compiled->regexRewrite(other) == nullptr);
  CHECK(rewritePath(other, "/abb", &*compiled) == "/acc");
}

TEST_CASE("CompiledRouteActions: a pattern RE2 refuses fails creation, naming the route",
          "[router][rewrite]") {
  std::vector<xds::Route> routes = {regexRewrite("(unclosed", "x")};
  routes[0].name = "bad-route";
  Expected<CompiledRouteActions> compiled = CompiledRouteActions::create(routes);
  REQUIRE_FALSE(compiled.hasValue());
  CHECK(compiled.status().code() == StatusCode::kInvalidArgument);
  CHECK(compiled.status().message().find("bad-route") != std::string::npos);
  CHECK(compiled.status().message().find("(unclosed") != std::string::npos);
  // Without a compiled object the path is left alone, as Envoy never runs such a route.
  CHECK(rewritePath(routes[0], "/a") == "/a");
}

}  // namespace
}  // namespace meshc::router
