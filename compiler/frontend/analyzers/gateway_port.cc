// gateway.IngressGatewayPortAnalyzer (ISTIO-VALIDATION.md B.1): every Gateway server port must be
// exposed by a Service in front of the gateway workloads. Entry point: runIngressGatewayPort().
#include <set>

#include "frontend/analyzers/analyzer_util.h"
#include "frontend/istio/labels.h"

namespace meshc::frontend::analyzers {

namespace {

// Istio only counts ports whose protocol is literally "TCP" and, reading files, does not apply
// the API server's default. We do apply it (an omitted protocol is TCP once applied), otherwise
// every port of a typical hand-written gateway Service would be ignored.
bool isTcpServicePort(const Node* port) {
  const Node* protocol = child(port, "protocol");
  return protocol == nullptr || protocol->isNull() || textOf(protocol) == "TCP";
}

std::string portList(const std::set<int64_t>& ports) {
  std::vector<std::string> parts;
  for (int64_t p : ports) {
    parts.push_back(std::to_string(p));
  }
  return join(parts, ", ");
}

}  // namespace

void runIngressGatewayPort(const AnalysisContext& ctx, DiagnosticSink& sink) {
  std::vector<Workload> workloads = collectWorkloads(ctx);
  for (const Resource* gw : ctx.gateways) {
    const Node* selector_node = child(gw->spec, "selector");
    StringMap selector = stringMapOf(selector_node);
    // The gateway port may equal a Service's `port` or its numeric `targetPort`.
    std::set<int64_t> accepted;
    bool any_workload = false;
    for (const Workload& w : workloads) {
      if (!istio::selectorMatches(selector, w.labels)) {
        continue;
      }
      any_workload = true;
      for (const Resource* svc : ctx.services) {
        if (svc->name_space != w.resource->name_space) {
          continue;  // a Service only selects pods in its own namespace
        }
        if (!istio::selectorMatches(stringMapOf(child(svc->spec, "selector")), w.labels)) {
          continue;
        }
        for (const Node* port : itemsOf(child(svc->spec, "ports"))) {
          if (!isTcpServicePort(port)) {
            continue;
          }
          if (std::optional<int64_t> p = intOf(child(port, "port"))) {
            accepted.insert(*p);
          }
          // IntOrString.IntValue(): a named target port counts as 0 (absent).
          if (std::optional<int64_t> tp = intOf(child(port, "targetPort")); tp && *tp != 0) {
            accepted.insert(*tp);
          }
        }
      }
    }
    if (!any_workload) {
      continue;  // gateway pods are not part of the input (see registry.cc)
    }
    std::string sel = selectorString(selector);
    for (const Node* server : itemsOf(child(gw->spec, "servers"))) {
      const Node* port = child(server, "port");
      if (port == nullptr || !port->isMap()) {
        continue;
      }
      const Node* number = child(port, "number");
      int64_t n = intOf(number).value_or(0);
      if (accepted.count(n) != 0) {
        continue;
      }
      std::string msg = "gateway port " + std::to_string(n) +
                        " is not exposed by any Service in front of the gateway workloads (pod "
                        "selector " +
                        quote(sel) + "); ";
      msg += accepted.empty()
                 ? "expected a Service selecting those workloads with a TCP port or targetPort " +
                       std::to_string(n) + ", found no such Service port"
                 : "expected one of the Service ports or target ports " + portList(accepted);
      Diagnostic& d = report(sink, *gw, "IST0162", Severity::kWarning,
                             number != nullptr ? number : port, std::move(msg));
      addNote(d, firstSelectorNode(selector_node), "gateway workloads are selected here");
    }
  }
}

}  // namespace meshc::frontend::analyzers
