// createLoadBalancer() and the non-hashing policies: ROUND_ROBIN, LEAST_REQUEST, RANDOM
// (PROXY-SEMANTICS R5.1-R5.4), plus the shared health/panic bookkeeping (R5.8).
#include "upstream/load_balancer.h"

#include <algorithm>
#include <cassert>

#include "upstream/balancer_base.h"

namespace meshc::upstream {

std::string endpointHostKey(const xds::Endpoint& endpoint) {
  // Envoy's Address::Ipv6Instance::asString() brackets the address; Ipv4 prints it bare.
  const bool v6 = endpoint.address.find(':') != std::string::npos &&
                  (endpoint.address.empty() || endpoint.address.front() != '[');
  std::string key;
  key.reserve(endpoint.address.size() + 8);
  if (v6) {
    key += '[';
  }
  key += endpoint.address;
  if (v6) {
    key += ']';
  }
  key += ':';
  key += std::to_string(endpoint.port);
  return key;
}

namespace detail {

BalancerBase::BalancerBase(size_t host_count, uint32_t panic_threshold, uint64_t seed)
    : host_count_(host_count),
      panic_threshold_(std::min<uint32_t>(panic_threshold, 100)),
      rng_(seed) {
  healthy_.assign(host_count, 0);
  in_play_.reserve(host_count);
}

void BalancerBase::start(std::span<const HostState> hosts) { sync(hosts); }

void BalancerBase::sync(std::span<const HostState> hosts) {
  bool changed = !started_;
  size_t healthy_count = 0;
  for (size_t i = 0; i < host_count_; ++i) {
    const uint8_t h = hosts[i].healthy ? 1 : 0;
    healthy_count += h;
    if (healthy_[i] != h) {
      healthy_[i] = h;
      changed = true;
    }
  }
  if (!changed) {
    return;
  }
  started_ = true;
  // LoadBalancerBase::recalculatePerPriorityState/-Panic for a single priority: availability
  // is the healthy share times the overprovisioning factor 1.4, capped at 100; at 100 there is
  // never panic, otherwise panic when the healthy percentage is below the threshold. A zero
  // threshold never panics (no healthy host then means no host, R5.8).
  panic_ = false;
  if (host_count_ > 0) {
    const uint64_t availability = std::min<uint64_t>(100, 140 * healthy_count / host_count_);
    if (availability < 100) {
      const double healthy_percent =
          100.0 * static_cast<double>(healthy_count) / static_cast<double>(host_count_);
      panic_ = healthy_percent < static_cast<double>(panic_threshold_);
    }
  }
  in_play_.clear();  // keeps its capacity (host_count_)
  for (uint32_t i = 0; i < host_count_; ++i) {
    if (panic_ || healthy_[i] != 0) {
      in_play_.push_back(i);
    }
  }
  refresh(hosts);
}

int32_t BalancerBase::pick(std::span<const HostState> hosts, const PickContext& context) {
  assert(hosts.size() == host_count_ && "pick() needs the host list given at creation");
  if (hosts.size() != host_count_) {
    return -1;
  }
  sync(hosts);
  if (in_play_.empty()) {
    return -1;  // R11.3: no healthy upstream
  }
  return choose(hosts, context);
}

}  // namespace detail

namespace {

using detail::BalancerBase;
using detail::effectiveWeight;

// Envoy starts an EDF schedule at a random point by emulating `seed % 429496729` picks
// (EdfScheduler::createWithPicks). With integer weights the schedule repeats every
// sum-of-weights picks, so `seed % total` picks reach every start Envoy can; the cap keeps a
// refresh (which pick() may trigger) short when weights are large.
constexpr uint64_t kMaxPrePicks = 1 << 16;

bool weightsEqual(std::span<const HostState> hosts, const std::vector<uint32_t>& in_play) {
  for (uint32_t i : in_play) {
    if (effectiveWeight(hosts[i]) != effectiveWeight(hosts[in_play.front()])) {
      return false;
    }
  }
  return true;
}

uint64_t totalWeight(std::span<const HostState> hosts, const std::vector<uint32_t>& in_play) {
  uint64_t total = 0;
  for (uint32_t i : in_play) {
    total += effectiveWeight(hosts[i]);
  }
  return total;
}

// R5.3. Equal weights: Envoy's rr_index, one per host source (healthy / all), both starting at
// the LB's random seed and never reset by a refresh. Unequal weights: EDF where a host of
// weight w is due at k/w for its k-th pick; ties go to the entry queued first. Deadlines are
// kept as exact fractions (Envoy uses doubles) so that a 3:1 split is exactly 3:1 in every
// window of 4 picks instead of drifting with rounding at the tied deadlines.
class RoundRobinBalancer final : public BalancerBase {
 public:
  RoundRobinBalancer(std::span<const HostState> hosts, uint64_t seed, uint32_t panic_threshold)
      : BalancerBase(hosts.size(), panic_threshold, seed) {
    seed_ = random();
    rr_index_[0] = rr_index_[1] = seed_;
    edf_.reserve(hosts.size());
    start(hosts);
  }

