// Fault, CORS and gRPC local-reply decisions (PROXY-SEMANTICS R8, R10, R3.20).
#include "router/http_filters.h"

#include <re2/re2.h>

#include "base/ascii.h"
#include "router/compiled_route_actions.h"

namespace meshc::router {
namespace {

// Envoy's StringMatcher on one value (R10.2 uses it for origins): exact/prefix/suffix/contains
// with optional ASCII case folding; regex is a full match and ignores ignore_case.
bool stringMatches(const xds::StringMatcher& m, std::string_view value,
                   const CompiledRouteActions* compiled) {
  using Kind = xds::StringMatcher::Kind;
  std::string_view want = m.value;
  switch (m.kind) {
    case Kind::kExact:
      return m.ignore_case ? ascii::equalsIgnoreCase(value, want) : value == want;
    case Kind::kPrefix:
      return m.ignore_case ? ascii::startsWithIgnoreCase(value, want) : value.starts_with(want);
    case Kind::kSuffix:
      return m.ignore_case ? ascii::endsWithIgnoreCase(value, want) : value.ends_with(want);
    case Kind::kContains:
      if (m.ignore_case) {
        return ascii::toLower(value).find(ascii::toLower(want)) != std::string::npos;
      }
      return value.find(want) != std::string_view::npos;
    case Kind::kRegex: {
      const re2::RE2* re = compiled != nullptr ? compiled->corsOriginRegex(m) : nullptr;
      if (re != nullptr) {
        return re2::RE2::FullMatch(value, *re);
      }
      re2::RE2 local(m.value, re2::RE2::Quiet);
      return local.ok() && re2::RE2::FullMatch(value, local);
    }
  }
  return false;
}

}  // namespace

bool corsOriginAllowed(const xds::CorsPolicy& policy, std::string_view origin,
                       const CompiledRouteActions* compiled) {
  for (const xds::StringMatcher& m : policy.allow_origin) {
    if (stringMatches(m, "*", compiled) || stringMatches(m, origin, compiled)) {
      return true;
    }
  }
  return false;
}

CorsOutcome classifyCors(const xds::CorsPolicy& policy, std::string_view method,
                         const http::HeaderMap& request_headers,
                         const CompiledRouteActions* compiled) {
  CorsOutcome out;
  std::optional<std::string_view> origin = request_headers.get("origin");
  if (!origin || origin->empty()) {
    return out;
  }
  out.origin_allowed = corsOriginAllowed(policy, *origin, compiled);
  out.kind = CorsOutcome::Kind::kActual;
  std::optional<std::string_view> request_method =
      request_headers.get("access-control-request-method");
  bool preflight = method == "OPTIONS" && request_method && !request_method->empty();
  if (preflight && (out.origin_allowed || !policy.forward_not_matching_preflights)) {
    out.kind = CorsOutcome::Kind::kPreflight;
  }
  return out;
}

void corsPreflightHeaders(const xds::CorsPolicy& policy, const http::HeaderMap& request_headers,
                          bool origin_allowed, http::HeaderMap& response) {
  auto request_value = [&](std::string_view name) {
    std::optional<std::string_view> v = request_headers.get(name);
    return v ? *v : std::string_view();
  };
  if (origin_allowed) {
    response.set("access-control-allow-origin", request_value("origin"));
  }
  if (policy.allow_credentials.value_or(false)) {
    response.set("access-control-allow-credentials", "true");
  }
  // Envoy's setInline with an empty value still writes the header; so do we.
  if (!policy.allow_methods.empty()) {
    response.set("access-control-allow-methods",
                 policy.allow_methods == "*" ? request_value("access-control-request-method")
                                             : std::string_view(policy.allow_methods));
  }
  if (!policy.allow_headers.empty()) {
    response.set("access-control-allow-headers",
                 policy.allow_headers == "*" ? request_value("access-control-request-headers")
                                             : std::string_view(policy.allow_headers));
  }
  if (!policy.max_age.empty()) {
    response.set("access-control-max-age", policy.max_age);
  }
}

void corsDecorateResponse(const xds::CorsPolicy& policy, std::string_view origin,
                          http::HeaderMap& response) {
  response.set("access-control-allow-origin", origin);
  if (policy.allow_credentials.value_or(false)) {
    response.set("access-control-allow-credentials", "true");
  }
  if (!policy.expose_headers.empty()) {
    response.set("access-control-expose-headers", policy.expose_headers);
  }
}

bool isGrpcRequest(const http::HeaderMap& request_headers) {
  constexpr std::string_view kGrpc = "application/grpc";
  std::optional<std::string_view> ct = request_headers.get("content-type");
  return ct && ct->starts_with(kGrpc) && (ct->size() == kGrpc.size() || (*ct)[kGrpc.size()] == '+');
}

uint32_t grpcStatusForHttp(uint32_t http_status) {
  switch (http_status) {
    case 400:
      return 13;  // INTERNAL
    case 401:
      return 16;  // UNAUTHENTICATED
    case 403:
      return 7;  // PERMISSION_DENIED
    case 404:
      return 12;  // UNIMPLEMENTED
    case 429:
    case 502:
    case 503:
    case 504:
      return 14;  // UNAVAILABLE
    default:
      return 2;  // UNKNOWN
  }
}

uint32_t httpStatusForGrpc(uint32_t grpc_status) {
  switch (grpc_status) {
    case 0:
      return 200;
    case 1:
      return 499;
    case 3:
    case 9:
    case 11:
      return 400;
    case 4:
      return 504;
    case 5:
      return 404;
    case 6:
    case 10:
      return 409;
    case 7:
      return 403;
    case 8:
      return 429;
    case 12:
      return 501;
    case 14:
      return 503;
    case 16:
      return 401;
    default:
      return 500;
  }
}

std::string percentEncodeGrpcMessage(std::string_view message) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(message.size());
  for (char ch : message) {
    auto c = static_cast<unsigned char>(ch);
    if (c < 0x20 || c > 0x7e || c == '%') {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 0xf];
    } else {
      out += ch;
    }
  }
  return out;
}

}  // namespace meshc::router
