// Gateway merging (istio:pilot/pkg/model/gateway.go mergeGateways): Servers grouped per port,
// host sanitising, duplicates and RDS route names. Entry point: mergeGateways().
#include "lower/gateway_build.h"

namespace meshc::lower::detail {

// --- mergeGateways -------------------------------------------------------------------------------

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

}  // namespace meshc::lower::detail
