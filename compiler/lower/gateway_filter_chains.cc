// Gateway TCP / TLS filter chains (SEMANTICS 7.3, 9.14): TLS passthrough, AUTO_PASSTHROUGH and
// TCP routes. Entry points: passthroughChains(), autoPassthroughChains(), tcpRouteProxy().
#include "lower/gateway_build.h"

namespace meshc::lower::detail {

// --- TCP / TLS filter chains (7.3, 9.14) ---------------------------------------------------------

// pickMatchingGatewayHosts: `ns/h` needs ns == VS namespace; then symmetric Matches.
bool vsMatchesServerHosts(const model::Server& server, const IndexedVirtualService& vs) {
  for (const std::string& vh : vs.vs.hosts) {
    for (const std::string& gh : server.hosts) {
      std::string_view h = gh;
      size_t slash = gh.find('/');
      if (slash != std::string::npos) {
        if (std::string_view(gh).substr(0, slash) != vs.vs.meta.name_space) {
          continue;
        }
        h = std::string_view(gh).substr(slash + 1);
      }
      if (hostsOverlap(h, vh)) {
        return true;
      }
    }
  }
  return false;
}

FilterChainMatch sniMatch(const std::vector<std::string>& sni_hosts) {
  FilterChainMatch m;
  if (!sni_hosts.empty() && std::find(sni_hosts.begin(), sni_hosts.end(), "*") == sni_hosts.end()) {
    m.server_names = sni_hosts;
    std::stable_sort(m.server_names.begin(), m.server_names.end());
  }
  return m;
}

// buildGatewayNetworkFiltersFromTCPRoutes: the first VS (candidate order) whose hosts match and
// whose first tcp rule passing l4MultiMatch has destinations wins the whole server.
std::optional<TcpProxy> tcpRouteProxy(BuildContext& bc, const MergedServer& ms) {
  const model::Server& server = ms.server;
  for (const IndexedVirtualService* vs :
       bc.inputs.vs_index.candidates(bc.proxy.name_space, ms.gateway_name)) {
    if (!vsMatchesServerHosts(server, *vs)) {
      continue;
    }
    RouteContext ctx = makeRouteContext(bc, ms.gateway_name, server.port.number, false);
    ctx.lookup = [&bc](std::string_view host) { return scopeServiceLookup(bc, host); };
    for (size_t i = 0; i < vs->vs.tcp.size(); ++i) {
      const model::TcpRoute& tcp = vs->vs.tcp[i];
      int32_t matched = -1;
      bool ok = tcp.match.empty();
      for (size_t m = 0; m < tcp.match.size() && !ok; ++m) {
        if (l4MatchApplies(tcp.match[m], ctx, /*gateway_rules=*/true)) {
          ok = true;
          matched = static_cast<int32_t>(m);
        }
      }
      if (!ok || tcp.route.empty()) {
        continue;
      }
      return buildTcpProxy(tcp.route, ctx, makeTcpRouteSource(*vs, i, matched));
    }
  }
  return std::nullopt;
}

void autoPassthroughChains(BuildContext& bc, const MergedServer& ms,
                           std::vector<FilterChain>& chains) {
  for (const Service& svc : bc.scope.services()) {
    if (svc.mesh_external) {
      continue;
    }
    for (const ServicePortInfo& port : svc.ports) {
      if (port.kind == PortProtocolKind::kUdp) {
        continue;
      }
      bool match = false;
      for (const std::string& h : ms.sni_hosts) {
        if (hostIsSubsetOf(svc.hostname, h)) {
          match = true;
          break;
        }
      }
      if (!match) {
        continue;
      }
      auto addChain = [&chains](const std::string& name) {
        FilterChain fc;
        fc.match.server_names = {name};
        for (std::string_view a : kIstioMtlsAlpns) {
          fc.match.application_protocols.emplace_back(a);
        }
        TcpProxy tp;
        tp.cluster = name;
        fc.tcp_proxy = std::move(tp);
        chains.push_back(std::move(fc));
      };
      addChain(dnsSrvClusterName(port.port, "", svc.hostname));
      const ConsolidatedDestinationRule* dr =
          bc.inputs.destination_rules.forProxy(bc.proxy, svc.hostname, svc.name_space);
      if (dr != nullptr) {
        for (const model::Subset& subset : dr->rule.subsets) {
          addChain(dnsSrvClusterName(port.port, subset.name, svc.hostname));
        }
      }
    }
  }
}

// buildGatewayNetworkFiltersFromTLSRoutes for PASSTHROUGH: one chain per VS tls match, SNI from
// sniHosts; a match repeating SNI hosts already used on this port and bind is skipped.
void passthroughChains(BuildContext& bc, const MergedServer& ms, uint32_t listener_port,
                       std::map<uint32_t, std::map<std::string, std::string>>& tls_hosts,
                       std::vector<FilterChain>& chains) {
  const model::Server& server = ms.server;
  for (const IndexedVirtualService* vs :
       bc.inputs.vs_index.candidates(bc.proxy.name_space, ms.gateway_name)) {
    if (!vsMatchesServerHosts(server, *vs)) {
      continue;
    }
    RouteContext ctx = makeRouteContext(bc, ms.gateway_name, server.port.number, false);
    ctx.lookup = [&bc](std::string_view host) { return scopeServiceLookup(bc, host); };
    for (size_t i = 0; i < vs->vs.tls.size(); ++i) {
      const model::TlsRoute& tls = vs->vs.tls[i];
      if (tls.route.empty()) {
        continue;
      }
      for (size_t m = 0; m < tls.match.size(); ++m) {
        const model::TlsMatchAttributes& match = tls.match[m];
        if (!tlsMatchApplies(match, ctx, /*gateway_rules=*/true)) {
          continue;
        }
        std::vector<std::string> dups =
            checkDuplicates(match.sni_hosts, server.bind, tls_hosts[listener_port]);
        if (!dups.empty()) {
          bc.notes.push_back(vsNote("lower-gw-duplicate-sni", *vs, match.loc,
                                    "tls rule " + std::to_string(tls.index) + " match " +
                                        std::to_string(m) + " is skipped on Gateway " +
                                        ms.gateway_name + " port " +
                                        std::to_string(server.port.number) + ": SNI hosts " +
                                        joinList(dups) + " already have a filter chain"));
          continue;
        }
        FilterChain fc;
        fc.match = sniMatch(match.sni_hosts);
        fc.tcp_proxy =
            buildTcpProxy(tls.route, ctx, makeTlsRouteSource(*vs, i, static_cast<int32_t>(m)));
        chains.push_back(std::move(fc));
      }
    }
  }
}

}  // namespace meshc::lower::detail
