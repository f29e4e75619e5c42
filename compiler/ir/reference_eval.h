// The deliberately naive reference for route selection: Envoy's virtual-host lookup done by
// scanning every domain, then every route tried strictly in order. Entry: ReferenceEvaluator.
// It is the oracle the IR interpreter is differentially tested against; keep it obvious.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>

#include "routing/request.h"
#include "routing/route_decision.h"
#include "xds/proxy_config.h"

namespace re2 {
class RE2;
}

namespace meshc::ir {

/// Evaluates requests against one route configuration by ordered scan (SEMANTICS 2.4, 3.2-3.5).
/// Regexes are compiled once at construction (so benchmarks compare scan against structure, not
/// regex compilation). A regex that does not compile (Envoy would reject the whole configuration)
/// makes its route never match; the IR builder does the same. The configuration must outlive the
/// evaluator.
class ReferenceEvaluator {
 public:
  explicit ReferenceEvaluator(const xds::RouteConfiguration& config);
  ~ReferenceEvaluator();
  ReferenceEvaluator(const ReferenceEvaluator&) = delete;
  ReferenceEvaluator& operator=(const ReferenceEvaluator&) = delete;

  /// Virtual host, then the first route whose every matcher passes.
  RouteDecision evaluate(const RequestView& request) const;
  /// The virtual host index Envoy picks for this request, or -1 (SEMANTICS 2.4).
  int32_t selectVirtualHost(const RequestView& request) const;
  /// Whether one route's matchers (path, headers, query parameters, claims) all pass, ignoring
  /// every other route. Used by tests to check shadowing findings.
  bool routeMatches(const xds::Route& route, const RequestView& request) const;

 private:
  bool stringMatches(const xds::StringMatcher& m, std::string_view value) const;
  bool regexFullMatch(const std::string& pattern, std::string_view value) const;
  bool routeValid(const xds::Route& route) const;

  const xds::RouteConfiguration& config_;
  // pattern → compiled regex (nullptr when it does not compile).
  std::unordered_map<std::string, std::unique_ptr<re2::RE2>> regexes_;
};

/// One-shot convenience: builds a ReferenceEvaluator and evaluates one request.
RouteDecision evaluateReference(const xds::RouteConfiguration& config,
                                const RequestView& request);

}  // namespace meshc::ir
