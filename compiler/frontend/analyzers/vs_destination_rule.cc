// virtualservice.DestinationRuleAnalyzer (ISTIO-VALIDATION.md B.7): a destination's subset must be
// declared by a DestinationRule for that host. Entry point: runVirtualServiceDestinationRule().
#include <set>
#include <tuple>

#include "frontend/analyzers/analyzer_util.h"

namespace meshc::frontend::analyzers {

void runVirtualServiceDestinationRule(const AnalysisContext& ctx, DiagnosticSink& sink) {
  // (namespace, name, subset) for every DestinationRule subset. Hosts become names as Istio's
  // GetResourceNameFromHost does; exportTo is not considered.
  std::set<std::tuple<std::string, std::string, std::string>> known;
  for (const Resource* dr : ctx.destination_rules) {
    FullName host = resourceNameFromHost(dr->name_space, textAt(dr->spec, "host"), ctx.mesh);
    for (const Node* subset : itemsOf(child(dr->spec, "subsets"))) {
      known.emplace(host.name_space, host.name, std::string(textAt(subset, "name")));
    }
  }
  auto check = [&](const Resource& vs, const RouteDestination& d, std::string_view reftype) {
    if (d.subset().empty()) {
      return;
    }
    FullName host = resourceNameFromHost(vs.name_space, d.host(), ctx.mesh);
    if (known.count({host.name_space, host.name, std::string(d.subset())}) != 0) {
      return;
    }
    report(sink, vs, "IST0101", Severity::kError, child(d.destination, "subset"),
           "referenced " + std::string(reftype) +
               " not found: " + quote(std::string(d.host()) + "+" + std::string(d.subset())) +
               "; expected a DestinationRule for host " + quote(host.name) + " in namespace " +
               quote(host.name_space) + " declaring subset " + quote(d.subset()));
  };
  for (const Resource* vs : ctx.virtual_services) {
    for (const RouteDestination& d : routeDestinations(*vs)) {
      check(*vs, d, "host+subset in destinationrule");
    }
    for (const RouteDestination& d : mirrorDestinations(*vs)) {
      check(*vs, d, "mirror+subset in destinationrule");
    }
  }
}

}  // namespace meshc::frontend::analyzers
