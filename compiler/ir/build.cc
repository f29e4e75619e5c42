// buildRouteProgram(): lowers a route configuration into the IR of ir.h (host table, path
// tries, candidate sets with header switches, regex set).
#include <algorithm>
#include <map>
#include <unordered_map>

#include "base/ascii.h"
#include "base/quote.h"
#include "ir/ir.h"

namespace meshc::ir {

namespace {

// Compiles and interns regex patterns; one RE2 per distinct pattern.
class RegexPool {
 public:
  explicit RegexPool(RouteProgram& program) : program_(program) {}
  // Returns the pattern's index; *error is set when it does not compile.
  int32_t intern(const std::string& pattern, std::string* error) {
    auto it = index_.find(pattern);
    if (it == index_.end()) {
      std::shared_ptr<const re2::RE2> re = compileRouteRegex(pattern);
      int32_t id = static_cast<int32_t>(program_.regexes.size());
      program_.regex_patterns.push_back(pattern);
      program_.regexes.push_back(re->ok() ? re : nullptr);
      errors_.push_back(re->ok() ? "" : re->error());
      it = index_.emplace(pattern, id).first;
    }
    *error = errors_[it->second];
    return it->second;
  }

 private:
  RouteProgram& program_;
  std::unordered_map<std::string, int32_t> index_;
  std::vector<std::string> errors_;
};

class RouteCompiler {
 public:
  RouteCompiler(RegexPool& pool, std::vector<std::string>& problems, size_t vhost, size_t route)
      : pool_(pool), problems_(problems), vhost_(vhost), route_(route) {}

  RouteEntry compile(const xds::Route& route) {
    RouteEntry e;
    e.name = route.name;
    const xds::RouteMatch& m = route.match;
    e.path = m.path.value;
    e.case_sensitive = m.case_sensitive;
    switch (m.path.kind) {
      case xds::PathMatcher::Kind::kPrefix:
        e.path_kind = PathKind::kPrefix;
        break;
      case xds::PathMatcher::Kind::kPath:
        e.path_kind = PathKind::kExact;
        break;
      case xds::PathMatcher::Kind::kPathSeparatedPrefix:
        e.path_kind = PathKind::kSegmentPrefix;
        break;
      case xds::PathMatcher::Kind::kSafeRegex:
        e.path_kind = PathKind::kRegex;
        e.path_regex = regex(m.path.value, "safe_regex", &e);
        break;
    }
    for (const xds::HeaderMatcher& h : m.headers) {
      HeaderTest t;
      t.name = ascii::toLower(h.name);
      t.present_match = h.present_match || !h.string_match;
      if (!t.present_match) {
        t.match = stringTest(*h.string_match, "header " + quote(t.name), &e);
      }
      t.invert = h.invert_match;
      t.treat_missing_as_empty = h.treat_missing_header_as_empty;
      e.headers.push_back(std::move(t));
    }
    for (const xds::QueryParameterMatcher& q : m.query_parameters) {
      QueryTest t;
      t.name = q.name;
      if (!q.present_match && q.string_match) {
        t.match = stringTest(*q.string_match, "query parameter " + quote(q.name), &e);
      }
      e.query_parameters.push_back(std::move(t));
    }
    for (const xds::ClaimMatcher& c : m.claims) {
      ClaimTest t;
      for (size_t i = 0; i < c.claim_path.size(); ++i) {
        t.path += (i == 0 ? "" : ".") + c.claim_path[i];
      }
      if (c.string_match) {
        t.match = stringTest(*c.string_match, "claim " + quote(t.path), &e);
      }
      t.invert = c.invert;
      e.claims.push_back(std::move(t));
    }
    return e;
  }

 private:
  StringTest stringTest(const xds::StringMatcher& m, const std::string& what, RouteEntry* e) {
    StringTest t;
    t.value = m.value;
    t.ignore_case = m.ignore_case;
    switch (m.kind) {
      case xds::StringMatcher::Kind::kExact:
        t.kind = StringTest::Kind::kExact;
        break;
      case xds::StringMatcher::Kind::kPrefix:
        t.kind = StringTest::Kind::kPrefix;
        break;
      case xds::StringMatcher::Kind::kSuffix:
        t.kind = StringTest::Kind::kSuffix;
        break;
      case xds::StringMatcher::Kind::kContains:
        t.kind = StringTest::Kind::kContains;
        break;
      case xds::StringMatcher::Kind::kRegex:
        t.kind = StringTest::Kind::kRegex;
        t.ignore_case = false;
        t.regex = regex(m.value, what + " regex", e);
        break;
    }
    return t;
  }

  int32_t regex(const std::string& pattern, const std::string& what, RouteEntry* e) {
    std::string error;
    int32_t id = pool_.intern(pattern, &error);
    if (!error.empty()) {
      e->never_matches = true;
      problems_.push_back("virtual host " + std::to_string(vhost_) + " route " +
                          std::to_string(route_) + ": " + what + " " + quote(pattern) +
                          " does not compile: " + error + "; the route never matches");
    }
    return id;
  }

