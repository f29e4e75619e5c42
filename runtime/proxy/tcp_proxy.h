// Envoy's tcp_proxy network filter (PROXY-SEMANTICS §15): one upstream connection per
// downstream connection, to the chain's cluster or one of its weighted clusters, bytes spliced
// both ways with half-close propagated, the idle timeout, and the access log line at close.
// Entry point: serveTcpProxy().
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <memory>
#include <string>

#include "proxy/connection.h"
#include "proxy/snapshot.h"

namespace meshc::proxy {

class Worker;

struct TcpProxyContext {
  std::string listener_name;
  std::string local_address;         // "ip:port" of the downstream connection's local end
  std::string original_destination;  // SO_ORIGINAL_DST "ip:port": ORIGINAL_DST's host
  std::string sni;                   // the TLS inspector's SNI (REQUESTED_SERVER_NAME)
};

/// Forwards `downstream` per `proxy` (a filter chain of `snapshot`, which the caller keeps
/// alive through the shared pointer passed here) until both directions are closed, an error,
/// the idle timeout, or the worker's drain timeout. Never throws.
boost::asio::awaitable<void> serveTcpProxy(Worker& worker, boost::asio::ip::tcp::socket downstream,
                                           std::shared_ptr<const Snapshot> snapshot,
                                           const xds::TcpProxy& proxy, TcpProxyContext context);
/// The same for a TLS-terminating chain (a Gateway TLS server with SIMPLE or MUTUAL and `tcp`
/// routes): the client's bytes after TLS go upstream in the clear.
boost::asio::awaitable<void> serveTcpProxy(Worker& worker, TlsStream downstream,
                                           std::shared_ptr<const Snapshot> snapshot,
                                           const xds::TcpProxy& proxy, TcpProxyContext context);

}  // namespace meshc::proxy
