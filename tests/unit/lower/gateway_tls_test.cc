// Gateway TLS contexts (bundle format v5): what a terminating filter chain carries after Istio's
// translation of a server's `tls` (PROXY-SEMANTICS R14.1, R14.4-R14.6; istio gateway.go
// buildGatewayListenerTLSContext, listener.go BuildListenerTLSContext, security.go
// FilterCipherSuites). Expected values are written from those rules, not from output.
#include <catch2/catch.hpp>

#include "frontend/istio/cipher_suites.h"
#include "lower/gateway_test_util.h"

namespace {

using namespace meshc;
using namespace meshc::lower;
using Strings = std::vector<std::string>;

using testing::build;
using testing::findListener;
using testing::hasNote;
using testing::ingress;
using testing::Lowered;

// One Gateway in istio-system with `servers` (list items indented by two spaces), a VS routing
// every host to `web`, and one routing TCP to `db`, so every kind of server gets its chain.
std::string config(const std::string& servers) {
  return R"(apiVersion: networking.istio.io/v1
kind: Gateway
metadata: {name: gw, namespace: istio-system}
spec:
  selector: {istio: ingressgateway}
  servers:
)" + servers +
         R"(---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: web, namespace: istio-system}
spec:
  hosts: ["*.example.com"]
  gateways: [gw]
  http:
  - route: [{destination: {host: web.default.svc.cluster.local}}]
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: db, namespace: istio-system}
spec:
  hosts: ["*.example.com"]
  gateways: [gw]
  tcp:
  - route: [{destination: {host: db.default.svc.cluster.local, port: {number: 5432}}}]
)";
}

// An HTTPS server on 443 for `host` with the given `tls:` body (indented by six spaces).
std::string https(const std::string& name, const std::string& host, const std::string& tls) {
  return "  - port: {number: 443, name: " + name + ", protocol: HTTPS}\n    hosts: [" + host +
         "]\n    tls:\n" + tls;
}

const FilterChain& onlyChain(const Lowered& l, std::string_view listener) {
  const Listener* found = findListener(l, listener);
  INFO("listener " << listener);
  REQUIRE(found != nullptr);
  REQUIRE(found->filter_chains.size() == 1);
  return found->filter_chains[0];
}

const TlsContext& tlsOf(const FilterChain& c) {
  REQUIRE(c.tls.has_value());
  return *c.tls;
}

frontend::MeshConfig meshWithDefaults(const std::string& text) {
  SourceManager sources;
  DiagnosticSink sink;
  frontend::YamlArena arena;
  uint32_t id = sources.add("mesh.yaml", text);
  auto docs = frontend::parseYamlFile(sources, id, arena, sink);
  REQUIRE(docs.size() == 1);
  frontend::MeshConfig mesh = frontend::parseMeshConfig(*docs[0].root, sink);
  REQUIRE(sink.size() == 0);
  return mesh;
}

size_t countNotes(const Lowered& l, std::string_view id) {
  return static_cast<size_t>(std::count_if(l.notes.begin(), l.notes.end(),
                                           [id](const Diagnostic& d) { return d.id == id; }));
}

const Strings kAlpnHttp = {"h2", "http/1.1"};

}  // namespace

TEST_CASE("gateway TLS: FilterCipherSuites keeps known names and operators, once, in order",
          "[lower-gateway-tls]") {
  CHECK(istio::filterCipherSuites({"ECDHE-RSA-AES256-GCM-SHA384", "TLS_AES_128_GCM_SHA256",
                                   "ECDHE-ECDSA-AES128-GCM-SHA256", "ECDHE-RSA-AES256-GCM-SHA384",
                                   "ALL", "-AES128-SHA", "[ECDHE-ECDSA-AES128-GCM-SHA256|x]",
                                   "RC4-MD5", "des-cbc3-sha", "DES-CBC3-SHA"}) ==
        Strings{"ECDHE-RSA-AES256-GCM-SHA384", "ECDHE-ECDSA-AES128-GCM-SHA256", "ALL",
                "-AES128-SHA", "[ECDHE-ECDSA-AES128-GCM-SHA256|x]", "DES-CBC3-SHA"});
  CHECK(istio::filterCipherSuites({}).empty());
  CHECK(istio::filterCipherSuites({"BOGUS", "BOGUS"}).empty());
}

