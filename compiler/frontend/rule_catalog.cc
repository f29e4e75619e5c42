// The rule catalog, assembled from one .inc file per area so each area owns its entries.
// Each .inc line: RULE("id", "IST code or empty", Severity::kX, "title", "help")
#include "frontend/rule_catalog.h"

#include <algorithm>
#include <vector>

namespace meshc::frontend {

namespace {

#define RULE(id, code, sev, title, help) RuleInfo{id, code, sev, title, help},
const RuleInfo kRules[] = {
#include "frontend/rules/yaml.inc"
#include "frontend/rules/schema.inc"
#include "frontend/rules/metadata.inc"
#include "frontend/rules/gateway.inc"
#include "frontend/rules/virtual_service.inc"
#include "frontend/rules/destination_rule.inc"
#include "frontend/rules/sidecar.inc"
#include "frontend/rules/service_entry.inc"
#include "frontend/rules/endpoint_slice.inc"
#include "frontend/rules/analyzers.inc"
};
#undef RULE

}  // namespace

std::span<const RuleInfo> ruleCatalog() { return std::span<const RuleInfo>(kRules); }

const RuleInfo* findRule(std::string_view id) {
  for (const RuleInfo& r : kRules) {
    if (r.id == id) {
      return &r;
    }
  }
  return nullptr;
}

}  // namespace meshc::frontend
