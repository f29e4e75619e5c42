// CompiledRouteActions: one RE2 per route regex rewrite, built when a configuration is loaded.
#include "router/compiled_route_actions.h"

#include <re2/re2.h>

#include "router/retry.h"

namespace meshc::router {

CompiledRouteActions::CompiledRouteActions() = default;
CompiledRouteActions::CompiledRouteActions(CompiledRouteActions&&) noexcept = default;
CompiledRouteActions& CompiledRouteActions::operator=(CompiledRouteActions&&) noexcept = default;
CompiledRouteActions::~CompiledRouteActions() = default;

Status CompiledRouteActions::add(const xds::Route& route) {
  if (route.route.retry_policy) {
    retry_on_.emplace(&route, parseRetryOn(route.route.retry_policy->retry_on));
  }
  if (route.cors) {
    for (const xds::StringMatcher& m : route.cors->allow_origin) {
      if (m.kind != xds::StringMatcher::Kind::kRegex) {
        continue;
      }
      auto re = std::make_unique<re2::RE2>(m.value, re2::RE2::Quiet);
      if (!re->ok()) {  // Envoy refuses the route configuration
        return Status::error(StatusCode::kInvalidArgument,
                             "route " + (route.name.empty() ? std::string("(unnamed)") : route.name) +
                                 ": CORS allowOrigins regex \"" + m.value +
                                 "\" does not compile: " + re->error());
      }
      cors_origins_.emplace(&m, std::move(re));
    }
  }
  if (!route.route.regex_rewrite) {
    return Status::ok();
  }
  const std::string& pattern = route.route.regex_rewrite->first;
  // Quiet: a refused pattern is reported once, here, not logged by RE2.
  auto re = std::make_unique<re2::RE2>(pattern, re2::RE2::Quiet);
  if (!re->ok()) {
    return Status::error(StatusCode::kInvalidArgument,
                         "route " + (route.name.empty() ? std::string("(unnamed)") : route.name) +
                             ": regex rewrite \"" + pattern +
                             "\" does not compile: " + re->error());
  }
  regex_rewrites_.emplace(&route, std::move(re));
  return Status::ok();
}

Expected<CompiledRouteActions> CompiledRouteActions::create(const xds::ProxyConfig& config) {
  CompiledRouteActions compiled;
  for (const xds::RouteConfiguration& rc : config.route_configs) {
    for (const xds::VirtualHost& vh : rc.virtual_hosts) {
      for (const xds::Route& route : vh.routes) {
        if (Status st = compiled.add(route); !st) {
          return Status::error(st.code(), rc.name + ": " + st.message());
        }
      }
    }
  }
  return compiled;
}

Expected<CompiledRouteActions> CompiledRouteActions::create(const std::vector<xds::Route>& routes) {
  CompiledRouteActions compiled;
  for (const xds::Route& route : routes) {
    if (Status st = compiled.add(route); !st) {
      return st;
    }
  }
  return compiled;
}

const re2::RE2* CompiledRouteActions::regexRewrite(const xds::Route& route) const {
  auto it = regex_rewrites_.find(&route);
  return it == regex_rewrites_.end() ? nullptr : it->second.get();
}

const re2::RE2* CompiledRouteActions::corsOriginRegex(const xds::StringMatcher& matcher) const {
  auto it = cors_origins_.find(&matcher);
  return it == cors_origins_.end() ? nullptr : it->second.get();
}

uint32_t CompiledRouteActions::retryOn(const xds::Route& route) const {
  auto it = retry_on_.find(&route);
  if (it != retry_on_.end()) {
    return it->second;
  }
  return route.route.retry_policy ? parseRetryOn(route.route.retry_policy->retry_on) : 0;
}

}  // namespace meshc::router
