// Sidecar outbound route configurations and virtual hosts, following httproute.go
// (BuildSidecarOutboundVirtualHosts, domains, catch-all) and route/route.go
// (BuildSidecarVirtualHostWrapper). Entry point: SidecarBuilder::routeConfig().
#include "lower/sidecar_builder.h"

namespace meshc::lower::detail {

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

}  // namespace meshc::lower::detail
