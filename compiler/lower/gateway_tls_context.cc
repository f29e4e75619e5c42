// The TLS context of a Gateway server's terminating filter chain, as Istio writes it
// (istio:pilot/pkg/networking/core/gateway.go buildGatewayListenerTLSContext, listener.go
// BuildListenerTLSContext; PROXY-SEMANTICS R14.1, R14.4-R14.6). Entry points:
// serverTlsContext(), applyServerTls().
#include "frontend/istio/cipher_suites.h"
#include "lower/gateway_build.h"

namespace meshc::lower::detail {

namespace {

// util.ALPNHttp, and util.ALPNDownstreamWithMxc (PILOT_DISABLE_MX_ALPN defaults to false).
constexpr std::array<std::string_view, 2> kAlpnHttp = {"h2", "http/1.1"};
constexpr std::array<std::string_view, 3> kAlpnDownstreamWithMxc = {"istio-peer-exchange", "h2",
                                                                    "http/1.1"};

template <size_t N>
std::vector<std::string> strings(const std::array<std::string_view, N>& in) {
  return std::vector<std::string>(in.begin(), in.end());
}

// Istio writes an enum's TLS_AUTO as "not set".
std::string protocolVersion(const std::string& v) { return v == "TLS_AUTO" ? std::string() : v; }

}  // namespace

TlsContext serverTlsContext(const model::Server& server, const frontend::MeshTlsDefaults& mesh) {
  const model::ServerTlsSettings& s = *server.tls;
  TlsContext t;
  t.mode = s.mode;
  const bool istio_mutual = s.mode == "ISTIO_MUTUAL";
  // validateClient: MUTUAL and ISTIO_MUTUAL require a client certificate, OPTIONAL_MUTUAL
  // verifies one when sent.
  const bool mutual = s.mode == "MUTUAL" || s.mode == "OPTIONAL_MUTUAL";

  // Every chain on the TCP transport offers ALPNHttp, HTTPS or not; only a non-HTTP server
  // terminating ISTIO_MUTUAL (IsTCPServerWithTLSTermination) offers metadata exchange first.
  const std::string protocol = parseProtocol(server.port.protocol);
  const bool tcp_server = !isHttpProtocol(protocol) && protocol != "HTTPS";
  t.alpn = istio_mutual && tcp_server ? strings(kAlpnDownstreamWithMxc) : strings(kAlpnHttp);

  if (istio_mutual) {
    // ApplyToCommonTLSContext with the proxy's workload certificate: validation rejects every
    // certificate field, the SANs restrict the client identities.
    t.subject_alt_names = s.subject_alt_names;
  } else if (!s.credential_names.empty() || !s.credential_name.empty()) {
    // ApplyCredentialSDSToServerCommonTLSContext: credentialNames (RSA and ECDSA) win; the CA
    // of MUTUAL / OPTIONAL_MUTUAL is the first name's "-cacert" credential (meshproxy reads
    // DIR/<name>-cacert/ first, then the credential's own CA key, in Istio's order).
    t.credential_names = !s.credential_names.empty() ? s.credential_names
                                                     : std::vector<std::string>{s.credential_name};
    if (mutual) {
      t.subject_alt_names = s.subject_alt_names;
      t.verify_certificate_spki = s.verify_certificate_spki;
      t.verify_certificate_hash = s.verify_certificate_hash;
    }
    // A SIMPLE server's subjectAltNames become a validation context with SAN matchers and no
    // CA, which Envoy refuses ("SAN-based verification of peer certificates without trusted CA
    // is insecure and not allowed", CertificateValidationContextConfigImpl): left out, since
    // no client certificate is requested either way.
  } else {
    // The file branch (ApplyToCommonTLSContext with the server's paths): tlsCertificates, when
    // given, replace serverCertificate/privateKey; the CA is caCertificates. This branch takes
    // no verifyCertificateSpki/Hash: Istio drops them here.
    if (!s.tls_certificates.empty()) {
      t.server_certificate = s.tls_certificates.front().server_certificate;
      t.private_key = s.tls_certificates.front().private_key;
    } else {
      t.server_certificate = s.server_certificate;
      t.private_key = s.private_key;
    }
    if (mutual) {
      t.ca_certificates = s.ca_certificates;
      t.subject_alt_names = s.subject_alt_names;
    }
  }

  if (s.mode == "SIMPLE" || mutual) {
    // applyDownstreamTLSDefaults, then applyServerTLSSettings: each field the server sets
    // replaces the mesh's. GetMinTLSVersion maps tlsDefaults' TLSV1_3 to 1.3, anything else set
    // to 1.2. The server's cipher list was filtered first (FilterCipherSuites); one filtered to
    // nothing leaves the mesh's list (or Envoy's default) in place.
    t.ecdh_curves = mesh.ecdh_curves;
    t.cipher_suites = mesh.cipher_suites;
    t.min_protocol_version = mesh.min_protocol_version;
    if (std::string v = protocolVersion(s.min_protocol_version); !v.empty()) {
      t.min_protocol_version = v;
    }
    if (!s.ecdh_curves.empty()) {
      t.ecdh_curves = s.ecdh_curves;
    }
    if (std::vector<std::string> suites = istio::filterCipherSuites(s.cipher_suites);
        !suites.empty()) {
      t.cipher_suites = std::move(suites);
    }
    t.max_protocol_version = protocolVersion(s.max_protocol_version);
  }
  return t;
}

void applyServerTls(BuildContext& bc, const MergedServer& ms, FilterChain& chain) {
  const model::Server& server = ms.server;
  chain.terminates_tls = true;
  const std::string& mode = server.tls ? server.tls->mode : std::string();
  chain.requires_client_certificate = mode == "MUTUAL" || mode == "ISTIO_MUTUAL";
  chain.istio_mutual = mode == "ISTIO_MUTUAL";
  if (!server.tls) {
    return;
  }
  chain.tls = serverTlsContext(server, bc.inputs.config.mesh.tls_defaults);
  // What Istio honours for this mode and certificate source but a bundle cannot carry: say so
  // rather than drop it silently.
  const model::ServerTlsSettings& s = *server.tls;
  const bool istio_mutual = mode == "ISTIO_MUTUAL";
  const bool credentials =
      !istio_mutual && (!s.credential_names.empty() || !s.credential_name.empty());
  const bool validates_client = istio_mutual || mode == "MUTUAL" || mode == "OPTIONAL_MUTUAL";
  std::vector<std::string> dropped;
  if (!istio_mutual && !credentials && s.tls_certificates.size() > 1) {
    dropped.push_back("a second tlsCertificates pair");
  }
  if (credentials && validates_client && !s.ca_cert_credential_name.empty()) {
    dropped.push_back("caCertCredentialName");
  }
  if (!credentials && validates_client && !s.ca_crl.empty()) {
    dropped.push_back("caCrl");  // the credential branch reads the Secret's ca.crl instead
  }
  if (validates_client && s.insecure_skip_verify.value_or(false)) {
    dropped.push_back("insecureSkipVerify");
  }
  if (!dropped.empty()) {
    bc.notes.push_back(gatewayNote(
        "lower-gw-tls-not-carried", *ms.gateway, server.loc,
        "server on port " + std::to_string(server.port.number) + " of Gateway " + ms.gateway_name +
            " sets " + joinList(dropped) + "; a bundle does not carry " +
            (dropped.size() == 1 ? "it" : "them") + ", so meshproxy terminates TLS without " +
            (dropped.size() == 1 ? "it" : "them")));
  }
}

}  // namespace meshc::lower::detail
