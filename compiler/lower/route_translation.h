// One VirtualService's HTTP, TLS and TCP routes translated to Envoy routes and TCP proxies for
// one proxy, gateway set and port (SEMANTICS 1.2-1.13, 3.1-3.8, 6.4-6.6, 7.1).
// Entry points: buildHttpRoutesForVirtualService(), destinationCluster(), buildTcpProxy().
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "frontend/model/model.h"
#include "lower/proxy_config.h"
#include "lower/vs_index.h"

namespace meshc::lower {

/// What the 3.8 service lookup found for a destination host.
struct DestinationService {
  std::string cluster_host;     // the host used in cluster names (ExternalName target for aliases)
  std::vector<uint32_t> ports;  // the ports the lookup table holds for it (single-port inference)
};

/// Looks a destination host (already FQDN) up; nullopt = no service known. The table differs by
/// proxy kind (sidecar HTTP: services on the listener port, trimmed to it; gateway HTTP: the
/// VS-namespace service else the visible one; TCP/TLS: the scope's full services), so callers
/// supply it.
using ServiceLookup = std::function<std::optional<DestinationService>(std::string_view host)>;

/// DestinationRule consistent hash for an HTTP destination (3.9 precedence already applied);
/// nullopt = none.
using HashLookup = std::function<std::optional<model::ConsistentHash>(const model::Destination&)>;

/// The static context routes are built in (3.1).
struct RouteContext {
  std::string proxy_namespace = "default";
  StringMap proxy_labels;
  /// `{mesh}` for sidecars, `{ns/name}` of the server's Gateway for gateways.
  std::vector<std::string> gateways;
  /// The port routes are built for: sidecar listener/service port; gateway `server.port.number`
  /// (not the translated target port). Used by match.port, FROM_REQUEST_PORT and 3.8 defaulting.
  uint32_t port = 0;
  /// The server terminates TLS (gateway HTTPS): default redirect scheme `https` (1.6).
  bool tls = false;
  /// Mesh `defaultHttpRetryPolicy`; nullopt = the built-in default (6.4).
  std::optional<model::HttpRetry> mesh_default_retry;
  ServiceLookup lookup;  // may be empty: no service known
  HashLookup hash;       // may be empty: no consistent hashing
};

// --- HTTP ----------------------------------------------------------------------------------------

/// SEMANTICS 3.1: the VS's routes for `ctx`: one route per surviving match entry (a rule with no
/// match list gives one prefix-`/` route), in order, stopping after the first catch-all. Empty
/// when every entry is filtered out (the VS "has no routes" on this port).
std::vector<Route> buildHttpRoutesForVirtualService(const IndexedVirtualService& vs,
                                                    const RouteContext& ctx);

/// One HTTP rule (vs.vs.http[rule]) with one of its matches (`match_index` -1 = no match list)
/// → Envoy route; nullopt when the static filters drop it (match.port, gateways or
/// sourceLabels+sourceNamespace; 1.3).
std::optional<Route> translateRoute(const IndexedVirtualService& vs, size_t rule,
                                    int32_t match_index, const RouteContext& ctx);

/// sourceMatchHTTP: match.gateways short-circuits sourceLabels/sourceNamespace (9.6).
bool httpMatchAppliesTo(const model::HttpMatchRequest& match, const RouteContext& ctx);

/// TranslateRouteMatch (3.3): path, headers sorted by name then :method/:authority/:scheme,
/// withoutHeaders inverted (3.4), query parameters (3.5), JWT claim keys (1.3).
/// `match` nullptr = the implicit prefix `/`.
RouteMatch translateRouteMatch(const model::HttpMatchRequest* match);

/// ConvertToEnvoyMatch for one StringMatch; nullopt for a presence match.
std::optional<StringMatcher> toStringMatcher(const model::StringMatch& match);

/// True when the StringMatch becomes a presence matcher (nil, `{}`, regex `*`).
bool isPresenceMatch(const std::optional<model::StringMatch>& match);

/// jwt.ToRoutingClaim: `@request.auth.claims.a.b` or `@request.auth.claims[a][b]` → {a, b};
/// nullopt for any other key (or a malformed claim key).
std::optional<std::vector<std::string>> parseJwtClaimKey(std::string_view header_key);

/// TranslateHeadersOperations (1.12): set ops (sorted by key), then add ops (sorted by key);
/// pseudo headers and `host` dropped; `authority` receives the host rewrite (`set` beats `add`).
HeaderMutations translateHeaderOperations(const model::Headers& headers, std::string* authority);

/// retry.ConvertPolicy (6.4): `in` nullopt = the built-in default; attempts <= 0 = no policy.
std::optional<RetryPolicy> convertRetryPolicy(const std::optional<model::HttpRetry>& in,
                                              bool consistent_hash);

/// TranslateFault (6.5); nullopt when both delay and abort are dropped.
std::optional<FaultPolicy> translateFault(const model::HttpFaultInjection& fault);

/// TranslateCORSPolicy (1.11).
CorsPolicy translateCorsPolicy(const model::CorsPolicy& cors);

/// ApplyRedirect (1.6): fills route.redirect, or sets action kNone for unsupported codes.
void applyRedirect(Route& route, const model::HttpRedirect& redirect, uint32_t port, bool tls);

/// GetDestinationCluster (3.8): explicit port, else the service's only port, else `listener_port`.
/// Empty host → `UnknownService`.
std::string destinationCluster(const model::Destination& dest, uint32_t listener_port,
                               const ServiceLookup& lookup);

/// IsCatchAllRoute (3.1): path prefix `/`, path-separated-prefix `/` or regex `.*`, and no
/// header, query or metadata matchers.
bool isCatchAllRoute(const Route& route);

/// SortVHostRoutes (4.3): catch-all routes moved to the end, relative order kept otherwise.
void sortVHostRoutes(std::vector<Route>& routes);

/// The route name of 1.2: `name`, or `name.matchName` when the match has a name.
std::string routeName(const model::HttpRoute& rule, const model::HttpMatchRequest* match);

// --- TCP / TLS -----------------------------------------------------------------------------------

/// Whether an L4 (TCP) match survives the static checks. Sidecar rules (`gateway_rules` false,
/// matchTCP): gateways (none listed = any) ∩ ctx.gateways, sourceLabels ⊆ proxy labels, port 0 or
/// ctx.port, sourceNamespace empty or the proxy's, all ANDed (7.1, 9.6). Gateway rules
/// (l4SingleMatch): only port and gateways (7.3). destinationSubnets are runtime and not checked
/// here.
bool l4MatchApplies(const model::L4MatchAttributes& match, const RouteContext& ctx,
                    bool gateway_rules);

/// Same for a TLS match (7.2, 7.3); sniHosts and destinationSubnets are runtime.
bool tlsMatchApplies(const model::TlsMatchAttributes& match, const RouteContext& ctx,
                     bool gateway_rules);

/// TCP/TLS route destinations → tcp_proxy (1.5, 7.1): one destination ⇒ plain cluster; several ⇒
/// weighted clusters with weight-0 entries dropped. Clusters via destinationCluster(ctx.port).
TcpProxy buildTcpProxy(const std::vector<model::RouteDestination>& route, const RouteContext& ctx,
                       RouteSource source);

/// RouteSource for an HTTP rule (position `rule` in vs.vs.http): ns/name, the root's spec.http
/// index, match index, delegate and location (the match entry's when it has one).
RouteSource makeRouteSource(const IndexedVirtualService& vs, size_t rule, int32_t match_index);

/// RouteSource for a TCP / TLS rule (rule_kind kTcp / kTls, index into spec.tcp / spec.tls).
RouteSource makeTcpRouteSource(const IndexedVirtualService& vs, size_t rule, int32_t match_index);
RouteSource makeTlsRouteSource(const IndexedVirtualService& vs, size_t rule, int32_t match_index);

}  // namespace meshc::lower
