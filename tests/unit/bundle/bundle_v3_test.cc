// Bundle format version 3: the Cluster fields it adds (panic threshold, circuit breakers,
// requests per connection, idle and connect timeouts, outlier detection) survive the codec;
// the newest committed golden (v5) carries what its DestinationRules say after Istio's
// translation (PROXY-SEMANTICS R12.1, R12.4, R5.8) and MergeTrafficPolicy; a v2 bundle is
// refused.
#include <catch2/catch.hpp>

#include "bundle/bundle_reader.h"
#include "bundle/codec.h"
#include "bundle_test_util.h"

using namespace meshc;

namespace {


constexpr uint32_t kMax = UINT32_MAX;
constexpr int64_t kSecond = 1'000'000'000;

}  // namespace

TEST_CASE("bundle v3 codec: cluster pool limits, timeouts and outlier detection round-trip",
          "[bundle][bundle-v3]") {
  xds::Cluster c;
  c.name = "outbound|80||a.example";
  c.healthy_panic_threshold = 0;
  c.circuit_breakers = {1, 2, 3, 4, xds::RetryBudget{125'000, 9}};
  c.max_requests_per_connection = 7;
  c.idle_timeout_ns = 1;
  c.connect_timeout_ns = INT64_MAX;
  xds::OutlierDetection od;
  od.consecutive_5xx = 0;
  od.enforcing_consecutive_5xx = 0;
  od.consecutive_gateway_failure = 9;
  od.enforcing_consecutive_gateway_failure = 100;
  od.interval_ns = 123;
  od.base_ejection_time_ns = 456;
  od.max_ejection_percent = 100;
  od.max_ejection_time_ns = 789;
  od.split_external_local_origin_errors = true;
  od.consecutive_local_origin_failure = 11;
  od.enforcing_consecutive_local_origin_failure = 12;
  c.outlier_detection = od;
  xds::Cluster back = testing::roundTrip(c);
  CHECK(back.healthy_panic_threshold == 0);
  CHECK(back.circuit_breakers == xds::CircuitBreakers{1, 2, 3, 4, xds::RetryBudget{125'000, 9}});
  CHECK(back.max_requests_per_connection == 7);
  CHECK(back.idle_timeout_ns == std::optional<int64_t>(1));
  CHECK(back.connect_timeout_ns == std::optional<int64_t>(INT64_MAX));
  REQUIRE(back.outlier_detection.has_value());
  CHECK(*back.outlier_detection == od);
  // Unset stays unset; the defaults stay Envoy's and Istio's.
  xds::Cluster plain;
  xds::Cluster plain_back = testing::roundTrip(plain);
  CHECK_FALSE(plain_back.idle_timeout_ns.has_value());
  CHECK_FALSE(plain_back.connect_timeout_ns.has_value());
  CHECK_FALSE(plain_back.outlier_detection.has_value());
  CHECK(plain_back.circuit_breakers == xds::CircuitBreakers{kMax, kMax, kMax, kMax});
  CHECK(plain_back.healthy_panic_threshold == 50);
}

TEST_CASE("bundle v3: the committed gateway golden carries its DestinationRules' pools and detectors",
          "[bundle][bundle-v3]") {
  // tests/golden/bundle/v5/shop/40-destination-rules.yaml: frontend's top-level pool
  // (maxConnections 200, http1MaxPendingRequests 100) and detector (5 consecutive 5xx,
  // interval 10 s, base 30 s); subset v2 replaces both whole with its own.
  const bundle::Bundle b = testing::readGoldenBundle("tests/golden/bundle/v5/shop-gateway.mcb");
  const xds::ProxyConfig& pc = b.config;
  // (The bundle keeps the clusters its routes use: frontend's subsets, not its plain cluster.)
  for (const char* name : {"outbound|80|v1|frontend.shop.svc.cluster.local"}) {
    INFO(name);
    const xds::Cluster* c = pc.findCluster(name);
    REQUIRE(c != nullptr);
    CHECK(c->circuit_breakers == xds::CircuitBreakers{200, 100, kMax, kMax});
    CHECK(c->max_requests_per_connection == 0);
    CHECK_FALSE(c->idle_timeout_ns.has_value());
    CHECK_FALSE(c->connect_timeout_ns.has_value());
    REQUIRE(c->outlier_detection.has_value());
    const xds::OutlierDetection& od = *c->outlier_detection;
    CHECK(od.consecutive_5xx == 5);
    CHECK(od.enforcing_consecutive_5xx == 100);
    CHECK(od.consecutive_gateway_failure == 5);             // Envoy's default ...
    CHECK(od.enforcing_consecutive_gateway_failure == 0);   // ... not enforced
    CHECK(od.interval_ns == 10 * kSecond);
    CHECK(od.base_ejection_time_ns == 30 * kSecond);
    CHECK(od.max_ejection_percent == 10);
    CHECK(od.max_ejection_time_ns == 300 * kSecond);
    CHECK(c->healthy_panic_threshold == 0);  // minHealthPercent unset: panic off
  }
  const xds::Cluster* v2 = pc.findCluster("outbound|80|v2|frontend.shop.svc.cluster.local");
  REQUIRE(v2 != nullptr);
  // retryBudget percent 12.5, minRetryConcurrency left to Envoy's 3.
  CHECK(v2->circuit_breakers ==
        xds::CircuitBreakers{kMax, kMax, kMax, kMax, xds::RetryBudget{125'000, 3}});
  CHECK(v2->max_requests_per_connection == 1);
  CHECK(v2->idle_timeout_ns == std::optional<int64_t>(30 * kSecond));
  CHECK(v2->connect_timeout_ns == std::optional<int64_t>(2 * kSecond));
  REQUIRE(v2->outlier_detection.has_value());
  CHECK(v2->outlier_detection->consecutive_5xx == 5);
  CHECK(v2->outlier_detection->enforcing_consecutive_5xx == 100);
  CHECK(v2->outlier_detection->consecutive_gateway_failure == 3);
  CHECK(v2->outlier_detection->enforcing_consecutive_gateway_failure == 100);
  CHECK(v2->outlier_detection->interval_ns == 10 * kSecond);
  CHECK(v2->outlier_detection->max_ejection_percent == 50);
  CHECK(v2->healthy_panic_threshold == 25);
  // A cluster without a DestinationRule: Istio's thresholds, no detector, Envoy's panic 50.
  const xds::Cluster* cart = pc.findCluster("outbound|8080||cart.shop.svc.cluster.local");
  REQUIRE(cart != nullptr);
  CHECK(cart->circuit_breakers == xds::CircuitBreakers{kMax, kMax, kMax, kMax});
  CHECK_FALSE(cart->outlier_detection.has_value());
  CHECK(cart->healthy_panic_threshold == 50);
}

TEST_CASE("bundle v3: the committed version-2 golden is refused with the version-2 message",
          "[bundle][bundle-v3]") {
  testing::checkGoldenRefused(
      "tests/golden/bundle/v2/shop-gateway.mcb",
      "shop-gateway.mcb: bundle format version 2 (written by meshc 0.1.0) is older than this "
      "reader's version 5, which adds DestinationRule connection pools and outlier detection, "
      "TCP proxy idle timeouts, gateway TLS settings: recompile the bundle with this meshc");
}
