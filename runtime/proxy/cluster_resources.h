// Cluster-wide state that every worker shares, because Envoy keeps it per cluster rather than
// per worker thread: the circuit-breaker counters (PROXY-SEMANTICS R12.1, R12.2, R7.8) and the
// outlier detector (R12.4–R12.6). Workers stay shared-nothing for everything else.
// Entry points: ClusterResourceRegistry::get(), ClusterResources, OutlierDetector.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "proxy/stats.h"
#include "xds/proxy_config.h"

namespace meshc::proxy {

/// What one upstream exchange tells the outlier detector (R12.5, split_external_local_origin_
/// errors false): a response status (gRPC statuses mapped to HTTP by the caller), or a failure
/// of the proxy's own making (connect failure or timeout, reset, timeout), which counts as a
/// gateway error (503, or 504 for a timeout).
struct OutlierResult {
  uint32_t status = 200;
};

/// Envoy's outlier detector for one cluster, consecutive-error detectors only (Istio turns
/// success-rate ejection off). Thread-safe.
class OutlierDetector {
 public:
  using Clock = std::chrono::steady_clock;

  /// Applies a (re)loaded cluster: its detection settings (nullopt: detection off, every host
  /// in service) and its hosts ("ip:port"); records of hosts that stay are kept.
  void configure(const std::optional<xds::OutlierDetection>& config,
                 const std::vector<std::string>& hosts, Clock::time_point now);
  bool enabled() const { return enabled_.load(std::memory_order_relaxed); }

  /// R12.5/R12.6: counts a result for `host`; ejects it at once when a consecutive threshold
  /// is reached, within max_ejection_percent and the enforcing percentage.
  void record(std::string_view host, OutlierResult result, Clock::time_point now);
  /// R12.6: the interval sweep, run by whoever asks first after it is due: hosts whose
  /// ejection time has passed return to service; the ejection-time multiplier of hosts in
  /// service decays.
  void sweepIfDue(Clock::time_point now);
  /// Changes whenever a host is ejected or returns (workers refresh their balancers then).
  uint64_t epoch() const { return epoch_.load(std::memory_order_acquire); }
  bool ejected(std::string_view host) const;

  using Stats = OutlierStats;
  Stats stats() const;

 private:
  struct Host {
    uint32_t consecutive_5xx = 0;
    uint32_t consecutive_gateway = 0;
    bool ejected = false;
    Clock::time_point ejected_at{};
    std::optional<Clock::time_point> unejected_at;
    uint32_t backoff = 0;  // multiplier of the base ejection time
  };
  enum class Kind { k5xx, kGateway };
  void eject(Host& host, Kind kind, Clock::time_point now);

  mutable std::mutex mu_;
  std::atomic<bool> enabled_{false};
  xds::OutlierDetection config_;
  std::unordered_map<std::string, Host> hosts_;
  uint64_t ejected_count_ = 0;
  Clock::time_point next_sweep_{};
  std::atomic<int64_t> next_sweep_ticks_{0};  // lock-free "is a sweep due" check
  std::atomic<uint64_t> epoch_{0};
  Stats stats_;
};

/// One cluster's shared counters and detector. The counters are what Envoy's resource manager
/// tracks against the circuit-breaker thresholds.
struct ClusterResources {
  std::atomic<uint64_t> connections{0};  // open or connecting upstream connections
  std::atomic<uint64_t> pending{0};      // requests waiting for a connection (R12.2)
  std::atomic<uint64_t> requests{0};     // requests on a connection
  std::atomic<uint64_t> retries{0};      // retries waiting to start (R7.8)
  OutlierDetector outlier;

  /// Increments `counter` when it is below `limit`; false (unchanged) at the limit.
  static bool tryAcquire(std::atomic<uint64_t>& counter, uint64_t limit);
};

/// Cluster name → shared resources, kept across reloads so that counters and ejections carry
/// over to the new configuration of the same cluster. Thread-safe.
class ClusterResourceRegistry {
 public:
  std::shared_ptr<ClusterResources> get(const std::string& cluster_name);
  /// The detectors' counters of every cluster that has detection on, by name.
  std::map<std::string, OutlierDetector::Stats> outlierStats() const;

 private:
  mutable std::mutex mu_;
  std::map<std::string, std::shared_ptr<ClusterResources>> clusters_;
};

}  // namespace meshc::proxy
