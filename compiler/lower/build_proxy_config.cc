// buildProxyConfig(): dispatches to the gateway or sidecar lowering by proxy kind.
#include "lower/gateway_config.h"
#include "lower/proxy_config.h"
#include "lower/sidecar_config.h"

namespace meshc::lower {

LoweredProxy buildProxyConfig(const model::ConfigSet& config, const ProxyIdentity& proxy) {
  if (proxy.kind == ProxyIdentity::Kind::kGateway) {
    return buildGatewayConfig(config, proxy);
  }
  return buildSidecarConfig(config, proxy);
}

}  // namespace meshc::lower
