// The catalog of every diagnostic id meshc can emit, with severity and help (for SARIF, docs).
// Entry points: ruleCatalog(), findRule().
#pragma once

#include <span>
#include <string_view>

#include "support/diagnostic.h"

namespace meshc::frontend {

struct RuleInfo {
  std::string_view id;          // "vs-route-and-redirect", "IST0101", "schema-unknown-field"
  std::string_view istio_code;  // IST0106 / IST0133 / own code / "" (istioctl has none)
  Severity severity;            // the default severity
  std::string_view title;       // one line
  std::string_view help;        // a few sentences: what triggers it, how to fix it
};

std::span<const RuleInfo> ruleCatalog();
/// nullptr when id is not in the catalog.
const RuleInfo* findRule(std::string_view id);

}  // namespace meshc::frontend
