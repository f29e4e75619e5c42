// Bundle format version 5: a filter chain's TLS context survives the codec; the committed v5
// gateway golden's terminating chains carry what tests/golden/bundle/v5/shop/20-gateway.yaml,
// 80-tls.yaml and mesh.yaml say after Istio's translation (PROXY-SEMANTICS R14.1, R14.4-R14.6:
// mesh tlsDefaults first, the server's own settings over them, cipherSuites filtered to the
// names Envoy knows, ALPN h2/http/1.1); a v4 bundle is refused.
#include <catch2/catch.hpp>

#include "bundle/bundle_reader.h"
#include "bundle/codec.h"
#include "bundle_test_util.h"

using namespace meshc;

namespace {

using Strings = std::vector<std::string>;

const xds::Listener* findListener(const xds::ProxyConfig& pc, std::string_view name) {
  for (const xds::Listener& l : pc.listeners) {
    if (l.name == name) {
      return &l;
    }
  }
  return nullptr;
}

// mesh.yaml's tlsDefaults.
const Strings kMeshCiphers = {"ECDHE-ECDSA-AES256-GCM-SHA384", "ECDHE-RSA-AES256-GCM-SHA384"};
const Strings kMeshCurves = {"X25519", "P-256"};
const Strings kAlpnHttp = {"h2", "http/1.1"};

}  // namespace

TEST_CASE("bundle v5 codec: a filter chain's TLS context round-trips, every field",
          "[bundle][bundle-v5]") {
  xds::TlsContext t;
  t.mode = "OPTIONAL_MUTUAL";
  t.credential_names = {"rsa-cert", "ecdsa-cert"};
  t.server_certificate = "/etc/certs/tls.crt";
  t.private_key = "/etc/certs/tls.key";
  t.ca_certificates = "/etc/certs/ca.crt";
  t.min_protocol_version = "TLSV1_2";
  t.max_protocol_version = "TLSV1_3";
  t.cipher_suites = {"ECDHE-RSA-AES128-GCM-SHA256", "[A|B]"};
  t.ecdh_curves = {"X25519"};
  t.subject_alt_names = {"spiffe://td/ns/a/sa/b", "client.example.com"};
  t.verify_certificate_spki = {"NvqYIYSbgK2vCJpQhObf77vv+bQWtc5ek5RIOwPiC9A="};
  t.verify_certificate_hash = {"df6ff72fe9116521268f6f2dd4966f51df479883fe7037b39f75916ac3049d1a"};
  t.alpn = {"istio-peer-exchange", "h2", "http/1.1"};
  CHECK(testing::roundTrip(t) == t);
  CHECK(testing::roundTrip(xds::TlsContext{}) == xds::TlsContext{});
  xds::FilterChain c;
  c.terminates_tls = true;
  c.http = true;
  c.rds_name = "https.443.https.gw.ns";
  c.tls = t;
  xds::FilterChain back = testing::roundTrip(c);
  REQUIRE(back.tls.has_value());
  CHECK(*back.tls == t);
  CHECK_FALSE(testing::roundTrip(xds::FilterChain{}).tls.has_value());
}

