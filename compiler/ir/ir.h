// The routing IR: its structure and design are in runtime/ir/route_tree.h (shared with the
// runtime, which evaluates the same tree from a bundle). Entry point: buildRouteProgram().
#pragma once

#include "routing/route_tree.h"
#include "xds/proxy_config.h"

namespace meshc::ir {

/// Builds the IR for one route configuration. Never fails (see RouteProgram::problems).
RouteProgram buildRouteProgram(const xds::RouteConfiguration& config);

}  // namespace meshc::ir
