// Tests for buildConfigSet() (duplicates, schema-invalid objects, kinds) and configOrderLess().
#include <algorithm>
#include <catch2/catch.hpp>

#include "model/model_test_util.h"

using meshc::model::configOrderLess;
using meshc::model::ConfigSet;
using meshc::model::ObjectMeta;
using meshc::testing::buildCheckedModel;
using meshc::testing::buildModel;
using meshc::testing::Loaded;

namespace {

ObjectMeta meta(std::string ts, std::string name, std::string ns, uint32_t ordinal) {
  ObjectMeta m;
  m.creation_timestamp = std::move(ts);
  m.name = std::move(name);
  m.name_space = std::move(ns);
  m.ordinal = ordinal;
  return m;
}

}  // namespace

TEST_CASE("model set: of two objects with one kind, namespace and name the later wins", "[model]") {
  Loaded l(R"(apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: r, namespace: ns1}
spec: {hosts: [first], http: [{route: [{destination: {host: a}}]}]}
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: r, namespace: ns2}
spec: {hosts: [other-ns], http: [{route: [{destination: {host: a}}]}]}
---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: r, namespace: ns1}
spec: {host: a}
---
apiVersion: networking.istio.io/v1beta1
kind: VirtualService
metadata: {name: r, namespace: ns1}
spec: {hosts: [second], http: [{route: [{destination: {host: a}}]}]}
)");
  ConfigSet set = buildCheckedModel(l);
  REQUIRE(set.virtual_services.size() == 2);
  // Input order of the survivors: ns2/r (document 2), then the second ns1/r (document 4).
  CHECK(set.virtual_services[0].meta.ref() == "ns2/r");
  CHECK(set.virtual_services[1].meta.ref() == "ns1/r");
  CHECK(set.virtual_services[1].hosts == std::vector<std::string>{"second"});
  CHECK(set.virtual_services[1].meta.ordinal == 3);
  REQUIRE(set.destination_rules.size() == 1);  // another kind is not a duplicate
}

TEST_CASE("model set: schema-invalid objects are left out, an earlier valid copy survives",
          "[model]") {
  Loaded l(R"(apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: r}
spec: {hosts: [valid], http: [{route: [{destination: {host: a}}]}]}
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: r}
spec: {hosts: [invalid], http: [{route: [{destination: {host: a}}]}], bogusField: 1}
---
apiVersion: networking.istio.io/v1
kind: Gateway
metadata: {name: g}
spec: {servers: [{port: {number: 80, name: http, protocol: HTTP}, hosts: ["*"]}]}
)");
  SECTION("with the real schema check") {
    ConfigSet set = buildCheckedModel(l);
    REQUIRE_FALSE(l.resources()[1].schema_valid);
    REQUIRE(set.virtual_services.size() == 1);
    CHECK(set.virtual_services[0].hosts == std::vector<std::string>{"valid"});
    CHECK(set.gateways.size() == 1);
  }
  SECTION("with schema_valid set by hand") {
    l.loader.resources()[2].schema_valid = false;
    ConfigSet set = buildModel(l);
    REQUIRE(set.virtual_services.size() == 1);
    CHECK(set.virtual_services[0].hosts == std::vector<std::string>{"invalid"});
    CHECK(set.gateways.empty());
  }
}

TEST_CASE("model set: kinds without routing effect are ignored, the mesh config is kept",
          "[model]") {
  Loaded l(R"(apiVersion: v1
kind: Namespace
metadata: {name: ns1}
---
apiVersion: v1
kind: Secret
metadata: {name: s}
---
apiVersion: security.istio.io/v1
kind: RequestAuthentication
metadata: {name: ra}
spec: {}
---
apiVersion: apps/v1
kind: DaemonSet
metadata: {name: ds}
spec: {template: {metadata: {labels: {a: b}}}}
---
apiVersion: apps/v1
kind: ReplicaSet
metadata: {name: rs}
spec: {template: {metadata: {labels: {c: d}}}}
)");
  meshc::frontend::MeshConfig mesh;
  mesh.root_namespace = "custom-root";
  ConfigSet set = buildModel(l, mesh);
  CHECK(set.mesh.root_namespace == "custom-root");
  CHECK(set.virtual_services.empty());
  CHECK(set.services.empty());
  REQUIRE(set.workloads.size() == 2);
  CHECK(set.workloads[0].labels.at("a") == "b");
  CHECK(set.workloads[1].labels.at("c") == "d");
}

