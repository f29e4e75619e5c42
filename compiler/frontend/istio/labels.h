// Istio's label selection (istio:pkg/config/labels Instance.SubsetOf): a selector picks the
// label sets that hold every one of its key/value pairs. Entry point: selectorMatches().
#pragma once

#include "frontend/resource.h"

namespace meshc::istio {

/// True when every key of `selector` is in `labels` with the same value (selector ⊆ labels).
/// An empty selector matches every label set.
bool selectorMatches(const frontend::StringMap& selector, const frontend::StringMap& labels);

}  // namespace meshc::istio
