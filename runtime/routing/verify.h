// Structural verifier for the routing IR: every invariant the interpreter relies on.
// Entry point: verifyRouteProgram().
#pragma once

#include "routing/route_tree.h"
#include "base/status.h"

namespace meshc::ir {

/// Checks a program: host table (keys lower-case, wildcard groups longest first with keys of
/// their length, virtual host ids in range), regex pool (patterns and compiled regexes
/// parallel, indices in range), and per virtual host: tries are trees with non-empty labels,
/// sorted unique child bytes that equal each child's first label byte, no uncompressed chain
/// nodes, lower-case keys in the case-insensitive trie; candidate sets sorted and unique, switch
/// cases sorted and keyed on a test the route really has; every route that can match is filed
/// exactly once, exactly where its path says (trie, node key, set kind), routes that never match
/// are filed nowhere (a safe_regex route with a literal prefix of kMinRegexTriePrefix bytes or
/// more sits in the case-sensitive trie at that literal, the others in the regex list).
/// Returns kCorrupt with a message naming the virtual host, route or node on the first problem.
Status verifyRouteProgram(const RouteProgram& program);

}  // namespace meshc::ir
