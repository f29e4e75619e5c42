// Retry decisions (PROXY-SEMANTICS R7.3's table, R6.4, R6.8, R7.5, R7.7, R2.10/R7.10). The
// expected values are the rules' statements, token by token.
#include <catch2/catch.hpp>
#include <cstdint>
#include <string>
#include <vector>

#include "router/retry.h"

namespace meshc::router {
namespace {

http::HeaderMap responseHeaders(std::initializer_list<std::pair<std::string, std::string>> hs) {
  http::HeaderMap h(http::HeaderMap::Side::kResponse);
  for (const auto& [k, v] : hs) {
    h.addRaw(k, v);
  }
  return h;
}

TEST_CASE("retryOn parsing: Istio's default string, spaces, unknown tokens ignored (R7.1, R7.2)",
          "[router][retry]") {
  CHECK(parseRetryOn("connect-failure,refused-stream,unavailable,cancelled,retriable-status-codes") ==
        (kRetryConnectFailure | kRetryRefusedStream | kRetryGrpcUnavailable | kRetryGrpcCancelled |
         kRetryRetriableStatusCodes));
  CHECK(parseRetryOn(" 5xx , gateway-error,bogus,,reset") ==
        (kRetry5xx | kRetryGatewayError | kRetryReset));
  CHECK(parseRetryOn("") == 0);
  CHECK(parseRetryOn("http3-post-connect-failure") == 0);  // HTTP/3 only: nothing here
  CHECK(parseRetryOn("deadline-exceeded,internal,resource-exhausted,retriable-4xx,"
                     "retriable-headers,envoy-ratelimited,reset-before-request") ==
        (kRetryGrpcDeadlineExceeded | kRetryGrpcInternal | kRetryGrpcResourceExhausted |
         kRetryRetriable4xx | kRetryRetriableHeaders | kRetryEnvoyRateLimited |
         kRetryResetBeforeRequest));
}

TEST_CASE("resets: which tokens retry which reset (R7.3 reset column, R6.4, R6.8, R7.5)",
          "[router][retry]") {
  using R = UpstreamReset;
  const std::vector<R> all = {R::kConnectFailure, R::kConnectTimeout, R::kConnectionTermination,
                              R::kProtocolError, R::kPerTryTimeout};
  for (uint32_t any : {kRetry5xx, kRetryGatewayError, kRetryReset}) {
    for (R r : all) {
      CHECK(retryOnReset(any, r, true));
    }
    CHECK_FALSE(retryOnReset(any, R::kOverflow, false));  // R7.5: never
  }
  CHECK(retryOnReset(kRetryConnectFailure, R::kConnectFailure, false));
  CHECK(retryOnReset(kRetryConnectFailure, R::kConnectTimeout, false));
  CHECK_FALSE(retryOnReset(kRetryConnectFailure, R::kConnectionTermination, true));
  CHECK_FALSE(retryOnReset(kRetryConnectFailure, R::kPerTryTimeout, true));
  CHECK(retryOnReset(kRetryResetBeforeRequest, R::kConnectFailure, false));
  CHECK(retryOnReset(kRetryResetBeforeRequest, R::kConnectionTermination, false));
  CHECK_FALSE(retryOnReset(kRetryResetBeforeRequest, R::kConnectionTermination, true));
  for (uint32_t none : {kRetryRefusedStream, kRetryRetriable4xx, kRetryRetriableStatusCodes,
                        kRetryRetriableHeaders, kRetryEnvoyRateLimited, kRetryGrpcUnavailable}) {
    for (R r : all) {
      CHECK_FALSE(retryOnReset(none, r, true));
    }
  }
}

TEST_CASE("responses: which tokens retry which status or grpc-status (R7.3 headers column)",
          "[router][retry]") {
  const http::HeaderMap none = responseHeaders({});
  const std::vector<uint32_t> no_codes;
  auto retries = [&](uint32_t on, uint32_t status) {
    return retryOnResponse(on, no_codes, status, none);
  };
  for (uint32_t s = 500; s <= 599; ++s) {
    CHECK(retries(kRetry5xx, s));
  }
  CHECK_FALSE(retries(kRetry5xx, 499));
  CHECK_FALSE(retries(kRetry5xx, 600));
  CHECK(retries(kRetryGatewayError, 502));
  CHECK(retries(kRetryGatewayError, 503));
  CHECK(retries(kRetryGatewayError, 504));
  CHECK_FALSE(retries(kRetryGatewayError, 500));
  CHECK_FALSE(retries(kRetryGatewayError, 505));
  CHECK(retries(kRetryRetriable4xx, 409));
  CHECK_FALSE(retries(kRetryRetriable4xx, 408));
  CHECK_FALSE(retries(kRetryRetriable4xx, 429));
  CHECK_FALSE(retries(kRetryReset | kRetryConnectFailure | kRetryRefusedStream |
                          kRetryResetBeforeRequest | kRetryRetriableHeaders,
                      503));
  // retriable-status-codes: the route's list only, and only with the token.
  CHECK(retryOnResponse(kRetryRetriableStatusCodes, {429, 418}, 418, none));
  CHECK_FALSE(retryOnResponse(kRetryRetriableStatusCodes, {429}, 503, none));
  CHECK_FALSE(retryOnResponse(kRetryRetriableStatusCodes, {}, 503, none));  // Istio's default
  CHECK_FALSE(retryOnResponse(kRetry5xx, {418}, 418, none));

  SECTION("gRPC tokens read grpc-status from the response headers") {
    const std::vector<std::pair<uint32_t, std::string>> tokens = {
        {kRetryGrpcCancelled, "1"},
        {kRetryGrpcDeadlineExceeded, "4"},
        {kRetryGrpcResourceExhausted, "8"},
        {kRetryGrpcInternal, "13"},
        {kRetryGrpcUnavailable, "14"}};
    for (const auto& [bit, code] : tokens) {
      INFO(code);
      for (const auto& [other_bit, other_code] : tokens) {
        http::HeaderMap h = responseHeaders({{"grpc-status", other_code}});
        CHECK(retryOnResponse(bit, no_codes, 200, h) == (other_code == code));
      }
    }
    CHECK_FALSE(retryOnResponse(kRetryGrpcUnavailable, no_codes, 200,
                                responseHeaders({{"grpc-status", "14x"}})));
    CHECK_FALSE(retryOnResponse(kRetryGrpcUnavailable, no_codes, 503, none));
  }

  SECTION("x-envoy-ratelimited responses are retried by envoy-ratelimited only") {
    http::HeaderMap limited = responseHeaders({{"x-envoy-ratelimited", "true"}});
    CHECK(retryOnResponse(kRetryEnvoyRateLimited, no_codes, 429, limited));
    CHECK_FALSE(retryOnResponse(kRetry5xx | kRetryGatewayError, no_codes, 503, limited));
    CHECK_FALSE(retryOnResponse(kRetryRetriableStatusCodes, {429}, 429, limited));
    CHECK_FALSE(retryOnResponse(kRetryEnvoyRateLimited, no_codes, 429, none));
  }
}

TEST_CASE("back-off: full jitter below min(base·2^(k−1), 10·base) (R7.7)", "[router][retry]") {
  // The k-th retry's bound with the 25 ms default: 25, 50, 100, 200, then capped at 250.
  const std::vector<uint64_t> bounds = {25, 50, 100, 200, 250, 250, 250};
  for (size_t k = 1; k <= bounds.size(); ++k) {
    INFO("retry " << k);
    uint64_t bound = bounds[k - 1];
    CHECK(backoffMs(25, static_cast<uint32_t>(k), bound - 1) == bound - 1);
    CHECK(backoffMs(25, static_cast<uint32_t>(k), bound) == 0);
    CHECK(backoffMs(0, static_cast<uint32_t>(k), bound + 3) == 3);  // 0 = the default base
  }
  CHECK(backoffMs(100, 1, 99) == 99);
  CHECK(backoffMs(100, 1, 100) == 0);
  CHECK(backoffMs(100, 5, 999) == 999);  // 1600 capped at 1000
  CHECK(backoffMs(100, 5, 1000) == 0);
}

TEST_CASE("expected timeout header: per-try below the route's, capped by what remains (R2.10, R7.10)",
          "[router][retry]") {
  CHECK(expectedTimeoutMs(0, 0, 0) == 0);        // no timeout: no header
  CHECK(expectedTimeoutMs(3000, 0, 0) == 3000);
  CHECK(expectedTimeoutMs(0, 250, 0) == 250);    // per-try alone
  CHECK(expectedTimeoutMs(3000, 250, 0) == 250);
  CHECK(expectedTimeoutMs(3000, 3000, 0) == 3000);  // R6.4: per-try ≥ route is ignored
  CHECK(expectedTimeoutMs(3000, 250, 2900) == 100);
  CHECK(expectedTimeoutMs(3000, 0, 1000) == 2000);
  CHECK(expectedTimeoutMs(3000, 250, 3000) == 1);   // nothing left: 1 ms
  CHECK(expectedTimeoutMs(3000, 250, 5000) == 1);
  CHECK(expectedTimeoutMs(0, 250, 10'000) == 250);  // no route timeout: nothing to cap
}

}  // namespace
}  // namespace meshc::router
