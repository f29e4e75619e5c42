// Sidecar outbound configuration, following istio:pilot/pkg/networking/core listener.go
// (buildSidecarOutboundListeners, buildSidecarOutboundListener, conflict handling), tls.go (TLS
// and TCP filter chains), httproute.go (BuildSidecarOutboundVirtualHosts, domains, catch-all)
// and route/route.go (BuildSidecarVirtualHostWrapper). Entry point: buildSidecarConfig().
#include "lower/sidecar_config.h"

#include <algorithm>
#include <map>
#include <set>

#include "base/ascii.h"
#include "frontend/istio/protocol.h"
#include "lower/names.h"
#include "lower/route_translation.h"

namespace meshc::lower {
namespace {

constexpr std::string_view kWildcardBind = "0.0.0.0";

// --- Protocol classes (protocol.Instance IsHTTP / IsTCP / IsTLS; "" = Unsupported) ----------

using istio::isHttpProtocol;
using istio::isTcpProtocol;
using istio::isTlsProtocol;
bool isHttpOrSniffed(std::string_view p) { return isHttpProtocol(p) || p.empty(); }

enum class ListenerProtocol { kHttp, kTcp, kAuto, kUnknown };

ListenerProtocol listenerProtocolOf(std::string_view p) {
  if (isHttpProtocol(p)) {
    return ListenerProtocol::kHttp;
  }
  if (isTcpProtocol(p)) {
    return ListenerProtocol::kTcp;
  }
  if (p.empty()) {
    return ListenerProtocol::kAuto;
  }
  return ListenerProtocol::kUnknown;  // UDP: no outbound listener
}

// --- Small address helpers ----------------------------------------------------------------------

std::string formatIpv4(uint32_t v) {
  return std::to_string((v >> 24) & 0xff) + "." + std::to_string((v >> 16) & 0xff) + "." +
         std::to_string((v >> 8) & 0xff) + "." + std::to_string(v & 0xff);
}

// ConvertAddressToCidr: an IP becomes a full-length prefix; "" when the address is 0.0.0.0 or
// unparsable (Istio drops those from prefix_ranges).
std::string toCidr(std::string_view address, bool masked) {
  size_t slash = address.find('/');
  std::string_view ip = address.substr(0, slash);
  uint32_t bits = 0;
  if (slash == std::string_view::npos) {
    bits = parseIpv4Address(ip) ? 32 : 128;
  } else {
    for (char c : address.substr(slash + 1)) {
      if (c < '0' || c > '9' || bits > 128) {
        return "";
      }
      bits = bits * 10 + static_cast<uint32_t>(c - '0');
    }
  }
  if (!isIpLiteral(ip) || ip == "0.0.0.0" || ip == "::") {
    return "";
  }
  std::string addr(ip);
  if (masked) {
    if (std::optional<uint32_t> v = parseIpv4Address(ip); v && bits <= 32) {
      uint32_t mask = bits == 0 ? 0 : (~0u << (32 - bits));
      addr = formatIpv4(*v & mask);
    }
  }
  return addr + "/" + std::to_string(bits);
}

std::string ipv6Compliant(std::string_view host) {
  if (host.find(':') != std::string_view::npos) {
    return "[" + std::string(host) + "]";
  }
  return std::string(host);
}

std::string domainName(std::string_view host, uint32_t port) {
  return ipv6Compliant(host) + ":" + std::to_string(port);
}

// --- Filter chain options (listener.go filterChainOpts) -----------------------------------------

struct ChainOpts {
  std::vector<std::string> sni_hosts;
  std::vector<std::string> destination_cidrs;
  std::vector<std::string> application_protocols;
  std::string transport_protocol;
  bool http = false;
  std::string rds;
  std::optional<TcpProxy> tcp;

  bool isMatchAll() const {
    bool sni_all =
        sni_hosts.empty() || std::find(sni_hosts.begin(), sni_hosts.end(), "*") != sni_hosts.end();
    return sni_all && application_protocols.empty() && transport_protocol.empty() &&
           destination_cidrs.empty();
  }

