// Gateway clusters (CDS): every cluster a listener or route configuration of the gateway refers
// to. Entry point: buildClusters().
#include "lower/gateway_build.h"

namespace meshc::lower::detail {

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

}  // namespace meshc::lower::detail