TEST_CASE(
    "model order: creationTimestamp (empty first), then name, namespace, input order "
    "(SEMANTICS 4.1)",
    "[model]") {
  CHECK(configOrderLess(meta("", "z", "z", 9), meta("2020-01-01T00:00:00Z", "a", "a", 0)));
  CHECK_FALSE(configOrderLess(meta("2020-01-01T00:00:00Z", "a", "a", 0), meta("", "z", "z", 9)));
  CHECK(configOrderLess(meta("2020-01-01T00:00:00Z", "z", "z", 9),
                        meta("2021-01-01T00:00:00Z", "a", "a", 0)));
  CHECK(configOrderLess(meta("2020-01-01T00:00:00Z", "a", "z", 9),
                        meta("2020-01-01T00:00:00Z", "b", "a", 0)));
  CHECK(configOrderLess(meta("", "a", "ns1", 9), meta("", "a", "ns2", 0)));
  CHECK(configOrderLess(meta("", "a", "ns1", 1), meta("", "a", "ns1", 2)));
  CHECK_FALSE(configOrderLess(meta("", "a", "ns1", 2), meta("", "a", "ns1", 2)));
}

TEST_CASE("model order: timestamps compare as instants (offsets, fractions), not as text",
          "[model]") {
  // 01:00+02:00 is 23:00Z the day before, so it is older although it sorts later as text.
  CHECK(configOrderLess(meta("2024-01-02T01:00:00+02:00", "b", "ns", 1),
                        meta("2024-01-01T23:30:00Z", "a", "ns", 0)));
  CHECK(configOrderLess(meta("2024-01-01T00:00:00Z", "b", "ns", 1),
                        meta("2024-01-01T00:00:00.5Z", "a", "ns", 0)));
  // Equal instants fall through to the name.
  CHECK(configOrderLess(meta("2024-01-01T02:00:00+02:00", "a", "ns", 1),
                        meta("2024-01-01T00:00:00Z", "b", "ns", 0)));
  // Unreadable timestamps count as the zero time, like an empty one.
  CHECK(
      configOrderLess(meta("yesterday", "b", "ns", 0), meta("2024-01-01T00:00:00Z", "a", "ns", 0)));
  CHECK(configOrderLess(meta("", "a", "ns", 0), meta("garbage", "b", "ns", 0)));
}

TEST_CASE("model order: sorting loaded VirtualServices by configOrderLess", "[model]") {
  Loaded l(R"(apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: c, creationTimestamp: "2024-03-01T00:00:00Z"}
spec: {hosts: [c], http: [{route: [{destination: {host: a}}]}]}
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: b}
spec: {hosts: [b], http: [{route: [{destination: {host: a}}]}]}
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: a, creationTimestamp: "2024-02-01T00:00:00Z"}
spec: {hosts: [a], http: [{route: [{destination: {host: a}}]}]}
)");
  ConfigSet set = buildModel(l);
  REQUIRE(set.virtual_services.size() == 3);
  CHECK(set.virtual_services[0].meta.creation_timestamp == "2024-03-01T00:00:00Z");
  std::vector<ObjectMeta> metas;
  for (const auto& vs : set.virtual_services) {
    metas.push_back(vs.meta);
  }
  std::sort(metas.begin(), metas.end(), configOrderLess);
  CHECK(metas[0].name == "b");
  CHECK(metas[1].name == "a");
  CHECK(metas[2].name == "c");
}
