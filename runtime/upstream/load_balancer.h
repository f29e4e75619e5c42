// Endpoint choice inside one cluster, as Envoy's load balancers do it (PROXY-SEMANTICS section 5).
// Entry points: createLoadBalancer(), LoadBalancer::pick(). One instance per worker thread and
// cluster (shared-nothing); never blocks, never allocates on pick().
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <random>
#include <span>
#include <string_view>
#include <vector>

#include "xds/proxy_config.h"

namespace meshc::upstream {

/// One endpoint as the balancer sees it. `active_requests` is kept by the caller (the upstream
/// pool) and read by LEAST_REQUEST; `healthy` false hosts are skipped (outlier ejection, later).
struct HostState {
  uint32_t weight = 1;
  uint32_t active_requests = 0;
  bool healthy = true;
};

/// Per-request inputs to a pick.
struct PickContext {
  std::optional<uint64_t> hash;  // consistent hash of the request (nullopt = none computed)
};

class LoadBalancer {
 public:
  virtual ~LoadBalancer() = default;
  /// Index into the host list given at creation, or -1 when no host is healthy (R11.3 UH).
  virtual int32_t pick(std::span<const HostState> hosts, const PickContext& context) = 0;
};

/// The balancer for `policy` ("ROUND_ROBIN", "LEAST_REQUEST", "RANDOM", "RING_HASH", "MAGLEV";
/// "" = Istio's default, R5.1) over `hosts` (their order and weights; the ring/table is built
/// here, so create again when the host list changes). `seed` makes the random parts repeatable.
std::unique_ptr<LoadBalancer> createLoadBalancer(std::string_view policy,
                                                 std::span<const HostState> hosts, uint64_t seed,
                                                 const xds::Cluster* cluster = nullptr);

}  // namespace meshc::upstream
