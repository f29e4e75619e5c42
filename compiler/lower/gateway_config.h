// The configuration of a gateway proxy: merged Gateways, listeners per (bind, port) with HTTP,
// HTTPS, TLS-passthrough, AUTO_PASSTHROUGH and TCP filter chains, `http.<port>` /
// `https.<port>.<portName>.<gw>.<ns>` route configurations and the clusters they reference
// (SEMANTICS 1.18, 2.6, 4.1-4.3, 7.3-7.5, 9.4, 9.12-9.15). Entry point: buildGatewayConfig().
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "frontend/model/model.h"
#include "lower/proxy_config.h"
#include "lower/sidecar_config.h"

namespace meshc::lower {

/// Computes what Istio pushes to a gateway proxy (`proxy.kind` is treated as kGateway): the
/// Gateways whose selector ⊆ proxy labels (nil selector: every gateway proxy) merged in config
/// order. Never fails; servers, routes and chains Istio drops silently become info notes
/// (`lower-gw-*`).
LoweredProxy buildGatewayConfig(const model::ConfigSet& config, const ProxyIdentity& proxy);
LoweredProxy buildGatewayConfig(const SidecarInputs& inputs, const ProxyIdentity& proxy);

/// Server-port → listener-port translation for a gateway pod (resolvePorts with the legacy
/// selector, 7.5): the targetPort of the first Service port (of a Service selecting the pod) whose
/// port equals `server_port`, else `server_port` itself. Services labelled
/// `experimental.istio.io/disable-gateway-port-translation` are skipped.
uint32_t gatewayListenerPort(const model::ConfigSet& config, const ProxyIdentity& proxy,
                             uint32_t server_port);

/// The Gateways that apply to `proxy`, in Istio's config order (1.18).
std::vector<const model::Gateway*> selectGateways(const model::ConfigSet& config,
                                                  const ProxyIdentity& proxy);

/// `net.JoinHostPort(host, port)`: the gateway vhost name `host:port` (`[v6]:port`).
std::string gatewayVirtualHostName(std::string_view host, uint32_t port);

}  // namespace meshc::lower
