// gateway.CertificateAnalyzer (ISTIO-VALIDATION.md B.4): Gateways on overlapping workloads should
// not share a certificate (HTTP/2 connection reuse then yields 404s). Entry point:
// runGatewayCertificate().
#include "frontend/analyzers/analyzer_util.h"
#include "frontend/istio/labels.h"

namespace meshc::frontend::analyzers {

namespace {

// Istio's haveSameCertificate: equal credentialNames when both are set; otherwise, when neither
// is set, equal non-empty serverCertificate and equal non-empty privateKey.
bool sameCertificate(const Node* a, const Node* b) {
  std::string_view cn_a = textAt(a, "credentialName");
  std::string_view cn_b = textAt(b, "credentialName");
  if (!cn_a.empty() && !cn_b.empty()) {
    return cn_a == cn_b;
  }
  if (!cn_a.empty() || !cn_b.empty()) {
    return false;
  }
  std::string_view cert_a = textAt(a, "serverCertificate");
  std::string_view cert_b = textAt(b, "serverCertificate");
  std::string_view key_a = textAt(a, "privateKey");
  std::string_view key_b = textAt(b, "privateKey");
  return !cert_a.empty() && cert_a == cert_b && !key_a.empty() && key_a == key_b;
}

const Node* certificateNode(const Node* tls) {
  if (const Node* cn = child(tls, "credentialName"); !textOf(cn).empty()) {
    return cn;
  }
  if (const Node* cert = child(tls, "serverCertificate")) {
    return cert;
  }
  return tls;
}

}  // namespace

void runGatewayCertificate(const AnalysisContext& ctx, DiagnosticSink& sink) {
  for (const Resource* a : ctx.gateways) {
    StringMap selector_a = stringMapOf(child(a->spec, "selector"));
    std::string name_a = a->name_space + "/" + a->name;
    for (const Resource* b : ctx.gateways) {
      std::string name_b = b->name_space + "/" + b->name;
      if (name_a == name_b) {
        continue;
      }
      // Asymmetric on purpose (as Istio): A is compared with gateways whose selector contains
      // A's; an empty selector on A matches every gateway. Namespaces do not matter
      // (PILOT_SCOPE_GATEWAY_TO_NAMESPACE defaults to false).
      if (!istio::selectorMatches(selector_a, stringMapOf(child(b->spec, "selector")))) {
        continue;
      }
      const Node* hit_a = nullptr;
      const Node* hit_b = nullptr;
      for (const Node* server_a : itemsOf(child(a->spec, "servers"))) {
        const Node* tls_a = child(server_a, "tls");
        if (tls_a == nullptr || tls_a->isNull()) {
          continue;
        }
        for (const Node* server_b : itemsOf(child(b->spec, "servers"))) {
          const Node* tls_b = child(server_b, "tls");
          if (tls_b == nullptr || tls_b->isNull() || !sameCertificate(tls_a, tls_b)) {
            continue;
          }
          hit_a = certificateNode(tls_a);
          hit_b = certificateNode(tls_b);
          break;
        }
        if (hit_a != nullptr) {
          break;
        }
      }
      if (hit_a == nullptr) {
        continue;
      }
      Diagnostic& d = report(sink, *a, "IST0138", Severity::kWarning, hit_a,
                             "the certificate is also used by Gateway " + name_b +
                                 ", which selects the same " + "workloads as Gateway " + name_a +
                                 "; clients that reuse HTTP/2 connections may " +
                                 "get 404s, expected a distinct certificate per gateway");
      addNote(d, hit_b, "the same certificate in Gateway " + name_b);
    }
  }
}

}  // namespace meshc::frontend::analyzers
