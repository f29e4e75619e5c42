// DestinationRule traffic-policy checks (ISTIO-VALIDATION.md A.5, D2-D34), shared by the
// top-level policy and subset policies. Entry point: checkTrafficPolicy().
#pragma once

#include <string>
#include <string_view>

#include "frontend/reporter.h"
#include "frontend/yaml_tree.h"

namespace meshc::frontend::validation {

/// Where a policy sits decides whether its warnings survive (see A.0 in the reference).
struct PolicyContext {
  Reporter& rep;
  std::string_view config_namespace;  // the DestinationRule's namespace (configmap:// check)
  bool keep_warnings = true;

  void error(std::string_view id, const Node* at, std::string message) const {
    rep.error(id, at, std::move(message));
  }
  void warning(std::string_view id, const Node* at, std::string message) const {
    if (keep_warnings) {
      rep.warning(id, at, std::move(message));
    }
  }
};

/// Istio's validateTrafficPolicy over a `trafficPolicy` node (absent/null = nothing to check).
void checkTrafficPolicy(const Node* policy, const PolicyContext& ctx);

/// validateLoadBalancer: consistent hash, maglev, locality / zone-aware settings, warmup. The
/// outlier node (may be null) decides the "failover needs outlier detection" warning.
void checkLoadBalancer(const Node* lb, const Node* outlier, const PolicyContext& ctx);

/// Envoy's primality routine (1, 2 and 3 count as prime, 0 does not), as Istio uses it for
/// maglev.tableSize.
bool isEnvoyPrime(uint64_t x);

}  // namespace meshc::frontend::validation
