// Connecting to an upstream host, shared by the HTTP router (connection.cc) and the TCP proxy
// (tcp_proxy.cc): the connect timeout (R6.8, R12.1), the failure as Envoy names it (R11.4),
// and the host, cluster and gauge counters. Entry points: connectUpstream(), AttemptFailure.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <optional>
#include <string>

#include "proxy/worker.h"
#include "router/retry.h"

namespace meshc::proxy {

/// How an upstream attempt ended before response headers (R7.3, R11.1).
struct AttemptFailure {
  router::UpstreamReset reset = router::UpstreamReset::kConnectionTermination;
  std::string reason;     // Envoy's reset reason text ("connection termination", ...)
  std::string transport;  // transport failure reason, "" when none
  bool request_sent = false;
  uint32_t status = 0;  // protocol errors: the codec's answer (R13.7); 0 = by reason
};

inline AttemptFailure attemptFailure(router::UpstreamReset reset, std::string reason,
                                     std::string transport = {}) {
  AttemptFailure f;
  f.reset = reset;
  f.reason = std::move(reason);
  f.transport = std::move(transport);
  return f;
}

/// "ip:port", IPv6 in brackets.
std::string endpointText(const tcp::endpoint& ep);

/// Connects `socket` to `host` within the connect timeout (R6.8); the failure when it does not
/// (R11.4: the socket is closed then). Counts the connection in the host's and cluster's
/// counters and the active gauge.
boost::asio::awaitable<std::optional<AttemptFailure>> connectUpstream(Worker& worker,
                                                                      const ClusterState& cluster,
                                                                      UpstreamHost& host,
                                                                      ClusterCounters& counters,
                                                                      tcp::socket& socket);

}  // namespace meshc::proxy
