// parseEndpointsFile() and applyEndpoints() as upstream/endpoints_file.h documents them: every
// error message in full (JSON path included), defaults, subset propagation (PROXY-SEMANTICS
// R4.5) and the names that match no cluster.
#include "upstream/endpoints_file.h"

#include <catch2/catch.hpp>

namespace meshc::upstream {
namespace {

std::string errorOf(std::string_view text) {
  Expected<EndpointsFile> f = parseEndpointsFile(text, "eps.json");
  REQUIRE_FALSE(f.hasValue());
  CHECK(f.status().code() == StatusCode::kInvalidArgument);
  return f.status().message();
}

TEST_CASE("endpoints file: a good file with defaults for weight and labels", "[upstream]") {
  Expected<EndpointsFile> f = parseEndpointsFile(R"({"version": 1, "clusters": [
      {"name": "outbound|9080||reviews.default.svc.cluster.local",
       "endpoints": [{"address": "10.1.0.7", "port": 9080, "weight": 3,
                      "labels": {"version": "v1", "app": "reviews"}},
                     {"address": "reviews-2.example", "port": 80}]},
      {"name": "outbound|80||empty.default.svc.cluster.local", "endpoints": []}]})",
                                                 "eps.json");
  REQUIRE(f.hasValue());
  REQUIRE(f->clusters.size() == 2);
  const ClusterEndpoints& c = f->clusters[0];
  CHECK(c.name == "outbound|9080||reviews.default.svc.cluster.local");
  REQUIRE(c.endpoints.size() == 2);
  CHECK(c.endpoints[0].address == "10.1.0.7");
  CHECK(c.endpoints[0].port == 9080);
  CHECK(c.endpoints[0].weight == 3);
  CHECK(c.endpoints[0].labels == xds::StringMap{{"app", "reviews"}, {"version", "v1"}});
  CHECK(c.endpoints[1].address == "reviews-2.example");
  CHECK(c.endpoints[1].weight == 1);
  CHECK(c.endpoints[1].labels.empty());
  CHECK(f->clusters[1].endpoints.empty());
}

