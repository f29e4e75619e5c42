// The routing IR (the portable decision tree): one RouteProgram per Envoy route configuration, answering "which virtual host,
// which route" without scanning routes one by one. Built by buildRouteProgram() (compiler/ir/ir.h); also the
// in-memory form of a bundle's decision-tree section (runtime/bundle).
// Evaluated by interpreter.h, checked by verify.h, printed by dump.h, analysed by
// shadow_analysis.h; reference_eval.h is the ordered-scan oracle it must agree with.
//
// Design (first-match-wins order is preserved exactly):
//
//  1. Virtual-host table, as Envoy's RouteMatcher (SEMANTICS 2.4): a hash map of exact domains,
//     suffix wildcards grouped by suffix length (longest group first; each group a hash map),
//     prefix wildcards likewise, then the "*" host. Cost: one hash probe per distinct wildcard
//     length no longer than the host, so O(|host|) probes whatever the number of domains.
//
//  2. Per virtual host, path selection. Every route is filed exactly once under its path:
//       - prefix / exact / path_separated_prefix routes in a compressed trie (radix tree) over
//         path bytes, at the node whose key is their path value. There are two tries: one for
//         case-sensitive routes over the path, one for case-insensitive routes over the ASCII
//         lower-cased path with lower-cased keys. A node carries up to four candidate sets:
//         "prefix" (matches any path through the node), "exact" (matches only if the path ends
//         at the node) and "segment" (path_separated_prefix: matches if the path ends at the node
//         or continues with '/').
//       - safe_regex routes whose matches all start with a literal of at least two bytes (the
//         common prefix of RE2's PossibleMatchRange bounds, e.g. "/users/" for
//         "/users/[0-9]+") in the case-sensitive trie at that literal, in a fourth set kind
//         ("regex"); their regex is checked when they come up as candidates.
//       - the other safe_regex routes (".*", "(?i)/api", "[/a-z]+") in one ordered list,
//         prefiltered by a single RE2::Set (anchored at both ends, one pass over the path) that
//         is consulted lazily, i.e. only when the lowest such route could still beat every other
//         candidate.
//     Walking the path through both tries visits at most |path|+1 nodes per trie and yields a
//     handful of sorted candidate streams (one per visited node that carries a set).
//
//  3. Shared residual work (Maranget-style column switch, "Compiling pattern matching to good
//     decision trees", 2008, restricted to what keeps order trivially): a candidate set with
//     many routes that test the same header for an exact, case-sensitive, non-inverted value
//     (typically :method, or a version header) is split into a hash-free sorted case table keyed
//     by that value plus the routes without such a test. At run time one binary search on the
//     request's header value selects the only case whose routes can pass; the other cases are
//     never looked at. This filters candidates only; it never reorders them.
//
//  4. Candidates from all streams are merged in route index order (k-way merge over k streams,
//     k <= number of visited nodes carrying sets + 1) and their residual predicates (headers,
//     query parameters, JWT claims; the path is already known to match, except for regex
//     routes filed under their literal prefix, whose regex runs first) are checked in that
//     order. The first route that passes wins, exactly as Envoy's ordered scan would pick it,
//     because every route missing from the streams provably fails its path matcher.
//
// Complexity per request: O(|host|) for the host table, O(|path| * log fanout) for the two trie
// walks, plus O(c * k) for the merge where c is the number of candidates examined before the
// winner (only routes whose path matches this request, and that the header switch did not rule
// out) and k the number of streams. Route count does not appear. The RE2::Set pass is
// O(|path|) once its DFA is warm (it falls back to one regex per regex route if RE2 runs out of
// DFA memory). Building is O(total size of route paths and matchers).
// Measured (bench/bench_route.cc, Release, shared 2-vCPU box): 5-30 M decisions/s flat from 10 to
// 100,000 routes, vs 7.5-16 k/s for the ordered scan at 10,000 routes in one virtual host when
// the winner is in the middle, last or absent (about 700-3500x); filing prefixed regexes in the
// trie instead of the RE2::Set took "middle" at 10,000 routes from 4.3 to 10.7 M/s.
//
// A RouteProgram is immutable after building and safe to evaluate from several threads.
#pragma once

#include <re2/re2.h>
#include <re2/set.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace meshc::ir {

/// Marks an absent candidate set on a trie node.
inline constexpr uint32_t kNoSet = UINT32_MAX;

/// Envoy StringMatcher, compiled (SEMANTICS 1.4).
struct StringTest {
  enum class Kind { kExact, kPrefix, kSuffix, kContains, kRegex };
  Kind kind = Kind::kExact;
  std::string value;         // as configured; the pattern for kRegex
  bool ignore_case = false;  // ASCII folding; no effect on kRegex (as in Envoy)
  int32_t regex = -1;        // RouteProgram::regexes index when kind == kRegex
};

/// Envoy HeaderMatcher (SEMANTICS 3.4 truth table).
struct HeaderTest {
  std::string name;            // lower-cased; pseudo headers keep their ':'
  bool present_match = false;  // presence only (also when `match` is empty)
  std::optional<StringTest> match;
  bool invert = false;
  bool treat_missing_as_empty = false;
};

/// Envoy QueryParameterMatcher (SEMANTICS 3.5): an absent parameter never matches.
struct QueryTest {
  std::string name;
  std::optional<StringTest> match;  // nullopt = presence
};

/// JWT claim (dynamic metadata) matcher: claim path joined with '.'.
struct ClaimTest {
  std::string path;
  std::optional<StringTest> match;  // nullopt = presence
  bool invert = false;
};

