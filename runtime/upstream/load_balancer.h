// Endpoint choice inside one cluster, as Envoy's load balancers do it (PROXY-SEMANTICS section 5).
// Entry points: createLoadBalancer(), LoadBalancer::pick(). One instance per worker thread and
// cluster (shared-nothing); never blocks, never allocates on pick().
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <random>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "xds/proxy_config.h"

namespace meshc::upstream {

/// One endpoint as the balancer sees it. `active_requests` is kept by the caller (the upstream
/// pool) and read by LEAST_REQUEST; `healthy` false hosts are skipped (outlier ejection, later)
/// unless too few are healthy (panic, R5.8). A weight of 0 counts as 1 (EDS weights are >= 1).
struct HostState {
  uint32_t weight = 1;
  uint32_t active_requests = 0;
  bool healthy = true;
  /// The host's "ip:port" (endpointHostKey()), what RING_HASH and MAGLEV hash. Not owned: the
  /// characters must stay valid and unchanged for as long as the balancer is used, because
  /// createLoadBalancer() and every pick() that sees a change of health (which rebuilds the ring
  /// or table) read it. An empty key hashes as the host's decimal index instead.
  std::string_view key;
};

/// The key Envoy hashes for a host: its address as Envoy prints it, "10.1.0.7:9080", or
/// "[fd00::7]:9080" for IPv6 (an address containing ':'). A DNS name is used as written.
std::string endpointHostKey(const xds::Endpoint& endpoint);

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
/// "" = Istio's default, R5.1) over `hosts` (their order, weights and keys; the ring/table is
/// built here, so create again when the host list changes; health changes are seen by pick()).
/// `seed` makes the random parts repeatable. `cluster` supplies the ring/table sizes and the
/// panic threshold (defaults when null). Returns null for a policy it does not know
/// (CLUSTER_PROVIDED, ...) and for a configuration Envoy rejects (ring minimum above 8M, maglev
/// table size not a prime or above 5000011): the caller answers 503 as for no host.
std::unique_ptr<LoadBalancer> createLoadBalancer(std::string_view policy,
                                                 std::span<const HostState> hosts, uint64_t seed,
                                                 const xds::Cluster* cluster = nullptr);

}  // namespace meshc::upstream
