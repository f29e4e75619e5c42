// The analyzer registry: which analyzers exist and which input kinds each one needs.
// Entry points: allAnalyzers(), AnalysisContext::has(), workloadLabels().
//
// Input skipping (deliberate meshc policy, differs from istioctl's offline mode):
// - AnalyzerInfo.inputs lists only Kubernetes context kinds (Pod, Service, Secret, Namespace)
//   whose total absence from the input means "skip this analyzer": without them every reference
//   would look dangling. Pod is satisfied by Pods or by workload templates (Deployment, ...).
//   Istio CRD kinds are always "available", possibly empty, as in istioctl.
// - Analyzers about gateway workloads (IngressGatewayPort, Secret, JWTClaimRoute, the pod-overlap
//   part of ConflictingGateway) skip a Gateway whose selector matches no workload in the input:
//   it most likely runs on Istio-installed gateway pods that are not part of the input, and
//   offline istioctl reports nothing for it either. So they never emit IST0101 "selector".
// - The Sidecar selector IST0101 is reported only when the input holds workloads in the
//   Sidecar's namespace; its ambient-namespace part needs Namespace objects.
// - ConflictingGateway needs no Kubernetes input: identical selectors conflict whatever pods run.
// - PodNotSelected needs Services (IST0174); its subset check (IST0173) also needs workloads.
#include <algorithm>

#include "frontend/analyzers/analyzer.h"
#include "frontend/analyzers/analyzer_util.h"

namespace meshc::frontend::analyzers {

bool AnalysisContext::has(ResourceKind kind) const {
  auto in = [&](ResourceKind k) {
    return std::find(present.begin(), present.end(), k) != present.end();
  };
  if (kind == ResourceKind::kPod) {
    if (!workloads.empty() || in(ResourceKind::kPod)) {
      return true;
    }
    return std::any_of(present.begin(), present.end(),
                       [](ResourceKind k) { return isWorkloadKind(k); });
  }
  return in(kind);
}

StringMap workloadLabels(const Resource& workload) {
  if (workload.kind == ResourceKind::kPod) {
    return workload.labels;
  }
  return stringMapOf(childPath(workload.spec, {"template", "metadata", "labels"}));
}

const std::vector<AnalyzerInfo>& allAnalyzers() {
  using K = ResourceKind;
  static const std::vector<AnalyzerInfo> kAnalyzers = {
      {"deprecation.DeprecationAnalyzer", {}, runDeprecation},
      {"gateway.IngressGatewayPortAnalyzer", {K::kPod, K::kService}, runIngressGatewayPort},
      {"gateway.SecretAnalyzer", {K::kPod, K::kSecret}, runGatewaySecret},
      {"gateway.ConflictingGatewayAnalyzer", {}, runConflictingGateway},
      {"gateway.CertificateAnalyzer", {}, runGatewayCertificate},
      {"virtualservice.ConflictingMeshGatewayHostsAnalyzer", {}, runConflictingMeshGatewayHosts},
      {"virtualservice.DestinationHostAnalyzer", {K::kService}, runDestinationHost},
      {"virtualservice.DestinationRuleAnalyzer", {}, runVirtualServiceDestinationRule},
      {"virtualservice.GatewayAnalyzer", {}, runVirtualServiceGateway},
      {"virtualservice.JWTClaimRouteAnalyzer", {K::kPod}, runJwtClaimRoute},
      {"destinationrule.CaCertificateAnalyzer", {}, runCaCertificate},
      {"destinationrule.SubsetSelectPodAnalyzer", {K::kService}, runPodNotSelected},
      {"sidecar.SelectorAnalyzer", {K::kPod}, runSidecarSelector},
      {"serviceentry.Analyzer", {}, runServiceEntryProtocolAddresses},
      {"serviceentry.ConflictingServiceEntryProtocolAnalyzer",
       {},
       runConflictingServiceEntryProtocol},
      {"conditions.ConditionAnalyzer", {}, runConditions},
  };
  return kAnalyzers;
}

}  // namespace meshc::frontend::analyzers