enum class PathKind { kPrefix, kExact, kSegmentPrefix, kRegex };

/// One Envoy route's matcher, compiled. Index = route index in the virtual host.
struct RouteEntry {
  std::string name;
  PathKind path_kind = PathKind::kPrefix;
  std::string path;            // as configured (not lower-cased)
  bool case_sensitive = true;  // prefix / exact / segment prefix only
  int32_t path_regex = -1;     // RouteProgram::regexes index when path_kind == kRegex
  std::vector<HeaderTest> headers;
  std::vector<QueryTest> query_parameters;
  std::vector<ClaimTest> claims;
  /// A regex of this route does not compile (Envoy would reject the configuration): the route
  /// never matches and is filed nowhere in the structure.
  bool never_matches = false;
};

/// Routes of one switch case: those that require `switch_header` == value.
struct SwitchCase {
  std::string value;
  std::vector<uint32_t> routes;  // sorted, unique
};

/// An ordered set of candidate routes, optionally split on one header's exact value.
struct CandidateSet {
  std::vector<uint32_t> routes;   // always candidates; sorted, unique
  std::string switch_header;      // lower-cased; empty = no switch
  std::vector<SwitchCase> cases;  // sorted by value, values unique
};

/// A radix-tree node. The key of a node is the concatenation of labels from the root.
struct TrieNode {
  std::string label;               // edge label from the parent; empty only for the root
  std::string child_bytes;         // first byte of each child's label, sorted, unique
  std::vector<uint32_t> children;  // node indices, parallel to child_bytes
  uint32_t prefix_set = kNoSet;    // VirtualHostProgram::sets indices
  uint32_t exact_set = kNoSet;
  uint32_t segment_set = kNoSet;
  uint32_t regex_set = kNoSet;  // safe_regex routes whose matches all start with the key
};

struct PathTrie {
  std::vector<TrieNode> nodes;  // nodes[0] is the root
};

struct VirtualHostProgram {
  std::string name;
  std::vector<RouteEntry> routes;
  PathTrie case_sensitive;    // keys: path values as configured
  PathTrie case_insensitive;  // keys: ASCII lower-cased path values
  std::vector<CandidateSet> sets;
  std::vector<uint32_t> regex_routes;  // safe_regex routes without a literal prefix, sorted
  /// Pattern k of the set is the path regex of regex_routes[k]; null when RE2 could not build
  /// the set (the interpreter then tries the routes' regexes one at a time).
  std::shared_ptr<const re2::RE2::Set> regex_filter;
};

/// Heterogeneous lookup so the interpreter probes with string_views (no allocation).
struct StringHash {
  using is_transparent = void;
  size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
};
using DomainMap = std::unordered_map<std::string, uint32_t, StringHash, std::equal_to<>>;

/// Wildcard domains whose fixed part has one length.
struct WildcardGroup {
  uint32_t length = 0;  // length of the fixed part ("*.a.com" → 6, "a.*" → 2)
  DomainMap keys;       // fixed part → virtual host
};

struct HostTable {
  DomainMap exact;
  std::vector<WildcardGroup> suffixes;  // "*x": by length, longest first
  std::vector<WildcardGroup> prefixes;  // "x*": by length, longest first
  int32_t default_host = -1;            // the "*" virtual host, -1 when none
};

struct RouteProgram {
  std::string name;
  bool ignore_port_in_host_matching = true;
  HostTable hosts;
  std::vector<VirtualHostProgram> virtual_hosts;         // same indices as the configuration's
  std::vector<std::string> regex_patterns;               // unique patterns
  std::vector<std::shared_ptr<const re2::RE2>> regexes;  // parallel; null = did not compile
  /// What Envoy would reject in the input (duplicate domains, bad regexes), one line each,
  /// e.g. "virtual host 1 route 3: safe_regex \"(\" does not compile: missing )". The program
  /// still works: the first virtual host with a domain keeps it, bad-regex routes never match.
  std::vector<std::string> problems;
};

/// The longest literal every full match of `re` starts with: the common prefix of the bounds
/// RE2::PossibleMatchRange gives (any string between two strings sharing a prefix shares it).
/// "" when RE2 cannot bound the regex.
std::string regexLiteralPrefix(const re2::RE2& re);

/// Regex routes are filed in the trie only when their literal prefix is at least this long;
/// "" or "/" would make them candidates for every path anyway, where the RE2::Set is cheaper.
inline constexpr size_t kMinRegexTriePrefix = 2;

/// Envoy's name for a path matcher kind ("prefix", "path", "path_separated_prefix", "safe_regex").
const char* pathKindName(PathKind kind);

/// Compiles one route regex the way every evaluator does (RE2 syntax, errors not logged). Never
/// null; check ok() (RouteProgram::regexes stores null for patterns that do not compile).
std::shared_ptr<const re2::RE2> compileRouteRegex(const std::string& pattern);

/// Builds `vh.regex_filter` from its regex routes' patterns (left null when RE2 cannot build it).
void buildRegexFilter(VirtualHostProgram& vh);

/// Compiles `program.regex_patterns` into `program.regexes` and every virtual host's regex
/// filter: what a program read back from a bundle needs before it can be evaluated.
void compileProgramRegexes(RouteProgram& program);

/// Header switches are only built for candidate sets with at least this many switchable routes;
/// below it a straight scan of the candidates is as cheap as the lookup.
inline constexpr size_t kSwitchMinRoutes = 4;

}  // namespace meshc::ir
