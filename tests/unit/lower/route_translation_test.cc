// Tests for names, VirtualService indexing/delegation and route translation
// (SEMANTICS 1.2-1.13, 2.1-2.3, 3.1-3.8, 4.1, 4.4, 6.4-6.6, 7.1).
#include "lower/route_translation.h"

#include <catch2/catch.hpp>

#include "lower/names.h"
#include "lower/vs_index.h"
#include "model/model_test_util.h"

namespace {

using namespace meshc;
using namespace meshc::lower;

model::ConfigSet loadConfig(const std::string& yaml) {
  testing::Loaded l(yaml);
  return testing::buildModel(l);
}

// A VS named `vs` in namespace `default`, bound to the mesh, with the given http rules.
std::string vsYaml(const std::string& http, const std::string& extra = "") {
  return "apiVersion: networking.istio.io/v1\nkind: VirtualService\n"
         "metadata: {name: vs, namespace: default}\nspec:\n  hosts: [reviews]\n" +
         extra + "  http:\n" + http;
}

RouteContext meshContext(uint32_t port = 80) {
  RouteContext ctx;
  ctx.proxy_namespace = "default";
  ctx.proxy_labels = {{"app", "client"}};
  ctx.gateways = {"mesh"};
  ctx.port = port;
  return ctx;
}

std::vector<Route> routesFor(const std::string& yaml, const RouteContext& ctx) {
  model::ConfigSet cs = loadConfig(yaml);
  VirtualServiceIndex index(cs);
  REQUIRE(index.all().size() == 1);
  return buildHttpRoutesForVirtualService(index.all()[0], ctx);
}

const HeaderMatcher* findHeader(const RouteMatch& m, std::string_view name) {
  for (const HeaderMatcher& h : m.headers) {
    if (h.name == name) {
      return &h;
    }
  }
  return nullptr;
}

}  // namespace

// --- Names (2.1-2.3, 3.8) ------------------------------------------------------------------------

TEST_CASE("names: only dot-free names are expanded, in the config namespace (SEMANTICS 2.1, 9.1)",
          "[lower-route]") {
  CHECK(resolveShortName("reviews", "prod", "cluster.local") == "reviews.prod.svc.cluster.local");
  CHECK(resolveShortName("reviews.prod", "default", "cluster.local") == "reviews.prod");
  CHECK(resolveShortName("*", "default", "cluster.local") == "*");
  CHECK(resolveShortName("10.0.0.1", "default", "cluster.local") == "10.0.0.1");
  CHECK(resolveShortName("::1", "default", "cluster.local") == "::1");
  CHECK(resolveShortName("reviews", "default", "") == "reviews.default");
}

TEST_CASE("names: gateway references resolve to ns/name (SEMANTICS 2.2)", "[lower-route]") {
  CHECK(resolveGatewayName("mesh", "default") == "mesh");
  CHECK(resolveGatewayName("gw", "default") == "default/gw");
  CHECK(resolveGatewayName("./gw", "default") == "default/gw");
  CHECK(resolveGatewayName("istio-system/gw", "default") == "istio-system/gw");
  CHECK(resolveGatewayName("gw.istio-system.svc.cluster.local", "default") == "istio-system/gw");
  CHECK(resolveGatewayName("gw.istio-system", "default") == "istio-system/gw");
}

TEST_CASE("names: host intersection keeps the narrower side of each pair (SEMANTICS 2.3)",
          "[lower-route]") {
  CHECK(hostIntersection({"*.example.com"}, {"a.example.com"}) ==
        std::vector<std::string>{"a.example.com"});
  CHECK(hostIntersection({"a.example.com"}, {"*.example.com"}) ==
        std::vector<std::string>{"a.example.com"});
  CHECK(hostIntersection({"*"}, {"*.example.com"}) == std::vector<std::string>{"*.example.com"});
  CHECK(hostIntersection({"*.example.com"}, {"example.com"}).empty());
  CHECK(hostIntersection({"*", "a.com"}, {"a.com"}) == std::vector<std::string>{"a.com"});
}

TEST_CASE(
    "names: MoreSpecific puts concrete before wildcard, then longer, then lexical "
    "(SEMANTICS 2.3)",
    "[lower-route]") {
  CHECK(moreSpecificHost("a.com", "*.a.com"));
  CHECK_FALSE(moreSpecificHost("*.a.com", "a.com"));
  CHECK(moreSpecificHost("*.b.a.com", "*.a.com"));
  CHECK(moreSpecificHost("a.com", "b.com"));
}

TEST_CASE(
    "names: MostSpecificHostMatch prefers exact, then the longest covering wildcard "
    "(SEMANTICS 2.3)",
    "[lower-route]") {
  std::vector<std::string> hosts = {"*", "*.com", "*.example.com", "a.example.com"};
  CHECK(mostSpecificHostMatch("a.example.com", hosts) == 3u);
  CHECK(mostSpecificHostMatch("b.example.com", hosts) == 2u);
  CHECK(mostSpecificHostMatch("x.org", hosts) == 0u);
  CHECK(mostSpecificHostMatch("*.foo.example.com", hosts) == 2u);
  CHECK_FALSE(mostSpecificHostMatch("x.org", {"*.com"}).has_value());
}

TEST_CASE("names: cluster names use outbound|PORT|SUBSET|HOST and the SNI form (SEMANTICS 3.8)",
          "[lower-route]") {
  CHECK(outboundClusterName(9080, "", "reviews.default.svc.cluster.local") ==
        "outbound|9080||reviews.default.svc.cluster.local");
  CHECK(outboundClusterName(80, "v1", "a") == "outbound|80|v1|a");
  CHECK(dnsSrvClusterName(80, "v1", "a") == "outbound_.80_.v1_.a");
}

// --- Destination → cluster (3.8) -----------------------------------------------------------------

