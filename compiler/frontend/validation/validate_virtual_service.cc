// VirtualService webhook rules (ISTIO-VALIDATION.md A.4): delegation, hosts, gateways, TLS/TCP
// routes; HTTP routes and reachability live in their own files. Entry: validateVirtualService().
#include <string>
#include <string_view>
#include <vector>

#include "base/quote.h"
#include "frontend/validation/validate.h"
#include "frontend/validation/validate_common.h"
#include "frontend/validation/validate_vs_internal.h"

namespace meshc::frontend::validation {

namespace vs {

}  // namespace vs

namespace {

using vs::isSet;
using vs::seqSize;
using vs::textOf;

// The parts of a VirtualService every rule needs to know about.
struct VsContext {
  const Node* spec = nullptr;
  std::vector<std::string_view> hosts;
  bool applies_to_gateway = false;  // gateways set and none is "mesh"
  bool applies_to_mesh = true;      // gateways empty or one is "mesh"
  bool has_sni_hosts = false;       // some tls[].match[] has sniHosts (Istio's isSniHost)
};

// Auto-generated SNI names of AUTO_PASSTHROUGH gateways: outbound_.<port>_._.<hostname>.
std::string checkAutoSniDomain(std::string_view domain) {
  std::vector<std::string_view> parts;
  size_t start = 0;
  while (true) {
    size_t pos = domain.find('_', start);
    parts.push_back(domain.substr(start, pos == std::string_view::npos ? pos : pos - start));
    if (pos == std::string_view::npos) {
      break;
    }
    start = pos + 1;
  }
  const std::string kFormat = "outbound_.<PORT>_._.<HOSTNAME>";
  if (parts.size() < 4) {
    return "domain name " + quote(domain) + " is invalid; expected the format " + kFormat;
  }
  auto trimDots = [](std::string_view s) {
    while (!s.empty() && s.front() == '.') {
      s.remove_prefix(1);
    }
    while (!s.empty() && s.back() == '.') {
      s.remove_suffix(1);
    }
    return s;
  };
  std::string_view port = trimDots(parts[1]);
  std::string_view hostname = trimDots(parts[3]);
  if (parts[0] != "outbound") {
    return "domain name " + quote(domain) + " is invalid: label " + quote(parts[0]) +
           " is not \"outbound\"";
  }
  bool has_digit = false;
  for (char c : port) {
    has_digit = has_digit || (c >= '0' && c <= '9');
  }
  if (!has_digit) {
    return "domain name " + quote(domain) + " is invalid: port part " + quote(port) +
           " has no digit; expected the format " + kFormat;
  }
  bool has_letter = false;
  for (char c : hostname) {
    has_letter = has_letter || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
  }
  if (!has_letter) {
    return "domain name " + quote(domain) + " is invalid: host part " + quote(hostname) +
           " has no letter; expected the format " + kFormat;
  }
  return "";
}

// Istio's ValidateWildcardDomainForVirtualServiceBoundToGateway.
std::string checkGatewayBoundDomain(bool sni, std::string_view domain) {
  if (sni && domain.starts_with("outbound_") && !domain.empty() && domain.size() <= 255) {
    return checkAutoSniDomain(domain);
  }
  return checkWildcardDomain(domain);
}

void checkDelegate(const VsContext& ctx, Reporter& rep) {
  if (!ctx.hosts.empty()) {
    return;
  }
  if (const Node* gateways = ctx.spec->get("gateways"); seqSize(gateways) != 0) {
    rep.error("vs-delegate-gateways", gateways,
              "a delegate VirtualService (no hosts) must not set gateways; the root "
              "VirtualService decides which gateways apply");
  }
  if (const Node* tls = ctx.spec->get("tls"); seqSize(tls) != 0) {
    rep.error("vs-delegate-tls", tls,
              "a delegate VirtualService (no hosts) must not have tls routes; only http routes "
              "can be delegated");
  }
  if (const Node* tcp = ctx.spec->get("tcp"); seqSize(tcp) != 0) {
    rep.error("vs-delegate-tcp", tcp,
              "a delegate VirtualService (no hosts) must not have tcp routes; only http routes "
              "can be delegated");
  }
}

// V5: routing on JWT claims only works where a gateway authenticates the request.
void checkJwtClaimRoutes(const VsContext& ctx, Reporter& rep) {
  if (ctx.applies_to_gateway) {
    return;
  }
  const Node* http = ctx.spec->get("http");
  for (const Node* route : http != nullptr ? http->items() : std::span<const Node* const>()) {
    const Node* matches = route->get("match");
    for (const Node* m : matches != nullptr ? matches->items() : std::span<const Node* const>()) {
      for (std::string_view field : {"headers", "withoutHeaders"}) {
        const Node* headers = m->get(field);
        for (const MapEntry& e :
             headers != nullptr ? headers->entries() : std::span<const MapEntry>()) {
          if (isJwtClaimHeader(e.key)) {
            rep.emitAtKey("vs-jwt-claim-without-gateway", kIstSchemaError, Severity::kError, &e,
                          "routing on JWT claim " + quote(e.key) +
                              " is only supported for VirtualServices bound to a gateway; this "
                              "one applies to the mesh");
          }
        }
      }
    }
  }
}

void checkHosts(const VsContext& ctx, Reporter& rep) {
  const Node* hosts = ctx.spec->get("hosts");
  if (hosts == nullptr || !hosts->isSeq()) {
    return;
  }
  bool all_valid = true;
  for (const Node* item : hosts->items()) {
    std::string_view host = textOf(item);
    std::string reason = ctx.applies_to_gateway ? checkGatewayBoundDomain(ctx.has_sni_hosts, host)
                                                : checkWildcardDomain(host);
    if (!reason.empty()) {
      // Istio accepts any host that parses as an IP address.
      if (!isIpAddress(host)) {
        rep.error("vs-invalid-host", item, "invalid host: " + reason);
        all_valid = false;
      }
    } else if (ctx.applies_to_mesh && host == "*") {
      rep.error("vs-mesh-wildcard-host", item,
                "wildcard host \"*\" is not allowed for a VirtualService bound to the mesh; list "
                "the service hosts, or bind it to a gateway");
      all_valid = false;
    }
  }
  // Istio only looks for overlaps once every host is valid.
  if (!all_valid) {
    return;
  }
  std::span<const Node* const> items = hosts->items();
  for (size_t i = 0; i < items.size(); ++i) {
    for (size_t j = i + 1; j < items.size(); ++j) {
      std::string_view a = textOf(items[i]);
      std::string_view b = textOf(items[j]);
      if (hostMatches(a, b)) {
        rep.error("vs-duplicate-host", items[j],
                  "duplicate hosts in VirtualService: " + quote(a) + " and " + quote(b) +
                      " overlap; each host may appear once");
      }
    }
  }
}

void checkSniHost(const VsContext& ctx, const Node* item, Reporter& rep) {
  std::string_view sni = textOf(item);
  std::string reason =
      ctx.applies_to_gateway ? checkGatewayBoundDomain(true, sni) : checkWildcardDomain(sni);
  if (!reason.empty()) {
    if (isIpAddress(sni)) {
      rep.warning("vs-sni-host-is-ip", item,
                  "sniHosts entry " + quote(sni) +
                      " is an IP address; that goes against the SNI spec and most clients do not "
                      "send it");
      return;
    }
    rep.error("vs-invalid-sni-host", item, "invalid SNI host: " + reason);
    return;
  }
  for (std::string_view host : ctx.hosts) {
    if (hostSubsetOf(sni, host)) {
      return;
    }
  }
  std::string all;
  for (std::string_view host : ctx.hosts) {
    all += (all.empty() ? "" : ", ") + std::string(host);
  }
  rep.error("vs-sni-host-not-in-hosts", item,
            "sniHosts entry " + quote(sni) +
                " is not covered by any of the VirtualService hosts [" + all + "]");
}

// Shared by TLS and TCP matches: destinationSubnets, port, sourceLabels, gateways.
void checkL4Match(const Node* match, Reporter& rep, bool keep_gateway_warnings) {
  if (const Node* subnets = match->get("destinationSubnets"); subnets != nullptr) {
    for (const Node* s : subnets->items()) {
      if (!isIpOrCidr(textOf(s))) {
        rep.error(
            "vs-invalid-destination-subnet", s,
            "destination subnet " + quote(textOf(s)) + " is not a valid IP address or CIDR block");
      }
    }
  }
  if (const Node* port = match->get("port"); port != nullptr && port->isInt()) {
    int64_t n = port->intValue();
    if (n != 0 && !isValidPort(n)) {
      rep.error("vs-invalid-match-port", port,
                "match port " + std::to_string(n) + " is out of range; expected 1..65535");
    }
  }
  checkLabelMap(match->get("sourceLabels"), rep, "vs-invalid-source-labels");
  // Istio keeps the legacy-name warning for TLS matches but drops it for TCP matches (A.0).
  checkGatewayNamesSplitIds(match->get("gateways"), rep, "vs-invalid-gateway",
                            keep_gateway_warnings ? "vs-gateway-legacy-name" : "");
}

void checkTlsRoute(const VsContext& ctx, const Node* route, Reporter& rep) {
  const Node* matches = route->get("match");
  if (seqSize(matches) == 0) {
    rep.error("vs-tls-route-no-match", route,
              "a tls route must have at least one match condition with sniHosts");
  }
  for (const Node* m : matches != nullptr ? matches->items() : std::span<const Node* const>()) {
    if (!isSet(m) || !m->isMap()) {
      rep.error("vs-null-tls-match", m, "a tls match must not be null");
      continue;
    }
    const Node* sni = m->get("sniHosts");
    if (seqSize(sni) == 0) {
      rep.error("vs-tls-match-no-sni", isSet(sni) ? sni : m,
                "a tls match must have at least one SNI host in sniHosts");
    } else {
      for (const Node* item : sni->items()) {
        checkSniHost(ctx, item, rep);
      }
    }
    checkL4Match(m, rep, /*keep_gateway_warnings=*/true);
  }
  const Node* routes = route->get("route");
  if (seqSize(routes) == 0) {
    rep.error("vs-tls-route-no-destinations", isSet(routes) ? routes : route,
              "a tls route needs at least one route destination");
  }
  vs::validateRouteDestinations(routes, /*with_headers=*/false, rep);
}

void checkTcpRoute(const Node* route, Reporter& rep) {
  const Node* matches = route->get("match");
  for (const Node* m : matches != nullptr ? matches->items() : std::span<const Node* const>()) {
    if (!isSet(m) || !m->isMap()) {
      rep.error("vs-null-tcp-match", m, "a tcp match must not be null");
      continue;
    }
    checkL4Match(m, rep, /*keep_gateway_warnings=*/false);
  }
  const Node* routes = route->get("route");
  if (seqSize(routes) == 0) {
    rep.error("vs-tcp-route-no-destinations", isSet(routes) ? routes : route,
              "a tcp route needs at least one route destination");
  }
  vs::validateRouteDestinations(routes, /*with_headers=*/false, rep);
}

VsContext buildContext(const Node* spec) {
  VsContext ctx;
  ctx.spec = spec;
  if (const Node* hosts = spec->get("hosts"); hosts != nullptr) {
    for (const Node* h : hosts->items()) {
      ctx.hosts.push_back(textOf(h));
    }
  }
  const Node* gateways = spec->get("gateways");
  if (seqSize(gateways) != 0) {
    bool has_mesh = false;
    for (const Node* g : gateways->items()) {
      has_mesh = has_mesh || textOf(g) == "mesh";
    }
    ctx.applies_to_gateway = !has_mesh;
    ctx.applies_to_mesh = has_mesh;
  }
  if (const Node* tls = spec->get("tls"); tls != nullptr) {
    for (const Node* route : tls->items()) {
      const Node* matches = route->get("match");
      for (const Node* m : matches != nullptr ? matches->items() : std::span<const Node* const>()) {
        ctx.has_sni_hosts = ctx.has_sni_hosts || seqSize(m->get("sniHosts")) != 0;
      }
    }
  }
  return ctx;
}

}  // namespace

// Istio's gateway-API "route semantics" annotation is ignored: only Istio itself sets it, and
// istioctl analyze validates without annotations, so it never applies to user files.
void validateVirtualService(const Resource& r, Reporter& rep) {
  static const Node kEmpty{};  // a null node: get() on it finds nothing
  const Node* spec = r.spec != nullptr && r.spec->isMap() ? r.spec : &kEmpty;
  VsContext ctx = buildContext(spec);

  checkDelegate(ctx, rep);
  checkGatewayNamesSplitIds(spec->get("gateways"), rep, "vs-invalid-gateway",
                            "vs-gateway-legacy-name");
  checkJwtClaimRoutes(ctx, rep);
  checkHosts(ctx, rep);

  const Node* http = spec->get("http");
  const Node* tls = spec->get("tls");
  const Node* tcp = spec->get("tcp");
  if (seqSize(http) == 0 && seqSize(tls) == 0 && seqSize(tcp) == 0) {
    rep.error("vs-no-routes", spec == &kEmpty ? nullptr : spec,
              "a VirtualService must have at least one http, tcp or tls route");
  }
  vs::HttpRouteKind delegate_kind =
      ctx.hosts.empty() ? vs::HttpRouteKind::kDelegate : vs::HttpRouteKind::kIndependent;
  for (const Node* route : http != nullptr ? http->items() : std::span<const Node* const>()) {
    if (!isSet(route) || !route->isMap()) {
      rep.error("vs-null-http-route", route, "an http route must not be null");
      continue;
    }
    vs::HttpRouteKind kind = delegate_kind;
    if (kind != vs::HttpRouteKind::kDelegate && isSet(route->get("delegate"))) {
      kind = vs::HttpRouteKind::kRoot;
    }
    vs::validateHttpRoute(route, kind, rep);
  }
  // Null tls[]/tcp[] entries are accepted silently by Istio (unlike http[]).
  for (const Node* route : tls != nullptr ? tls->items() : std::span<const Node* const>()) {
    if (isSet(route) && route->isMap()) {
      checkTlsRoute(ctx, route, rep);
    }
  }
  for (const Node* route : tcp != nullptr ? tcp->items() : std::span<const Node* const>()) {
    if (isSet(route) && route->isMap()) {
      checkTcpRoute(route, rep);
    }
  }
  checkExportTo(spec->get("exportTo"), /*is_service_entry=*/false, rep, "vs-invalid-export-to");

  vs::analyzeUnreachableRules(http, vs::RuleListKind::kHttp, rep);
  vs::analyzeUnreachableRules(tcp, vs::RuleListKind::kTcp, rep);
  vs::analyzeUnreachableRules(tls, vs::RuleListKind::kTls, rep);
}

}  // namespace meshc::frontend::validation
