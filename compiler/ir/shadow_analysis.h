// Route shadowing on the routing IR: routes that can never match because one earlier route of
// the same virtual host accepts every request they accept. Entry point: findShadowedRoutes().
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "ir/ir.h"

namespace meshc::ir {

/// `route` of `virtual_host` is unreachable: `shadowing_route` (< route) takes all its requests.
struct ShadowFinding {
  uint32_t virtual_host = 0;
  uint32_t route = 0;
  uint32_t shadowing_route = 0;
  /// Why, in words, e.g. `prefix "/api" covers prefix "/api/v1" and route 0 has no other
  /// conditions` or `route 2 has the same matchers`.
  std::string reason;
};

/// Sound, not complete: a finding is only reported when it is proved, i.e. the earlier route's
/// path matcher accepts every path the later one accepts (prefix/segment/exact containment with
/// case rules, "/" covering regexes, an exact path checked against a regex, identical regexes)
/// and every header / query / claim test of the earlier route is implied by one test of the
/// later route (identical tests, presence implied by any value test, prefix/suffix/contains/regex
/// implied by a fitting exact value, ...). Regexes and inverted tests are only compared for
/// identity. Unions of several earlier routes are not considered. Each shadowed route is
/// reported once, naming the lowest-index earlier route that covers it. Findings are ordered by
/// virtual host, then route. Routes whose regex does not compile are not reported here (they are
/// in RouteProgram::problems). Cost: per route, one walk of its path through both tries plus at
/// most kMaxShadowChecks candidate comparisons.
std::vector<ShadowFinding> findShadowedRoutes(const RouteProgram& program);

inline constexpr size_t kMaxShadowChecks = 1024;

}  // namespace meshc::ir
