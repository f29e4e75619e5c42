// A Kubernetes object read from the input: identity, metadata and its positioned YAML tree.
// Entry points: Resource, ResourceKind, resourceKindFor().
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "frontend/yaml_tree.h"
#include "support/diagnostic.h"

namespace meshc::frontend {

/// The kinds meshc understands. Workload kinds (Deployment, ...) contribute their pod template.
enum class ResourceKind {
  kGateway,
  kVirtualService,
  kSidecar,
  kDestinationRule,
  kServiceEntry,
  kRequestAuthentication,  // security.istio.io; context for IST0149
  kService,
  kPod,
  kNamespace,
  kSecret,
  kDeployment,
  kStatefulSet,
  kDaemonSet,
  kReplicaSet,
  kJob,
  kEndpointSlice,  // discovery.k8s.io/v1: a Service's endpoints, preferred over selected Pods
};

/// Looks up a kind by API group ("" for core), version and kind name. Returns false when meshc
/// does not understand that combination (the object is then skipped and counted).
bool resourceKindFor(std::string_view group, std::string_view version, std::string_view kind,
                     ResourceKind* out);
/// True when meshc knows the group and kind at some other version (so the version is wrong).
bool isKnownGroupKind(std::string_view group, std::string_view kind);
/// "VirtualService", "Service", ...
const char* resourceKindName(ResourceKind kind);
bool isIstioKind(ResourceKind kind);
bool isWorkloadKind(ResourceKind kind);
bool isNamespaced(ResourceKind kind);

using StringMap = std::map<std::string, std::string, std::less<>>;

struct Resource {
  ResourceKind kind;
  std::string group;    // "networking.istio.io", "" for core, "apps", ...
  std::string version;  // "v1", "v1beta1", ...
  std::string name;
  std::string name_space;  // defaulted from --namespace when absent (namespaced kinds only)
  bool namespace_defaulted = false;
  StringMap labels;
  StringMap annotations;
  std::string creation_timestamp;  // metadata.creationTimestamp as written, may be empty
  const Node* root = nullptr;      // the whole object
  const Node* metadata = nullptr;  // may be null
  const Node* spec = nullptr;      // may be null
  SourceLoc loc;                   // the document's first line
  uint32_t ordinal = 0;            // position in input order, across all files
  bool schema_valid = true;        // false when the schema check reported an error

  ResourceRef ref() const {
    return ResourceRef{resourceKindName(kind), name_space, name};
  }
};

}  // namespace meshc::frontend
