// The IR interpreter (see ir.h for the structure and its cost model).
#include "routing/interpreter.h"

#include <algorithm>

#include "base/ascii.h"

namespace meshc::ir {

namespace {

// A sorted run of candidate route ids.
struct Stream {
  const uint32_t* cur;
  const uint32_t* end;
  bool check_path_regex;  // regex routes filed in the trie: their regex is still to be checked
};

// Per-thread scratch so evaluation does not allocate once warm.
struct Scratch {
  std::vector<Stream> streams;
  std::vector<int> regex_hits;
  std::vector<uint32_t> regex_matched;
};

Scratch& scratch() {
  thread_local Scratch s;
  return s;
}

bool headerPasses(const RouteProgram& program, const HeaderTest& h, const RequestView& request) {
  std::optional<std::string_view> got = request.header(h.name);
  if (!got && !h.treat_missing_as_empty) {
    // Envoy: an absent header passes only an inverted presence matcher (SEMANTICS 3.4).
    return h.invert && h.present_match;
  }
  std::string_view v = got ? *got : std::string_view();
  bool ok = h.present_match || stringTestMatches(program, *h.match, v);
  return ok != h.invert;
}

// Headers, query parameters and claims; the path is already known to match.
bool residualsPass(const RouteProgram& program, const RouteEntry& route,
                   const RequestView& request) {
  for (const HeaderTest& h : route.headers) {
    if (!headerPasses(program, h, request)) {
      return false;
    }
  }
  for (const QueryTest& q : route.query_parameters) {
    std::optional<std::string_view> got = request.queryParam(q.name);
    if (!got || (q.match && !stringTestMatches(program, *q.match, *got))) {
      return false;
    }
  }
  for (const ClaimTest& c : route.claims) {
    std::optional<std::string_view> got = request.claim(c.path);
    bool ok = got && (!c.match || stringTestMatches(program, *c.match, *got));
    if (ok == c.invert) {
      return false;
    }
  }
  return true;
}

void addSet(const VirtualHostProgram& vh, uint32_t set_index, const RequestView& request,
            std::vector<Stream>& streams, bool check_path_regex = false) {
  if (set_index == kNoSet) {
    return;
  }
  const CandidateSet& set = vh.sets[set_index];
  if (!set.routes.empty()) {
    streams.push_back({set.routes.data(), set.routes.data() + set.routes.size(), check_path_regex});
  }
  if (set.switch_header.empty()) {
    return;
  }
  std::optional<std::string_view> value = request.header(set.switch_header);
  if (!value) {
    return;  // every case needs the header present
  }
  auto it = std::lower_bound(set.cases.begin(), set.cases.end(), *value,
                             [](const SwitchCase& c, std::string_view v) { return c.value < v; });
  if (it != set.cases.end() && it->value == *value) {
    streams.push_back({it->routes.data(), it->routes.data() + it->routes.size(), check_path_regex});
  }
}

uint32_t findChild(const TrieNode& node, char byte) {
  const std::string& keys = node.child_bytes;
  if (keys.size() <= 8) {
    size_t slot = keys.find(byte);
    return slot == std::string::npos ? kNoSet : node.children[slot];
  }
  auto it = std::lower_bound(keys.begin(), keys.end(), byte);
  if (it == keys.end() || *it != byte) {
    return kNoSet;
  }
  return node.children[it - keys.begin()];
}

// Walks `path` down the trie, adding the candidate sets of every node whose key is a prefix of
// the path (prefix sets), equals it (exact sets) or ends on a segment boundary (segment sets).
void walkTrie(const VirtualHostProgram& vh, const PathTrie& trie, std::string_view path,
              const RequestView& request, std::vector<Stream>& streams) {
  if (trie.nodes.empty()) {
    return;
  }
  uint32_t n = 0;
  size_t pos = 0;
  while (true) {
    const TrieNode& node = trie.nodes[n];
    addSet(vh, node.prefix_set, request, streams);
    addSet(vh, node.regex_set, request, streams, /*check_path_regex=*/true);
    if (node.segment_set != kNoSet) {
      // Boundary: the path ends here or continues with '/'; a key that is empty or ends with
      // '/' is already on one (see reference_eval.cc).
      bool boundary = pos == path.size() || path[pos] == '/' || pos == 0 || path[pos - 1] == '/';
      if (boundary) {
        addSet(vh, node.segment_set, request, streams);
      }
    }
    if (pos == path.size()) {
      addSet(vh, node.exact_set, request, streams);
      return;
    }
    uint32_t c = findChild(node, path[pos]);
    if (c == kNoSet) {
      return;
    }
    const std::string& label = trie.nodes[c].label;
    if (path.size() - pos < label.size() || path.compare(pos, label.size(), label) != 0) {
      return;
    }
    pos += label.size();
    n = c;
  }
}


}  // namespace

void matchRegexRoutes(const RouteProgram& program, const VirtualHostProgram& vh,
                      std::string_view path, std::vector<uint32_t>& matched,
                      std::vector<int>& hits) {
  matched.clear();
  if (vh.regex_filter != nullptr) {
    hits.clear();
    re2::RE2::Set::ErrorInfo info{};
    if (vh.regex_filter->Match(path, &hits, &info)) {
      std::sort(hits.begin(), hits.end());
      for (int k : hits) {
        matched.push_back(vh.regex_routes[k]);
      }
      return;
    }
    if (info.kind == re2::RE2::Set::kNoError) {
      return;  // no regex route matches
    }
    // Out of DFA memory (or another RE2 failure): fall through to one regex at a time.
  }
  for (uint32_t r : vh.regex_routes) {
    const RouteEntry& e = vh.routes[r];
    const auto& re = program.regexes[e.path_regex];
    if (re != nullptr && re2::RE2::FullMatch(path, *re)) {
      matched.push_back(r);
    }
  }
}

bool stringTestMatches(const RouteProgram& program, const StringTest& t, std::string_view value) {
  switch (t.kind) {
    case StringTest::Kind::kExact:
      return t.ignore_case ? ascii::equalsIgnoreCase(value, t.value) : value == t.value;
    case StringTest::Kind::kPrefix:
      return t.ignore_case ? ascii::startsWithIgnoreCase(value, t.value)
                           : value.starts_with(t.value);
    case StringTest::Kind::kSuffix:
      return t.ignore_case ? ascii::endsWithIgnoreCase(value, t.value) : value.ends_with(t.value);
    case StringTest::Kind::kContains:
      if (t.ignore_case) {
        return ascii::toLower(value).find(ascii::toLower(t.value)) != std::string::npos;
      }
      return value.find(t.value) != std::string_view::npos;
    case StringTest::Kind::kRegex: {
      if (t.regex < 0 || static_cast<size_t>(t.regex) >= program.regexes.size()) {
        return false;
      }
      const auto& re = program.regexes[t.regex];
      return re != nullptr && re2::RE2::FullMatch(value, *re);
    }
  }
  return false;
}

int32_t selectVirtualHost(const RouteProgram& program, std::string_view host) {
  const HostTable& t = program.hosts;
  if (t.exact.empty() && t.suffixes.empty() && t.prefixes.empty()) {
    return t.default_host;  // Envoy's fast path: only "*"
  }
  if (auto it = t.exact.find(host); it != t.exact.end()) {
    return static_cast<int32_t>(it->second);
  }
  for (const WildcardGroup& g : t.suffixes) {
    if (g.length < host.size()) {  // the '*' must stand for at least one character
      if (auto it = g.keys.find(host.substr(host.size() - g.length)); it != g.keys.end()) {
        return static_cast<int32_t>(it->second);
      }
    }
  }
  for (const WildcardGroup& g : t.prefixes) {
    if (g.length < host.size()) {
      if (auto it = g.keys.find(host.substr(0, g.length)); it != g.keys.end()) {
        return static_cast<int32_t>(it->second);
      }
    }
  }
  return t.default_host;
}

int32_t selectRoute(const RouteProgram& program, uint32_t virtual_host, const RequestView& request,
                    EvalTrace* trace) {
  if (virtual_host >= program.virtual_hosts.size()) {
    return -1;
  }
  const VirtualHostProgram& vh = program.virtual_hosts[virtual_host];
  Scratch& s = scratch();
  s.streams.clear();
  walkTrie(vh, vh.case_sensitive, request.path(), request, s.streams);
  walkTrie(vh, vh.case_insensitive, request.lowerPath(), request, s.streams);
  // The regex stream stays lazy: its head is the lowest regex route until the set has run.
  bool regex_pending = !vh.regex_routes.empty();
  const uint32_t regex_head = regex_pending ? vh.regex_routes.front() : 0;

  while (true) {
    size_t best = s.streams.size();
    uint32_t best_id = UINT32_MAX;
    for (size_t i = 0; i < s.streams.size(); ++i) {
      if (s.streams[i].cur != s.streams[i].end && *s.streams[i].cur < best_id) {
        best_id = *s.streams[i].cur;
        best = i;
      }
    }
    if (regex_pending && regex_head < best_id) {
      regex_pending = false;
      matchRegexRoutes(program, vh, request.path(), s.regex_matched, s.regex_hits);
      if (!s.regex_matched.empty()) {
        s.streams.push_back(
            {s.regex_matched.data(), s.regex_matched.data() + s.regex_matched.size(), false});
      }
      continue;
    }
    if (best == s.streams.size()) {
      return -1;
    }
    ++s.streams[best].cur;
    if (trace != nullptr) {
      trace->candidates.push_back(best_id);
    }
    const RouteEntry& route = vh.routes[best_id];
    if (s.streams[best].check_path_regex &&
        !re2::RE2::FullMatch(request.path(), *program.regexes[route.path_regex])) {
      continue;
    }
    if (residualsPass(program, route, request)) {
      return static_cast<int32_t>(best_id);
    }
  }
}

RouteDecision evaluateProgram(const RouteProgram& program, const RequestView& request,
                              EvalTrace* trace) {
  RouteDecision d;
  int32_t v = program.ignore_port_in_host_matching
                  ? selectVirtualHost(program, request.host())
                  : selectVirtualHost(program, ascii::toLower(request.authority()));
  if (v < 0) {
    return d;
  }
  d.virtual_host = v;
  int32_t r = selectRoute(program, static_cast<uint32_t>(v), request, trace);
  if (r < 0) {
    d.kind = RouteDecision::Kind::kNoRoute;
    return d;
  }
  d.kind = RouteDecision::Kind::kRoute;
  d.route = r;
  return d;
}

}  // namespace meshc::ir
