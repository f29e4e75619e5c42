// Path rewrites of forwarding routes and redirects (PROXY-SEMANTICS R3.12, R3.13, R3.15):
// the pieces rewritePath(), finalizeRequest() and redirectLocation() share.
// Entry points: rewrittenPath(), replaceMatchedPart().
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "router/compiled_route_actions.h"
#include "xds/proxy_config.h"

namespace meshc::router {

/// R3.12: `path_with_query` with the part the route's path matcher matched replaced by
/// `replacement`, by plain string splicing: a prefix (or path-separated prefix) matcher matched
/// len(prefix) bytes, whatever their case; an exact or regex matcher matched the whole path
/// without query. The rest, query included, is kept.
std::string replaceMatchedPart(const xds::PathMatcher& matcher, std::string_view replacement,
                               std::string_view path_with_query);

/// R3.12/R3.13: the new `:path` of a forwarding route, or nullopt when the route rewrites
/// nothing (no rewrite configured, a regex rewrite that leaves path and query empty, or a
/// pattern RE2 refuses). A regex rewrite (RE2 replace-all over the path without query, `\1`..
/// `\9` naming groups) wins over a prefix rewrite. `compiled` may be null.
std::optional<std::string> rewrittenPath(const xds::Route& route, std::string_view path_with_query,
                                         const CompiledRouteActions* compiled);

}  // namespace meshc::router
