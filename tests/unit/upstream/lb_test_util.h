// Helpers shared by the balancer tests: host lists with stable keys, pick counting.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "upstream/load_balancer.h"

namespace meshc::upstream::testing {

/// A host list whose keys ("10.0.0.<i+1>:80") live as long as the fixture (HostState::key
/// does not own its characters).
struct Hosts {
  explicit Hosts(std::vector<uint32_t> weights) {
    keys.reserve(weights.size());
    for (size_t i = 0; i < weights.size(); ++i) {
      xds::Endpoint e;
      e.address = "10.0.0." + std::to_string(i + 1);
      e.port = 80;
      keys.push_back(endpointHostKey(e));
    }
    for (size_t i = 0; i < weights.size(); ++i) {
      HostState h;
      h.weight = weights[i];
      h.key = keys[i];
      states.push_back(h);
    }
  }
  static Hosts equal(size_t n) { return Hosts(std::vector<uint32_t>(n, 1)); }

  std::vector<std::string> keys;
  std::vector<HostState> states;
};

/// How often each host index was picked in `n` picks (index -1 counted in `none`).
struct Counts {
  std::vector<uint64_t> per_host;
  uint64_t none = 0;
};
inline Counts countPicks(LoadBalancer& lb, const std::vector<HostState>& hosts, uint64_t n,
                         const PickContext& ctx = {}) {
  Counts c;
  c.per_host.assign(hosts.size(), 0);
  for (uint64_t i = 0; i < n; ++i) {
    const int32_t p = lb.pick(hosts, ctx);
    if (p < 0) {
      ++c.none;
    } else {
      ++c.per_host[static_cast<size_t>(p)];
    }
  }
  return c;
}

inline xds::Cluster clusterWithPanicThreshold(uint32_t threshold) {
  xds::Cluster c;
  c.healthy_panic_threshold = threshold;
  return c;
}

}  // namespace meshc::upstream::testing
