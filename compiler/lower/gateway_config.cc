// Gateway proxies: Gateway merging (istio:pilot/pkg/model/gateway.go mergeGateways), listeners and
// filter chains, HTTP route configurations and clusters (istio:pilot/pkg/networking/core/
// gateway.go). SEMANTICS 1.18, 2.6, 4.2, 4.3, 7.3-7.5, 9.4, 9.12-9.15.
#include "lower/gateway_config.h"

#include <algorithm>
#include <array>
#include <map>
#include <set>

#include "base/ascii.h"
#include "frontend/istio/labels.h"
#include "frontend/istio/protocol.h"
#include "lower/names.h"
#include "lower/route_translation.h"

namespace meshc::lower {

namespace {

constexpr std::string_view kDisablePortTranslationLabel =
    "experimental.istio.io/disable-gateway-port-translation";
constexpr std::string_view kWildcardBind = "0.0.0.0";

// --- Protocols (istio:pkg/config/protocol, istio:pkg/config/gateway) ----------------------------

// protocol.Parse with Istio's spelling ("GRPC-Web", "MySQL"), "UnsupportedProtocol" when unknown.
std::string parseProtocol(std::string_view p) {
  std::optional<istio::Protocol> parsed = istio::parseProtocol(p);
  return parsed ? std::string(istio::istioName(*parsed)) : "UnsupportedProtocol";
}

using istio::isHttpProtocol;

bool isPassThroughServer(const model::Server& s) {
  return s.tls && (s.tls->mode == "PASSTHROUGH" || s.tls->mode == "AUTO_PASSTHROUGH");
}

// IsTLSServer: non-HTTP with TLS settings (filters out httpsRedirect-only HTTP servers).
bool isTlsServer(const model::Server& s) {
  return s.tls && !isHttpProtocol(parseProtocol(s.port.protocol));
}

bool isHttpServer(const model::Server& s) {
  std::string p = parseProtocol(s.port.protocol);
  return isHttpProtocol(p) || (p == "HTTPS" && !isPassThroughServer(s));
}

bool isHttpsServerWithTlsTermination(const model::Server& s) {
  return s.tls && parseProtocol(s.port.protocol) == "HTTPS" && !isPassThroughServer(s);
}

// canMergeProtocols(current, p) as called by mergeGateways: (new is HTTP or equal) and the
// existing one is HTTP.
bool canMergeProtocols(std::string_view incoming, std::string_view existing) {
  return (isHttpProtocol(incoming) || incoming == existing) && isHttpProtocol(existing);
}

// --- Notes ---------------------------------------------------------------------------------------

Diagnostic gatewayNote(std::string id, const model::Gateway& gw, SourceLoc loc, std::string msg) {
  Diagnostic d;
  d.id = std::move(id);
  d.severity = Severity::kInfo;
  d.message = std::move(msg);
  d.loc = loc.valid() ? loc : gw.meta.loc;
  d.resource = ResourceRef{"Gateway", gw.meta.name_space, gw.meta.name};
  return d;
}

Diagnostic vsNote(std::string id, const IndexedVirtualService& vs, SourceLoc loc, std::string msg) {
  Diagnostic d;
  d.id = std::move(id);
  d.severity = Severity::kInfo;
  d.message = std::move(msg);
  d.loc = loc.valid() ? loc : vs.vs.meta.loc;
  d.resource = ResourceRef{"VirtualService", vs.vs.meta.name_space, vs.vs.meta.name};
  return d;
}

std::string joinList(const std::vector<std::string>& v) {
  std::string out;
  for (size_t i = 0; i < v.size(); ++i) {
    out += (i == 0 ? "" : ", ") + v[i];
  }
  return out;
}

// --- Service targets and port translation (7.5) --------------------------------------------------

struct ServiceTarget {
  uint32_t port = 0;
  uint32_t target_port = 0;
  bool no_translation = false;
};

std::optional<uint32_t> parsePortNumber(std::string_view s) {
  if (s.empty() || s.size() > 5) {
    return std::nullopt;
  }
  uint32_t v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') {
      return std::nullopt;
    }
    v = v * 10 + static_cast<uint32_t>(c - '0');
  }
  return v;
}

