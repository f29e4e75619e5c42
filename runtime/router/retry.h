// Envoy's retry and timeout decisions for a route (PROXY-SEMANTICS §6, §7), as pure functions
// the proxy calls at each decision point: which `retryOn` tokens a reset or a response
// matches, the jittered back-off, and the expected-timeout header. No I/O, no clocks.
// Entry points: parseRetryOn(), retryOnReset(), retryOnResponse(), backoffMs(),
// expectedTimeoutMs().
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

#include "http/header_map.h"

namespace meshc::router {

/// `retry_on` tokens (R7.3), as bits.
enum RetryOnBit : uint32_t {
  kRetry5xx = 1u << 0,
  kRetryGatewayError = 1u << 1,
  kRetryReset = 1u << 2,
  kRetryResetBeforeRequest = 1u << 3,
  kRetryConnectFailure = 1u << 4,
  kRetryRefusedStream = 1u << 5,
  kRetryRetriable4xx = 1u << 6,
  kRetryRetriableStatusCodes = 1u << 7,
  kRetryRetriableHeaders = 1u << 8,
  kRetryEnvoyRateLimited = 1u << 9,
  kRetryGrpcCancelled = 1u << 10,
  kRetryGrpcDeadlineExceeded = 1u << 11,
  kRetryGrpcInternal = 1u << 12,
  kRetryGrpcResourceExhausted = 1u << 13,
  kRetryGrpcUnavailable = 1u << 14,
};

/// The bits of a comma-separated `retry_on` string; unknown tokens are ignored, as Envoy
/// ignores them (R7.2). Surrounding spaces are trimmed.
uint32_t parseRetryOn(std::string_view retry_on);

/// Why an attempt ended before response headers (R7.3's reset column, R11.1's reasons).
enum class UpstreamReset {
  kConnectFailure,         // refused / unreachable: "remote connection failure", UF
  kConnectTimeout,         // "connection timeout", UF
  kConnectionTermination,  // closed before response headers: UC
  kProtocolError,          // malformed response: UPE
  kPerTryTimeout,          // the per-try timer reset the attempt (a local reset, R6.4)
  kOverflow,               // circuit breaker: never retried (R7.5)
};

/// R7.3: whether `retry_on` retries a reset. `request_sent`: whether any byte of the request
/// went upstream (reset-before-request retries only when none did).
bool retryOnReset(uint32_t retry_on, UpstreamReset reset, bool request_sent);

/// R7.3: whether `retry_on` retries a response with these headers (status and, for the gRPC
/// tokens, a `grpc-status` in the headers). A response carrying `x-envoy-ratelimited` is
/// retried only by `envoy-ratelimited`. Istio configures no retriable headers, so
/// `retriable-headers` never matches.
bool retryOnResponse(uint32_t retry_on, const std::vector<uint32_t>& retriable_status_codes,
                     uint32_t status, const http::HeaderMap& response_headers);

/// R7.7: the k-th retry's (k = 1, 2, ...) full-jitter wait: `random % min(base·2^(k−1), 10·base)`
/// milliseconds. `base_ms` 0 is taken as Envoy's 25 ms default.
uint64_t backoffMs(uint64_t base_ms, uint32_t retry_number, uint64_t random);

/// R2.10/R7.10: `x-envoy-expected-rq-timeout-ms` for an attempt `elapsed_ms` after the route
/// timer started: the per-try timeout (when set and below the route's) else the route timeout,
/// capped by what remains of the route timeout (at least 1); 0 when there is none (no header).
int64_t expectedTimeoutMs(int64_t route_ms, int64_t per_try_ms, int64_t elapsed_ms);

}  // namespace meshc::router
