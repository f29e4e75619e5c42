// The answer of route selection: which virtual host and which route of a route configuration a
// request lands on. Shared by the reference evaluator and the IR interpreter so they compare 1:1.
#pragma once

#include <cstdint>
#include <string>

namespace meshc::ir {

/// Indices refer to the xds::RouteConfiguration the evaluator was built from.
struct RouteDecision {
  enum class Kind {
    kRoute,          // virtual_host and route are set
    kNoVirtualHost,  // Envoy 404 NR: no domain matched the Host (SEMANTICS 2.4, 3.6)
    kNoRoute,        // Envoy 404 NR: the virtual host matched, none of its routes did (3.6)
  };
  Kind kind = Kind::kNoVirtualHost;
  int32_t virtual_host = -1;
  int32_t route = -1;

  friend bool operator==(const RouteDecision&, const RouteDecision&) = default;
};

/// "route 2/5", "no route in virtual host 2", "no virtual host": for test failures and traces.
std::string describeDecision(const RouteDecision& decision);

}  // namespace meshc::ir
