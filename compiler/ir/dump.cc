// dumpRouteProgram(): the canonical, golden-tested text form of the IR.
#include "ir/dump.h"

#include <algorithm>
#include <cstdio>
#include <vector>

namespace meshc::ir {

namespace {

const char* stringKindName(StringTest::Kind k) {
  switch (k) {
    case StringTest::Kind::kExact:
      return "exact";
    case StringTest::Kind::kPrefix:
      return "prefix";
    case StringTest::Kind::kSuffix:
      return "suffix";
    case StringTest::Kind::kContains:
      return "contains";
    case StringTest::Kind::kRegex:
      return "regex";
  }
  return "?";
}


std::string stringTest(const StringTest& t) {
  std::string out = stringKindName(t.kind);
  out += " " + dumpQuote(t.value);
  if (t.ignore_case) {
    out += " ignore_case";
  }
  if (t.kind == StringTest::Kind::kRegex) {
    out += " #" + std::to_string(t.regex);
  }
  return out;
}

std::string idList(const std::vector<uint32_t>& ids) {
  std::string out = "[";
  for (size_t i = 0; i < ids.size(); ++i) {
    out += (i == 0 ? "" : " ") + std::to_string(ids[i]);
  }
  return out + "]";
}

std::string setLine(const CandidateSet& set) {
  std::string out = idList(set.routes);
  if (!set.switch_header.empty()) {
    out += " switch " + dumpQuote(set.switch_header);
    for (const SwitchCase& c : set.cases) {
      out += " " + dumpQuote(c.value) + "=" + idList(c.routes);
    }
  }
  return out;
}

void dumpDomains(const DomainMap& map, const char* kind, std::string_view star_before,
                 std::string_view star_after, std::string& out) {
  std::vector<std::pair<std::string, uint32_t>> sorted(map.begin(), map.end());
  std::sort(sorted.begin(), sorted.end());
  for (const auto& [key, vhost] : sorted) {
    out += "  ";
    out += kind;
    out += " " + dumpQuote(std::string(star_before) + key + std::string(star_after)) + " -> " +
           std::to_string(vhost) + "\n";
  }
}

void dumpRoute(const RouteEntry& e, size_t index, std::string& out) {
  out += "  route " + std::to_string(index) + " " + dumpQuote(e.name) + " " +
         pathKindName(e.path_kind) + " " + dumpQuote(e.path);
  if (e.path_kind == PathKind::kRegex) {
    out += " #" + std::to_string(e.path_regex);
  } else if (!e.case_sensitive) {
    out += " ignore_case";
  }
  if (e.never_matches) {
    out += " never_matches";
  }
  out += "\n";
  for (const HeaderTest& h : e.headers) {
    out += "    header " + dumpQuote(h.name) + " " +
           (h.present_match ? "present" : stringTest(*h.match));
    if (h.invert) {
      out += " invert";
    }
    if (h.treat_missing_as_empty) {
      out += " treat_missing_as_empty";
    }
    out += "\n";
  }
  for (const QueryTest& q : e.query_parameters) {
    out += "    query " + dumpQuote(q.name) + " " + (q.match ? stringTest(*q.match) : "present") +
           "\n";
  }
  for (const ClaimTest& c : e.claims) {
    out += "    claim " + dumpQuote(c.path) + " " + (c.match ? stringTest(*c.match) : "present");
    if (c.invert) {
      out += " invert";
    }
    out += "\n";
  }
}

void dumpTrie(const VirtualHostProgram& vh, const PathTrie& trie, const char* name,
              std::string& out) {
  if (trie.nodes.size() <= 1 && (trie.nodes.empty() || (trie.nodes[0].prefix_set == kNoSet &&
                                                        trie.nodes[0].exact_set == kNoSet &&
                                                        trie.nodes[0].segment_set == kNoSet))) {
    return;  // an empty trie says nothing
  }
  out += "  trie ";
  out += name;
  out += "\n";
  // Depth-first in child-byte order (the children vectors are already in that order).
  std::vector<std::tuple<uint32_t, std::string, int>> stack{{0, "", 0}};
  while (!stack.empty()) {
    auto [n, key, depth] = stack.back();
    stack.pop_back();
    if (n >= trie.nodes.size()) {
      continue;
    }
    const TrieNode& node = trie.nodes[n];
    std::string indent(4 + 2 * depth, ' ');
    out += indent + "node " + dumpQuote(key);
    if (n != 0) {
      out += " +" + dumpQuote(node.label);
    }
    out += "\n";
    auto set = [&](uint32_t index, const char* kind) {
      if (index != kNoSet && index < vh.sets.size()) {
        out += indent + "  " + kind + " " + setLine(vh.sets[index]) + "\n";
      }
    };
    set(node.prefix_set, "prefix");
    set(node.exact_set, "exact");
    set(node.segment_set, "segment");
    set(node.regex_set, "regex");
    for (size_t i = node.children.size(); i-- > 0;) {
      uint32_t c = node.children[i];
      if (c < trie.nodes.size()) {
        stack.emplace_back(c, key + trie.nodes[c].label, depth + 1);
      }
    }
  }
}

}  // namespace


std::string dumpQuote(std::string_view s) {
  std::string out = "\"";
  for (unsigned char c : s) {
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        if (c < 0x20 || c >= 0x7f) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\x%02x", c);
          out += buf;
        } else {
          out += static_cast<char>(c);
        }
    }
  }
  return out + "\"";
}

std::string dumpRouteProgram(const RouteProgram& program) {
  std::string out =
      "route_configuration " + dumpQuote(program.name) +
      " ignore_port_in_host_matching=" + (program.ignore_port_in_host_matching ? "true" : "false") +
      "\n";
  for (const std::string& p : program.problems) {
    out += "problem " + dumpQuote(p) + "\n";
  }
  out += "domains\n";
  dumpDomains(program.hosts.exact, "exact", "", "", out);
  for (const WildcardGroup& g : program.hosts.suffixes) {
    dumpDomains(g.keys, "suffix", "*", "", out);
  }
  for (const WildcardGroup& g : program.hosts.prefixes) {
    dumpDomains(g.keys, "prefix", "", "*", out);
  }
  if (program.hosts.default_host >= 0) {
    out += "  default \"*\" -> " + std::to_string(program.hosts.default_host) + "\n";
  }
  for (size_t i = 0; i < program.regex_patterns.size(); ++i) {
    out += "regex #" + std::to_string(i) + " " + dumpQuote(program.regex_patterns[i]) +
           (i < program.regexes.size() && program.regexes[i] != nullptr ? "" : " invalid") + "\n";
  }
  for (size_t v = 0; v < program.virtual_hosts.size(); ++v) {
    const VirtualHostProgram& vh = program.virtual_hosts[v];
    out += "virtual_host " + std::to_string(v) + " " + dumpQuote(vh.name) + "\n";
    for (size_t r = 0; r < vh.routes.size(); ++r) {
      dumpRoute(vh.routes[r], r, out);
    }
    dumpTrie(vh, vh.case_sensitive, "case_sensitive", out);
    dumpTrie(vh, vh.case_insensitive, "case_insensitive", out);
    if (!vh.regex_routes.empty()) {
      out += "  regex_routes " + idList(vh.regex_routes) +
             (vh.regex_filter != nullptr ? " set" : " no_set") + "\n";
    }
  }
  return out;
}

}  // namespace meshc::ir
