// Internal to the model builder: defensive field readers over the positioned YAML tree and the
// per-kind builders that buildConfigSet() dispatches to. Not part of the model's public contract.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/ascii.h"
#include "frontend/mesh_config.h"
#include "frontend/model/model.h"
#include "frontend/resource.h"
#include "frontend/yaml_tree.h"

namespace meshc::model::detail {

using frontend::Node;

/// n->get(key), tolerating a null or non-map n.
const Node* child(const Node* n, std::string_view key);
/// The node's location, or `fallback` when n is null.
SourceLoc locOf(const Node* n, SourceLoc fallback);

/// A string scalar's text; nullopt when absent or of another type.
std::optional<std::string> optString(const Node* n);
/// A string scalar's text; "" when absent or of another type.
std::string stringOf(const Node* n);
/// The string items of a sequence (other items skipped).
std::vector<std::string> stringList(const Node* n);
/// A map of string values (entries with non-string values skipped), e.g. labels.
StringMap stringMap(const Node* n);
/// Like stringMap but keeps document order (header operations).
std::vector<std::pair<std::string, std::string>> stringPairs(const Node* n);

/// An integer in [lo, hi]: YAML ints, integral floats and decimal strings (protobuf JSON accepts
/// quoted integers). nullopt otherwise.
std::optional<int64_t> intOf(const Node* n, int64_t lo, int64_t hi);
std::optional<uint32_t> uint32Of(const Node* n);
std::optional<double> numberOf(const Node* n);
std::optional<bool> boolOf(const Node* n);
/// A google.protobuf.Duration string ("1.5s") in nanoseconds.
std::optional<int64_t> durationOf(const Node* n);
/// A Percent message `{value: x}`: x, 0 when `value` is missing; nullopt when n is not a map.
std::optional<double> percentOf(const Node* n);

/// A protobuf enum given by name or by number. `names[i]` is the name of value i. Returns ""
/// when absent or of another type; unknown numbers come back as their decimal text (proto3
/// enums are open).
std::string enumOf(const Node* n, std::initializer_list<const char*> names);

/// exportTo as written, or the mesh default (["*"] when that is empty too) when absent or empty.
std::vector<std::string> exportToOf(const Node* n, const std::vector<std::string>& mesh_default);

ObjectMeta metaOf(const frontend::Resource& r);
Destination destinationOf(const Node* n, SourceLoc fallback);

// --- Per-kind builders (one file each) -----------------------------------------------------------
VirtualService buildVirtualService(const frontend::Resource& r, const frontend::MeshConfig& mesh);
Gateway buildGateway(const frontend::Resource& r);
Sidecar buildSidecar(const frontend::Resource& r);
DestinationRule buildDestinationRule(const frontend::Resource& r, const frontend::MeshConfig& mesh);
ServiceEntry buildServiceEntry(const frontend::Resource& r, const frontend::MeshConfig& mesh);
KubernetesService buildKubernetesService(const frontend::Resource& r,
                                         const frontend::MeshConfig& mesh);
/// A Pod or a workload kind's pod template.
WorkloadInstance buildWorkload(const frontend::Resource& r);
/// The label that ties an EndpointSlice to its Service (discovery.k8s.io/v1 LabelServiceName).
inline constexpr std::string_view kServiceNameLabel = "kubernetes.io/service-name";
EndpointSlice buildEndpointSlice(const frontend::Resource& r);
Secret buildSecret(const frontend::Resource& r);

}  // namespace meshc::model::detail
