// The consistent-hash balancers RING_HASH and MAGLEV, built as Envoy builds them (PROXY-SEMANTICS
// R5.5). Entry points: detail::createRingHash(), detail::createMaglev() (via createLoadBalancer).
#include <xxhash.h>

#include <algorithm>
#include <cassert>
#include <charconv>
#include <cmath>
#include <string>
#include <string_view>

#include "upstream/balancer_base.h"
#include "upstream/hash_policy.h"

namespace meshc::upstream::detail {
namespace {

// RingHashLoadBalancer's DefaultMaxRingSize; also the largest minimum_ring_size the API accepts.
constexpr uint64_t kMaxRingSize = 8 * 1024 * 1024;
// The Maglev API's upper bound on table_size (maglev.proto: lte 5000011).
constexpr uint64_t kMaxMaglevTableSize = 5000011;

uint64_t xxHash64(std::string_view key, uint64_t seed) {
  return XXH64(key.data(), key.size(), seed);
}

bool isPrime(uint64_t n) {
  if (n < 2) {
    return false;
  }
  for (uint64_t d = 2; d * d <= n; ++d) {
    if (n % d == 0) {
      return false;
    }
  }
  return true;
}

// Writes the decimal form of `v` at the end of `out` (within its reserved capacity).
void appendDecimal(std::string& out, uint64_t v) {
  char digits[24];
  std::to_chars_result r = std::to_chars(digits, digits + sizeof(digits), v);
  out.append(digits, r.ptr);
}

// The host's key; an empty one falls back to its index (see HostState::key).
void appendKey(std::string& out, const HostState& h, uint32_t index) {
  if (h.key.empty()) {
    appendDecimal(out, index);
  } else {
    out.append(h.key);
  }
}

// RingHashLoadBalancer::Ring. Every host in play gets scale * weight / total entries hashed
// from "<key>_<i>", with running sums so fractional shares add up; lookup takes the first entry
// whose hash is >= the request hash, wrapping to the first (the ketama search Envoy ports is
// exactly that lower bound). The ring holds only the hosts in play, so a change of health
// rebuilds it, as Envoy's refresh() does.
class RingHashBalancer final : public BalancerBase {
 public:
  RingHashBalancer(std::span<const HostState> hosts, uint64_t seed, uint32_t panic_threshold,
                   uint64_t min_ring_size)
      : BalancerBase(hosts.size(), panic_threshold, seed), min_ring_size_(min_ring_size) {
    // Reserve for the largest ring any subset of hosts can need, so that rebuilding from pick()
    // never allocates: for a subset with smallest normalised weight m, scale is below
    // min_ring_size + 1/m and 1/m <= total weight / smallest weight over all hosts.
    uint64_t total = 0;
    uint64_t smallest = UINT32_MAX;
    size_t longest_key = 0;
    for (size_t i = 0; i < hosts.size(); ++i) {
      total += effectiveWeight(hosts[i]);
      smallest = std::min<uint64_t>(smallest, effectiveWeight(hosts[i]));
      longest_key = std::max(longest_key, std::max<size_t>(hosts[i].key.size(), 20));
    }
    if (!hosts.empty()) {
      const uint64_t bound =
          std::min(kMaxRingSize, min_ring_size + (total + smallest - 1) / smallest);
      ring_.reserve(bound + 2);
    }
    key_.reserve(longest_key + 24);
    start(hosts);
  }

 private:
  struct Entry {
    uint64_t hash;
    uint32_t host;
  };

  void refresh(std::span<const HostState> hosts) override {
    ring_.clear();
    if (inPlay().empty()) {
      return;
    }
    // normalizeHostWeights(): weight / sum as doubles, with their minimum.
    uint64_t sum = 0;
    for (uint32_t i : inPlay()) {
      sum += effectiveWeight(hosts[i]);
    }
    double min_normalized = 1.0;
    for (uint32_t i : inPlay()) {
      min_normalized =
          std::min(min_normalized, effectiveWeight(hosts[i]) * 1.0 / static_cast<double>(sum));
    }
    const double scale =
        std::min(std::ceil(min_normalized * static_cast<double>(min_ring_size_)) / min_normalized,
                 static_cast<double>(kMaxRingSize));
    double current_hashes = 0.0;
    double target_hashes = 0.0;
    for (uint32_t i : inPlay()) {
      key_.clear();
      appendKey(key_, hosts[i], i);
      key_ += '_';
      const size_t base = key_.size();
      target_hashes += scale * (effectiveWeight(hosts[i]) * 1.0 / static_cast<double>(sum));
      for (uint64_t n = 0; current_hashes < target_hashes; ++n, ++current_hashes) {
        if (ring_.size() == ring_.capacity()) {
          assert(false && "ring larger than its reserved bound");
          break;
        }
        key_.resize(base);
        appendDecimal(key_, n);
        ring_.push_back(Entry{hashString(key_), i});
      }
    }
    std::sort(ring_.begin(), ring_.end(),
              [](const Entry& a, const Entry& b) { return a.hash < b.hash; });
  }

