// VirtualService HTTP/TCP/TLS rules → Envoy routes and tcp_proxy targets (Istio's route.go,
// retry.go, networkfilter.go; SEMANTICS 1.2-1.13, 3.1-3.8, 6.4-6.6, 7.1).
#include "lower/route_translation.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <limits>

#include "base/ascii.h"
#include "frontend/istio/grpc_status.h"
#include "frontend/istio/labels.h"
#include "lower/destination_rules.h"
#include "lower/names.h"

namespace meshc::lower {

namespace {

using StringMatchKind = model::StringMatch::Kind;

constexpr std::string_view kDefaultRetryOn =
    "connect-failure,refused-stream,unavailable,cancelled,retriable-status-codes";
constexpr std::string_view kJwtClaimPrefix = "@request.auth.claims";

// translatePercentToFractionalPercent: uint32(value * 10000) per million. Go truncates the
// product, so 0.57 % becomes 5699; the same double arithmetic is reproduced here. Values
// outside 0..100 cannot pass validation; they are clamped instead of overflowing.
uint32_t percentToPerMillion(double percent) {
  double v = percent * 10000.0;
  if (!(v > 0)) {
    return 0;
  }
  if (v >= 4294967295.0) {
    return std::numeric_limits<uint32_t>::max();
  }
  return static_cast<uint32_t>(v);
}

// Go's http.StatusText(code) != "": the codes net/http knows a reason phrase for.
bool isKnownHttpStatus(int64_t code) {
  static constexpr std::array<int, 63> kKnown = {
      100, 101, 102, 103, 200, 201, 202, 203, 204, 205, 206, 207, 208, 226, 300, 301,
      302, 303, 304, 305, 306, 307, 308, 400, 401, 402, 403, 404, 405, 406, 407, 408,
      409, 410, 411, 412, 413, 414, 415, 416, 417, 418, 421, 422, 423, 424, 425, 426,
      428, 429, 431, 451, 500, 501, 502, 503, 504, 505, 506, 507, 508, 510, 511};
  return std::find(kKnown.begin(), kKnown.end(), code) != kKnown.end();
}

// strconv.Atoi: optional sign, then decimal digits only.
std::optional<int64_t> parseGoInt(std::string_view s) {
  if (s.empty()) {
    return std::nullopt;
  }
  bool neg = false;
  size_t i = 0;
  if (s[0] == '+' || s[0] == '-') {
    neg = s[0] == '-';
    i = 1;
  }
  if (i == s.size() || s.size() - i > 12) {
    return std::nullopt;
  }
  int64_t v = 0;
  for (; i < s.size(); ++i) {
    if (s[i] < '0' || s[i] > '9') {
      return std::nullopt;
    }
    v = v * 10 + (s[i] - '0');
  }
  return neg ? -v : v;
}

std::string_view trimSpace(std::string_view s) {
  auto isSpace = [](char c) {
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
  };
  while (!s.empty() && isSpace(s.front())) {
    s.remove_prefix(1);
  }
  while (!s.empty() && isSpace(s.back())) {
    s.remove_suffix(1);
  }
  return s;
}

bool isInternalHeader(std::string_view key) {
  return key.starts_with(":") || ascii::equalsIgnoreCase(key, "host");
}

bool isAuthorityHeader(std::string_view key) {
  return ascii::equalsIgnoreCase(key, ":authority") || ascii::equalsIgnoreCase(key, "host");
}

// translateAppendHeaders: internal headers dropped, sorted by key (stable); the authority
// (`:authority` / `host`) is reported separately, the last one winning.
std::vector<HeaderValueOption> translateAppendHeaders(
    const std::vector<std::pair<std::string, std::string>>& headers, bool append,
    std::string* authority) {
  std::vector<HeaderValueOption> out;
  for (const auto& [key, value] : headers) {
    if (isAuthorityHeader(key)) {
      *authority = value;
    }
    if (isInternalHeader(key)) {
      continue;
    }
    HeaderValueOption op;
    op.key = key;
    op.value = value;
    op.append = append ? HeaderValueOption::Append::kAppendIfExistsOrAdd
                       : HeaderValueOption::Append::kOverwriteIfExistsOrAdd;
    out.push_back(std::move(op));
  }
  std::stable_sort(
      out.begin(), out.end(),
      [](const HeaderValueOption& a, const HeaderValueOption& b) { return a.key < b.key; });
  return out;
}

std::vector<std::string> dropInternal(const std::vector<std::string>& keys) {
  std::vector<std::string> out;
  for (const std::string& k : keys) {
    if (!isInternalHeader(k)) {
      out.push_back(k);
    }
  }
  return out;
}

void appendMutations(HeaderMutations& to, const HeaderMutations& from) {
  to.request_headers_to_add.insert(to.request_headers_to_add.end(),
                                   from.request_headers_to_add.begin(),
                                   from.request_headers_to_add.end());
  to.request_headers_to_remove.insert(to.request_headers_to_remove.end(),
                                      from.request_headers_to_remove.begin(),
                                      from.request_headers_to_remove.end());
  to.response_headers_to_add.insert(to.response_headers_to_add.end(),
                                    from.response_headers_to_add.begin(),
                                    from.response_headers_to_add.end());
  to.response_headers_to_remove.insert(to.response_headers_to_remove.end(),
                                       from.response_headers_to_remove.begin(),
                                       from.response_headers_to_remove.end());
}

HeaderMatcher translateHeaderMatch(std::string_view name,
                                   const std::optional<model::StringMatch>& match) {
  HeaderMatcher out;
  // Envoy compares header names case-insensitively (it lower-cases configured names).
  out.name = ascii::toLower(name);
  if (isPresenceMatch(match)) {
    out.present_match = true;
    return out;
  }
  out.string_match = toStringMatcher(*match);
  return out;
}

std::optional<HashPolicy> hashPolicyFrom(const std::optional<model::ConsistentHash>& hash) {
  // One translation for VS routes and default routes (cookie path, TTL and attributes included).
  return hash ? toHashPolicy(*hash) : std::nullopt;
}

// applyHTTPRouteDestination (forwarding routes).
void applyRouteDestination(Route& out, const model::HttpRoute& in, std::string authority,
                           const RouteContext& ctx) {
  RouteAction& action = out.route;
  out.action = Route::ActionKind::kRoute;
  // setTimeout: the VS timeout or 0 (disabled, overriding Envoy's 15 s default; 6.6).
  action.timeout_ns = in.timeout_ns.value_or(0);

  if (in.rewrite) {
    if (in.rewrite->uri_regex_rewrite) {
      action.regex_rewrite = in.rewrite->uri_regex_rewrite;
    } else if (!in.rewrite->uri.empty()) {
      action.prefix_rewrite = in.rewrite->uri;
    }
    if (!in.rewrite->authority.empty()) {
      authority = in.rewrite->authority;  // rewrite.authority beats headers (1.12)
    }
  }
  action.host_rewrite = authority;

  for (const model::HttpMirror& m : in.mirrors) {
    uint32_t per_million = 1'000'000;
    if (m.percentage) {
      if (!(*m.percentage > 0)) {
        continue;  // explicit 0 % means no mirroring (1.13)
      }
      per_million = percentToPerMillion(*m.percentage);
    }
    action.mirrors.push_back(
        MirrorPolicy{destinationCluster(m.destination, ctx.port, ctx.lookup), per_million});
  }

  std::optional<model::HttpRetry> policy = in.retries ? in.retries : ctx.mesh_default_retry;
  bool consistent_hash = false;
  if (in.route.size() == 1) {
    const model::HttpRouteDestination& dst = in.route[0];
    action.cluster = destinationCluster(dst.destination, ctx.port, ctx.lookup);
    if (!dst.headers.request.empty() || !dst.headers.response.empty()) {
      std::string dst_authority;
      appendMutations(out.headers, translateHeaderOperations(dst.headers, &dst_authority));
      // A destination's authority applies only when no route-level rewrite is set (1.12).
      if (!dst_authority.empty() && action.host_rewrite.empty()) {
        action.host_rewrite = dst_authority;
      }
    }
    if (ctx.hash) {
      if (std::optional<HashPolicy> hp = hashPolicyFrom(ctx.hash(dst.destination))) {
        action.hash_policy.push_back(*hp);
        consistent_hash = true;
      }
    }
  } else {
    for (const model::HttpRouteDestination& dst : in.route) {
      if (dst.weight == 0) {
        continue;  // weight-0 entries are dropped when there are several (1.5)
      }
      WeightedCluster wc;
      wc.name = destinationCluster(dst.destination, ctx.port, ctx.lookup);
      wc.weight = dst.weight > 0 ? static_cast<uint32_t>(dst.weight) : 0;
      if (!dst.headers.request.empty() || !dst.headers.response.empty()) {
        std::string dst_authority;
        wc.headers = translateHeaderOperations(dst.headers, &dst_authority);
        wc.host_rewrite = dst_authority;
      }
      if (ctx.hash) {
        // Weighted destinations add their hash policies but do not switch the retry default.
        if (std::optional<HashPolicy> hp = hashPolicyFrom(ctx.hash(dst.destination))) {
          action.hash_policy.push_back(*hp);
        }
      }
      action.weighted.push_back(std::move(wc));
    }
  }
  action.retry_policy = convertRetryPolicy(policy, consistent_hash);
}

const model::HttpMatchRequest* matchAt(const model::HttpRoute& rule, int32_t match_index) {
  if (match_index < 0 || static_cast<size_t>(match_index) >= rule.match.size()) {
    return nullptr;
  }
  return &rule.match[static_cast<size_t>(match_index)];
}

bool containsGateway(const std::vector<std::string>& set, const std::string& g) {
  return std::find(set.begin(), set.end(), g) != set.end();
}

// matchTCP / matchTLS (sidecar) and l4SingleMatch (gateway) share this shape.
bool l4Applies(const std::vector<std::string>& gateways, const StringMap& source_labels,
               uint32_t port, const std::string& source_namespace, const RouteContext& ctx,
               bool gateway_rules) {
  bool gateway_match = gateways.empty();
  for (const std::string& g : gateways) {
    gateway_match = gateway_match || containsGateway(ctx.gateways, g);
  }
  bool port_match = port == 0 || port == ctx.port;
  if (gateway_rules) {
    return gateway_match && port_match;
  }
  bool label_match = istio::selectorMatches(source_labels, ctx.proxy_labels);
  bool ns_match = source_namespace.empty() || source_namespace == ctx.proxy_namespace;
  return gateway_match && label_match && port_match && ns_match;
}

}  // namespace

// --- Matches -------------------------------------------------------------------------------------

bool isPresenceMatch(const std::optional<model::StringMatch>& match) {
  return !match || match->kind == StringMatchKind::kPresent;
}

std::optional<StringMatcher> toStringMatcher(const model::StringMatch& match) {
  StringMatcher out;
  out.value = match.value;
  switch (match.kind) {
    case StringMatchKind::kExact:
      out.kind = StringMatcher::Kind::kExact;
      return out;
    case StringMatchKind::kPrefix:
      out.kind = StringMatcher::Kind::kPrefix;
      return out;
    case StringMatchKind::kRegex:
      out.kind = StringMatcher::Kind::kRegex;
      return out;
    case StringMatchKind::kPresent:
      break;
  }
  return std::nullopt;
}

std::optional<std::vector<std::string>> parseJwtClaimKey(std::string_view header_key) {
  // ToRoutingClaim: the prefix is compared case-insensitively, the claim names are kept as is.
  if (!ascii::startsWithIgnoreCase(header_key, kJwtClaimPrefix)) {
    return std::nullopt;
  }
  std::string_view name = header_key.substr(kJwtClaimPrefix.size());
  std::string_view body;
  std::string_view sep;
  if (name.starts_with(".") && name.size() > 1) {
    body = name.substr(1);
    sep = ".";
  } else if (name.starts_with("[") && name.ends_with("]") && name.size() > 2) {
    body = name.substr(1, name.size() - 2);
    sep = "][";
  } else {
    return std::nullopt;
  }
  std::vector<std::string> claims;
  size_t start = 0;
  while (true) {
    size_t pos = body.find(sep, start);
    if (pos == std::string_view::npos) {
      claims.emplace_back(body.substr(start));
      break;
    }
    claims.emplace_back(body.substr(start, pos - start));
    start = pos + sep.size();
  }
  return claims;
}

RouteMatch translateRouteMatch(const model::HttpMatchRequest* in) {
  RouteMatch out;
  out.path = PathMatcher{PathMatcher::Kind::kPrefix, "/"};
  if (in == nullptr) {
    return out;
  }
  // Headers and withoutHeaders are Go maps: their order is random before the sort by name, so
  // the sort below is what Envoy sees. JWT claim keys become metadata matchers instead.
  struct Pending {
    std::string sort_key;
    HeaderMatcher matcher;
  };
  std::vector<Pending> headers;
  for (const model::KeyedMatch& h : in->headers) {
    if (auto claim = parseJwtClaimKey(h.key)) {
      ClaimMatcher cm{*claim, std::nullopt, false};
      if (!isPresenceMatch(h.match)) {
        cm.string_match = toStringMatcher(h.match);
      }
      out.claims.push_back(std::move(cm));
      continue;
    }
    headers.push_back({h.key, translateHeaderMatch(h.key, h.match)});
  }
  for (const model::KeyedMatch& h : in->without_headers) {
    if (auto claim = parseJwtClaimKey(h.key)) {
      ClaimMatcher cm{*claim, std::nullopt, true};
      if (!isPresenceMatch(h.match)) {
        cm.string_match = toStringMatcher(h.match);
      }
      out.claims.push_back(std::move(cm));
      continue;
    }
    HeaderMatcher m = translateHeaderMatch(h.key, h.match);
    m.invert_match = true;
    // treat_missing_header_as_empty conflicts with present_match (3.4).
    m.treat_missing_header_as_empty = !isPresenceMatch(h.match);
    headers.push_back({h.key, std::move(m)});
  }
  std::stable_sort(headers.begin(), headers.end(),
                   [](const Pending& a, const Pending& b) { return a.sort_key < b.sort_key; });
  for (Pending& p : headers) {
    out.headers.push_back(std::move(p.matcher));
  }
  std::stable_sort(
      out.claims.begin(), out.claims.end(),
      [](const ClaimMatcher& a, const ClaimMatcher& b) { return a.claim_path < b.claim_path; });

  if (in->uri) {
    switch (in->uri->kind) {
      case StringMatchKind::kExact:
        out.path = PathMatcher{PathMatcher::Kind::kPath, in->uri->value};
        break;
      case StringMatchKind::kPrefix:
        out.path = PathMatcher{PathMatcher::Kind::kPrefix, in->uri->value};
        break;
      case StringMatchKind::kRegex:
        out.path = PathMatcher{PathMatcher::Kind::kSafeRegex, in->uri->value};
        break;
      case StringMatchKind::kPresent:
        break;  // no oneof set: the default prefix `/` stays
    }
  }
  out.case_sensitive = !in->ignore_uri_case;
  if (in->method) {
    out.headers.push_back(translateHeaderMatch(":method", in->method));
  }
  if (in->authority) {
    out.headers.push_back(translateHeaderMatch(":authority", in->authority));
  }
  if (in->scheme) {
    out.headers.push_back(translateHeaderMatch(":scheme", in->scheme));
  }
  // queryParams is a Go map emitted unsorted (random order); query matchers are ANDed, so the
  // order has no effect and we sort by name for a deterministic dump.
  for (const model::KeyedMatch& q : in->query_params) {
    QueryParameterMatcher qm;
    qm.name = q.key;
    if (isPresenceMatch(q.match)) {
      qm.present_match = true;
    } else {
      qm.string_match = toStringMatcher(q.match);
    }
    out.query_parameters.push_back(std::move(qm));
  }
  std::stable_sort(out.query_parameters.begin(), out.query_parameters.end(),
                   [](const QueryParameterMatcher& a, const QueryParameterMatcher& b) {
                     return a.name < b.name;
                   });
  return out;
}

// --- Actions -------------------------------------------------------------------------------------

HeaderMutations translateHeaderOperations(const model::Headers& headers, std::string* authority) {
  HeaderMutations out;
  std::string set_authority;
  std::string add_authority;
  std::string ignored;
  out.request_headers_to_add = translateAppendHeaders(headers.request.set, false, &set_authority);
  std::vector<HeaderValueOption> req_add =
      translateAppendHeaders(headers.request.add, true, &add_authority);
  out.request_headers_to_add.insert(out.request_headers_to_add.end(), req_add.begin(),
                                    req_add.end());
  out.response_headers_to_add = translateAppendHeaders(headers.response.set, false, &ignored);
  std::vector<HeaderValueOption> resp_add =
      translateAppendHeaders(headers.response.add, true, &ignored);
  out.response_headers_to_add.insert(out.response_headers_to_add.end(), resp_add.begin(),
                                     resp_add.end());
  out.request_headers_to_remove = dropInternal(headers.request.remove);
  out.response_headers_to_remove = dropInternal(headers.response.remove);
  if (authority != nullptr) {
    *authority = set_authority.empty() ? add_authority : set_authority;
  }
  return out;
}

std::optional<RetryPolicy> convertRetryPolicy(const std::optional<model::HttpRetry>& in,
                                              bool consistent_hash) {
  RetryPolicy out;
  out.num_retries = 2;
  out.retry_on = std::string(kDefaultRetryOn);
  out.host_selection_retry_max_attempts = 5;
  // With consistent hashing the previous-hosts predicate is left out (DefaultConsistentHashPolicy).
  out.previous_hosts_predicate = !consistent_hash;
  if (!in) {
    return out;
  }
  if (in->attempts <= 0) {
    return std::nullopt;  // explicitly disabled
  }
  out.num_retries = static_cast<uint32_t>(in->attempts);
  if (!in->retry_on.empty()) {
    std::vector<uint32_t> codes;
    std::string joined;
    std::string_view rest = in->retry_on;
    while (true) {
      size_t comma = rest.find(',');
      std::string_view part = trimSpace(rest.substr(0, comma));
      if (!part.empty()) {
        std::optional<int64_t> code = parseGoInt(part);
        if (code && isKnownHttpStatus(*code)) {
          codes.push_back(static_cast<uint32_t>(*code));
        } else {
          if (!joined.empty()) {
            joined += ",";
          }
          joined += part;
        }
      }
      if (comma == std::string_view::npos) {
        break;
      }
      rest.remove_prefix(comma + 1);
    }
    out.retry_on = joined;
    out.retriable_status_codes = codes;
    // Istio appends even when nothing else was listed, giving ",retriable-status-codes".
    if (!codes.empty() && out.retry_on.find("retriable-status-codes") == std::string::npos) {
      out.retry_on += ",retriable-status-codes";
    }
  }
  if (in->per_try_timeout_ns) {
    out.per_try_timeout_ns = in->per_try_timeout_ns;
  }
  if (in->retry_ignore_previous_hosts) {
    out.previous_hosts_predicate = *in->retry_ignore_previous_hosts;
  }
  if (in->retry_remote_localities.value_or(false)) {
    out.previous_priorities = true;
  }
  if (in->backoff_ns) {
    out.base_interval_ns = in->backoff_ns;
  }
  return out;
}

std::optional<FaultPolicy> translateFault(const model::HttpFaultInjection& in) {
  FaultPolicy out;
  bool has_delay = false;
  bool has_abort = false;
  if (in.delay && in.delay->fixed_delay_ns && !in.delay->exponential) {
    has_delay = true;
    out.delay_ns = in.delay->fixed_delay_ns;
    // percentage, else the deprecated integer percent (default 0: never delayed).
    if (in.delay->percentage) {
      out.delay_per_million = percentToPerMillion(*in.delay->percentage);
    } else {
      int64_t p = std::clamp<int64_t>(in.delay->percent, 0, 100);
      out.delay_per_million = static_cast<uint32_t>(p * 10000);
    }
  }
  if (in.abort && !in.abort->http2_error) {
    if (in.abort->http_status) {
      has_abort = true;
      out.abort_http_status = in.abort->http_status;
    } else if (!in.abort->grpc_status.empty()) {
      has_abort = true;
      // An unknown name cannot pass validation; Istio's map lookup would give 0.
      out.abort_grpc_status = istio::grpcStatusCode(in.abort->grpc_status).value_or(0);
    }
    if (has_abort && in.abort->percentage) {
      out.abort_per_million = percentToPerMillion(*in.abort->percentage);
    }
  }
  if (!has_delay && !has_abort) {
    return std::nullopt;
  }
  return out;
}

CorsPolicy translateCorsPolicy(const model::CorsPolicy& in) {
  CorsPolicy out;
  out.forward_not_matching_preflights = in.unmatched_preflights != "IGNORE";
  for (const model::StringMatch& m : in.allow_origins) {
    if (std::optional<StringMatcher> sm = toStringMatcher(m)) {
      out.allow_origin.push_back(*sm);  // presence entries are skipped (ConvertToEnvoyMatches)
    }
  }
  auto join = [](const std::vector<std::string>& v) {
    std::string s;
    for (size_t i = 0; i < v.size(); ++i) {
      s += (i == 0 ? "" : ",") + v[i];
    }
    return s;
  };
  out.allow_methods = join(in.allow_methods);
  out.allow_headers = join(in.allow_headers);
  out.expose_headers = join(in.expose_headers);
  if (in.max_age_ns) {
    out.max_age = std::to_string(*in.max_age_ns / 1'000'000'000);  // whole seconds
  }
  out.allow_credentials = in.allow_credentials;
  return out;
}

void applyRedirect(Route& route, const model::HttpRedirect& redirect, uint32_t port, bool tls) {
  RedirectAction r;
  r.host_redirect = redirect.authority;
  if (!redirect.prefix_rewrite.empty()) {
    r.prefix_rewrite = redirect.prefix_rewrite;
  } else {
    r.path_redirect = redirect.uri;
  }
  r.scheme_redirect = redirect.scheme;
  bool has_port_selector =
      redirect.port.has_value() || redirect.derive_port != model::HttpRedirect::DerivePort::kNone;
  if (has_port_selector) {
    if (redirect.port) {
      r.port_redirect = *redirect.port;
    } else if (redirect.derive_port == model::HttpRedirect::DerivePort::kFromRequestPort) {
      // Envoy cannot derive the port per request; routes are built per port, so use it.
      r.port_redirect = port;
    }
    std::string scheme = redirect.scheme;
    if (scheme.empty()) {
      scheme = tls ? "https" : "http";
    }
    if ((r.port_redirect == 80 && scheme == "http") ||
        (r.port_redirect == 443 && scheme == "https")) {
      r.port_redirect = 0;  // no explicit default port
    }
  }
  switch (redirect.redirect_code) {
    case 0:
    case 301:
      r.response_code = 301;
      break;
    case 302:
    case 303:
    case 307:
    case 308:
      r.response_code = redirect.redirect_code;
      break;
    default:
      // Validation accepts any 3xx, but the translator drops the action (1.6).
      route.action = Route::ActionKind::kNone;
      return;
  }
  route.action = Route::ActionKind::kRedirect;
  route.redirect = std::move(r);
}

std::string destinationCluster(const model::Destination& dest, uint32_t listener_port,
                               const ServiceLookup& lookup) {
  if (dest.host.empty()) {
    return "UnknownService";
  }
  std::optional<DestinationService> svc;
  if (lookup) {
    svc = lookup(dest.host);
  }
  std::string host = dest.host;
  if (svc && !svc->cluster_host.empty()) {
    host = svc->cluster_host;  // an ExternalName alias points at its target
  }
  uint32_t port = listener_port;
  if (dest.port) {
    port = *dest.port;
  } else if (svc && svc->ports.size() == 1) {
    port = svc->ports[0];
  }
  return outboundClusterName(port, dest.subset, host);
}

// --- Routes --------------------------------------------------------------------------------------

std::string routeName(const model::HttpRoute& rule, const model::HttpMatchRequest* match) {
  if (match != nullptr && !match->name.empty()) {
    return rule.name + "." + match->name;
  }
  return rule.name;
}

bool httpMatchAppliesTo(const model::HttpMatchRequest& match, const RouteContext& ctx) {
  if (!match.gateways.empty()) {
    for (const std::string& g : match.gateways) {
      if (containsGateway(ctx.gateways, g)) {
        return true;
      }
    }
    return false;
  }
  if (istio::selectorMatches(match.source_labels, ctx.proxy_labels)) {
    return match.source_namespace.empty() || match.source_namespace == ctx.proxy_namespace;
  }
  return false;
}

RouteSource makeRouteSource(const IndexedVirtualService& vs, size_t rule, int32_t match_index) {
  RouteSource src;
  src.virtual_service = vs.ref();
  src.match_index = match_index;
  if (rule < vs.vs.http.size()) {
    const model::HttpRoute& r = vs.vs.http[rule];
    src.http_index = static_cast<int32_t>(r.index);
    src.loc = toSourceRef(r.loc);
    if (const model::HttpMatchRequest* m = matchAt(r, match_index);
        m != nullptr && m->loc.valid()) {
      src.loc = toSourceRef(m->loc);
    }
  }
  if (rule < vs.http_delegate.size()) {
    src.delegate = vs.http_delegate[rule];
  }
  return src;
}

namespace {

// The source of an L4 rule (`rules` is spec.tcp or spec.tls): the rule, or its match entry.
template <typename Rule>
RouteSource makeL4RouteSource(const IndexedVirtualService& vs, const std::vector<Rule>& rules,
                              RouteSource::RuleKind kind, size_t rule, int32_t match_index) {
  RouteSource src;
  src.virtual_service = vs.ref();
  src.rule_kind = kind;
  src.match_index = match_index;
  if (rule < rules.size()) {
    const Rule& r = rules[rule];
    src.http_index = static_cast<int32_t>(r.index);
    src.loc = toSourceRef(r.loc);
    if (match_index >= 0 && static_cast<size_t>(match_index) < r.match.size() &&
        r.match[static_cast<size_t>(match_index)].loc.valid()) {
      src.loc = toSourceRef(r.match[static_cast<size_t>(match_index)].loc);
    }
  }
  return src;
}

}  // namespace

RouteSource makeTcpRouteSource(const IndexedVirtualService& vs, size_t rule, int32_t match_index) {
  return makeL4RouteSource(vs, vs.vs.tcp, RouteSource::RuleKind::kTcp, rule, match_index);
}

RouteSource makeTlsRouteSource(const IndexedVirtualService& vs, size_t rule, int32_t match_index) {
  return makeL4RouteSource(vs, vs.vs.tls, RouteSource::RuleKind::kTls, rule, match_index);
}

std::optional<Route> translateRoute(const IndexedVirtualService& vs, size_t rule,
                                    int32_t match_index, const RouteContext& ctx) {
  if (rule >= vs.vs.http.size()) {
    return std::nullopt;
  }
  const model::HttpRoute& in = vs.vs.http[rule];
  const model::HttpMatchRequest* match = matchAt(in, match_index);
  // Static filters (1.3): match.port against the port routes are built for, then
  // gateways / sourceLabels+sourceNamespace.
  if (match != nullptr && match->port != 0 && match->port != ctx.port) {
    return std::nullopt;
  }
  if (match != nullptr && !httpMatchAppliesTo(*match, ctx)) {
    return std::nullopt;
  }
  Route out;
  out.name = routeName(in, match);
  out.match = translateRouteMatch(match);
  out.source = makeRouteSource(vs, rule, match_index);

  std::string authority;
  if (!in.headers.request.empty() || !in.headers.response.empty()) {
    out.headers = translateHeaderOperations(in.headers, &authority);
  }
  // Precedence when several are present anyway: redirect, directResponse, forward (1.2).
  if (in.redirect) {
    applyRedirect(out, *in.redirect, ctx.port, ctx.tls);
  } else if (in.direct_response) {
    out.action = Route::ActionKind::kDirectResponse;
    out.direct_response.status = in.direct_response->status;
    out.direct_response.body = in.direct_response->body.value_or("");
  } else {
    applyRouteDestination(out, in, authority, ctx);
  }
  if (in.fault) {
    out.fault = translateFault(*in.fault);
  }
  if (in.cors_policy) {
    out.cors = translateCorsPolicy(*in.cors_policy);
  }
  return out;
}

std::vector<Route> buildHttpRoutesForVirtualService(const IndexedVirtualService& vs,
                                                    const RouteContext& ctx) {
  std::vector<Route> out;
  for (size_t i = 0; i < vs.vs.http.size(); ++i) {
    const model::HttpRoute& rule = vs.vs.http[i];
    bool catchall = false;
    if (rule.match.empty()) {
      if (std::optional<Route> r = translateRoute(vs, i, -1, ctx)) {
        out.push_back(std::move(*r));
      }
      catchall = true;
    } else {
      for (size_t m = 0; m < rule.match.size(); ++m) {
        std::optional<Route> r = translateRoute(vs, i, static_cast<int32_t>(m), ctx);
        if (!r) {
          continue;
        }
        bool is_catchall = isCatchAllRoute(*r);
        out.push_back(std::move(*r));
        // Routes are matched in order: nothing after a catch-all can ever match (3.1, 9.5).
        if (is_catchall) {
          catchall = true;
          break;
        }
      }
    }
    if (catchall) {
      break;
    }
  }
  return out;
}

bool isCatchAllRoute(const Route& route) {
  const PathMatcher& p = route.match.path;
  bool catchall = false;
  switch (p.kind) {
    case PathMatcher::Kind::kPrefix:
    case PathMatcher::Kind::kPathSeparatedPrefix:
      catchall = p.value == "/";
      break;
    case PathMatcher::Kind::kSafeRegex:
      catchall = p.value == ".*";
      break;
    case PathMatcher::Kind::kPath:
      break;
  }
  return catchall && route.match.headers.empty() && route.match.query_parameters.empty() &&
         route.match.claims.empty();
}

void sortVHostRoutes(std::vector<Route>& routes) {
  std::stable_partition(routes.begin(), routes.end(),
                        [](const Route& r) { return !isCatchAllRoute(r); });
}

// --- TCP / TLS -----------------------------------------------------------------------------------

bool l4MatchApplies(const model::L4MatchAttributes& match, const RouteContext& ctx,
                    bool gateway_rules) {
  return l4Applies(match.gateways, match.source_labels, match.port, match.source_namespace, ctx,
                   gateway_rules);
}

bool tlsMatchApplies(const model::TlsMatchAttributes& match, const RouteContext& ctx,
                     bool gateway_rules) {
  return l4Applies(match.gateways, match.source_labels, match.port, match.source_namespace, ctx,
                   gateway_rules);
}

TcpProxy buildTcpProxy(const std::vector<model::RouteDestination>& route, const RouteContext& ctx,
                       RouteSource source) {
  TcpProxy out;
  out.source = std::move(source);
  if (route.size() == 1) {
    out.cluster = destinationCluster(route[0].destination, ctx.port, ctx.lookup);
    return out;
  }
  for (const model::RouteDestination& d : route) {
    if (d.weight == 0) {
      continue;
    }
    WeightedCluster wc;
    wc.name = destinationCluster(d.destination, ctx.port, ctx.lookup);
    wc.weight = d.weight > 0 ? static_cast<uint32_t>(d.weight) : 0;
    out.weighted.push_back(std::move(wc));
  }
  return out;
}

}  // namespace meshc::lower
