// Sidecar outbound listeners, following istio:pilot/pkg/networking/core listener.go
// (buildSidecarOutboundListeners, buildSidecarOutboundListener, conflict handling,
// virtualOutbound). Entry point: SidecarBuilder::buildOutboundListeners().
#include "lower/sidecar_builder.h"

namespace meshc::lower::detail {

void SidecarBuilder::mergeChains(ListenerEntry& current, const std::vector<ChainOpts>& incoming,
                                 const OutboundOpts& opts) {
  for (const ChainOpts& in : incoming) {
    bool conflict = false;
    for (const ChainOpts& existing : current.chains) {
      if (existing.conflictsWith(in)) {
        conflict = true;
        break;
      }
    }
    if (conflict) {
      if (opts.service != nullptr) {
        Diagnostic d;
        d.id = "lower-sidecar-listener-conflict";
        d.severity = Severity::kInfo;
        d.message = "listener " + current.bind + "_" + std::to_string(current.port) +
                    " already has a filter chain with the same match; the chain for " +
                    opts.service->hostname + " is dropped";
        d.loc = opts.service->loc;
        d.resource = ResourceRef{opts.service->isKubernetes() ? "Service" : "ServiceEntry",
                                 opts.service->name_space, opts.service->name};
        note(std::move(d));
      }
      continue;
    }
    current.chains.push_back(in);
  }
}

// buildSidecarOutboundListener: one service port onto the listener map, with Istio's conflict
// rules (HTTP listeners on a port are shared; TCP merges by filter chain match; HTTP and TCP
// on one address:port become a sniffed listener).
void SidecarBuilder::buildListener(OutboundOpts opts,
                                   const std::vector<const IndexedVirtualService*>& vss) {
  if (opts.service->resolution == ServiceResolution::kAlias) {
    return;  // alias services never get listeners
  }
  std::string port_protocol = opts.port.protocol;
  ListenerProtocol lp = listenerProtocolOf(port_protocol);
  switch (lp) {
    case ListenerProtocol::kTcp:
    case ListenerProtocol::kAuto:
      if (opts.bind.empty()) {
        const std::string& address = opts.service_address;
        if (address.find('/') == std::string::npos) {
          opts.bind = address;
        } else {
          opts.bind = std::string(kWildcardBind);  // a CIDR: 0.0.0.0 plus a prefix match
          opts.cidr = {address};
        }
      }
      break;
    case ListenerProtocol::kHttp:
      if (opts.bind.empty()) {
        opts.bind = std::string(kWildcardBind);
      }
      break;
    case ListenerProtocol::kUnknown:
      break;
  }
  if (lp == ListenerProtocol::kUnknown && port_protocol != "HTTP_PROXY") {
    return;  // UDP
  }
  std::pair<std::string, uint32_t> key{opts.bind, opts.port.number};
  ListenerEntry* current = nullptr;
  if (auto it = listeners_.find(key); it != listeners_.end()) {
    current = &it->second;
    if (current->locked) {
      return;  // ports claimed by an explicit Sidecar egress listener (5.2)
    }
  }

  enum class Conflict {
    kNone,
    kHttpOverTcp,
    kTcpOverHttp,
    kTcpOverTcp,
    kTcpOverAuto,
    kAutoOverHttp,
    kAutoOverTcp
  };
  Conflict conflict = Conflict::kNone;
  std::vector<ChainOpts> opts_chains;
  std::string listener_protocol = port_protocol;

  if (port_protocol == "HTTP_PROXY") {
    opts_chains = httpChains(opts, lp);
  } else if (lp == ListenerProtocol::kHttp) {
    if (current != nullptr) {
      if (isTcpProtocol(current->protocol)) {
        conflict = Conflict::kHttpOverTcp;
      } else {
        return;  // the shared HTTP listener already exists; vhosts come from RDS
      }
    }
    opts_chains = httpChains(opts, lp);
    if (opts.bind == kWildcardBind) {
      // HTTP inspector + ALPN match; everything else falls through to PassthroughFilterChain,
      // which makes the listener effectively sniffed.
      for (ChainOpts& c : opts_chains) {
        c.application_protocols = {"http/1.1", "h2c"};
        c.transport_protocol = "raw_buffer";
      }
      listener_protocol = "";
    }
  } else if (lp == ListenerProtocol::kTcp) {
    opts_chains = tcpChains(opts, vss);
    if (current != nullptr) {
      if (isHttpProtocol(current->protocol)) {
        conflict = Conflict::kTcpOverHttp;
      } else if (isTcpProtocol(current->protocol)) {
        conflict = Conflict::kTcpOverTcp;
      } else {
        conflict = Conflict::kTcpOverAuto;
      }
    }
  } else {  // kAuto
    bool only_tcp = false;
    if (current != nullptr) {
      if (isHttpProtocol(current->protocol)) {
        conflict = Conflict::kAutoOverHttp;
      } else if (isTcpProtocol(current->protocol)) {
        conflict = Conflict::kAutoOverTcp;
      } else {
        conflict = Conflict::kTcpOverAuto;
        only_tcp = true;
      }
    }
    opts_chains = tcpChains(opts, vss);
    if (!only_tcp) {
      std::vector<ChainOpts> http = httpChains(opts, lp);
      for (ChainOpts& c : http) {
        c.application_protocols = {"http/1.1", "h2c"};
        c.transport_protocol = "raw_buffer";
      }
      opts_chains.insert(opts_chains.end(), http.begin(), http.end());
    }
  }

  // isConflictWithWellKnownPort: MongoDB and MySQL never share a port with another protocol.
  if (current != nullptr && conflict != Conflict::kNone) {
    bool special = port_protocol == "MONGO" || port_protocol == "MYSQL" ||
                   current->protocol == "MONGO" || current->protocol == "MYSQL";
    if (special && port_protocol != current->protocol) {
      return;
    }
  }

  switch (conflict) {
    case Conflict::kNone:
    case Conflict::kAutoOverHttp: {
      ListenerEntry e;
      e.bind = opts.bind;
      e.port = opts.port.number;
      e.protocol = listener_protocol;
      e.chains = std::move(opts_chains);
      if (listeners_.find(key) == listeners_.end()) {
        listener_order_.push_back(key);
      }
      listeners_[key] = std::move(e);
      break;
    }
    case Conflict::kHttpOverTcp:
    case Conflict::kTcpOverHttp:
    case Conflict::kAutoOverTcp:
      mergeChains(*current, opts_chains, opts);
      current->protocol = "";  // upgraded to sniffing
      break;
    case Conflict::kTcpOverTcp:
    case Conflict::kTcpOverAuto:
      mergeChains(*current, opts_chains, opts);
      break;
  }
}

void SidecarBuilder::buildOutboundListeners() {
  for (const EgressListenerScope& ilw : scope_.egressListeners()) {
    const model::IstioEgressListener* l = ilw.listener;
    std::string bind;
    bool bind_to_port = false;
    if (l != nullptr) {
      bind_to_port =
          l->capture_mode == "NONE" || l->capture_mode == "2" || l->bind.rfind("unix://", 0) == 0;
      if (!l->bind.empty()) {
        bind = l->bind;
      } else if (bind_to_port) {
        bind = "127.0.0.1";
      }
    }
    if (l != nullptr && l->port) {
      if (l->port->number == 0 || bind.rfind("unix://", 0) == 0) {
        continue;  // Unix domain socket listeners are not modelled
      }
      PortSpec listen_port{l->port->number, parseProtocolName(l->port->protocol), l->port->name};
      for (const Service& s : ilw.services) {
        std::vector<std::string> addrs = s.addresses;
        if (addrs.empty()) {
          addrs.push_back(std::string(kWildcardBind));
        }
        for (const std::string& a : addrs) {
          OutboundOpts o;
          o.bind = bind;
          o.port = listen_port;
          o.service = &s;
          o.service_address = a;
          buildListener(o, ilw.virtual_services);
        }
      }
      continue;
    }
    // The catch-all egress listener: lock what explicit listeners built (5.2), then one
    // listener per service port.
    for (auto& [k, e] : listeners_) {
      e.locked = true;
    }
    for (const Service& s : ilw.services) {
      std::vector<std::string> addrs = s.addresses;
      if (addrs.empty()) {
        addrs.push_back(std::string(kWildcardBind));
      }
      for (const std::string& a : addrs) {
        for (const ServicePortInfo& p : s.ports) {
          OutboundOpts o;
          o.bind = bind;
          o.port = PortSpec{p.port, p.protocol, p.name};
          o.service = &s;
          o.service_address = a;
          bool tcpish = isTcpProtocol(p.protocol) || p.protocol.empty();
          if (bind.empty() && s.resolution == ServiceResolution::kPassthrough &&
              a == kWildcardBind && tcpish) {
            // Headless services / SE NONE without addresses: one listener per endpoint IP.
            std::vector<Endpoint> instances = in_.registry.endpointsFor(s, p.port);
            if (!s.isKubernetes() && instances.empty() && !s.has_label_selector) {
              buildListener(o, ilw.virtual_services);  // plain 0.0.0.0:<port> listener
              continue;
            }
            for (const Endpoint& ep : instances) {
              if (!isIpLiteral(ep.address) || ep.address == proxy_.ip) {
                continue;
              }
              OutboundOpts per = o;
              per.bind = ep.address;
              buildListener(per, ilw.virtual_services);
            }
            continue;
          }
          buildListener(o, ilw.virtual_services);
        }
      }
    }
  }
}

Listener SidecarBuilder::finalize(const ListenerEntry& e) const {
  Listener l;
  l.name = e.bind + "_" + std::to_string(e.port);
  l.address = e.bind;
  l.port = e.port;
  for (const ChainOpts& c : e.chains) {
    FilterChain fc;
    fc.http = c.http;
    fc.rds_name = c.rds;
    fc.tcp_proxy = c.tcp;
    if (!c.sni_hosts.empty()) {
      l.has_tls_inspector = true;
    }
    if (!c.application_protocols.empty()) {
      l.has_http_inspector = true;
    }
    if (c.isMatchAll()) {
      l.default_filter_chain = std::move(fc);  // the match-all chain is the fallback
    } else {
      fc.match = c.toMatch();
      l.filter_chains.push_back(std::move(fc));
    }
  }
  if (l.default_filter_chain && l.filter_chains.empty()) {
    l.filter_chains.push_back(std::move(*l.default_filter_chain));
    l.default_filter_chain.reset();
  } else if (!l.default_filter_chain) {
    l.default_filter_chain = catchAllChain(std::string(kPassthroughFilterChain));
  }
  return l;
}

// buildVirtualOutboundListener (5.4): connections without a listener for their original
// destination land here.
Listener SidecarBuilder::virtualOutbound() const {
  Listener l;
  l.name = std::string(kVirtualOutboundListener);
  l.address = std::string(kWildcardBind);
  l.port = kVirtualOutboundPort;
  l.use_original_dst = true;
  FilterChain blackhole;
  blackhole.name = std::string(kVirtualOutboundBlackholeChain);
  blackhole.match.destination_port = kVirtualOutboundPort;
  TcpProxy bh;
  bh.cluster = std::string(kBlackHoleCluster);
  blackhole.tcp_proxy = bh;
  l.filter_chains.push_back(std::move(blackhole));
  if (scope_.outboundMode() == OutboundPolicyMode::kAllowAnyDynamicDns) {
    FilterChain http;
    http.name = std::string(kVirtualOutboundCatchAllChain) + "-http";
    http.match.application_protocols = {"http/1.1", "h2c"};
    http.http = true;
    http.rds_name = "allow_any_dynamic_dns";
    l.filter_chains.push_back(std::move(http));
    l.has_http_inspector = true;
  }
  l.filter_chains.push_back(catchAllChain(std::string(kVirtualOutboundCatchAllChain)));
  return l;
}

}  // namespace meshc::lower::detail