// The proxy's ServiceTargets: ports of Kubernetes Services in its namespace whose selector
// matches its labels (a named targetPort resolved through a matching pod's container ports), and
// of ServiceEntries with an endpoint at its IP.
std::vector<ServiceTarget> serviceTargets(const model::ConfigSet& config,
                                          const ProxyIdentity& proxy) {
  std::vector<const model::KubernetesService*> services;
  for (const model::KubernetesService& s : config.services) {
    services.push_back(&s);
  }
  std::stable_sort(services.begin(), services.end(), [](const auto* a, const auto* b) {
    return model::configOrderLess(a->meta, b->meta);
  });
  std::vector<ServiceTarget> out;
  for (const model::KubernetesService* s : services) {
    if (s->meta.name_space != proxy.name_space || s->selector.empty() ||
        !istio::selectorMatches(s->selector, proxy.labels) || s->type == "ExternalName") {
      continue;
    }
    bool no_translation = s->meta.labels.count(std::string(kDisablePortTranslationLabel)) > 0;
    for (const model::KubernetesServicePort& p : s->ports) {
      if (p.protocol == "UDP") {
        continue;
      }
      ServiceTarget t{p.port, p.port, no_translation};
      if (!p.target_port.empty()) {
        if (std::optional<uint32_t> n = parsePortNumber(p.target_port)) {
          t.target_port = *n;
        } else {
          // A named targetPort resolves through the gateway pod's container ports.
          std::optional<uint32_t> found;
          for (const model::WorkloadInstance& w : config.workloads) {
            if (w.meta.name_space != proxy.name_space ||
                !istio::selectorMatches(s->selector, w.labels) ||
                !istio::selectorMatches(proxy.labels, w.labels)) {
              continue;
            }
            for (const auto& [name, number] : w.container_ports) {
              if (name == p.target_port) {
                found = number;
                break;
              }
            }
            if (found) {
              break;
            }
          }
          if (!found) {
            continue;  // no endpoint for this port
          }
          t.target_port = *found;
        }
      }
      out.push_back(t);
    }
  }
  std::vector<const model::ServiceEntry*> entries;
  for (const model::ServiceEntry& se : config.service_entries) {
    entries.push_back(&se);
  }
  std::stable_sort(entries.begin(), entries.end(), [](const auto* a, const auto* b) {
    return model::configOrderLess(a->meta, b->meta);
  });
  for (const model::ServiceEntry* se : entries) {
    bool no_translation = se->meta.labels.count(std::string(kDisablePortTranslationLabel)) > 0;
    for (const model::WorkloadEntry& e : se->endpoints) {
      if (e.address.empty() || e.address != proxy.ip) {
        continue;
      }
      for (const model::ServicePort& p : se->ports) {
        ServiceTarget t{p.number, p.target_port != 0 ? p.target_port : p.number, no_translation};
        for (const auto& [name, number] : e.ports) {
          if (name == p.name && number != 0) {
            t.target_port = number;
          }
        }
        out.push_back(t);
      }
    }
  }
  return out;
}

// resolvePorts with legacyGatewaySelector=true: the first matching target, else the number.
uint32_t resolvePort(const std::vector<ServiceTarget>& targets, uint32_t number) {
  for (const ServiceTarget& t : targets) {
    if (t.no_translation) {
      continue;
    }
    if (t.port == number) {
      return t.target_port;
    }
  }
  return number;
}

// --- mergeGateways -------------------------------------------------------------------------------

struct MergedServer {
  model::Server server;  // hosts sanitized
  const model::Gateway* gateway = nullptr;
  std::string gateway_name;  // ns/name
  uint32_t listener_port = 0;
  bool has_tls_info = false;
  std::string tls_route_name;
  std::vector<std::string> sni_hosts;
};

struct ServerPortKey {
  uint32_t number = 0;
  std::string protocol;
  std::string bind;
  friend bool operator==(const ServerPortKey&, const ServerPortKey&) = default;
  friend auto operator<=>(const ServerPortKey&, const ServerPortKey&) = default;
};

struct MergedServers {
  std::vector<size_t> servers;
  std::string route_name;
};

struct MergedGateway {
  std::vector<MergedServer> servers;
  std::vector<ServerPortKey> server_ports;  // may repeat, as in Istio
  std::map<ServerPortKey, MergedServers> merged;
  std::map<std::string, std::vector<size_t>, std::less<>> servers_by_route_name;
};

