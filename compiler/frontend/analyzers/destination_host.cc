// virtualservice.DestinationHostAnalyzer (ISTIO-VALIDATION.md B.6): route and mirror destinations
// must name a visible Service/ServiceEntry and one of its ports; gateway routes without a subset
// are flagged when another VirtualService splits that host by subset. Entry point:
// runDestinationHost().
#include <algorithm>

#include "frontend/analyzers/analyzer_util.h"

namespace meshc::frontend::analyzers {

namespace {

std::string portList(const std::vector<int64_t>& ports) {
  std::vector<std::string> parts;
  for (int64_t p : ports) {
    parts.push_back(std::to_string(p));
  }
  return join(parts, ", ");
}

void checkPorts(const Resource& vs, const RouteDestination& d, const ServiceTarget& target,
                DiagnosticSink& sink) {
  const Node* port = child(d.destination, "port");
  if (port == nullptr || port->isNull()) {
    // Without a port the route is only ambiguous when the service has several.
    if (target.ports.size() > 1) {
      report(sink, vs, "IST0112", Severity::kError, d.hostNode(),
             "destination host " + quote(d.host()) + " exposes several ports (" +
                 portList(target.ports) +
                 ") and the route names none; expected destination.port.number to choose one");
    }
    return;
  }
  const Node* number = child(port, "number");
  int64_t n = intOf(number).value_or(0);
  if (std::find(target.ports.begin(), target.ports.end(), n) != target.ports.end()) {
    return;
  }
  std::string msg =
      "referenced host:port not found: " + quote(std::string(d.host()) + ":" + std::to_string(n)) +
      "; expected ";
  msg += target.ports.empty() ? std::string("a port, but the service defines none")
                              : "one of the service's ports " + portList(target.ports);
  report(sink, vs, "IST0101", Severity::kError, number != nullptr ? number : port, std::move(msg));
}

void checkDestinations(const ServiceTable& table, const Resource& vs, DiagnosticSink& sink) {
  std::vector<std::string> export_to = stringListOf(child(vs.spec, "exportTo"));
  auto check = [&](const RouteDestination& d, std::string_view reftype) {
    const ServiceTarget* target = table.lookup(vs.name_space, export_to, d.host());
    if (target == nullptr) {
      report(sink, vs, "IST0101", Severity::kError, d.hostNode(),
             "referenced " + std::string(reftype) + " not found: " + quote(d.host()) +
                 "; expected a Service or ServiceEntry host visible from namespace " +
                 quote(vs.name_space));
      return;
    }
    checkPorts(vs, d, *target, sink);
  };
  for (const RouteDestination& d : routeDestinations(vs)) {
    check(d, "host");
  }
  for (const RouteDestination& d : mirrorDestinations(vs)) {
    check(d, "mirror host");
  }
}

// Destination hosts that a VirtualService splits by subset: HTTP route destinations with a subset
// whose host is literally one of the VirtualService's own hosts.
std::vector<std::string> subsetHosts(const Resource& vs) {
  std::vector<std::string> hosts = stringListOf(child(vs.spec, "hosts"));
  std::vector<std::string> out;
  for (const RouteDestination& d : routeDestinations(vs)) {
    if (std::string_view(d.section) != "http" || d.subset().empty()) {
      continue;
    }
    if (std::find(hosts.begin(), hosts.end(), d.host()) != hosts.end()) {
      out.emplace_back(d.host());
    }
  }
  return out;
}

}  // namespace

void runDestinationHost(const AnalysisContext& ctx, DiagnosticSink& sink) {
  ServiceTable table(ctx);
  std::vector<std::pair<const Resource*, std::vector<std::string>>> split;
  for (const Resource* vs : ctx.virtual_services) {
    std::vector<std::string> hosts = subsetHosts(*vs);
    if (!hosts.empty()) {
      split.emplace_back(vs, std::move(hosts));
    }
  }
  for (const Resource* vs : ctx.virtual_services) {
    checkDestinations(table, *vs, sink);
    if (itemsOf(child(vs->spec, "gateways")).empty()) {
      continue;  // only routes bound to a gateway (even just "mesh") are checked for IST0140
    }
    for (const RouteDestination& d : routeDestinations(*vs)) {
      if (std::string_view(d.section) != "http" || !d.subset().empty()) {
        continue;
      }
      for (const auto& [other, hosts] : split) {
        if (std::find(hosts.begin(), hosts.end(), d.host()) == hosts.end()) {
          continue;
        }
        std::string other_name = other->name_space + "/" + other->name;
        report(sink, *vs, "IST0140", Severity::kWarning, d.hostNode(),
               "the subsets VirtualService " + other_name + " applies to host " + quote(d.host()) +
                   " have no effect on requests routed here by " + "gateway-bound VirtualService " +
                   vs->name_space + "/" + vs->name +
                   "; expected a subset on this destination as well");
      }
    }
  }
}

}  // namespace meshc::frontend::analyzers
