// Sidecar outbound filter chain options, following istio:pilot/pkg/networking/core tls.go and
// listener.go (HTTP, TLS and TCP filter chains, the catch-all chain). Entry point:
// SidecarBuilder::tcpChains().
#include "lower/sidecar_builder.h"

namespace meshc::lower::detail {

std::string SidecarBuilder::catchAllCluster() const {
  if (scope_.outboundMode() == OutboundPolicyMode::kRegistryOnly) {
    return std::string(kBlackHoleCluster);
  }
  return scope_.passthroughCluster();
}

FilterChain SidecarBuilder::catchAllChain(std::string name) const {
  FilterChain fc;
  fc.name = std::move(name);
  TcpProxy tp;
  tp.cluster = catchAllCluster();
  fc.tcp_proxy = std::move(tp);
  return fc;
}

RouteContext SidecarBuilder::l4Context(uint32_t port) const {
  RouteContext ctx;
  ctx.proxy_namespace = proxy_.name_space;
  ctx.proxy_labels = proxy_.labels;
  ctx.gateways = {std::string(kMeshGateway)};
  ctx.port = port;
  // TCP/TLS destinations are looked up in the sidecar scope with their full port list (3.8).
  const SidecarScope* scope = &scope_;
  ctx.lookup = [scope](std::string_view host) -> std::optional<DestinationService> {
    const Service* s = scope->serviceForHostname(host);
    if (s == nullptr) {
      return std::nullopt;
    }
    DestinationService ds;
    ds.cluster_host = s->alias_target;
    for (const ServicePortInfo& p : s->ports) {
      ds.ports.push_back(p.port);
    }
    return ds;
  };
  return ctx;
}

// buildSidecarOutboundHTTPListenerOpts: RDS `"<port>"`, or `"<host>:<port>"` for a sniffed port
// with its own (VIP) listener (7.6, 9.11).
std::vector<ChainOpts> SidecarBuilder::httpChains(const OutboundOpts& opts,
                                                  ListenerProtocol lp) const {
  ChainOpts c;
  c.http = true;
  if (lp == ListenerProtocol::kAuto && opts.bind != kWildcardBind && opts.service != nullptr) {
    c.rds = opts.service->hostname + ":" + std::to_string(opts.port.number);
  } else {
    c.rds = std::to_string(opts.port.number);
  }
  return {c};
}

// buildSidecarOutboundTLSFilterChainOpts (7.2).
std::vector<ChainOpts> SidecarBuilder::tlsChainOpts(
    std::vector<std::string> cidrs, const Service& service, const std::string& service_address,
    const std::string& bind, const PortSpec& port,
    const std::vector<const IndexedVirtualService*>& configs) {
  std::vector<ChainOpts> out;
  if (!isTlsProtocol(port.protocol)) {
    return out;
  }
  RouteContext ctx = l4Context(port.number);
  std::set<std::string> handled;
  bool has_tls_match = false;
  for (const IndexedVirtualService* vs : configs) {
    for (size_t ti = 0; ti < vs->vs.tls.size(); ++ti) {
      const model::TlsRoute& tls = vs->vs.tls[ti];
      if (tls.route.empty()) {
        continue;
      }
      for (size_t mi = 0; mi < tls.match.size(); ++mi) {
        const model::TlsMatchAttributes& m = tls.match[mi];
        if (!tlsMatchApplies(m, ctx, false)) {
          continue;
        }
        // Istio overwrites the CIDR list it is iterating with, so a match with subnets also
        // narrows every later match of this listener.
        if (!m.destination_subnets.empty() && port.number > 0) {
          cidrs = m.destination_subnets;
        }
        std::string key;
        for (const std::string& s : m.sni_hosts) {
          key += s + ",";
        }
        key += "|";
        for (const std::string& s : m.destination_subnets) {
          key += s + ",";
        }
        if (handled.insert(key).second) {
          ChainOpts c;
          c.sni_hosts = m.sni_hosts;
          c.destination_cidrs = cidrs;
          c.tcp =
              buildTcpProxy(tls.route, ctx, makeTlsRouteSource(*vs, ti, static_cast<int32_t>(mi)));
          out.push_back(std::move(c));
          has_tls_match = true;
          used_vs_.insert(vs->ref());
        }
      }
    }
  }
  if (has_tls_match) {
    return out;
  }
  uint32_t cluster_port = service.ports.size() == 1 ? service.ports[0].port : port.number;
  // GetAddressForProxy; a CIDR address counts as no address.
  std::string address = service_address.find('/') == std::string::npos ? service_address : "";
  ChainOpts c;
  // SNI is matched on the hostname only when the destination IP cannot tell services apart.
  bool need_sni = !cidrs.empty() || address.empty() ||
                  (address == kWildcardBind && bind == kWildcardBind) ||
                  (service.isWildcard() && service.resolution == ServiceResolution::kDynamicDns);
  if (need_sni) {
    c.sni_hosts.push_back(service.hostname);
    std::string domain = proxy_.name_space + ".svc." + in_.registry.domainSuffix();
    for (const std::string& a : service.aliases) {
      c.sni_hosts.push_back(a);
      for (std::string& alt : altHosts(a, domain)) {
        c.sni_hosts.push_back(std::move(alt));
      }
    }
  }
  c.destination_cidrs = cidrs;
  TcpProxy tp;
  tp.cluster = outboundClusterName(cluster_port, "", service.hostname);
  c.tcp = std::move(tp);
  out.push_back(std::move(c));
  return out;
}

// buildSidecarOutboundTCPFilterChainOpts (7.1).
std::vector<ChainOpts> SidecarBuilder::tcpChainOpts(
    std::vector<std::string> cidrs, const Service& service, const PortSpec& port,
    const std::vector<const IndexedVirtualService*>& configs) {
  std::vector<ChainOpts> out;
  if (isTlsProtocol(port.protocol)) {
    return out;
  }
  RouteContext ctx = l4Context(port.number);
  bool default_added = false;
  for (const IndexedVirtualService* vs : configs) {
    for (size_t ti = 0; ti < vs->vs.tcp.size() && !default_added; ++ti) {
      const model::TcpRoute& tcp = vs->vs.tcp[ti];
      if (tcp.route.empty()) {
        continue;
      }
      if (tcp.match.empty()) {
        ChainOpts c;
        c.destination_cidrs = cidrs;
        c.tcp = buildTcpProxy(tcp.route, ctx, makeTcpRouteSource(*vs, ti, -1));
        out.push_back(std::move(c));
        used_vs_.insert(vs->ref());
        default_added = true;
        break;
      }
      std::vector<std::string> vs_subnets;
      int32_t first_subnet_match = -1;
      for (size_t mi = 0; mi < tcp.match.size(); ++mi) {
        const model::L4MatchAttributes& m = tcp.match[mi];
        if (!l4MatchApplies(m, ctx, false)) {
          continue;
        }
        if (m.destination_subnets.empty() || port.number == 0) {
          ChainOpts c;
          c.destination_cidrs = cidrs;
          c.tcp =
              buildTcpProxy(tcp.route, ctx, makeTcpRouteSource(*vs, ti, static_cast<int32_t>(mi)));
          out.push_back(std::move(c));
          used_vs_.insert(vs->ref());
          default_added = true;
          break;
        }
        if (first_subnet_match < 0) {
          first_subnet_match = static_cast<int32_t>(mi);
        }
        vs_subnets.insert(vs_subnets.end(), m.destination_subnets.begin(),
                          m.destination_subnets.end());
      }
      if (default_added) {
        break;
      }
      if (!vs_subnets.empty()) {
        ChainOpts c;
        c.destination_cidrs = vs_subnets;
        c.tcp = buildTcpProxy(tcp.route, ctx, makeTcpRouteSource(*vs, ti, first_subnet_match));
        out.push_back(std::move(c));
        used_vs_.insert(vs->ref());
        std::sort(vs_subnets.begin(), vs_subnets.end());
        std::sort(cidrs.begin(), cidrs.end());
        if (vs_subnets == cidrs) {
          default_added = true;  // the subnet chain already covers the service's own CIDR
        }
      }
    }
    if (default_added) {
      break;
    }
  }
  if (!default_added) {
    uint32_t cluster_port = service.ports.size() == 1 ? service.ports[0].port : port.number;
    ChainOpts c;
    c.destination_cidrs = cidrs;
    TcpProxy tp;
    tp.cluster = outboundClusterName(cluster_port, "", service.hostname);
    c.tcp = std::move(tp);
    out.push_back(std::move(c));
  }
  return out;
}

// buildSidecarOutboundTCPListenerOpts: the VSs whose hosts overlap the service host, TLS chains
// then TCP chains.
std::vector<ChainOpts> SidecarBuilder::tcpChains(
    const OutboundOpts& opts, const std::vector<const IndexedVirtualService*>& vss) {
  std::vector<const IndexedVirtualService*> configs;
  for (const IndexedVirtualService* vs : vss) {
    for (const std::string& h : vs->vs.hosts) {
      if (hostsOverlap(h, opts.service->hostname)) {
        configs.push_back(vs);
        break;
      }
    }
  }
  std::vector<ChainOpts> out =
      tlsChainOpts(opts.cidr, *opts.service, opts.service_address, opts.bind, opts.port, configs);
  std::vector<ChainOpts> tcp = tcpChainOpts(opts.cidr, *opts.service, opts.port, configs);
  out.insert(out.end(), tcp.begin(), tcp.end());
  return out;
}

}  // namespace meshc::lower::detail