  bool conflictsWith(const ChainOpts& other) const {
    if (transport_protocol != other.transport_protocol ||
        application_protocols != other.application_protocols) {
      return false;
    }
    auto sniSet = [](const std::vector<std::string>& v) {
      std::set<std::string> out;
      for (const std::string& s : v) {
        if (s != "*") {
          out.insert(s);
        }
      }
      return out;
    };
    if (sniSet(sni_hosts) != sniSet(other.sni_hosts)) {
      return false;
    }
    auto cidrSet = [](const std::vector<std::string>& v) {
      std::set<std::string> out;
      for (const std::string& s : v) {
        std::string c = toCidr(s, true);
        if (!c.empty()) {
          out.insert(c);
        }
      }
      return out;
    };
    return cidrSet(destination_cidrs) == cidrSet(other.destination_cidrs);
  }

  FilterChainMatch toMatch() const {
    FilterChainMatch m;
    m.application_protocols = application_protocols;
    m.transport_protocol = transport_protocol;
    if (!sni_hosts.empty() &&
        std::find(sni_hosts.begin(), sni_hosts.end(), "*") == sni_hosts.end()) {
      m.server_names = sni_hosts;
      std::stable_sort(m.server_names.begin(), m.server_names.end());
    }
    std::vector<std::string> cidrs = destination_cidrs;
    std::stable_sort(cidrs.begin(), cidrs.end());
    for (const std::string& d : cidrs) {
      std::string c = toCidr(d, false);
      if (!c.empty()) {
        m.prefix_ranges.push_back(c);
      }
    }
    return m;
  }
};

struct ListenerEntry {
  std::string bind;
  uint32_t port = 0;
  std::string protocol;  // the listener's protocol; "" = sniffed (HTTP and TCP chains)
  bool locked = false;
  std::vector<ChainOpts> chains;
};

struct PortSpec {
  uint32_t number = 0;
  std::string protocol;
  std::string name;
};

struct OutboundOpts {
  std::string bind;               // "" = decide from the service address
  std::vector<std::string> cidr;  // destination CIDRs for TCP chains
  PortSpec port;
  const Service* service = nullptr;
  std::string service_address;  // the VIP this listener is for ("0.0.0.0" when none)
};

struct VirtualHostWrapper {
  uint32_t port = 0;
  std::vector<const Service*> services;
  std::vector<std::string> vs_hosts;  // non-registry hosts of the VS
  std::vector<Route> routes;
  std::string vs_ref;  // "" for default (VS-less) service vhosts
  SourceLoc vs_loc;
};

Diagnostic makeNote(std::string id, std::string message, const std::string& vs_ref, SourceLoc loc) {
  Diagnostic d;
  d.id = std::move(id);
  d.severity = Severity::kInfo;
  d.message = std::move(message);
  d.loc = loc;
  size_t slash = vs_ref.find('/');
  if (slash != std::string::npos) {
    d.resource = ResourceRef{"VirtualService", vs_ref.substr(0, slash), vs_ref.substr(slash + 1)};
  }
  return d;
}

// GenerateAltVirtualHosts with ports ignored and a Kubernetes proxy DNS domain
// (`<ns>.svc.<suffix>`): the absolute FQDN, then the Kubernetes short forms.
std::vector<std::string> altHosts(std::string_view hostname, std::string_view proxy_domain) {
  std::vector<std::string> out;
  if (!isIpLiteral(hostname)) {
    out.push_back(std::string(hostname) + ".");
  }
  size_t svc_in_domain = proxy_domain.find(".svc.");
  if (svc_in_domain == std::string_view::npos) {
    return out;  // not a Kubernetes-style domain (never the case for meshc's proxies)
  }
  std::string_view shared = proxy_domain.substr(svc_in_domain);  // ".svc.<suffix>"
  if (hostname.size() < shared.size() ||
      hostname.substr(hostname.size() - shared.size()) != shared) {
    return out;
  }
  std::string_view before = proxy_domain.substr(0, svc_in_domain);
  size_t ih = hostname.find(".svc.");
  if (ih == std::string_view::npos || ih == 0) {
    return out;
  }
  size_t ns = hostname.find('.');
  if (ns + 1 >= hostname.size() || ns + 1 > ih) {
    return out;
  }
  std::string name(hostname.substr(0, ns));
  std::string name_ns(hostname.substr(0, ih));
  if (hostname.substr(ns + 1, ih - ns - 1) == before) {
    out.push_back(name);
    out.push_back(name_ns + ".svc");
    out.push_back(name_ns);
  } else {
    out.push_back(name_ns);
    out.push_back(name_ns + ".svc");
  }
  return out;
}

class SidecarBuilder {
 public:
  SidecarBuilder(const SidecarInputs& in, const ProxyIdentity& proxy)
      : in_(in),
        proxy_(proxy),
        scope_(SidecarScope::build(in.config, in.registry, in.vs_index, proxy)) {}

