// The HTTP connection manager's per-request header work, before routing: request target and
// Host (R1.9–R1.11), hop-by-hop and x-envoy-* sanitising (R1.8, R2.1, R2.2), x-forwarded-for /
// -proto (R2.4–R2.6), x-request-id (R2.8), and the response side (R1.21, R2.16). Pure functions
// over http::HeaderMap so they are tested without sockets. Entry points: prepareRequest(),
// prepareResponseHeaders(), LocalReply.
#pragma once

#include <cstdint>
#include <ctime>
#include <optional>
#include <random>
#include <string>
#include <string_view>

#include "http/header_map.h"

namespace meshc::proxy {

/// A response Envoy generates itself (PROXY-SEMANTICS §11.1).
struct LocalReply {
  uint32_t status = 0;
  std::string body;
  std::string_view flags = "-";    // R11.18 short codes ("NR", "UH", ...)
  std::string details;             // RESPONSE_CODE_DETAILS
  bool close_connection = false;   // R1.4: codec errors close after the write
  /// R8.5: an explicit grpc-status for a gRPC request (fault aborts); otherwise R3.20 maps
  /// `status`.
  std::optional<uint32_t> grpc_status;
  /// Headers a filter encodes itself (a CORS preflight answer, R10.3): not a local reply in
  /// Envoy's sense, so never put in gRPC form.
  bool filter_encoded = false;
};

/// What the connection manager knows about the downstream connection and the listener.
struct DownstreamInfo {
  bool gateway = false;              // GW: use_remote_address=true; sidecar outbound: false
  bool tls = false;                  // TLS on the downstream connection (issue 11)
  std::string_view remote_ip;        // TCP peer
  std::string_view node_ip;          // appended to XFF for loopback peers (R2.4)
  uint32_t num_trusted_proxies = 0;  // gatewayTopology.numTrustedProxies
};

/// The request after the connection manager: what routing and the router see.
struct PreparedRequest {
  bool upgrade_websocket = false;  // R1.19: Upgrade: websocket kept with Connection
  bool other_upgrade = false;      // R1.19: an upgrade token other than websocket/h2c → 403
  bool connection_close = false;   // the client asked for Connection: close (R1.16)
  std::string client_ip;           // R2.4/R2.5: the "real client" for logs and source-IP hashing
};

/// Builds `request` (method, scheme, authority, path with query, headers without host) from a
/// parsed head and applies R1.8–R1.13, R2.1–R2.8. Returns the local reply to send instead when
/// the request must be refused. `random` draws the request id.
std::optional<LocalReply> prepareRequest(std::string_view method, std::string_view target,
                                         unsigned version, http::HeaderMap&& headers,
                                         const DownstreamInfo& downstream, std::mt19937_64& random,
                                         http::ProxyRequest& request, PreparedRequest& prepared);

/// R2.16 + R1.21 on an upstream response's headers: hop-by-hop removed, `server` overwritten,
/// `date` added when absent. `keep_alive` is set false when the upstream asked to close.
void prepareResponseHeaders(http::HeaderMap& headers, std::string_view server_name,
                            std::string_view date, bool upgrade_response, bool* upstream_close);

/// RFC 1123 date as Envoy writes it (R1.21), for `now`.
std::string httpDate(std::time_t now);

/// A fresh UUIDv4 in 8-4-4-4-12 lower-case hex (R2.8).
std::string uuid4(std::mt19937_64& random);

}  // namespace meshc::proxy
