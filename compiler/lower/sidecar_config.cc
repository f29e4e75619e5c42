// Sidecar outbound configuration: SidecarBuilder::build() assembles listeners, RDS route
// configurations and clusters (CDS) and the scope notes. Entry point: buildSidecarConfig().
#include "lower/sidecar_config.h"

#include "lower/sidecar_builder.h"

namespace meshc::lower {
namespace detail {

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

}  // namespace detail

using detail::SidecarBuilder;

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
  return detail::altHosts(hostname,
                          std::string(proxy_namespace) + ".svc." + std::string(domain_suffix));
}

}  // namespace meshc::lower
