// What the router does with a chosen route, shared by meshproxy and `meshc simulate`
// (PROXY-SEMANTICS section 3 and 4): weighted pick, header operations, host and path rewrites,
// redirect locations, direct responses. Pure functions over xds types and http::HeaderMap; no I/O.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "http/header_map.h"
#include "xds/proxy_config.h"

namespace meshc::router {

class CompiledRouteActions;  // router/compiled_route_actions.h

/// Values for Envoy's %COMMAND% operators in header values (R3.8; router/header_format.h).
struct FormatContext {
  std::string_view downstream_remote_address;  // "ip:port"
  std::string_view downstream_local_address;   // "ip:port"
  std::string_view hostname;                   // the proxy's host name
  std::string_view protocol = "HTTP/1.1";
  const http::HeaderMap* request_headers = nullptr;  // for %REQ(h)% in response ops
  /// For %REQ(:authority)%, %REQ(:path)%, %REQ(:method)%, %REQ(:scheme)% and, when
  /// request_headers is null, every %REQ(h)%. finalizeRequest() points it at its request.
  const http::ProxyRequest* request = nullptr;
};

/// R4.2: the index of the weighted cluster containing `random % total_weight`; 0 when the list
/// has one entry. Precondition: `clusters` non-empty with a positive total weight.
size_t pickWeightedCluster(const std::vector<xds::WeightedCluster>& clusters, uint64_t random);

/// R3.5 (one header-parser level): all removals, then values computed, then `set`s
/// (OVERWRITE_IF_EXISTS_OR_ADD), then `add`s (APPEND_IF_EXISTS_OR_ADD, R3.6); a value that is
/// empty after substitution is skipped (R3.7); %%/%OPERATOR% substituted (R3.8).
void applyHeaderOps(const std::vector<xds::HeaderValueOption>& to_add,
                    const std::vector<std::string>& to_remove, http::HeaderMap& headers,
                    const FormatContext& context);

/// R3.12/R3.13: the `:path` (with query) after the route's prefix or regex rewrite; unchanged
/// when the route has none, when a regex rewrite leaves nothing (path and query empty), or when
/// RE2 refuses the pattern. `compiled` (built once per configuration) saves compiling the
/// route's regex per call; without it, or when it does not know the route, it is compiled here.
std::string rewritePath(const xds::Route& route, std::string_view path_with_query,
                        const CompiledRouteActions* compiled = nullptr);

/// R3.1 steps 3–6 on the request that goes upstream: destination header ops and authority
/// (weighted routes: `destination` non-null), route header ops, route host rewrite (with
/// x-envoy-original-host, R2.15/R3.11), path rewrite (with x-envoy-original-path, R2.15).
/// `compiled` as for rewritePath().
void finalizeRequest(const xds::Route& route, const xds::WeightedCluster* destination,
                     http::ProxyRequest& request, const FormatContext& context,
                     const CompiledRouteActions* compiled = nullptr);

/// R3.9: response header ops of a route for a response from the upstream or a direct response
/// or redirect of that route (weighted: destination ops first, then route ops).
void finalizeResponseHeaders(const xds::Route& route, const xds::WeightedCluster* destination,
                             http::HeaderMap& response, const FormatContext& context);

/// What a redirect needs from the request.
struct RedirectRequest {
  std::string_view scheme = "http";  // the request's :scheme (R2.6)
  std::string_view authority;        // Host as sent, port included
  std::string_view path_with_query;  // the normalised path and "?query"
  std::string_view forwarded_proto;  // x-forwarded-proto after sanitising ("" = scheme)
};

/// R3.15–R3.16: the `location` of a redirect route. Envoy's Utility::newUri after the redirect's
/// prefix rewrite: `redirect.host_redirect` replaces the Host whole; otherwise the Host keeps its
/// port unless a port_redirect is set, or the scheme changes away from x-forwarded-proto and the
/// port is that protocol's default (":80" for http, ":443" for https). Istio never sets
/// strip_query, so the query is kept unless path_redirect carries its own.
std::string redirectLocation(const xds::Route& route, const RedirectRequest& request);

/// R14.7: the `location` of a require_tls (httpsRedirect) answer: https://<Host verbatim, port
/// kept><path?query>.
std::string httpsRedirectLocation(const RedirectRequest& request);

}  // namespace meshc::router
