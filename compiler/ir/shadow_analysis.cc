// findShadowedRoutes(): containment of path matchers plus implication of residual tests,
// with candidates drawn from the same tries the interpreter walks.
#include "ir/shadow_analysis.h"

#include <algorithm>
#include <unordered_map>

#include "base/ascii.h"
#include "ir/dump.h"

namespace meshc::ir {

namespace {

bool regexFullMatch(const RouteProgram& program, int32_t regex, std::string_view text) {
  if (regex < 0 || static_cast<size_t>(regex) >= program.regexes.size() ||
      program.regexes[regex] == nullptr) {
    return false;
  }
  return re2::RE2::FullMatch(text, *program.regexes[regex]);
}

// Every path J's value admits (all case variants when J ignores case) starts with I's value
// under I's case rule.
bool startsCovered(const std::string& iv, bool i_cs, const std::string& jv, bool j_cs) {
  if (!i_cs) {
    return ascii::toLower(jv).starts_with(ascii::toLower(iv));
  }
  if (j_cs) {
    return jv.starts_with(iv);
  }
  // J admits case variants; they all share I's bytes only if those bytes have no letters.
  return jv.starts_with(iv) && !ascii::hasLetter(iv);
}

bool isOpenSegment(const std::string& v) { return v.empty() || v.back() == '/'; }

// I's path matcher accepts every (normalised, so '/'-led) path that J's accepts.
bool pathCovers(const RouteProgram& program, const RouteEntry& i, const RouteEntry& j) {
  const bool i_prefix_like = i.path_kind == PathKind::kPrefix ||
                             (i.path_kind == PathKind::kSegmentPrefix && isOpenSegment(i.path));
  if (i.path_kind == PathKind::kRegex) {
    if (j.path_kind == PathKind::kRegex) {
      return i.path == j.path;
    }
    if (j.path_kind == PathKind::kExact && (j.case_sensitive || !ascii::hasLetter(j.path))) {
      return regexFullMatch(program, i.path_regex, j.path);
    }
    return false;
  }
  if (i_prefix_like && (i.path.empty() || i.path == "/")) {
    return true;  // every normalised path starts with '/'
  }
  if (j.path_kind == PathKind::kRegex) {
    return false;
  }
  const std::string& iv = i.path;
  const std::string& jv = j.path;
  if (i_prefix_like) {
    return startsCovered(iv, i.case_sensitive, jv, j.case_sensitive);
  }
  if (i.path_kind == PathKind::kExact) {
    return j.path_kind == PathKind::kExact && iv.size() == jv.size() &&
           startsCovered(iv, i.case_sensitive, jv, j.case_sensitive);
  }
  // I is a closed segment prefix: J's paths must start with it and then end or continue '/'.
  if (!startsCovered(iv, i.case_sensitive, jv, j.case_sensitive)) {
    return false;
  }
  const bool at_end = jv.size() == iv.size();
  const bool slash_next = jv.size() > iv.size() && jv[iv.size()] == '/';
  switch (j.path_kind) {
    case PathKind::kExact:
    case PathKind::kSegmentPrefix:
      return at_end || slash_next;
    case PathKind::kPrefix:
      return slash_next;
    case PathKind::kRegex:
      return false;
  }
  return false;
}

bool sameTest(const std::optional<StringTest>& a, const std::optional<StringTest>& b) {
  if (a.has_value() != b.has_value()) {
    return false;
  }
  return !a || (a->kind == b->kind && a->value == b->value && a->ignore_case == b->ignore_case);
}

// Every value `tj` accepts, `ti` accepts.
bool stringSubset(const RouteProgram& program, const StringTest& tj, const StringTest& ti) {
  using Kind = StringTest::Kind;
  if (tj.kind == ti.kind && tj.value == ti.value && tj.ignore_case == ti.ignore_case) {
    return true;
  }
  if (tj.kind == Kind::kRegex) {
    return false;  // a different regex: not provable here
  }
  if (ti.kind == Kind::kRegex) {
    return tj.kind == Kind::kExact && (!tj.ignore_case || !ascii::hasLetter(tj.value)) &&
           regexFullMatch(program, ti.regex, tj.value);
  }
  std::string jv = tj.value, iv = ti.value;
  if (ti.ignore_case) {
    jv = ascii::toLower(jv);
    iv = ascii::toLower(iv);
  } else if (tj.ignore_case && ascii::hasLetter(tj.value)) {
    return false;  // J admits case variants that a case-sensitive I rejects
  }
  switch (ti.kind) {
    case Kind::kExact:
      return tj.kind == Kind::kExact && jv == iv;
    case Kind::kPrefix:
      return (tj.kind == Kind::kExact || tj.kind == Kind::kPrefix) && jv.starts_with(iv);
    case Kind::kSuffix:
      return (tj.kind == Kind::kExact || tj.kind == Kind::kSuffix) && jv.ends_with(iv);
    case Kind::kContains:
      return jv.find(iv) != std::string::npos;
    case Kind::kRegex:
      return false;
  }
  return false;
}

// hj passing implies hi passing (same header).
bool headerImplies(const RouteProgram& program, const HeaderTest& hj, const HeaderTest& hi) {
  if (hj.name != hi.name) {
    return false;
  }
  if (hj.present_match == hi.present_match && hj.invert == hi.invert &&
      hj.treat_missing_as_empty == hi.treat_missing_as_empty && sameTest(hj.match, hi.match)) {
    return true;
  }
  if (hi.invert || hj.invert) {
    return false;  // inverted tests: identity only
  }
  if (hi.present_match) {
    // "present" (missing is not read as "", or it is and presence is then always true).
    return hi.treat_missing_as_empty || !hj.treat_missing_as_empty;
  }
  if (hj.present_match) {
    return false;  // any value vs a value test
  }
  if (hj.treat_missing_as_empty && !hi.treat_missing_as_empty) {
    return false;  // J may pass on an absent header that I then rejects
  }
  return stringSubset(program, *hj.match, *hi.match);
}

bool queryImplies(const RouteProgram& program, const QueryTest& qj, const QueryTest& qi) {
  if (qj.name != qi.name) {
    return false;
  }
  if (!qi.match) {
    return true;  // query matchers always need the parameter present
  }
  return qj.match && stringSubset(program, *qj.match, *qi.match);
}

bool claimImplies(const RouteProgram& program, const ClaimTest& cj, const ClaimTest& ci) {
  if (cj.path != ci.path) {
    return false;
  }
  if (cj.invert == ci.invert && sameTest(cj.match, ci.match)) {
    return true;
  }
  if (ci.invert || cj.invert) {
    return false;
  }
  if (!ci.match) {
    return true;
  }
  return cj.match && stringSubset(program, *cj.match, *ci.match);
}

template <typename T, typename F>
bool allImplied(const std::vector<T>& of_i, const std::vector<T>& of_j, F implies) {
  for (const T& ti : of_i) {
    bool found = false;
    for (const T& tj : of_j) {
      if (implies(tj, ti)) {
        found = true;
        break;
      }
    }
    if (!found) {
      return false;
    }
  }
  return true;
}

bool residualsImplied(const RouteProgram& program, const RouteEntry& j, const RouteEntry& i) {
  return allImplied(i.headers, j.headers,
                    [&](const HeaderTest& a, const HeaderTest& b) {
                      return headerImplies(program, a, b);
                    }) &&
         allImplied(
             i.query_parameters, j.query_parameters,
             [&](const QueryTest& a, const QueryTest& b) { return queryImplies(program, a, b); }) &&
         allImplied(i.claims, j.claims, [&](const ClaimTest& a, const ClaimTest& b) {
           return claimImplies(program, a, b);
         });
}

bool sameResiduals(const RouteEntry& a, const RouteEntry& b) {
  if (a.headers.size() != b.headers.size() ||
      a.query_parameters.size() != b.query_parameters.size() ||
      a.claims.size() != b.claims.size()) {
    return false;
  }
  for (size_t k = 0; k < a.headers.size(); ++k) {
    const HeaderTest &x = a.headers[k], &y = b.headers[k];
    if (x.name != y.name || x.present_match != y.present_match || x.invert != y.invert ||
        x.treat_missing_as_empty != y.treat_missing_as_empty || !sameTest(x.match, y.match)) {
      return false;
    }
  }
  for (size_t k = 0; k < a.query_parameters.size(); ++k) {
    if (a.query_parameters[k].name != b.query_parameters[k].name ||
        !sameTest(a.query_parameters[k].match, b.query_parameters[k].match)) {
      return false;
    }
  }
  for (size_t k = 0; k < a.claims.size(); ++k) {
    if (a.claims[k].path != b.claims[k].path || a.claims[k].invert != b.claims[k].invert ||
        !sameTest(a.claims[k].match, b.claims[k].match)) {
      return false;
    }
  }
  return true;
}

std::string describePath(const RouteEntry& e) {
  static const char* kNames[] = {"prefix", "path", "path_separated_prefix", "safe_regex"};
  std::string out = kNames[static_cast<int>(e.path_kind)];
  out += " " + dumpQuote(e.path);
  if (!e.case_sensitive && e.path_kind != PathKind::kRegex) {
    out += " (ignoreUriCase)";
  }
  return out;
}

std::string reasonText(const RouteEntry& i, uint32_t i_index, const RouteEntry& j) {
  bool same_path = i.path_kind == j.path_kind && i.path == j.path &&
                   (i.path_kind == PathKind::kRegex || i.case_sensitive == j.case_sensitive);
  if (same_path && sameResiduals(i, j)) {
    return "route " + std::to_string(i_index) + " has the same matchers (" + describePath(i) + ")";
  }
  std::string out = describePath(i) + " covers " + describePath(j);
  if (i.headers.empty() && i.query_parameters.empty() && i.claims.empty()) {
    return out + " and route " + std::to_string(i_index) + " has no other conditions";
  }
  return out + " and every other condition of route " + std::to_string(i_index) +
         " is implied by this route's";
}

struct Range {
  const uint32_t* cur;
  const uint32_t* end;
};

class VhostAnalysis {
 public:
  VhostAnalysis(const RouteProgram& program, const VirtualHostProgram& vh, uint32_t index)
      : program_(program), vh_(vh), index_(index) {
    for (uint32_t r = 0; r < vh.routes.size(); ++r) {
      if (vh.routes[r].path_kind == PathKind::kRegex && !vh.routes[r].never_matches) {
        by_pattern_[vh.routes[r].path].push_back(r);
      }
    }
  }

