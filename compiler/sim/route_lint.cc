// Route shadowing lint: each VirtualService's HTTP matches become one virtual host (one route per
// match, in order, without Istio's catch-all truncation), the IR proves which are unreachable.
#include "sim/route_lint.h"

#include <fmt/format.h>

#include <set>

#include "base/quote.h"
#include "frontend/lint.h"
#include "frontend/model/model.h"
#include "frontend/reporter.h"
#include "ir/ir.h"
#include "ir/shadow_analysis.h"
#include "lower/route_translation.h"

namespace meshc::sim {

namespace {

// Static conditions decide per proxy whether a match exists at all; a match that has any cannot
// be proven to cover a later one everywhere, so it never counts as the shadowing route.
bool hasStaticConditions(const model::HttpMatchRequest& m) {
  return m.port != 0 || !m.source_labels.empty() || !m.gateways.empty() ||
         !m.source_namespace.empty();
}

struct Entry {
  size_t rule;
  int32_t match;  // -1: the rule has no match list
  SourceLoc loc;
  bool static_conditions;
};

std::string ruleName(const model::HttpRoute& rule) {
  return rule.name.empty() ? fmt::format("#{}", rule.index) : quote(rule.name);
}

}  // namespace

void checkRouteShadowing(const std::vector<frontend::Resource>& resources,
                         const frontend::MeshConfig& mesh, DiagnosticSink& sink) {
  // Only VirtualServices matter, each on its own: building the model one object at a time keeps
  // peak memory flat (at 10,000 objects / 100,000 routes the whole model at once added ~330 MB).
  std::vector<frontend::Resource> admitted;
  for (frontend::Resource& r : frontend::admittedResources(resources, sink.diagnostics())) {
    if (r.kind == frontend::ResourceKind::kVirtualService && r.schema_valid) {
      admitted.push_back(std::move(r));
    }
  }
  // Where Istio's own analysis already spoke, keep its code and add nothing.
  std::set<std::pair<uint32_t, uint32_t>> istio_reported;  // (file, line)
  for (const Diagnostic& d : sink.diagnostics()) {
    if (d.id == "IST0130" || d.id == "IST0131") {
      istio_reported.insert({d.loc.file, d.loc.line});
    }
  }
  for (const frontend::Resource& one : admitted) {
    model::ConfigSet config = model::buildConfigSet({one}, mesh);
    if (config.virtual_services.empty()) {
      continue;
    }
    const model::VirtualService& vs = config.virtual_services.front();
    lower::RouteConfiguration rc;
    rc.name = "lint";
    lower::VirtualHost vh;
    vh.name = "lint";
    vh.domains = {"*"};
    std::vector<Entry> entries;
    for (size_t i = 0; i < vs.http.size(); ++i) {
      const model::HttpRoute& rule = vs.http[i];
      if (rule.delegate) {
        continue;  // its routes come from another VirtualService
      }
      auto add = [&](const model::HttpMatchRequest* m, int32_t index, SourceLoc loc) {
        lower::Route r;
        r.match = lower::translateRouteMatch(m);
        vh.routes.push_back(std::move(r));
        entries.push_back(Entry{i, index, loc, m != nullptr && hasStaticConditions(*m)});
      };
      if (rule.match.empty()) {
        add(nullptr, -1, rule.loc);
      } else {
        for (size_t k = 0; k < rule.match.size(); ++k) {
          add(&rule.match[k], static_cast<int32_t>(k), rule.match[k].loc);
        }
      }
    }
    if (vh.routes.size() < 2) {
      continue;
    }
    rc.virtual_hosts.push_back(std::move(vh));
    ir::RouteProgram program = ir::buildRouteProgram(rc);
    const frontend::Resource* owner = &one;
    for (const ir::ShadowFinding& f : ir::findShadowedRoutes(program)) {
      const Entry& shadowed = entries[f.route];
      const Entry& by = entries[f.shadowing_route];
      if (by.static_conditions || shadowed.rule == by.rule) {
        // A match inside the same rule only duplicates its sibling's action: harmless, and
        // Istio's IST0131 covers exact duplicates there.
        continue;
      }
      const model::HttpRoute& rule = vs.http[shadowed.rule];
      const model::HttpRoute& by_rule = vs.http[by.rule];
      if (istio_reported.count({shadowed.loc.file, shadowed.loc.line}) != 0 ||
          istio_reported.count({rule.loc.file, rule.loc.line}) != 0) {
        continue;
      }
      Diagnostic d;
      d.id = "vs-route-shadowed";
      d.istio_code = "";
      d.severity = Severity::kWarning;
      std::string what = shadowed.match >= 0 ? fmt::format("match #{} of rule {}", shadowed.match, ruleName(rule))
                                              : fmt::format("rule {}", ruleName(rule));
      // The IR names routes by index in the synthetic virtual host; speak of rules instead.
      std::string reason = f.reason;
      std::string ir_name = fmt::format("route {}", f.shadowing_route);
      if (size_t at = reason.find(ir_name); at != std::string::npos) {
        reason.replace(at, ir_name.size(), "rule " + ruleName(by_rule));
      }
      d.message = fmt::format("{} can never match: rule {} before it takes every request it accepts ({})",
                              what, ruleName(by_rule), reason);
      d.loc = shadowed.loc;
      d.resource = owner->ref();
      d.notes.push_back(DiagnosticNote{fmt::format("rule {} is here", ruleName(by_rule)), by.loc});
      sink.report(std::move(d));
    }
  }
}

}  // namespace meshc::sim