TEST_CASE(
    "destination cluster: explicit port, else the service's single port, else the listener "
    "port (SEMANTICS 3.8)",
    "[lower-route]") {
  ServiceLookup lookup = [](std::string_view host) -> std::optional<DestinationService> {
    if (host == "one.default.svc.cluster.local") {
      return DestinationService{"one.default.svc.cluster.local", {9080}};
    }
    if (host == "two.default.svc.cluster.local") {
      return DestinationService{"two.default.svc.cluster.local", {80, 9090}};
    }
    if (host == "alias.default.svc.cluster.local") {
      return DestinationService{"real.example.com", {443}};
    }
    return std::nullopt;
  };
  model::Destination d;
  d.host = "one.default.svc.cluster.local";
  CHECK(destinationCluster(d, 80, lookup) == "outbound|9080||one.default.svc.cluster.local");
  d.port = 7000;
  CHECK(destinationCluster(d, 80, lookup) == "outbound|7000||one.default.svc.cluster.local");
  d.port.reset();
  d.host = "two.default.svc.cluster.local";
  d.subset = "v2";
  CHECK(destinationCluster(d, 8080, lookup) == "outbound|8080|v2|two.default.svc.cluster.local");
  d.host = "unknown.example.com";
  d.subset.clear();
  CHECK(destinationCluster(d, 8080, lookup) == "outbound|8080||unknown.example.com");
  d.host = "alias.default.svc.cluster.local";
  CHECK(destinationCluster(d, 80, lookup) == "outbound|443||real.example.com");
  d.host.clear();
  CHECK(destinationCluster(d, 80, lookup) == "UnknownService");
  CHECK(destinationCluster(model::Destination{"x", "", std::nullopt, {}}, 81, nullptr) ==
        "outbound|81||x");
}

// --- Route names and match translation (1.2, 3.3-3.5)
// ----------------------------------------------

TEST_CASE(
    "route names: rule name, rule.match name, and .match when the rule is unnamed "
    "(SEMANTICS 1.2)",
    "[lower-route]") {
  std::vector<Route> routes = routesFor(vsYaml(R"(  - name: r1
    match:
    - name: m1
      uri: {prefix: /a}
    - uri: {prefix: /b}
    route: [{destination: {host: reviews}}]
  - match:
    - name: m2
      uri: {prefix: /c}
    route: [{destination: {host: reviews}}]
)"),
                                        meshContext());
  REQUIRE(routes.size() == 3);
  CHECK(routes[0].name == "r1.m1");
  CHECK(routes[1].name == "r1");
  CHECK(routes[2].name == ".m2");
}

TEST_CASE(
    "match translation: headers sorted by name, then :method, :authority, :scheme "
    "(SEMANTICS 1.3, 3.3)",
    "[lower-route]") {
  std::vector<Route> routes = routesFor(vsYaml(R"(  - match:
    - headers:
        zeta: {exact: z}
        alpha: {prefix: a}
        Mid: {regex: "m.*"}
      method: {exact: GET}
      authority: {prefix: api}
      scheme: {exact: https}
    route: [{destination: {host: reviews}}]
)"),
                                        meshContext());
  REQUIRE(routes.size() == 1);
  const std::vector<HeaderMatcher>& h = routes[0].match.headers;
  REQUIRE(h.size() == 6);
  // "Mid" sorts before "alpha" (byte order of the names as written) and is lower-cased.
  CHECK(h[0].name == "mid");
  CHECK(h[0].string_match->kind == StringMatcher::Kind::kRegex);
  CHECK(h[1].name == "alpha");
  CHECK(h[1].string_match->kind == StringMatcher::Kind::kPrefix);
  CHECK(h[2].name == "zeta");
  CHECK(h[3].name == ":method");
  CHECK(h[4].name == ":authority");
  CHECK(h[5].name == ":scheme");
  CHECK(routes[0].match.path.kind == PathMatcher::Kind::kPrefix);
  CHECK(routes[0].match.path.value == "/");
}

TEST_CASE("match translation: presence and withoutHeaders follow the truth table (SEMANTICS 3.4)",
          "[lower-route]") {
  std::vector<Route> routes = routesFor(vsYaml(R"(  - match:
    - headers:
        p1: {}
        p2: {regex: "*"}
        e: {exact: ""}
      withoutHeaders:
        w1: {}
        w2: {exact: foo}
    route: [{destination: {host: reviews}}]
)"),
                                        meshContext());
  REQUIRE(routes.size() == 1);
  const RouteMatch& m = routes[0].match;
  const HeaderMatcher* p1 = findHeader(m, "p1");
  const HeaderMatcher* p2 = findHeader(m, "p2");
  const HeaderMatcher* e = findHeader(m, "e");
  const HeaderMatcher* w1 = findHeader(m, "w1");
  const HeaderMatcher* w2 = findHeader(m, "w2");
  REQUIRE((p1 && p2 && e && w1 && w2));
  CHECK(p1->present_match);
  CHECK(p2->present_match);  // regex "*" is presence, not "any string"
  CHECK_FALSE(e->present_match);
  CHECK(e->string_match->kind == StringMatcher::Kind::kExact);
  CHECK(e->string_match->value.empty());
  CHECK(w1->present_match);
  CHECK(w1->invert_match);
  CHECK_FALSE(w1->treat_missing_header_as_empty);  // conflicts with present_match
  CHECK(w2->invert_match);
  CHECK(w2->treat_missing_header_as_empty);
  CHECK_FALSE(isCatchAllRoute(routes[0]));
}

TEST_CASE("match translation: query parameters (presence, exact, regex) (SEMANTICS 3.5)",
          "[lower-route]") {
  std::vector<Route> routes = routesFor(vsYaml(R"(  - match:
    - queryParams:
        q: {exact: ""}
        a: {}
        r: {regex: "v[0-9]+"}
    route: [{destination: {host: reviews}}]
)"),
                                        meshContext());
  REQUIRE(routes.size() == 1);
  const auto& q = routes[0].match.query_parameters;
  REQUIRE(q.size() == 3);
  CHECK(q[0].name == "a");
  CHECK(q[0].present_match);
  CHECK(q[1].name == "q");
  CHECK(q[1].string_match->kind == StringMatcher::Kind::kExact);
  CHECK(q[2].string_match->kind == StringMatcher::Kind::kRegex);
  CHECK_FALSE(isCatchAllRoute(routes[0]));
}

