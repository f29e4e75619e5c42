// `meshc endpoints`: the endpoint lists of one proxy's clusters as the JSON file meshproxy reads
// with --endpoints (runtime/upstream/endpoints_file.h), so endpoints can be refreshed without
// recompiling routes. Entry point: setupEndpoints().
#include <fmt/format.h>

#include <CLI/CLI.hpp>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>

#include "cli/atomic_file.h"
#include "cli/commands.h"
#include "cli/routing_flags.h"
#include "cli/routing_input.h"
#include "lower/proxy_config.h"

namespace meshc::cli {

namespace {

struct EndpointsFlags {
  RoutingFlags routing;
  std::string output;  // "" or "-" = stdout
  bool keep_going = false;
};

// Clusters whose endpoint list meshproxy load balances over: EDS (Kubernetes services,
// STATIC ServiceEntries) and STRICT_DNS. ORIGINAL_DST, Passthrough and BlackHole clusters have
// no list to refresh.
bool hasEndpointList(const lower::Cluster& c) {
  return c.type == lower::Cluster::DiscoveryType::kEds ||
         c.type == lower::Cluster::DiscoveryType::kStrictDns;
}

// The documented shape, keys in the documented order (version, clusters; name, endpoints;
// address, port, weight, labels). Every field is written, defaults included.
nlohmann::ordered_json endpointsJson(const lower::ProxyConfig& pc) {
  nlohmann::ordered_json clusters = nlohmann::ordered_json::array();
  for (const lower::Cluster& c : pc.clusters) {
    if (!hasEndpointList(c)) {
      continue;
    }
    nlohmann::ordered_json endpoints = nlohmann::ordered_json::array();
    for (const lower::Endpoint& e : c.endpoints) {
      nlohmann::ordered_json labels = nlohmann::ordered_json::object();
      for (const auto& [k, v] : e.labels) {
        labels[k] = v;
      }
      endpoints.push_back({{"address", e.address},
                           {"port", e.port},
                           {"weight", e.weight},
                           {"labels", std::move(labels)}});
    }
    clusters.push_back({{"name", c.name}, {"endpoints", std::move(endpoints)}});
  }
  nlohmann::ordered_json out;
  out["version"] = 1;
  out["clusters"] = std::move(clusters);
  return out;
}

int runEndpoints(const EndpointsFlags& flags) {
  if (flags.routing.files.empty()) {
    std::cerr << "meshc endpoints: give the manifests with -f PATH\n";
    return kExitUsage;
  }
  Expected<ProxySpec> proxy = flags.routing.proxy();
  if (!proxy) {
    std::cerr << "meshc endpoints: " << proxy.status().message() << "\n";
    return kExitUsage;
  }
  SourceManager sources;
  Expected<RoutingInput> input = flags.routing.load(sources);
  if (!input) {
    std::cerr << "meshc endpoints: " << input.status().message() << "\n";
    return kExitUsage;
  }
  warnRejected(*input, "endpoints");
  if (!input->rejected.empty() && !flags.keep_going) {
    std::cerr << fmt::format(
        "meshc endpoints: {} object(s) would be rejected; fix them (meshc lint) or pass "
        "--keep-going to write endpoints without them\n",
        input->rejected.size());
    return kExitFindings;
  }
  lower::LoweredProxy lowered = lower::buildProxyConfig(input->config, proxy->identity);
  std::string text = endpointsJson(lowered.config).dump(2) + "\n";
  if (flags.output.empty() || flags.output == "-") {
    std::cout << text;
    return kExitClean;
  }
  if (Status st = writeFileAtomically(flags.output, text); !st) {
    std::cerr << "meshc endpoints: " << st.message() << "\n";
    return kExitUsage;
  }
  return kExitClean;
}

}  // namespace

std::function<int()> setupEndpoints(CLI::App& sub) {
  auto flags = std::make_shared<EndpointsFlags>();
  addRoutingFlags(sub, flags->routing, EngineFlag::kNone);
  sub.add_option("-o,--output", flags->output,
                 "the file to write (replaced atomically); default: standard output");
  sub.add_flag("--keep-going", flags->keep_going,
               "write the endpoints even when some objects would be rejected (they are left out)");
  return [flags] { return runEndpoints(*flags); };
}

}  // namespace meshc::cli
