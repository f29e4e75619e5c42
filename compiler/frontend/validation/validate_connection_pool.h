// Connection-pool settings checks shared by DestinationRule and Sidecar (ISTIO-VALIDATION.md
// rows D8-D14, S9, S11). Entry point: checkConnectionPool().
#pragma once

#include "frontend/reporter.h"
#include "frontend/yaml_tree.h"

namespace meshc::frontend::validation {

/// Istio's validateConnectionPool over a `connectionPool` / `inboundConnectionPool` node.
/// A missing or null node is valid; a present pool with neither `http` nor `tcp` reports
/// conn-pool-empty and nothing else (Istio short-circuits). All findings are errors under the
/// ids conn-pool-empty, conn-pool-negative, conn-pool-duration, conn-pool-keepalive-missing and
/// conn-pool-h2-upgrade-client-protocol. Never throws; wrong-typed fields are ignored (the
/// schema check reports them).
void checkConnectionPool(const Node* pool, Reporter& rep);

}  // namespace meshc::frontend::validation