TEST_CASE(
    "match translation: @request.auth.claims keys become claim matchers, not headers "
    "(SEMANTICS 1.3)",
    "[lower-route]") {
  std::vector<Route> routes = routesFor(vsYaml(R"(  - match:
    - headers:
        "@request.auth.claims.group.id": {exact: admins}
        "@request.auth.claims[iss]": {prefix: https}
      withoutHeaders:
        "@request.auth.claims.banned": {}
    route: [{destination: {host: reviews}}]
)"),
                                        meshContext());
  REQUIRE(routes.size() == 1);
  const RouteMatch& m = routes[0].match;
  CHECK(m.headers.empty());
  REQUIRE(m.claims.size() == 3);
  CHECK(m.claims[0].claim_path == std::vector<std::string>{"banned"});
  CHECK(m.claims[0].invert);
  CHECK_FALSE(m.claims[0].string_match.has_value());
  CHECK(m.claims[1].claim_path == std::vector<std::string>{"group", "id"});
  CHECK(m.claims[1].string_match->value == "admins");
  CHECK(m.claims[2].claim_path == std::vector<std::string>{"iss"});
  CHECK(parseJwtClaimKey("@request.auth.claims") == std::nullopt);
  CHECK(parseJwtClaimKey("x-claims") == std::nullopt);
  // A claim matcher keeps a prefix-/ route from being a catch-all.
  CHECK_FALSE(isCatchAllRoute(routes[0]));
}

TEST_CASE("match translation: uri exact/prefix/regex and ignoreUriCase (SEMANTICS 1.3, 3.2)",
          "[lower-route]") {
  std::vector<Route> routes = routesFor(vsYaml(R"(  - match:
    - uri: {exact: /exact}
    - uri: {prefix: /pre}
      ignoreUriCase: true
    - uri: {regex: "/re/[0-9]+"}
    route: [{destination: {host: reviews}}]
)"),
                                        meshContext());
  REQUIRE(routes.size() == 3);
  CHECK(routes[0].match.path.kind == PathMatcher::Kind::kPath);
  CHECK(routes[0].match.path.value == "/exact");
  CHECK(routes[0].match.case_sensitive);
  CHECK(routes[1].match.path.kind == PathMatcher::Kind::kPrefix);
  CHECK_FALSE(routes[1].match.case_sensitive);
  CHECK(routes[2].match.path.kind == PathMatcher::Kind::kSafeRegex);
}

// --- Static filters and catch-all truncation (3.1, 1.3, 9.5, 9.6)
// ---------------------------------

TEST_CASE("catch-all: everything after a rule without matches is discarded (SEMANTICS 3.1, 9.5)",
          "[lower-route]") {
  std::vector<Route> routes = routesFor(vsYaml(R"(  - match: [{uri: {prefix: /a}}]
    route: [{destination: {host: reviews}}]
  - route: [{destination: {host: reviews}}]
  - match: [{uri: {prefix: /never}}]
    route: [{destination: {host: reviews}}]
)"),
                                        meshContext());
  REQUIRE(routes.size() == 2);
  CHECK(routes[1].match.path.value == "/");
  CHECK(isCatchAllRoute(routes[1]));
}

TEST_CASE(
    "catch-all: a prefix-/ match entry stops the rest of its rule and of the VS "
    "(SEMANTICS 3.1, 9.5)",
    "[lower-route]") {
  std::vector<Route> routes = routesFor(vsYaml(R"(  - match:
    - uri: {prefix: /}
    - uri: {prefix: /later}
    route: [{destination: {host: reviews}}]
  - match: [{uri: {regex: ".*"}}]
    route: [{destination: {host: reviews}}]
)"),
                                        meshContext());
  REQUIRE(routes.size() == 1);
  CHECK(routes[0].source.match_index == 0);
}

TEST_CASE(
    "catch-all: regex .* without headers is a catch-all, with a header it is not "
    "(SEMANTICS 3.1)",
    "[lower-route]") {
  std::vector<Route> routes = routesFor(vsYaml(R"(  - match:
    - uri: {regex: ".*"}
      headers: {x: {exact: y}}
    - uri: {regex: ".*"}
    - uri: {prefix: /after}
    route: [{destination: {host: reviews}}]
)"),
                                        meshContext());
  REQUIRE(routes.size() == 2);
  CHECK_FALSE(isCatchAllRoute(routes[0]));
  CHECK(isCatchAllRoute(routes[1]));
}

TEST_CASE("static filters: match.port must equal the port routes are built for (SEMANTICS 1.3)",
          "[lower-route]") {
  std::string yaml = vsYaml(R"(  - match:
    - uri: {prefix: /p8080}
      port: 8080
    - uri: {prefix: /any}
    route: [{destination: {host: reviews}}]
)");
  std::vector<Route> on80 = routesFor(yaml, meshContext(80));
  REQUIRE(on80.size() == 1);
  CHECK(on80[0].match.path.value == "/any");
  CHECK(on80[0].source.match_index == 1);
  std::vector<Route> on8080 = routesFor(yaml, meshContext(8080));
  CHECK(on8080.size() == 2);
}

TEST_CASE(
    "static filters: match.gateways short-circuits sourceLabels and sourceNamespace "
    "(SEMANTICS 1.3, 9.6)",
    "[lower-route]") {
  std::string yaml = vsYaml(R"(  - match:
    - uri: {prefix: /gw}
      gateways: [mesh]
      sourceLabels: {app: nobody}
      sourceNamespace: elsewhere
    - uri: {prefix: /labels}
      sourceLabels: {app: client}
    - uri: {prefix: /wrong-labels}
      sourceLabels: {app: other}
    - uri: {prefix: /wrong-ns}
      sourceNamespace: other
    - uri: {prefix: /other-gw}
      gateways: [istio-system/gw]
    route: [{destination: {host: reviews}}]
)");
  std::vector<Route> routes = routesFor(yaml, meshContext());
  REQUIRE(routes.size() == 2);
  CHECK(routes[0].match.path.value == "/gw");
  CHECK(routes[1].match.path.value == "/labels");
}