  void run(std::vector<ShadowFinding>& out) {
    for (uint32_t j = 1; j < vh_.routes.size(); ++j) {
      const RouteEntry& e = vh_.routes[j];
      if (e.never_matches) {
        continue;
      }
      ranges_.clear();
      regex_hits_.clear();
      gather(j, e);
      check(j, e, out);
    }
  }

 private:
  // Adds the ids < j of one candidate set; of a switch, only the cases j itself requires (a
  // route in another case needs a header value j's requests never carry).
  void addSet(uint32_t set_index, uint32_t j, const RouteEntry& e) {
    if (set_index == kNoSet || set_index >= vh_.sets.size()) {
      return;
    }
    const CandidateSet& set = vh_.sets[set_index];
    addIds(set.routes, j);
    if (set.switch_header.empty()) {
      return;
    }
    for (const HeaderTest& h : e.headers) {
      if (h.name != set.switch_header || h.present_match || h.invert || h.treat_missing_as_empty ||
          !h.match || h.match->kind != StringTest::Kind::kExact || h.match->ignore_case) {
        continue;
      }
      auto it =
          std::lower_bound(set.cases.begin(), set.cases.end(), h.match->value,
                           [](const SwitchCase& c, const std::string& v) { return c.value < v; });
      if (it != set.cases.end() && it->value == h.match->value) {
        addIds(it->routes, j);
      }
    }
  }

