// Envoy matching semantics pinned on both evaluators (reference scan and IR interpreter):
// virtual-host lookup (SEMANTICS 2.4) and route matchers (3.2-3.5).
#include "ir_test_util.h"

namespace meshc::ir::testing {
namespace {

lower::RouteConfiguration domainsConfig() {
  return config({
      vhost("exact", {"a.example.com"}, {R::prefix("/")}),
      vhost("suffix-short", {"*.com"}, {R::prefix("/")}),
      vhost("suffix-long", {"*.example.com"}, {R::prefix("/")}),
      vhost("dash", {"*-svc.example.org"}, {R::prefix("/")}),
      vhost("prefix", {"api.*"}, {R::prefix("/")}),
      vhost("prefix-long", {"api.internal.*"}, {R::prefix("/")}),
      vhost("default", {"*"}, {R::prefix("/")}),
  });
}

TEST_CASE("vhost: exact domain beats every wildcard (SEMANTICS 2.4)", "[ir]") {
  CHECK(vhostOf(domainsConfig(), "a.example.com") == 0);
}

TEST_CASE("vhost: the longest suffix wildcard wins regardless of order (SEMANTICS 2.4)", "[ir]") {
  CHECK(vhostOf(domainsConfig(), "b.example.com") == 2);
  CHECK(vhostOf(domainsConfig(), "b.other.com") == 1);
}

TEST_CASE("vhost: the wildcard part must be non-empty (SEMANTICS 2.4)", "[ir]") {
  // "*.example.com" does not take ".example.com"; "*.com" does (its '*' stands for "example").
  CHECK(vhostOf(domainsConfig(), ".example.com") == 1);
  // "*.com" does not take ".com": falls through to "*".
  CHECK(vhostOf(domainsConfig(), ".com") == 6);
  auto c = config({vhost("w", {"*.a.com"}, {R::prefix("/")})});
  CHECK(vhostOf(c, "x.a.com") == 0);
  CHECK(vhostOf(c, "a.com") == -1);
}

TEST_CASE("vhost: *-x suffix wildcards match like *.x (SEMANTICS 2.4)", "[ir]") {
  CHECK(vhostOf(domainsConfig(), "orders-svc.example.org") == 3);
  CHECK(vhostOf(domainsConfig(), "-svc.example.org") == 6);
}

TEST_CASE("vhost: suffix wildcards beat prefix wildcards, longest prefix wins (2.4)", "[ir]") {
  CHECK(vhostOf(domainsConfig(), "api.example.com") == 2);  // suffix first
  CHECK(vhostOf(domainsConfig(), "api.internal.net") == 5);
  CHECK(vhostOf(domainsConfig(), "api.net") == 4);
  CHECK(vhostOf(domainsConfig(), "api.") == 6);  // prefix wildcard part empty
}

TEST_CASE("vhost: host is lower-cased and the port ignored (SEMANTICS 2.4)", "[ir]") {
  CHECK(vhostOf(domainsConfig(), "A.Example.COM:8080") == 0);
  auto c = config({vhost("upper", {"Shop.Example.com"}, {R::prefix("/")})});
  CHECK(vhostOf(c, "shop.example.com") == 0);  // domains are lower-cased too
}

TEST_CASE("vhost: without ignore_port_in_host_matching the port is part of the host", "[ir]") {
  auto c = config({vhost("plain", {"a.com"}, {R::prefix("/")}),
                   vhost("port", {"a.com:8080"}, {R::prefix("/")})});
  c.ignore_port_in_host_matching = false;
  CHECK(vhostOf(c, "a.com:8080") == 1);
  CHECK(vhostOf(c, "A.com") == 0);
  CHECK(vhostOf(c, "a.com:9090") == -1);
  c.ignore_port_in_host_matching = true;
  CHECK(vhostOf(c, "a.com:9090") == 0);
}

TEST_CASE("vhost: no matching domain and no * gives no virtual host (SEMANTICS 3.6)", "[ir]") {
  auto c = config({vhost("a", {"a.com"}, {R::prefix("/")})});
  CHECK(routeOf(c, request("b.com", "/")) == -2);
}

TEST_CASE("vhost: a configuration with only * takes every request, even without a host", "[ir]") {
  auto c = config({vhost("all", {"*"}, {R::prefix("/")})});
  CHECK(vhostOf(c, "") == 0);
  CHECK(vhostOf(c, "anything:1") == 0);
}

TEST_CASE("vhost: a duplicate domain stays with the first virtual host", "[ir]") {
  auto c = config({vhost("first", {"a.com"}, {R::prefix("/")}),
                   vhost("second", {"a.com", "b.com"}, {R::prefix("/")})});
  CHECK(vhostOf(c, "a.com") == 0);
  CHECK(vhostOf(c, "b.com") == 1);
  RouteProgram p = buildRouteProgram(c);
  REQUIRE(p.problems.size() == 1);
  CHECK(p.problems[0] ==
        "virtual host 1: domain \"a.com\" is already used by virtual host 0; Envoy rejects "
        "duplicate domains, the first one is kept");
}

TEST_CASE("routes: first match wins, no specificity ranking (SEMANTICS 3.2)", "[ir]") {
  auto c = oneHost({R::prefix("/api"), R::prefix("/api/v1"), R::path("/api/v1/x")});
  CHECK(routeOf(c, request("h", "/api/v1/x")) == 0);
  CHECK(routeOf(c, request("h", "/apix")) == 0);
  CHECK(routeOf(c, request("h", "/ap")) == -1);
}

TEST_CASE("routes: a later specific route wins when the earlier one does not match", "[ir]") {
  auto c = oneHost({R::path("/a/b"), R::prefix("/a/"), R::prefix("/")});
  CHECK(routeOf(c, request("h", "/a/b")) == 0);
  CHECK(routeOf(c, request("h", "/a/b/")) == 1);
  CHECK(routeOf(c, request("h", "/a")) == 2);
}

TEST_CASE("routes: the query string is not part of the path (SEMANTICS 3.2)", "[ir]") {
  auto c = oneHost({R::path("/search"), R::regex("/q.*")});
  CHECK(routeOf(c, request("h", "/search?q=1")) == 0);
  CHECK(routeOf(c, request("h", "/q?x=/y")) == 1);
}

TEST_CASE("routes: paths are matched after dot-segment normalisation (SEMANTICS 3.2)", "[ir]") {
  auto c = oneHost({R::prefix("/admin"), R::prefix("/")});
  CHECK(routeOf(c, request("h", "/public/../admin/x")) == 0);
}

TEST_CASE("routes: ignoreUriCase folds prefix and exact paths only (SEMANTICS 1.3)", "[ir]") {
  auto c = oneHost({R::prefix("/API").ignoreCase(), R::path("/Exact").ignoreCase(),
                    R::regex("/reg").ignoreCase(), R::prefix("/Cs")});
  CHECK(routeOf(c, request("h", "/api/x")) == 0);
  CHECK(routeOf(c, request("h", "/aPi")) == 0);
  CHECK(routeOf(c, request("h", "/EXACT")) == 1);
  CHECK(routeOf(c, request("h", "/EXACT/")) == -1);
  CHECK(routeOf(c, request("h", "/reg")) == 2);
  CHECK(routeOf(c, request("h", "/REG")) == -1);  // regexes ignore case_sensitive
  CHECK(routeOf(c, request("h", "/cs")) == -1);
  CHECK(routeOf(c, request("h", "/Cs")) == 3);
}

TEST_CASE("routes: safe_regex is an RE2 full match (SEMANTICS 1.4)", "[ir]") {
  auto c = oneHost({R::regex("/users/[0-9]+"), R::regex("(?i)/ADMIN.*")});
  CHECK(routeOf(c, request("h", "/users/42")) == 0);
  CHECK(routeOf(c, request("h", "/users/42/x")) == -1);
  CHECK(routeOf(c, request("h", "/x/users/42")) == -1);
  CHECK(routeOf(c, request("h", "/admin/panel")) == 1);
}

TEST_CASE("routes: path_separated_prefix matches whole segments", "[ir]") {
  auto c = oneHost({R::segment("/api"), R::segment("/Docs").ignoreCase(), R::prefix("/")});
  CHECK(routeOf(c, request("h", "/api")) == 0);
  CHECK(routeOf(c, request("h", "/api/")) == 0);
  CHECK(routeOf(c, request("h", "/api/v1")) == 0);
  CHECK(routeOf(c, request("h", "/apiv1")) == 2);
  CHECK(routeOf(c, request("h", "/API")) == 2);
  // Envoy builds the segment matcher with ignore_case = !case_sensitive.
  CHECK(routeOf(c, request("h", "/docs/x")) == 1);
  CHECK(routeOf(c, request("h", "/DOCSx")) == 2);
}

TEST_CASE("routes: a path_separated_prefix ending in / behaves as a plain prefix", "[ir]") {
  auto c = oneHost({R::segment("/a/"), R::prefix("/")});
  CHECK(routeOf(c, request("h", "/a/b")) == 0);
  CHECK(routeOf(c, request("h", "/a/")) == 0);
  CHECK(routeOf(c, request("h", "/a")) == 1);
}

// SEMANTICS 3.4 truth table: columns H absent, H="", H="foo", H="bar".
struct TruthRow {
  const char* what;
  R route;
  bool absent, empty, foo, bar;
};

TEST_CASE("headers: the presence truth table of SEMANTICS 3.4 holds row by row", "[ir]") {
  std::vector<TruthRow> rows = {
      {"headers H: {}", R::prefix("/").present("h"), false, true, true, true},
      {"headers H: {exact: \"\"}", R::prefix("/").istioHeader("h", ""), false, true, false, false},
      {"headers H: {exact: foo}", R::prefix("/").istioHeader("h", "foo"), false, false, true,
       false},
      {"withoutHeaders H: {}", R::prefix("/").present("h", true), true, false, false, false},
      {"withoutHeaders H: {exact: foo}", R::prefix("/").istioWithout("h", "foo"), true, true, false,
       true},
      {"withoutHeaders H: {exact: \"\"}", R::prefix("/").istioWithout("h", ""), false, false, true,
       true},
  };
  for (const TruthRow& row : rows) {
    INFO(row.what);
    auto c = oneHost({row.route});
    CHECK((routeOf(c, request("x", "/")) == 0) == row.absent);
    CHECK((routeOf(c, request("x", "/", {{"h", ""}})) == 0) == row.empty);
    CHECK((routeOf(c, request("x", "/", {{"H", "foo"}})) == 0) == row.foo);
    CHECK((routeOf(c, request("x", "/", {{"h", "bar"}})) == 0) == row.bar);
  }
}

TEST_CASE("headers: an inverted value test fails on an absent header unless missing is \"\"",
          "[ir]") {
  // Envoy returns false for an absent header unless the matcher is an inverted presence test.
  auto c = oneHost({R::prefix("/").header("h", SKind::kExact, "foo", /*invert=*/true)});
  CHECK(routeOf(c, request("x", "/")) == -1);
  CHECK(routeOf(c, request("x", "/", {{"h", "bar"}})) == 0);
}

TEST_CASE("headers: repeated headers are joined with ',' before matching (SEMANTICS 3.3)", "[ir]") {
  auto c = oneHost({R::prefix("/").istioHeader("x-v", "a,b"), R::prefix("/")});
  CHECK(routeOf(c, request("x", "/", {{"x-v", "a"}, {"X-V", "b"}})) == 0);
  CHECK(routeOf(c, request("x", "/", {{"x-v", "a"}})) == 1);
}

TEST_CASE("headers: prefix, suffix, contains, regex and ignore_case string matchers", "[ir]") {
  auto c = oneHost({
      R::prefix("/").header("a", SKind::kPrefix, "ab"),
      R::prefix("/").header("b", SKind::kSuffix, "yz"),
      R::prefix("/").header("c", SKind::kContains, "mid"),
      R::prefix("/").header("d", SKind::kRegex, "[0-9]+"),
      R::prefix("/").header("e", SKind::kExact, "MiXeD", false, false, true),
  });
  CHECK(routeOf(c, request("x", "/", {{"a", "abc"}})) == 0);
  CHECK(routeOf(c, request("x", "/", {{"a", "xab"}})) == -1);
  CHECK(routeOf(c, request("x", "/", {{"b", "xyz"}})) == 1);
  CHECK(routeOf(c, request("x", "/", {{"c", "amidb"}})) == 2);
  CHECK(routeOf(c, request("x", "/", {{"d", "123"}})) == 3);
  CHECK(routeOf(c, request("x", "/", {{"d", "123a"}})) == -1);  // full match
  CHECK(routeOf(c, request("x", "/", {{"e", "mixed"}})) == 4);
}

TEST_CASE("headers: pseudo headers :method, :authority and :scheme are matched", "[ir]") {
  auto c = oneHost({R::prefix("/").method("POST"),
                    R::prefix("/").header(":authority", SKind::kExact, "h:8080"),
                    R::prefix("/").header(":scheme", SKind::kExact, "https")});
  CHECK(routeOf(c, request("h", "/", {}, "POST")) == 0);
  CHECK(routeOf(c, request("h:8080", "/")) == 1);  // raw authority, port included
  CHECK(routeOf(c, request("h", "/")) == -1);
}

TEST_CASE("query: first occurrence, ?key is \"\", absent never matches (SEMANTICS 3.5)", "[ir]") {
  auto c =
      oneHost({R::prefix("/").query("v", SKind::kExact, "1"),
               R::prefix("/").query("flag", SKind::kExact, ""), R::prefix("/").queryPresent("p"),
               R::prefix("/").query("r", SKind::kRegex, "a+")});
  CHECK(routeOf(c, request("h", "/?v=1&v=2")) == 0);
  CHECK(routeOf(c, request("h", "/?v=2&v=1")) == -1);
  CHECK(routeOf(c, request("h", "/?flag")) == 1);
  CHECK(routeOf(c, request("h", "/?p=")) == 2);
  CHECK(routeOf(c, request("h", "/?r=aaa")) == 3);
  CHECK(routeOf(c, request("h", "/?r=aab")) == -1);
  CHECK(routeOf(c, request("h", "/")) == -1);
}

TEST_CASE("claims: dotted claim paths match, invert flips, absent claims fail", "[ir]") {
  auto c = oneHost({
      R::prefix("/a").claim({"groups", "admin"}, lower::StringMatcher{SKind::kExact, "yes", false}),
      R::prefix("/b").claim({"sub"}, std::nullopt, /*invert=*/true),
  });
  HttpRequest with = request("h", "/a");
  with.claims = {{"groups.admin", "yes"}};
  CHECK(routeOf(c, with) == 0);
  CHECK(routeOf(c, request("h", "/a")) == -1);
  CHECK(routeOf(c, request("h", "/b")) == 1);
  HttpRequest sub = request("h", "/b");
  sub.claims = {{"sub", "alice"}};
  CHECK(routeOf(c, sub) == -1);
}

TEST_CASE("routes: a regex that does not compile makes its route never match", "[ir]") {
  auto c = oneHost({R::regex("(unclosed"), R::prefix("/").header("h", SKind::kRegex, "[", true),
                    R::prefix("/")});
  CHECK(routeOf(c, request("h", "/")) == 2);
  RouteProgram p = buildRouteProgram(c);
  REQUIRE(p.problems.size() == 2);
  CHECK(p.problems[0] ==
        "virtual host 0 route 0: safe_regex \"(unclosed\" does not compile: missing ): "
        "(unclosed; the route never matches");
}

TEST_CASE("routes: a virtual host without routes answers no route (SEMANTICS 2.6)", "[ir]") {
  auto c = config({vhost("blackhole:80", {"*"}, {})});
  CHECK(routeOf(c, request("h", "/")) == -1);
}

TEST_CASE("interpreter: the trace lists the candidates it checked, winner last", "[ir]") {
  auto c = oneHost(
      {R::prefix("/a").method("POST"), R::prefix("/b"), R::prefix("/a/x"), R::regex("/a/.*")});
  RouteProgram p = buildRouteProgram(c);
  EvalTrace trace;
  RouteDecision d = evaluateProgram(p, RequestView::create(request("h", "/a/x")), &trace);
  CHECK(d.route == 2);
  CHECK(trace.candidates == std::vector<uint32_t>{0, 2});  // route 1 never considered
}

}  // namespace
}  // namespace meshc::ir::testing
