// verifyRouteProgram(): walks the IR once and checks it against what each route says.
#include "routing/verify.h"

#include <algorithm>
#include <functional>

#include "base/ascii.h"
#include "base/quote.h"

namespace meshc::ir {

namespace {

Status corrupt(std::string message) {
  return Status::error(StatusCode::kCorrupt, std::move(message));
}

bool hasUpper(std::string_view s) {
  return std::any_of(s.begin(), s.end(), [](char c) { return c >= 'A' && c <= 'Z'; });
}

Status checkDomainMap(const DomainMap& map, size_t vhost_count, const std::string& what,
                      int64_t length) {
  for (const auto& [key, vhost] : map) {
    if (vhost >= vhost_count) {
      return corrupt(what + " " + quote(key) + " points at virtual host " + std::to_string(vhost) +
                     "; there are " + std::to_string(vhost_count));
    }
    if (hasUpper(key)) {
      return corrupt(what + " " + quote(key) + " is not lower-case");
    }
    if (length >= 0 && static_cast<int64_t>(key.size()) != length) {
      return corrupt(what + " " + quote(key) + " sits in the group of length " +
                     std::to_string(length));
    }
  }
  return Status::ok();
}

Status checkGroups(const std::vector<WildcardGroup>& groups, size_t vhost_count,
                   const std::string& what) {
  for (size_t i = 0; i < groups.size(); ++i) {
    if (i > 0 && groups[i].length >= groups[i - 1].length) {
      return corrupt(what + " groups are not ordered longest first: length " +
                     std::to_string(groups[i].length) + " follows " +
                     std::to_string(groups[i - 1].length));
    }
    if (groups[i].keys.empty()) {
      return corrupt(what + " group of length " + std::to_string(groups[i].length) + " is empty");
    }
    Status s = checkDomainMap(groups[i].keys, vhost_count, what, groups[i].length);
    if (!s) {
      return s;
    }
  }
  return Status::ok();
}

// A description of where a check runs, built only when it fails (building the strings for every
// node and route cost more than the checks: ~5 ms of 7 per 10,000 routes).
using Where = std::function<std::string()>;

Status checkStringTest(const RouteProgram& program, const StringTest& t, const Where& where) {
  if (t.kind != StringTest::Kind::kRegex) {
    return Status::ok();
  }
  if (t.regex < 0 || static_cast<size_t>(t.regex) >= program.regex_patterns.size()) {
    return corrupt(where() + ": regex index " + std::to_string(t.regex) + " is out of range; " +
                   std::to_string(program.regex_patterns.size()) + " patterns");
  }
  if (program.regex_patterns[t.regex] != t.value) {
    return corrupt(where() + ": regex index " + std::to_string(t.regex) + " holds " +
                   quote(program.regex_patterns[t.regex]) + ", expected " + quote(t.value));
  }
  return Status::ok();
}

bool sortedUnique(const std::vector<uint32_t>& ids) {
  return std::adjacent_find(ids.begin(), ids.end(),
                            [](uint32_t a, uint32_t b) { return a >= b; }) == ids.end();
}

// Where a route was found: trie (0 = case-sensitive, 1 = case-insensitive, 2 = regex list),
// node key and set kind.
struct Filing {
  int trie = -1;
  std::string key;
  PathKind kind = PathKind::kPrefix;
};

class VhostVerifier {
 public:
  VhostVerifier(const RouteProgram& program, const VirtualHostProgram& vh, size_t index)
      : program_(program),
        vh_(vh),
        where_("virtual host " + std::to_string(index)),
        filed_(vh.routes.size()),
        count_(vh.routes.size(), 0),
        set_used_(vh.sets.size(), 0) {}

  Status run() {
    for (size_t r = 0; r < vh_.routes.size(); ++r) {
      Status s = checkRoute(r);
      if (!s) {
        return s;
      }
    }
    Status s = checkTrie(vh_.case_sensitive, 0, "case-sensitive");
    if (s) {
      s = checkTrie(vh_.case_insensitive, 1, "case-insensitive");
    }
    if (!s) {
      return s;
    }
    for (size_t i = 0; i < set_used_.size(); ++i) {
      if (set_used_[i] != 1) {
        return corrupt(where_ + ": candidate set " + std::to_string(i) + " is referenced " +
                       std::to_string(set_used_[i]) + " times; expected once");
      }
    }
    if (!sortedUnique(vh_.regex_routes)) {
      return corrupt(where_ + ": regex route list is not sorted and unique");
    }
    for (uint32_t r : vh_.regex_routes) {
      s = file(r, Filing{2, "", PathKind::kRegex}, [] { return std::string("regex route list"); });
      if (!s) {
        return s;
      }
    }
    if (vh_.regex_filter != nullptr && vh_.regex_routes.empty()) {
      return corrupt(where_ + ": has a regex filter but no unprefixed regex routes");
    }
    return checkPlacement();
  }

