// Deterministic generator of large, realistic Istio manifest sets for benchmarks.
// Entry point: generateManifests(); the same options always give the same text.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace meshc::bench {

struct GeneratorOptions {
  int resources = 10000;         // total objects, roughly
  int routes_per_service = 52;   // HTTP routes per VirtualService: ~100,000 routes at 10,000 objects
  int files = 100;               // split across this many files
  uint64_t seed = 42;
};

struct GeneratedFile {
  std::string name;
  std::string text;
};

struct GeneratedSet {
  std::vector<GeneratedFile> files;
  int resources = 0;
  int routes = 0;
};

/// Per service: Deployments v1 and v2, Service, DestinationRule (subsets), VirtualService (header, prefix,
/// exact and regex matches, canary weights, retries, timeouts, faults); per namespace a Sidecar,
/// a Gateway with TLS, a gateway-bound VirtualService and a ServiceEntry.
GeneratedSet generateManifests(const GeneratorOptions& options);

}  // namespace meshc::bench
