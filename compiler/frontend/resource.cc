// The table of kinds meshc understands, by API group, version and kind.
#include "frontend/resource.h"

#include <array>

namespace meshc::frontend {

namespace {

struct KindRow {
  std::string_view group;
  std::string_view kind;
  std::array<std::string_view, 3> versions;
  ResourceKind value;
};

constexpr std::string_view kNet = "networking.istio.io";
constexpr KindRow kKinds[] = {
    {kNet, "Gateway", {"v1alpha3", "v1beta1", "v1"}, ResourceKind::kGateway},
    {kNet, "VirtualService", {"v1alpha3", "v1beta1", "v1"}, ResourceKind::kVirtualService},
    {kNet, "Sidecar", {"v1alpha3", "v1beta1", "v1"}, ResourceKind::kSidecar},
    {kNet, "DestinationRule", {"v1alpha3", "v1beta1", "v1"}, ResourceKind::kDestinationRule},
    {kNet, "ServiceEntry", {"v1alpha3", "v1beta1", "v1"}, ResourceKind::kServiceEntry},
    {"security.istio.io", "RequestAuthentication", {"v1beta1", "v1", ""},
     ResourceKind::kRequestAuthentication},
    {"", "Service", {"v1", "", ""}, ResourceKind::kService},
    {"", "Pod", {"v1", "", ""}, ResourceKind::kPod},
    {"", "Namespace", {"v1", "", ""}, ResourceKind::kNamespace},
    {"", "Secret", {"v1", "", ""}, ResourceKind::kSecret},
    {"apps", "Deployment", {"v1", "", ""}, ResourceKind::kDeployment},
    {"apps", "StatefulSet", {"v1", "", ""}, ResourceKind::kStatefulSet},
    {"apps", "DaemonSet", {"v1", "", ""}, ResourceKind::kDaemonSet},
    {"apps", "ReplicaSet", {"v1", "", ""}, ResourceKind::kReplicaSet},
    {"batch", "Job", {"v1", "", ""}, ResourceKind::kJob},
    {"discovery.k8s.io", "EndpointSlice", {"v1", "", ""}, ResourceKind::kEndpointSlice},
};

}  // namespace

bool resourceKindFor(std::string_view group, std::string_view version, std::string_view kind,
                     ResourceKind* out) {
  for (const KindRow& row : kKinds) {
    if (row.group != group || row.kind != kind) {
      continue;
    }
    for (std::string_view v : row.versions) {
      if (!v.empty() && v == version) {
        *out = row.value;
        return true;
      }
    }
  }
  return false;
}

bool isKnownGroupKind(std::string_view group, std::string_view kind) {
  for (const KindRow& row : kKinds) {
    if (row.group == group && row.kind == kind) {
      return true;
    }
  }
  return false;
}

const char* resourceKindName(ResourceKind kind) {
  for (const KindRow& row : kKinds) {
    if (row.value == kind) {
      return row.kind.data();
    }
  }
  return "Unknown";
}

bool isIstioKind(ResourceKind kind) {
  switch (kind) {
    case ResourceKind::kGateway:
    case ResourceKind::kVirtualService:
    case ResourceKind::kSidecar:
    case ResourceKind::kDestinationRule:
    case ResourceKind::kServiceEntry:
      return true;
    default:
      return false;
  }
}

bool isWorkloadKind(ResourceKind kind) {
  switch (kind) {
    case ResourceKind::kDeployment:
    case ResourceKind::kStatefulSet:
    case ResourceKind::kDaemonSet:
    case ResourceKind::kReplicaSet:
    case ResourceKind::kJob:
      return true;
    default:
      return false;
  }
}

bool isNamespaced(ResourceKind kind) { return kind != ResourceKind::kNamespace; }

}  // namespace meshc::frontend