  void addIds(const std::vector<uint32_t>& ids, uint32_t j) {
    const uint32_t* end = std::lower_bound(ids.data(), ids.data() + ids.size(), j);
    if (end != ids.data()) {
      ranges_.push_back({ids.data(), end});
    }
  }

  void walk(const PathTrie& trie, std::string_view path, bool exact_at_end, uint32_t j,
            const RouteEntry& e) {
    if (trie.nodes.empty()) {
      return;
    }
    uint32_t n = 0;
    size_t pos = 0;
    while (true) {
      const TrieNode& node = trie.nodes[n];
      addSet(node.prefix_set, j, e);
      addSet(node.segment_set, j, e);  // pathCovers() checks the boundary
      addSet(node.regex_set, j, e);    // pathCovers() runs the regex on an exact path
      if (pos == path.size()) {
        if (exact_at_end) {
          addSet(node.exact_set, j, e);
        }
        return;
      }
      size_t slot = node.child_bytes.find(path[pos]);
      if (slot == std::string::npos) {
        return;
      }
      uint32_t c = node.children[slot];
      const std::string& label = trie.nodes[c].label;
      if (path.size() - pos < label.size() || path.compare(pos, label.size(), label) != 0) {
        return;
      }
      pos += label.size();
      n = c;
    }
  }

