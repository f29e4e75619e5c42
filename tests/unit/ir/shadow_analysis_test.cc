// Route shadowing analysis: proved findings name the shadowing route; anything not provable
// (regexes, unrelated headers, case mismatches) stays silent.
#include "ir/shadow_analysis.h"

#include <chrono>

#include "ir_test_util.h"

namespace meshc::ir::testing {
namespace {

std::vector<ShadowFinding> shadows(std::vector<lower::Route> routes) {
  return findShadowedRoutes(buildRouteProgram(oneHost(std::move(routes))));
}

// "route<-shadower" pairs, for compact expectations.
std::vector<std::string> pairs(const std::vector<ShadowFinding>& findings) {
  std::vector<std::string> out;
  for (const auto& f : findings) {
    out.push_back(std::to_string(f.route) + "<-" + std::to_string(f.shadowing_route));
  }
  return out;
}

using Pairs = std::vector<std::string>;

TEST_CASE("shadow: a prefix shadows a longer prefix after it", "[ir]") {
  auto f = shadows({R::prefix("/api"), R::prefix("/api/v1")});
  REQUIRE(f.size() == 1);
  CHECK(f[0].virtual_host == 0);
  CHECK(f[0].route == 1);
  CHECK(f[0].shadowing_route == 0);
  CHECK(f[0].reason ==
        "prefix \"/api\" covers prefix \"/api/v1\" and route 0 has no other conditions");
}

TEST_CASE("shadow: the order matters, a longer prefix first shadows nothing", "[ir]") {
  CHECK(shadows({R::prefix("/api/v1"), R::prefix("/api")}).empty());
}

TEST_CASE("shadow: an exact path after a covering prefix is shadowed", "[ir]") {
  CHECK(pairs(shadows({R::prefix("/a"), R::path("/a/b"), R::path("/b")})) == Pairs{"1<-0"});
}

TEST_CASE("shadow: a method-restricted duplicate of an unrestricted route is shadowed", "[ir]") {
  auto f = shadows({R::prefix("/api"), R::prefix("/api").method("GET")});
  REQUIRE(f.size() == 1);
  CHECK(f[0].reason ==
        "prefix \"/api\" covers prefix \"/api\" and route 0 has no other conditions");
}

TEST_CASE("shadow: identical matchers are reported as such", "[ir]") {
  auto f = shadows({R::path("/x").method("GET"), R::path("/x").method("GET")});
  REQUIRE(f.size() == 1);
  CHECK(f[0].reason == "route 0 has the same matchers (path \"/x\")");
}

TEST_CASE("shadow: the lowest covering route is named, each route reported once", "[ir]") {
  CHECK(pairs(shadows({R::prefix("/"), R::prefix("/a"), R::prefix("/a/b")})) ==
        Pairs{"1<-0", "2<-0"});
}

TEST_CASE("shadow: a catch-all prefix / shadows regex routes after it", "[ir]") {
  CHECK(pairs(shadows({R::prefix("/"), R::regex("/x.*")})) == Pairs{"1<-0"});
}

TEST_CASE("shadow: a regex is compared only for identity or against exact paths", "[ir]") {
  CHECK(pairs(shadows({R::regex("/users/[0-9]+"), R::path("/users/42"), R::path("/users/x"),
                       R::regex("/users/[0-9]+"), R::prefix("/users/1")})) ==
        Pairs{"1<-0", "3<-0"});
  // A regex that matches everything is still not proved to cover a prefix.
  CHECK(shadows({R::regex(".*"), R::prefix("/a")}).empty());
}

TEST_CASE("shadow: an earlier route with an extra condition does not shadow", "[ir]") {
  CHECK(shadows({R::prefix("/api").method("GET"), R::prefix("/api/v1")}).empty());
  CHECK(
      shadows({R::prefix("/api").istioHeader("x", "1"), R::prefix("/api").method("GET")}).empty());
  CHECK(shadows({R::prefix("/api").queryPresent("q"), R::prefix("/api")}).empty());
}

TEST_CASE("shadow: case rules of ignoreUriCase are respected", "[ir]") {
  // Case-insensitive earlier covers case-sensitive later.
  CHECK(pairs(shadows({R::prefix("/API").ignoreCase(), R::prefix("/api/v1")})) == Pairs{"1<-0"});
  // Case-sensitive earlier cannot cover the case variants of a case-insensitive later route...
  CHECK(shadows({R::prefix("/api"), R::prefix("/api/v1").ignoreCase()}).empty());
  // ...unless the earlier prefix has no letters.
  CHECK(pairs(shadows({R::prefix("/1/"), R::prefix("/1/ab").ignoreCase()})) == Pairs{"1<-0"});
  CHECK(pairs(shadows({R::path("/A").ignoreCase(), R::path("/a")})) == Pairs{"1<-0"});
}

TEST_CASE("shadow: path_separated_prefix covers only whole segments", "[ir]") {
  CHECK(pairs(shadows({R::segment("/api"), R::path("/api"), R::path("/api/x"), R::path("/apix"),
                       R::prefix("/api/"), R::prefix("/api"), R::segment("/api/v1")})) ==
        Pairs{"1<-0", "2<-0", "4<-0", "6<-0"});
}

TEST_CASE("shadow: header tests are implied only when provable", "[ir]") {
  // presence ⇐ a value test; prefix ⇐ an exact value with that prefix; regex ⇐ a fitting exact.
  CHECK(pairs(shadows({R::prefix("/").present("x"), R::prefix("/").istioHeader("x", "1")})) ==
        Pairs{"1<-0"});
  CHECK(pairs(shadows({R::prefix("/").header("x", SKind::kPrefix, "ab"),
                       R::prefix("/").istioHeader("x", "abc")})) == Pairs{"1<-0"});
  CHECK(pairs(shadows({R::prefix("/").header("x", SKind::kRegex, "[0-9]+"),
                       R::prefix("/").istioHeader("x", "42"),
                       R::prefix("/").istioHeader("x", "4a")})) == Pairs{"1<-0"});
  // A value test is not implied by presence; unrelated headers imply nothing.
  CHECK(shadows({R::prefix("/").istioHeader("x", "1"), R::prefix("/").present("x")}).empty());
  CHECK(shadows({R::prefix("/").istioHeader("x", "1"), R::prefix("/").istioHeader("y", "1")})
            .empty());
  // Missing-as-empty on the later route lets an absent header through: no implication.
  CHECK(shadows({R::prefix("/").present("x"),
                 R::prefix("/").header("x", SKind::kExact, "", false, true)})
            .empty());
  // Inverted tests only by identity.
  CHECK(
      pairs(shadows({R::prefix("/").istioWithout("x", "1"), R::prefix("/a").istioWithout("x", "1"),
                     R::prefix("/b").istioWithout("x", "2")})) == Pairs{"1<-0"});
}

TEST_CASE("shadow: query parameter and claim tests follow the same implication rules", "[ir]") {
  CHECK(pairs(shadows({R::prefix("/").queryPresent("q"),
                       R::prefix("/").query("q", SKind::kExact, "1")})) == Pairs{"1<-0"});
  CHECK(shadows({R::prefix("/").query("q", SKind::kExact, "1"), R::prefix("/").queryPresent("q")})
            .empty());
  lower::StringMatcher admin{SKind::kExact, "admin", false};
  CHECK(pairs(shadows({R::prefix("/").claim({"groups"}, std::nullopt),
                       R::prefix("/").claim({"groups"}, admin)})) == Pairs{"1<-0"});
  CHECK(shadows({R::prefix("/").claim({"groups"}, admin), R::prefix("/").claim({"sub"}, admin)})
            .empty());
}

TEST_CASE("shadow: routes in a header switch are compared within their case", "[ir]") {
  auto f = shadows({R::prefix("/m").method("GET"), R::prefix("/m").method("POST"),
                    R::prefix("/m").method("PUT"), R::prefix("/m").method("DELETE"),
                    R::prefix("/m/x").method("GET"), R::prefix("/m/x").method("PATCH")});
  CHECK(pairs(f) == Pairs{"4<-0"});
}

TEST_CASE("shadow: a route whose regex does not compile shadows nothing", "[ir]") {
  CHECK(shadows({R::prefix("/").header("x", SKind::kRegex, "(", true), R::prefix("/a")}).empty());
}

TEST_CASE("shadow: routes of different virtual hosts never shadow each other", "[ir]") {
  auto f = findShadowedRoutes(buildRouteProgram(config({
      vhost("a", {"a.com"}, {R::prefix("/")}),
      vhost("b", {"b.com"}, {R::prefix("/x"), R::prefix("/x/y")}),
  })));
  REQUIRE(f.size() == 1);
  CHECK(f[0].virtual_host == 1);
  CHECK(f[0].route == 1);
}

TEST_CASE("shadow: analysis stays fast when thousands of routes share one path", "[ir]") {
  std::vector<lower::Route> routes;
  for (int i = 0; i < 5000; ++i) {
    routes.push_back(R::prefix("/api").istioHeader("x-tenant", "t" + std::to_string(i)));
  }
  routes.push_back(R::prefix("/api/v1").istioHeader("x-tenant", "t7"));
  auto start = std::chrono::steady_clock::now();
  auto f = shadows(routes);
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  CHECK(pairs(f) == Pairs{"5000<-7"});
  CHECK(seconds < 5.0);
}

}  // namespace
}  // namespace meshc::ir::testing