TEST_CASE(
    "static filters: a VS whose entries all fail has no routes on this port "
    "(SEMANTICS 3.1)",
    "[lower-route]") {
  std::vector<Route> routes = routesFor(vsYaml(R"(  - match: [{port: 9000}]
    route: [{destination: {host: reviews}}]
)"),
                                        meshContext(80));
  CHECK(routes.empty());
}

// --- Redirect, direct response, rewrite (1.6-1.8)
// -------------------------------------------------

TEST_CASE(
    "redirect: unsupported codes such as 305 leave the route without an action "
    "(SEMANTICS 1.6)",
    "[lower-route]") {
  std::vector<Route> routes = routesFor(vsYaml(R"(  - match: [{uri: {prefix: /a}}]
    redirect: {uri: /new, redirectCode: 305}
  - match: [{uri: {prefix: /b}}]
    redirect: {uri: /new, redirectCode: 308}
  - redirect: {authority: other.com}
)"),
                                        meshContext());
  REQUIRE(routes.size() == 3);
  CHECK(routes[0].action == Route::ActionKind::kNone);
  CHECK(routes[1].action == Route::ActionKind::kRedirect);
  CHECK(routes[1].redirect.response_code == 308);
  CHECK(routes[1].redirect.path_redirect == "/new");
  CHECK(routes[2].redirect.response_code == 301);
  CHECK(routes[2].redirect.host_redirect == "other.com");
}

TEST_CASE(
    "redirect: FROM_REQUEST_PORT uses the built-for port, default ports are dropped per "
    "scheme (SEMANTICS 1.6, 6.1)",
    "[lower-route]") {
  std::string yaml = vsYaml(R"(  - match: [{uri: {prefix: /derive}}]
    redirect: {uri: /x, derivePort: FROM_REQUEST_PORT}
  - match: [{uri: {prefix: /explicit}}]
    redirect: {uri: /x, port: 443, scheme: https}
  - match: [{uri: {prefix: /explicit-other}}]
    redirect: {uri: /x, port: 8443, scheme: https}
  - match: [{uri: {prefix: /default}}]
    redirect: {uri: /x, derivePort: FROM_PROTOCOL_DEFAULT}
)");
  std::vector<Route> on80 = routesFor(yaml, meshContext(80));
  REQUIRE(on80.size() == 4);
  CHECK(on80[0].redirect.port_redirect == 0);  // 80 with http is implicit
  CHECK(on80[1].redirect.port_redirect == 0);  // 443 with https is implicit
  CHECK(on80[1].redirect.scheme_redirect == "https");
  CHECK(on80[2].redirect.port_redirect == 8443);
  CHECK(on80[3].redirect.port_redirect == 0);
  std::vector<Route> on8080 = routesFor(yaml, meshContext(8080));
  CHECK(on8080[0].redirect.port_redirect == 8080);
  // On a TLS server the default scheme for the check is https, so 443 is dropped.
  RouteContext tls = meshContext(443);
  tls.tls = true;
  CHECK(routesFor(yaml, tls)[0].redirect.port_redirect == 0);
  CHECK(routesFor(yaml, meshContext(443))[0].redirect.port_redirect == 443);
}

TEST_CASE("direct response: status and body, route header ops still apply (SEMANTICS 1.7, 1.12)",
          "[lower-route]") {
  std::vector<Route> routes = routesFor(vsYaml(R"(  - directResponse:
      status: 503
      body: {string: "down"}
    headers:
      response:
        set: {x-why: maintenance}
)"),
                                        meshContext());
  REQUIRE(routes.size() == 1);
  CHECK(routes[0].action == Route::ActionKind::kDirectResponse);
  CHECK(routes[0].direct_response.status == 503);
  CHECK(routes[0].direct_response.body == "down");
  REQUIRE(routes[0].headers.response_headers_to_add.size() == 1);
  CHECK(routes[0].headers.response_headers_to_add[0].key == "x-why");
}

TEST_CASE(
    "rewrite: uri → prefix_rewrite, uriRegexRewrite → regex_rewrite, authority → host "
    "(SEMANTICS 1.8)",
    "[lower-route]") {
  std::vector<Route> routes = routesFor(vsYaml(R"yaml(  - match: [{uri: {prefix: /a}}]
    rewrite: {uri: /v2, authority: new.host}
    route: [{destination: {host: reviews}}]
  - match: [{uri: {prefix: /b}}]
    rewrite:
      uriRegexRewrite: {match: "^/b/(.*)", rewrite: "/\\1"}
    route: [{destination: {host: reviews}}]
)yaml"),
                                        meshContext());
  REQUIRE(routes.size() == 2);
  CHECK(routes[0].route.prefix_rewrite == "/v2");
  CHECK(routes[0].route.host_rewrite == "new.host");
  REQUIRE(routes[1].route.regex_rewrite.has_value());
  CHECK(routes[1].route.regex_rewrite->first == "^/b/(.*)");
  CHECK(routes[1].route.prefix_rewrite.empty());
}

// --- Headers and authority precedence (1.12)
// -------------------------------------------------------

TEST_CASE(
    "headers: set ops sorted, then add ops, host and pseudo headers dropped "
    "(SEMANTICS 1.12)",
    "[lower-route]") {
  std::vector<Route> routes = routesFor(vsYaml(R"(  - route: [{destination: {host: reviews}}]
    headers:
      request:
        set: {zz: "1", aa: "2", host: h.example, ":path": /x}
        add: {mm: "3"}
        remove: [x-remove, ":authority", Host]
)"),
                                        meshContext());
  REQUIRE(routes.size() == 1);
  const auto& add = routes[0].headers.request_headers_to_add;
  REQUIRE(add.size() == 3);
  CHECK(add[0].key == "aa");
  CHECK(add[1].key == "zz");
  CHECK(add[1].append == HeaderValueOption::Append::kOverwriteIfExistsOrAdd);
  CHECK(add[2].key == "mm");
  CHECK(add[2].append == HeaderValueOption::Append::kAppendIfExistsOrAdd);
  CHECK(routes[0].headers.request_headers_to_remove == std::vector<std::string>{"x-remove"});
  CHECK(routes[0].route.host_rewrite == "h.example");
}

