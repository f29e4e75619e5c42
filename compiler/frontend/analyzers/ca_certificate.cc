// destinationrule.CaCertificateAnalyzer (ISTIO-VALIDATION.md B.10): TLS origination in SIMPLE or
// MUTUAL mode should verify the server with caCertificates. Entry point: runCaCertificate().
#include "frontend/analyzers/analyzer_util.h"

namespace meshc::frontend::analyzers {

namespace {

// Returns the mode node when tls is SIMPLE/MUTUAL without caCertificates, unless a
// credentialName is set on a DestinationRule with a workloadSelector (the credential then
// carries the CA).
const Node* unverifiedMode(const Node* tls, bool has_workload_selector) {
  const Node* mode = child(tls, "mode");
  if (textOf(mode) != "SIMPLE" && textOf(mode) != "MUTUAL") {
    return nullptr;
  }
  if (!textAt(tls, "caCertificates").empty()) {
    return nullptr;
  }
  if (!textAt(tls, "credentialName").empty() && has_workload_selector) {
    return nullptr;
  }
  return mode;
}

}  // namespace

void runCaCertificate(const AnalysisContext& ctx, DiagnosticSink& sink) {
  for (const Resource* dr : ctx.destination_rules) {
    const Node* selector = child(dr->spec, "workloadSelector");
    bool has_selector = selector != nullptr && !selector->isNull();
    std::string_view host = textAt(dr->spec, "host");
    const Node* policy = child(dr->spec, "trafficPolicy");
    if (const Node* mode = unverifiedMode(child(policy, "tls"), has_selector)) {
      report(sink, *dr, "IST0128", Severity::kWarning, mode,
             "tls.mode " + std::string(textOf(mode)) + " for host " + quote(host) +
                 " has no caCertificates, so the server's identity is not verified; expected "
                 "trafficPolicy.tls.caCertificates");
    }
    for (const Node* pls : itemsOf(child(policy, "portLevelSettings"))) {
      const Node* mode = unverifiedMode(child(pls, "tls"), has_selector);
      if (mode == nullptr) {
        continue;
      }
      std::optional<int64_t> port = intOf(childPath(pls, {"port", "number"}));
      report(sink, *dr, "IST0129", Severity::kWarning, mode,
             "tls.mode " + std::string(textOf(mode)) + " for host " + quote(host) + " at port " +
                 (port ? std::to_string(*port) : std::string("(unset)")) +
                 " has no caCertificates, so the server's identity is not verified; expected "
                 "tls.caCertificates in this port-level setting");
    }
  }
}

}  // namespace meshc::frontend::analyzers
