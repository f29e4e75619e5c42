// Label-subset matching, used by analyzers (workload selection), lowering (Sidecar, Gateway,
// DestinationRule selectors, subsets) and route matching (sourceLabels). Entry: selectorMatches().
#include "frontend/istio/labels.h"

namespace meshc::istio {

bool selectorMatches(const frontend::StringMap& selector, const frontend::StringMap& labels) {
  for (const auto& [key, value] : selector) {
    auto it = labels.find(key);
    if (it == labels.end() || it->second != value) {
      return false;
    }
  }
  return true;
}

}  // namespace meshc::istio
