// A proxy's sidecar scope: which Sidecar applies, which services and VirtualServices each egress
// listener imports, and the outbound traffic policy (SEMANTICS 5.1-5.3, 9.8, 9.9).
// Entry points: selectSidecar(), SidecarScope::build(), SidecarScope::buildForGateway().
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "frontend/model/model.h"
#include "lower/proxy_config.h"
#include "lower/service_registry.h"
#include "lower/vs_index.h"

namespace meshc::lower {

enum class OutboundPolicyMode { kAllowAny, kRegistryOnly, kAllowAnyDynamicDns };

/// One egress listener of the scope (IstioEgressListenerWrapper).
struct EgressListenerScope {
  /// The Sidecar's listener; nullptr for the implicit `*/*` listener (no Sidecar, or no egress).
  const model::IstioEgressListener* listener = nullptr;
  /// The listener has a port (not HTTP_PROXY): imported services are trimmed to that port.
  bool match_port = false;
  /// Imported services (copies; ports possibly trimmed, aliases filtered), one per hostname.
  std::vector<Service> services;
  /// Imported VirtualServices bound to `mesh`, in candidate order (private, exported, public).
  std::vector<const IndexedVirtualService*> virtual_services;
  /// computeWildcardHostVirtualServiceIndex: service hostname → ref ("ns/name") of the VS whose
  /// host matches it most specifically (exact beats wildcard, longer wildcard beats shorter,
  /// ties → first in order). Used to attach each service to one wildcard VS only (4.3).
  std::map<std::string, std::string, std::less<>> most_specific_vs;

  uint32_t port() const;  // 0 when the listener has none
};

class SidecarScope {
 public:
  /// The scope of a sidecar proxy (5.3): the applicable Sidecar's egress listeners (or `*/*`),
  /// its services plus the destinations of its VirtualServices, and the outbound policy.
  static SidecarScope build(const model::ConfigSet& config, const ServiceRegistry& registry,
                            const VirtualServiceIndex& vs_index, const ProxyIdentity& proxy);
  /// DefaultSidecarScopeForGateway: every service exported to the gateway's namespace (one per
  /// hostname) and the mesh VirtualServices visible there; Sidecars never apply to gateways.
  static SidecarScope buildForGateway(const model::ConfigSet& config,
                                      const ServiceRegistry& registry,
                                      const VirtualServiceIndex& vs_index,
                                      const ProxyIdentity& proxy);

  /// The Sidecar that applies; nullptr for the default scope.
  const model::Sidecar* sidecar() const { return sidecar_; }
  const std::string& name_space() const { return name_space_; }
  const std::vector<EgressListenerScope>& egressListeners() const { return egress_; }
  /// Every service of the scope, one per hostname (clusters are built for these). Includes
  /// services only reachable as VirtualService destinations (5.1).
  const std::vector<Service>& services() const { return services_; }
  /// The scope's service for a hostname (ServiceForHostname), or nullptr.
  const Service* serviceForHostname(std::string_view hostname) const;

  OutboundPolicyMode outboundMode() const { return mode_; }
  /// Sidecar outboundTrafficPolicy.egressProxy (only with ALLOW_ANY).
  const std::optional<model::Destination>& egressProxy() const { return egress_proxy_; }
  /// The cluster unknown traffic goes to under ALLOW_ANY: PassthroughCluster, or the egress
  /// proxy's `outbound|P|S|H` (GetDestinationCluster with no service and port 0).
  std::string passthroughCluster() const;

  /// GetEgressListenerForRDS: the first egress listener without a port, or whose port is `port`.
  const EgressListenerScope* egressListenerForRds(uint32_t port) const;

 private:
  const model::Sidecar* sidecar_ = nullptr;
  std::string name_space_;
  std::vector<EgressListenerScope> egress_;
  std::vector<Service> services_;
  OutboundPolicyMode mode_ = OutboundPolicyMode::kAllowAny;
  std::optional<model::Destination> egress_proxy_;
};

/// Which Sidecar applies to a sidecar proxy (5.3): in the proxy's namespace, the oldest one whose
/// workload selector ⊆ the proxy's labels, else the oldest selector-less one; else the root
/// namespace's selector-less Sidecar; else nullptr. Gateways: always nullptr.
const model::Sidecar* selectSidecar(const model::ConfigSet& config, const ProxyIdentity& proxy);

/// Mesh outboundTrafficPolicy / Sidecar mode name → mode (unknown names: ALLOW_ANY for the mesh,
/// as Istio's default; the Sidecar enum zero is REGISTRY_ONLY).
OutboundPolicyMode parseOutboundPolicyMode(std::string_view mode, bool from_sidecar);

}  // namespace meshc::lower