// sanitizeServerHostNamespace: `./h` → `<gw-ns>/h`, `*/h` → `h`, `*/*` → the whole list `*`.
std::vector<std::string> sanitizeServerHosts(const std::vector<std::string>& hosts,
                                             std::string_view gw_namespace) {
  std::vector<std::string> out;
  for (const std::string& h : hosts) {
    size_t slash = h.find('/');
    if (slash == std::string::npos) {
      out.push_back(h);
      continue;
    }
    std::string_view ns = std::string_view(h).substr(0, slash);
    std::string_view name = std::string_view(h).substr(slash + 1);
    if (ns == ".") {
      out.push_back(std::string(gw_namespace) + "/" + std::string(name));
    } else if (ns == "*") {
      if (name == "*") {
        return {"*"};
      }
      out.emplace_back(name);
    } else {
      out.push_back(h);
    }
  }
  return out;
}

std::vector<std::string> sniHostsForServer(const model::Server& s) {
  std::set<std::string> hosts;
  for (const std::string& h : s.hosts) {
    size_t slash = h.find('/');
    hosts.insert(slash == std::string::npos ? h : h.substr(slash + 1));
  }
  return {hosts.begin(), hosts.end()};
}

std::string rdsRouteName(const model::Server& s, uint32_t port, const model::Gateway& gw) {
  std::string p = parseProtocol(s.port.protocol);
  std::string bind = s.bind.empty() ? "" : "." + s.bind;
  if (isHttpProtocol(p)) {
    return "http." + std::to_string(port) + bind;
  }
  if (p == "HTTPS" && !isPassThroughServer(s)) {
    // The server's own port number, not the translated one.
    return "https." + std::to_string(s.port.number) + "." + s.port.name + "." + gw.meta.name + "." +
           gw.meta.name_space + bind;
  }
  return "";
}

// CheckDuplicates: hosts already known on this port with the same bind; none → all recorded.
std::vector<std::string> checkDuplicates(const std::vector<std::string>& hosts,
                                         const std::string& bind,
                                         std::map<std::string, std::string>& known) {
  std::vector<std::string> dups;
  for (const std::string& h : hosts) {
    auto it = known.find(h);
    if (it != known.end() && it->second == bind) {
      dups.push_back(h);
    }
  }
  if (dups.empty()) {
    for (const std::string& h : hosts) {
      known[h] = bind;
    }
  }
  return dups;
}

