// destinationrule.SubsetSelectPodAnalyzer (ISTIO-VALIDATION.md B.11): a DestinationRule host must
// be a known service, and each subset must select some workload. Entry point: runPodNotSelected().
#include <algorithm>

#include "frontend/analyzers/analyzer_util.h"

namespace meshc::frontend::analyzers {

namespace {

// Labels pilot adds to every endpoint from its Node (region, zone, subzone, hostname) or from the
// cluster/network setup. The input carries no Node objects, so a non-empty wanted value is
// assumed to be satisfiable; an empty value never is (pilot only sets non-empty values). Istio's
// analyzer knows the Nodes; we deliberately stay silent instead of guessing.
bool isSyntheticTopologyLabel(std::string_view key) {
  return key == "topology.kubernetes.io/region" || key == "topology.kubernetes.io/zone" ||
         key == "topology.istio.io/subzone" || key == "kubernetes.io/hostname" ||
         key == "topology.istio.io/cluster" || key == "topology.istio.io/network";
}

bool subsetSelects(const StringMap& selector, const Workload& w) {
  for (const auto& [key, value] : selector) {
    if (key == "kubernetes.io/hostname" && !w.node_name.empty()) {
      if (value != w.node_name) {
        return false;
      }
      continue;
    }
    auto it = w.labels.find(key);
    if (isSyntheticTopologyLabel(key)) {
      if (!value.empty() || (it != w.labels.end() && it->second.empty())) {
        continue;
      }
      return false;
    }
    if (it == w.labels.end() || it->second != value) {
      return false;
    }
  }
  return true;
}

}  // namespace

void runPodNotSelected(const AnalysisContext& ctx, DiagnosticSink& sink) {
  ServiceTable table(ctx);
  std::vector<Workload> workloads = collectWorkloads(ctx);
  const bool check_subsets = ctx.has(ResourceKind::kPod);
  for (const Resource* dr : ctx.destination_rules) {
    const Node* host_node = child(dr->spec, "host");
    std::string_view host = textOf(host_node);
    const ServiceTarget* target =
        table.lookup(dr->name_space, stringListOf(child(dr->spec, "exportTo")), host);
    if (target == nullptr) {
      report(sink, *dr, "IST0174", Severity::kWarning, host_node,
             "host " + quote(host) + " matches no Service or ServiceEntry visible from namespace " +
                 quote(dr->name_space) + "; expected the host of a service in the mesh");
      continue;
    }
    if (!check_subsets) {
      continue;
    }
    for (const Node* subset : itemsOf(child(dr->spec, "subsets"))) {
      // A ServiceEntry's workloadSelector is merged under the subset labels (the subset wins);
      // a Kubernetes Service's own selector is not used, as in Istio.
      StringMap selector = target->workload_selector;
      for (auto& [k, v] : stringMapOf(child(subset, "labels"))) {
        selector[k] = v;
      }
      bool selected = std::any_of(workloads.begin(), workloads.end(),
                                  [&](const Workload& w) { return subsetSelects(selector, w); });
      if (selected) {
        continue;
      }
      const Node* name = child(subset, "name");
      report(sink, *dr, "IST0173", Severity::kError, name != nullptr ? name : subset,
             "subset " + quote(textOf(name)) + " selects no pods: no workload in the input has " +
                 "labels " + quote(selectorString(selector)) +
                 "; expected at least one, otherwise requests to it fail with 503 UH "
                 "(no healthy upstream)");
    }
  }
}

}  // namespace meshc::frontend::analyzers
