// Retry decisions (PROXY-SEMANTICS R6.4, R7.2–R7.7, R7.10).
#include "router/retry.h"

#include <algorithm>
#include <charconv>
#include <optional>

#include "base/ascii.h"

namespace meshc::router {
namespace {

struct Token {
  std::string_view name;
  uint32_t bit;
};

constexpr Token kTokens[] = {
    {"5xx", kRetry5xx},
    {"gateway-error", kRetryGatewayError},
    {"reset", kRetryReset},
    {"reset-before-request", kRetryResetBeforeRequest},
    {"connect-failure", kRetryConnectFailure},
    {"refused-stream", kRetryRefusedStream},
    {"retriable-4xx", kRetryRetriable4xx},
    {"retriable-status-codes", kRetryRetriableStatusCodes},
    {"retriable-headers", kRetryRetriableHeaders},
    {"envoy-ratelimited", kRetryEnvoyRateLimited},
    {"cancelled", kRetryGrpcCancelled},
    {"deadline-exceeded", kRetryGrpcDeadlineExceeded},
    {"internal", kRetryGrpcInternal},
    {"resource-exhausted", kRetryGrpcResourceExhausted},
    {"unavailable", kRetryGrpcUnavailable},
};

}  // namespace

uint32_t parseRetryOn(std::string_view retry_on) {
  uint32_t bits = 0;
  while (true) {
    size_t comma = retry_on.find(',');
    std::string_view token = ascii::trimOws(retry_on.substr(0, comma));
    for (const Token& t : kTokens) {
      if (t.name == token) {
        bits |= t.bit;
      }
    }
    if (comma == std::string_view::npos) {
      break;
    }
    retry_on.remove_prefix(comma + 1);
  }
  return bits;
}

bool retryOnReset(uint32_t on, UpstreamReset reset, bool request_sent) {
  if (reset == UpstreamReset::kOverflow) {
    return false;  // R7.5
  }
  if (on & (kRetry5xx | kRetryGatewayError | kRetryReset)) {
    return true;
  }
  if ((on & kRetryResetBeforeRequest) && !request_sent) {
    return true;
  }
  if ((on & kRetryConnectFailure) && (reset == UpstreamReset::kConnectFailure ||
                                      reset == UpstreamReset::kConnectTimeout)) {
    return true;  // R6.8: a connect timeout is a connection failure
  }
  return false;
}

bool retryOnResponse(uint32_t on, const std::vector<uint32_t>& codes, uint32_t status,
                     const http::HeaderMap& headers) {
  if (headers.has("x-envoy-ratelimited")) {
    return (on & kRetryEnvoyRateLimited) != 0;
  }
  if ((on & kRetry5xx) && status >= 500 && status <= 599) {
    return true;
  }
  if ((on & kRetryGatewayError) && (status == 502 || status == 503 || status == 504)) {
    return true;
  }
  if ((on & kRetryRetriable4xx) && status == 409) {
    return true;
  }
  if ((on & kRetryRetriableStatusCodes) &&
      std::find(codes.begin(), codes.end(), status) != codes.end()) {
    return true;
  }
  constexpr uint32_t kGrpcBits = kRetryGrpcCancelled | kRetryGrpcDeadlineExceeded |
                                 kRetryGrpcInternal | kRetryGrpcResourceExhausted |
                                 kRetryGrpcUnavailable;
  if (on & kGrpcBits) {
    std::optional<std::string_view> grpc = headers.get("grpc-status");
    uint32_t code = 0;
    if (grpc && !grpc->empty()) {
      auto [end, ec] = std::from_chars(grpc->data(), grpc->data() + grpc->size(), code);
      if (ec == std::errc() && end == grpc->data() + grpc->size()) {
        if (((on & kRetryGrpcCancelled) && code == 1) ||
            ((on & kRetryGrpcDeadlineExceeded) && code == 4) ||
            ((on & kRetryGrpcResourceExhausted) && code == 8) ||
            ((on & kRetryGrpcInternal) && code == 13) ||
            ((on & kRetryGrpcUnavailable) && code == 14)) {
          return true;
        }
      }
    }
  }
  return false;
}

uint64_t backoffMs(uint64_t base_ms, uint32_t retry_number, uint64_t random) {
  if (base_ms == 0) {
    base_ms = 25;
  }
  const uint64_t cap = base_ms * 10;
  uint64_t interval = base_ms;
  for (uint32_t k = 1; k < retry_number && interval < cap; ++k) {
    interval = interval > cap / 2 ? cap : interval * 2;
  }
  return random % std::min(interval, cap);
}

int64_t expectedTimeoutMs(int64_t route_ms, int64_t per_try_ms, int64_t elapsed_ms) {
  if (route_ms > 0 && per_try_ms >= route_ms) {
    per_try_ms = 0;  // R6.4: ignored when not below the route timeout
  }
  int64_t expected = per_try_ms > 0 ? per_try_ms : route_ms;
  if (expected <= 0) {
    return 0;
  }
  if (route_ms > 0) {
    expected = elapsed_ms >= route_ms ? 1 : std::min(expected, route_ms - elapsed_ms);
  }
  return expected;
}

}  // namespace meshc::router