 private:
  Status checkRoute(size_t r) {
    const RouteEntry& e = vh_.routes[r];
    auto at = [&] { return where_ + " route " + std::to_string(r); };
    bool broken = false;  // some regex of the route did not compile
    auto note = [&](const std::optional<StringTest>& t) {
      if (t && t->kind == StringTest::Kind::kRegex && t->regex >= 0 &&
          static_cast<size_t>(t->regex) < program_.regexes.size()) {
        broken = broken || program_.regexes[t->regex] == nullptr;
      }
    };
    if (e.path_kind == PathKind::kRegex) {
      StringTest t{StringTest::Kind::kRegex, e.path, false, e.path_regex};
      Status s = checkStringTest(program_, t, [&] { return at() + " path"; });
      if (!s) {
        return s;
      }
    }
    for (const HeaderTest& h : e.headers) {
      if (hasUpper(h.name)) {
        return corrupt(at() + ": header name " + quote(h.name) + " is not lower-case");
      }
      if (!h.present_match && !h.match) {
        return corrupt(at() + ": header " + quote(h.name) +
                       " has neither presence nor a value test");
      }
      if (h.match) {
        Status s =
            checkStringTest(program_, *h.match, [&] { return at() + " header " + quote(h.name); });
        if (!s) {
          return s;
        }
      }
    }
    for (const QueryTest& q : e.query_parameters) {
      if (q.match) {
        Status s = checkStringTest(program_, *q.match,
                                   [&] { return at() + " query parameter " + quote(q.name); });
        if (!s) {
          return s;
        }
      }
    }
    for (const ClaimTest& c : e.claims) {
      if (c.match) {
        Status s =
            checkStringTest(program_, *c.match, [&] { return at() + " claim " + quote(c.path); });
        if (!s) {
          return s;
        }
      }
    }
    if (e.path_kind == PathKind::kRegex) {
      note(StringTest{StringTest::Kind::kRegex, e.path, false, e.path_regex});
    }
    for (const HeaderTest& h : e.headers) {
      note(h.match);
    }
    for (const QueryTest& q : e.query_parameters) {
      note(q.match);
    }
    for (const ClaimTest& c : e.claims) {
      note(c.match);
    }
    if (broken != e.never_matches) {
      return corrupt(at() + (broken
                               ? " has a regex that did not compile but is not marked never_matches"
                               : " is marked never_matches but all its regexes compiled"));
    }
    return Status::ok();
  }

  Status file(uint32_t r, const Filing& f, const Where& found_in) {
    if (r >= vh_.routes.size()) {
      return corrupt(where_ + ": " + found_in() + " names route " + std::to_string(r) +
                     "; there are " + std::to_string(vh_.routes.size()));
    }
    if (++count_[r] > 1) {
      return corrupt(where_ + " route " + std::to_string(r) + " is filed twice (again in " +
                     found_in() + ")");
    }
    filed_[r] = f;
    return Status::ok();
  }

