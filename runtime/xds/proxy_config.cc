// ProxyConfig lookups.
#include "xds/proxy_config.h"

namespace meshc::xds {

const RouteConfiguration* ProxyConfig::findRouteConfig(std::string_view name) const {
  for (const RouteConfiguration& rc : route_configs) {
    if (rc.name == name) {
      return &rc;
    }
  }
  return nullptr;
}

const Cluster* ProxyConfig::findCluster(std::string_view name) const {
  for (const Cluster& c : clusters) {
    if (c.name == name) {
      return &c;
    }
  }
  return nullptr;
}

}  // namespace meshc::xds
