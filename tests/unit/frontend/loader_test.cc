// Tests for the loader: kinds, List expansion, namespace defaulting, skipped kinds, non-objects.
#include <catch2/catch.hpp>

#include "test_util.h"

using namespace meshc::frontend;
using meshc::testing::Loaded;
using meshc::testing::hasId;

TEST_CASE("loader reads every Istio version and defaults the namespace", "[loader]") {
  Loaded l(R"(apiVersion: networking.istio.io/v1alpha3
kind: VirtualService
metadata: {name: a}
spec: {hosts: [a], http: [{route: [{destination: {host: a}}]}]}
---
apiVersion: networking.istio.io/v1beta1
kind: Gateway
metadata: {name: g, namespace: istio-system}
---
apiVersion: v1
kind: Service
metadata: {name: s}
)");
  REQUIRE(l.resources().size() == 3);
  CHECK(l.resources()[0].kind == ResourceKind::kVirtualService);
  CHECK(l.resources()[0].name_space == "default");
  CHECK(l.resources()[0].namespace_defaulted);
  CHECK(l.resources()[1].name_space == "istio-system");
  CHECK(l.resources()[2].kind == ResourceKind::kService);
  CHECK(l.sink.size() == 0);
}

TEST_CASE("kind List is expanded and unknown kinds are counted, not errors", "[loader]") {
  Loaded l(R"(apiVersion: v1
kind: List
items:
- apiVersion: networking.istio.io/v1
  kind: Gateway
  metadata: {name: g}
- apiVersion: example.com/v1
  kind: Widget
  metadata: {name: w}
)");
  REQUIRE(l.resources().size() == 1);
  CHECK(l.loader.skippedKinds().at("example.com/v1 Widget") == 1);
  CHECK(l.sink.size() == 0);
}

TEST_CASE("a document that is not a Kubernetes object is an error", "[loader]") {
  Loaded l("just: a map\n---\n- a list\n");
  CHECK(l.resources().empty());
  CHECK(l.sink.size() == 2);
  CHECK(hasId(l.sink.diagnostics(), "not-an-object"));
}

TEST_CASE("a known kind at an unknown version is an error at apiVersion", "[loader]") {
  Loaded l("apiVersion: networking.istio.io/v2\nkind: VirtualService\nmetadata: {name: a}\n");
  REQUIRE(l.sink.size() == 1);
  CHECK(l.sink.diagnostics()[0].id == "unknown-api-version");
  CHECK(l.sink.diagnostics()[0].loc.line == 1);
  CHECK(l.sink.diagnostics()[0].loc.column == 13);
}

TEST_CASE("metadata labels and annotations are read", "[loader]") {
  Loaded l(R"(apiVersion: v1
kind: Pod
metadata:
  name: p
  labels: {app: reviews, version: v1}
  annotations: {galley.istio.io/analyze-suppress: IST0101}
)");
  REQUIRE(l.resources().size() == 1);
  CHECK(l.resources()[0].labels.at("app") == "reviews");
  CHECK(l.resources()[0].annotations.at("galley.istio.io/analyze-suppress") == "IST0101");
}

TEST_CASE("parseSuppression needs exactly one '='", "[loader]") {
  CHECK(parseSuppression("IST0101=VirtualService default/x").has_value());
  CHECK_FALSE(parseSuppression("IST0101").has_value());
  CHECK_FALSE(parseSuppression("a=b=c").has_value());
}