TEST_CASE("endpoints file: each error names the file and the JSON path", "[upstream]") {
  CHECK(errorOf(R"({"version": 1, "clusters": [{"name": "a", "endpoints": []},
      {"name": "b", "endpoints": []}, {"name": "c", "endpoints": [
      {"address": "10.0.0.1", "port": 0}]}]})") ==
        "eps.json: clusters[2].endpoints[0]: port must be 1-65535, found 0");
  CHECK(errorOf(R"({"version": 1, "clusters": [{"name": "a", "endpoints": [
      {"address": "10.0.0.1", "port": "80"}]}]})") ==
        "eps.json: clusters[0].endpoints[0]: port must be 1-65535, found \"80\"");
  CHECK(errorOf(R"({"version": 1, "clusters": [{"name": "a", "endpoints": [
      {"address": "10.0.0.1", "port": 70000}]}]})") ==
        "eps.json: clusters[0].endpoints[0]: port must be 1-65535, found 70000");
  CHECK(errorOf(R"({"version": 1, "clusters": [{"name": "a", "endpoints": [
      {"address": "10.0.0.1", "port": 80}, {"address": "10.0.0.2", "port": 80, "weight": 0}]}]})") ==
        "eps.json: clusters[0].endpoints[1]: weight must be 1-4294967295, found 0");
  CHECK(errorOf(R"({"version": 1, "clusters": [{"name": "a", "endpoints": [{"port": 80}]}]})") ==
        "eps.json: clusters[0].endpoints[0]: missing \"address\"");
  CHECK(errorOf(R"({"version": 1, "clusters": [{"name": "a", "endpoints": [
      {"address": "", "port": 80}]}]})") ==
        "eps.json: clusters[0].endpoints[0]: address must be a non-empty string, found \"\"");
  CHECK(errorOf(R"({"version": 1, "clusters": [{"name": "a", "endpoints": [
      {"address": "10.0.0.1"}]}]})") == "eps.json: clusters[0].endpoints[0]: missing \"port\"");
  CHECK(errorOf(R"({"version": 1, "clusters": [{"name": "a", "endpoints": [
      {"address": "10.0.0.1", "port": 80, "labels": ["v1"]}]}]})") ==
        "eps.json: clusters[0].endpoints[0]: labels must be an object of strings, found an array");
  CHECK(errorOf(R"({"version": 1, "clusters": [{"name": "a", "endpoints": [
      {"address": "10.0.0.1", "port": 80, "labels": {"version": 1}}]}]})") ==
        "eps.json: clusters[0].endpoints[0]: label \"version\" must be a string, found 1");
  CHECK(errorOf(R"({"version": 1, "clusters": [{"name": "a", "endpoints": [
      {"address": "10.0.0.1", "port": 80, "wieght": 2}]}]})") ==
        "eps.json: clusters[0].endpoints[0]: unknown field \"wieght\"");
  CHECK(errorOf(R"({"version": 1, "clusters": [{"name": "a", "endpoints": [7]}]})") ==
        "eps.json: clusters[0].endpoints[0]: expected an object, found an integer");
  CHECK(errorOf(R"({"version": 1, "clusters": [{"endpoints": []}]})") ==
        "eps.json: clusters[0]: missing \"name\"");
  CHECK(errorOf(R"({"version": 1, "clusters": [{"name": "", "endpoints": []}]})") ==
        "eps.json: clusters[0]: name must be a non-empty string, found \"\"");
  CHECK(errorOf(R"({"version": 1, "clusters": [{"name": "a"}]})") ==
        "eps.json: clusters[0]: missing \"endpoints\"");
  CHECK(errorOf(R"({"version": 1, "clusters": [{"name": "a", "endpoints": {}}]})") ==
        "eps.json: clusters[0]: endpoints must be an array, found an object");
  CHECK(errorOf(R"({"version": 1, "clusters": [{"name": "a", "endpoints": []},
      {"name": "b", "endpoints": []}, {"name": "a", "endpoints": []}]})") ==
        "eps.json: clusters[2]: name \"a\" is already listed at clusters[0]");
  CHECK(errorOf(R"({"version": 1, "clusters": ["a"]})") ==
        "eps.json: clusters[0]: expected an object, found a string");
  CHECK(errorOf(R"({"version": 1, "clusters": {}})") ==
        "eps.json: clusters must be an array, found an object");
  CHECK(errorOf(R"({"version": 1})") == "eps.json: missing \"clusters\"");
  CHECK(errorOf(R"({"clusters": []})") ==
        "eps.json: missing \"version\" (this meshproxy reads version 1)");
  CHECK(errorOf(R"({"version": 2, "clusters": []})") ==
        "eps.json: version must be 1 (the only version this meshproxy reads), found 2");
  CHECK(errorOf(R"({"version": 1, "clusters": [], "extra": true})") ==
        "eps.json: unknown field \"extra\"");
  CHECK(errorOf(R"([1, 2])") == "eps.json: expected an object at the top level, found an array");
}

TEST_CASE("endpoints file: invalid JSON reports where the parser stopped", "[upstream]") {
  const std::string message = errorOf("{\"version\": 1,\n \"clusters\": [}");
  CHECK_THAT(message,
             Catch::StartsWith("eps.json: not valid JSON: parse error at line 2, column "));
}

xds::Cluster cluster(std::string name, xds::StringMap subset_labels = {}) {
  xds::Cluster c;
  c.name = std::move(name);
  c.subset_labels = std::move(subset_labels);
  xds::Endpoint old;
  old.address = "192.0.2.1";
  old.port = 1;
  c.endpoints = {old};
  return c;
}

xds::Endpoint endpoint(std::string address, std::string version) {
  xds::Endpoint e;
  e.address = std::move(address);
  e.port = 9080;
  e.labels = {{"app", "reviews"}, {"version", std::move(version)}};
  return e;
}

