// What happens between accept() and a filter chain (ISTIO-SEMANTICS §8.2, PROXY-SEMANTICS
// R14.2, R14.8, R15.1): the listener that takes the connection (a gateway's bound listener,
// or under sidecar capture the one for the SO_ORIGINAL_DST address), the listener filters'
// look at the first bytes (TLS and HTTP inspectors), the filter chain Envoy would choose
// (xds/listener_match.h, shared with `meshc simulate`), then the chain's network filter: the
// HTTP connection manager (connection.h) or tcp_proxy (tcp_proxy.h).
// Entry point: serveAccepted().
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <chrono>
#include <string>

namespace meshc::proxy {

class Worker;

/// The acceptor a connection arrived on.
struct AcceptedOn {
  std::string listener_name;  // gateways: the bundle listener's; sidecars "outbound_proxy"
  int32_t listener = -1;      // gateways: index into the bundle's listeners; -1: sidecar 15001
  std::string local_address;  // "ip:port" bound
};

/// How long the listener filters wait for the bytes they need (Envoy's default
/// listener_filters_timeout); the connection then goes on with what they know.
inline constexpr std::chrono::seconds kListenerFiltersTimeout{15};

/// Serves one accepted connection to its end. Never throws.
boost::asio::awaitable<void> serveAccepted(Worker& worker, boost::asio::ip::tcp::socket socket,
                                           AcceptedOn accepted);

}  // namespace meshc::proxy