MergedGateway mergeGateways(const std::vector<const model::Gateway*>& gateways,
                            const std::vector<ServiceTarget>& targets,
                            std::vector<Diagnostic>& notes) {
  MergedGateway mg;
  std::set<uint32_t> gateway_ports;
  std::map<uint32_t, std::set<std::string>> non_plaintext_binds;
  std::map<uint32_t, ServerPortKey> plaintext;
  std::map<uint32_t, std::map<std::string, std::string>> tls_hosts_by_port;

  auto addPlainTextServer = [&](size_t idx, const ServerPortKey& key, const std::string& route) {
    const model::Server& s = mg.servers[idx].server;
    if (!isTlsServer(s)) {
      plaintext[key.number] = key;
    }
    if (isHttpServer(s)) {
      mg.servers_by_route_name[route] = {idx};
    }
    mg.merged[key] = MergedServers{{idx}, route};
    mg.server_ports.push_back(key);
  };

  for (const model::Gateway* gw : gateways) {
    std::string gw_name = gw->meta.ref();
    for (const model::Server& raw : gw->servers) {
      MergedServer ms;
      ms.server = raw;
      ms.server.hosts = sanitizeServerHosts(raw.hosts, gw->meta.name_space);
      ms.gateway = gw;
      ms.gateway_name = gw_name;
      const model::Server& s = ms.server;
      uint32_t resolved = resolvePort(targets, s.port.number);
      ms.listener_port = resolved;
      std::string route_name = rdsRouteName(s, resolved, *gw);
      std::string where = "server " + std::to_string(raw.index) + " (port " +
                          std::to_string(s.port.number) + ") of Gateway " + gw_name;
      if (s.tls) {
        std::vector<std::string> dups =
            checkDuplicates(s.hosts, s.bind, tls_hosts_by_port[resolved]);
        if (!dups.empty()) {
          notes.push_back(gatewayNote("lower-gw-duplicate-tls-host", *gw, raw.loc,
                                      where + " is skipped: hosts " + joinList(dups) +
                                          " are already served with TLS on port " +
                                          std::to_string(resolved)));
          continue;
        }
        ms.has_tls_info = true;
        ms.sni_hosts = sniHostsForServer(s);
        ms.tls_route_name = route_name;
      }
      ServerPortKey key{resolved, s.port.protocol, s.bind};
      std::string proto = parseProtocol(key.protocol);
      size_t idx = mg.servers.size();
      mg.servers.push_back(std::move(ms));
      const model::Server& sv = mg.servers[idx].server;

      if (!gateway_ports.count(resolved)) {
        gateway_ports.insert(resolved);
        addPlainTextServer(idx, key, route_name);
        continue;
      }
      if (auto pit = plaintext.find(resolved); pit != plaintext.end()) {
        ServerPortKey current = pit->second;
        if (!canMergeProtocols(proto, parseProtocol(current.protocol)) &&
            current.bind == key.bind) {
          notes.push_back(gatewayNote("lower-gw-protocol-conflict", *gw, raw.loc,
                                      where + " is skipped: protocol " + sv.port.protocol +
                                          " conflicts with " + current.protocol +
                                          " already on port " + std::to_string(resolved) +
                                          " (the earlier Gateway in creation order wins)"));
          continue;
        }
        if (route_name.empty() && current.bind == key.bind) {
          notes.push_back(gatewayNote("lower-gw-protocol-conflict", *gw, raw.loc,
                                      where + " is skipped: port " + std::to_string(resolved) +
                                          " is already used by another server"));
          continue;
        }
        if (current.bind != key.bind) {
          if (!mg.merged.count(key)) {
            addPlainTextServer(idx, key, route_name);
          } else {
            MergedServers& m = mg.merged[key];
            m.route_name = route_name;
            m.servers.push_back(idx);
            mg.servers_by_route_name[route_name].push_back(idx);
          }
        } else {
          mg.merged[current].servers.push_back(idx);
          mg.servers_by_route_name[route_name].push_back(idx);
        }
        continue;
      }
      if (!isTlsServer(sv)) {
        plaintext[resolved] = key;
        if (isHttpServer(sv)) {
          mg.servers_by_route_name[route_name] = {idx};
        }
        mg.merged[key] = MergedServers{{idx}, route_name};
        mg.server_ports.push_back(key);
        continue;
      }
      if (isHttpServer(sv)) {
        if (route_name.empty() || mg.servers_by_route_name.count(route_name)) {
          notes.push_back(gatewayNote(
              "lower-gw-duplicate-route-name", *gw, raw.loc,
              where + " is skipped: route configuration " + route_name + " already exists"));
          continue;
        }
        mg.servers_by_route_name[route_name] = {idx};
      }
      bool new_bind = non_plaintext_binds[resolved].insert(key.bind).second;
      if (!sv.tls && !new_bind) {
        continue;
      }
      if (!mg.merged.count(key)) {
        mg.merged[key] = MergedServers{{idx}, ""};
        mg.server_ports.push_back(key);
      } else {
        mg.merged[key].servers.push_back(idx);
      }
    }
  }
  return mg;
}

// --- Route configurations (2.6, 4.2, 4.3, 7.4) ---------------------------------------------------

// The per-ConfigSet indexes (owned by the caller).
struct Inputs {
  const model::ConfigSet& config;
  const ServiceRegistry& registry;
  const VirtualServiceIndex& vs_index;
  const DestinationRuleIndex& destination_rules;
};

struct BuildContext {
  const Inputs& inputs;
  const ProxyIdentity& proxy;
  SidecarScope scope;
  std::vector<Diagnostic>& notes;
};

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

struct VhostBuild {
  std::string name;
  std::vector<std::string> domains;
  std::vector<size_t> routes;  // ids into the route pool
  bool require_tls = false;
};

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

