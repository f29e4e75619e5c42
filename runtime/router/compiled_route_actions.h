// The regular expressions of a configuration's route actions, compiled once (R3.13) so that
// rewriting a path or matching a CORS origin on the request path does not compile RE2 programs.
// Entry point: CompiledRouteActions::create().
#pragma once

#include <memory>
#include <unordered_map>
#include <vector>

#include "base/status.h"
#include "xds/proxy_config.h"

namespace re2 {
class RE2;
}

namespace meshc::router {

/// Compiled `regex_rewrite` patterns, looked up by route. Routes are keyed by address: the
/// configuration given to create() must outlive this object and keep its routes in place.
class CompiledRouteActions {
 public:
  /// Compiles the regex rewrite and the regex CORS origins of every route of every route configuration in `config`.
  /// Fails (kInvalidArgument, naming the route and the pattern) when RE2 refuses a pattern, as
  /// Envoy refuses such a route configuration.
  static Expected<CompiledRouteActions> create(const xds::ProxyConfig& config);
  /// The same for one list of routes (one virtual host, or a test's routes).
  static Expected<CompiledRouteActions> create(const std::vector<xds::Route>& routes);

  CompiledRouteActions(CompiledRouteActions&&) noexcept;
  CompiledRouteActions& operator=(CompiledRouteActions&&) noexcept;
  ~CompiledRouteActions();

  /// The compiled regex_rewrite pattern of `route`; nullptr when it has none or when `route` is
  /// not one of the routes this object was built from.
  const re2::RE2* regexRewrite(const xds::Route& route) const;
  /// The compiled pattern of a regex `allow_origin` matcher of one of those routes' CORS
  /// policies; nullptr otherwise.
  const re2::RE2* corsOriginRegex(const xds::StringMatcher& matcher) const;
  /// The parsed `retry_on` bits (router/retry.h) of `route`'s retry policy; parsed on the spot
  /// for a route this object does not know; 0 without a policy.
  uint32_t retryOn(const xds::Route& route) const;

 private:
  CompiledRouteActions();
  Status add(const xds::Route& route);

  std::unordered_map<const xds::Route*, std::unique_ptr<re2::RE2>> regex_rewrites_;
  std::unordered_map<const xds::StringMatcher*, std::unique_ptr<re2::RE2>> cors_origins_;
  std::unordered_map<const xds::Route*, uint32_t> retry_on_;
};

}  // namespace meshc::router
