// Istio's host algebra (istio:pkg/config/host/name.go): how two host names, either possibly a
// "*." wildcard, relate. Entry points: hostMatches(), hostSubsetOf().
#pragma once

#include <string_view>

namespace meshc::istio {

/// host.Name.Matches: true when the two hosts (possibly wildcards) overlap.
bool hostMatches(std::string_view a, std::string_view b);
/// host.Name.SubsetOf: every name matched by a is matched by b.
bool hostSubsetOf(std::string_view a, std::string_view b);

}  // namespace meshc::istio