  Status checkSet(uint32_t index, const Filing& f, const Where& found_in) {
    if (index == kNoSet) {
      return Status::ok();
    }
    if (index >= vh_.sets.size()) {
      return corrupt(where_ + ": " + found_in() + " refers to candidate set " +
                     std::to_string(index) + "; there are " + std::to_string(vh_.sets.size()));
    }
    ++set_used_[index];
    const CandidateSet& set = vh_.sets[index];
    Where in = [&] { return found_in() + " (set " + std::to_string(index) + ")"; };
    if (set.routes.empty() && set.cases.empty()) {
      return corrupt(where_ + ": " + in() + " is empty");
    }
    if (!sortedUnique(set.routes)) {
      return corrupt(where_ + ": " + in() + " routes are not sorted and unique");
    }
    for (uint32_t r : set.routes) {
      Status s = file(r, f, in);
      if (!s) {
        return s;
      }
    }
    if (set.switch_header.empty() && !set.cases.empty()) {
      return corrupt(where_ + ": " + in() + " has switch cases but no switch header");
    }
    for (size_t c = 0; c < set.cases.size(); ++c) {
      const SwitchCase& sc = set.cases[c];
      if (c > 0 && !(set.cases[c - 1].value < sc.value)) {
        return corrupt(where_ + ": " + in() + " switch cases are not sorted and unique at " +
                       quote(sc.value));
      }
      if (sc.routes.empty() || !sortedUnique(sc.routes)) {
        return corrupt(where_ + ": " + in() + " case " + quote(sc.value) +
                       " routes are empty or not sorted and unique");
      }
      for (uint32_t r : sc.routes) {
        Status s = file(r, f, [&] { return in() + " case " + quote(sc.value); });
        if (!s) {
          return s;
        }
        // The case may only hold routes that really require header == value.
        bool required = false;
        for (const HeaderTest& h : vh_.routes[r].headers) {
          required = required || (h.name == set.switch_header && !h.present_match && !h.invert &&
                                  !h.treat_missing_as_empty && h.match &&
                                  h.match->kind == StringTest::Kind::kExact &&
                                  !h.match->ignore_case && h.match->value == sc.value);
        }
        if (!required) {
          return corrupt(where_ + " route " + std::to_string(r) + " is in switch case " +
                         quote(set.switch_header) + " = " + quote(sc.value) +
                         " but does not require that header value");
        }
      }
    }
    return Status::ok();
  }

  Status checkTrie(const PathTrie& trie, int which, const std::string& name) {
    if (trie.nodes.empty()) {
      return Status::ok();
    }
    if (!trie.nodes[0].label.empty()) {
      return corrupt(where_ + ": " + name + " trie root has label " + quote(trie.nodes[0].label));
    }
    std::vector<int> seen(trie.nodes.size(), 0);
    // Iterative DFS carrying each node's key.
    std::vector<std::pair<uint32_t, std::string>> stack{{0, ""}};
    seen[0] = 1;
    while (!stack.empty()) {
      auto [n, key] = std::move(stack.back());
      stack.pop_back();
      const TrieNode& node = trie.nodes[n];
      Where at = [&] { return name + " trie node " + std::to_string(n) + " " + quote(key); };
      if (which == 1 && hasUpper(key)) {
        return corrupt(where_ + ": " + at() + " has an upper-case key");
      }
      if (node.child_bytes.size() != node.children.size()) {
        return corrupt(where_ + ": " + at() + " has " + std::to_string(node.child_bytes.size()) +
                       " child bytes for " + std::to_string(node.children.size()) + " children");
      }
      bool has_set = node.prefix_set != kNoSet || node.exact_set != kNoSet ||
                     node.segment_set != kNoSet || node.regex_set != kNoSet;
      if (n != 0 && node.children.empty() && !has_set) {
        return corrupt(where_ + ": " + at() + " is a leaf without routes");
      }
      if (n != 0 && node.children.size() == 1 && !has_set) {
        return corrupt(where_ + ": " + at() + " has one child and no routes; it should be merged");
      }
      for (size_t i = 0; i < node.children.size(); ++i) {
        uint32_t c = node.children[i];
        if (c >= trie.nodes.size() || c == 0) {
          return corrupt(where_ + ": " + at() + " has child index " + std::to_string(c) +
                         " out of range");
        }
        if (seen[c]++) {
          return corrupt(where_ + ": " + name + " trie node " + std::to_string(c) +
                         " is reachable twice");
        }
        const std::string& label = trie.nodes[c].label;
        if (label.empty()) {
          return corrupt(where_ + ": " + name + " trie node " + std::to_string(c) +
                         " has an empty edge label");
        }
        if (label.front() != node.child_bytes[i]) {
          return corrupt(where_ + ": " + at() + " lists child byte " +
                         quote(std::string(1, node.child_bytes[i])) + " for label " + quote(label));
        }
        // Sorted in char order, which is what the interpreter's binary search assumes.
        if (i > 0 && !(node.child_bytes[i - 1] < node.child_bytes[i])) {
          return corrupt(where_ + ": " + at() + " child bytes are not sorted and unique");
        }
        stack.emplace_back(c, key + label);
      }
      Status s = checkSet(node.prefix_set, Filing{which, key, PathKind::kPrefix},
                          [&] { return at() + " prefix"; });
      if (s) {
        s = checkSet(node.exact_set, Filing{which, key, PathKind::kExact},
                     [&] { return at() + " exact"; });
      }
      if (s) {
        s = checkSet(node.segment_set, Filing{which, key, PathKind::kSegmentPrefix},
                     [&] { return at() + " segment"; });
      }
      if (s) {
        s = checkSet(node.regex_set, Filing{which, key, PathKind::kRegex},
                     [&] { return at() + " regex"; });
      }
      if (!s) {
        return s;
      }
    }
    for (size_t n = 0; n < seen.size(); ++n) {
      if (!seen[n]) {
        return corrupt(where_ + ": " + name + " trie node " + std::to_string(n) +
                       " is unreachable");
      }
    }
    return Status::ok();
  }

