// sidecar.SelectorAnalyzer (ISTIO-VALIDATION.md B.12): a Sidecar selector must match a workload,
// no workload may be selected by two Sidecars, and a namespace may have only one selector-less
// Sidecar; Sidecars in ambient mode have no effect. Entry point: runSidecarSelector().
#include <algorithm>
#include <map>
#include <set>

#include "frontend/analyzers/analyzer_util.h"
#include "frontend/istio/labels.h"

namespace meshc::frontend::analyzers {

namespace {

bool workloadInAmbient(const Workload& w) {
  auto it = w.annotations.find("ambient.istio.io/redirection");
  return it != w.annotations.end() && it->second == "enabled";
}

bool namespaceInAmbient(const Resource& ns) {
  auto label = [&](std::string_view key) -> std::string_view {
    auto it = ns.labels.find(key);
    return it == ns.labels.end() ? std::string_view() : std::string_view(it->second);
  };
  if (label("istio-injection") == "enabled" || !label("istio.io/rev").empty()) {
    return false;  // sidecar injection wins over the dataplane mode
  }
  return label("istio.io/dataplane-mode") == "ambient";
}

const Node* metadataName(const Resource& r) {
  const Node* name = child(r.metadata, "name");
  return name != nullptr ? name : r.root;
}

std::vector<std::string> sortedNames(const std::vector<const Resource*>& sidecars) {
  std::vector<std::string> names;
  for (const Resource* s : sidecars) {
    names.push_back(s->name);
  }
  std::sort(names.begin(), names.end());
  return names;
}

}  // namespace

void runSidecarSelector(const AnalysisContext& ctx, DiagnosticSink& sink) {
  std::vector<Workload> workloads = collectWorkloads(ctx);
  std::vector<std::pair<const Workload*, std::vector<const Resource*>>> selected;  // input order
  std::map<std::string, std::vector<const Resource*>> namespace_wide;
  std::vector<std::string> namespace_order;

  for (const Resource* sc : ctx.sidecars) {
    const Node* labels_node = childPath(sc->spec, {"workloadSelector", "labels"});
    StringMap selector = stringMapOf(labels_node);
    if (selector.empty()) {
      auto [it, inserted] = namespace_wide.try_emplace(sc->name_space);
      if (inserted) {
        namespace_order.push_back(sc->name_space);
      }
      it->second.push_back(sc);
      continue;
    }
    bool found = false;
    bool namespace_has_workloads = false;
    for (const Workload& w : workloads) {
      if (w.resource->name_space != sc->name_space) {
        continue;  // Sidecars only select workloads in their own namespace
      }
      namespace_has_workloads = true;
      if (!istio::selectorMatches(selector, w.labels)) {
        continue;
      }
      found = true;
      auto slot = std::find_if(selected.begin(), selected.end(),
                               [&](const auto& p) { return p.first == &w; });
      if (slot == selected.end()) {
        selected.emplace_back(&w, std::vector<const Resource*>{});
        slot = selected.end() - 1;
      }
      slot->second.push_back(sc);
    }
    // Only a namespace whose workloads are in the input can prove a selector matches nothing.
    if (!found && namespace_has_workloads) {
      std::string sel = selectorString(selector);
      report(sink, *sc, "IST0101", Severity::kError, firstSelectorNode(labels_node),
             "referenced selector not found: " + quote(sel) +
                 "; expected a workload in namespace " + quote(sc->name_space) +
                 " with these labels");
    }
  }

  std::set<const Resource*> reported;  // IST0167 is reported once per Sidecar
  for (const auto& [w, sidecars] : selected) {
    bool ambient = workloadInAmbient(*w);
    if (sidecars.size() == 1 && !ambient) {
      continue;
    }
    std::vector<std::string> names = sortedNames(sidecars);
    std::string pod = workloadDisplayName(*w->resource);
    for (const Resource* sc : sidecars) {
      const Node* at = childPath(sc->spec, {"workloadSelector", "labels"});
      if (ambient) {
        if (reported.insert(sc).second) {
          report(sink, *sc, "IST0167", Severity::kWarning, at,
                 "the Sidecar has no effect: the selected workload " + quote(pod) +
                     " is in ambient mode (annotation ambient.istio.io/redirection=enabled); "
                     "expected a workload with a sidecar proxy");
        }
        continue;
      }
      report(sink, *sc, "IST0110", Severity::kError, at,
             "the Sidecars " + join(names, ", ") + " in namespace " + quote(sc->name_space) +
                 " all select workload " + quote(pod) +
                 ", which leads to undefined behavior; expected at most one Sidecar per workload");
    }
  }

  for (const std::string& ns : namespace_order) {
    const std::vector<const Resource*>& sidecars = namespace_wide[ns];
    auto ns_obj = std::find_if(ctx.namespaces.begin(), ctx.namespaces.end(),
                               [&](const Resource* n) { return n->name == ns; });
    if (ns_obj != ctx.namespaces.end() && namespaceInAmbient(**ns_obj)) {
      for (const Resource* sc : sidecars) {
        if (reported.insert(sc).second) {
          report(sink, *sc, "IST0167", Severity::kWarning, metadataName(*sc),
                 "the Sidecar has no effect: namespace " + quote(ns) +
                     " is in ambient mode (label istio.io/dataplane-mode=ambient); expected a "
                     "namespace with sidecar injection");
        }
      }
      continue;
    }
    if (sidecars.size() < 2) {
      continue;
    }
    std::vector<std::string> names = sortedNames(sidecars);
    for (const Resource* sc : sidecars) {
      report(sink, *sc, "IST0111", Severity::kError, metadataName(*sc),
             "the Sidecars " + join(names, ", ") + " in namespace " + quote(ns) +
                 " have no workload selector, which leads to undefined behavior; expected at "
                 "most one namespace-wide Sidecar");
    }
  }
}

}  // namespace meshc::frontend::analyzers
