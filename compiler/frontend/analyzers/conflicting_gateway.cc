// gateway.ConflictingGatewayAnalyzer (ISTIO-VALIDATION.md B.3): two Gateways on the same
// workloads must not serve the same host on the same port. Entry point: runConflictingGateway().
#include <algorithm>
#include <map>

#include "frontend/analyzers/analyzer_util.h"
#include "frontend/istio/labels.h"

namespace meshc::frontend::analyzers {

namespace {

// What one gateway contributes under one (selector, port) key: the hosts of its LAST server on
// that port (Istio overwrites earlier servers on the same port), with their bind address.
struct GatewayHosts {
  const Resource* gateway;
  std::string full_name;
  const Node* server;
  std::map<std::string, std::string, std::less<>> host_bind;
};

struct Key {
  std::string selector;  // selectorString()
  std::string port;      // port number as text, "0" when absent
  std::vector<GatewayHosts> gateways;
};

std::string fullName(const Resource& r) { return r.name_space + "/" + r.name; }

std::string portText(const Node* server) {
  return std::to_string(intOf(childPath(server, {"port", "number"})).value_or(0));
}

// labels.Set parsed back from a selector string, as Istio does for the substring comparison.
StringMap parseSelectorString(std::string_view s) {
  StringMap out;
  size_t start = 0;
  while (start <= s.size()) {
    size_t comma = s.find(',', start);
    std::string_view pair =
        s.substr(start, comma == std::string_view::npos ? std::string_view::npos : comma - start);
    size_t eq = pair.find('=');
    if (eq != std::string_view::npos && pair.find('=', eq + 1) == std::string_view::npos) {
      out[std::string(pair.substr(0, eq))] = std::string(pair.substr(eq + 1));
    }
    if (comma == std::string_view::npos) {
      break;
    }
    start = comma + 1;
  }
  return out;
}

}  // namespace

void runConflictingGateway(const AnalysisContext& ctx, DiagnosticSink& sink) {
  std::vector<Workload> workloads = collectWorkloads(ctx);
  std::vector<Key> keys;  // first-seen order keeps the output deterministic
  for (const Resource* gw : ctx.gateways) {
    std::string sel = selectorString(stringMapOf(child(gw->spec, "selector")));
    for (const Node* server : itemsOf(child(gw->spec, "servers"))) {
      std::string port = portText(server);
      auto key = std::find_if(keys.begin(), keys.end(),
                              [&](const Key& k) { return k.selector == sel && k.port == port; });
      if (key == keys.end()) {
        keys.push_back(Key{sel, port, {}});
        key = keys.end() - 1;
      }
      GatewayHosts entry{gw, fullName(*gw), server, {}};
      std::string bind(textAt(server, "bind"));
      for (const Node* h : itemsOf(child(server, "hosts"))) {
        entry.host_bind[std::string(textOf(h))] = bind;
      }
      auto same =
          std::find_if(key->gateways.begin(), key->gateways.end(),
                       [&](const GatewayHosts& g) { return g.full_name == entry.full_name; });
      if (same != key->gateways.end()) {
        *same = std::move(entry);
      } else {
        key->gateways.push_back(std::move(entry));
      }
    }
  }

  // (selector, other selector) -> some workload matches both; gateways often share selectors.
  std::map<std::pair<std::string, std::string>, bool> overlap_cache;
  for (const Resource* gw : ctx.gateways) {
    StringMap selector = stringMapOf(child(gw->spec, "selector"));
    std::string sel = selectorString(selector);
    std::string name = fullName(*gw);
    // Keys on the same workloads: the same selector text, or one selector text containing the
    // other while some workload in the input matches both.
    std::vector<const Key*> hits;
    for (const Key& k : keys) {
      bool matched = k.selector == sel;
      if (!matched && (k.selector.find(sel) != std::string::npos ||
                       sel.find(k.selector) != std::string::npos)) {
        auto [cached, inserted] = overlap_cache.try_emplace({sel, k.selector}, false);
        if (inserted) {
          StringMap other = parseSelectorString(k.selector);
          cached->second = std::any_of(workloads.begin(), workloads.end(), [&](const Workload& w) {
            return istio::selectorMatches(selector, w.labels) &&
                   istio::selectorMatches(other, w.labels);
          });
        }
        matched = cached->second;
      }
      if (matched) {
        hits.push_back(&k);
      }
    }
    // Istio reports IST0101 "selector" when nothing matched; a gateway's own servers always
    // match, so that only concerns server-less gateways, and workloads outside the input are
    // not an error for us (see registry.cc).
    for (const Node* server : itemsOf(child(gw->spec, "servers"))) {
      std::string port = portText(server);
      std::string bind(textAt(server, "bind"));
      std::vector<std::string> hosts = stringListOf(child(server, "hosts"));
      std::vector<std::string> conflicting;
      std::vector<const GatewayHosts*> conflicting_entries;
      for (const Key* k : hits) {
        if (k->port != port) {
          continue;
        }
        for (const GatewayHosts& other : k->gateways) {
          if (other.full_name == name) {
            continue;
          }
          bool clash = std::any_of(hosts.begin(), hosts.end(), [&](const std::string& h) {
            auto it = other.host_bind.find(h);
            return it != other.host_bind.end() && it->second == bind;
          });
          if (clash && std::find(conflicting.begin(), conflicting.end(), other.full_name) ==
                           conflicting.end()) {
            conflicting.push_back(other.full_name);
            conflicting_entries.push_back(&other);
          }
        }
      }
      if (conflicting.empty()) {
        continue;
      }
      std::sort(conflicting.begin(), conflicting.end());
      const Node* at = childPath(server, {"port", "number"});
      Diagnostic& d = report(
          sink, *gw, "IST0145", Severity::kError, at != nullptr ? at : server,
          "server conflicts with Gateway " + join(conflicting, ",") + " (workload selector " +
              quote(sel) + ", port " + port + ", hosts " + join(hosts, ",") +
              "); expected each host and port to be served by one Gateway per workload");
      for (const GatewayHosts* other : conflicting_entries) {
        const Node* other_at = childPath(other->server, {"port", "number"});
        addNote(d, other_at != nullptr ? other_at : other->server,
                "conflicting server of Gateway " + other->full_name);
      }
    }
  }
}

}  // namespace meshc::frontend::analyzers