 private:
  struct Entry {
    uint64_t k;  // deadline is k / w
    uint64_t w;
    uint64_t order;
    uint32_t host;
  };
  // std heap functions keep the largest first: "a < b" here means a is due after b.
  static bool dueAfter(const Entry& a, const Entry& b) {
    const unsigned __int128 lhs = static_cast<unsigned __int128>(a.k) * b.w;
    const unsigned __int128 rhs = static_cast<unsigned __int128>(b.k) * a.w;
    return lhs != rhs ? lhs > rhs : a.order > b.order;
  }

  void refresh(std::span<const HostState> hosts) override {
    edf_.clear();
    weighted_ = inPlay().size() > 1 && !weightsEqual(hosts, inPlay());
    if (!weighted_) {
      return;
    }
    order_ = 0;
    for (uint32_t i : inPlay()) {
      edf_.push_back(Entry{1, effectiveWeight(hosts[i]), order_++, i});
    }
    std::make_heap(edf_.begin(), edf_.end(), dueAfter);
    const uint64_t period = std::min(totalWeight(hosts, inPlay()), kMaxPrePicks);
    for (uint64_t p = seed_ % period; p > 0; --p) {
      pickEdf();
    }
  }

  uint32_t pickEdf() {
    std::pop_heap(edf_.begin(), edf_.end(), dueAfter);
    Entry& e = edf_.back();
    const uint32_t host = e.host;  // push_heap moves entries: read it first
    e.k += 1;                      // re-queued at its deadline + 1/w
    e.order = order_++;
    std::push_heap(edf_.begin(), edf_.end(), dueAfter);
    return host;
  }

  int32_t choose(std::span<const HostState>, const PickContext&) override {
    if (weighted_) {
      return static_cast<int32_t>(pickEdf());
    }
    const std::vector<uint32_t>& hosts = inPlay();
    uint64_t& index = rr_index_[panic() ? 1 : 0];
    return static_cast<int32_t>(hosts[index++ % hosts.size()]);
  }

  uint64_t seed_ = 0;
  uint64_t rr_index_[2] = {0, 0};
  bool weighted_ = false;
  uint64_t order_ = 0;
  std::vector<Entry> edf_;
};

// R5.2. Equal weights: two uniform draws with replacement, the one with fewer active requests
// wins, a tie keeps the first (LeastRequestLoadBalancer::unweightedHostPickNChoices).
// Unequal weights: Envoy's EDF on weight / (active + 1) (active_request_bias 1.0), a host's
// weight being re-read only when it is re-queued after a pick, with Envoy's double deadlines.
class LeastRequestBalancer final : public BalancerBase {
 public:
  LeastRequestBalancer(std::span<const HostState> hosts, uint64_t seed, uint32_t panic_threshold)
      : BalancerBase(hosts.size(), panic_threshold, seed) {
    seed_ = random();
    edf_.reserve(hosts.size());
    start(hosts);
  }

 private:
  static constexpr uint32_t kChoiceCount = 2;  // LeastRequest.choice_count default

