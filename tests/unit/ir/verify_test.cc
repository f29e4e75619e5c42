// The IR verifier: a built program passes; each kind of corruption is caught with a message
// that names where it is.
#include "ir_test_util.h"

namespace meshc::ir::testing {
namespace {

RouteProgram sample() {
  return buildRouteProgram(config({
      vhost("a", {"a.com", "*.b.com", "c.*"},
            {R::prefix("/api"), R::path("/api/v1"), R::prefix("/Docs").ignoreCase(),
             R::regex("/r/[0-9]+"), R::segment("/seg"), R::prefix("/m").method("GET"),
             R::prefix("/m").method("PUT"), R::prefix("/m").method("POST"),
             R::prefix("/m").method("GET"), R::regex("(")}),
      vhost("d", {"*"}, {R::prefix("/")}),
  }));
}

std::string verifyMessage(const RouteProgram& p) {
  Status s = verifyRouteProgram(p);
  return s.isOk() ? "ok" : s.message();
}

// The node whose key is `key` in a trie (test helper; linear search is fine here).
TrieNode& nodeAt(PathTrie& trie, const std::string& key) {
  std::vector<std::pair<uint32_t, std::string>> stack{{0, ""}};
  while (!stack.empty()) {
    auto [n, k] = stack.back();
    stack.pop_back();
    if (k == key) {
      return trie.nodes[n];
    }
    for (uint32_t c : trie.nodes[n].children) {
      stack.emplace_back(c, k + trie.nodes[c].label);
    }
  }
  FAIL("no node " << key);
  return trie.nodes[0];
}

TEST_CASE("verify: a freshly built program passes", "[ir]") {
  RouteProgram p = sample();
  CHECK(verifyMessage(p) == "ok");
  CHECK(verifyRouteProgram(buildRouteProgram(config({}))).isOk());
}

TEST_CASE("verify: a route missing from the structure is reported unreachable", "[ir]") {
  RouteProgram p = sample();
  VirtualHostProgram& vh = p.virtual_hosts[0];
  CandidateSet& m = vh.sets[nodeAt(vh.case_sensitive, "/m").prefix_set];
  REQUIRE(m.cases[0].value == "GET");
  REQUIRE(m.cases[0].routes == std::vector<uint32_t>{5, 8});
  m.cases[0].routes = {5};
  CHECK(verifyMessage(p) ==
        "virtual host 0 route 8 (prefix \"/m\") is not reachable: it is filed nowhere");
}

TEST_CASE("verify: a route filed twice or an empty set is rejected", "[ir]") {
  RouteProgram p = sample();
  VirtualHostProgram& vh = p.virtual_hosts[0];
  CandidateSet& exact = vh.sets[nodeAt(vh.case_sensitive, "/api/v1").exact_set];
  exact.routes = {0};
  CHECK(verifyMessage(p).find("virtual host 0 route 0 is filed twice") == 0);
  exact.routes.clear();
  CHECK(verifyMessage(p) ==
        "virtual host 0: case-sensitive trie node 2 \"/api/v1\" exact (set 1) is empty");
}

TEST_CASE("verify: a route filed under the wrong path is reported with both places", "[ir]") {
  RouteProgram p = sample();
  VirtualHostProgram& vh = p.virtual_hosts[0];
  std::swap(nodeAt(vh.case_sensitive, "/api").prefix_set,
            nodeAt(vh.case_sensitive, "/seg").segment_set);
  CHECK(verifyMessage(p) ==
        "virtual host 0 route 0 (prefix \"/api\") is filed in the case-sensitive trie at "
        "\"/seg\" as path_separated_prefix; expected the case-sensitive trie at \"/api\" as "
        "prefix");
}

TEST_CASE("verify: unsorted candidate lists and switch cases are rejected", "[ir]") {
  RouteProgram p = sample();
  VirtualHostProgram& vh = p.virtual_hosts[0];
  CandidateSet& m = vh.sets[nodeAt(vh.case_sensitive, "/m").prefix_set];
  REQUIRE(m.switch_header == ":method");
  std::swap(m.cases[0], m.cases[1]);
  CHECK(verifyMessage(p).find("switch cases are not sorted and unique") != std::string::npos);
  std::swap(m.cases[0], m.cases[1]);
  REQUIRE(verifyMessage(p) == "ok");
  m.cases[0].routes = {8, 5};
  CHECK(verifyMessage(p).find("routes are empty or not sorted and unique") != std::string::npos);
}

TEST_CASE("verify: a switch case holding a route without that header value is rejected", "[ir]") {
  RouteProgram p = sample();
  VirtualHostProgram& vh = p.virtual_hosts[0];
  CandidateSet& m = vh.sets[nodeAt(vh.case_sensitive, "/m").prefix_set];
  std::swap(m.cases[0].routes, m.cases[1].routes);  // "GET"=[5 8] ↔ "POST"=[7]
  CHECK(verifyMessage(p) ==
        "virtual host 0 route 7 is in switch case \":method\" = \"GET\" but does not require "
        "that header value");
}

TEST_CASE("verify: broken trie edges are rejected", "[ir]") {
  RouteProgram p = sample();
  TrieNode& api = nodeAt(p.virtual_hosts[0].case_sensitive, "/");
  api.child_bytes[0] = 'z';
  CHECK(verifyMessage(p).find("lists child byte \"z\" for label") != std::string::npos);

  p = sample();
  TrieNode& root = p.virtual_hosts[0].case_sensitive.nodes[0];
  root.children.push_back(root.children[0]);
  root.child_bytes.push_back('~');
  CHECK(verifyMessage(p).find("is reachable twice") != std::string::npos);

  p = sample();
  p.virtual_hosts[0].case_sensitive.nodes.emplace_back();
  CHECK(verifyMessage(p).find("is unreachable") != std::string::npos);
}

TEST_CASE("verify: a chain node with one child and no routes must be merged", "[ir]") {
  RouteProgram p = sample();
  PathTrie& t = p.virtual_hosts[0].case_insensitive;
  // Split "/docs" into "/do" + "cs" by hand.
  TrieNode& docs = nodeAt(t, "/docs");
  docs.label = "cs";
  uint32_t docs_index = 1;
  TrieNode mid;
  mid.label = "/do";
  mid.child_bytes = "c";
  mid.children = {docs_index};
  t.nodes.push_back(mid);
  t.nodes[0].children = {static_cast<uint32_t>(t.nodes.size() - 1)};
  CHECK(verifyMessage(p) ==
        "virtual host 0: case-insensitive trie node 2 \"/do\" has one child and no routes; it "
        "should be merged");
}

TEST_CASE("verify: upper-case keys in the case-insensitive trie are rejected", "[ir]") {
  RouteProgram p = sample();
  nodeAt(p.virtual_hosts[0].case_insensitive, "/docs").label = "/Docs";
  CHECK(verifyMessage(p) ==
        "virtual host 0: case-insensitive trie node 1 \"/Docs\" has an upper-case key");
}

TEST_CASE("verify: host table problems are named", "[ir]") {
  RouteProgram p = sample();
  p.hosts.exact["a.com"] = 7;
  CHECK(verifyMessage(p) == "exact domain \"a.com\" points at virtual host 7; there are 2");
  p = sample();
  p.hosts.suffixes.push_back(WildcardGroup{9, {{"123456789", 0}}});
  CHECK(verifyMessage(p) ==
        "suffix wildcard groups are not ordered longest first: length 9 follows 6");
  p = sample();
  p.hosts.prefixes[0].keys["toolong"] = 0;
  CHECK(verifyMessage(p) == "prefix wildcard \"toolong\" sits in the group of length 2");
  p = sample();
  p.hosts.default_host = 5;
  CHECK(verifyMessage(p) == "default virtual host 5 is out of range; there are 2");
}

TEST_CASE("verify: never-matching routes must not be filed and must have a bad regex", "[ir]") {
  RouteProgram p = sample();
  VirtualHostProgram& vh = p.virtual_hosts[0];
  REQUIRE(vh.routes[9].never_matches);
  vh.regex_routes.push_back(9);
  CHECK(verifyMessage(p) ==
        "virtual host 0 route 9 (safe_regex \"(\") never matches but is filed in the structure");
  p = sample();
  p.virtual_hosts[0].routes[3].never_matches = true;
  CHECK(verifyMessage(p) ==
        "virtual host 0 route 3 is marked never_matches but all its regexes compiled");
}

TEST_CASE("verify: regex indices must be in range and name the right pattern", "[ir]") {
  RouteProgram p = sample();
  p.virtual_hosts[0].routes[3].path_regex = 42;
  CHECK(verifyMessage(p) ==
        "virtual host 0 route 3 path: regex index 42 is out of range; 2 patterns");
  p = sample();
  p.regex_patterns[0] = "/other";
  CHECK(verifyMessage(p).find("regex 0 was compiled from \"/r/[0-9]+\"") == 0);
}

TEST_CASE("verify: candidate set references must be in range and used once", "[ir]") {
  RouteProgram p = sample();
  VirtualHostProgram& vh = p.virtual_hosts[0];
  nodeAt(vh.case_sensitive, "/api").exact_set = 99;
  CHECK(verifyMessage(p).find("refers to candidate set 99") != std::string::npos);
}

}  // namespace
}  // namespace meshc::ir::testing
