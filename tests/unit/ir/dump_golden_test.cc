// Golden IR dumps: hand-built route configurations → tests/golden/ir/<case>.txt.
// Set MESHC_UPDATE_GOLDEN=1 to rewrite the expected files; a mismatch prints a line diff.
#include <cstdlib>
#include <fstream>
#include <sstream>

#include "ir/dump.h"
#include "ir_test_util.h"

namespace meshc::ir::testing {
namespace {

std::string goldenPath(const std::string& name) {
  return std::string(MESHC_SOURCE_DIR) + "/tests/golden/ir/" + name + ".txt";
}

std::vector<std::string> lines(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    out.push_back(line);
  }
  return out;
}

// First differing line, for a readable failure.
std::string firstDifference(const std::string& want, const std::string& got) {
  auto a = lines(want), b = lines(got);
  for (size_t i = 0; i < std::max(a.size(), b.size()); ++i) {
    std::string x = i < a.size() ? a[i] : "<end of file>";
    std::string y = i < b.size() ? b[i] : "<end of dump>";
    if (x != y) {
      return "line " + std::to_string(i + 1) + ":\n- " + x + "\n+ " + y;
    }
  }
  return "";
}

void checkGolden(const std::string& name, const lower::RouteConfiguration& cfg) {
  RouteProgram program = buildRouteProgram(cfg);
  Status verified = verifyRouteProgram(program);
  INFO("verifier: " << verified.message());
  REQUIRE(verified.isOk());
  std::string got = dumpRouteProgram(program);
  CHECK(dumpRouteProgram(buildRouteProgram(cfg)) == got);  // deterministic
  const char* update = std::getenv("MESHC_UPDATE_GOLDEN");
  if (update != nullptr && std::string(update) == "1") {
    std::ofstream(goldenPath(name)) << got;
    return;
  }
  std::ifstream in(goldenPath(name));
  INFO("missing " << goldenPath(name) << " (run with MESHC_UPDATE_GOLDEN=1)");
  REQUIRE(in.good());
  std::stringstream want;
  want << in.rdbuf();
  INFO("golden " << name << " differs at " << firstDifference(want.str(), got));
  CHECK(want.str() == got);
}

TEST_CASE("golden ir: domain table groups wildcards longest first", "[ir]") {
  checkGolden("domains",
              config({vhost("a:80", {"a.example.com", "A.Example.org"}, {R::prefix("/")}),
                      vhost("wild:80", {"*.example.com", "*.com", "*-svc.ns"}, {R::prefix("/")}),
                      vhost("pre:80", {"api.*", "x.*"}, {R::prefix("/")}),
                      vhost("allow_any", {"*"}, {R::prefix("/")})}));
}

TEST_CASE("golden ir: path trie splits shared prefixes and keeps route order", "[ir]") {
  checkGolden("trie", oneHost({R::prefix("/api/v1").named("v1"), R::path("/api").named("root"),
                               R::prefix("/api/v2"), R::prefix("/app"), R::segment("/api/v1"),
                               R::prefix("/API").ignoreCase(), R::path("/Apx").ignoreCase(),
                               R::regex("/api/[0-9]+"), R::prefix("/").named("catch-all"),
                               R::regex(".*[.]png")}));
}

TEST_CASE("golden ir: residual tests print every matcher field", "[ir]") {
  checkGolden("residuals",
              oneHost({R::prefix("/r")
                           .istioHeader("x-env", "prod")
                           .istioWithout("x-debug", "1")
                           .present("x-present")
                           .present("x-absent", true)
                           .header("x-re", SKind::kRegex, "v[0-9]+")
                           .header("x-ic", SKind::kSuffix, "Tail", false, false, true)
                           .query("q", SKind::kPrefix, "a")
                           .queryPresent("p")
                           .claim({"groups"}, lower::StringMatcher{SKind::kExact, "admin", false})
                           .claim({"iss"}, std::nullopt, true),
                       R::regex("[").named("broken")}));
}

TEST_CASE("golden ir: many routes testing :method on one path get a header switch", "[ir]") {
  checkGolden(
      "switch",
      oneHost({R::prefix("/items").method("GET"), R::prefix("/items").method("POST"),
               R::prefix("/items").method("PUT"),
               R::prefix("/items").method("GET").istioHeader("x-v", "2"),
               R::prefix("/items").present("x-any"), R::prefix("/items").method("DELETE")}));
}

}  // namespace
}  // namespace meshc::ir::testing
