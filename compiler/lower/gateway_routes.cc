// Gateway HTTP route configurations (istio:pilot/pkg/networking/core/gateway.go;
// SEMANTICS 2.6, 4.2, 4.3, 7.4): virtual hosts per Server host. Entry point:
// buildGatewayRouteConfig().
#include "lower/gateway_build.h"

namespace meshc::lower::detail {

// --- Route configurations (2.6, 4.2, 4.3, 7.4) ---------------------------------------------------

// buildNameToServiceMapForHTTPRoutes: the VS namespace's service if visible to the gateway's
// namespace, else the one the gateway's scope sees (3.8 "Gateway HTTP").
std::optional<DestinationService> httpServiceLookup(const BuildContext& bc,
                                                    const IndexedVirtualService& vs,
                                                    std::string_view host) {
  const Service* svc = bc.inputs.registry.findInNamespace(host, vs.vs.meta.name_space);
  if (svc != nullptr && !svc->visibleTo(bc.proxy.name_space)) {
    svc = nullptr;
  }
  if (svc == nullptr) {
    svc = bc.scope.serviceForHostname(host);
  }
  if (svc == nullptr) {
    return std::nullopt;
  }
  DestinationService out;
  out.cluster_host = svc->resolution == ServiceResolution::kAlias && !svc->alias_target.empty()
                         ? svc->alias_target
                         : svc->hostname;
  for (const ServicePortInfo& p : svc->ports) {
    out.ports.push_back(p.port);
  }
  return out;
}

std::optional<DestinationService> scopeServiceLookup(const BuildContext& bc,
                                                     std::string_view host) {
  const Service* svc = bc.scope.serviceForHostname(host);
  if (svc == nullptr) {
    return std::nullopt;
  }
  DestinationService out;
  out.cluster_host = svc->resolution == ServiceResolution::kAlias && !svc->alias_target.empty()
                         ? svc->alias_target
                         : svc->hostname;
  for (const ServicePortInfo& p : svc->ports) {
    out.ports.push_back(p.port);
  }
  return out;
}

RouteContext makeRouteContext(const BuildContext& bc, const std::string& gateway_name,
                              uint32_t port, bool tls) {
  RouteContext ctx;
  ctx.proxy_namespace = bc.proxy.name_space;
  ctx.proxy_labels = bc.proxy.labels;
  ctx.gateways = {gateway_name};
  ctx.port = port;
  ctx.tls = tls;
  const BuildContext* bcp = &bc;
  ctx.hash = [bcp](const model::Destination& d) -> std::optional<model::ConsistentHash> {
    const Service* svc = bcp->scope.serviceForHostname(d.host);
    const ConsolidatedDestinationRule* dr = bcp->inputs.destination_rules.forProxy(
        bcp->proxy, d.host, svc != nullptr ? std::string_view(svc->name_space) : "");
    return consistentHashForDestination(dr, d);
  };
  return ctx;
}

RouteConfiguration buildGatewayRouteConfig(BuildContext& bc, const MergedGateway& mg,
                                           const std::string& route_name) {
  RouteConfiguration rc;
  rc.name = route_name;
  rc.ignore_port_in_host_matching = true;
  auto sit = mg.servers_by_route_name.find(route_name);
  if (sit == mg.servers_by_route_name.end() || sit->second.empty()) {
    return rc;
  }
  const std::vector<size_t>& servers = sit->second;

  std::vector<Route> pool;
  // Routes are built once per (Gateway, VS) and shared by every host and server of that
  // Gateway in this route configuration, with the first server's port and TLS-ness.
  std::map<std::pair<std::string, std::string>, std::vector<size_t>> cache;
  std::set<std::pair<std::string, std::string>> noted_empty;
  std::map<std::string, std::vector<const IndexedVirtualService*>> vs_by_gateway;
  std::map<std::string, VhostBuild> vhosts;  // keyed by lower-cased hostname

  for (size_t si : servers) {
    const MergedServer& ms = mg.servers[si];
    const model::Server& server = ms.server;
    uint32_t port = server.port.number;
    bool https_redirect = server.tls && server.tls->https_redirect;
    auto git = vs_by_gateway.find(ms.gateway_name);
    if (git == vs_by_gateway.end()) {
      // The gateway pod's namespace decides exportTo visibility, not the Gateway's (9.15).
      git = vs_by_gateway
                .emplace(ms.gateway_name,
                         bc.inputs.vs_index.candidates(bc.proxy.name_space, ms.gateway_name))
                .first;
    }
    for (const IndexedVirtualService* vs : git->second) {
      // NamesForNamespace: `ns/host` entries apply only to VSs in `ns` (4.2, 2.6).
      std::vector<std::string> server_hosts;
      for (const std::string& h : server.hosts) {
        NamespacedHost nh = splitNamespacedHost(h);
        if (h.find('/') != std::string::npos && nh.name_space != vs->vs.meta.name_space &&
            nh.name_space != "*") {
          continue;
        }
        server_hosts.push_back(nh.host);
      }
      std::vector<std::string> intersect = hostIntersection(server_hosts, vs->vs.hosts);
      if (intersect.empty()) {
        continue;
      }
      auto key = std::make_pair(ms.gateway_name, vs->ref());
      auto cit = cache.find(key);
      if (cit == cache.end()) {
        RouteContext ctx = makeRouteContext(bc, ms.gateway_name, port, server.tls.has_value());
        ctx.lookup = [&bc, vs](std::string_view host) { return httpServiceLookup(bc, *vs, host); };
        std::vector<Route> routes = buildHttpRoutesForVirtualService(*vs, ctx);
        if (routes.empty()) {
          if (!noted_empty.insert(key).second) {
            continue;
          }
          bc.notes.push_back(vsNote("lower-gw-vs-no-routes", *vs, vs->vs.meta.loc,
                                    "VirtualService " + vs->ref() + " matches hosts of Gateway " +
                                        ms.gateway_name + " on port " + std::to_string(port) +
                                        " but none of its http routes apply there"));
          continue;  // not cached, as in Istio (recomputed with the same result)
        }
        std::vector<size_t> ids;
        for (Route& r : routes) {
          ids.push_back(pool.size());
          pool.push_back(std::move(r));
        }
        cit = cache.emplace(key, std::move(ids)).first;
      }
      for (const std::string& raw_host : intersect) {
        std::string hostname = ascii::toLower(raw_host);
        auto vit = vhosts.find(hostname);
        if (vit != vhosts.end()) {
          vit->second.routes.insert(vit->second.routes.end(), cit->second.begin(),
                                    cit->second.end());
          if (https_redirect) {
            vit->second.require_tls = true;
          }
          continue;
        }
        VhostBuild vb;
        vb.name = gatewayVirtualHostName(hostname, port);
        vb.domains = {hostname};
        vb.routes = cit->second;
        vb.require_tls = https_redirect;
        vhosts.emplace(hostname, std::move(vb));
      }
    }
    // httpsRedirect: every server host gets a vhost even without a VS (7.4). Istio uses the
    // sanitized server host as written here, so an `ns/host` entry yields a literal `ns/host`
    // domain that no request can match.
    if (https_redirect) {
      for (const std::string& h : server.hosts) {
        std::string hostname = ascii::toLower(h);
        auto vit = vhosts.find(hostname);
        if (vit != vhosts.end()) {
          vit->second.require_tls = true;
          continue;
        }
        VhostBuild vb;
        vb.name = gatewayVirtualHostName(hostname, port);
        vb.domains = {hostname};
        vb.require_tls = true;
        vhosts.emplace(hostname, std::move(vb));
      }
    }
  }

  if (vhosts.empty()) {
    VirtualHost blackhole;
    blackhole.name = gatewayVirtualHostName("blackhole", mg.servers[servers[0]].server.port.number);
    blackhole.domains = {"*"};
    rc.virtual_hosts.push_back(std::move(blackhole));
    return rc;
  }

  // collapseDuplicateRoutes: hosts whose route lists are the same route objects (same VSs in
  // the same order) share one vhost; the most specific hostname is the primary (2.6).
  std::vector<std::string> keys;
  for (const auto& [k, v] : vhosts) {
    keys.push_back(k);
  }
  std::sort(keys.begin(), keys.end(),
            [](const std::string& a, const std::string& b) { return moreSpecificHost(a, b); });
  std::map<std::vector<size_t>, std::string> known;
  std::map<std::string, VhostBuild> deduped;
  for (const std::string& h : keys) {
    VhostBuild& vb = vhosts[h];
    auto kit = known.find(vb.routes);
    if (kit != known.end() && deduped[kit->second].require_tls == vb.require_tls) {
      VhostBuild& primary = deduped[kit->second];
      primary.domains.insert(primary.domains.end(), vb.domains.begin(), vb.domains.end());
      continue;
    }
    known[vb.routes] = h;
    deduped[h] = vb;
  }
  for (auto& [h, vb] : deduped) {
    VirtualHost vh;
    vh.name = vb.name;
    vh.domains = vb.domains;
    vh.require_tls = vb.require_tls;
    for (size_t id : vb.routes) {
      vh.routes.push_back(pool[id]);
    }
    // Catch-all routes move after every other route of the host, across VSs (4.3, 9.4).
    sortVHostRoutes(vh.routes);
    rc.virtual_hosts.push_back(std::move(vh));
  }
  std::stable_sort(rc.virtual_hosts.begin(), rc.virtual_hosts.end(),
                   [](const VirtualHost& a, const VirtualHost& b) { return a.name < b.name; });
  return rc;
}

}  // namespace meshc::lower::detail
