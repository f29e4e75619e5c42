// Tests for the lint driver: duplicate objects, suppression, MeshConfig, analyzer skipping.
#include <catch2/catch.hpp>

#include "frontend/mesh_config.h"
#include "test_util.h"

using namespace meshc::frontend;
using meshc::testing::countId;
using meshc::testing::describe;
using meshc::testing::hasId;
using meshc::testing::lintYaml;

namespace {

constexpr const char* kSeNoAddress = R"(apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata:
  name: db
  namespace: data
spec:
  hosts: [db.example.com]
  ports:
  - {number: 5432, name: tcp-db, protocol: TCP}
  resolution: NONE
)";

}  // namespace

TEST_CASE("an object defined twice warns at the later one and analyzers see only it", "[lint]") {
  LintResult r = lintYaml(R"(apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: reviews}
spec:
  hosts: [reviews]
  http: [{route: [{destination: {host: reviews}}]}]
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: reviews}
spec:
  hosts: [reviews]
  http: [{route: [{destination: {host: reviews, subset: v2}}]}]
)");
  INFO(describe(r.diagnostics));
  REQUIRE(countId(r.diagnostics, "duplicate-resource") == 1);
  // Two VirtualServices for one host would be IST0109; the earlier one is superseded instead.
  CHECK_FALSE(hasId(r.diagnostics, "IST0109"));
  for (const meshc::Diagnostic& d : r.diagnostics) {
    if (d.id == "duplicate-resource") {
      CHECK(d.loc.line == 10);
      REQUIRE(d.notes.size() == 1);
      CHECK(d.notes[0].loc.line == 3);
    }
  }
}

TEST_CASE("the analyze-suppress annotation removes only the listed codes", "[lint]") {
  std::string yaml = kSeNoAddress;
  LintResult plain = lintYaml(yaml);
  REQUIRE(hasId(plain.diagnostics, "IST0134"));
  std::string annotated = yaml;
  annotated.replace(annotated.find("  namespace: data\n"), 17,
                    "  namespace: data\n  annotations: {galley.istio.io/analyze-suppress: IST0134}");
  LintResult sup = lintYaml(annotated);
  INFO(describe(sup.diagnostics));
  CHECK_FALSE(hasId(sup.diagnostics, "IST0134"));
  CHECK(sup.suppressed >= 1);
  std::string other = yaml;
  other.replace(other.find("  namespace: data\n"), 17,
                "  namespace: data\n  annotations: {galley.istio.io/analyze-suppress: \"IST0101, IST0134\"}");
  // No trimming after the comma, exactly as istioctl: " IST0134" does not match.
  CHECK(hasId(lintYaml(other).diagnostics, "IST0134"));
}

TEST_CASE("suppress flag matches Kind ns/name globs and the legacy Kind name.ns form", "[lint]") {
  LintOptions o;
  o.suppressions.push_back(*parseSuppression("IST0134=ServiceEntry data/*"));
  CHECK_FALSE(hasId(lintYaml(kSeNoAddress, o).diagnostics, "IST0134"));
  LintOptions legacy;
  legacy.suppressions.push_back(*parseSuppression("IST0134=ServiceEntry db.data"));
  CHECK_FALSE(hasId(lintYaml(kSeNoAddress, legacy).diagnostics, "IST0134"));
  LintOptions star;
  star.suppressions.push_back(*parseSuppression("*=*"));
  CHECK(lintYaml(kSeNoAddress, star).diagnostics.empty());
  LintOptions miss;
  miss.suppressions.push_back(*parseSuppression("IST0134=ServiceEntry other/*"));
  CHECK(hasId(lintYaml(kSeNoAddress, miss).diagnostics, "IST0134"));
}

TEST_CASE("MeshConfig fields are read and bad types reported", "[lint]") {
  meshc::testing::Loaded l("x: 1\n");  // just to get a SourceManager + sink
  meshc::SourceManager sources;
  meshc::DiagnosticSink sink;
  YamlArena arena;
  uint32_t id = sources.add("mesh.yaml", R"(rootNamespace: mesh-root
outboundTrafficPolicy: {mode: REGISTRY_ONLY}
defaultVirtualServiceExportTo: ["."]
defaultConfig:
  proxyMetadata: {ISTIO_META_DNS_CAPTURE: "true"}
ingressService: 7
)");
  auto docs = parseYamlFile(sources, id, arena, sink);
  MeshConfig mc = parseMeshConfig(*docs[0].root, sink);
  CHECK(mc.root_namespace == "mesh-root");
  CHECK(mc.outbound_traffic_policy == "REGISTRY_ONLY");
  CHECK(mc.default_virtual_service_export_to == std::vector<std::string>{"."});
  CHECK(mc.proxy_metadata.at("ISTIO_META_DNS_CAPTURE") == "true");
  REQUIRE(sink.size() == 1);
  CHECK(sink.diagnostics()[0].id == "mesh-config-invalid");
  CHECK(sink.diagnostics()[0].loc.line == 6);
}

TEST_CASE("analyzers that need Pods or Services are skipped without them", "[lint]") {
  LintResult r = lintYaml(kSeNoAddress);
  bool skipped_dest_host = false;
  for (const auto& [name, why] : r.analyzers_skipped) {
    if (name == std::string("virtualservice.DestinationHostAnalyzer")) {
      skipped_dest_host = true;
      CHECK(why.find("Service") != std::string::npos);
    }
  }
  CHECK(skipped_dest_host);
  CHECK_FALSE(r.analyzers_run.empty());
}
