// The IR builder and interpreter: structure sizes, the cost model (candidates examined do not
// grow with the route count), the regex-set fallback and concurrent evaluation.
#include <atomic>
#include <thread>

#include "ir_test_util.h"

namespace meshc::ir::testing {
namespace {

lower::RouteConfiguration manyRoutes(int n) {
  std::vector<lower::Route> routes;
  for (int i = 0; i < n; ++i) {
    std::string svc = "/svc" + std::to_string(i);
    switch (i % 4) {
      case 0:
        routes.push_back(R::prefix(svc + "/api"));
        break;
      case 1:
        routes.push_back(R::path(svc + "/health"));
        break;
      case 2:
        routes.push_back(R::prefix(svc + "/items").method("POST"));
        break;
      default:
        routes.push_back(R::prefix(svc + "/Docs").ignoreCase());
        break;
    }
  }
  routes.push_back(R::regex("/svc[0-9]+/legacy/.*"));   // literal prefix "/svc": in the trie
  routes.push_back(R::regex("(?i)/SVC[0-9]+/old/.*"));  // literal prefix "/": regex list
  routes.push_back(R::prefix("/"));
  return oneHost(std::move(routes));
}

TEST_CASE("build: regex literal prefixes come from RE2's possible match range", "[ir]") {
  auto prefix = [](const char* pattern) { return regexLiteralPrefix(re2::RE2(pattern, re2::RE2::Quiet)); };
  CHECK(prefix("/users/[0-9]+") == "/users/");
  CHECK(prefix("/api/v1") == "/api/v1");
  CHECK(prefix("/a|/b") == "/");
  CHECK(prefix("(?i)/API/v1") == "/");
  CHECK(prefix(".*") == "");
  CHECK(prefix("(/foo)?/bar") == "/");
  CHECK(prefix("(") == "");
}

TEST_CASE("build: the trie has at most two nodes per distinct path plus the root", "[ir]") {
  auto cfg = manyRoutes(2000);
  RouteProgram p = buildRouteProgram(cfg);
  REQUIRE(verifyRouteProgram(p).isOk());
  const VirtualHostProgram& vh = p.virtual_hosts[0];
  CHECK(vh.case_sensitive.nodes.size() + vh.case_insensitive.nodes.size() <= 2 * 2003 + 2);
  CHECK(vh.regex_routes == std::vector<uint32_t>{2001});
  CHECK(vh.regex_filter != nullptr);
  // The prefixed regex sits at the trie node "/svc".
  uint32_t slash = vh.case_sensitive.nodes[0].children[0];
  REQUIRE(vh.case_sensitive.nodes[slash].label == "/");
  uint32_t svc = vh.case_sensitive.nodes[slash].children[0];
  CHECK(vh.case_sensitive.nodes[svc].label == "svc");
  REQUIRE(vh.case_sensitive.nodes[svc].regex_set != kNoSet);
  CHECK(vh.sets[vh.case_sensitive.nodes[svc].regex_set].routes == std::vector<uint32_t>{2000});
}

TEST_CASE("interpreter: candidates examined do not grow with the route count", "[ir]") {
  for (int n : {10, 1000, 20000}) {
    INFO(n << " routes");
    auto cfg = manyRoutes(n);
    RouteProgram p = buildRouteProgram(cfg);
    ReferenceEvaluator ref(cfg);
    // Hits on the last service, a miss that falls to "/", and a regex hit.
    int last = n - 1 - (n - 1) % 4;
    std::vector<std::string> paths = {"/svc" + std::to_string(last) + "/api/x", "/nothing/here",
                                      "/svc3/legacy/a", "/SVC3/old/a"};
    for (const std::string& path : paths) {
      RequestView view = RequestView::create(request("h", path));
      EvalTrace trace;
      RouteDecision got = evaluateProgram(p, view, &trace);
      CHECK(got == ref.evaluate(view));
      CHECK(trace.candidates.size() <= 2);
    }
  }
}

TEST_CASE("interpreter: without a regex set each regex route is tried in order", "[ir]") {
  auto cfg = oneHost({R::regex("/a/.*"), R::prefix("/b"), R::regex("/b/[0-9]+"),
                      R::regex("/b/.*").method("POST"), R::regex("/b/.*")});
  RouteProgram p = buildRouteProgram(cfg);
  p.virtual_hosts[0].regex_filter = nullptr;  // as if RE2 could not build the set
  REQUIRE(verifyRouteProgram(p).isOk());
  ReferenceEvaluator ref(cfg);
  for (std::string path : {"/a/x", "/b/1", "/c/1", "/b"}) {
    for (std::string method : {"GET", "POST"}) {
      RequestView view = RequestView::create(request("h", path, {}, method));
      CHECK(evaluateProgram(p, view) == ref.evaluate(view));
    }
  }
}

TEST_CASE("interpreter: a header switch selects only the matching case", "[ir]") {
  auto cfg = oneHost({R::prefix("/m").method("GET"), R::prefix("/m").method("POST"),
                      R::prefix("/m").method("PUT"), R::prefix("/m").method("DELETE"),
                      R::prefix("/m"), R::prefix("/m").method("POST")});
  RouteProgram p = buildRouteProgram(cfg);
  REQUIRE(p.virtual_hosts[0].sets.size() == 1);
  REQUIRE(p.virtual_hosts[0].sets[0].switch_header == ":method");
  EvalTrace trace;
  RouteDecision d =
      evaluateProgram(p, RequestView::create(request("h", "/m", {}, "PATCH")), &trace);
  CHECK(d.route == 4);
  CHECK(trace.candidates == std::vector<uint32_t>{4});
  trace.candidates.clear();
  d = evaluateProgram(p, RequestView::create(request("h", "/m", {}, "POST")), &trace);
  CHECK(d.route == 1);
  CHECK(trace.candidates == std::vector<uint32_t>{1});
}

TEST_CASE("interpreter: one program answers from several threads at once", "[ir]") {
  auto cfg = manyRoutes(500);
  RouteProgram p = buildRouteProgram(cfg);
  ReferenceEvaluator ref(cfg);
  std::vector<RequestView> views;
  for (int i = 0; i < 200; ++i) {
    views.push_back(RequestView::create(
        request("h", "/svc" + std::to_string(i) + (i % 3 == 0 ? "/legacy/x" : "/api"))));
  }
  std::vector<RouteDecision> want;
  for (const auto& v : views) {
    want.push_back(ref.evaluate(v));
  }
  std::atomic<int> mismatches{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int round = 0; round < 20; ++round) {
        for (size_t i = 0; i < views.size(); ++i) {
          if (!(evaluateProgram(p, views[i]) == want[i])) {
            ++mismatches;
          }
        }
      }
    });
  }
  for (auto& t : threads) {
    t.join();
  }
  CHECK(mismatches == 0);
}

TEST_CASE("build: an empty route configuration has no virtual host for any request", "[ir]") {
  auto cfg = config({});
  RouteProgram p = buildRouteProgram(cfg);
  CHECK(verifyRouteProgram(p).isOk());
  CHECK(evaluateProgram(p, RequestView::create(request("a", "/"))).kind ==
        RouteDecision::Kind::kNoVirtualHost);
}

TEST_CASE("build: odd bytes in paths and domains are kept as they are", "[ir]") {
  auto cfg = config({vhost("odd", {std::string("a\0b.com", 7), "*\xff"},
                           {R::prefix(std::string("/\0x", 3)), R::path("/%2F"), R::prefix("")})});
  RouteProgram p = buildRouteProgram(cfg);
  CHECK(verifyRouteProgram(p).isOk());
  CHECK(routeOf(cfg, request(std::string("a\0b.com", 7), std::string("/\0xy", 4))) == 0);
  CHECK(routeOf(cfg, request("z\xff", "/%2F")) == 1);
  CHECK(routeOf(cfg, request("z\xff", "/other")) == 2);
}

}  // namespace
}  // namespace meshc::ir::testing
