// Which listener and filter chain take a connection, as Envoy picks them (ISTIO-SEMANTICS §8.2
// steps 1 and 3; PROXY-SEMANTICS R14.2, R15.1). Shared by `meshc simulate` and meshproxy, so the
// simulator's answer is the proxy's. Entry points: selectListener(), selectFilterChain().
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "xds/proxy_config.h"

namespace meshc::xds {

/// What the listener knows about a new connection when it picks a filter chain: where it was
/// going (the original destination under capture), and what the listener filters read from its
/// first bytes (TLS inspector: SNI, ALPN; HTTP inspector: "http/1.1" for plaintext HTTP/1.x).
struct ConnectionFacts {
  uint32_t destination_port = 0;
  std::string_view destination_address;  // IP literal; "" when unknown
  bool tls = false;                      // a ClientHello came first: transport "tls"
  std::string_view sni;                  // "" when none was sent
  std::vector<std::string_view> alpn;    // offered by the client (or the HTTP inspector's guess)
};

/// The listener that takes a connection to `address`:`port`: the one bound to exactly that
/// address, else the wildcard one on the port, else (gateways) the one whose Gateway server port
/// is `port` (Service port → targetPort translation), else (sidecars) the original-destination
/// listener (virtualOutbound). nullptr when none.
const Listener* selectListener(const ProxyConfig& config, std::string_view address,
                               uint32_t port);

struct FilterChainChoice {
  const FilterChain* chain = nullptr;  // nullptr: no chain matches and there is no default
  bool is_default = false;             // the listener's default_filter_chain took it
  bool ambiguous = false;  // several chains tie: Envoy would refuse the listener; first taken
};

/// Envoy's filter-chain match as a sieve over the match fields in precedence order:
/// destination_port, prefix_ranges (longest containing prefix), server_names (exact, then the
/// longest wildcard suffix), transport_protocol, application_protocols. At each field: if no
/// remaining chain sets it, skip; else keep the best-ranked matching chains, or when none match
/// the chains that do not set it. Nothing left → the default chain.
FilterChainChoice selectFilterChain(const Listener& listener, const ConnectionFacts& facts);

/// True when a chain of `listener` matches on something only the TLS inspector can tell
/// (server_names, transport_protocol "tls", application_protocols other than the HTTP
/// inspector's): meshproxy then reads the ClientHello before choosing (R14.2, R14.8).
bool needsTlsInspection(const Listener& listener);
/// True when a chain matches on the HTTP inspector's ALPN guess ("http/1.1", "h2c").
bool needsHttpInspection(const Listener& listener);

/// Prefix length of `cidr` ("10.0.0.0/8", "fd00::/8", or a bare address) when it contains
/// `address`, else -1. IPv4 and IPv6; an unparsable side never matches.
int cidrMatch(std::string_view cidr, std::string_view address);

/// R14.2 rank of `sni` against a chain's server names: exact beats any wildcard; among
/// wildcards ("*.b.example.com") the longest suffix wins; -1 = no match.
int serverNameRank(const std::vector<std::string>& names, std::string_view sni);

}  // namespace meshc::xds