TEST_CASE("bundle v5: the committed gateway golden's TLS chains carry what the manifests say",
          "[bundle][bundle-v5]") {
  const bundle::Bundle b = testing::readGoldenBundle("tests/golden/bundle/v5/shop-gateway.mcb");
  const xds::ProxyConfig& pc = b.config;

  // Port 443: shop-gateway's SIMPLE server, then shop-partners' MUTUAL one (Gateway order:
  // name), one chain each by SNI.
  const xds::Listener* https = findListener(pc, "0.0.0.0_443");
  REQUIRE(https != nullptr);
  REQUIRE(https->filter_chains.size() == 2);
  CHECK(https->has_tls_inspector);

  const xds::FilterChain& shop = https->filter_chains[0];
  CHECK(shop.match.server_names == Strings{"shop.example.com"});
  CHECK(shop.terminates_tls);
  CHECK(shop.http);
  CHECK(shop.rds_name == "https.443.https.shop-gateway.shop");
  CHECK_FALSE(shop.requires_client_certificate);
  xds::TlsContext want_shop;
  want_shop.mode = "SIMPLE";
  want_shop.credential_names = {"shop-cert"};
  want_shop.min_protocol_version = "TLSV1_2";  // the server's, over the mesh's TLSV1_3
  want_shop.cipher_suites = kMeshCiphers;      // the server names none
  want_shop.ecdh_curves = kMeshCurves;
  want_shop.alpn = kAlpnHttp;
  REQUIRE(shop.tls.has_value());
  CHECK(*shop.tls == want_shop);

  const xds::FilterChain& partners = https->filter_chains[1];
  CHECK(partners.match.server_names == Strings{"partners.example.com"});
  CHECK(partners.rds_name == "https.443.https-partners.shop-partners.shop");
  CHECK(partners.requires_client_certificate);
  xds::TlsContext want_partners;
  want_partners.mode = "MUTUAL";
  want_partners.credential_names = {"partners-cert"};
  want_partners.min_protocol_version = "TLSV1_2";
  want_partners.max_protocol_version = "TLSV1_3";
  // TLS_AES_128_GCM_SHA256 is not a name Envoy takes here, and the repeated suite counts once.
  want_partners.cipher_suites = {"ECDHE-RSA-AES256-GCM-SHA384", "ECDHE-ECDSA-AES128-GCM-SHA256"};
  want_partners.ecdh_curves = kMeshCurves;
  want_partners.subject_alt_names = {"spiffe://partners.example.com/ns/orders/sa/client",
                                     "client.partners.example.com"};
  want_partners.verify_certificate_hash = {
      "DF6FF72FE9116521268F6F2DD4966F51DF479883FE7037B39F75916AC3049D1A"};
  want_partners.alpn = kAlpnHttp;
  REQUIRE(partners.tls.has_value());
  CHECK(*partners.tls == want_partners);

  // Port 5433: TLS terminated with files, then TCP to orders-db; nothing of its own beyond the
  // certificate, so every mesh default holds.
  const xds::Listener* db = findListener(pc, "0.0.0.0_5433");
  REQUIRE(db != nullptr);
  REQUIRE(db->filter_chains.size() == 1);
  const xds::FilterChain& dbc = db->filter_chains[0];
  CHECK(dbc.match.server_names == Strings{"db.example.com"});
  CHECK(dbc.terminates_tls);
  CHECK_FALSE(dbc.http);
  REQUIRE(dbc.tcp_proxy.has_value());
  CHECK(dbc.tcp_proxy->cluster == "outbound|5432||orders-db.shop.svc.cluster.local");
  xds::TlsContext want_db;
  want_db.mode = "SIMPLE";
  want_db.server_certificate = "/etc/istio/orders-db-certs/tls.crt";
  want_db.private_key = "/etc/istio/orders-db-certs/tls.key";
  want_db.min_protocol_version = "TLSV1_3";
  want_db.cipher_suites = kMeshCiphers;
  want_db.ecdh_curves = kMeshCurves;
  want_db.alpn = kAlpnHttp;  // BuildListenerTLSContext offers ALPNHttp on TCP chains too
  REQUIRE(dbc.tls.has_value());
  CHECK(*dbc.tls == want_db);

  // Chains that terminate nothing carry no TLS context: plain HTTP, opaque TCP, passthrough.
  for (std::string_view name : {"0.0.0.0_80", "0.0.0.0_5432", "0.0.0.0_8443"}) {
    const xds::Listener* l = findListener(pc, name);
    REQUIRE(l != nullptr);
    for (const xds::FilterChain& c : l->filter_chains) {
      INFO(name);
      CHECK_FALSE(c.terminates_tls);
      CHECK_FALSE(c.tls.has_value());
    }
  }
}

TEST_CASE("bundle v5: the committed sidecar golden has no TLS context anywhere",
          "[bundle][bundle-v5]") {
  Expected<bundle::Bundle> b = bundle::readBundle(
      testing::goldenBytes("tests/golden/bundle/v5/shop-sidecar.mcb"), "shop-sidecar.mcb");
  REQUIRE(b.hasValue());
  for (const xds::Listener& l : b->config.listeners) {
    for (const xds::FilterChain& c : l.filter_chains) {
      CHECK_FALSE(c.tls.has_value());
    }
  }
}

TEST_CASE("bundle v5: the committed version-4 golden is refused with the version-4 message",
          "[bundle][bundle-v5]") {
  testing::checkGoldenRefused(
      "tests/golden/bundle/v4/shop-gateway.mcb",
      "shop-gateway.mcb: bundle format version 4 (written by meshc 0.1.0) is older than this "
      "reader's version 5, which adds gateway TLS settings: recompile the bundle with this meshc");
}
