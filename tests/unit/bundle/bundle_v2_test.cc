// Bundle format version 2: every field it adds (HashPolicy cookie TTL/path/attributes, Cluster
// subset labels and ring/Maglev sizes, ProxyIdentity num_trusted_proxies) survives the codec
// and a whole write/read, and a version-1 bundle is refused with its own message.
#include <catch2/catch.hpp>

#include "bundle/bundle_reader.h"
#include "bundle/codec.h"
#include "bundle_test_util.h"

using namespace meshc;

namespace {

xds::HashPolicy cookiePolicy() {
  xds::HashPolicy h;
  h.cookie_name = "session";
  h.cookie_ttl_ns = 90'000'000'000;
  h.cookie_path = "/cart";
  h.cookie_attributes = {{"SameSite", "Strict"}, {"Secure", ""}};
  return h;
}

xds::Cluster subsetCluster() {
  xds::Cluster c;
  c.name = "outbound|80|v2|web.shop.svc.cluster.local";
  c.service_host = "web.shop.svc.cluster.local";
  c.port = 80;
  c.subset = "v2";
  c.lb_policy = "MAGLEV";
  c.subset_labels = {{"version", "v2"}, {"zone", "a"}};
  c.ring_hash_minimum_ring_size = 8'388'608;       // Envoy's maximum
  c.maglev_table_size = (uint64_t{1} << 32) + 15;  // needs all 64 bits
  c.endpoints.push_back({"10.1.0.2", 8080, 3, {{"version", "v2"}}});
  return c;
}


}  // namespace

