// Bundle format version 4: the tcp_proxy idle timeout and the Cluster's tcp.idleTimeout survive
// the codec; the newest committed golden's (v5) TCP chains carry what 70-tcp.yaml's
// DestinationRules say (PROXY-SEMANTICS R15.3: a single destination takes its DestinationRule's
// tcp.idleTimeout, weighted ones Envoy's 1 h default); a v3 bundle is refused.
#include <catch2/catch.hpp>

#include "bundle/bundle_reader.h"
#include "bundle/codec.h"
#include "bundle_test_util.h"

using namespace meshc;

namespace {

constexpr int64_t kMinute = 60'000'000'000;

const xds::FilterChain* onlyChain(const xds::ProxyConfig& pc, std::string_view listener) {
  for (const xds::Listener& l : pc.listeners) {
    if (l.name == listener && l.filter_chains.size() == 1) {
      return &l.filter_chains.front();
    }
  }
  return nullptr;
}

}  // namespace

TEST_CASE("bundle v4 codec: tcp_proxy and cluster TCP idle timeouts round-trip",
          "[bundle][bundle-v4]") {
  xds::TcpProxy tp;
  tp.cluster = "outbound|5432||db.example";
  tp.idle_timeout_ns = 0;  // 0 = no idle timeout: kept apart from unset
  CHECK(testing::roundTrip(tp).idle_timeout_ns == std::optional<int64_t>(0));
  tp.idle_timeout_ns = INT64_MAX;
  CHECK(testing::roundTrip(tp).idle_timeout_ns == std::optional<int64_t>(INT64_MAX));
  CHECK_FALSE(testing::roundTrip(xds::TcpProxy{}).idle_timeout_ns.has_value());
  xds::Cluster c;
  c.tcp_idle_timeout_ns = 5;
  CHECK(testing::roundTrip(c).tcp_idle_timeout_ns == std::optional<int64_t>(5));
  CHECK_FALSE(testing::roundTrip(xds::Cluster{}).tcp_idle_timeout_ns.has_value());
}

TEST_CASE("bundle v4: the committed v5 gateway golden carries its TCP chains' idle timeouts",
          "[bundle][bundle-v4]") {
  const bundle::Bundle b = testing::readGoldenBundle("tests/golden/bundle/v5/shop-gateway.mcb");
  const xds::ProxyConfig& pc = b.config;
  // orders-db: tcp.idleTimeout 15m on the DestinationRule, one destination.
  const xds::FilterChain* db = onlyChain(pc, "0.0.0.0_5432");
  REQUIRE(db != nullptr);
  REQUIRE(db->tcp_proxy.has_value());
  CHECK(db->tcp_proxy->cluster == "outbound|5432||orders-db.shop.svc.cluster.local");
  CHECK(db->tcp_proxy->idle_timeout_ns == std::optional<int64_t>(15 * kMinute));
  const xds::Cluster* cluster = pc.findCluster("outbound|5432||orders-db.shop.svc.cluster.local");
  REQUIRE(cluster != nullptr);
  CHECK(cluster->tcp_idle_timeout_ns == std::optional<int64_t>(15 * kMinute));
  // Upstream HTTP connections fall back to tcp.idleTimeout when http.idleTimeout is unset.
  CHECK(cluster->idle_timeout_ns == std::optional<int64_t>(15 * kMinute));
  // payments: TLS passthrough by SNI, 80/20 — weighted, so Envoy's default (unset).
  const xds::FilterChain* pay = onlyChain(pc, "0.0.0.0_8443");
  REQUIRE(pay != nullptr);
  CHECK(pay->match.server_names == std::vector<std::string>{"pay.example.com"});
  CHECK_FALSE(pay->terminates_tls);
  REQUIRE(pay->tcp_proxy.has_value());
  REQUIRE(pay->tcp_proxy->weighted.size() == 2);
  CHECK(pay->tcp_proxy->weighted[0].weight == 80);
  CHECK(pay->tcp_proxy->weighted[1].name == "outbound|443|next|payments.shop.svc.cluster.local");
  CHECK_FALSE(pay->tcp_proxy->idle_timeout_ns.has_value());
}

TEST_CASE("bundle v4: the committed version-3 golden is refused with the version-3 message",
          "[bundle][bundle-v4]") {
  testing::checkGoldenRefused(
      "tests/golden/bundle/v3/shop-gateway.mcb",
      "shop-gateway.mcb: bundle format version 3 (written by meshc 0.1.0) is older than this "
      "reader's version 5, which adds TCP proxy idle timeouts, gateway TLS settings: recompile "
      "the bundle with this meshc");
}
