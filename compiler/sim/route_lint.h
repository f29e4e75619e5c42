// Route-level lint on the IR: HTTP matches that can never match because an earlier match of the
// same VirtualService takes every request they accept. Entry point: checkRouteShadowing().
// A strict superset of Istio's IST0130/IST0131: where Istio reports a match, Istio's code stays
// and nothing is added; everything else it proves is reported as `vs-route-shadowed`.
#pragma once

#include <vector>

#include "frontend/mesh_config.h"
#include "frontend/resource.h"
#include "support/diagnostic.h"

namespace meshc::sim {

/// Plugs into frontend::LintOptions::extra_checks.
void checkRouteShadowing(const std::vector<frontend::Resource>& resources,
                         const frontend::MeshConfig& mesh, DiagnosticSink& sink);

}  // namespace meshc::sim
