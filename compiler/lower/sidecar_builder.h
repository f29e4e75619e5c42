// Internal to the sidecar lowering: the SidecarBuilder class, its filter-chain / listener /
// virtual-host records and the small helpers its parts share. Entry point: SidecarBuilder::build()
// (public callers use buildSidecarConfig() in lower/sidecar_config.h).
#pragma once

#include <algorithm>
#include <map>
#include <set>

#include "base/ascii.h"
#include "frontend/istio/protocol.h"
#include "lower/names.h"
#include "lower/route_translation.h"
#include "lower/sidecar_config.h"

namespace meshc::lower::detail {

inline constexpr std::string_view kWildcardBind = "0.0.0.0";

// --- Protocol classes (protocol.Instance IsHTTP / IsTCP / IsTLS; "" = Unsupported) ----------

using istio::isHttpProtocol;
using istio::isTcpProtocol;
using istio::isTlsProtocol;
inline bool isHttpOrSniffed(std::string_view p) { return isHttpProtocol(p) || p.empty(); }

enum class ListenerProtocol { kHttp, kTcp, kAuto, kUnknown };

ListenerProtocol listenerProtocolOf(std::string_view p);

// --- Small address helpers ----------------------------------------------------------------------

std::string formatIpv4(uint32_t v);
// ConvertAddressToCidr: an IP becomes a full-length prefix; "" when the address is 0.0.0.0 or
// unparsable (Istio drops those from prefix_ranges).
std::string toCidr(std::string_view address, bool masked);
std::string ipv6Compliant(std::string_view host);
std::string domainName(std::string_view host, uint32_t port);

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

Diagnostic makeNote(std::string id, std::string message, const std::string& vs_ref, SourceLoc loc);

// GenerateAltVirtualHosts with ports ignored and a Kubernetes proxy DNS domain
// (`<ns>.svc.<suffix>`): the absolute FQDN, then the Kubernetes short forms.
std::vector<std::string> altHosts(std::string_view hostname, std::string_view proxy_domain);

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
}  // namespace meshc::lower::detail
