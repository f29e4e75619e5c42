// Cross-resource analyzers (ISTIO-VALIDATION.md section B), run over the whole input.
// Entry points: AnalysisContext, allAnalyzers(); an analyzer runs only when its inputs exist.
#pragma once

#include <string>
#include <vector>

#include "frontend/mesh_config.h"
#include "frontend/resource.h"
#include "support/diagnostic.h"

namespace meshc::frontend::analyzers {

/// Everything the analyzers may look at. Vectors hold resources in input order.
struct AnalysisContext {
  const MeshConfig& mesh;
  std::vector<const Resource*> gateways, virtual_services, sidecars, destination_rules,
      service_entries, request_authentications, services, pods, namespaces, secrets;
  /// Pods plus the pod templates of workload kinds (Deployment, ...), as pods would be created.
  std::vector<const Resource*> workloads;
  /// Which kinds were present in the input at all (an analyzer needs all of its inputs).
  bool has(ResourceKind kind) const;
  std::vector<ResourceKind> present;
};

struct AnalyzerInfo {
  const char* name;  // Istio's analyzer name, e.g. "virtualservice.GatewayAnalyzer"
  std::vector<ResourceKind> inputs;
  void (*run)(const AnalysisContext& ctx, DiagnosticSink& sink);
};

const std::vector<AnalyzerInfo>& allAnalyzers();

/// Labels of a workload: a Pod's metadata.labels, or a template's spec.template.metadata.labels.
StringMap workloadLabels(const Resource& workload);

}  // namespace meshc::frontend::analyzers