TEST_CASE(
    "headers: rewrite.authority beats a host header set, which beats add "
    "(SEMANTICS 1.12)",
    "[lower-route]") {
  model::Headers h;
  h.request.set = {{":authority", "from-set"}};
  h.request.add = {{"host", "from-add"}};
  std::string authority;
  translateHeaderOperations(h, &authority);
  CHECK(authority == "from-set");
  h.request.set.clear();
  translateHeaderOperations(h, &authority);
  CHECK(authority == "from-add");

  std::vector<Route> routes = routesFor(vsYaml(R"(  - route: [{destination: {host: reviews}}]
    rewrite: {authority: from-rewrite}
    headers:
      request:
        set: {host: from-set}
)"),
                                        meshContext());
  CHECK(routes[0].route.host_rewrite == "from-rewrite");
}

TEST_CASE(
    "headers: a single destination's authority applies only without a route-level one, "
    "weighted destinations keep theirs (SEMANTICS 1.12)",
    "[lower-route]") {
  std::vector<Route> routes = routesFor(vsYaml(R"(  - match: [{uri: {prefix: /single}}]
    route:
    - destination: {host: reviews}
      headers:
        request: {set: {host: dest.host, x-dest: "1"}}
  - match: [{uri: {prefix: /both}}]
    headers:
      request: {set: {host: route.host}}
    route:
    - destination: {host: reviews}
      headers:
        request: {set: {host: dest.host}}
  - route:
    - destination: {host: reviews, subset: v1}
      weight: 70
      headers:
        request: {set: {host: v1.host}}
    - destination: {host: reviews, subset: v2}
      weight: 30
)"),
                                        meshContext());
  REQUIRE(routes.size() == 3);
  CHECK(routes[0].route.host_rewrite == "dest.host");
  REQUIRE(routes[0].headers.request_headers_to_add.size() == 1);
  CHECK(routes[0].headers.request_headers_to_add[0].key == "x-dest");
  CHECK(routes[1].route.host_rewrite == "route.host");
  REQUIRE(routes[2].route.weighted.size() == 2);
  CHECK(routes[2].route.weighted[0].host_rewrite == "v1.host");
  CHECK(routes[2].route.host_rewrite.empty());
}

// --- Destinations, mirrors (1.5, 1.13)
// --------------------------------------------------------------

TEST_CASE(
    "destinations: one destination is a plain cluster, weight-0 entries are dropped from "
    "weighted clusters (SEMANTICS 1.5)",
    "[lower-route]") {
  std::vector<Route> routes = routesFor(vsYaml(R"(  - match: [{uri: {prefix: /one}}]
    route: [{destination: {host: reviews}, weight: 0}]
  - route:
    - destination: {host: reviews, subset: v1}
      weight: 0
    - destination: {host: reviews, subset: v2}
      weight: 3
    - destination: {host: ratings.other.svc.cluster.local, port: {number: 9080}}
      weight: 1
)"),
                                        meshContext(8080));
  REQUIRE(routes.size() == 2);
  CHECK(routes[0].route.cluster == "outbound|8080||reviews.default.svc.cluster.local");
  CHECK(routes[0].route.weighted.empty());
  const auto& w = routes[1].route.weighted;
  REQUIRE(w.size() == 2);
  CHECK(w[0].name == "outbound|8080|v2|reviews.default.svc.cluster.local");
  CHECK(w[0].weight == 3);
  CHECK(w[1].name == "outbound|9080||ratings.other.svc.cluster.local");
  CHECK(routes[1].route.cluster.empty());
}

TEST_CASE(
    "mirrors: absent percentage is 100 %, explicit 0 drops the mirror, Go truncation of "
    "percent x 10000 (SEMANTICS 1.13)",
    "[lower-route]") {
  std::vector<Route> routes = routesFor(vsYaml(R"(  - route: [{destination: {host: reviews}}]
    mirrors:
    - destination: {host: m1}
    - destination: {host: m2}
      percentage: {value: 0}
    - destination: {host: m3}
      percentage: {value: 0.57}
    - destination: {host: m4, port: {number: 9000}}
      percentage: {value: 0.5}
)"),
                                        meshContext());
  REQUIRE(routes.size() == 1);
  const auto& m = routes[0].route.mirrors;
  REQUIRE(m.size() == 3);
  CHECK(m[0].cluster == "outbound|80||m1.default.svc.cluster.local");
  CHECK(m[0].per_million == 1'000'000);
  CHECK(m[1].per_million == 5699);  // uint32(0.57 * 10000) truncates 5699.999999999999 in Go
  CHECK(m[2].cluster == "outbound|9000||m4.default.svc.cluster.local");
  CHECK(m[2].per_million == 5000);
}

TEST_CASE("mirrors: mirror with mirrorPercentage 0 is not mirrored (SEMANTICS 1.13)",
          "[lower-route]") {
  std::vector<Route> routes = routesFor(vsYaml(R"(  - route: [{destination: {host: reviews}}]
    mirror: {host: shadow}
    mirrorPercentage: {value: 0}
)"),
                                        meshContext());
  CHECK(routes[0].route.mirrors.empty());
}

// --- Retries, faults, timeouts, CORS (6.4-6.6, 1.11)
// -------------------------------------------------

TEST_CASE("retries: the built-in default applies when the VS sets none (SEMANTICS 6.4)",
          "[lower-route]") {
  std::vector<Route> routes =
      routesFor(vsYaml("  - route: [{destination: {host: reviews}}]\n"), meshContext());
  REQUIRE(routes[0].route.retry_policy.has_value());
  const RetryPolicy& r = *routes[0].route.retry_policy;
  CHECK(r.num_retries == 2);
  CHECK(r.retry_on ==
        "connect-failure,refused-stream,unavailable,cancelled,retriable-status-codes");
  CHECK(r.retriable_status_codes.empty());
  CHECK(r.previous_hosts_predicate);
  CHECK(r.host_selection_retry_max_attempts == 5);
  CHECK(routes[0].route.timeout_ns == 0);
}