  void gather(uint32_t j, const RouteEntry& e) {
    if (e.path_kind == PathKind::kRegex) {
      // Only "/"-like prefixes and identical regexes can cover a regex.
      walk(vh_.case_sensitive, "/", false, j, e);
      walk(vh_.case_insensitive, "/", false, j, e);
      auto it = by_pattern_.find(e.path);
      if (it != by_pattern_.end()) {
        addIds(it->second, j);
      }
      return;
    }
    const bool exact = e.path_kind == PathKind::kExact;
    walk(vh_.case_sensitive, e.path, exact, j, e);
    walk(vh_.case_insensitive, ascii::toLower(e.path), exact, j, e);
    if (exact && !vh_.regex_routes.empty() && vh_.regex_routes.front() < j) {
      // Unprefixed regex routes whose pattern accepts this exact path: one pass of the filter.
      std::vector<int> hits;
      re2::RE2::Set::ErrorInfo info{};
      if (vh_.regex_filter != nullptr && vh_.regex_filter->Match(e.path, &hits, &info)) {
        std::sort(hits.begin(), hits.end());
        for (int k : hits) {
          if (vh_.regex_routes[k] < j) {
            regex_hits_.push_back(vh_.regex_routes[k]);
          }
        }
      } else if (vh_.regex_filter == nullptr || info.kind != re2::RE2::Set::kNoError) {
        size_t tried = 0;
        for (uint32_t r : vh_.regex_routes) {
          if (r >= j || ++tried > kMaxShadowChecks) {
            break;
          }
          if (regexFullMatch(program_, vh_.routes[r].path_regex, e.path)) {
            regex_hits_.push_back(r);
          }
        }
      }
      if (!regex_hits_.empty()) {
        ranges_.push_back({regex_hits_.data(), regex_hits_.data() + regex_hits_.size()});
      }
    }
  }

  // Merges the candidate ranges in route order and reports the first earlier route that covers.
  void check(uint32_t j, const RouteEntry& e, std::vector<ShadowFinding>& out) {
    size_t checks = 0;
    uint32_t last = UINT32_MAX;
    while (checks < kMaxShadowChecks) {
      size_t best = ranges_.size();
      uint32_t best_id = UINT32_MAX;
      for (size_t k = 0; k < ranges_.size(); ++k) {
        if (ranges_[k].cur != ranges_[k].end && *ranges_[k].cur < best_id) {
          best_id = *ranges_[k].cur;
          best = k;
        }
      }
      if (best == ranges_.size()) {
        return;
      }
      ++ranges_[best].cur;
      if (best_id == last) {
        continue;  // "/" walks of both tries may offer the same route twice
      }
      last = best_id;
      ++checks;
      const RouteEntry& i = vh_.routes[best_id];
      if (i.never_matches || !pathCovers(program_, i, e) || !residualsImplied(program_, e, i)) {
        continue;
      }
      out.push_back(ShadowFinding{index_, j, best_id, reasonText(i, best_id, e)});
      return;
    }
  }

  const RouteProgram& program_;
  const VirtualHostProgram& vh_;
  uint32_t index_;
  std::unordered_map<std::string, std::vector<uint32_t>> by_pattern_;
  std::vector<Range> ranges_;
  std::vector<uint32_t> regex_hits_;
};

}  // namespace

std::vector<ShadowFinding> findShadowedRoutes(const RouteProgram& program) {
  std::vector<ShadowFinding> out;
  for (size_t v = 0; v < program.virtual_hosts.size(); ++v) {
    VhostAnalysis(program, program.virtual_hosts[v], static_cast<uint32_t>(v)).run(out);
  }
  return out;
}

}  // namespace meshc::ir