  RegexPool& pool_;
  std::vector<std::string>& problems_;
  size_t vhost_, route_;
};

// Radix-tree construction. Insert returns the node whose key equals the inserted key,
// splitting edges as needed so that every inserted key ends on a node.
class TrieBuilder {
 public:
  explicit TrieBuilder(PathTrie& trie) : trie_(trie) {
    if (trie_.nodes.empty()) {
      trie_.nodes.emplace_back();
    }
  }

  uint32_t insert(std::string_view key) {
    uint32_t n = 0;
    while (!key.empty()) {
      TrieNode& node = trie_.nodes[n];
      size_t slot = node.child_bytes.find(key.front());
      if (slot == std::string::npos) {
        return addChild(n, key);
      }
      uint32_t c = node.children[slot];
      const std::string& label = trie_.nodes[c].label;
      size_t common = 0;
      while (common < label.size() && common < key.size() && label[common] == key[common]) {
        ++common;
      }
      if (common < label.size()) {
        c = split(n, slot, common);
      }
      key.remove_prefix(common);
      n = c;
    }
    return n;
  }

 private:
  uint32_t addChild(uint32_t parent, std::string_view label) {
    uint32_t id = static_cast<uint32_t>(trie_.nodes.size());
    TrieNode child;
    child.label = std::string(label);
    trie_.nodes.push_back(std::move(child));
    TrieNode& p = trie_.nodes[parent];
    size_t pos = std::lower_bound(p.child_bytes.begin(), p.child_bytes.end(), label.front()) -
                 p.child_bytes.begin();
    p.child_bytes.insert(p.child_bytes.begin() + pos, label.front());
    p.children.insert(p.children.begin() + pos, id);
    return id;
  }

  // Splits the edge parent→children[slot] after `at` bytes; returns the new middle node.
  uint32_t split(uint32_t parent, size_t slot, size_t at) {
    uint32_t old_child = trie_.nodes[parent].children[slot];
    uint32_t mid = static_cast<uint32_t>(trie_.nodes.size());
    TrieNode middle;
    middle.label = trie_.nodes[old_child].label.substr(0, at);
    trie_.nodes.push_back(std::move(middle));
    TrieNode& oc = trie_.nodes[old_child];
    oc.label.erase(0, at);
    TrieNode& m = trie_.nodes[mid];
    m.child_bytes.push_back(oc.label.front());
    m.children.push_back(old_child);
    trie_.nodes[parent].children[slot] = mid;
    return mid;
  }

