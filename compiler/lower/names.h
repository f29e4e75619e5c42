// Names as Istio resolves them when lowering: short-name expansion, gateway references, host
// algebra and cluster names (SEMANTICS 2.1-2.3, 3.8). Entry points: resolveShortName(),
// resolveGatewayName(), hostIntersection(), mostSpecificHostMatch(), outboundClusterName().
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace meshc::lower {

inline constexpr std::string_view kMeshGateway = "mesh";

/// SEMANTICS 2.1 (ResolveShortnameToFQDN): `*`, IPs and names containing any dot are returned
/// unchanged; a dot-free name becomes `name.<ns>.svc.<domain>` (`name.<ns>` when domain is empty).
std::string resolveShortName(std::string_view host, std::string_view config_namespace,
                             std::string_view domain_suffix);

/// SEMANTICS 2.2 (resolveGatewayName): `mesh` unchanged; `ns/name` unchanged; `./name` and bare
/// `name` → `<config_ns>/name`; legacy `name.ns[.anything]` → `ns/name`.
std::string resolveGatewayName(std::string_view gateway, std::string_view config_namespace);

/// True when the host is a wildcard (its first character is `*`, SEMANTICS 2.3).
bool isWildcardHost(std::string_view host);

/// host.Name.Matches: symmetric overlap (SEMANTICS 2.3).
bool hostsOverlap(std::string_view a, std::string_view b);

/// host.Name.SubsetOf: every name `a` matches is matched by `b` (SEMANTICS 2.3).
bool hostIsSubsetOf(std::string_view a, std::string_view b);

/// host.Names.Intersection: for every pair, the side that is a subset of the other is kept,
/// deduplicated, in the order found (a-major). Server `*.x.com` ∩ VS `a.x.com` = `a.x.com`.
std::vector<std::string> hostIntersection(const std::vector<std::string>& a,
                                          const std::vector<std::string>& b);

/// The MoreSpecific ordering: non-wildcards before wildcards, then longer first, then lexical.
bool moreSpecificHost(std::string_view a, std::string_view b);

/// MostSpecificHostMatch: the index of the exact entry equal to `needle`, else of the longest
/// wildcard entry covering it (first one on ties); nullopt when none matches.
std::optional<size_t> mostSpecificHostMatch(std::string_view needle,
                                            const std::vector<std::string>& hosts);

/// `outbound|PORT|SUBSET|HOST` (BuildSubsetKey, SEMANTICS 3.8).
std::string outboundClusterName(uint32_t port, std::string_view subset, std::string_view host);

/// `outbound_.PORT_.SUBSET_.HOST` (BuildDNSSrvSubsetKey; AUTO_PASSTHROUGH SNI, SEMANTICS 7.3).
std::string dnsSrvClusterName(uint32_t port, std::string_view subset, std::string_view host);

/// Splits a Gateway server host `ns/host` (missing namespace = `*`) into its parts.
struct NamespacedHost {
  std::string name_space;  // `*`, `.`, or a namespace name
  std::string host;
};
NamespacedHost splitNamespacedHost(std::string_view server_host);

}  // namespace meshc::lower
