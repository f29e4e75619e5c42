// Internal to runtime/upstream: what every balancer shares — the host set it balances over
// (healthy hosts, or all of them in panic, R5.8), rebuilt when pick() sees health change.
// Entry point: BalancerBase (derived by the policies in load_balancer.cc, hashing_balancers.cc).
#pragma once

#include <cstdint>
#include <memory>
#include <random>
#include <span>
#include <vector>

#include "upstream/load_balancer.h"

namespace meshc::upstream::detail {

/// A host's weight as the balancers use it (EDS weights are >= 1; 0 would divide by zero).
inline uint32_t effectiveWeight(const HostState& h) { return h.weight == 0 ? 1 : h.weight; }

/// Envoy's LoadBalancerBase for one priority: decides panic and which hosts are in play, and
/// calls refresh() whenever that set may have changed, like Envoy's priority-update callback.
/// Everything refresh() needs is reserved up front, so pick() never allocates.
class BalancerBase : public LoadBalancer {
 public:
  BalancerBase(size_t host_count, uint32_t panic_threshold, uint64_t seed);

  int32_t pick(std::span<const HostState> hosts, const PickContext& context) final;

 protected:
  /// Called on the first pick and after every change of health, with `inPlay()` up to date.
  virtual void refresh(std::span<const HostState> hosts) = 0;
  /// Chooses among `inPlay()` (never empty here); returns an index into `hosts`.
  virtual int32_t choose(std::span<const HostState> hosts, const PickContext& context) = 0;

  /// Builds the host set now (derived constructors call it so that the expensive tables are
  /// built at creation, not on the first request).
  void start(std::span<const HostState> hosts);

  /// Indices of the hosts in play, in host-list order: the healthy ones, or all in panic.
  const std::vector<uint32_t>& inPlay() const { return in_play_; }
  bool panic() const { return panic_; }
  uint64_t random() { return rng_(); }

 private:
  void sync(std::span<const HostState> hosts);

  size_t host_count_;
  uint32_t panic_threshold_;
  std::mt19937_64 rng_;
  bool started_ = false;
  bool panic_ = false;
  std::vector<uint8_t> healthy_;  // health as of the last refresh
  std::vector<uint32_t> in_play_;
};

/// The hashing balancers (hashing_balancers.cc). Null when Envoy would reject the configuration.
std::unique_ptr<LoadBalancer> createRingHash(std::span<const HostState> hosts, uint64_t seed,
                                             uint32_t panic_threshold, uint64_t min_ring_size);
std::unique_ptr<LoadBalancer> createMaglev(std::span<const HostState> hosts, uint64_t seed,
                                           uint32_t panic_threshold, uint64_t table_size);

}  // namespace meshc::upstream::detail
