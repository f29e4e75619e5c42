// Sidecar scoping (istio:pilot/pkg/model/sidecar.go convertIstioListenerToWrapper,
// collectImportedServices, appendSidecarServices; virtualservice.go SelectVirtualServices;
// push_context.go doGetSidecarScope). Entry point: SidecarScope::build().
#include "lower/sidecar_scope.h"

#include <algorithm>
#include <set>

#include "frontend/istio/labels.h"
#include "lower/names.h"

namespace meshc::lower {
namespace {

// hostClassification: the egress hosts listed under one namespace.
struct HostClassification {
  std::set<std::string, std::less<>> exact;
  std::vector<std::string> all;
  std::vector<std::string> excluded;

  bool isExcluded(std::string_view h) const {
    for (const std::string& e : excluded) {
      if (hostIsSubsetOf(h, e)) {
        return true;
      }
    }
    return false;
  }
  // Services: exact lookup, else the service host must be a subset of a wildcard entry.
  bool matches(std::string_view h) const { return matchesBy(h, hostIsSubsetOf); }
  // VirtualServices: symmetric overlap (SEMANTICS 9.9: entry `a.com` imports a `*.com` VS).
  bool vsMatches(std::string_view h) const { return matchesBy(h, hostsOverlap); }

 private:
  // Exact entry first; otherwise `relation` against every entry, skipping pairs where neither
  // side is a wildcard (those only match exactly, which the lookup already answered).
  template <typename Relation>
  bool matchesBy(std::string_view h, Relation relation) const {
    if (exact.count(h) != 0) {
      return true;
    }
    bool h_wild = isWildcardHost(h);
    for (const std::string& imported : all) {
      if (!h_wild && !isWildcardHost(imported)) {
        continue;
      }
      if (relation(h, imported)) {
        return true;
      }
    }
    return false;
  }
};

using HostsByNamespace = std::map<std::string, HostClassification, std::less<>>;

bool samePorts(const std::vector<ServicePortInfo>& a, const std::vector<ServicePortInfo>& b) {
  if (a.size() != b.size()) {
    return false;
  }
  for (size_t i = 0; i < a.size(); ++i) {
    if (a[i].port != b[i].port || a[i].name != b[i].name || a[i].protocol != b[i].protocol) {
      return false;
    }
  }
  return true;
}

// serviceMatchingListenerPort: the service trimmed to the listener port; nullopt when it lacks it.
std::optional<Service> trimToPort(const Service& s, uint32_t port) {
  const ServicePortInfo* p = s.findPort(port);
  if (p == nullptr) {
    return std::nullopt;
  }
  Service out = s;
  if (s.ports.size() != 1) {
    out.ports = {*p};
  }
  return out;
}

// serviceMatchingVirtualServicePorts: keep the ports VS destinations name (0 = any port).
std::optional<Service> trimToPorts(const Service& s, const std::set<uint32_t>& ports) {
  if (ports.empty() || ports.count(0) != 0) {
    return s;
  }
  Service out = s;
  out.ports.clear();
  for (const ServicePortInfo& p : s.ports) {
    if (ports.count(p.port) != 0) {
      out.ports.push_back(p);
    }
  }
  if (out.ports.empty()) {
    return std::nullopt;
  }
  return out;
}

// matchingAliasService: only the aliases the egress hosts import stay attached.
Service filterAliases(const HostClassification& hc, Service s) {
  std::vector<std::string> kept;
  for (const std::string& a : s.aliases) {
    if (hc.matches(a)) {
      kept.push_back(a);
    }
  }
  s.aliases = std::move(kept);
  return s;
}

// MostSpecificHostMatch over host → value tables (exact, else the most specific wildcard whose
// suffix the needle ends with).
template <typename T>
const T* mostSpecific(std::string_view needle, const std::map<std::string, T, std::less<>>& exact,
                      const std::map<std::string, T, std::less<>>& wildcard) {
  if (isWildcardHost(needle)) {
    if (auto it = wildcard.find(needle); it != wildcard.end()) {
      return &it->second;
    }
    needle = needle.substr(1);
  } else if (auto it = exact.find(needle); it != exact.end()) {
    return &it->second;
  }
  const std::string* best = nullptr;
  const T* value = nullptr;
  for (const auto& [h, v] : wildcard) {
    std::string_view suffix = std::string_view(h).substr(1);
    if (needle.size() < suffix.size() || needle.substr(needle.size() - suffix.size()) != suffix) {
      continue;
    }
    if (best == nullptr || moreSpecificHost(h, *best)) {
      best = &h;
      value = &v;
    }
  }
  return value;
}

// virtualServiceDestinationsFilteredBySourceNamespace: destination host → ports (0 = no port).
std::map<std::string, std::set<uint32_t>> vsDestinations(const model::VirtualService& vs,
                                                         std::string_view config_namespace) {
  std::map<std::string, std::set<uint32_t>> out;
  auto add = [&out](const model::Destination& d) {
    if (!d.host.empty()) {
      out[d.host].insert(d.port.value_or(0));
    }
  };
  for (const model::HttpRoute& h : vs.http) {
    bool namespace_matched = true;
    for (const model::HttpMatchRequest& m : h.match) {
      if (!m.source_namespace.empty()) {
        if (m.source_namespace == config_namespace) {
          namespace_matched = true;
          break;
        }
        namespace_matched = false;
      }
    }
    if (!namespace_matched) {
      continue;
    }
    for (const model::HttpRouteDestination& r : h.route) {
      add(r.destination);
    }
    for (const model::HttpMirror& m : h.mirrors) {
      add(m.destination);
    }
  }
  for (const model::TcpRoute& t : vs.tcp) {
    for (const model::RouteDestination& r : t.route) {
      add(r.destination);
    }
  }
  for (const model::TlsRoute& t : vs.tls) {
    for (const model::RouteDestination& r : t.route) {
      add(r.destination);
    }
  }
  return out;
}

size_t registryIndex(const ServiceRegistry& registry, const Service* s) {
  return static_cast<size_t>(s - registry.services().data());
}

// appendSidecarServices: one service per hostname; a Kubernetes Service replaces a
// ServiceEntry; same-namespace services of one kind merge their ports.
void appendService(std::vector<Service>& services, std::map<std::string, size_t>& added,
                   Service s) {
  auto it = added.find(s.hostname);
  if (it == added.end()) {
    added[s.hostname] = services.size();
    services.push_back(std::move(s));
    return;
  }
  Service& existing = services[it->second];
  if (existing.isKubernetes() && !s.isKubernetes()) {
    return;
  }
  if (!existing.isKubernetes() && s.isKubernetes()) {
    existing = std::move(s);
    return;
  }
  if (samePorts(existing.ports, s.ports)) {
    return;
  }
  // canMergeServices: same namespace, resolution, registry and exportTo.
  if (existing.name_space != s.name_space || existing.resolution != s.resolution ||
      existing.origin != s.origin || existing.export_to != s.export_to) {
    return;
  }
  for (const ServicePortInfo& p : s.ports) {
    if (existing.findPort(p.port) == nullptr) {
      existing.ports.push_back(p);
    }
  }
}

EgressListenerScope convertListener(const ServiceRegistry& registry,
                                    const VirtualServiceIndex& vs_index,
                                    const model::IstioEgressListener* listener,
                                    std::string_view config_namespace) {
  EgressListenerScope out;
  out.listener = listener;
  out.match_port = listener != nullptr && listener->port && listener->port->number != 0 &&
                   parseProtocolName(listener->port->protocol) != "HTTP_PROXY";
  std::vector<std::string> hosts =
      listener != nullptr ? listener->hosts : std::vector<std::string>{"*/*"};

  HostsByNamespace by_ns;
  bool all_exact = true;
  for (const std::string& h : hosts) {
    if (std::count(h.begin(), h.end(), '/') != 1) {
      continue;  // malformed: Istio logs and skips it
    }
    size_t slash = h.find('/');
    std::string ns = h.substr(0, slash);
    std::string name = h.substr(slash + 1);
    bool excluded = !ns.empty() && ns.front() == '~';
    if (excluded) {
      ns = ns.substr(1);
      if (ns.empty()) {
        ns = "*";  // a bare `~` means every namespace
      }
    }
    if (ns == ".") {
      ns = std::string(config_namespace);
    }
    HostClassification& hc = by_ns[ns];
    if (excluded) {
      hc.excluded.push_back(name);
      continue;
    }
    if (!isWildcardHost(name)) {
      hc.exact.insert(name);
    } else {
      all_exact = false;
    }
    if (ns == "*") {
      all_exact = false;
    }
    hc.all.push_back(name);
  }
  const HostClassification* wildcard_ns = nullptr;
  if (auto it = by_ns.find("*"); it != by_ns.end()) {
    wildcard_ns = &it->second;
  }

  // SelectVirtualServices: entries are matched against the VS's own namespace (9.9).
  std::set<std::string> added_vs;
  for (const IndexedVirtualService* vs :
       vs_index.candidates(config_namespace, std::string(kMeshGateway))) {
    const std::string& vs_ns = vs->vs.meta.name_space;
    const HostClassification* own = nullptr;
    if (auto it = by_ns.find(vs_ns); it != by_ns.end()) {
      own = &it->second;
    }
    auto tryAdd = [&](const HostClassification& hc) {
      if (added_vs.count(vs->ref()) != 0) {
        return;
      }
      for (const std::string& h : vs->vs.hosts) {
        if (!hc.vsMatches(h)) {
          continue;
        }
        if ((own != nullptr && own->isExcluded(h)) ||
            (wildcard_ns != nullptr && wildcard_ns->isExcluded(h))) {
          continue;  // an excluded host; another host may still import the VS
        }
        out.virtual_services.push_back(vs);
        added_vs.insert(vs->ref());
        return;
      }
    };
    if (own != nullptr) {
      tryAdd(*own);
    }
    if (wildcard_ns != nullptr) {
      tryAdd(*wildcard_ns);
    }
  }

  // Candidate services: only exact hosts listed ⇒ look them up directly (oldest first);
  // otherwise every service exported to the namespace.
  std::vector<const Service*> candidates;
  if (all_exact) {
    for (const auto& [ns, hc] : by_ns) {
      for (const std::string& h : hc.exact) {
        const Service* s = registry.findInNamespace(h, ns);
        if (s != nullptr && s->visibleTo(config_namespace)) {
          candidates.push_back(s);
        }
      }
    }
    std::sort(candidates.begin(), candidates.end(),
              [&registry](const Service* a, const Service* b) {
                return registryIndex(registry, a) < registryIndex(registry, b);
              });
  } else {
    candidates = registry.exportedTo(config_namespace);
  }

  std::vector<Service> imported;
  auto matching = [&](const HostClassification& hc, const Service& s) -> std::optional<Service> {
    if (!hc.matches(s.hostname)) {
      return std::nullopt;
    }
    if (out.match_port) {
      std::optional<Service> t = trimToPort(s, listener->port->number);
      if (!t) {
        return std::nullopt;
      }
      return filterAliases(hc, std::move(*t));
    }
    return filterAliases(hc, s);
  };
  for (const Service* s : candidates) {
    const HostClassification* ns_hosts = nullptr;
    if (auto it = by_ns.find(s->name_space); it != by_ns.end()) {
      ns_hosts = &it->second;
    }
    if ((ns_hosts != nullptr && ns_hosts->isExcluded(s->hostname)) ||
        (wildcard_ns != nullptr && wildcard_ns->isExcluded(s->hostname))) {
      continue;
    }
    if (ns_hosts != nullptr) {
      if (std::optional<Service> m = matching(*ns_hosts, *s)) {
        imported.push_back(std::move(*m));
        continue;
      }
    }
    if (wildcard_ns != nullptr) {
      if (std::optional<Service> m = matching(*wildcard_ns, *s)) {
        imported.push_back(std::move(*m));
      }
    }
  }

  // PILOT_UNIFIED_SIDECAR_SCOPE: one namespace per hostname: the sidecar's own, else a
  // Kubernetes Service over a ServiceEntry, else the first seen.
  struct Provider {
    std::string ns;
    bool kube;
  };
  std::map<std::string, Provider> valid;
  for (const Service& s : imported) {
    Provider np{s.name_space, s.isKubernetes()};
    auto it = valid.find(s.hostname);
    if (it == valid.end()) {
      valid[s.hostname] = np;
    } else if (s.name_space == config_namespace) {
      it->second = np;
    } else if (!it->second.kube && np.kube &&
               (np.ns == config_namespace || it->second.ns != config_namespace)) {
      it->second = np;
    }
  }
  for (Service& s : imported) {
    if (valid[s.hostname].ns == s.name_space) {
      out.services.push_back(std::move(s));
    }
  }

  // computeWildcardHostVirtualServiceIndex: the first VS per exact / wildcard host.
  std::map<std::string, std::string, std::less<>> fqdn_index;
  std::map<std::string, std::string, std::less<>> wildcard_index;
  for (const IndexedVirtualService* vs : out.virtual_services) {
    for (const std::string& h : vs->vs.hosts) {
      auto& index = isWildcardHost(h) ? wildcard_index : fqdn_index;
      index.emplace(h, vs->ref());
    }
  }
  for (const Service& s : out.services) {
    if (const std::string* ref = mostSpecific(s.hostname, fqdn_index, wildcard_index)) {
      out.most_specific_vs[s.hostname] = *ref;
    }
  }
  return out;
}

}  // namespace

uint32_t EgressListenerScope::port() const {
  return listener != nullptr && listener->port ? listener->port->number : 0;
}

OutboundPolicyMode parseOutboundPolicyMode(std::string_view mode, bool from_sidecar) {
  if (mode == "ALLOW_ANY" || mode == "1") {
    return OutboundPolicyMode::kAllowAny;
  }
  if (mode == "REGISTRY_ONLY" || mode == "0") {
    return OutboundPolicyMode::kRegistryOnly;
  }
  if (!from_sidecar && (mode == "ALLOW_ANY_DYNAMIC_DNS" || mode == "2")) {
    return OutboundPolicyMode::kAllowAnyDynamicDns;
  }
  return from_sidecar ? OutboundPolicyMode::kRegistryOnly : OutboundPolicyMode::kAllowAny;
}

const model::Sidecar* selectSidecar(const model::ConfigSet& config, const ProxyIdentity& proxy) {
  if (proxy.kind != ProxyIdentity::Kind::kSidecar) {
    return nullptr;
  }
  std::vector<const model::Sidecar*> sorted;
  for (const model::Sidecar& s : config.sidecars) {
    sorted.push_back(&s);
  }
  // initSidecarScopes: creation order, selector-bearing Sidecars first.
  std::stable_sort(sorted.begin(), sorted.end(),
                   [](const model::Sidecar* a, const model::Sidecar* b) {
                     bool as = a->workload_selector.has_value();
                     bool bs = b->workload_selector.has_value();
                     if (as != bs) {
                       return as;
                     }
                     return model::configOrderLess(a->meta, b->meta);
                   });
  for (const model::Sidecar* s : sorted) {
    if (s->meta.name_space != proxy.name_space) {
      continue;
    }
    if (s->workload_selector && !istio::selectorMatches(*s->workload_selector, proxy.labels)) {
      continue;
    }
    return s;
  }
  // The root namespace's selector-less Sidecar is the mesh-wide default.
  for (const model::Sidecar* s : sorted) {
    if (s->meta.name_space == config.mesh.root_namespace && !s->workload_selector) {
      return s;
    }
  }
  return nullptr;
}

SidecarScope SidecarScope::build(const model::ConfigSet& config, const ServiceRegistry& registry,
                                 const VirtualServiceIndex& vs_index, const ProxyIdentity& proxy) {
  if (proxy.kind == ProxyIdentity::Kind::kGateway) {
    return buildForGateway(config, registry, vs_index, proxy);
  }
  SidecarScope sc;
  sc.sidecar_ = selectSidecar(config, proxy);
  sc.name_space_ = proxy.name_space;
  // A root-namespace Sidecar applied to namespace N is evaluated with N as its namespace
  // (its `.` means N), exactly like a Sidecar of N.
  if (sc.sidecar_ != nullptr && !sc.sidecar_->egress.empty()) {
    for (const model::IstioEgressListener& l : sc.sidecar_->egress) {
      sc.egress_.push_back(convertListener(registry, vs_index, &l, sc.name_space_));
    }
  } else {
    sc.egress_.push_back(convertListener(registry, vs_index, nullptr, sc.name_space_));
  }

  // collectImportedServices: the listeners' services, then the destinations of their VSs
  // (own namespace, else a Kubernetes Service, else the oldest visible), trimmed to the ports
  // the VS uses (or the listener port).
  std::map<std::string, size_t> added;
  for (const EgressListenerScope& ilw : sc.egress_) {
    for (const Service& s : ilw.services) {
      appendService(sc.services_, added, s);
    }
    for (const IndexedVirtualService* vs : ilw.virtual_services) {
      for (const auto& [host, ports] : vsDestinations(vs->vs, sc.name_space_)) {
        const Service* chosen = registry.findInNamespace(host, sc.name_space_);
        if (chosen == nullptr) {
          const Service* best = nullptr;
          for (const Service* s : registry.findAll(host)) {
            const Service* rep = registry.findInNamespace(host, s->name_space);
            if (rep != s || !s->visibleTo(sc.name_space_)) {
              continue;
            }
            if (s->isKubernetes()) {
              best = s;
              break;
            }
            if (best == nullptr || registryIndex(registry, s) < registryIndex(registry, best)) {
              best = s;  // the registry is in creation order: the oldest
            }
          }
          chosen = best;
        }
        if (chosen == nullptr) {
          continue;
        }
        std::optional<Service> matched =
            ilw.match_port ? trimToPort(*chosen, ilw.port()) : trimToPorts(*chosen, ports);
        if (matched) {
          appendService(sc.services_, added, std::move(*matched));
        }
      }
    }
  }

  if (sc.sidecar_ == nullptr || !sc.sidecar_->outbound_traffic_policy) {
    sc.mode_ = parseOutboundPolicyMode(config.mesh.outbound_traffic_policy, false);
  } else {
    const model::OutboundTrafficPolicy& p = *sc.sidecar_->outbound_traffic_policy;
    sc.mode_ = parseOutboundPolicyMode(p.mode, true);  // `{}` ⇒ REGISTRY_ONLY (9.8)
    if (sc.mode_ == OutboundPolicyMode::kAllowAny) {
      sc.egress_proxy_ = p.egress_proxy;
    }
  }
  return sc;
}

SidecarScope SidecarScope::buildForGateway(const model::ConfigSet& config,
                                           const ServiceRegistry& registry,
                                           const VirtualServiceIndex& vs_index,
                                           const ProxyIdentity& proxy) {
  SidecarScope sc;
  sc.name_space_ = proxy.name_space;
  std::map<std::string, size_t> added;
  for (const Service* s : registry.exportedTo(proxy.name_space)) {
    appendService(sc.services_, added, *s);
  }
  EgressListenerScope ilw;
  ilw.virtual_services = vs_index.candidates(proxy.name_space, std::string(kMeshGateway));
  sc.egress_.push_back(std::move(ilw));
  sc.mode_ = parseOutboundPolicyMode(config.mesh.outbound_traffic_policy, false);
  return sc;
}

const Service* SidecarScope::serviceForHostname(std::string_view hostname) const {
  for (const Service& s : services_) {
    if (s.hostname == hostname) {
      return &s;
    }
  }
  return nullptr;
}

std::string SidecarScope::passthroughCluster() const {
  if (egress_proxy_ && !egress_proxy_->host.empty()) {
    return outboundClusterName(egress_proxy_->port.value_or(0), egress_proxy_->subset,
                               egress_proxy_->host);
  }
  return "PassthroughCluster";
}

const EgressListenerScope* SidecarScope::egressListenerForRds(uint32_t port) const {
  for (const EgressListenerScope& e : egress_) {
    if (e.listener == nullptr || !e.listener->port) {
      return &e;
    }
    if (e.listener->port->number == port && port != 0) {
      return &e;
    }
  }
  return nullptr;
}

}  // namespace meshc::lower