TEST_CASE(
    "gateway TLS: a SIMPLE HTTPS server with a credential offers h2 and http/1.1 and "
    "carries its filtered ciphers and versions (R14.1, R14.4, R14.5)",
    "[lower-gateway-tls]") {
  Lowered l = build(config(https("https", "a.example.com", R"(      mode: SIMPLE
      credentialName: a-cert
      minProtocolVersion: TLSV1_2
      maxProtocolVersion: TLSV1_3
      cipherSuites: [ECDHE-RSA-AES256-GCM-SHA384, NOT-A-CIPHER, ECDHE-RSA-AES256-GCM-SHA384]
      subjectAltNames: [client.example.com]
      verifyCertificateHash: [AB12]
)")));
  const FilterChain& c = onlyChain(l, "0.0.0.0_443");
  CHECK(c.terminates_tls);
  CHECK(c.http);
  CHECK_FALSE(c.requires_client_certificate);
  TlsContext want;
  want.mode = "SIMPLE";
  want.credential_names = {"a-cert"};
  want.min_protocol_version = "TLSV1_2";
  want.max_protocol_version = "TLSV1_3";
  want.cipher_suites = {"ECDHE-RSA-AES256-GCM-SHA384"};
  // No client certificate is requested: the SANs (a CA-less SAN check Envoy would refuse) and
  // the pinned hash do not apply.
  want.alpn = kAlpnHttp;
  CHECK(tlsOf(c) == want);
  CHECK(countNotes(l, "lower-gw-tls-not-carried") == 0);
}

TEST_CASE(
    "gateway TLS: mesh tlsDefaults apply first, each field the server sets replaces "
    "its default (R14.5)",
    "[lower-gateway-tls]") {
  frontend::MeshConfig mesh = meshWithDefaults(R"(tlsDefaults:
  minProtocolVersion: TLSV1_3
  ecdhCurves: [P-256]
  cipherSuites: [ECDHE-ECDSA-AES256-GCM-SHA384]
)");
  CHECK(mesh.tls_defaults.min_protocol_version == "TLSV1_3");
  std::string servers =
      https("https-plain", "a.example.com", "      mode: SIMPLE\n      credentialName: a\n") +
      https("https-own", "b.example.com", R"(      mode: SIMPLE
      credentialName: b
      minProtocolVersion: TLSV1_2
      cipherSuites: [AES128-GCM-SHA256]
)") +
      // TLS_AUTO means "not set": the mesh minimum stays; an all-unknown cipher list filters to
      // nothing, so the mesh list stays too.
      https("https-auto", "c.example.com", R"(      mode: SIMPLE
      credentialName: c
      minProtocolVersion: TLS_AUTO
      cipherSuites: [TLS_AES_256_GCM_SHA384]
)") +
      // ISTIO_MUTUAL takes neither the mesh defaults nor the server's versions.
      https("https-mesh", "d.example.com", R"(      mode: ISTIO_MUTUAL
      minProtocolVersion: TLSV1_2
)");
  Lowered l = build(config(servers), ingress(), mesh);
  const Listener* listener = l.listeners.empty() ? nullptr : &l.listeners[0];
  REQUIRE(listener != nullptr);
  REQUIRE(listener->filter_chains.size() == 4);
  const TlsContext& plain = tlsOf(listener->filter_chains[0]);
  CHECK(plain.min_protocol_version == "TLSV1_3");
  CHECK(plain.cipher_suites == Strings{"ECDHE-ECDSA-AES256-GCM-SHA384"});
  CHECK(plain.ecdh_curves == Strings{"P-256"});
  const TlsContext& own = tlsOf(listener->filter_chains[1]);
  CHECK(own.min_protocol_version == "TLSV1_2");
  CHECK(own.cipher_suites == Strings{"AES128-GCM-SHA256"});
  CHECK(own.ecdh_curves == Strings{"P-256"});
  const TlsContext& autov = tlsOf(listener->filter_chains[2]);
  CHECK(autov.min_protocol_version == "TLSV1_3");
  CHECK(autov.cipher_suites == Strings{"ECDHE-ECDSA-AES256-GCM-SHA384"});
  const TlsContext& mtls = tlsOf(listener->filter_chains[3]);
  CHECK(mtls.mode == "ISTIO_MUTUAL");
  CHECK(mtls.min_protocol_version.empty());
  CHECK(mtls.cipher_suites.empty());
  CHECK(mtls.ecdh_curves.empty());
  // Without tlsDefaults nothing is filled in: Envoy's defaults (meshproxy's) apply.
  Lowered bare = build(config(https("https", "a.example.com",
                                    "      mode: SIMPLE\n"
                                    "      credentialName: a\n")));
  const TlsContext& t = tlsOf(onlyChain(bare, "0.0.0.0_443"));
  CHECK(t.min_protocol_version.empty());
  CHECK(t.max_protocol_version.empty());
  CHECK(t.cipher_suites.empty());
  CHECK(t.ecdh_curves.empty());
}

TEST_CASE("gateway TLS: a bad tlsDefaults.minProtocolVersion is reported", "[lower-gateway-tls]") {
  SourceManager sources;
  DiagnosticSink sink;
  frontend::YamlArena arena;
  uint32_t id = sources.add("mesh.yaml", "tlsDefaults:\n  minProtocolVersion: TLSV1_1\n");
  auto docs = frontend::parseYamlFile(sources, id, arena, sink);
  frontend::MeshConfig mesh = frontend::parseMeshConfig(*docs[0].root, sink);
  CHECK(mesh.tls_defaults.min_protocol_version.empty());
  REQUIRE(sink.size() == 1);
  CHECK(sink.diagnostics()[0].id == "mesh-config-invalid");
  CHECK(sink.diagnostics()[0].message ==
        "unknown tlsDefaults.minProtocolVersion \"TLSV1_1\"; expected TLS_AUTO, TLSV1_2 or "
        "TLSV1_3");
  CHECK(sink.diagnostics()[0].loc.line == 2);
}

TEST_CASE(
    "gateway TLS: MUTUAL and OPTIONAL_MUTUAL with a credential verify clients by SAN, "
    "SPKI and hash, and only MUTUAL requires a certificate (R14.6)",
    "[lower-gateway-tls]") {
  std::string validation = R"(      subjectAltNames: [spiffe://partner/client]
      verifyCertificateSpki: [c3BraQ==]
      verifyCertificateHash: [DF6FF72F]
)";
  std::string servers =
      https("https-m", "m.example.com",
            "      mode: MUTUAL\n      credentialName: m-cert\n" + validation) +
      https("https-o", "o.example.com",
            "      mode: OPTIONAL_MUTUAL\n      credentialName: o-cert\n" + validation);
  Lowered l = build(config(servers));
  REQUIRE(l.listeners.size() == 1);
  REQUIRE(l.listeners[0].filter_chains.size() == 2);
  const FilterChain& m = l.listeners[0].filter_chains[0];
  const FilterChain& o = l.listeners[0].filter_chains[1];
  CHECK(m.requires_client_certificate);
  CHECK_FALSE(o.requires_client_certificate);
  TlsContext want;
  want.mode = "MUTUAL";
  want.credential_names = {"m-cert"};
  want.subject_alt_names = {"spiffe://partner/client"};
  want.verify_certificate_spki = {"c3BraQ=="};
  want.verify_certificate_hash = {"DF6FF72F"};
  want.alpn = kAlpnHttp;
  CHECK(tlsOf(m) == want);
  want.mode = "OPTIONAL_MUTUAL";
  want.credential_names = {"o-cert"};
  CHECK(tlsOf(o) == want);
}

TEST_CASE("gateway TLS: credentialNames (two certificates) are carried in order",
          "[lower-gateway-tls]") {
  Lowered l = build(config(https("https", "a.example.com", R"(      mode: MUTUAL
      credentialNames: [a-rsa, a-ecdsa]
)")));
  const TlsContext& t = tlsOf(onlyChain(l, "0.0.0.0_443"));
  CHECK(t.credential_names == Strings{"a-rsa", "a-ecdsa"});
  CHECK(t.server_certificate.empty());
}

TEST_CASE(
    "gateway TLS: file certificates: the CA and SANs only when clients are verified, "
    "SPKI and hash never (Istio's file branch drops them)",
    "[lower-gateway-tls]") {
  std::string files = R"(      serverCertificate: /certs/tls.crt
      privateKey: /certs/tls.key
      caCertificates: /certs/ca.crt
      subjectAltNames: [client]
      verifyCertificateHash: [AB12]
)";
  std::string servers = https("https-s", "s.example.com", "      mode: SIMPLE\n" + files) +
                        https("https-m", "m.example.com", "      mode: MUTUAL\n" + files);
  Lowered l = build(config(servers));
  REQUIRE(l.listeners.size() == 1);
  REQUIRE(l.listeners[0].filter_chains.size() == 2);
  const TlsContext& s = tlsOf(l.listeners[0].filter_chains[0]);
  TlsContext want;
  want.mode = "SIMPLE";
  want.server_certificate = "/certs/tls.crt";
  want.private_key = "/certs/tls.key";
  want.alpn = kAlpnHttp;
  CHECK(s == want);
  const TlsContext& m = tlsOf(l.listeners[0].filter_chains[1]);
  want.mode = "MUTUAL";
  want.ca_certificates = "/certs/ca.crt";
  want.subject_alt_names = {"client"};
  CHECK(m == want);
}

TEST_CASE(
    "gateway TLS: ISTIO_MUTUAL uses the workload certificate, and a TCP server adds Istio's "
    "metadata-exchange ALPN (R14.4)",
    "[lower-gateway-tls]") {
  std::string servers = https("https", "a.example.com", R"(      mode: ISTIO_MUTUAL
      subjectAltNames: [spiffe://cluster.local/ns/a/sa/client]
)") + R"(  - port: {number: 9443, name: tls-db, protocol: TLS}
    hosts: [db.example.com]
    tls: {mode: ISTIO_MUTUAL}
)";
  Lowered l = build(config(servers));
  const FilterChain& h = onlyChain(l, "0.0.0.0_443");
  CHECK(h.istio_mutual);
  CHECK(h.requires_client_certificate);
  TlsContext want;
  want.mode = "ISTIO_MUTUAL";
  want.subject_alt_names = {"spiffe://cluster.local/ns/a/sa/client"};
  want.alpn = kAlpnHttp;
  CHECK(tlsOf(h) == want);
  const FilterChain& t = onlyChain(l, "0.0.0.0_9443");
  REQUIRE(t.tcp_proxy.has_value());
  CHECK(t.tcp_proxy->cluster == "outbound|5432||db.default.svc.cluster.local");
  CHECK(tlsOf(t).alpn == Strings{"istio-peer-exchange", "h2", "http/1.1"});
  CHECK(tlsOf(t).credential_names.empty());
}

TEST_CASE(
    "gateway TLS: a terminating TLS server in front of tcp_proxy offers ALPNHttp too "
    "(BuildListenerTLSContext's default for the TCP transport)",
    "[lower-gateway-tls]") {
  Lowered l = build(config(R"(  - port: {number: 9443, name: tls-db, protocol: TLS}
    hosts: [db.example.com]
    tls: {mode: SIMPLE, credentialName: db-cert}
)"));
  const FilterChain& c = onlyChain(l, "0.0.0.0_9443");
  CHECK(c.terminates_tls);
  CHECK_FALSE(c.http);
  CHECK(c.match.server_names == Strings{"db.example.com"});
  TlsContext want;
  want.mode = "SIMPLE";
  want.credential_names = {"db-cert"};
  want.alpn = kAlpnHttp;
  CHECK(tlsOf(c) == want);
}

TEST_CASE("gateway TLS: PASSTHROUGH chains and plain HTTP chains carry no TLS context",
          "[lower-gateway-tls]") {
  std::string servers = R"(  - port: {number: 80, name: http, protocol: HTTP}
    hosts: [a.example.com]
    tls: {httpsRedirect: true}
  - port: {number: 8443, name: tls-pass, protocol: TLS}
    hosts: [p.example.com]
    tls: {mode: PASSTHROUGH}
)";
  std::string tls_vs = R"(---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: pass, namespace: istio-system}
spec:
  hosts: [p.example.com]
  gateways: [gw]
  tls:
  - match: [{sniHosts: [p.example.com]}]
    route: [{destination: {host: p.default.svc.cluster.local, port: {number: 443}}}]
)";
  Lowered l = build(config(servers) + tls_vs);
  CHECK_FALSE(onlyChain(l, "0.0.0.0_80").tls.has_value());
  const FilterChain& p = onlyChain(l, "0.0.0.0_8443");
  CHECK_FALSE(p.terminates_tls);
  CHECK_FALSE(p.tls.has_value());
}

TEST_CASE("gateway TLS: settings Istio honours but a bundle cannot carry get a note",
          "[lower-gateway-tls]") {
  std::string servers =
      https("https-a", "a.example.com", R"(      mode: MUTUAL
      credentialName: a
      caCertCredentialName: a-ca
      insecureSkipVerify: true
)") + https("https-b", "b.example.com", R"(      mode: MUTUAL
      caCertificates: /ca.crt
      caCrl: /ca.crl
      tlsCertificates:
      - {serverCertificate: /rsa.crt, privateKey: /rsa.key}
      - {serverCertificate: /ec.crt, privateKey: /ec.key}
)") +
      // SIMPLE never verifies clients, so caCrl and insecureSkipVerify change nothing there.
      https("https-c", "c.example.com", R"(      mode: SIMPLE
      credentialName: c
      caCrl: /ca.crl
      insecureSkipVerify: true
)");
  Lowered l = build(config(servers));
  REQUIRE(l.listeners.size() == 1);
  REQUIRE(l.listeners[0].filter_chains.size() == 3);
  CHECK(hasNote(l, "lower-gw-tls-not-carried",
                "server on port 443 of Gateway istio-system/gw sets caCertCredentialName, "
                "insecureSkipVerify; a bundle does not carry them, so meshproxy terminates TLS "
                "without them"));
  CHECK(hasNote(l, "lower-gw-tls-not-carried", "sets a second tlsCertificates pair, caCrl;"));
  CHECK(countNotes(l, "lower-gw-tls-not-carried") == 2);
  // The first tlsCertificates pair stands in for serverCertificate/privateKey.
  const TlsContext& b = tlsOf(l.listeners[0].filter_chains[1]);
  CHECK(b.server_certificate == "/rsa.crt");
  CHECK(b.private_key == "/rsa.key");
  CHECK(b.ca_certificates == "/ca.crt");
}
