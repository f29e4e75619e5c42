// Unreachable VirtualService rules (IST0130) and ineffective matches (IST0131), as Istio's
// analyzeUnreachable{HTTP,TCP,TLS}Rules (ISTIO-VALIDATION.md A.4, V78-V79).
// Entry point: vs::analyzeUnreachableRules().
#include <algorithm>
#include <map>
#include <string>
#include <vector>

#include "base/quote.h"
#include "frontend/validation/validate_vs_internal.h"

namespace meshc::frontend::validation::vs {

namespace {

// --- Match identity ------------------------------------------------------------------------------
// Istio compares matches by Go's encoding/json rendering of the proto struct: keys sorted,
// default-valued fields omitted (omitempty), map entries and the set oneof member always kept.
// We render the YAML the same way so that e.g. `port: 0` equals no port, and key order or
// quoting does not matter.

std::string renderScalar(const Node* n) {
  if (n == nullptr || n->isNull()) {
    return "null";
  }
  if (n->isString()) {
    return toJson(*n);
  }
  if (n->isBool()) {
    return n->boolValue() ? "true" : "false";
  }
  if (n->isInt()) {
    return std::to_string(n->intValue());
  }
  return toJson(*n);
}

std::string renderValue(const Node* n);

std::vector<const MapEntry*> sortedEntries(const Node* map) {
  std::vector<const MapEntry*> out;
  for (const MapEntry& e : map->entries()) {
    out.push_back(&e);
  }
  std::sort(out.begin(), out.end(),
            [](const MapEntry* a, const MapEntry* b) { return a->key < b->key; });
  return out;
}

std::string renderKey(std::string_view key) { return quote(key); }

std::string renderValue(const Node* n) {
  if (n == nullptr || n->isScalar()) {
    return renderScalar(n);
  }
  std::string out;
  if (n->isSeq()) {
    out = "[";
    for (const Node* item : n->items()) {
      out += (out.size() > 1 ? "," : "") + renderValue(item);
    }
    return out + "]";
  }
  out = "{";
  for (const MapEntry* e : sortedEntries(n)) {
    out += (out.size() > 1 ? "," : "") + renderKey(e->key) + ":" + renderValue(e->value);
  }
  return out + "}";
}

bool isDefaultValue(const Node* n) {
  if (n == nullptr || n->isNull()) {
    return true;
  }
  switch (n->kind()) {
    case NodeKind::kBool:
      return !n->boolValue();
    case NodeKind::kInt:
    case NodeKind::kFloat:
      return n->numberValue() == 0;
    case NodeKind::kString:
      return n->text().empty();
    case NodeKind::kSeq:
    case NodeKind::kMap:
      return n->size() == 0;
    default:
      return false;
  }
}

// A StringMatch: the oneof member that is set is kept even when it is "".
std::string renderStringMatch(const Node* n) {
  if (n == nullptr || n->isNull() || !n->isMap()) {
    return renderValue(n);
  }
  std::string out = "{";
  for (const MapEntry* e : sortedEntries(n)) {
    if (e->value == nullptr || e->value->isNull()) {
      continue;
    }
    out += (out.size() > 1 ? "," : "") + renderKey(e->key) + ":" + renderValue(e->value);
  }
  return out + "}";
}

bool isStringMatchField(std::string_view key) {
  return key == "uri" || key == "scheme" || key == "method" || key == "authority";
}

bool isStringMatchMapField(std::string_view key) {
  return key == "headers" || key == "queryParams" || key == "withoutHeaders";
}

std::string renderMatch(const Node* m, bool drop_name) {
  if (m == nullptr || m->isNull()) {
    return "null";
  }
  if (!m->isMap()) {
    return renderValue(m);
  }
  std::string out = "{";
  for (const MapEntry* e : sortedEntries(m)) {
    std::string rendered;
    if (drop_name && e->key == "name") {
      continue;
    }
    if (isStringMatchField(e->key)) {
      if (e->value == nullptr || e->value->isNull()) {
        continue;  // a nil message pointer is omitted; an empty {} is not
      }
      rendered = renderStringMatch(e->value);
    } else if (isStringMatchMapField(e->key) && e->value != nullptr && e->value->isMap()) {
      if (e->value->size() == 0) {
        continue;
      }
      rendered = "{";
      for (const MapEntry* h : sortedEntries(e->value)) {
        rendered += (rendered.size() > 1 ? "," : "") + renderKey(h->key) + ":" +
                    renderStringMatch(h->value);
      }
      rendered += "}";
    } else {
      if (isDefaultValue(e->value)) {
        continue;
      }
      rendered = renderValue(e->value);
    }
    out += (out.size() > 1 ? "," : "") + renderKey(e->key) + ":" + rendered;
  }
  return out + "}";
}

// --- Prefix-overlap heuristic (Istio's genMatchHTTPRoutes / coveredValidation) -----------------

struct PrefixMatch {
  std::string route_name;
  std::string match_name;
  const Node* node = nullptr;
  std::string prefix;
  int64_t port = 0;
  std::string method;
  std::string authority;
  std::map<std::string, std::string, std::less<>> headers;
  std::map<std::string, std::string, std::less<>> query_params;
  std::map<std::string, std::string, std::less<>> without_headers;
};

// "exact:<v>", "prefix:<v>", or "" (regex or nothing), as Istio's assignExactOrPrefix.
std::string exactOrPrefix(const Node* sm) {
  if (!isSet(sm) || !sm->isMap()) {
    return "";
  }
  if (std::string_view exact = textOf(sm->get("exact")); !exact.empty()) {
    return "exact:" + std::string(exact);
  }
  if (std::string_view prefix = textOf(sm->get("prefix")); !prefix.empty()) {
    return "prefix:" + std::string(prefix);
  }
  return "";
}

std::map<std::string, std::string, std::less<>> renderMatchMap(const Node* map) {
  std::map<std::string, std::string, std::less<>> out;
  for (const MapEntry& e : map != nullptr ? map->entries() : std::span<const MapEntry>()) {
    out[std::string(e.key)] = exactOrPrefix(e.value);
  }
  return out;
}

std::string routeName(const Node* route, size_t index, bool http) {
  if (http && route != nullptr) {
    if (std::string_view name = textOf(route->get("name")); !name.empty()) {
      return quote(name);
    }
  }
  return "#" + std::to_string(index);
}

std::string matchName(const Node* match, size_t index, bool http) {
  if (http && match != nullptr) {
    if (std::string_view name = textOf(match->get("name")); !name.empty()) {
      return quote(name);
    }
  }
  return "#" + std::to_string(index);
}

std::optional<PrefixMatch> prefixMatchOf(const Node* match, std::string route_name,
                                         std::string match_name) {
  if (!isSet(match) || !match->isMap()) {
    return std::nullopt;
  }
  const Node* uri = match->get("uri");
  if (!isSet(uri)) {
    return std::nullopt;
  }
  std::string_view prefix = textOf(uri->get("prefix"));
  if (prefix.empty()) {
    return std::nullopt;
  }
  PrefixMatch p;
  p.route_name = std::move(route_name);
  p.match_name = std::move(match_name);
  p.node = match;
  p.prefix = std::string(prefix);
  const Node* port = match->get("port");
  p.port = port != nullptr && port->isInt() ? port->intValue() : 0;
  p.method = exactOrPrefix(match->get("method"));
  if (p.method.empty()) {
    p.method = "exact:GET";  // Istio assumes GET when no method is given (or it is a regex)
  }
  p.authority = exactOrPrefix(match->get("authority"));
  p.headers = renderMatchMap(match->get("headers"));
  p.query_params = renderMatchMap(match->get("queryParams"));
  p.without_headers = renderMatchMap(match->get("withoutHeaders"));
  return p;
}

bool mapCovered(const std::map<std::string, std::string, std::less<>>& a,
                const std::map<std::string, std::string, std::less<>>& b) {
  if (a.size() != b.size()) {
    return false;
  }
  for (const auto& [key, value] : a) {
    auto it = b.find(key);
    if (it == b.end()) {
      return false;
    }
    if (value != it->second && !value.starts_with(it->second)) {
      return false;
    }
  }
  return true;
}

// True when the earlier match a makes the later match b ineffective (Istio's heuristic,
// including its direction of the method/authority/header prefix tests).
bool covers(const PrefixMatch& a, const PrefixMatch& b) {
  if (!b.prefix.starts_with(a.prefix)) {
    return false;
  }
  if (a.port != b.port) {
    return false;
  }
  if (a.method != b.method && !a.method.starts_with(b.method)) {
    return false;
  }
  if (a.authority != b.authority && !a.authority.starts_with(b.authority)) {
    return false;
  }
  return mapCovered(a.headers, b.headers) && mapCovered(a.query_params, b.query_params) &&
         mapCovered(a.without_headers, b.without_headers);
}

void reportUnreachable(Reporter& rep, const Node* at, const std::string& rule,
                       std::string_view reason) {
  rep.emit("IST0130", "IST0130", Severity::kWarning, at,
           "virtualService rule " + rule + " not used (" + std::string(reason) + ")");
}

void reportIneffective(Reporter& rep, const Node* at, const std::string& rule,
                       const std::string& match, const std::string& dup) {
  rep.emit("IST0131", "IST0131", Severity::kInfo, at,
           "virtualService rule " + rule + " match " + match +
               " is not used (duplicate/overlapping match in rule " + dup + ")");
}

}  // namespace

void analyzeUnreachableRules(const Node* rules, RuleListKind kind, Reporter& rep) {
  if (rules == nullptr || !rules->isSeq()) {
    return;
  }
  bool http = kind == RuleListKind::kHttp;
  std::span<const Node* const> items = rules->items();
  std::map<std::string, size_t> seen;  // rendered match -> first rule index
  bool empty_match_seen = false;
  std::vector<PrefixMatch> prefix_matches;
  for (size_t rulen = 0; rulen < items.size(); ++rulen) {
    const Node* route = items[rulen];
    if (!isSet(route)) {
      continue;
    }
    std::string name = routeName(route, rulen, http);
    const Node* matches = route->get("match");
    size_t match_count = seqSize(matches);
    if (match_count == 0) {
      if (empty_match_seen) {
        reportUnreachable(rep, route, name, "only the last rule can have no matches");
      }
      empty_match_seen = true;
      continue;
    }
    size_t duplicates = 0;
    std::span<const Node* const> match_items = matches->items();
    for (size_t matchn = 0; matchn < match_items.size(); ++matchn) {
      const Node* match = match_items[matchn];
      if (empty_match_seen) {
        reportUnreachable(rep, match, name, "route without matches defined before");
        continue;
      }
      std::string key = renderMatch(match, /*drop_name=*/http);
      auto it = seen.find(key);
      if (it != seen.end()) {
        reportIneffective(rep, match, name, matchName(match, matchn, http),
                          routeName(items[it->second], it->second, http));
        ++duplicates;
        continue;
      }
      seen.emplace(std::move(key), rulen);
      if (http) {
        if (auto p = prefixMatchOf(match, name, matchName(match, matchn, http)); p) {
          prefix_matches.push_back(std::move(*p));
        }
      }
    }
    if (duplicates == match_count) {
      reportUnreachable(rep, route, name, "all matches used by prior rules");
    }
  }
  for (size_t i = 0; i < prefix_matches.size(); ++i) {
    for (size_t j = i + 1; j < prefix_matches.size(); ++j) {
      const PrefixMatch& a = prefix_matches[i];
      const PrefixMatch& b = prefix_matches[j];
      if (a.prefix == b.prefix || !covers(a, b)) {
        continue;
      }
      reportIneffective(rep, b.node, b.route_name, b.match_name + " of prefix " + b.prefix,
                        a.match_name + " of prefix " + a.prefix + " on " + a.route_name);
    }
  }
}

}  // namespace meshc::frontend::validation::vs
