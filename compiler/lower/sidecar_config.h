// The outbound configuration of a sidecar proxy: per-port listeners with HTTP / TCP / TLS filter
// chains, virtualOutbound, RDS route configurations (VS routes, implicit default routes, the
// allow_any / block_all catch-all) and clusters (SEMANTICS 2.5, 3.6-3.8, 4.3, 5, 7.1, 7.2, 7.6).
// Entry point: buildSidecarConfig().
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "frontend/model/model.h"
#include "lower/destination_rules.h"
#include "lower/proxy_config.h"
#include "lower/service_registry.h"
#include "lower/sidecar_scope.h"
#include "lower/vs_index.h"

namespace meshc::lower {

/// Istio's fixed listener / cluster names and ports.
inline constexpr std::string_view kVirtualOutboundListener = "virtualOutbound";
inline constexpr uint32_t kVirtualOutboundPort = 15001;
inline constexpr std::string_view kPassthroughCluster = "PassthroughCluster";
inline constexpr std::string_view kBlackHoleCluster = "BlackHoleCluster";
inline constexpr std::string_view kAllowAnyDynamicDnsCluster = "AllowAnyDynamicDNSCluster";
inline constexpr std::string_view kPassthroughFilterChain = "PassthroughFilterChain";
inline constexpr std::string_view kVirtualOutboundCatchAllChain = "virtualOutbound-catchall-tcp";
inline constexpr std::string_view kVirtualOutboundBlackholeChain = "virtualOutbound-blackhole";

/// Everything a sidecar's configuration is computed from, built once per ConfigSet.
struct SidecarInputs {
  explicit SidecarInputs(const model::ConfigSet& config);
  const model::ConfigSet& config;
  ServiceRegistry registry;
  VirtualServiceIndex vs_index;
  DestinationRuleIndex destination_rules;
};

/// Computes the outbound configuration Istio pushes to a sidecar proxy (`proxy.kind` is treated
/// as kSidecar). Never fails; choices Istio makes silently become info notes:
/// `lower-sidecar-vs-shadowed` (an older VS owns the host, 9.3), `lower-sidecar-vs-host-ignored`
/// (non-registry host off port 80, 9.10), `lower-sidecar-vs-unused` (an imported VS yields
/// nothing), `lower-sidecar-listener-conflict` (a filter chain lost to an identical match), plus
/// the index's `lower-delegate-*` notes for imported VSs.
LoweredProxy buildSidecarConfig(const model::ConfigSet& config, const ProxyIdentity& proxy);
LoweredProxy buildSidecarConfig(const SidecarInputs& inputs, const ProxyIdentity& proxy);

/// The route configuration named `route_name` (`"<port>"` or `"<host>:<port>"`) for the proxy,
/// exactly as buildSidecarConfig() would emit it; an empty one for names it does not know.
RouteConfiguration buildSidecarRouteConfig(const SidecarInputs& inputs, const SidecarScope& scope,
                                           const ProxyIdentity& proxy, std::string_view route_name,
                                           std::vector<Diagnostic>* notes = nullptr);

/// The HTTP Host-header variants a sidecar accepts for a service hostname (2.5,
/// GenerateAltVirtualHosts with ports ignored): the absolute `host.`, and for Kubernetes-style
/// names seen from `proxy_namespace`: same namespace `name`, `name.ns.svc`, `name.ns`; other
/// namespace `name.ns`, `name.ns.svc`.
std::vector<std::string> altVirtualHosts(std::string_view hostname,
                                         std::string_view proxy_namespace,
                                         std::string_view domain_suffix);

}  // namespace meshc::lower
