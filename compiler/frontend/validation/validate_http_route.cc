// One VirtualService HTTP route (ISTIO-VALIDATION.md A.4, V12-V18 and V27-V66): action
// conflicts, CORS, faults, mirrors, redirect, direct response, retries, rewrite, timeout.
// Entry point: vs::validateHttpRoute().
#include <algorithm>
#include <cmath>
#include <string>

#include "base/ascii.h"
#include "base/quote.h"
#include "frontend/istio/grpc_status.h"
#include "frontend/validation/validate_common.h"
#include "frontend/validation/validate_vs_internal.h"

namespace meshc::frontend::validation::vs {

namespace {

constexpr std::string_view kDurationId = "vs-invalid-duration";

std::string formatDouble(double v) {
  char buf[64];
  std::snprintf(buf, sizeof(buf), "%g", v);
  return buf;
}

// Reports checkDuration's reason for a duration-valued field, prefixed by the field name.
void checkDurationField(const Node* n, std::string_view field, Reporter& rep) {
  if (!isSet(n)) {
    return;
  }
  if (std::string reason = checkDuration(textOf(n)); !reason.empty()) {
    rep.error(kDurationId, n, std::string(field) + ": " + reason);
  }
}

// V12-V18 (Istio's validateHTTPRouteConflict).
void checkActionConflicts(const Node* route, HttpRouteKind kind, Reporter& rep) {
  const Node* redirect = route->get("redirect");
  const Node* routes = route->get("route");
  if (kind == HttpRouteKind::kRoot) {
    // A root route hands the request to the delegate; it cannot act itself.
    if (isSet(redirect)) {
      rep.error("vs-root-redirect", redirect,
                "a root http route (with delegate) must not set redirect; move it into the "
                "delegate VirtualService");
    }
    if (seqSize(routes) != 0) {
      rep.error("vs-root-route", routes,
                "a root http route (with delegate) must not set route; move it into the "
                "delegate VirtualService");
    }
    return;
  }
  if (kind == HttpRouteKind::kDelegate && isSet(route->get("delegate"))) {
    rep.error("vs-nested-delegate", route->get("delegate"),
              "an http route in a delegate VirtualService cannot delegate again; only one level "
              "of delegation is supported");
  }
  const Node* fault = route->get("fault");
  const Node* rewrite = route->get("rewrite");
  const Node* direct = route->get("directResponse");
  if (isSet(redirect)) {
    if (seqSize(routes) != 0) {
      rep.error("vs-route-and-redirect", redirect,
                "an http route cannot have both route and redirect; keep one action");
    }
    if (isSet(fault)) {
      rep.error("vs-fault-and-redirect", redirect,
                "an http route cannot have both fault and redirect; faults only apply to routed "
                "traffic");
    }
    if (isSet(rewrite)) {
      rep.error("vs-rewrite-and-redirect", redirect,
                "an http route cannot have both rewrite and redirect; put the new path in "
                "redirect.uri");
    }
    if (isSet(direct)) {
      rep.error("vs-direct-response-and-redirect", redirect,
                "an http route cannot have both directResponse and redirect; keep one action");
    }
  } else if (isSet(direct)) {
    if (seqSize(routes) != 0) {
      rep.error("vs-route-and-direct-response", direct,
                "an http route cannot have both route and directResponse; keep one action");
    }
    if (isSet(fault)) {
      rep.error("vs-fault-and-direct-response", direct,
                "an http route cannot have both fault and directResponse; faults only apply to "
                "routed traffic");
    }
    if (isSet(rewrite)) {
      rep.error("vs-rewrite-and-direct-response", direct,
                "an http route cannot have both rewrite and directResponse; a direct response "
                "is not forwarded");
    }
  } else if (seqSize(routes) == 0) {
    rep.error("vs-no-action", route,
              "an http route needs one of route, redirect or directResponse");
  }
  const Node* mirror = route->get("mirror");
  if (isSet(mirror) && seqSize(route->get("mirrors")) != 0) {
    rep.error("vs-mirror-and-mirrors", mirror,
              "an http route cannot have both mirror and mirrors; list every mirror under mirrors");
  }
}

// V29: only one place may rewrite the authority.
void checkAuthorityRewrite(const Node* route, Reporter& rep) {
  const Node* rewrite = route->get("rewrite");
  std::string_view current = isSet(rewrite) ? textOf(rewrite->get("authority")) : "";
  const Node* headers = route->get("headers");
  const Node* request = isSet(headers) ? headers->get("request") : nullptr;
  if (!isSet(request)) {
    return;
  }
  for (std::string_view op : {"set", "add"}) {
    const Node* map = request->get(op);
    for (const MapEntry& e : map != nullptr ? map->entries() : std::span<const MapEntry>()) {
      std::string lower = ascii::toLower(e.key);
      if (lower != ":authority" && lower != "host") {
        continue;
      }
      if (!current.empty()) {
        rep.emitAtKey("vs-authority-rewrite-conflict", kIstSchemaError, Severity::kError, &e,
                      "the authority is rewritten more than once: already " + quote(current) +
                          ", now " + quote(textOf(e.value)) + "; set it in one place only");
        return;  // Istio reports only the first conflict
      }
      current = textOf(e.value);
    }
  }
}

// V30-V33.
void checkCorsPolicy(const Node* cors, Reporter& rep) {
  if (!isSet(cors)) {
    return;
  }
  if (const Node* origins = cors->get("allowOrigins"); origins != nullptr) {
    for (const Node* o : origins->items()) {
      std::string_view value;
      const Node* value_node = nullptr;
      for (std::string_view key : {"exact", "prefix", "regex"}) {
        if (const Node* v = o->get(key); isSet(v)) {
          value = textOf(v);
          value_node = v;
          break;
        }
      }
      if (value.empty()) {
        rep.error("vs-invalid-cors-origin", value_node != nullptr ? value_node : o,
                  "a CORS allowOrigins entry needs a non-empty exact, prefix or regex value");
        continue;
      }
      checkStringMatch(o, rep, "vs-invalid-cors-origin", /*allow_empty_prefix=*/true);
    }
  }
  if (const Node* methods = cors->get("allowMethods"); methods != nullptr) {
    static constexpr std::string_view kMethods[] = {
        "GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "CONNECT", "OPTIONS", "TRACE", "*"};
    for (const Node* m : methods->items()) {
      std::string_view text = textOf(m);
      if (std::find(std::begin(kMethods), std::end(kMethods), text) == std::end(kMethods)) {
        rep.error("vs-invalid-cors-method", m,
                  quote(text) +
                      " is not a supported HTTP method; expected one of GET, HEAD, "
                      "POST, PUT, PATCH, DELETE, CONNECT, OPTIONS, TRACE or \"*\" "
                      "(upper case)");
      }
    }
  }
  for (std::string_view field : {"allowHeaders", "exposeHeaders"}) {
    const Node* list = cors->get(field);
    for (const Node* h : list != nullptr ? list->items() : std::span<const Node* const>()) {
      if (std::string reason = checkCorsHeaderName(textOf(h)); !reason.empty()) {
        rep.error("vs-invalid-cors-header", h, std::string(field) + ": " + reason);
      }
    }
  }
  if (const Node* max_age = cors->get("maxAge"); isSet(max_age)) {
    checkDurationField(max_age, "corsPolicy.maxAge", rep);
    std::optional<int64_t> ns = parseDuration(textOf(max_age));
    if (ns && *ns > 0 && *ns % 1000000000 != 0) {
      rep.error("vs-cors-max-age-precision", max_age,
                "corsPolicy.maxAge " + quote(textOf(max_age)) +
                    " has a sub-second part; it is only accurate to seconds");
    }
  }
}

// V35: 0, or within [0.0001, 100].
void checkFaultPercentage(const Node* holder, Reporter& rep) {
  const Node* percentage = holder->get("percentage");
  if (!isSet(percentage)) {
    return;
  }
  const Node* value = percentage->get("value");
  double v = value != nullptr ? value->numberValue() : 0;
  if (v < 0 || v > 100 || (v > 0 && v < 0.0001)) {
    rep.error("vs-invalid-fault-percentage", value != nullptr ? value : percentage,
              "fault percentage " + formatDouble(v) +
                  " is out of range; expected 0 or a value in [0.0001, 100]");
  }
}


// Istio accepts 200..600 although its message says 599; we keep the accepted range.
void checkHttpStatus(const Node* status, const Node* fallback, std::string_view id,
                     std::string_view what, Reporter& rep) {
  int64_t v = status != nullptr && status->isInt() ? status->intValue() : 0;
  if (v < 200 || v > 600) {
    rep.error(id, status != nullptr ? status : fallback,
              std::string(what) + " " + std::to_string(v) +
                  " is out of range; expected an HTTP status in 200..599");
  }
}

// V34-V41.
void checkFault(const Node* fault, Reporter& rep) {
  if (!isSet(fault)) {
    return;
  }
  const Node* abort = fault->get("abort");
  const Node* delay = fault->get("delay");
  if (!isSet(abort) && !isSet(delay)) {
    rep.error("vs-empty-fault", fault, "fault injection needs an abort and/or a delay");
  }
  if (isSet(abort)) {
    checkFaultPercentage(abort, rep);
    const Node* grpc = abort->get("grpcStatus");
    const Node* http2 = abort->get("http2Error");
    const Node* http = abort->get("httpStatus");
    if (isSet(grpc)) {
      if (!istio::grpcStatusCode(textOf(grpc)).has_value()) {
        rep.error("vs-invalid-grpc-status", grpc,
                  "gRPC status " + quote(textOf(grpc)) +
                      " is not supported; expected a canonical code name such as NOT_FOUND or "
                      "UNAVAILABLE");
      }
    } else if (isSet(http2)) {
      rep.error("vs-http2-abort-unsupported", http2,
                "abort.http2Error is not supported by Istio; use httpStatus or grpcStatus");
    } else if (isSet(http)) {
      checkHttpStatus(http, abort, "vs-invalid-abort-status", "abort httpStatus", rep);
    }
    // An abort without an error type gets a warning in Istio that validateHTTPFaultInjection
    // then drops (appendErrors keeps errors only), so istioctl never shows it; neither do we.
  }
  if (isSet(delay)) {
    checkFaultPercentage(delay, rep);
    if (const Node* fixed = delay->get("fixedDelay"); isSet(fixed)) {
      checkDurationField(fixed, "fault.delay.fixedDelay", rep);
    } else if (const Node* exp = delay->get("exponentialDelay"); isSet(exp)) {
      checkDurationField(exp, "fault.delay.exponentialDelay", rep);
      rep.error("vs-exponential-delay-unsupported", exp,
                "fault.delay.exponentialDelay is not supported by Istio; use fixedDelay");
    }
  }
}

// V42-V45.
void checkMirrors(const Node* route, Reporter& rep) {
  if (const Node* percent = route->get("mirrorPercent"); isSet(percent)) {
    // UInt32Value: a bare number, or {value: n}.
    const Node* value = percent->isMap() ? percent->get("value") : percent;
    if (value != nullptr && value->isInt() && value->intValue() > 100) {
      rep.error("vs-invalid-mirror-percent", value,
                "mirrorPercent " + std::to_string(value->intValue()) +
                    " is out of range; expected at most 100");
    }
    rep.warning("vs-mirror-percent-deprecated", percent,
                "mirrorPercent is deprecated; use mirrorPercentage instead");
  }
  auto checkPercentage = [&rep](const Node* percentage, std::string_view field) {
    if (!isSet(percentage)) {
      return;
    }
    const Node* value = percentage->get("value");
    double v = value != nullptr ? value->numberValue() : 0;
    if (v < 0 || v > 100) {
      rep.error("vs-invalid-mirror-percent", value != nullptr ? value : percentage,
                std::string(field) + " " + formatDouble(v) + " is out of range; expected 0..100");
    }
  };
  checkPercentage(route->get("mirrorPercentage"), "mirrorPercentage");
  checkDestination(route->get("mirror"), rep, "vs-invalid-destination");
  const Node* mirrors = route->get("mirrors");
  for (const Node* m : mirrors != nullptr ? mirrors->items() : std::span<const Node* const>()) {
    if (!isSet(m) || !m->isMap()) {
      rep.error("vs-null-mirror", m, "a mirrors entry must not be null");
      continue;
    }
    const Node* destination = m->get("destination");
    if (!isSet(destination)) {
      rep.error("vs-missing-destination", m, "a mirrors entry needs a destination");
      continue;
    }
    checkDestination(destination, rep, "vs-invalid-destination");
    checkPercentage(m->get("percentage"), "mirror percentage");
  }
}

bool isPrefixUriMatch(const Node* uri) { return isSet(uri->get("prefix")); }

// V46-V51. Like Istio, only the first problem is reported.
void checkRedirect(const Node* route, Reporter& rep) {
  const Node* redirect = route->get("redirect");
  if (!isSet(redirect)) {
    return;
  }
  std::string_view uri = textOf(redirect->get("uri"));
  std::string_view prefix_rewrite = textOf(redirect->get("prefixRewrite"));
  if (!uri.empty() && !prefix_rewrite.empty()) {
    rep.error("vs-redirect-uri-and-prefix", redirect->get("prefixRewrite"),
              "redirect may set only one of uri and prefixRewrite");
    return;
  }
  if (!prefix_rewrite.empty()) {
    const Node* matches = route->get("match");
    for (const Node* m : matches != nullptr ? matches->items() : std::span<const Node* const>()) {
      const Node* match_uri = m->get("uri");
      if (isSet(match_uri) && !isPrefixUriMatch(match_uri)) {
        rep.error("vs-redirect-prefix-needs-prefix-match", match_uri,
                  "redirect.prefixRewrite requires every uri match of the route to be a prefix "
                  "match");
        return;
      }
    }
  }
  const Node* port = redirect->get("port");
  const Node* derive = redirect->get("derivePort");
  std::string_view scheme = textOf(redirect->get("scheme"));
  if (uri.empty() && prefix_rewrite.empty() && textOf(redirect->get("authority")).empty() &&
      !isSet(port) && !isSet(derive) && scheme.empty()) {
    rep.error("vs-redirect-empty", redirect,
              "redirect must set at least one of uri, prefixRewrite, authority, scheme, port or "
              "derivePort");
    return;
  }
  if (const Node* code = redirect->get("redirectCode"); code != nullptr && code->isInt()) {
    int64_t c = code->intValue();
    if (c != 0 && (c < 300 || c > 399)) {
      rep.error("vs-invalid-redirect-code", code,
                "redirectCode " + std::to_string(c) + " is not a redirect; expected 300..399");
      return;
    }
  }
  if (!scheme.empty() && scheme != "http" && scheme != "https") {
    rep.error("vs-invalid-redirect-scheme", redirect->get("scheme"),
              "redirect scheme " + quote(scheme) + " is invalid; expected \"http\" or \"https\"");
    return;
  }
  if (port != nullptr && port->isInt() && port->intValue() > 0 && !isValidPort(port->intValue())) {
    rep.error("vs-invalid-redirect-port", port,
              "redirect port " + std::to_string(port->intValue()) +
                  " is out of range; expected 1..65535");
  }
}

// Decoded size of a base64 text (bytes bodies are base64 in YAML/JSON, padded or not).
size_t base64DecodedSize(std::string_view s) {
  size_t n = 0;
  for (char c : s) {
    if (c != '=' && c != '\n' && c != '\r' && c != ' ') {
      ++n;
    }
  }
  return n * 3 / 4;
}

// V52-V53.
void checkDirectResponse(const Node* route, Reporter& rep) {
  const Node* direct = route->get("directResponse");
  if (!isSet(direct)) {
    return;
  }
  if (const Node* body = direct->get("body"); isSet(body)) {
    size_t size = 0;
    if (const Node* s = body->get("string"); isSet(s)) {
      size = textOf(s).size();
    } else if (const Node* b = body->get("bytes"); isSet(b)) {
      size = base64DecodedSize(textOf(b));
    }
    constexpr size_t kKiB = 1024;
    if (size > 1024 * kKiB) {
      rep.error("vs-direct-response-too-large", body,
                "directResponse body is " + std::to_string(size) +
                    " bytes; it must be at most 1 MiB (large bodies slow down the control plane)");
    } else if (size > 100 * kKiB) {
      rep.warning("vs-direct-response-large", body,
                  "directResponse body is " + std::to_string(size) +
                      " bytes; bodies over 100 KiB may slow down the control plane");
    }
  }
  checkHttpStatus(direct->get("status"), direct, "vs-invalid-direct-response-status",
                  "directResponse status", rep);
}

bool isHttpStatusWithReason(int64_t code) {
  static constexpr int kCodes[] = {100, 101, 102, 103, 200, 201, 202, 203, 204, 205, 206, 207, 208,
                                   226, 300, 301, 302, 303, 304, 305, 307, 308, 400, 401, 402, 403,
                                   404, 405, 406, 407, 408, 409, 410, 411, 412, 413, 414, 415, 416,
                                   417, 418, 421, 422, 423, 424, 425, 426, 428, 429, 431, 451, 500,
                                   501, 502, 503, 504, 505, 506, 507, 508, 510, 511};
  return std::find(std::begin(kCodes), std::end(kCodes), code) != std::end(kCodes);
}

// Go's strconv.Atoi on a retryOn token: optional sign, digits only.
std::optional<int64_t> parseGoInt(std::string_view s) {
  bool neg = false;
  if (!s.empty() && (s[0] == '+' || s[0] == '-')) {
    neg = s[0] == '-';
    s.remove_prefix(1);
  }
  if (s.empty() || s.size() > 18) {
    return std::nullopt;
  }
  int64_t v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') {
      return std::nullopt;
    }
    v = v * 10 + (c - '0');
  }
  return neg ? -v : v;
}

bool isRetryOnPolicy(std::string_view token) {
  static constexpr std::string_view kPolicies[] = {
      "5xx",
      "gateway-error",
      "reset",
      "reset-before-request",
      "connect-failure",
      "retriable-4xx",
      "refused-stream",
      "retriable-status-codes",
      "retriable-headers",
      "envoy-ratelimited",
      "http3-post-connect-failure",
      "cancelled",
      "deadline-exceeded",
      "internal",
      "resource-exhausted",
      "unavailable",
  };
  if (std::find(std::begin(kPolicies), std::end(kPolicies), token) != std::end(kPolicies)) {
    return true;
  }
  std::optional<int64_t> code = parseGoInt(token);
  return code && isHttpStatusWithReason(*code);
}

// V54-V57.
void checkRetries(const Node* route, Reporter& rep) {
  const Node* retries = route->get("retries");
  if (!isSet(retries)) {
    return;
  }
  const Node* attempts = retries->get("attempts");
  int64_t n = attempts != nullptr && attempts->isInt() ? attempts->intValue() : 0;
  if (n < 0) {
    rep.error("vs-invalid-retry-attempts", attempts,
              "retries.attempts " + std::to_string(n) + " is negative; expected 0 or more");
  }
  const Node* per_try = retries->get("perTryTimeout");
  const Node* retry_on = retries->get("retryOn");
  if (n == 0 && (isSet(per_try) || !textOf(retry_on).empty() ||
                 isSet(retries->get("retryRemoteLocalities")))) {
    rep.error("vs-retry-disabled-with-settings", attempts != nullptr ? attempts : retries,
              "retries.attempts is 0 (retries disabled) but perTryTimeout, retryOn or "
              "retryRemoteLocalities is set; set attempts or remove the settings");
  }
  checkDurationField(per_try, "retries.perTryTimeout", rep);
  if (std::string_view text = textOf(retry_on); !text.empty()) {
    // Envoy's tokens are comma separated without spaces; Istio does not trim either.
    size_t start = 0;
    while (true) {
      size_t comma = text.find(',', start);
      std::string_view token = text.substr(
          start, comma == std::string_view::npos ? std::string_view::npos : comma - start);
      if (!isRetryOnPolicy(token)) {
        rep.error("vs-invalid-retry-on", retry_on,
                  quote(token) +
                      " is not a valid retryOn policy; expected an Envoy retry "
                      "condition such as 5xx, connect-failure or an HTTP status code");
      }
      if (comma == std::string_view::npos) {
        break;
      }
      start = comma + 1;
    }
  }
  checkDurationField(retries->get("backoff"), "retries.backoff", rep);
}

// V58-V60. Like Istio, only the first problem is reported.
void checkRewrite(const Node* route, Reporter& rep) {
  const Node* rewrite = route->get("rewrite");
  if (!isSet(rewrite)) {
    return;
  }
  std::string_view uri = textOf(rewrite->get("uri"));
  const Node* regex_rewrite = rewrite->get("uriRegexRewrite");
  if (!uri.empty() && isSet(regex_rewrite)) {
    rep.error("vs-rewrite-uri-and-regex", regex_rewrite,
              "rewrite may set only one of uri and uriRegexRewrite");
    return;
  }
  if (uri.empty() && !isSet(regex_rewrite) && textOf(rewrite->get("authority")).empty()) {
    rep.error("vs-rewrite-empty", rewrite,
              "rewrite must set at least one of uri, uriRegexRewrite or authority");
    return;
  }
  if (!isSet(regex_rewrite)) {
    return;
  }
  const Node* match = regex_rewrite->get("match");
  if (textOf(match).empty() || textOf(regex_rewrite->get("rewrite")).empty()) {
    rep.error("vs-invalid-uri-regex-rewrite", regex_rewrite,
              "uriRegexRewrite needs both match and rewrite");
    return;
  }
  if (std::string reason = checkRegex(textOf(match)); !reason.empty()) {
    rep.error("vs-invalid-uri-regex-rewrite", match, "uriRegexRewrite.match: " + reason);
  }
}

}  // namespace

void validateHttpRoute(const Node* route, HttpRouteKind kind, Reporter& rep) {
  checkActionConflicts(route, kind, rep);
  validateHttpMatchRequests(route->get("match"), rep);
  validateHeaderOperations(route->get("headers"), rep);
  checkCorsPolicy(route->get("corsPolicy"), rep);
  checkFault(route->get("fault"), rep);
  checkMirrors(route, rep);
  checkRedirect(route, rep);
  checkDirectResponse(route, rep);
  checkRetries(route, rep);
  checkRewrite(route, rep);
  checkAuthorityRewrite(route, rep);
  validateRouteDestinations(route->get("route"), /*with_headers=*/true, rep);
  checkDurationField(route->get("timeout"), "timeout", rep);
}

}  // namespace meshc::frontend::validation::vs
