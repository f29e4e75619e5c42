// TEMPORARY: stand-ins until the route-actions and upstream-lb branches merge. Not committed.
#include "router/route_actions.h"

namespace meshc::router {
size_t pickWeightedCluster(const std::vector<xds::WeightedCluster>& c, uint64_t r) {
  uint64_t total = 0;
  for (auto& w : c) total += w.weight;
  uint64_t v = r % total;
  for (size_t i = 0; i < c.size(); ++i) {
    if (v < c[i].weight) return i;
    v -= c[i].weight;
  }
  return 0;
}
void applyHeaderOps(const std::vector<xds::HeaderValueOption>&, const std::vector<std::string>&,
                    http::HeaderMap&, const FormatContext&) {}
std::string rewritePath(const xds::Route&, std::string_view p) { return std::string(p); }
void finalizeRequest(const xds::Route& route, const xds::WeightedCluster*, http::ProxyRequest& r,
                     const FormatContext&) {
  if (!route.route.host_rewrite.empty()) r.authority = route.route.host_rewrite;
}
void finalizeResponseHeaders(const xds::Route&, const xds::WeightedCluster*, http::HeaderMap&,
                             const FormatContext&) {}
std::string redirectLocation(const xds::Route& route, const RedirectRequest& r) {
  return std::string(route.redirect.scheme_redirect.empty() ? r.scheme : std::string_view(route.redirect.scheme_redirect)) + "://" +
         (route.redirect.host_redirect.empty() ? std::string(r.authority) : route.redirect.host_redirect) +
         (route.redirect.path_redirect.empty() ? std::string(r.path_with_query) : route.redirect.path_redirect);
}
std::string httpsRedirectLocation(const RedirectRequest& r) {
  return "https://" + std::string(r.authority) + std::string(r.path_with_query);
}
}  // namespace meshc::router

