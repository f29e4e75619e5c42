// Name resolution and host algebra used while lowering (SEMANTICS 2.1-2.3, 3.8).
#include "lower/names.h"

#include <arpa/inet.h>

#include <algorithm>

#include "frontend/istio/host.h"

namespace meshc::lower {

namespace {

bool isIpAddress(std::string_view s) {
  std::string text(s);
  unsigned char buf[16];
  return inet_pton(AF_INET, text.c_str(), buf) == 1 || inet_pton(AF_INET6, text.c_str(), buf) == 1;
}

}  // namespace

std::string resolveShortName(std::string_view host, std::string_view config_namespace,
                             std::string_view domain_suffix) {
  // ResolveShortnameToFQDN: only a dot-free name is relative; `reviews.prod` is taken as
  // fully qualified (SEMANTICS 9.1).
  if (host.empty() || host == "*" || isIpAddress(host) ||
      host.find('.') != std::string_view::npos) {
    return std::string(host);
  }
  std::string out(host);
  if (!config_namespace.empty()) {
    out += ".";
    out += config_namespace;
  }
  if (!domain_suffix.empty()) {
    out += ".svc.";
    out += domain_suffix;
  }
  return out;
}

std::string resolveGatewayName(std::string_view gateway, std::string_view config_namespace) {
  if (gateway == kMeshGateway) {
    return std::string(gateway);
  }
  size_t slash = gateway.find('/');
  if (slash != std::string_view::npos) {
    if (gateway.substr(0, slash) == ".") {
      return std::string(config_namespace) + "/" + std::string(gateway.substr(slash + 1));
    }
    return std::string(gateway);
  }
  size_t dot = gateway.find('.');
  if (dot == std::string_view::npos) {
    return std::string(config_namespace) + "/" + std::string(gateway);
  }
  // Legacy `name.ns.svc.cluster.local` (or `name.ns`): the second label is the namespace.
  std::string_view rest = gateway.substr(dot + 1);
  size_t next = rest.find('.');
  std::string_view ns = next == std::string_view::npos ? rest : rest.substr(0, next);
  return std::string(ns) + "/" + std::string(gateway.substr(0, dot));
}

bool isWildcardHost(std::string_view host) { return !host.empty() && host.front() == '*'; }

bool hostsOverlap(std::string_view a, std::string_view b) { return istio::hostMatches(a, b); }

bool hostIsSubsetOf(std::string_view a, std::string_view b) { return istio::hostSubsetOf(a, b); }

std::vector<std::string> hostIntersection(const std::vector<std::string>& a,
                                          const std::vector<std::string>& b) {
  std::vector<std::string> out;
  auto add = [&out](const std::string& h) {
    if (std::find(out.begin(), out.end(), h) == out.end()) {
      out.push_back(h);
    }
  };
  for (const std::string& ah : a) {
    for (const std::string& bh : b) {
      if (hostIsSubsetOf(ah, bh)) {
        add(ah);
      } else if (hostIsSubsetOf(bh, ah)) {
        add(bh);
      }
    }
  }
  return out;
}

bool moreSpecificHost(std::string_view a, std::string_view b) {
  bool aw = isWildcardHost(a);
  bool bw = isWildcardHost(b);
  if (aw != bw) {
    return !aw;
  }
  if (a.size() != b.size()) {
    return a.size() > b.size();
  }
  return a < b;
}

std::optional<size_t> mostSpecificHostMatch(std::string_view needle,
                                            const std::vector<std::string>& hosts) {
  // Exact key first: a concrete needle looks among concrete hosts, a wildcard needle among
  // wildcard ones (the two maps of Istio's MostSpecificHostMatch).
  for (size_t i = 0; i < hosts.size(); ++i) {
    if (hosts[i] == needle) {
      return i;
    }
  }
  std::string_view suffix_of = isWildcardHost(needle) ? needle.substr(1) : needle;
  std::optional<size_t> best;
  for (size_t i = 0; i < hosts.size(); ++i) {
    const std::string& h = hosts[i];
    if (!isWildcardHost(h) || !suffix_of.ends_with(std::string_view(h).substr(1))) {
      continue;
    }
    if (!best || moreSpecificHost(h, hosts[*best])) {
      best = i;
    }
  }
  return best;
}

std::string outboundClusterName(uint32_t port, std::string_view subset, std::string_view host) {
  std::string out = "outbound|" + std::to_string(port) + "|";
  out += subset;
  out += "|";
  out += host;
  return out;
}

std::string dnsSrvClusterName(uint32_t port, std::string_view subset, std::string_view host) {
  std::string out = "outbound_." + std::to_string(port) + "_.";
  out += subset;
  out += "_.";
  out += host;
  return out;
}

NamespacedHost splitNamespacedHost(std::string_view server_host) {
  size_t slash = server_host.find('/');
  if (slash == std::string_view::npos) {
    return {"*", std::string(server_host)};
  }
  return {std::string(server_host.substr(0, slash)), std::string(server_host.substr(slash + 1))};
}

}  // namespace meshc::lower