  LoweredProxy build();

  RouteConfiguration routeConfig(std::string_view route_name);
  std::vector<Diagnostic> takeNotes() { return std::move(notes_); }
  const SidecarScope& scope() const { return scope_; }
  void setScope(const SidecarScope& scope) { scope_ = scope; }

 private:
  // Listeners.
  void buildOutboundListeners();
  void buildListener(OutboundOpts opts, const std::vector<const IndexedVirtualService*>& vss);
  std::vector<ChainOpts> httpChains(const OutboundOpts& opts, ListenerProtocol lp) const;
  std::vector<ChainOpts> tcpChains(const OutboundOpts& opts,
                                   const std::vector<const IndexedVirtualService*>& vss);
  std::vector<ChainOpts> tlsChainOpts(std::vector<std::string> cidrs, const Service& service,
                                      const std::string& service_address, const std::string& bind,
                                      const PortSpec& port,
                                      const std::vector<const IndexedVirtualService*>& configs);
  std::vector<ChainOpts> tcpChainOpts(std::vector<std::string> cidrs, const Service& service,
                                      const PortSpec& port,
                                      const std::vector<const IndexedVirtualService*>& configs);
  void mergeChains(ListenerEntry& current, const std::vector<ChainOpts>& incoming,
                   const OutboundOpts& opts);
  Listener finalize(const ListenerEntry& e) const;
  Listener virtualOutbound() const;
  FilterChain catchAllChain(std::string name) const;
  std::string catchAllCluster() const;
  RouteContext l4Context(uint32_t port) const;

  // Routes.
  std::vector<VirtualHost> outboundVirtualHosts(uint32_t listener_port);
  VirtualHost catchAllVirtualHost() const;
  Route defaultRoute(const Service& svc, uint32_t port) const;

  void note(Diagnostic d) {
    std::string key = d.id + "|" + d.message;
    if (note_keys_.insert(key).second) {
      notes_.push_back(std::move(d));
    }
  }