TEST_CASE(
    "retries: attempts 0 disables, status codes in retryOn become retriable codes "
    "(SEMANTICS 6.4)",
    "[lower-route]") {
  CHECK_FALSE(convertRetryPolicy(model::HttpRetry{}, false).has_value());
  model::HttpRetry in;
  in.attempts = 3;
  in.retry_on = " gateway-error, 503 ,connect-failure,999";
  in.per_try_timeout_ns = 2'000'000'000;
  in.retry_ignore_previous_hosts = false;
  in.retry_remote_localities = true;
  in.backoff_ns = 50'000'000;
  std::optional<RetryPolicy> r = convertRetryPolicy(in, false);
  REQUIRE(r.has_value());
  CHECK(r->num_retries == 3);
  // 999 is not a known HTTP status, so it stays a retry-on token.
  CHECK(r->retry_on == "gateway-error,connect-failure,999,retriable-status-codes");
  CHECK(r->retriable_status_codes == std::vector<uint32_t>{503});
  CHECK(r->per_try_timeout_ns == 2'000'000'000);
  CHECK_FALSE(r->previous_hosts_predicate);
  CHECK(r->previous_priorities);
  CHECK(r->base_interval_ns == 50'000'000);

  model::HttpRetry codes_only;
  codes_only.attempts = 1;
  codes_only.retry_on = "502,503";
  CHECK(convertRetryPolicy(codes_only, false)->retry_on == ",retriable-status-codes");
  // Consistent hashing drops the previous-hosts predicate from the default.
  CHECK_FALSE(convertRetryPolicy(std::nullopt, true)->previous_hosts_predicate);
}

TEST_CASE("retries and timeout from the VS, redirects carry no retry policy (SEMANTICS 6.4, 6.6)",
          "[lower-route]") {
  std::vector<Route> routes = routesFor(vsYaml(R"(  - match: [{uri: {prefix: /a}}]
    timeout: 1.5s
    retries: {attempts: 0}
    route: [{destination: {host: reviews}}]
  - redirect: {uri: /b}
)"),
                                        meshContext());
  REQUIRE(routes.size() == 2);
  CHECK(routes[0].route.timeout_ns == 1'500'000'000);
  CHECK_FALSE(routes[0].route.retry_policy.has_value());
  CHECK_FALSE(routes[1].route.retry_policy.has_value());
}

TEST_CASE("fault: percentages, deprecated percent, unsupported kinds dropped (SEMANTICS 6.5)",
          "[lower-route]") {
  model::HttpFaultInjection f;
  f.delay = model::HttpFaultInjection::Delay{};
  f.delay->fixed_delay_ns = 5'000'000'000;
  f.delay->percent = 10;
  f.abort = model::HttpFaultInjection::Abort{};
  f.abort->grpc_status = "UNAVAILABLE";
  f.abort->percentage = 50.0;
  std::optional<FaultPolicy> p = translateFault(f);
  REQUIRE(p.has_value());
  CHECK(p->delay_ns == 5'000'000'000);
  CHECK(p->delay_per_million == 100'000);
  CHECK(p->abort_grpc_status == 14u);
  CHECK(p->abort_per_million == 500'000);

  model::HttpFaultInjection unsupported;
  unsupported.delay = model::HttpFaultInjection::Delay{};
  unsupported.delay->exponential = true;
  unsupported.abort = model::HttpFaultInjection::Abort{};
  unsupported.abort->http2_error = true;
  CHECK_FALSE(translateFault(unsupported).has_value());

  model::HttpFaultInjection abort_only;
  abort_only.abort = model::HttpFaultInjection::Abort{};
  abort_only.abort->http_status = 503;
  std::optional<FaultPolicy> a = translateFault(abort_only);
  REQUIRE(a.has_value());
  CHECK(a->abort_http_status == 503u);
  CHECK(a->abort_per_million == 0);  // no percentage: never aborts
  CHECK_FALSE(a->delay_ns.has_value());
}

TEST_CASE(
    "cors: lists joined with commas, max age in whole seconds, IGNORE stops forwarding "
    "preflights (SEMANTICS 1.11)",
    "[lower-route]") {
  std::vector<Route> routes = routesFor(vsYaml(R"(  - route: [{destination: {host: reviews}}]
    corsPolicy:
      allowOrigins: [{exact: "https://a.com"}, {regex: "https://.*\\.b\\.com"}]
      allowMethods: [GET, POST]
      allowHeaders: [x-a, x-b]
      maxAge: 90s
      allowCredentials: true
      unmatchedPreflights: IGNORE
)"),
                                        meshContext());
  REQUIRE(routes[0].cors.has_value());
  const CorsPolicy& c = *routes[0].cors;
  REQUIRE(c.allow_origin.size() == 2);
  CHECK(c.allow_origin[1].kind == StringMatcher::Kind::kRegex);
  CHECK(c.allow_methods == "GET,POST");
  CHECK(c.allow_headers == "x-a,x-b");
  CHECK(c.max_age == "90");
  CHECK(c.allow_credentials == true);
  CHECK_FALSE(c.forward_not_matching_preflights);
}

// --- Route ordering (4.3)
// --------------------------------------------------------------------------

TEST_CASE("sortVHostRoutes moves catch-alls last and keeps the rest in order (SEMANTICS 4.3)",
          "[lower-route]") {
  auto make = [](std::string name, std::string prefix) {
    Route r;
    r.name = std::move(name);
    r.match.path.value = std::move(prefix);
    return r;
  };
  std::vector<Route> routes = {make("all1", "/"), make("a", "/a"), make("all2", "/"),
                               make("b", "/b")};
  sortVHostRoutes(routes);
  CHECK(routes[0].name == "a");
  CHECK(routes[1].name == "b");
  CHECK(routes[2].name == "all1");
  CHECK(routes[3].name == "all2");
}

// --- Index, exportTo and sources (4.1, 4.5)
// -------------------------------------------------------

TEST_CASE(
    "index: candidates are private, then exported-to, then public, each oldest first "
    "(SEMANTICS 4.1, 4.5)",
    "[lower-route]") {
  auto vs = [](std::string name, std::string ns, std::string ts, std::string export_to) {
    return "---\napiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata: {name: " +
           name + ", namespace: " + ns + ", creationTimestamp: \"" + ts + "\"}\nspec:\n" +
           "  hosts: [" + name + ".example.com]\n" + export_to +
           "  http: [{route: [{destination: {host: x}}]}]\n";
  };
  model::ConfigSet cs =
      loadConfig(vs("pub-new", "other", "2024-01-03T00:00:00Z", "") +
                 vs("pub-old", "other", "2024-01-01T00:00:00Z", "  exportTo: [\"*\"]\n") +
                 vs("exported", "other", "2024-01-02T00:00:00Z", "  exportTo: [client]\n") +
                 vs("private", "client", "2024-01-05T00:00:00Z", "  exportTo: [.]\n") +
                 vs("hidden", "client", "2024-01-01T00:00:00Z", "  exportTo: [\"~\"]\n") +
                 vs("elsewhere", "other", "2024-01-01T00:00:00Z", "  exportTo: [.]\n"));
  VirtualServiceIndex index(cs);
  std::vector<const IndexedVirtualService*> c = index.candidates("client", "mesh");
  std::vector<std::string> names;
  for (const IndexedVirtualService* v : c) {
    names.push_back(v->vs.meta.name);
  }
  CHECK(names == std::vector<std::string>{"private", "exported", "pub-old", "pub-new"});
  CHECK(index.candidates("client", "istio-system/gw").empty());
  CHECK(index.candidates("other", "mesh").size() == 3);  // elsewhere (private), pub-old, pub-new
}

TEST_CASE(
    "index: names are resolved in the VS namespace (hosts, destinations, gateways) "
    "(SEMANTICS 2.1, 2.2)",
    "[lower-route]") {
  model::ConfigSet cs = loadConfig(R"(apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: vs, namespace: shop}
spec:
  hosts: [cart, cart.prod]
  gateways: [gw, mesh, ./gw2]
  http:
  - match: [{gateways: [istio-system/ingress]}]
    route: [{destination: {host: backend}}]
    mirror: {host: shadow}
  tcp:
  - route: [{destination: {host: db}}]
)");
  VirtualServiceIndex index(cs);
  REQUIRE(index.all().size() == 1);
  const model::VirtualService& vs = index.all()[0].vs;
  CHECK(vs.hosts == std::vector<std::string>{"cart.shop.svc.cluster.local", "cart.prod"});
  CHECK(vs.gateways == std::vector<std::string>{"shop/gw", "mesh", "shop/gw2"});
  CHECK(vs.http[0].route[0].destination.host == "backend.shop.svc.cluster.local");
  CHECK(vs.http[0].mirrors[0].destination.host == "shadow.shop.svc.cluster.local");
  CHECK(vs.http[0].match[0].gateways == std::vector<std::string>{"istio-system/ingress"});
  CHECK(vs.tcp[0].route[0].destination.host == "db.shop.svc.cluster.local");
  CHECK(index.candidates("shop", "shop/gw").size() == 1);
  CHECK(index.candidates("shop", "mesh").size() == 1);
}

TEST_CASE("route source names the VS, the spec.http index and the match index (SEMANTICS 8.4)",
          "[lower-route]") {
  std::vector<Route> routes =
      routesFor(vsYaml(R"(  - match: [{uri: {prefix: /a}}, {uri: {prefix: /b}}]
    route: [{destination: {host: reviews}}]
  - route: [{destination: {host: reviews}}]
)"),
                meshContext());
  REQUIRE(routes.size() == 3);
  CHECK(routes[1].source.virtual_service == "default/vs");
  CHECK(routes[1].source.http_index == 0);
  CHECK(routes[1].source.match_index == 1);
  CHECK(routes[1].source.loc.valid());
  CHECK(routes[2].source.http_index == 1);
  CHECK(routes[2].source.match_index == -1);
  CHECK(routes[2].source.delegate.empty());
}

// --- Delegation (4.4)
// ------------------------------------------------------------------------------

namespace {

std::string delegateYaml(const std::string& root_http, const std::string& delegate_http,
                         const std::string& delegate_extra = "") {
  return R"(apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: root, namespace: default}
spec:
  hosts: [app.example.com]
  http:
)" + root_http +
         R"(---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: leaf, namespace: team}
spec:
)" + delegate_extra +
         "  http:\n" + delegate_http;
}

}  // namespace

TEST_CASE(
    "delegate: delegate matches merge into the root's, conflicting delegate rules are "
    "dropped (SEMANTICS 4.4)",
    "[lower-route]") {
  model::ConfigSet cs = loadConfig(delegateYaml(R"(  - name: api
    match: [{uri: {prefix: /api}, headers: {x-env: {exact: prod}}}]
    timeout: 3s
    delegate: {name: leaf, namespace: team}
  - route: [{destination: {host: fallback}}]
)",
                                                R"(  - name: v1
    match: [{uri: {prefix: /api/v1}}]
    route: [{destination: {host: v1}}]
  - name: other
    match: [{uri: {prefix: /other}}]
    route: [{destination: {host: other}}]
  - name: rest
    route: [{destination: {host: rest}}]
)"));
  VirtualServiceIndex index(cs);
  REQUIRE(index.all().size() == 1);  // the delegate itself is never indexed
  const IndexedVirtualService& root = index.all()[0];
  REQUIRE(root.vs.http.size() == 3);  // v1, rest, then the root's own fallback
  CHECK(root.vs.http[0].name == "api-v1");
  CHECK(root.vs.http[0].match[0].uri->value == "/api/v1");
  REQUIRE(root.vs.http[0].match[0].headers.size() == 1);  // taken from the root match
  CHECK(root.vs.http[0].timeout_ns == 3'000'000'000);     // inherited from the root
  // Delegate destinations expand in the delegate's namespace.
  CHECK(root.vs.http[0].route[0].destination.host == "v1.team.svc.cluster.local");
  CHECK(root.vs.http[1].name == "api-rest");
  CHECK(root.vs.http[1].match[0].uri->value == "/api");  // no delegate match: the root's
  CHECK(root.http_delegate[0] == "team/leaf");
  CHECK(root.http_delegate[2].empty());
  CHECK(root.vs.http[2].index == 1);
  CHECK(root.vs.http[0].index == 0);
  REQUIRE(index.notes().size() == 1);
  CHECK(index.notes()[0].id == "lower-delegate-conflict");

  RouteContext ctx = meshContext();
  std::vector<Route> routes = buildHttpRoutesForVirtualService(root, ctx);
  REQUIRE(routes.size() == 3);
  CHECK(routes[0].source.delegate == "team/leaf");
  CHECK(routes[0].source.http_index == 0);
}

TEST_CASE(
    "delegate: exact root vs prefix leaf, and regex on either side, conflict "
    "(SEMANTICS 4.4)",
    "[lower-route]") {
  model::HttpRoute root;
  root.match.resize(1);
  root.match[0].uri = model::StringMatch{model::StringMatch::Kind::kExact, "/a"};
  model::HttpRoute leaf;
  leaf.match.resize(1);
  leaf.match[0].uri = model::StringMatch{model::StringMatch::Kind::kPrefix, "/a"};
  CHECK(mergeDelegateHttpRoutes(root, {leaf}).empty());
  leaf.match[0].uri = model::StringMatch{model::StringMatch::Kind::kExact, "/a"};
  CHECK(mergeDelegateHttpRoutes(root, {leaf}).size() == 1);
  root.match[0].uri = model::StringMatch{model::StringMatch::Kind::kRegex, "/a.*"};
  CHECK(mergeDelegateHttpRoutes(root, {leaf}).empty());
  root.match[0].uri.reset();
  leaf.match[0].uri = model::StringMatch{model::StringMatch::Kind::kRegex, "/a.*"};
  CHECK(mergeDelegateHttpRoutes(root, {leaf}).size() == 1);  // root side unset: no conflict
  // ignoreUriCase must agree; ports must agree when both are set.
  root.match[0].ignore_uri_case = true;
  CHECK(mergeDelegateHttpRoutes(root, {leaf}).empty());
  root.match[0].ignore_uri_case = false;
  root.match[0].port = 80;
  leaf.match[0].port = 8080;
  CHECK(mergeDelegateHttpRoutes(root, {leaf}).empty());
}

TEST_CASE(
    "delegate: a missing or unexported delegate drops only that root rule "
    "(SEMANTICS 4.4)",
    "[lower-route]") {
  std::string root_http = R"(  - match: [{uri: {prefix: /api}}]
    delegate: {name: leaf, namespace: team}
  - route: [{destination: {host: fallback}}]
)";
  std::string leaf_http = "  - route: [{destination: {host: v1}}]\n";
  {
    model::ConfigSet cs = loadConfig(delegateYaml(root_http, leaf_http, "  exportTo: [.]\n"));
    VirtualServiceIndex index(cs);
    REQUIRE(index.all().size() == 1);
    CHECK(index.all()[0].vs.http.size() == 1);
    REQUIRE(index.notes().size() == 1);
    CHECK(index.notes()[0].id == "lower-delegate-not-exported");
  }
  {
    model::ConfigSet cs = loadConfig(delegateYaml(root_http, leaf_http, "  exportTo: [default]\n"));
    VirtualServiceIndex index(cs);
    CHECK(index.all()[0].vs.http.size() == 2);
    CHECK(index.notes().empty());
  }
  {
    std::string missing = R"(  - delegate: {name: nope}
  - route: [{destination: {host: fallback}}]
)";
    model::ConfigSet cs = loadConfig(delegateYaml(missing, leaf_http));
    VirtualServiceIndex index(cs);
    CHECK(index.all()[0].vs.http.size() == 1);
    REQUIRE(index.notes().size() == 1);
    CHECK(index.notes()[0].id == "lower-delegate-missing");
  }
}

// --- TCP / TLS helpers (1.5, 7.1, 7.3)
// --------------------------------------------------------------

TEST_CASE(
    "tcp proxy: single destination is a cluster, several are weighted without zeros "
    "(SEMANTICS 1.5, 7.1)",
    "[lower-route]") {
  RouteContext ctx = meshContext(3306);
  model::RouteDestination a;
  a.destination.host = "db.default.svc.cluster.local";
  TcpProxy one = buildTcpProxy({a}, ctx, RouteSource{});
  CHECK(one.cluster == "outbound|3306||db.default.svc.cluster.local");
  model::RouteDestination b = a;
  b.destination.subset = "replica";
  b.weight = 0;
  model::RouteDestination c = a;
  c.destination.port = 3307;
  c.weight = 10;
  a.weight = 90;
  TcpProxy many = buildTcpProxy({a, b, c}, ctx, RouteSource{});
  CHECK(many.cluster.empty());
  REQUIRE(many.weighted.size() == 2);
  CHECK(many.weighted[1].name == "outbound|3307||db.default.svc.cluster.local");
}

TEST_CASE(
    "l4 matches: sidecars AND every attribute, gateways check only port and gateways "
    "(SEMANTICS 7.1, 7.3, 9.6)",
    "[lower-route]") {
  RouteContext ctx = meshContext(9000);
  model::L4MatchAttributes m;
  m.source_labels = {{"app", "other"}};
  CHECK_FALSE(l4MatchApplies(m, ctx, false));
  CHECK(l4MatchApplies(m, ctx, true));
  m.source_labels.clear();
  m.port = 9001;
  CHECK_FALSE(l4MatchApplies(m, ctx, true));
  m.port = 9000;
  m.gateways = {"istio-system/gw"};
  CHECK_FALSE(l4MatchApplies(m, ctx, false));
  ctx.gateways = {"istio-system/gw"};
  CHECK(l4MatchApplies(m, ctx, true));
  model::TlsMatchAttributes t;
  t.source_namespace = "elsewhere";
  CHECK_FALSE(tlsMatchApplies(t, meshContext(), false));
  CHECK(tlsMatchApplies(t, meshContext(), true));
}
