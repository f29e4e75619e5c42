// Hand-built route configurations and requests for the IR tests, plus a check that runs both
// evaluators (reference scan and IR interpreter) and requires them to agree.
#pragma once

#include <catch2/catch.hpp>
#include <string>
#include <utility>
#include <vector>

#include "routing/interpreter.h"
#include "ir/ir.h"
#include "ir/reference_eval.h"
#include "routing/request.h"
#include "routing/verify.h"
#include "lower/proxy_config.h"

namespace meshc::ir::testing {

using SKind = lower::StringMatcher::Kind;

/// Fluent Envoy route builder: R::prefix("/api").header(":method", SKind::kExact, "GET").
struct R {
  lower::Route route;

  static R make(lower::PathMatcher::Kind kind, std::string value) {
    R r;
    r.route.match.path.kind = kind;
    r.route.match.path.value = std::move(value);
    return r;
  }
  static R prefix(std::string v) { return make(lower::PathMatcher::Kind::kPrefix, std::move(v)); }
  static R path(std::string v) { return make(lower::PathMatcher::Kind::kPath, std::move(v)); }
  static R regex(std::string v) { return make(lower::PathMatcher::Kind::kSafeRegex, std::move(v)); }
  static R segment(std::string v) {
    return make(lower::PathMatcher::Kind::kPathSeparatedPrefix, std::move(v));
  }
  R& named(std::string n) {
    route.name = std::move(n);
    return *this;
  }
  R& ignoreCase() {
    route.match.case_sensitive = false;
    return *this;
  }
  R& header(std::string name, SKind kind, std::string value, bool invert = false,
            bool treat_missing = false, bool ignore_case = false) {
    lower::HeaderMatcher h;
    h.name = std::move(name);
    h.string_match = lower::StringMatcher{kind, std::move(value), ignore_case};
    h.invert_match = invert;
    h.treat_missing_header_as_empty = treat_missing;
    route.match.headers.push_back(std::move(h));
    return *this;
  }
  R& present(std::string name, bool invert = false) {
    lower::HeaderMatcher h;
    h.name = std::move(name);
    h.present_match = true;
    h.invert_match = invert;
    route.match.headers.push_back(std::move(h));
    return *this;
  }
  /// Istio `headers: {H: {exact: v}}`.
  R& istioHeader(std::string name, std::string value) {
    return header(std::move(name), SKind::kExact, std::move(value));
  }
  /// Istio `withoutHeaders: {H: {exact: v}}` (invert + treat missing as empty).
  R& istioWithout(std::string name, std::string value) {
    return header(std::move(name), SKind::kExact, std::move(value), true, true);
  }
  R& method(std::string m) { return header(":method", SKind::kExact, std::move(m)); }
  R& query(std::string name, SKind kind, std::string value) {
    lower::QueryParameterMatcher q;
    q.name = std::move(name);
    q.string_match = lower::StringMatcher{kind, std::move(value), false};
    route.match.query_parameters.push_back(std::move(q));
    return *this;
  }
  R& queryPresent(std::string name) {
    lower::QueryParameterMatcher q;
    q.name = std::move(name);
    q.present_match = true;
    route.match.query_parameters.push_back(std::move(q));
    return *this;
  }
  R& claim(std::vector<std::string> path, std::optional<lower::StringMatcher> m,
           bool invert = false) {
    lower::ClaimMatcher c;
    c.claim_path = std::move(path);
    c.string_match = std::move(m);
    c.invert = invert;
    route.match.claims.push_back(std::move(c));
    return *this;
  }
  operator lower::Route() const { return route; }  // NOLINT: builder
};

inline lower::VirtualHost vhost(std::string name, std::vector<std::string> domains,
                                std::vector<lower::Route> routes) {
  lower::VirtualHost v;
  v.name = std::move(name);
  v.domains = std::move(domains);
  v.routes = std::move(routes);
  return v;
}

inline lower::RouteConfiguration config(std::vector<lower::VirtualHost> vhosts,
                                        std::string name = "http.80") {
  lower::RouteConfiguration c;
  c.name = std::move(name);
  c.virtual_hosts = std::move(vhosts);
  return c;
}

/// A config with one "*" virtual host holding `routes`.
inline lower::RouteConfiguration oneHost(std::vector<lower::Route> routes) {
  return config({vhost("all", {"*"}, std::move(routes))});
}

inline HttpRequest request(std::string authority, std::string path,
                           std::vector<std::pair<std::string, std::string>> headers = {},
                           std::string method = "GET") {
  HttpRequest r;
  r.authority = std::move(authority);
  r.path = std::move(path);
  r.headers = std::move(headers);
  r.method = std::move(method);
  return r;
}

/// Runs both evaluators, requires a verified program and agreement; returns the decision.
inline RouteDecision decide(const lower::RouteConfiguration& cfg, const HttpRequest& req) {
  RouteProgram program = buildRouteProgram(cfg);
  Status verified = verifyRouteProgram(program);
  INFO("verifier: " << verified.message());
  REQUIRE(verified.isOk());
  RequestView view = RequestView::create(req);
  RouteDecision ref = ReferenceEvaluator(cfg).evaluate(view);
  RouteDecision got = evaluateProgram(program, view);
  INFO("request " << req.method << " " << req.authority << req.path << "; reference says "
                  << describeDecision(ref) << ", interpreter says " << describeDecision(got));
  REQUIRE(ref == got);
  return got;
}

/// The winning route index, -1 for no route, -2 for no virtual host (both evaluators agree).
inline int routeOf(const lower::RouteConfiguration& cfg, const HttpRequest& req) {
  RouteDecision d = decide(cfg, req);
  if (d.kind == RouteDecision::Kind::kNoVirtualHost) {
    return -2;
  }
  return d.kind == RouteDecision::Kind::kNoRoute ? -1 : d.route;
}

/// The chosen virtual host index, or -1.
inline int vhostOf(const lower::RouteConfiguration& cfg, const std::string& authority) {
  return decide(cfg, request(authority, "/")).virtual_host;
}

}  // namespace meshc::ir::testing
