// One downstream HTTP/1.1 connection: the connection manager and router for each request on it,
// in order (pipelining, R1.17), forwarding to an upstream from the worker's pool.
// Entry point: serveDownstream().
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <string>

namespace meshc::proxy {

class Worker;

/// What the accepting listener contributes to each request.
struct ListenerContext {
  std::string listener_name;
  int32_t route_config = -1;  // -1: sidecar explicit proxy (chosen per request by port)
  std::string local_address;  // "ip:port" the listener is bound to
  /// The filter chain's route configuration by name, and the snapshot generation
  /// `route_config` indexes: after a reload the name is looked up again.
  std::string rds_name;
  uint64_t generation = 0;
  /// "ip:port" the client connected to before iptables redirected it (SO_ORIGINAL_DST): where
  /// ORIGINAL_DST clusters (PassthroughCluster) send the request; "" = the authority's.
  std::string original_destination;
};

/// Serves `socket` until the client closes, an error, or drain. Never throws.
boost::asio::awaitable<void> serveDownstream(Worker& worker, boost::asio::ip::tcp::socket socket,
                                             ListenerContext listener);

}  // namespace meshc::proxy
