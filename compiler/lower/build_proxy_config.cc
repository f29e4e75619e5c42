// buildProxyConfig(): dispatches to the gateway or sidecar lowering by proxy kind.
#include "lower/gateway_config.h"
#include "lower/proxy_config.h"
#include "lower/sidecar_config.h"

#include <string_view>
#include <unordered_map>

namespace meshc::lower {

namespace {

// R15.3: a tcp_proxy to one cluster takes that cluster's DestinationRule tcp.idleTimeout (after
// subset and port-level merging); weighted ones keep Envoy's default.
void applyTcpIdleTimeouts(ProxyConfig& pc) {
  std::unordered_map<std::string_view, const Cluster*> by_name;
  for (const Cluster& c : pc.clusters) {
    by_name.emplace(c.name, &c);
  }
  auto apply = [&](FilterChain& chain) {
    if (chain.tcp_proxy && chain.tcp_proxy->weighted.empty()) {
      auto it = by_name.find(chain.tcp_proxy->cluster);
      if (it != by_name.end()) {
        chain.tcp_proxy->idle_timeout_ns = it->second->tcp_idle_timeout_ns;
      }
    }
  };
  for (Listener& l : pc.listeners) {
    for (FilterChain& chain : l.filter_chains) {
      apply(chain);
    }
    if (l.default_filter_chain) {
      apply(*l.default_filter_chain);
    }
  }
}

}  // namespace

LoweredProxy buildProxyConfig(const model::ConfigSet& config, const ProxyIdentity& proxy) {
  LoweredProxy lowered = proxy.kind == ProxyIdentity::Kind::kGateway
                             ? buildGatewayConfig(config, proxy)
                             : buildSidecarConfig(config, proxy);
  applyTcpIdleTimeouts(lowered.config);
  return lowered;
}

}  // namespace meshc::lower