void applyServerTls(FilterChain& chain, const model::Server& server) {
  chain.terminates_tls = true;
  const std::string& mode = server.tls ? server.tls->mode : std::string();
  chain.requires_client_certificate = mode == "MUTUAL" || mode == "ISTIO_MUTUAL";
  chain.istio_mutual = mode == "ISTIO_MUTUAL";
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

constexpr std::array<std::string_view, 5> kIstioMtlsAlpns = {
    "istio", "istio-peer-exchange", "istio-http/1.0", "istio-http/1.1", "istio-h2"};

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

// --- Clusters ------------------------------------------------------------------------------------

void collectClusterNames(const ProxyConfig& pc, std::set<std::string>& names) {
  auto addTcp = [&names](const TcpProxy& tp) {
    if (!tp.cluster.empty()) {
      names.insert(tp.cluster);
    }
    for (const WeightedCluster& w : tp.weighted) {
      names.insert(w.name);
    }
  };
  for (const Listener& l : pc.listeners) {
    for (const FilterChain& fc : l.filter_chains) {
      if (fc.tcp_proxy) {
        addTcp(*fc.tcp_proxy);
      }
    }
  }
  for (const RouteConfiguration& rc : pc.route_configs) {
    for (const VirtualHost& vh : rc.virtual_hosts) {
      for (const Route& r : vh.routes) {
        if (r.action != Route::ActionKind::kRoute) {
          continue;
        }
        if (!r.route.cluster.empty()) {
          names.insert(r.route.cluster);
        }
        for (const WeightedCluster& w : r.route.weighted) {
          names.insert(w.name);
        }
        for (const MirrorPolicy& m : r.route.mirrors) {
          names.insert(m.cluster);
        }
      }
    }
  }
}

struct ParsedClusterName {
  bool dns_srv = false;
  uint32_t port = 0;
  std::string subset;
  std::string host;
};

std::optional<ParsedClusterName> parseClusterName(std::string_view name) {
  ParsedClusterName out;
  std::vector<std::string_view> parts;
  std::string_view sep;
  if (name.starts_with("outbound|")) {
    sep = "|";
  } else if (name.starts_with("outbound_.")) {
    sep = "_.";
    out.dns_srv = true;
  } else {
    return std::nullopt;
  }
  size_t start = 0;
  for (int i = 0; i < 3; ++i) {
    size_t pos = name.find(sep, start);
    if (pos == std::string_view::npos) {
      return std::nullopt;
    }
    parts.push_back(name.substr(start, pos - start));
    start = pos + sep.size();
  }
  parts.push_back(name.substr(start));
  std::optional<uint32_t> port = parsePortNumber(parts[1]);
  if (!port) {
    return std::nullopt;
  }
  out.port = *port;
  out.subset = std::string(parts[2]);
  out.host = std::string(parts[3]);
  return out;
}

void buildClusters(BuildContext& bc, ProxyConfig& pc) {
  std::set<std::string> names;
  collectClusterNames(pc, names);
  std::map<std::string, Cluster> out;
  std::map<std::string, std::vector<Cluster>> by_host;  // built once per service
  for (const std::string& name : names) {
    std::optional<ParsedClusterName> parsed = parseClusterName(name);
    if (!parsed) {
      continue;
    }
    const Service* svc = bc.scope.serviceForHostname(parsed->host);
    if (svc == nullptr) {
      continue;  // no such service: requests get 503 NC (3.6)
    }
    auto bit = by_host.find(parsed->host);
    if (bit == by_host.end()) {
      const ConsolidatedDestinationRule* dr =
          bc.inputs.destination_rules.forProxy(bc.proxy, svc->hostname, svc->name_space);
      bit = by_host
                .emplace(parsed->host,
                         buildServiceClusters(bc.inputs.registry, *svc, dr, /*for_gateway=*/true))
                .first;
    }
    std::string outbound = outboundClusterName(parsed->port, parsed->subset, parsed->host);
    for (const Cluster& c : bit->second) {
      if (c.name == outbound) {
        Cluster copy = c;
        copy.name = name;  // the AUTO_PASSTHROUGH SNI-named twin has the same endpoints
        out.emplace(name, std::move(copy));
        break;
      }
    }
  }
  for (auto& [name, c] : out) {
    pc.clusters.push_back(std::move(c));
  }
}

}  // namespace

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
  return resolvePort(serviceTargets(config, proxy), server_port);
}

namespace {

LoweredProxy buildGatewayConfigFrom(const Inputs& inputs, const ProxyIdentity& proxy_in);

}  // namespace

LoweredProxy buildGatewayConfig(const model::ConfigSet& config, const ProxyIdentity& proxy) {
  ServiceRegistry registry = ServiceRegistry::build(config);
  VirtualServiceIndex vs_index(config);
  DestinationRuleIndex destination_rules(config);
  return buildGatewayConfigFrom(Inputs{config, registry, vs_index, destination_rules}, proxy);
}

LoweredProxy buildGatewayConfig(const SidecarInputs& inputs, const ProxyIdentity& proxy) {
  return buildGatewayConfigFrom(
      Inputs{inputs.config, inputs.registry, inputs.vs_index, inputs.destination_rules}, proxy);
}

namespace {

LoweredProxy buildGatewayConfigFrom(const Inputs& inputs, const ProxyIdentity& proxy_in) {
  LoweredProxy out;
  ProxyConfig& pc = out.config;
  pc.proxy = proxy_in;
  pc.proxy.kind = ProxyIdentity::Kind::kGateway;
  const ProxyIdentity& proxy = pc.proxy;
  const model::ConfigSet& config = inputs.config;

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
        applyServerTls(fc, server);
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
          applyServerTls(fc, server);
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

}  // namespace

}  // namespace meshc::lower
