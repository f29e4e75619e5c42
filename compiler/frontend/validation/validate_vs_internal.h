// Internal pieces of the VirtualService validator (ISTIO-VALIDATION.md A.4), one file each.
// Entry point for users: validateVirtualService() in validate.h.
#pragma once

#include <string>
#include <string_view>

#include "base/quote.h"
#include "frontend/reporter.h"
#include "frontend/yaml_tree.h"

namespace meshc::frontend::validation::vs {

/// A present, non-null node (Istio's JSON conversion treats `null` like an absent field).
inline bool isSet(const Node* n) { return n != nullptr && !n->isNull(); }
/// A scalar's text; "" for absent, null or collections.
inline std::string_view textOf(const Node* n) {
  return n != nullptr && n->isScalar() && !n->isNull() ? n->text() : std::string_view();
}
/// Number of items of a sequence (0 for anything else), as Go's len() of a repeated field.
inline size_t seqSize(const Node* n) { return n != nullptr && n->isSeq() ? n->size() : 0; }
/// Number of entries of a map (0 for anything else).
inline size_t mapSize(const Node* n) { return n != nullptr && n->isMap() ? n->size() : 0; }

/// What an http[] entry is, as Istio's getHTTPRouteType.
enum class HttpRouteKind { kIndependent, kRoot, kDelegate };

/// V12-V66 for one non-null http[] entry.
void validateHttpRoute(const Node* route, HttpRouteKind kind, Reporter& rep);
/// V19-V26 for the `match` list of one http[] entry.
void validateHttpMatchRequests(const Node* matches, Reporter& rep);
/// V27/V28/V62: header add/set/remove names and values of a `headers` block.
void validateHeaderOperations(const Node* headers, Reporter& rep);
/// V61-V65 (http, with_headers=true) and V73/V76 (tls/tcp) for a `route` list.
void validateRouteDestinations(const Node* route_list, bool with_headers, Reporter& rep);
/// V78/V79: unreachable rules (IST0130) and ineffective matches (IST0131) of one rule list.
enum class RuleListKind { kHttp, kTls, kTcp };
void analyzeUnreachableRules(const Node* rules, RuleListKind kind, Reporter& rep);

}  // namespace meshc::frontend::validation::vs