  struct Entry {
    double deadline;
    uint64_t order;
    uint32_t host;
  };
  static bool dueAfter(const Entry& a, const Entry& b) {
    return a.deadline != b.deadline ? a.deadline > b.deadline : a.order > b.order;
  }
  static double hostWeight(const HostState& h) {
    return static_cast<double>(effectiveWeight(h)) / (static_cast<double>(h.active_requests) + 1);
  }

  void refresh(std::span<const HostState> hosts) override {
    edf_.clear();
    weighted_ = inPlay().size() > 1 && !weightsEqual(hosts, inPlay());
    if (!weighted_) {
      return;
    }
    now_ = 0;
    order_ = 0;
    for (uint32_t i : inPlay()) {
      edf_.push_back(Entry{1.0 / hostWeight(hosts[i]), order_++, i});
    }
    std::make_heap(edf_.begin(), edf_.end(), dueAfter);
    const uint64_t period = std::min(totalWeight(hosts, inPlay()), kMaxPrePicks);
    for (uint64_t p = seed_ % period; p > 0; --p) {
      pickEdf(hosts);
    }
  }

  uint32_t pickEdf(std::span<const HostState> hosts) {
    std::pop_heap(edf_.begin(), edf_.end(), dueAfter);
    Entry& e = edf_.back();
    const uint32_t host = e.host;  // push_heap moves entries: read it first
    now_ = e.deadline;
    e.deadline = now_ + 1.0 / hostWeight(hosts[host]);
    e.order = order_++;
    std::push_heap(edf_.begin(), edf_.end(), dueAfter);
    return host;
  }

  int32_t choose(std::span<const HostState> hosts, const PickContext&) override {
    if (weighted_) {
      return static_cast<int32_t>(pickEdf(hosts));
    }
    const std::vector<uint32_t>& play = inPlay();
    uint32_t candidate = play[random() % play.size()];
    for (uint32_t c = 1; c < kChoiceCount; ++c) {
      const uint32_t sampled = play[random() % play.size()];
      if (hosts[sampled].active_requests < hosts[candidate].active_requests) {
        candidate = sampled;
      }
    }
    return static_cast<int32_t>(candidate);
  }

  uint64_t seed_ = 0;
  bool weighted_ = false;
  double now_ = 0;
  uint64_t order_ = 0;
  std::vector<Entry> edf_;
};

// R5.4: uniform over the hosts in play, weights ignored.
class RandomBalancer final : public BalancerBase {
 public:
  RandomBalancer(std::span<const HostState> hosts, uint64_t seed, uint32_t panic_threshold)
      : BalancerBase(hosts.size(), panic_threshold, seed) {
    start(hosts);
  }

 private:
  void refresh(std::span<const HostState>) override {}
  int32_t choose(std::span<const HostState>, const PickContext&) override {
    return static_cast<int32_t>(inPlay()[random() % inPlay().size()]);
  }
};

}  // namespace

std::unique_ptr<LoadBalancer> createLoadBalancer(std::string_view policy,
                                                 std::span<const HostState> hosts, uint64_t seed,
                                                 const xds::Cluster* cluster) {
  const uint32_t panic_threshold = cluster != nullptr ? cluster->healthy_panic_threshold : 50;
  // R5.1: Istio's default (no loadBalancer in the DestinationRule) is LEAST_REQUEST, and the
  // deprecated LEAST_CONN maps to it.
  if (policy.empty() || policy == "LEAST_REQUEST" || policy == "LEAST_CONN") {
    return std::make_unique<LeastRequestBalancer>(hosts, seed, panic_threshold);
  }
  if (policy == "ROUND_ROBIN") {
    return std::make_unique<RoundRobinBalancer>(hosts, seed, panic_threshold);
  }
  if (policy == "RANDOM") {
    return std::make_unique<RandomBalancer>(hosts, seed, panic_threshold);
  }
  if (policy == "RING_HASH") {
    return detail::createRingHash(hosts, seed, panic_threshold,
                                  cluster != nullptr ? cluster->ring_hash_minimum_ring_size : 1024);
  }
  if (policy == "MAGLEV") {
    return detail::createMaglev(hosts, seed, panic_threshold,
                                cluster != nullptr ? cluster->maglev_table_size : 65537);
  }
  return nullptr;
}

}  // namespace meshc::upstream
