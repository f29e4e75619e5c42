// virtualservice.ConflictingMeshGatewayHostsAnalyzer (ISTIO-VALIDATION.md B.5): two mesh-bound
// VirtualServices must not define the same host for the same namespaces. Entry point:
// runConflictingMeshGatewayHosts().
#include <algorithm>
#include <set>
#include <unordered_map>

#include "frontend/analyzers/analyzer_util.h"
#include "frontend/istio/host.h"
#include "frontend/validation/validate_common.h"

namespace meshc::frontend::analyzers {

namespace {

struct HostUse {
  const Resource* vs;
  const Node* host_node;
};

// All VirtualServices defining one scoped host ("scope/fqdn").
struct ScopedHost {
  std::string scope;
  std::string fqdn;
  std::vector<HostUse> uses;
};

bool boundToMesh(const Resource& vs) {
  const Node* gateways = child(vs.spec, "gateways");
  if (itemsOf(gateways).empty()) {
    return true;  // no gateways means "mesh"
  }
  return std::any_of(itemsOf(gateways).begin(), itemsOf(gateways).end(),
                     [](const Node* g) { return textOf(g) == "mesh"; });
}

}  // namespace

void runConflictingMeshGatewayHosts(const AnalysisContext& ctx, DiagnosticSink& sink) {
  std::vector<ScopedHost> table;  // first-seen order keeps the output deterministic
  std::unordered_map<std::string, size_t> index;
  for (const Resource* vs : ctx.virtual_services) {
    if (!boundToMesh(*vs)) {
      continue;
    }
    std::vector<std::string> scopes =
        exportScopes(stringListOf(child(vs->spec, "exportTo")), vs->name_space);
    for (const std::string& scope : scopes) {
      for (const Node* h : itemsOf(child(vs->spec, "hosts"))) {
        std::string fqdn = toFqdn(textOf(h), vs->name_space, ctx.mesh);
        auto [slot, inserted] = index.try_emplace(scope + "/" + fqdn, table.size());
        if (inserted) {
          table.push_back(ScopedHost{scope, fqdn, {}});
        }
        ScopedHost* it = &table[slot->second];
        // A VirtualService repeating a host does not conflict with itself.
        if (std::none_of(it->uses.begin(), it->uses.end(),
                         [&](const HostUse& u) { return u.vs == vs; })) {
          it->uses.push_back(HostUse{vs, h});
        }
      }
    }
  }

  std::set<const Resource*> reported;  // each VirtualService is reported once
  for (const ScopedHost& key : table) {
    std::vector<HostUse> group = key.uses;
    if (key.scope != "*") {
      // A namespace-scoped host also clashes with every all-namespaces host it overlaps.
      for (const ScopedHost& other : table) {
        if (other.scope != "*" || !istio::hostMatches(key.fqdn, other.fqdn)) {
          continue;
        }
        for (const HostUse& u : other.uses) {
          if (std::none_of(group.begin(), group.end(),
                           [&](const HostUse& g) { return g.vs == u.vs; })) {
            group.push_back(u);
          }
        }
      }
    }
    if (group.size() < 2) {
      continue;
    }
    std::vector<std::string> names;
    for (const HostUse& u : group) {
      names.push_back(u.vs->name_space + "/" + u.vs->name);
    }
    std::sort(names.begin(), names.end());
    std::string scoped = key.scope + "/" + key.fqdn;
    for (const HostUse& u : group) {
      if (!reported.insert(u.vs).second) {
        continue;
      }
      Diagnostic& d =
          report(sink, *u.vs, "IST0109", Severity::kError, u.host_node,
                 "the VirtualServices " + join(names, ",") +
                     " bound to the mesh gateway all define host " + scoped +
                     ", which leads to undefined behavior; expected one VirtualService per " +
                     "host (merge them into a single resource)");
      for (const HostUse& other : group) {
        if (other.vs != u.vs) {
          addNote(d, other.host_node,
                  "also defined by VirtualService " + other.vs->name_space + "/" + other.vs->name);
        }
      }
    }
  }
}

}  // namespace meshc::frontend::analyzers
