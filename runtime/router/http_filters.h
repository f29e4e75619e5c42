// The route-level HTTP filters Istio puts before the router, as pure decisions shared by meshproxy
// and tests: fault injection (PROXY-SEMANTICS section 8), CORS (section 10) and the gRPC form
// of a local reply (R3.20). No I/O; the proxy owns timers and sockets.
// Entry points: fractionFires(), classifyCors(), corsPreflightHeaders(), corsDecorateResponse(),
// grpcLocalReply().
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "http/header_map.h"
#include "xds/proxy_config.h"

namespace meshc::router {

class CompiledRouteActions;  // router/compiled_route_actions.h

// --- Fault injection (R8) ------------------------------------------------------------------------

/// R8.1/R8.3: one Bernoulli draw of a MILLION-denominator fraction: `random % 1e6 < numerator`.
/// 0 never fires; 1,000,000 (100 %) always does.
constexpr bool fractionFires(uint32_t per_million, uint64_t random) {
  return random % 1'000'000 < per_million;
}

// --- CORS (R10) ----------------------------------------------------------------------------------

/// What the CORS filter does with a request on a route that has a CORS policy (R10.2, R10.3).
struct CorsOutcome {
  enum class Kind {
    kNotCors,    // no (or an empty) Origin: the filter does nothing
    kActual,     // a CORS request that goes on to the router (also preflights it forwards)
    kPreflight,  // answered here with 200 and corsPreflightHeaders(), never forwarded
  };
  Kind kind = Kind::kNotCors;
  bool origin_allowed = false;  // decides response decoration (R10.4) and the preflight's origin
};

/// R10.2: whether an allow_origin matcher accepts `origin` or the literal "*". Regex matchers
/// use `compiled` (built with the configuration); without it, or for a policy it does not know,
/// the pattern is compiled here. A pattern RE2 refuses matches nothing.
bool corsOriginAllowed(const xds::CorsPolicy& policy, std::string_view origin,
                       const CompiledRouteActions* compiled = nullptr);

/// R10.2/R10.3: classifies a request (method and headers as the router sees them).
CorsOutcome classifyCors(const xds::CorsPolicy& policy, std::string_view method,
                         const http::HeaderMap& request_headers,
                         const CompiledRouteActions* compiled = nullptr);

/// R10.3: the access-control headers of a locally answered preflight, added to `response`.
/// `access-control-allow-origin` (the request's Origin verbatim) only when the origin is allowed;
/// a configured `*` for methods or headers echoes the request's Access-Control-Request-* value.
void corsPreflightHeaders(const xds::CorsPolicy& policy, const http::HeaderMap& request_headers,
                          bool origin_allowed, http::HeaderMap& response);

/// R10.4/R10.5: the decoration of any response to an actual CORS request whose origin is
/// allowed: sets allow-origin (`origin` verbatim, never "*"), allow-credentials when configured
/// and expose-headers when configured, overwriting upstream values.
void corsDecorateResponse(const xds::CorsPolicy& policy, std::string_view origin,
                          http::HeaderMap& response);

// --- gRPC local replies (R3.20) ------------------------------------------------------------------

/// Whether the request is gRPC as Envoy decides it: content-type exactly `application/grpc` or
/// starting `application/grpc+` (case-sensitive; `application/grpc-web` is not gRPC).
bool isGrpcRequest(const http::HeaderMap& request_headers);

/// R3.20: the gRPC status Envoy maps an HTTP status to (400→13, 401→16, 403→7, 404→12,
/// 429/502/503/504→14, otherwise 2).
uint32_t grpcStatusForHttp(uint32_t http_status);

/// The HTTP status Envoy maps a gRPC status to (Grpc::Utility::grpcToHttpStatus): 0→200,
/// 1→499, 3/9/11→400, 4→504, 5→404, 6/10→409, 7→403, 8→429, 12→501, 14→503, 16→401,
/// 2/13/15 and unknown codes→500.
uint32_t httpStatusForGrpc(uint32_t grpc_status);

/// grpc-message encoding: bytes outside printable ASCII (0x20–0x7e) and '%' become %XX.
std::string percentEncodeGrpcMessage(std::string_view message);

}  // namespace meshc::router