  Status checkPlacement() {
    for (size_t r = 0; r < vh_.routes.size(); ++r) {
      const RouteEntry& e = vh_.routes[r];
      auto at = [&] {
        return where_ + " route " + std::to_string(r) + " (" + pathKindName(e.path_kind) + " " +
               quote(e.path) + ")";
      };
      if (e.never_matches) {
        if (count_[r] != 0) {
          return corrupt(at() + " never matches but is filed in the structure");
        }
        continue;
      }
      if (count_[r] == 0) {
        return corrupt(at() + " is not reachable: it is filed nowhere");
      }
      const Filing& f = filed_[r];
      Filing want;
      want.kind = e.path_kind;
      if (e.path_kind == PathKind::kRegex) {
        // Filed in the case-sensitive trie under its literal prefix when that is long enough.
        const auto& re = program_.regexes[e.path_regex];
        std::string literal = re != nullptr ? regexLiteralPrefix(*re) : "";
        want.trie = literal.size() >= kMinRegexTriePrefix ? 0 : 2;
        want.key = want.trie == 0 ? literal : "";
      } else {
        want.trie = e.case_sensitive ? 0 : 1;
        want.key = e.case_sensitive ? e.path : ascii::toLower(e.path);
      }
      if (f.trie != want.trie || f.key != want.key || f.kind != want.kind) {
        static const char* kTrie[] = {"case-sensitive trie", "case-insensitive trie", "regex list"};
        return corrupt(at() + " is filed in the " + kTrie[f.trie] + " at " + quote(f.key) + " as " +
                       pathKindName(f.kind) + "; expected the " + kTrie[want.trie] + " at " +
                       quote(want.key) + " as " + pathKindName(want.kind));
      }
    }
    return Status::ok();
  }

  const RouteProgram& program_;
  const VirtualHostProgram& vh_;
  std::string where_;
  std::vector<Filing> filed_;
  std::vector<int> count_;
  std::vector<int> set_used_;
};

}  // namespace

Status verifyRouteProgram(const RouteProgram& program) {
  const size_t n = program.virtual_hosts.size();
  const HostTable& t = program.hosts;
  Status s = checkDomainMap(t.exact, n, "exact domain", -1);
  if (s) {
    s = checkGroups(t.suffixes, n, "suffix wildcard");
  }
  if (s) {
    s = checkGroups(t.prefixes, n, "prefix wildcard");
  }
  if (!s) {
    return s;
  }
  if (t.default_host < -1 || t.default_host >= static_cast<int32_t>(n)) {
    return corrupt("default virtual host " + std::to_string(t.default_host) +
                   " is out of range; there are " + std::to_string(n));
  }
  if (program.regexes.size() != program.regex_patterns.size()) {
    return corrupt("regex pool has " + std::to_string(program.regex_patterns.size()) +
                   " patterns but " + std::to_string(program.regexes.size()) + " compiled slots");
  }
  for (size_t i = 0; i < program.regexes.size(); ++i) {
    if (program.regexes[i] != nullptr &&
        program.regexes[i]->pattern() != program.regex_patterns[i]) {
      return corrupt("regex " + std::to_string(i) + " was compiled from " +
                     quote(program.regexes[i]->pattern()) + ", expected " +
                     quote(program.regex_patterns[i]));
    }
  }
  for (size_t v = 0; v < n; ++v) {
    s = VhostVerifier(program, program.virtual_hosts[v], v).run();
    if (!s) {
      return s;
    }
  }
  return Status::ok();
}

}  // namespace meshc::ir
