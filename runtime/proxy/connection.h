// One downstream HTTP/1.1 connection: the connection manager and router for each request on it,
// in order (pipelining, R1.17), forwarding to an upstream from the worker's pool.
// Entry point: serveDownstream().
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/stream.hpp>
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
  bool tls = false;  // TLS terminated here (x-forwarded-proto https, R2.4)
  std::string sni;   // the ClientHello's server name (REQUESTED_SERVER_NAME, R11.20)
};

/// A downstream connection with TLS terminated by meshproxy (R14.1).
using TlsStream = boost::asio::ssl::stream<boost::asio::ip::tcp::socket>;

/// The TCP socket under a downstream stream (for addresses, cancel, shutdown and close).
inline boost::asio::ip::tcp::socket& lowestLayer(boost::asio::ip::tcp::socket& s) { return s; }
inline boost::asio::ip::tcp::socket& lowestLayer(TlsStream& s) { return s.next_layer(); }

/// Serves `socket` until the client closes, an error, or drain. Never throws.
boost::asio::awaitable<void> serveDownstream(Worker& worker, boost::asio::ip::tcp::socket socket,
                                             ListenerContext listener);
/// The same over a TLS stream whose handshake is done.
boost::asio::awaitable<void> serveDownstream(Worker& worker, TlsStream stream,
                                             ListenerContext listener);

}  // namespace meshc::proxy
