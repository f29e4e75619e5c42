// What the router does with a chosen route, shared by meshproxy and `meshc simulate`
// (PROXY-SEMANTICS section 3 and 4): weighted pick, header operations, host and path rewrites,
// redirect locations, direct responses. Pure functions over xds types and http::HeaderMap; no I/O.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "http/header_map.h"
#include "xds/proxy_config.h"

namespace meshc::router {

/// Values for Envoy's %COMMAND% operators in header values (R3.8).
struct FormatContext {
  std::string_view downstream_remote_address;  // "ip:port"
  std::string_view downstream_local_address;   // "ip:port"
  std::string_view hostname;                   // the proxy's host name
  std::string_view protocol = "HTTP/1.1";
  const http::HeaderMap* request_headers = nullptr;  // for %REQ(h)% in response ops
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
/// when the route has none.
std::string rewritePath(const xds::Route& route, std::string_view path_with_query);

/// R3.1 steps 3–6 on the request that goes upstream: destination header ops and authority
/// (weighted routes: `destination` non-null), route header ops, route host rewrite (with
/// x-envoy-original-host, R2.15/R3.11), path rewrite (with x-envoy-original-path, R2.15).
void finalizeRequest(const xds::Route& route, const xds::WeightedCluster* destination,
                     http::ProxyRequest& request, const FormatContext& context);

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

/// R3.15–R3.16: the `location` of a redirect route.
std::string redirectLocation(const xds::Route& route, const RedirectRequest& request);

/// R14.7: the `location` of a require_tls (httpsRedirect) answer: https://<Host verbatim, port
/// kept><path?query>.
std::string httpsRedirectLocation(const RedirectRequest& request);

}  // namespace meshc::router
