// ReferenceEvaluator: ordered-scan route selection that mirrors Envoy's RouteMatcher and
// RouteEntryImplBase::matchRoute one matcher at a time. Written for obviousness, not speed.
#include "ir/reference_eval.h"

#include <re2/re2.h>

#include "base/ascii.h"

namespace meshc::ir {

namespace {

// The host Envoy looks domains up with (SEMANTICS 2.4): lower-cased, port stripped when the
// route configuration says so. RequestView already strips the port and lower-cases.
std::string lookupHost(const xds::RouteConfiguration& config, const RequestView& request) {
  return config.ignore_port_in_host_matching ? request.host() : ascii::toLower(request.authority());
}

void collectPatterns(const xds::StringMatcher& m, std::vector<const std::string*>& out) {
  if (m.kind == xds::StringMatcher::Kind::kRegex) {
    out.push_back(&m.value);
  }
}

std::vector<const std::string*> routePatterns(const xds::Route& route) {
  std::vector<const std::string*> out;
  if (route.match.path.kind == xds::PathMatcher::Kind::kSafeRegex) {
    out.push_back(&route.match.path.value);
  }
  for (const auto& h : route.match.headers) {
    if (h.string_match) {
      collectPatterns(*h.string_match, out);
    }
  }
  for (const auto& q : route.match.query_parameters) {
    if (q.string_match) {
      collectPatterns(*q.string_match, out);
    }
  }
  for (const auto& c : route.match.claims) {
    if (c.string_match) {
      collectPatterns(*c.string_match, out);
    }
  }
  return out;
}

}  // namespace


ReferenceEvaluator::ReferenceEvaluator(const xds::RouteConfiguration& config) : config_(config) {
  RE2::Options options;
  options.set_log_errors(false);
  for (const auto& vhost : config.virtual_hosts) {
    for (const auto& route : vhost.routes) {
      for (const std::string* pattern : routePatterns(route)) {
        if (regexes_.count(*pattern) != 0) {
          continue;
        }
        auto re = std::make_unique<RE2>(*pattern, options);
        regexes_.emplace(*pattern, re->ok() ? std::move(re) : nullptr);
      }
    }
  }
}

ReferenceEvaluator::~ReferenceEvaluator() = default;

bool ReferenceEvaluator::regexFullMatch(const std::string& pattern, std::string_view value) const {
  auto it = regexes_.find(pattern);
  if (it == regexes_.end() || it->second == nullptr) {
    return false;
  }
  return RE2::FullMatch(value, *it->second);
}

bool ReferenceEvaluator::routeValid(const xds::Route& route) const {
  for (const std::string* pattern : routePatterns(route)) {
    auto it = regexes_.find(*pattern);
    if (it == regexes_.end() || it->second == nullptr) {
      return false;
    }
  }
  return true;
}

// Envoy StringMatcherImpl: ignore_case folds ASCII for exact/prefix/suffix/contains and has no
// effect on safe_regex, which is a full match (SEMANTICS 1.4).
bool ReferenceEvaluator::stringMatches(const xds::StringMatcher& m,
                                       std::string_view value) const {
  using Kind = xds::StringMatcher::Kind;
  switch (m.kind) {
    case Kind::kExact:
      return m.ignore_case ? ascii::equalsIgnoreCase(value, m.value) : value == m.value;
    case Kind::kPrefix:
      return m.ignore_case ? ascii::startsWithIgnoreCase(value, m.value)
                           : value.substr(0, m.value.size()) == m.value;
    case Kind::kSuffix:
      return m.ignore_case ? ascii::endsWithIgnoreCase(value, m.value)
                           : (value.size() >= m.value.size() &&
                              value.substr(value.size() - m.value.size()) == m.value);
    case Kind::kContains:
      if (m.ignore_case) {
        return ascii::toLower(value).find(ascii::toLower(m.value)) != std::string::npos;
      }
      return value.find(m.value) != std::string_view::npos;
    case Kind::kRegex:
      return regexFullMatch(m.value, value);
  }
  return false;
}

int32_t ReferenceEvaluator::selectVirtualHost(const RequestView& request) const {
  // Envoy's fast path: a configuration whose only domain is "*" takes every request.
  bool only_default = true;
  for (const auto& vhost : config_.virtual_hosts) {
    for (const auto& domain : vhost.domains) {
      if (domain != "*") {
        only_default = false;
      }
    }
  }
  int32_t default_vhost = -1;
  for (size_t v = 0; v < config_.virtual_hosts.size() && default_vhost < 0; ++v) {
    for (const auto& domain : config_.virtual_hosts[v].domains) {
      if (domain == "*") {
        default_vhost = static_cast<int32_t>(v);
        break;
      }
    }
  }
  if (only_default) {
    return default_vhost;
  }

  const std::string host = lookupHost(config_, request);
  // (1) exact domain; the first virtual host listing it wins (Envoy rejects duplicates anyway).
  for (size_t v = 0; v < config_.virtual_hosts.size(); ++v) {
    for (const auto& raw : config_.virtual_hosts[v].domains) {
      std::string domain = ascii::toLower(raw);
      bool wildcard =
          domain == "*" || (!domain.empty() && (domain.front() == '*' || domain.back() == '*'));
      if (!wildcard && domain == host) {
        return static_cast<int32_t>(v);
      }
    }
  }
  // (2) suffix wildcards "*x": longest x wins; the part the '*' stands for must be non-empty.
  int32_t best = -1;
  size_t best_len = 0;
  for (size_t v = 0; v < config_.virtual_hosts.size(); ++v) {
    for (const auto& raw : config_.virtual_hosts[v].domains) {
      std::string domain = ascii::toLower(raw);
      if (domain == "*" || domain.empty() || domain.front() != '*') {
        continue;
      }
      std::string suffix = domain.substr(1);
      if (host.size() > suffix.size() && host.ends_with(suffix) &&
          (best < 0 || suffix.size() > best_len)) {
        best = static_cast<int32_t>(v);
        best_len = suffix.size();
      }
    }
  }
  if (best >= 0) {
    return best;
  }
  // (3) prefix wildcards "x*": longest x wins, again with a non-empty wildcard part.
  for (size_t v = 0; v < config_.virtual_hosts.size(); ++v) {
    for (const auto& raw : config_.virtual_hosts[v].domains) {
      std::string domain = ascii::toLower(raw);
      if (domain == "*" || domain.empty() || domain.front() == '*' || domain.back() != '*') {
        continue;
      }
      std::string prefix = domain.substr(0, domain.size() - 1);
      if (host.size() > prefix.size() && host.starts_with(prefix) &&
          (best < 0 || prefix.size() > best_len)) {
        best = static_cast<int32_t>(v);
        best_len = prefix.size();
      }
    }
  }
  if (best >= 0) {
    return best;
  }
  // (4) "*".
  return default_vhost;
}

bool ReferenceEvaluator::routeMatches(const xds::Route& route, const RequestView& request) const {
  if (!routeValid(route)) {
    return false;
  }
  const xds::RouteMatch& match = route.match;
  const std::string& path = request.path();  // normalised, query excluded (SEMANTICS 3.2)
  const std::string& value = match.path.value;
  const bool cs = match.case_sensitive;
  switch (match.path.kind) {
    case xds::PathMatcher::Kind::kPrefix:
      if (cs ? !path.starts_with(value) : !ascii::startsWithIgnoreCase(path, value)) {
        return false;
      }
      break;
    case xds::PathMatcher::Kind::kPath:
      if (cs ? path != value : !ascii::equalsIgnoreCase(path, value)) {
        return false;
      }
      break;
    case xds::PathMatcher::Kind::kSafeRegex:
      // case_sensitive does not apply to regexes; RE2 full match.
      if (!regexFullMatch(value, path)) {
        return false;
      }
      break;
    case xds::PathMatcher::Kind::kPathSeparatedPrefix: {
      // Envoy: the prefix (honouring case_sensitive) followed by end of path or '/'. A value that
      // is empty or ends in '/' already sits on a segment boundary (Envoy rejects such values;
      // we read them as plain prefixes).
      if (cs ? !path.starts_with(value) : !ascii::startsWithIgnoreCase(path, value)) {
        return false;
      }
      bool open = value.empty() || value.back() == '/';
      if (!open && path.size() != value.size() && path[value.size()] != '/') {
        return false;
      }
      break;
    }
  }
  // Header matchers, SEMANTICS 3.4 (Envoy HeaderUtility::matchHeaders).
  for (const xds::HeaderMatcher& h : match.headers) {
    std::optional<std::string_view> got = request.header(ascii::toLower(h.name));
    const bool presence = h.present_match || !h.string_match;
    if (!got && !h.treat_missing_header_as_empty) {
      // Absent: only an inverted presence matcher passes.
      if (!(h.invert_match && presence)) {
        return false;
      }
      continue;
    }
    std::string_view v = got ? *got : std::string_view();
    bool ok = presence ? true : stringMatches(*h.string_match, v);
    if (ok == h.invert_match) {
      return false;
    }
  }
  // Query parameters, SEMANTICS 3.5: absent never matches; first occurrence only.
  for (const xds::QueryParameterMatcher& q : match.query_parameters) {
    std::optional<std::string_view> got = request.queryParam(q.name);
    if (!got) {
      return false;
    }
    if (!q.present_match && q.string_match && !stringMatches(*q.string_match, *got)) {
      return false;
    }
  }
  // JWT claims (dynamic metadata matchers): absent claims do not match; invert flips.
  for (const xds::ClaimMatcher& c : match.claims) {
    std::string key;
    for (size_t i = 0; i < c.claim_path.size(); ++i) {
      key += (i == 0 ? "" : ".") + c.claim_path[i];
    }
    std::optional<std::string_view> got = request.claim(key);
    bool ok = got && (!c.string_match || stringMatches(*c.string_match, *got));
    if (ok == c.invert) {
      return false;
    }
  }
  return true;
}

RouteDecision ReferenceEvaluator::evaluate(const RequestView& request) const {
  RouteDecision d;
  int32_t v = selectVirtualHost(request);
  if (v < 0) {
    return d;
  }
  d.virtual_host = v;
  const auto& routes = config_.virtual_hosts[v].routes;
  for (size_t r = 0; r < routes.size(); ++r) {
    if (routeMatches(routes[r], request)) {
      d.kind = RouteDecision::Kind::kRoute;
      d.route = static_cast<int32_t>(r);
      return d;
    }
  }
  d.kind = RouteDecision::Kind::kNoRoute;
  return d;
}

RouteDecision evaluateReference(const xds::RouteConfiguration& config,
                                const RequestView& request) {
  return ReferenceEvaluator(config).evaluate(request);
}

}  // namespace meshc::ir