  PathTrie& trie_;
};

// The header test a switch on `name` can key on: exact, case-sensitive, not inverted, missing
// header not read as "" (so an absent header rules the route out, as no case is selected).
const HeaderTest* switchableTest(const RouteEntry& route, std::string_view name) {
  for (const HeaderTest& h : route.headers) {
    if (h.name == name && !h.present_match && !h.invert && !h.treat_missing_as_empty && h.match &&
        h.match->kind == StringTest::Kind::kExact && !h.match->ignore_case) {
      return &h;
    }
  }
  return nullptr;
}

CandidateSet makeSet(std::vector<uint32_t> ids, const std::vector<RouteEntry>& routes) {
  CandidateSet set;
  // Pick the header most routes of the set switch on; ties go to the smaller name so the
  // result (and the dump) does not depend on hash order.
  std::map<std::string, size_t> counts;
  for (uint32_t id : ids) {
    std::vector<std::string_view> seen;
    for (const HeaderTest& h : routes[id].headers) {
      if (switchableTest(routes[id], h.name) == &h &&
          std::find(seen.begin(), seen.end(), h.name) == seen.end()) {
        seen.push_back(h.name);
        ++counts[h.name];
      }
    }
  }
  std::string best;
  size_t best_count = 0;
  for (const auto& [name, count] : counts) {
    if (count > best_count) {
      best = name;
      best_count = count;
    }
  }
  if (best_count < kSwitchMinRoutes) {
    set.routes = std::move(ids);
    return set;
  }
  set.switch_header = best;
  std::map<std::string, std::vector<uint32_t>> cases;
  for (uint32_t id : ids) {
    const HeaderTest* t = switchableTest(routes[id], best);
    if (t == nullptr) {
      set.routes.push_back(id);
    } else {
      cases[t->match->value].push_back(id);
    }
  }
  for (auto& [value, members] : cases) {
    set.cases.push_back(SwitchCase{value, std::move(members)});
  }
  return set;
}

void buildHostTable(const xds::RouteConfiguration& config, RouteProgram& program) {
  HostTable& table = program.hosts;
  std::map<uint32_t, DomainMap, std::greater<>> suffixes, prefixes;
  std::unordered_map<std::string, size_t> owner;  // "kind:key" → first virtual host
  for (size_t v = 0; v < config.virtual_hosts.size(); ++v) {
    for (const std::string& raw : config.virtual_hosts[v].domains) {
      std::string domain = ascii::toLower(raw);
      std::string owner_key;
      DomainMap* map = nullptr;
      std::string key;
      if (domain == "*") {
        owner_key = "*";
      } else if (!domain.empty() && domain.front() == '*') {
        key = domain.substr(1);
        map = &suffixes[static_cast<uint32_t>(key.size())];
        owner_key = "s:" + key;
      } else if (!domain.empty() && domain.back() == '*') {
        key = domain.substr(0, domain.size() - 1);
        map = &prefixes[static_cast<uint32_t>(key.size())];
        owner_key = "p:" + key;
      } else {
        key = domain;
        map = &table.exact;
        owner_key = "e:" + key;
      }
      auto [it, fresh] = owner.emplace(owner_key, v);
      if (!fresh) {
        program.problems.push_back(
            "virtual host " + std::to_string(v) + ": domain " + quote(domain) +
            (it->second == v ? " is listed twice"
                             : " is already used by virtual host " + std::to_string(it->second)) +
            "; Envoy rejects duplicate domains, the first one is kept");
        continue;
      }
      if (map == nullptr) {
        table.default_host = static_cast<int32_t>(v);
      } else {
        map->emplace(key, static_cast<uint32_t>(v));
      }
    }
  }
  for (auto& [length, keys] : suffixes) {
    table.suffixes.push_back(WildcardGroup{length, std::move(keys)});
  }
  for (auto& [length, keys] : prefixes) {
    table.prefixes.push_back(WildcardGroup{length, std::move(keys)});
  }
}

void buildVirtualHost(const xds::VirtualHost& vhost, size_t index, RegexPool& pool,
                      RouteProgram& program, VirtualHostProgram& out) {
  out.name = vhost.name;
  for (size_t r = 0; r < vhost.routes.size(); ++r) {
    RouteCompiler compiler(pool, program.problems, index, r);
    out.routes.push_back(compiler.compile(vhost.routes[r]));
  }
  // File each route under its path; routes are visited in order, so every list is sorted.
  struct NodeLists {
    std::vector<uint32_t> prefix, exact, segment, regex;
  };
  std::vector<NodeLists> cs_lists, ci_lists;
  TrieBuilder cs(out.case_sensitive), ci(out.case_insensitive);
  for (size_t r = 0; r < out.routes.size(); ++r) {
    const RouteEntry& e = out.routes[r];
    if (e.never_matches) {
      continue;
    }
    if (e.path_kind == PathKind::kRegex) {
      std::string literal = regexLiteralPrefix(*program.regexes[e.path_regex]);
      if (literal.size() < kMinRegexTriePrefix) {
        out.regex_routes.push_back(static_cast<uint32_t>(r));
        continue;
      }
      uint32_t node = cs.insert(literal);
      if (cs_lists.size() <= node) {
        cs_lists.resize(node + 1);
      }
      cs_lists[node].regex.push_back(static_cast<uint32_t>(r));
      continue;
    }
    uint32_t node = e.case_sensitive ? cs.insert(e.path) : ci.insert(ascii::toLower(e.path));
    auto& lists = e.case_sensitive ? cs_lists : ci_lists;
    if (lists.size() <= node) {
      lists.resize(node + 1);
    }
    auto& target = e.path_kind == PathKind::kPrefix  ? lists[node].prefix
                   : e.path_kind == PathKind::kExact ? lists[node].exact
                                                     : lists[node].segment;
    target.push_back(static_cast<uint32_t>(r));
  }
  auto attach = [&](PathTrie& trie, std::vector<NodeLists>& lists) {
    lists.resize(trie.nodes.size());
    for (size_t n = 0; n < trie.nodes.size(); ++n) {
      auto add = [&](std::vector<uint32_t>& ids) -> uint32_t {
        if (ids.empty()) {
          return kNoSet;
        }
        out.sets.push_back(makeSet(std::move(ids), out.routes));
        return static_cast<uint32_t>(out.sets.size() - 1);
      };
      trie.nodes[n].prefix_set = add(lists[n].prefix);
      trie.nodes[n].exact_set = add(lists[n].exact);
      trie.nodes[n].segment_set = add(lists[n].segment);
      trie.nodes[n].regex_set = add(lists[n].regex);
    }
  };
  attach(out.case_sensitive, cs_lists);
  attach(out.case_insensitive, ci_lists);

  buildRegexFilter(out);
}

}  // namespace


RouteProgram buildRouteProgram(const xds::RouteConfiguration& config) {
  RouteProgram program;
  program.name = config.name;
  program.ignore_port_in_host_matching = config.ignore_port_in_host_matching;
  buildHostTable(config, program);
  RegexPool pool(program);
  program.virtual_hosts.resize(config.virtual_hosts.size());
  for (size_t v = 0; v < config.virtual_hosts.size(); ++v) {
    buildVirtualHost(config.virtual_hosts[v], v, pool, program, program.virtual_hosts[v]);
  }
  return program;
}

}  // namespace meshc::ir
