// Gateway → model::Gateway (SEMANTICS 1.18). Entry point: detail::buildGateway().
#include "frontend/model/build_internal.h"

namespace meshc::model::detail {
namespace {

const std::initializer_list<const char*> kTlsProtocols = {"TLS_AUTO", "TLSV1_0", "TLSV1_1",
                                                          "TLSV1_2", "TLSV1_3"};

ServerTlsSettings serverTlsOf(const Node* n) {
  ServerTlsSettings t;
  t.https_redirect = boolOf(n->get("httpsRedirect")).value_or(false);
  // PASSTHROUGH is enum value 0, so an absent mode means PASSTHROUGH (SEMANTICS 1.18).
  std::string mode = enumOf(n->get("mode"), {"PASSTHROUGH", "SIMPLE", "MUTUAL", "AUTO_PASSTHROUGH",
                                             "ISTIO_MUTUAL", "OPTIONAL_MUTUAL"});
  if (!mode.empty()) {
    t.mode = std::move(mode);
  }
  t.server_certificate = stringOf(n->get("serverCertificate"));
  t.private_key = stringOf(n->get("privateKey"));
  t.ca_certificates = stringOf(n->get("caCertificates"));
  t.credential_name = stringOf(n->get("credentialName"));
  t.credential_names = stringList(n->get("credentialNames"));
  if (const Node* certs = n->get("tlsCertificates"); certs != nullptr && certs->isSeq()) {
    for (const Node* item : certs->items()) {
      t.tls_certificates.push_back(TlsCertificate{stringOf(child(item, "serverCertificate")),
                                                  stringOf(child(item, "privateKey")),
                                                  stringOf(child(item, "caCertificates"))});
    }
  }
  t.ca_cert_credential_name = stringOf(n->get("caCertCredentialName"));
  t.ca_crl = stringOf(n->get("caCrl"));
  t.insecure_skip_verify = boolOf(n->get("insecureSkipVerify"));
  t.subject_alt_names = stringList(n->get("subjectAltNames"));
  t.verify_certificate_spki = stringList(n->get("verifyCertificateSpki"));
  t.verify_certificate_hash = stringList(n->get("verifyCertificateHash"));
  t.min_protocol_version = enumOf(n->get("minProtocolVersion"), kTlsProtocols);
  t.max_protocol_version = enumOf(n->get("maxProtocolVersion"), kTlsProtocols);
  t.cipher_suites = stringList(n->get("cipherSuites"));
  t.ecdh_curves = stringList(n->get("ecdhCurves"));
  return t;
}

Server serverOf(const Node* n, uint32_t index) {
  Server s;
  s.index = index;
  s.loc = n->loc();
  const Node* port = n->get("port");
  s.port.number = uint32Of(child(port, "number")).value_or(0);
  s.port.protocol = ascii::toUpper(stringOf(child(port, "protocol")));
  s.port.name = stringOf(child(port, "name"));
  s.port.target_port = uint32Of(child(port, "targetPort")).value_or(0);
  s.bind = stringOf(n->get("bind"));
  s.hosts = stringList(n->get("hosts"));
  const Node* tls = n->get("tls");
  if (tls != nullptr && tls->isMap()) {
    s.tls = serverTlsOf(tls);
  }
  s.name = stringOf(n->get("name"));
  return s;
}

}  // namespace

Gateway buildGateway(const frontend::Resource& r) {
  Gateway g;
  g.meta = metaOf(r);
  // A nil selector applies to every gateway proxy; an explicit map (even empty) is a subset test.
  const Node* selector = child(r.spec, "selector");
  if (selector != nullptr && selector->isMap()) {
    g.selector = stringMap(selector);
  }
  const Node* servers = child(r.spec, "servers");
  if (servers != nullptr) {
    uint32_t index = 0;
    for (const Node* item : servers->items()) {
      if (item != nullptr && item->isMap()) {
        g.servers.push_back(serverOf(item, index));
      }
      ++index;
    }
  }
  return g;
}

}  // namespace meshc::model::detail