std::vector<std::string> addresses(const xds::Cluster& c) {
  std::vector<std::string> out;
  for (const xds::Endpoint& e : c.endpoints) {
    out.push_back(e.address);
  }
  return out;
}

TEST_CASE("R4.5 endpoints of a plain cluster reach its subset clusters filtered by labels",
          "[upstream]") {
  const std::string host = "reviews.default.svc.cluster.local";
  std::vector<xds::Cluster> clusters = {
      cluster("outbound|9080||" + host),
      cluster("outbound|9080|v1|" + host, {{"version", "v1"}}),
      cluster("outbound|9080|v2|" + host, {{"version", "v2"}, {"app", "reviews"}}),
      cluster("outbound|9080|v3|" + host, {{"version", "v3"}}),
      cluster("outbound|9080|none|" + host, {{"version", "v9"}}),
      cluster("outbound|9081|v1|" + host, {{"version", "v1"}}),  // another port: untouched
      cluster("outbound|9080|v1|ratings.default.svc.cluster.local", {{"version", "v1"}}),
  };
  EndpointsFile file;
  file.clusters.push_back(ClusterEndpoints{
      "outbound|9080||" + host,
      {endpoint("10.0.0.1", "v1"), endpoint("10.0.0.2", "v2"), endpoint("10.0.0.3", "v2")}});
  // The file names the v3 subset itself: that list wins over the filtered one.
  file.clusters.push_back(
      ClusterEndpoints{"outbound|9080|v3|" + host, {endpoint("10.0.0.9", "x")}});

  std::vector<std::string> unknown = applyEndpoints(file, clusters);
  CHECK(unknown.empty());
  CHECK(addresses(clusters[0]) == std::vector<std::string>{"10.0.0.1", "10.0.0.2", "10.0.0.3"});
  CHECK(addresses(clusters[1]) == std::vector<std::string>{"10.0.0.1"});
  CHECK(addresses(clusters[2]) == std::vector<std::string>{"10.0.0.2", "10.0.0.3"});
  CHECK(addresses(clusters[3]) == std::vector<std::string>{"10.0.0.9"});
  CHECK(addresses(clusters[4]).empty());  // R4.5: an empty subset has no hosts
  CHECK(addresses(clusters[5]) == std::vector<std::string>{"192.0.2.1"});
  CHECK(addresses(clusters[6]) == std::vector<std::string>{"192.0.2.1"});
}

TEST_CASE("endpoints file: names that match no cluster come back in file order", "[upstream]") {
  std::vector<xds::Cluster> clusters = {cluster("outbound|80||a.default.svc.cluster.local")};
  EndpointsFile file;
  file.clusters.push_back(ClusterEndpoints{"outbound|80||zzz.default.svc.cluster.local", {}});
  file.clusters.push_back(ClusterEndpoints{"outbound|80||a.default.svc.cluster.local", {}});
  file.clusters.push_back(ClusterEndpoints{"outbound|80||b.default.svc.cluster.local", {}});
  std::vector<std::string> unknown = applyEndpoints(file, clusters);
  CHECK(unknown == std::vector<std::string>{"outbound|80||zzz.default.svc.cluster.local",
                                            "outbound|80||b.default.svc.cluster.local"});
  CHECK(clusters[0].endpoints.empty());
}

TEST_CASE("endpoints file: a plain entry that only feeds subsets is not reported unknown",
          "[upstream]") {
  std::vector<xds::Cluster> clusters = {
      cluster("outbound|80|v1|a.default.svc.cluster.local", {{"version", "v1"}})};
  EndpointsFile file;
  file.clusters.push_back(
      ClusterEndpoints{"outbound|80||a.default.svc.cluster.local", {endpoint("10.0.0.1", "v1")}});
  CHECK(applyEndpoints(file, clusters).empty());
  CHECK(addresses(clusters[0]) == std::vector<std::string>{"10.0.0.1"});
}

}  // namespace
}  // namespace meshc::upstream
