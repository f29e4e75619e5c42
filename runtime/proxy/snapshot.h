// One loaded, verified bundle as meshproxy serves it: immutable, shared by every worker and held
// by each request until it finishes (DESIGN.md §1, PROXY-SEMANTICS R0.3, R16.3).
// Entry points: Snapshot::load(), Snapshot::route().
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "base/status.h"
#include "bundle/bundle_reader.h"
#include "native/native_router.h"
#include "proxy/tls_context.h"
#include "router/compiled_route_actions.h"
#include "routing/request.h"
#include "routing/route_decision.h"
#include "xds/proxy_config.h"

namespace meshc::proxy {

/// Where a downstream listener sends requests: one route configuration per gateway port; in
/// sidecar mode the route configuration is chosen per request by the authority's port.
struct ListenerPlan {
  std::string name;       // the bundle listener's name ("0.0.0.0_8080")
  uint32_t port = 0;      // the port meshproxy binds: the Gateway server port
  int32_t listener = -1;  // index into config.listeners
};

class Snapshot {
 public:
  /// Reads and verifies `bundle_path` (and applies `endpoints_path` when non-empty). Fails with
  /// the reader's specific error. `warning` receives a native-code fallback notice, if any.
  /// TLS-terminating chains get their contexts here, certificates read from
  /// `credentials_dir` (or their file paths). A chain whose context cannot be built keeps
  /// `previous`'s context for the same listener, chain and settings when there is one (as
  /// Envoy keeps the last good secret: a certificate caught mid-rotation does not cut TLS);
  /// otherwise its connections are closed. Either way `warning` names it.
  static Expected<std::shared_ptr<const Snapshot>> load(const std::string& bundle_path,
                                                        const std::string& endpoints_path,
                                                        std::string* warning,
                                                        const std::string& credentials_dir = {},
                                                        const Snapshot* previous = nullptr);

  const bundle::Bundle& bundle() const { return bundle_; }
  const xds::ProxyConfig& config() const { return bundle_.config; }
  bool isGateway() const { return bundle_.config.proxy.kind == xds::ProxyIdentity::Kind::kGateway; }
  bool usesNative() const { return native_ != nullptr; }
  const std::string& path() const { return path_; }
  uint64_t generation() const { return generation_; }

  /// Gateway listeners: one per listener in the bundle (HTTP, HTTPS, TLS, TCP), bound on its
  /// Gateway server port.
  const std::vector<ListenerPlan>& gatewayListeners() const { return gateway_listeners_; }
  /// Sidecar explicit-proxy mode: the route configuration Istio's listener for `port` would use
  /// (the HTTP listener 0.0.0.0_<port>, or the route configuration named "<port>"); -1 = none.
  int32_t sidecarRouteConfig(uint32_t port) const;

  /// Sidecars: the cluster of the virtualOutbound listener's catch-all chain, which takes
  /// traffic for ports without a listener: "PassthroughCluster" (ALLOW_ANY) or
  /// "BlackHoleCluster" (REGISTRY_ONLY); empty when the bundle has none (R11.16).
  const std::string& sidecarCatchAllCluster() const { return sidecar_catch_all_; }

  /// Route selection with the bundle's native code (the portable tree when it has none).
  ir::RouteDecision route(size_t route_config, const ir::RequestView& request) const;

  /// The TLS server context of a terminating chain of this snapshot (R14.1); nullptr when it
  /// has none it can serve with (the load's warning said why).
  std::shared_ptr<ServerTls> serverTls(const xds::FilterChain* chain) const;

  /// Index of a route configuration by name, -1 when the bundle has none.
  int32_t routeConfigIndex(std::string_view name) const;
  /// The listener named `name`, or nullptr.
  const xds::Listener* findListener(std::string_view name) const;

  /// Index of a cluster by name, -1 when the bundle has none (R4.4 → 503 NC).
  int32_t clusterIndex(std::string_view name) const;

  /// The routes' rewrite regexes, compiled at load (R3.13): pass to router::finalizeRequest().
  const router::CompiledRouteActions* routeActions() const { return &*route_actions_; }

 private:
  Snapshot() = default;
  std::string path_;
  uint64_t generation_ = 0;
  bundle::Bundle bundle_;
  std::unique_ptr<native::NativeRouter> native_;
  std::vector<ListenerPlan> gateway_listeners_;
  std::unordered_map<uint32_t, int32_t> sidecar_ports_;
  std::string sidecar_catch_all_;
  std::unordered_map<std::string, int32_t> cluster_index_;
  std::optional<router::CompiledRouteActions> route_actions_;  // keyed by bundle_'s routes
  std::unordered_map<const xds::FilterChain*, std::shared_ptr<ServerTls>> server_tls_;
};

}  // namespace meshc::proxy
