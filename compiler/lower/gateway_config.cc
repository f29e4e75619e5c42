// Gateway proxies: Gateway merging (istio:pilot/pkg/model/gateway.go mergeGateways), listeners and
// filter chains, HTTP route configurations and clusters (istio:pilot/pkg/networking/core/
// gateway.go). SEMANTICS 1.18, 2.6, 4.2, 4.3, 7.3-7.5, 9.4, 9.12-9.15.
#include "lower/gateway_config.h"


#include "lower/gateway_build.h"

namespace meshc::lower {

// --- Public entry points -------------------------------------------------------------------------

std::string gatewayVirtualHostName(std::string_view host, uint32_t port) {
  std::string h(host);
  if (h.find(':') != std::string::npos) {
    h = "[" + h + "]";
  }
  return h + ":" + std::to_string(port);
}

std::vector<const model::Gateway*> selectGateways(const model::ConfigSet& config,
                                                  const ProxyIdentity& proxy) {
  std::vector<const model::Gateway*> out;
  for (const model::Gateway& gw : config.gateways) {
    // A nil selector applies to every gateway proxy; otherwise selector ⊆ pod labels, in any
    // namespace (PILOT_SCOPE_GATEWAY_TO_NAMESPACE is off by default).
    if (!gw.selector || istio::selectorMatches(*gw.selector, proxy.labels)) {
      out.push_back(&gw);
    }
  }
  std::stable_sort(out.begin(), out.end(), [](const model::Gateway* a, const model::Gateway* b) {
    return model::configOrderLess(a->meta, b->meta);
  });
  return out;
}

uint32_t gatewayListenerPort(const model::ConfigSet& config, const ProxyIdentity& proxy,
                             uint32_t server_port) {
  return detail::resolvePort(detail::serviceTargets(config, proxy), server_port);
}

LoweredProxy buildGatewayConfig(const model::ConfigSet& config, const ProxyIdentity& proxy) {
  ServiceRegistry registry = ServiceRegistry::build(config);
  VirtualServiceIndex vs_index(config);
  DestinationRuleIndex destination_rules(config);
  return detail::buildGatewayConfigFrom(detail::Inputs{config, registry, vs_index, destination_rules}, proxy);
}

LoweredProxy buildGatewayConfig(const SidecarInputs& inputs, const ProxyIdentity& proxy) {
  return detail::buildGatewayConfigFrom(
      detail::Inputs{inputs.config, inputs.registry, inputs.vs_index, inputs.destination_rules}, proxy);
}

namespace detail {

LoweredProxy buildGatewayConfigFrom(const Inputs& inputs, const ProxyIdentity& proxy_in) {
  LoweredProxy out;
  ProxyConfig& pc = out.config;
  pc.proxy = proxy_in;
  pc.proxy.kind = ProxyIdentity::Kind::kGateway;
  const model::ConfigSet& config = inputs.config;
  // buildGatewayConnectionManager: xff_num_trusted_hops = gatewayTopology.numTrustedProxies
  // (gateways only; sidecars never use the remote address, R2.5).
  pc.proxy.num_trusted_proxies = config.mesh.num_trusted_proxies;
  const ProxyIdentity& proxy = pc.proxy;

  std::vector<const model::Gateway*> gateways = selectGateways(config, proxy);
  if (gateways.empty()) {
    return out;
  }
  for (const Diagnostic& d : inputs.vs_index.notes()) {
    out.notes.push_back(d);
  }
  MergedGateway mg = mergeGateways(gateways, serviceTargets(config, proxy), out.notes);
  BuildContext bc{inputs, proxy,
                  SidecarScope::buildForGateway(config, inputs.registry, inputs.vs_index, proxy),
                  out.notes};

  // Listeners keyed by name in first-seen order; chains of every ServerPort sharing the name
  // are concatenated (buildGatewayListeners).
  std::vector<Listener> listeners;
  std::map<uint32_t, std::map<std::string, std::string>> tls_hosts_by_port;
  for (const ServerPortKey& key : mg.server_ports) {
    auto mit = mg.merged.find(key);
    if (mit == mg.merged.end()) {
      continue;
    }
    const MergedServers& merged = mit->second;
    std::string bind = key.bind.empty() ? std::string(kWildcardBind) : key.bind;
    std::string lname = bind + "_" + std::to_string(key.number);
    auto lit = std::find_if(listeners.begin(), listeners.end(),
                            [&lname](const Listener& l) { return l.name == lname; });
    if (lit == listeners.end()) {
      Listener l;
      l.name = lname;
      l.address = bind;
      l.port = key.number;
      l.server_port =
          merged.servers.empty() ? key.number : mg.servers[merged.servers[0]].server.port.number;
      listeners.push_back(std::move(l));
      lit = listeners.end() - 1;
    }
    Listener& listener = *lit;
    std::string proto = parseProtocol(key.protocol);
    if (isHttpProtocol(proto)) {
      // One HCM chain for every plain HTTP server on this port: RDS http.<port>[.<bind>].
      FilterChain fc;
      fc.http = true;
      fc.rds_name = merged.route_name;
      listener.filter_chains.push_back(std::move(fc));
      continue;
    }
    for (size_t si : merged.servers) {
      const MergedServer& ms = mg.servers[si];
      const model::Server& server = ms.server;
      if (isHttpsServerWithTlsTermination(server)) {
        FilterChain fc;
        fc.match = sniMatch(ms.sni_hosts);
        applyServerTls(bc, ms, fc);
        fc.http = true;
        fc.rds_name = ms.tls_route_name;
        // SNI matching, and the TLS context's ALPN (h2, http/1.1), need the TLS inspector.
        listener.has_tls_inspector = true;
        listener.filter_chains.push_back(std::move(fc));
        continue;
      }
      if (!server.tls) {
        // Opaque TCP: the first matching VS tcp route is the only chain (9.14).
        if (std::optional<TcpProxy> tp = tcpRouteProxy(bc, ms)) {
          FilterChain fc;
          fc.tcp_proxy = std::move(tp);
          listener.filter_chains.push_back(std::move(fc));
        } else {
          out.notes.push_back(gatewayNote("lower-gw-no-tcp-route", *ms.gateway, server.loc,
                                         "TCP server on port " +
                                             std::to_string(server.port.number) + " of Gateway " +
                                             ms.gateway_name +
                                             " has no matching VirtualService tcp route; it gets "
                                             "no filter chain"));
        }
        continue;
      }
      if (!isPassThroughServer(server)) {
        // TLS termination on a non-HTTPS port routes with VS `tcp` blocks, not `tls` (9.14).
        if (std::optional<TcpProxy> tp = tcpRouteProxy(bc, ms)) {
          FilterChain fc;
          fc.match = sniMatch(ms.sni_hosts);
          applyServerTls(bc, ms, fc);
          fc.tcp_proxy = std::move(tp);
          listener.has_tls_inspector = true;
          listener.filter_chains.push_back(std::move(fc));
        } else {
          out.notes.push_back(
              gatewayNote("lower-gw-no-tcp-route", *ms.gateway, server.loc,
                          "TLS-terminating server on port " + std::to_string(server.port.number) +
                              " of Gateway " + ms.gateway_name +
                              " has no matching VirtualService tcp route (tls routes apply only to "
                              "PASSTHROUGH servers); it gets no filter chain"));
        }
        continue;
      }
      std::vector<FilterChain> chains;
      if (server.tls->mode == "AUTO_PASSTHROUGH") {
        autoPassthroughChains(bc, ms, chains);
      } else {
        passthroughChains(bc, ms, key.number, tls_hosts_by_port, chains);
        if (chains.empty()) {
          out.notes.push_back(gatewayNote("lower-gw-no-tls-route", *ms.gateway, server.loc,
                                         "PASSTHROUGH server on port " +
                                             std::to_string(server.port.number) + " of Gateway " +
                                             ms.gateway_name +
                                             " has no matching VirtualService tls route; it gets "
                                             "no filter chain"));
        }
      }
      for (FilterChain& fc : chains) {
        if (!fc.match.server_names.empty() || !fc.match.application_protocols.empty()) {
          listener.has_tls_inspector = true;
        }
        listener.filter_chains.push_back(std::move(fc));
      }
    }
  }
  for (Listener& l : listeners) {
    if (l.filter_chains.empty()) {
      Diagnostic d;
      d.id = "lower-gw-empty-listener";
      d.severity = Severity::kInfo;
      d.message = "listener " + l.name + " has no filter chains; Istio omits it";
      out.notes.push_back(std::move(d));
      continue;
    }
    pc.listeners.push_back(std::move(l));
  }

  // Route configurations for every RDS name a chain refers to.
  std::set<std::string> built;
  for (const Listener& l : pc.listeners) {
    for (const FilterChain& fc : l.filter_chains) {
      if (!fc.http || fc.rds_name.empty() || !built.insert(fc.rds_name).second) {
        continue;
      }
      pc.route_configs.push_back(buildGatewayRouteConfig(bc, mg, fc.rds_name));
    }
  }
  buildClusters(bc, pc);

  // A VS bound to a selected Gateway that contributes nothing is a common surprise (hosts that
  // match no server, a `ns/` filter, routes filtered out): say so for `explain` and lint.
  std::set<std::string> used;
  for (const RouteConfiguration& rc : pc.route_configs) {
    for (const VirtualHost& vh : rc.virtual_hosts) {
      for (const Route& r : vh.routes) {
        used.insert(r.source.virtual_service);
      }
    }
  }
  for (const Listener& l : pc.listeners) {
    for (const FilterChain& fc : l.filter_chains) {
      if (fc.tcp_proxy) {
        used.insert(fc.tcp_proxy->source.virtual_service);
      }
    }
  }
  std::set<std::string> reported;
  for (const model::Gateway* gw : gateways) {
    for (const IndexedVirtualService* vs :
         inputs.vs_index.candidates(proxy.name_space, gw->meta.ref())) {
      if (used.count(vs->ref()) || !reported.insert(vs->ref()).second) {
        continue;
      }
      out.notes.push_back(vsNote("lower-gw-vs-unused", *vs, vs->vs.meta.loc,
                                "VirtualService " + vs->ref() + " is bound to Gateway " +
                                    gw->meta.ref() +
                                    " but contributes no route to this gateway proxy (its hosts "
                                    "match no server host of a matching protocol, or every route "
                                    "is filtered out)"));
    }
  }
  return out;
}

}  // namespace detail

}  // namespace meshc::lower
