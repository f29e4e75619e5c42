// What the router does to a request and its response once a forwarding route is chosen
// (PROXY-SEMANTICS R3.1–R3.11, R4.2): weighted pick, header operations, authority and path.
#include "router/route_actions.h"

#include <cassert>
#include <optional>
#include <utility>

#include "base/ascii.h"
#include "router/header_format.h"
#include "router/path_rewrite.h"

namespace meshc::router {

namespace {

// Envoy refuses header ops on pseudo headers and `host` (":-prefixed or host headers may not be
// modified"); Istio drops them before emitting (R3.3), so they can only come from a hand-made
// configuration, where skipping them is what keeps the request well-formed.
bool mayModify(std::string_view lower_name) {
  return !lower_name.empty() && lower_name.front() != ':' && lower_name != "host";
}

}  // namespace

size_t pickWeightedCluster(const std::vector<xds::WeightedCluster>& clusters, uint64_t random) {
  assert(!clusters.empty());
  uint64_t total = 0;
  for (const xds::WeightedCluster& c : clusters) {
    total += c.weight;
  }
  assert(total > 0);
  if (clusters.size() == 1 || total == 0) {
    return 0;
  }
  // R4.2: half-open intervals [0,w1), [w1,w1+w2), ... in list order.
  uint64_t v = random % total;
  for (size_t i = 0; i < clusters.size(); ++i) {
    if (v < clusters[i].weight) {
      return i;
    }
    v -= clusters[i].weight;
  }
  return clusters.size() - 1;  // unreachable: v < total
}

void applyHeaderOps(const std::vector<xds::HeaderValueOption>& to_add,
                    const std::vector<std::string>& to_remove, http::HeaderMap& headers,
                    const FormatContext& context) {
  // (a) removals first.
  for (const std::string& name : to_remove) {
    std::string lower = ascii::toLower(name);
    if (mayModify(lower)) {
      headers.remove(lower);
    }
  }
  // (b) every value from the headers as (a) left them; a request-side level reads its own map
  // for %REQ()% unless the caller named the request.
  FormatContext ctx = context;
  const bool response_side = headers.side() == http::HeaderMap::Side::kResponse;
  if (!response_side && ctx.request == nullptr && ctx.request_headers == nullptr) {
    ctx.request_headers = &headers;
  }
  std::vector<std::pair<std::string, std::string>> sets;
  std::vector<std::pair<std::string, std::string>> adds;
  for (const xds::HeaderValueOption& op : to_add) {
    std::string lower = ascii::toLower(op.key);
    if (!mayModify(lower)) {
      continue;
    }
    std::string value = formatHeaderValue(op.value, ctx, response_side ? &headers : nullptr);
    if (value.empty()) {
      continue;  // R3.7: Istio never sets keep_empty_value
    }
    auto& list = op.append == xds::HeaderValueOption::Append::kOverwriteIfExistsOrAdd ? sets : adds;
    list.emplace_back(std::move(lower), std::move(value));
  }
  // (c) overwrites, then (d) appends (R3.5, R3.6).
  for (const auto& [name, value] : sets) {
    headers.set(name, value);
  }
  for (const auto& [name, value] : adds) {
    headers.append(name, value);
  }
}

void finalizeRequest(const xds::Route& route, const xds::WeightedCluster* destination,
                     http::ProxyRequest& request, const FormatContext& context,
                     const CompiledRouteActions* compiled) {
  FormatContext ctx = context;
  ctx.request = &request;
  // R3.1 step 3: the weighted destination's level, then its authority (plain setHost).
  if (destination != nullptr) {
    applyHeaderOps(destination->headers.request_headers_to_add,
                   destination->headers.request_headers_to_remove, request.headers, ctx);
    if (!destination->host_rewrite.empty()) {
      request.authority = destination->host_rewrite;
    }
  }
  // Step 4: the route's level (a single destination's ops are already in it, R3.4).
  applyHeaderOps(route.headers.request_headers_to_add, route.headers.request_headers_to_remove,
                 request.headers, ctx);
  // Step 5: host_rewrite_literal keeps the old Host (R2.15, R3.11); no x-forwarded-host (R2.14).
  if (!route.route.host_rewrite.empty()) {
    if (!request.authority.empty()) {
      request.headers.set("x-envoy-original-host", request.authority);
    }
    request.authority = route.route.host_rewrite;
  }
  // Step 6: path rewrite, keeping the old :path (R2.15).
  if (std::optional<std::string> path = rewrittenPath(route, request.path, compiled)) {
    request.headers.set("x-envoy-original-path", request.path);
    request.path = std::move(*path);
  }
}

void finalizeResponseHeaders(const xds::Route& route, const xds::WeightedCluster* destination,
                             http::HeaderMap& response, const FormatContext& context) {
  if (destination != nullptr) {
    applyHeaderOps(destination->headers.response_headers_to_add,
                   destination->headers.response_headers_to_remove, response, context);
  }
  applyHeaderOps(route.headers.response_headers_to_add, route.headers.response_headers_to_remove,
                 response, context);
}

}  // namespace meshc::router