  const SidecarInputs& in_;
  const ProxyIdentity& proxy_;
  SidecarScope scope_;
  std::map<std::pair<std::string, uint32_t>, ListenerEntry> listeners_;
  std::vector<std::pair<std::string, uint32_t>> listener_order_;
  std::vector<Diagnostic> notes_;
  std::set<std::string> note_keys_;
  std::set<std::string> used_vs_;      // VSs that produced a vhost or a TCP/TLS chain
  std::set<std::string> shadowed_vs_;  // VSs that lost a host to an older one (already noted)
};

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

// --- Routes ------------------------------------------------------------------------------------

Route SidecarBuilder::defaultRoute(const Service& svc, uint32_t port) const {
  // BuildDefaultHTTPOutboundRoute (3.7): prefix `/`, no timeout, the default retry policy.
  Route r;
  r.name = "default";
  r.match.path = PathMatcher{PathMatcher::Kind::kPrefix, "/"};
  r.action = Route::ActionKind::kRoute;
  r.route.cluster = outboundClusterName(port, "", svc.hostname);
  r.route.timeout_ns = 0;
  r.route.retry_policy = convertRetryPolicy(std::nullopt, false);
  const ConsolidatedDestinationRule* dr =
      in_.destination_rules.forProxy(proxy_, svc.hostname, svc.name_space);
  if (std::optional<model::ConsistentHash> h = consistentHashForServicePort(dr, port)) {
    if (std::optional<HashPolicy> hp = toHashPolicy(*h)) {
      r.route.hash_policy.push_back(*hp);
    }
  }
  return r;
}

// buildCatchAllVirtualHost (2.5, 5.4).
VirtualHost SidecarBuilder::catchAllVirtualHost() const {
  VirtualHost vh;
  vh.domains = {"*"};
  Route r;
  r.match.path = PathMatcher{PathMatcher::Kind::kPrefix, "/"};
  switch (scope_.outboundMode()) {
    case OutboundPolicyMode::kAllowAnyDynamicDns:
      vh.name = "allow_any_dynamic_dns";
      r.name = vh.name;
      r.route.cluster = std::string(kAllowAnyDynamicDnsCluster);
      break;
    case OutboundPolicyMode::kAllowAny:
      vh.name = "allow_any";
      r.name = vh.name;
      r.route.cluster = scope_.passthroughCluster();
      break;
    case OutboundPolicyMode::kRegistryOnly:
      vh.name = "block_all";
      r.name = vh.name;
      r.action = Route::ActionKind::kDirectResponse;
      r.direct_response.status = 502;  // not BlackHoleCluster (9.8)
      break;
  }
  vh.routes.push_back(std::move(r));
  return vh;
}

// BuildSidecarOutboundVirtualHosts + BuildSidecarVirtualHostWrapper for one listener port.
std::vector<VirtualHost> SidecarBuilder::outboundVirtualHosts(uint32_t listener_port) {
  std::vector<VirtualHost> out;
  const EgressListenerScope* ilw = scope_.egressListenerForRds(listener_port);
  if (ilw == nullptr || listener_port == 0) {
    return out;
  }
  if (ilw->listener != nullptr && ilw->listener->port &&
      parseProtocolName(ilw->listener->port->protocol) == "HTTP_PROXY") {
    return out;  // HTTP_PROXY egress ports (a generic forward proxy) are not modelled
  }
  // Only services exposing the listener port, trimmed to it (this is why an unqualified
  // destination gets the listener port, 3.8 / 9.2).
  std::map<std::string, Service, std::less<>> by_name;
  for (const Service& s : ilw->services) {
    const ServicePortInfo* p = s.findPort(listener_port);
    if (p == nullptr) {
      continue;
    }
    Service t = s;
    t.hostname = ascii::toLower(s.hostname);
    t.ports = {*p};
    by_name[t.hostname] = std::move(t);
  }

  // selectVirtualServices: except on port 80, a VS must name a service on this port (9.10).
  std::vector<const IndexedVirtualService*> vss;
  for (const IndexedVirtualService* vs : ilw->virtual_services) {
    if (listener_port == 80) {
      vss.push_back(vs);
      continue;
    }
    bool match = false;
    for (const std::string& h0 : vs->vs.hosts) {
      std::string h = ascii::toLower(h0);
      if (by_name.count(h) != 0) {
        match = true;
        break;
      }
      for (const auto& [svc_host, svc] : by_name) {
        if ((isWildcardHost(h) || isWildcardHost(svc_host)) && hostsOverlap(h, svc_host)) {
          match = true;
          break;
        }
      }
      if (match) {
        break;
      }
    }
    if (match) {
      vss.push_back(vs);
    }
  }

  RouteContext ctx;
  ctx.proxy_namespace = proxy_.name_space;
  ctx.proxy_labels = proxy_.labels;
  ctx.gateways = {std::string(kMeshGateway)};
  ctx.port = listener_port;
  ctx.tls = false;
  ctx.lookup = [&by_name](std::string_view host) -> std::optional<DestinationService> {
    auto it = by_name.find(host);
    if (it == by_name.end()) {
      return std::nullopt;
    }
    DestinationService ds;
    ds.cluster_host = it->second.alias_target;
    for (const ServicePortInfo& p : it->second.ports) {
      ds.ports.push_back(p.port);
    }
    return ds;
  };
  const SidecarScope* scope = &scope_;
  const DestinationRuleIndex* drs = &in_.destination_rules;
  const ProxyIdentity* proxy = &proxy_;
  ctx.hash = [scope, drs,
              proxy](const model::Destination& d) -> std::optional<model::ConsistentHash> {
    // HashForHTTPDestination: the scope's DR for the destination host (services of the scope).
    const Service* s = scope->serviceForHostname(d.host);
    if (s == nullptr) {
      return std::nullopt;
    }
    return consistentHashForDestination(drs->forProxy(*proxy, d.host, s->name_space), d);
  };

  std::vector<VirtualHostWrapper> wrappers;
  std::set<std::string> claimed;
  for (const IndexedVirtualService* vs : vss) {
    std::vector<Route> routes = buildHttpRoutesForVirtualService(*vs, ctx);
    if (routes.empty()) {
      continue;  // no usable routes here: its services keep their default routes (4.3)
    }
    // separateVSHostsAndServices: registry hosts become service vhosts (all name variants);
    // a wildcard host attaches only the services it is the most specific VS host for.
    std::vector<std::string> hosts;
    std::vector<const Service*> services;
    std::vector<std::string> wildcards;
    for (const std::string& h0 : vs->vs.hosts) {
      std::string h = ascii::toLower(h0);
      if (isWildcardHost(h)) {
        wildcards.push_back(h);
        continue;
      }
      if (auto it = by_name.find(h); it != by_name.end()) {
        services.push_back(&it->second);
      } else {
        hosts.push_back(h0);
      }
    }
    for (const std::string& h : wildcards) {
      bool found = false;
      for (const auto& [svc_host, svc] : by_name) {
        if (!hostsOverlap(svc_host, h)) {
          continue;
        }
        found = true;
        auto idx = ilw->most_specific_vs.find(svc_host);
        if (idx == ilw->most_specific_vs.end() || idx->second != vs->ref()) {
          continue;
        }
        services.push_back(&svc);
      }
      if (!found) {
        hosts.push_back(h);
      }
    }
    bool any_http_port = false;
    for (const Service* s : services) {
      if (isHttpOrSniffed(s->ports[0].protocol)) {
        any_http_port = true;
      }
    }
    VirtualHostWrapper w;
    w.vs_ref = vs->ref();
    w.vs_loc = vs->vs.meta.loc;
    w.vs_hosts = hosts;
    w.routes = std::move(routes);
    if (any_http_port) {
      w.port = listener_port;
      for (const Service* s : services) {
        if (isHttpOrSniffed(s->ports[0].protocol)) {
          w.services.push_back(s);
        }
      }
    } else if (listener_port == 80) {
      w.port = 80;  // Istio's "port 80 hack": non-registry hosts still get a vhost (9.10)
    } else {
      if (!hosts.empty()) {
        note(makeNote("lower-sidecar-vs-host-ignored",
                      "VirtualService " + vs->ref() + " host " + hosts.front() +
                          " matches no service on port " + std::to_string(listener_port) +
                          "; sidecars give non-registry hosts routes only on port 80",
                      vs->ref(), vs->vs.meta.loc));
      }
      continue;
    }
    for (const Service* s : w.services) {
      claimed.insert(s->hostname);
    }
    wrappers.push_back(std::move(w));
  }
  // Services no VS claimed get the implicit default route (3.7); aliases never get their own.
  for (const auto& [host, svc] : by_name) {
    if (claimed.count(host) != 0 || svc.resolution == ServiceResolution::kAlias) {
      continue;
    }
    const ServicePortInfo& p = svc.ports[0];
    if (!isHttpOrSniffed(p.protocol)) {
      continue;
    }
    VirtualHostWrapper w;
    w.port = p.port;
    w.services = {&svc};
    w.routes = {defaultRoute(svc, p.port)};
    wrappers.push_back(std::move(w));
  }

  // Virtual hosts: the first vhost of a name wins; domains already used are removed (2.5).
  std::set<std::string> known_fqdn;
  for (const VirtualHostWrapper& w : wrappers) {
    for (const Service* s : w.services) {
      known_fqdn.insert(domainName(s->hostname, w.port));
      known_fqdn.insert(s->hostname);
    }
  }
  std::map<std::string, std::string> vhost_owner;  // vhost name → "VirtualService ns/name" etc.
  std::set<std::string> used_domains;
  std::string proxy_domain = proxy_.name_space + ".svc." + in_.registry.domainSuffix();
  auto build = [&](const std::string& hostname, const VirtualHostWrapper& w,
                   const Service* svc) -> std::optional<VirtualHost> {
    std::string name = domainName(hostname, w.port);
    std::string owner =
        w.vs_ref.empty() ? "the default route of " + hostname : "VirtualService " + w.vs_ref;
    if (auto it = vhost_owner.find(name); it != vhost_owner.end()) {
      if (!w.vs_ref.empty()) {
        shadowed_vs_.insert(w.vs_ref);
        note(makeNote("lower-sidecar-vs-shadowed",
                      "VirtualService " + w.vs_ref + " is ignored for host " + hostname +
                          " on port " + std::to_string(w.port) + ": " + it->second +
                          " already owns it (sidecars never merge VirtualServices; the first "
                          "in private, exported, public and creation order wins)",
                      w.vs_ref, w.vs_loc));
      }
      return std::nullopt;
    }
    vhost_owner[name] = owner;
    std::vector<std::string> domains;
    std::vector<std::string> alt_all;
    if (svc == nullptr) {
      domains.push_back(ipv6Compliant(hostname));
    } else {
      // generateVirtualHostDomains with ports ignored (listener port != 0).
      std::vector<std::string> all = {svc->hostname};
      all.insert(all.end(), svc->aliases.begin(), svc->aliases.end());
      for (const std::string& s : all) {
        std::vector<std::string> alts = altHosts(s, proxy_domain);
        domains.push_back(ipv6Compliant(s));
        domains.insert(domains.end(), alts.begin(), alts.end());
        alt_all.insert(alt_all.end(), alts.begin(), alts.end());
      }
      if (svc->headless && svc->isKubernetes()) {
        size_t n = domains.size();
        for (size_t i = 0; i < n; ++i) {
          domains.push_back("*." + domains[i]);
        }
      }
      for (const std::string& a : svc->addresses) {
        if (!a.empty() && a != kWildcardBind) {
          domains.push_back(ipv6Compliant(a));
        }
      }
    }
    // dedupeDomains.
    std::vector<std::string> kept;
    for (const std::string& d : domains) {
      std::string ld = ascii::toLower(d);
      if (used_domains.count(ld) != 0) {
        continue;
      }
      if (std::find(alt_all.begin(), alt_all.end(), d) != alt_all.end() &&
          known_fqdn.count(d) != 0) {
        continue;  // an expanded short name that is itself a real hostname
      }
      kept.push_back(d);
      used_domains.insert(ld);
    }
    if (kept.empty()) {
      return std::nullopt;
    }
    VirtualHost vh;
    vh.name = name;
    vh.domains = std::move(kept);
    vh.routes = w.routes;
    return vh;
  };
  for (const VirtualHostWrapper& w : wrappers) {
    if (w.routes.empty() || w.port != listener_port) {
      continue;
    }
    for (const std::string& h : w.vs_hosts) {
      if (std::optional<VirtualHost> vh = build(ascii::toLower(h), w, nullptr)) {
        if (!w.vs_ref.empty()) {
          used_vs_.insert(w.vs_ref);
        }
        out.push_back(std::move(*vh));
      }
    }
    for (const Service* s : w.services) {
      if (std::optional<VirtualHost> vh = build(s->hostname, w, s)) {
        if (!w.vs_ref.empty()) {
          used_vs_.insert(w.vs_ref);
        }
        out.push_back(std::move(*vh));
      }
    }
  }
  return out;
}

RouteConfiguration SidecarBuilder::routeConfig(std::string_view route_name) {
  RouteConfiguration rc;
  rc.name = std::string(route_name);
  rc.ignore_port_in_host_matching = true;
  if (route_name == "allow_any_dynamic_dns") {
    rc.virtual_hosts.push_back(catchAllVirtualHost());
    return rc;
  }
  // extractListenerPort: `<port>` or `<host>:<port>` (sniffed, 9.11).
  size_t colon = route_name.find(':');
  std::string_view port_text =
      colon == std::string_view::npos ? route_name : route_name.substr(colon + 1);
  uint32_t port = 0;
  if (port_text.empty() || port_text.size() > 5) {
    return rc;
  }
  for (char c : port_text) {
    if (c < '0' || c > '9') {
      return rc;
    }
    port = port * 10 + static_cast<uint32_t>(c - '0');
  }
  bool sniffing = colon != std::string_view::npos;
  std::vector<VirtualHost> vhosts = outboundVirtualHosts(port);
  if (sniffing) {
    // getVirtualHostsForSniffedServicePort: only this service's vhost, with domain `*`.
    std::string_view host = route_name.substr(0, colon);
    std::vector<VirtualHost> picked;
    for (VirtualHost& vh : vhosts) {
      for (const std::string& d : vh.domains) {
        if (d == route_name || d == host) {
          picked.push_back(std::move(vh));
          break;
        }
      }
    }
    if (picked.size() == 1) {
      picked[0].domains = {"*"};
    }
    vhosts = std::move(picked);
  }
  std::stable_sort(vhosts.begin(), vhosts.end(),
                   [](const VirtualHost& a, const VirtualHost& b) { return a.name < b.name; });
  if (!sniffing) {
    vhosts.push_back(catchAllVirtualHost());
  }
  rc.virtual_hosts = std::move(vhosts);
  return rc;
}

LoweredProxy SidecarBuilder::build() {
  ProxyConfig pc;
  pc.proxy = proxy_;
  pc.proxy.kind = ProxyIdentity::Kind::kSidecar;

  buildOutboundListeners();
  for (const auto& key : listener_order_) {
    pc.listeners.push_back(finalize(listeners_.at(key)));
  }
  std::sort(pc.listeners.begin(), pc.listeners.end(), [](const Listener& a, const Listener& b) {
    if (a.port != b.port) {
      return a.port < b.port;
    }
    return a.name < b.name;
  });
  pc.listeners.push_back(virtualOutbound());

  // RDS: every route configuration a listener refers to, once.
  std::set<std::string> seen;
  for (const Listener& l : pc.listeners) {
    for (const FilterChain& fc : l.filter_chains) {
      if (fc.http && !fc.rds_name.empty() && seen.insert(fc.rds_name).second) {
        pc.route_configs.push_back(routeConfig(fc.rds_name));
      }
    }
  }

  // CDS: the scope's services (incl. VS-only destinations) and the fixed clusters.
  std::map<std::string, Cluster> clusters;
  for (const Service& s : scope_.services()) {
    const ConsolidatedDestinationRule* dr =
        in_.destination_rules.forProxy(proxy_, s.hostname, s.name_space);
    for (Cluster& c : buildServiceClusters(in_.registry, s, dr)) {
      clusters.emplace(c.name, std::move(c));
    }
  }
  Cluster passthrough;
  passthrough.name = std::string(kPassthroughCluster);
  passthrough.type = Cluster::DiscoveryType::kOriginalDst;
  passthrough.lb_policy = "CLUSTER_PROVIDED";
  clusters.emplace(passthrough.name, passthrough);
  Cluster blackhole;
  blackhole.name = std::string(kBlackHoleCluster);
  blackhole.type = Cluster::DiscoveryType::kStatic;
  blackhole.lb_policy = "ROUND_ROBIN";
  clusters.emplace(blackhole.name, blackhole);
  if (scope_.outboundMode() == OutboundPolicyMode::kAllowAnyDynamicDns) {
    Cluster dfp;
    dfp.name = std::string(kAllowAnyDynamicDnsCluster);
    dfp.type = Cluster::DiscoveryType::kNone;
    dfp.lb_policy = "CLUSTER_PROVIDED";
    clusters.emplace(dfp.name, dfp);
  }
  for (auto& [name, c] : clusters) {
    pc.clusters.push_back(std::move(c));
  }

  // A mesh VS that the scope imports but that yields nothing for this proxy is worth a note.
  std::set<std::string> imported;
  for (const EgressListenerScope& ilw : scope_.egressListeners()) {
    for (const IndexedVirtualService* vs : ilw.virtual_services) {
      if (used_vs_.count(vs->ref()) == 0 && shadowed_vs_.count(vs->ref()) == 0 &&
          imported.insert(vs->ref()).second) {
        note(makeNote("lower-sidecar-vs-unused",
                      "VirtualService " + vs->ref() +
                          " contributes no route to sidecar proxies in "
                          "namespace " +
                          proxy_.name_space +
                          ": its hosts match no service port it could route, or an older "
                          "VirtualService owns them",
                      vs->ref(), vs->vs.meta.loc));
      }
    }
  }
  // Delegation problems of the VirtualServices this sidecar imports.
  std::set<std::string> in_scope;
  for (const EgressListenerScope& ilw : scope_.egressListeners()) {
    for (const IndexedVirtualService* vs : ilw.virtual_services) {
      in_scope.insert(vs->ref());
    }
  }
  for (const Diagnostic& d : in_.vs_index.notes()) {
    if (in_scope.count(d.resource.name_space + "/" + d.resource.name) != 0) {
      note(d);
    }
  }
  return LoweredProxy{std::move(pc), std::move(notes_)};
}

}  // namespace

SidecarInputs::SidecarInputs(const model::ConfigSet& c)
    : config(c), registry(ServiceRegistry::build(c)), vs_index(c), destination_rules(c) {}

LoweredProxy buildSidecarConfig(const SidecarInputs& inputs, const ProxyIdentity& proxy) {
  SidecarBuilder b(inputs, proxy);
  return b.build();
}

LoweredProxy buildSidecarConfig(const model::ConfigSet& config, const ProxyIdentity& proxy) {
  SidecarInputs inputs(config);
  return buildSidecarConfig(inputs, proxy);
}

RouteConfiguration buildSidecarRouteConfig(const SidecarInputs& inputs, const SidecarScope& scope,
                                           const ProxyIdentity& proxy, std::string_view route_name,
                                           std::vector<Diagnostic>* notes) {
  SidecarBuilder b(inputs, proxy);
  b.setScope(scope);
  RouteConfiguration rc = b.routeConfig(route_name);
  if (notes != nullptr) {
    for (Diagnostic& d : b.takeNotes()) {
      notes->push_back(std::move(d));
    }
  }
  return rc;
}

std::vector<std::string> altVirtualHosts(std::string_view hostname,
                                         std::string_view proxy_namespace,
                                         std::string_view domain_suffix) {
  return altHosts(hostname, std::string(proxy_namespace) + ".svc." + std::string(domain_suffix));
}

}  // namespace meshc::lower
