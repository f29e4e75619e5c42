// Evaluates the routing IR for one request: host table, trie walks, ordered candidate merge.
// Entry point: evaluateProgram(). Same answers as ReferenceEvaluator, without the route scan.
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

#include "routing/route_tree.h"
#include "routing/request.h"
#include "routing/route_decision.h"

namespace meshc::ir {

/// What the interpreter looked at, for `explain`: the candidate routes whose residual predicates
/// it checked, in order (the last one is the winner when a route matched).
struct EvalTrace {
  std::vector<uint32_t> candidates;
};

/// Picks the virtual host for a lookup host (already lower-cased, port stripped as the program
/// says); -1 when none (SEMANTICS 2.4).
int32_t selectVirtualHost(const RouteProgram& program, std::string_view host);

/// Full route selection. Never fails; thread-safe for concurrent calls on one program.
RouteDecision evaluateProgram(const RouteProgram& program, const RequestView& request,
                              EvalTrace* trace = nullptr);

/// Route selection inside one virtual host: the winning route index or -1.
int32_t selectRoute(const RouteProgram& program, uint32_t virtual_host, const RequestView& request,
                    EvalTrace* trace = nullptr);

/// The routes of `vh.regex_routes` whose path regex fully matches `path`, in route order: one
/// RE2::Set pass (or one regex at a time when the set is missing or out of memory). `hits` is
/// scratch space.
void matchRegexRoutes(const RouteProgram& program, const VirtualHostProgram& vh,
                      std::string_view path, std::vector<uint32_t>& matched,
                      std::vector<int>& hits);

/// Whether a compiled StringTest accepts a value (Envoy StringMatcher semantics).
bool stringTestMatches(const RouteProgram& program, const StringTest& test, std::string_view value);

}  // namespace meshc::ir
