// deprecation.DeprecationAnalyzer and conditions.ConditionAnalyzer (ISTIO-VALIDATION.md B.15):
// deprecated fields still in use, and negative status conditions. Entry points:
// runDeprecation(), runConditions().
#include "frontend/analyzers/analyzer_util.h"

namespace meshc::frontend::analyzers {

void runDeprecation(const AnalysisContext& ctx, DiagnosticSink& sink) {
  for (const Resource* vs : ctx.virtual_services) {
    for (const Node* http : itemsOf(child(vs->spec, "http"))) {
      const Node* percent = childPath(http, {"fault", "delay", "percent"});
      if (percent == nullptr || !percent->isNumber() || percent->numberValue() <= 0) {
        continue;
      }
      report(sink, *vs, "IST0002", Severity::kWarning, percent,
             "field HTTPRoute.fault.delay.percent is deprecated; expected "
             "HTTPRoute.fault.delay.percentage instead");
    }
  }
  for (const Resource* sc : ctx.sidecars) {
    const Node* egress = childPath(sc->spec, {"outboundTrafficPolicy", "egressProxy"});
    if (egress == nullptr || egress->isNull()) {
      continue;
    }
    report(sink, *sc, "IST0002", Severity::kWarning, egress,
           "field OutboundTrafficPolicy.EgressProxy is deprecated and ignored; expected no "
           "egressProxy");
  }
}

namespace {

// Reports status.conditions[] entries of `type` whose status is "False".
void checkConditions(const Resource& r, std::string_view type, DiagnosticSink& sink) {
  for (const Node* cond : itemsOf(childPath(r.root, {"status", "conditions"}))) {
    const Node* status = child(cond, "status");
    if (textAt(cond, "type") != type || textOf(status) != "False") {
      continue;
    }
    report(sink, r, "IST0171", Severity::kWarning, status,
           "a condition with a negative status is present: type=" + std::string(type) +
               ", reason=" + std::string(textAt(cond, "reason")) +
               ", message=" + std::string(textAt(cond, "message")) + "; expected status True");
  }
}

}  // namespace

void runConditions(const AnalysisContext& ctx, DiagnosticSink& sink) {
  for (const Resource* svc : ctx.services) {
    checkConditions(*svc, "istio.io/WaypointBound", sink);
  }
  for (const Resource* se : ctx.service_entries) {
    checkConditions(*se, "istio.io/WaypointBound", sink);
  }
}

}  // namespace meshc::frontend::analyzers