  int32_t choose(std::span<const HostState>, const PickContext& context) override {
    if (ring_.empty()) {
      return -1;  // minimum_ring_size 0 gives Envoy an empty ring too
    }
    // No hash: a random point on the ring, i.e. a random host (R5.5).
    const uint64_t h = context.hash ? *context.hash : random();
    auto it = std::lower_bound(ring_.begin(), ring_.end(), h,
                               [](const Entry& e, uint64_t v) { return e.hash < v; });
    if (it == ring_.end()) {
      it = ring_.begin();
    }
    return static_cast<int32_t>(it->host);
  }

  uint64_t min_ring_size_;
  std::vector<Entry> ring_;
  std::string key_;  // "<key>_<i>" scratch, reserved
};

// MaglevTable (Envoy's "original" table; the compact one fills the same slots). Hosts are
// taken in key order; host i's preference list is (offset + skip * j) % M with
// offset = xxHash64(key) % M and skip = xxHash64(key, seed 1) % (M - 1) + 1. Each round a host
// of normalised weight w claims its next free slot when round * w >= its target, the target
// growing by the largest weight each time, so heavier hosts claim proportionally more slots.
class MaglevBalancer final : public BalancerBase {
 public:
  MaglevBalancer(std::span<const HostState> hosts, uint64_t seed, uint32_t panic_threshold,
                 uint64_t table_size)
      : BalancerBase(hosts.size(), panic_threshold, seed), table_size_(table_size) {
    std::string key;
    hosts_.reserve(hosts.size());
    for (uint32_t i = 0; i < hosts.size(); ++i) {
      key.clear();
      appendKey(key, hosts[i], i);
      HostHashes hh;
      hh.key = key;
      hh.offset = hashString(key) % table_size_;
      hh.skip = xxHash64(key, 1) % (table_size_ - 1) + 1;
      hh.host = i;
      hosts_.push_back(std::move(hh));
    }
    // Envoy sorts the build entries by key so the table does not depend on host order.
    std::sort(hosts_.begin(), hosts_.end(), [](const HostHashes& a, const HostHashes& b) {
      return a.key != b.key ? a.key < b.key : a.host < b.host;
    });
    build_.reserve(hosts.size());
    table_.assign(table_size_, -1);
    start(hosts);
  }

 private:
  struct HostHashes {
    std::string key;
    uint64_t offset = 0;
    uint64_t skip = 1;
    uint32_t host = 0;
  };
  struct BuildEntry {
    uint64_t offset;
    uint64_t skip;
    double weight;
    double target_weight;
    uint64_t next;
    uint32_t host;
  };

  void refresh(std::span<const HostState> hosts) override {
    std::fill(table_.begin(), table_.end(), -1);
    build_.clear();
    if (inPlay().empty()) {
      return;
    }
    uint64_t sum = 0;
    for (uint32_t i : inPlay()) {
      sum += effectiveWeight(hosts[i]);
    }
    double max_normalized = 0.0;
    for (const HostHashes& hh : hosts_) {
      if (!inPlayFlag(hh.host)) {
        continue;
      }
      const double w = effectiveWeight(hosts[hh.host]) * 1.0 / static_cast<double>(sum);
      max_normalized = std::max(max_normalized, w);
      build_.push_back(BuildEntry{hh.offset, hh.skip, w, 0.0, 0, hh.host});
    }
    uint64_t filled = 0;
    for (uint32_t iteration = 1; filled < table_size_; ++iteration) {
      for (size_t i = 0; i < build_.size() && filled < table_size_; ++i) {
        BuildEntry& e = build_[i];
        if (iteration * e.weight < e.target_weight) {
          continue;
        }
        e.target_weight += max_normalized;
        uint64_t c = (e.offset + e.skip * e.next) % table_size_;
        while (table_[c] >= 0) {
          ++e.next;
          c = (e.offset + e.skip * e.next) % table_size_;
        }
        table_[c] = static_cast<int32_t>(e.host);
        ++e.next;
        ++filled;
      }
    }
  }

  bool inPlayFlag(uint32_t host) const {
    return std::binary_search(inPlay().begin(), inPlay().end(), host);
  }

  int32_t choose(std::span<const HostState>, const PickContext& context) override {
    const uint64_t h = context.hash ? *context.hash : random();
    return table_[h % table_size_];
  }

  uint64_t table_size_;
  std::vector<HostHashes> hosts_;  // sorted by key
  std::vector<BuildEntry> build_;
  std::vector<int32_t> table_;  // host index per slot
};

}  // namespace

std::unique_ptr<LoadBalancer> createRingHash(std::span<const HostState> hosts, uint64_t seed,
                                             uint32_t panic_threshold, uint64_t min_ring_size) {
  if (min_ring_size > kMaxRingSize) {
    return nullptr;  // Envoy: "ring hash: minimum_ring_size (N) > maximum_ring_size (8388608)"
  }
  return std::make_unique<RingHashBalancer>(hosts, seed, panic_threshold, min_ring_size);
}

std::unique_ptr<LoadBalancer> createMaglev(std::span<const HostState> hosts, uint64_t seed,
                                           uint32_t panic_threshold, uint64_t table_size) {
  if (table_size > kMaxMaglevTableSize || !isPrime(table_size)) {
    return nullptr;  // Envoy: "The table size of maglev must be prime number"
  }
  return std::make_unique<MaglevBalancer>(hosts, seed, panic_threshold, table_size);
}

}  // namespace meshc::upstream::detail