TEST_CASE("bundle v2 codec: hash policy cookie ttl, path and attributes round-trip",
          "[bundle][bundle-v2]") {
  xds::HashPolicy back = testing::roundTrip(cookiePolicy());
  CHECK(back.cookie_name == "session");
  CHECK(back.cookie_ttl_ns == std::optional<int64_t>(90'000'000'000));
  CHECK(back.cookie_path == "/cart");
  using Attr = std::pair<std::string, std::string>;
  CHECK(back.cookie_attributes == std::vector<Attr>{{"SameSite", "Strict"}, {"Secure", ""}});
  // A zero TTL (Max-Age omitted) stays distinct from no TTL (no cookie generated).
  xds::HashPolicy zero = cookiePolicy();
  zero.cookie_ttl_ns = 0;
  CHECK(testing::roundTrip(zero).cookie_ttl_ns == std::optional<int64_t>(0));
  xds::HashPolicy none = cookiePolicy();
  none.cookie_ttl_ns.reset();
  CHECK_FALSE(testing::roundTrip(none).cookie_ttl_ns.has_value());
}

TEST_CASE("bundle v2 codec: cluster subset labels and table sizes round-trip",
          "[bundle][bundle-v2]") {
  xds::Cluster back = testing::roundTrip(subsetCluster());
  CHECK(back.name == "outbound|80|v2|web.shop.svc.cluster.local");
  CHECK(back.lb_policy == "MAGLEV");
  CHECK(back.subset_labels == xds::StringMap{{"version", "v2"}, {"zone", "a"}});
  CHECK(back.ring_hash_minimum_ring_size == 8'388'608);
  CHECK(back.maglev_table_size == (uint64_t{1} << 32) + 15);
  REQUIRE(back.endpoints.size() == 1);
  CHECK(back.endpoints[0].weight == 3);
}

TEST_CASE("bundle v2 codec: proxy identity num_trusted_proxies round-trips",
          "[bundle][bundle-v2]") {
  xds::ProxyIdentity p = testing::shopGateway();
  p.num_trusted_proxies = 4'000'000'000u;
  xds::ProxyIdentity back = testing::roundTrip(p);
  CHECK(back.num_trusted_proxies == 4'000'000'000u);
  CHECK(back.kind == xds::ProxyIdentity::Kind::kGateway);
  CHECK(back.labels == p.labels);
}

TEST_CASE("bundle v2: a whole bundle keeps every new field through write and read",
          "[bundle][bundle-v2]") {
  testing::Compiled c =
      testing::compileYaml(testing::readSample("samples/shop"), testing::shopGateway());
  Expected<bundle::Bundle> first = bundle::readBundle(c.bytes, "routes.mcb");
  REQUIRE(first.hasValue());
  CHECK(first->header.format_version == bundle::kBundleFormatVersion);
  xds::ProxyConfig& pc = first->config;
  pc.proxy.num_trusted_proxies = 2;
  pc.clusters.push_back(subsetCluster());
  bool placed = false;
  for (auto& rc : pc.route_configs) {
    for (auto& vh : rc.virtual_hosts) {
      for (auto& r : vh.routes) {
        if (!placed && r.action == xds::Route::ActionKind::kRoute) {
          r.route.hash_policy = {cookiePolicy()};
          placed = true;
        }
      }
    }
  }
  REQUIRE(placed);
  emit::BundleInputs in;
  in.config = &pc;
  in.programs = &first->programs;
  in.source_files = first->source_files;
  in.compiler_version = first->header.compiler_version;
  in.input_hash = first->header.input_hash;
  std::string bytes = emit::writeBundle(in);
  Expected<bundle::Bundle> second = bundle::readBundle(bytes, "routes.mcb");
  REQUIRE(second.hasValue());
  CHECK(second->config.proxy.num_trusted_proxies == 2);
  const xds::Cluster* cl = second->config.findCluster("outbound|80|v2|web.shop.svc.cluster.local");
  REQUIRE(cl != nullptr);
  CHECK(cl->subset_labels == xds::StringMap{{"version", "v2"}, {"zone", "a"}});
  CHECK(cl->maglev_table_size == (uint64_t{1} << 32) + 15);
  CHECK(cl->ring_hash_minimum_ring_size == 8'388'608);
  const xds::HashPolicy* hp = nullptr;
  for (auto& rc : second->config.route_configs) {
    for (auto& vh : rc.virtual_hosts) {
      for (auto& r : vh.routes) {
        if (hp == nullptr && !r.route.hash_policy.empty()) {
          hp = &r.route.hash_policy[0];
        }
      }
    }
  }
  REQUIRE(hp != nullptr);
  CHECK(hp->cookie_ttl_ns == std::optional<int64_t>(90'000'000'000));
  CHECK(hp->cookie_path == "/cart");
  CHECK(hp->cookie_attributes.size() == 2);
  // Re-encoding what was read gives the same bytes (nothing dropped or defaulted).
  in.config = &second->config;
  in.programs = &second->programs;
  CHECK(emit::writeBundle(in) == bytes);
  // The summary (inspect) reads the trusted proxies from PRXY too.
  Expected<bundle::BundleSummary> s = bundle::inspectBundle(bytes, "routes.mcb");
  REQUIRE(s.hasValue());
  CHECK(s->proxy.num_trusted_proxies == 2);
}

TEST_CASE("bundle v2: the committed version-1 golden is refused with the version-1 message",
          "[bundle][bundle-v2]") {
  testing::checkGoldenRefused(
      "tests/golden/bundle/v1/shop-gateway.mcb",
      "shop-gateway.mcb: bundle format version 1 (written by meshc 0.1.0) is older than this "
      "reader's version 5, which adds consistent-hash cookie TTL/path/attributes, subset labels, "
      "ring-hash and Maglev sizes, trusted proxies, DestinationRule connection pools and outlier "
      "detection, TCP proxy idle timeouts, gateway TLS settings: recompile the bundle with this "
      "meshc");
}

TEST_CASE("bundle v2 fields: the committed v5 gateway golden carries what its manifests say",
          "[bundle][bundle-v2]") {
  // tests/golden/bundle/v5/shop/60-load-balancing.yaml, 40-destination-rules.yaml, mesh.yaml
  // (the v2 golden's manifests, which v3 to v5 keep).
  const bundle::Bundle b = testing::readGoldenBundle("tests/golden/bundle/v5/shop-gateway.mcb");
  const xds::ProxyConfig& pc = b.config;
  CHECK(pc.proxy.num_trusted_proxies == 1);  // gatewayTopology.numTrustedProxies: 1
  const xds::Cluster* cart = pc.findCluster("outbound|8080||cart.shop.svc.cluster.local");
  REQUIRE(cart != nullptr);
  CHECK(cart->lb_policy == "MAGLEV");
  CHECK(cart->maglev_table_size == 65521);
  const xds::Cluster* statics = pc.findCluster("outbound|80||static.shop.svc.cluster.local");
  REQUIRE(statics != nullptr);
  CHECK(statics->lb_policy == "RING_HASH");
  CHECK(statics->ring_hash_minimum_ring_size == 2048);
  const xds::Cluster* v2 = pc.findCluster("outbound|80|v2|frontend.shop.svc.cluster.local");
  REQUIRE(v2 != nullptr);
  CHECK(v2->subset_labels == xds::StringMap{{"version", "v2"}});
  // Route cart-api sends to cart, so it hashes on the generated cookie.
  const xds::Route* cart_api = nullptr;
  for (const auto& rc : pc.route_configs) {
    for (const auto& vh : rc.virtual_hosts) {
      for (const auto& r : vh.routes) {
        if (r.name == "cart-api") {
          cart_api = &r;
        }
      }
    }
  }
  REQUIRE(cart_api != nullptr);
  REQUIRE(cart_api->route.hash_policy.size() == 1);
  const xds::HashPolicy& hp = cart_api->route.hash_policy[0];
  CHECK(hp.cookie_name == "cart-session");
  CHECK(hp.cookie_path == "/api");
  CHECK(hp.cookie_ttl_ns == std::optional<int64_t>(3600'000'000'000));
  using Attr = std::pair<std::string, std::string>;
  CHECK(hp.cookie_attributes == std::vector<Attr>{{"SameSite", "Lax"}});
}
