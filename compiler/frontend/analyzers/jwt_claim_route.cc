// virtualservice.JWTClaimRouteAnalyzer (ISTIO-VALIDATION.md B.9): routing on a JWT claim at a
// gateway needs a RequestAuthentication on the gateway workloads. Entry point: runJwtClaimRoute().
#include <algorithm>

#include "base/ascii.h"
#include "frontend/analyzers/analyzer_util.h"
#include "frontend/istio/labels.h"

namespace meshc::frontend::analyzers {

namespace {

// Istio's jwt.ToRoutingClaim(...).Match: "@request.auth.claims" (any case) followed by ".a.b"
// or "[a][b]".
bool isRoutingClaim(std::string_view header) {
  constexpr std::string_view kPrefix = "@request.auth.claims";
  if (!ascii::startsWithIgnoreCase(header, kPrefix)) {
    return false;
  }
  std::string_view name = header.substr(kPrefix.size());
  if (name.starts_with('.') && name.size() > 1) {
    return true;
  }
  return name.starts_with('[') && name.ends_with(']') && name.size() > 2;
}

// The first claim header key used by any HTTP match (headers, then withoutHeaders).
const MapEntry* firstClaimKey(const Resource& vs) {
  for (const Node* http : itemsOf(child(vs.spec, "http"))) {
    for (const Node* match : itemsOf(child(http, "match"))) {
      for (const char* field : {"headers", "withoutHeaders"}) {
        for (const MapEntry& e : entriesOf(child(match, field))) {
          if (isRoutingClaim(e.key)) {
            return &e;
          }
        }
      }
    }
  }
  return nullptr;
}

}  // namespace

void runJwtClaimRoute(const AnalysisContext& ctx, DiagnosticSink& sink) {
  std::vector<Workload> workloads = collectWorkloads(ctx);
  for (const Resource* vs : ctx.virtual_services) {
    const MapEntry* claim = firstClaimKey(*vs);
    if (claim == nullptr) {
      continue;
    }
    for (const Node* ref : itemsOf(child(vs->spec, "gateways"))) {
      std::string_view name = textOf(ref);
      if (name == "mesh") {
        continue;
      }
      FullName gw_name = shortOrFullName(vs->name_space, name);
      auto gw = std::find_if(ctx.gateways.begin(), ctx.gateways.end(), [&](const Resource* g) {
        return g->name_space == gw_name.name_space && g->name == gw_name.name;
      });
      if (gw == ctx.gateways.end()) {
        continue;  // a missing gateway is the GatewayAnalyzer's finding
      }
      StringMap selector = stringMapOf(child((*gw)->spec, "selector"));
      for (const Workload& w : workloads) {
        if (!istio::selectorMatches(selector, w.labels)) {
          continue;
        }
        const std::string& ns = w.resource->name_space;
        bool authenticated = std::any_of(
            ctx.request_authentications.begin(), ctx.request_authentications.end(),
            [&](const Resource* ra) {
              if (ra->name_space != ctx.mesh.root_namespace && ra->name_space != ns) {
                return false;
              }
              return istio::selectorMatches(
                  stringMapOf(childPath(ra->spec, {"selector", "matchLabels"})), w.labels);
            });
        if (authenticated) {
          continue;
        }
        Reporter rep(*vs, sink);
        rep.emitAtKey("IST0149", "IST0149", Severity::kError, claim,
                      "routing on JWT claim " + quote(claim->key) + " through Gateway " +
                          gw_name.name_space + "/" + gw_name.name +
                          " needs a RequestAuthentication for its workload " +
                          quote(workloadDisplayName(*w.resource)) +
                          ", found none; expected one in namespace " + quote(ns) + " or " +
                          quote(ctx.mesh.root_namespace) +
                          " selecting it, so the token is validated and its claims are available");
      }
    }
  }
}

}  // namespace meshc::frontend::analyzers
