// gateway.SecretAnalyzer (ISTIO-VALIDATION.md B.2): a server's tls.credentialName must name a
// Secret in the gateway workload's namespace holding a usable certificate. Entry point:
// runGatewaySecret().
#include <ctime>

#include "frontend/analyzers/analyzer_util.h"
#include "frontend/analyzers/credential.h"
#include "frontend/istio/labels.h"

namespace meshc::frontend::analyzers {

void runGatewaySecret(const AnalysisContext& ctx, DiagnosticSink& sink) {
  std::vector<Workload> workloads = collectWorkloads(ctx);
  const int64_t now = static_cast<int64_t>(std::time(nullptr));
  for (const Resource* gw : ctx.gateways) {
    StringMap selector = stringMapOf(child(gw->spec, "selector"));
    // Istio reads secrets from the namespace of the first workload the selector matches.
    const Workload* first = nullptr;
    for (const Workload& w : workloads) {
      if (istio::selectorMatches(selector, w.labels)) {
        first = &w;
        break;
      }
    }
    if (first == nullptr) {
      continue;  // gateway pods are not part of the input (see registry.cc)
    }
    const std::string& workload_ns = first->resource->name_space;
    for (const Node* server : itemsOf(child(gw->spec, "servers"))) {
      const Node* tls = child(server, "tls");
      const Node* cn_node = child(tls, "credentialName");
      std::string_view cn = textOf(cn_node);
      if (cn.empty()) {
        continue;  // the plural credentialNames is not checked, as in Istio
      }
      FullName wanted = shortOrFullName(workload_ns, cn);
      const Resource* secret = nullptr;
      for (const Resource* s : ctx.secrets) {
        if (s->name_space == wanted.name_space && s->name == wanted.name) {
          secret = s;
          break;
        }
      }
      if (secret == nullptr) {
        report(sink, *gw, "IST0101", Severity::kError, cn_node,
               "referenced credentialName not found: " + quote(cn) + "; expected a Secret " +
                   quote(wanted.name) + " in namespace " + quote(wanted.name_space) +
                   ", the namespace of the gateway workload " +
                   quote(workloadDisplayName(*first->resource)));
        continue;
      }
      std::string reason = checkGatewayCredential(*secret, now);
      if (reason.empty()) {
        continue;
      }
      Diagnostic& d = report(sink, *gw, "IST0161", Severity::kError, cn_node,
                             "the credential " + quote(cn) + " referenced by Gateway " +
                                 quote(gw->name) + " is invalid: " + reason);
      addNote(d, secret->metadata != nullptr ? child(secret->metadata, "name") : nullptr,
              "Secret " + secret->name_space + "/" + secret->name + " is declared here");
    }
  }
}

}  // namespace meshc::frontend::analyzers
