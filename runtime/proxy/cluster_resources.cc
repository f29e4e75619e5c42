// Shared circuit-breaker counters and the consecutive-error outlier detector (R12.4–R12.6,
// after Envoy's outlier_detection_impl.cc: thresholds fire on equality, a detection resets its
// counter, ejections are capped by max_ejection_percent, the ejection time grows with the
// host's ejections and decays while it stays in service).
#include "proxy/cluster_resources.h"

#include <algorithm>

namespace meshc::proxy {

bool ClusterResources::tryAcquire(std::atomic<uint64_t>& counter, uint64_t limit) {
  uint64_t current = counter.load(std::memory_order_relaxed);
  while (current < limit) {
    if (counter.compare_exchange_weak(current, current + 1, std::memory_order_relaxed)) {
      return true;
    }
  }
  return false;
}

void OutlierDetector::configure(const std::optional<xds::OutlierDetection>& config,
                                const std::vector<std::string>& hosts, Clock::time_point now) {
  std::lock_guard lock(mu_);
  if (!config) {
    if (enabled_.load()) {
      hosts_.clear();
      ejected_count_ = 0;
      enabled_.store(false);
      epoch_.fetch_add(1, std::memory_order_release);
    }
    return;
  }
  bool was_enabled = enabled_.load();
  bool changed = false;
  if (!was_enabled || config_.interval_ns != config->interval_ns) {
    next_sweep_ = now + std::chrono::nanoseconds(std::max<int64_t>(config->interval_ns, 1'000'000));
    next_sweep_ticks_.store(next_sweep_.time_since_epoch().count(), std::memory_order_relaxed);
  }
  config_ = *config;
  std::unordered_map<std::string, Host> kept;
  for (const std::string& h : hosts) {
    auto it = hosts_.find(h);
    kept.emplace(h, it != hosts_.end() ? it->second : Host{});
  }
  for (auto& [name, host] : hosts_) {
    if (host.ejected && kept.find(name) == kept.end()) {
      changed = true;  // an ejected host left the cluster
    }
  }
  hosts_ = std::move(kept);
  ejected_count_ = 0;
  for (auto& [name, host] : hosts_) {
    ejected_count_ += host.ejected ? 1 : 0;
  }
  enabled_.store(true);
  if (changed || !was_enabled) {
    epoch_.fetch_add(1, std::memory_order_release);
  }
}

void OutlierDetector::record(std::string_view host, OutlierResult result, Clock::time_point now) {
  if (!enabled()) {
    return;
  }
  std::lock_guard lock(mu_);
  auto it = hosts_.find(std::string(host));
  if (it == hosts_.end()) {
    return;
  }
  Host& h = it->second;
  uint32_t s = result.status;
  if (s < 500 || s > 599) {
    h.consecutive_5xx = 0;
    h.consecutive_gateway = 0;
    return;
  }
  if (s == 502 || s == 503 || s == 504) {
    if (++h.consecutive_gateway == config_.consecutive_gateway_failure) {
      h.consecutive_gateway = 0;  // a detection restarts the count
      if (!h.ejected) {
        stats_.ejections_detected_consecutive_gateway_failure += 1;
        eject(h, Kind::kGateway, now);
      }
    }
  } else {
    h.consecutive_gateway = 0;
  }
  if (++h.consecutive_5xx == config_.consecutive_5xx) {
    h.consecutive_5xx = 0;
    if (!h.ejected) {
      stats_.ejections_detected_consecutive_5xx += 1;
      eject(h, Kind::k5xx, now);
    }
  }
}

void OutlierDetector::eject(Host& h, Kind kind, Clock::time_point now) {
  // R12.6: at most max_ejection_percent of the hosts out at once (counting this one).
  double percent = 100.0 * static_cast<double>(ejected_count_ + 1) /
                   static_cast<double>(std::max<size_t>(hosts_.size(), 1));
  if (percent > static_cast<double>(config_.max_ejection_percent)) {
    stats_.ejections_overflow += 1;
    return;
  }
  uint32_t enforcing = kind == Kind::k5xx ? config_.enforcing_consecutive_5xx
                                          : config_.enforcing_consecutive_gateway_failure;
  if (enforcing == 0) {
    return;  // detected, not enforced (Istio writes 0 or 100)
  }
  h.ejected = true;
  h.ejected_at = now;
  int64_t base = config_.base_ejection_time_ns;
  if (static_cast<int64_t>(h.backoff) * base < config_.max_ejection_time_ns + base) {
    h.backoff += 1;
  }
  ejected_count_ += 1;
  stats_.ejections_enforced_total += 1;
  (kind == Kind::k5xx ? stats_.ejections_enforced_consecutive_5xx
                      : stats_.ejections_enforced_consecutive_gateway_failure) += 1;
  epoch_.fetch_add(1, std::memory_order_release);
}

void OutlierDetector::sweepIfDue(Clock::time_point now) {
  if (!enabled() ||
      now.time_since_epoch().count() < next_sweep_ticks_.load(std::memory_order_relaxed)) {
    return;
  }
  std::lock_guard lock(mu_);
  if (now < next_sweep_) {
    return;
  }
  auto interval = std::chrono::nanoseconds(std::max<int64_t>(config_.interval_ns, 1'000'000));
  // The sweep Envoy's interval timer would have run last (ticks stay on the original grid).
  Clock::time_point tick = next_sweep_;
  while (next_sweep_ <= now) {
    tick = next_sweep_;
    next_sweep_ += interval;
  }
  next_sweep_ticks_.store(next_sweep_.time_since_epoch().count(), std::memory_order_relaxed);
  auto base = std::chrono::nanoseconds(config_.base_ejection_time_ns);
  auto cap = std::chrono::nanoseconds(std::max(config_.max_ejection_time_ns,
                                               config_.base_ejection_time_ns));
  bool changed = false;
  for (auto& [name, h] : hosts_) {
    if (!h.ejected) {
      if (h.unejected_at && tick - *h.unejected_at >= base && h.backoff > 0) {
        h.backoff -= 1;  // in service for a base ejection time: the next ejection is shorter
      }
      continue;
    }
    auto duration = std::min<std::chrono::nanoseconds>(base * h.backoff, cap);
    if (tick - h.ejected_at >= duration) {
      h.ejected = false;
      h.consecutive_5xx = 0;
      h.consecutive_gateway = 0;
      h.unejected_at = tick;
      ejected_count_ -= 1;
      changed = true;
    }
  }
  if (changed) {
    epoch_.fetch_add(1, std::memory_order_release);
  }
}

bool OutlierDetector::ejected(std::string_view host) const {
  std::lock_guard lock(mu_);
  auto it = hosts_.find(std::string(host));
  return it != hosts_.end() && it->second.ejected;
}

OutlierDetector::Stats OutlierDetector::stats() const {
  std::lock_guard lock(mu_);
  Stats s = stats_;
  s.ejections_active = ejected_count_;
  return s;
}

std::shared_ptr<ClusterResources> ClusterResourceRegistry::get(const std::string& cluster_name) {
  std::lock_guard lock(mu_);
  std::shared_ptr<ClusterResources>& slot = clusters_[cluster_name];
  if (!slot) {
    slot = std::make_shared<ClusterResources>();
  }
  return slot;
}

std::map<std::string, OutlierDetector::Stats> ClusterResourceRegistry::outlierStats() const {
  std::lock_guard lock(mu_);
  std::map<std::string, OutlierDetector::Stats> out;
  for (const auto& [name, resources] : clusters_) {
    if (resources->outlier.enabled()) {
      out.emplace(name, resources->outlier.stats());
    }
  }
  return out;
}

}  // namespace meshc::proxy
