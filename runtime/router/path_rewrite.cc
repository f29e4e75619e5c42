// Prefix and regex rewrites of `:path` (R3.12, R3.13), for forwarding routes and redirects.
#include "router/path_rewrite.h"

#include <re2/re2.h>

#include <algorithm>
#include <memory>

#include "router/route_actions.h"

namespace meshc::router {

std::string replaceMatchedPart(const xds::PathMatcher& matcher, std::string_view replacement,
                               std::string_view path_with_query) {
  const size_t path_end = std::min(path_with_query.find('?'), path_with_query.size());
  size_t matched = path_end;  // exact and regex matchers match the whole path
  if (matcher.kind == xds::PathMatcher::Kind::kPrefix ||
      matcher.kind == xds::PathMatcher::Kind::kPathSeparatedPrefix) {
    matched = std::min(matcher.value.size(), path_end);
  }
  std::string out(replacement);
  out.append(path_with_query.substr(matched));
  return out;
}

std::optional<std::string> rewrittenPath(const xds::Route& route, std::string_view path_with_query,
                                         const CompiledRouteActions* compiled) {
  const xds::RouteAction& action = route.route;
  if (action.regex_rewrite) {
    const re2::RE2* re = compiled != nullptr ? compiled->regexRewrite(route) : nullptr;
    std::unique_ptr<re2::RE2> local;
    if (re == nullptr) {
      local = std::make_unique<re2::RE2>(action.regex_rewrite->first, re2::RE2::Quiet);
      if (!local->ok()) {
        return std::nullopt;  // Envoy would have refused the configuration
      }
      re = local.get();
    }
    const size_t path_end = std::min(path_with_query.find('?'), path_with_query.size());
    std::string out(path_with_query.substr(0, path_end));
    re2::RE2::GlobalReplace(&out, *re, action.regex_rewrite->second);
    out.append(path_with_query.substr(path_end));
    // Envoy's finalizePathHeader leaves :path alone when the new one is empty.
    if (out.empty()) {
      return std::nullopt;
    }
    return out;
  }
  if (!action.prefix_rewrite.empty()) {
    return replaceMatchedPart(route.match.path, action.prefix_rewrite, path_with_query);
  }
  return std::nullopt;
}

std::string rewritePath(const xds::Route& route, std::string_view path_with_query,
                        const CompiledRouteActions* compiled) {
  std::optional<std::string> rewritten = rewrittenPath(route, path_with_query, compiled);
  return rewritten ? std::move(*rewritten) : std::string(path_with_query);
}

}  // namespace meshc::router
