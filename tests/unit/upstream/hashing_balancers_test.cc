// RING_HASH and MAGLEV (PROXY-SEMANTICS R5.5): lookup rules, consistency and distribution, with
// expected values from Envoy's construction (ring_hash_lb.cc, maglev_lb.cc) and the Maglev paper
// (listing 1), computed here from the hash function, never from the balancer's own output.
#include <xxhash.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <random>

#include "lb_test_util.h"
#include "upstream/hash_policy.h"
#include "upstream/load_balancer.h"

namespace meshc::upstream::testing {
namespace {

xds::Cluster ringCluster(uint64_t min_ring_size) {
  xds::Cluster c;
  c.ring_hash_minimum_ring_size = min_ring_size;
  return c;
}

xds::Cluster maglevCluster(uint64_t table_size) {
  xds::Cluster c;
  c.maglev_table_size = table_size;
  return c;
}

PickContext withHash(uint64_t h) { return PickContext{std::optional<uint64_t>(h)}; }

// ---- RING_HASH -----------------------------------------------------------------------------

TEST_CASE("R5.5 ring hash lookup takes the first point at or after the hash and wraps",
          "[upstream]") {
  // Minimum ring size 1 with 3 equal hosts: scale = ceil(1/3 * 1) / (1/3) = 3, one point per
  // host, hashed from "<ip:port>_0".
  Hosts h = Hosts::equal(3);
  const xds::Cluster cluster = ringCluster(1);
  auto lb = createLoadBalancer("RING_HASH", h.states, 1, &cluster);
  REQUIRE(lb);
  std::vector<std::pair<uint64_t, int32_t>> points;
  for (int32_t i = 0; i < 3; ++i) {
    points.emplace_back(hashString(h.keys[i] + "_0"), i);
  }
  std::sort(points.begin(), points.end());
  const auto expected = [&](uint64_t hash) {
    for (const auto& [point, host] : points) {
      if (point >= hash) {
        return host;
      }
    }
    return points.front().second;  // past the last point: wrap
  };
  std::vector<uint64_t> probes = {0, UINT64_MAX};
  for (const auto& [point, host] : points) {
    probes.push_back(point);
    probes.push_back(point - 1);
    probes.push_back(point + 1);
  }
  for (uint64_t probe : probes) {
    INFO(probe);
    CHECK(lb->pick(h.states, withHash(probe)) == expected(probe));
  }
}

TEST_CASE("R5.5 ring hash gives a host weight-proportional points named key_0, key_1, ...",
          "[upstream]") {
  // Weights 1:2, minimum ring 1: min normalised weight 1/3, scale 3; host 0 gets "_0", host 1
  // gets "_0" and "_1". A request hash equal to a point lands on that point's host.
  Hosts h({1, 2});
  const xds::Cluster cluster = ringCluster(1);
  auto lb = createLoadBalancer("RING_HASH", h.states, 1, &cluster);
  CHECK(lb->pick(h.states, withHash(hashString(h.keys[0] + "_0"))) == 0);
  CHECK(lb->pick(h.states, withHash(hashString(h.keys[1] + "_0"))) == 1);
  CHECK(lb->pick(h.states, withHash(hashString(h.keys[1] + "_1"))) == 1);
}

TEST_CASE("R5.5 ring hash sends the same hash to the same host, whatever the seed", "[upstream]") {
  Hosts h = Hosts::equal(5);
  auto a = createLoadBalancer("RING_HASH", h.states, 1);
  auto b = createLoadBalancer("RING_HASH", h.states, 2);
  std::mt19937_64 rng(77);
  for (int i = 0; i < 2000; ++i) {
    const uint64_t hash = rng();
    const int32_t first = a->pick(h.states, withHash(hash));
    CHECK(a->pick(h.states, withHash(hash)) == first);
    CHECK(b->pick(h.states, withHash(hash)) == first);
  }
}

TEST_CASE("R5.5 ring hash with one point per host remaps only the removed host's keys",
          "[upstream]") {
  // Minimum ring 1: each of the 5 hosts has exactly its "_0" point before and after host 2
  // leaves, so the ring is the same minus one point (the pure consistent-hashing property).
  Hosts h = Hosts::equal(5);
  const xds::Cluster cluster = ringCluster(1);
  auto lb = createLoadBalancer("RING_HASH", h.states, 1, &cluster);
  std::mt19937_64 rng(78);
  std::vector<uint64_t> keys(5000);
  std::vector<int32_t> before(keys.size());
  for (size_t i = 0; i < keys.size(); ++i) {
    keys[i] = rng();
    before[i] = lb->pick(h.states, withHash(keys[i]));
  }
  h.states[2].healthy = false;  // 4 of 5 healthy: no panic
  for (size_t i = 0; i < keys.size(); ++i) {
    const int32_t after = lb->pick(h.states, withHash(keys[i]));
    CHECK(after != 2);
    if (before[i] != 2) {
      CHECK(after == before[i]);
    }
  }
}

TEST_CASE("R5.5 ring hash at 1024 points keeps at least 80 percent of the survivors' keys",
          "[upstream]") {
  // Envoy rebuilds the ring without the unhealthy host and rescales: 4 hosts have 256 points
  // each, 3 hosts 342, so survivors gain 86 points and some of their keys land on another
  // survivor's new point. Expected share kept: P(no new point in the gap) + 1/3 of the rest =
  // 1024/1282 + (258/1282)/3 = 0.866; the bound leaves room for the spread of a fixed sample.
  Hosts h = Hosts::equal(4);
  auto lb = createLoadBalancer("RING_HASH", h.states, 1);
  std::mt19937_64 rng(79);
  std::vector<uint64_t> keys(20000);
  std::vector<int32_t> before(keys.size());
  for (size_t i = 0; i < keys.size(); ++i) {
    keys[i] = rng();
    before[i] = lb->pick(h.states, withHash(keys[i]));
  }
  h.states[3].healthy = false;
  uint64_t survivors = 0;
  uint64_t kept = 0;
  for (size_t i = 0; i < keys.size(); ++i) {
    const int32_t after = lb->pick(h.states, withHash(keys[i]));
    CHECK(after != 3);
    if (before[i] != 3) {
      ++survivors;
      kept += after == before[i] ? 1 : 0;
    }
  }
  CHECK(static_cast<double>(kept) / static_cast<double>(survivors) >= 0.80);
}

TEST_CASE("R5.5 ring hash with the default 1024 points gives 3 hosts a third each within 25 %",
          "[upstream]") {
  // 342 points per host: a host's share of the ring has a relative spread of about
  // 1/sqrt(342) = 5.4 %; 30000 uniform request hashes add 0.8 %. 25 % is over 4 spreads.
  Hosts h = Hosts::equal(3);
  auto lb = createLoadBalancer("RING_HASH", h.states, 1);
  std::mt19937_64 rng(80);
  std::vector<uint64_t> count(3, 0);
  for (int i = 0; i < 30000; ++i) {
    ++count[static_cast<size_t>(lb->pick(h.states, withHash(rng())))];
  }
  for (uint64_t n : count) {
    CHECK(n / 30000.0 == Approx(1.0 / 3.0).epsilon(0.25));
  }
}

TEST_CASE("R5.5 ring hash without a request hash picks a random host", "[upstream]") {
  Hosts h = Hosts::equal(3);
  auto lb = createLoadBalancer("RING_HASH", h.states, 3);
  Counts c = countPicks(*lb, h.states, 3000);
  for (uint64_t n : c.per_host) {
    CHECK(n > 800);  // expected 1000 ± 26 per host (ring shares within 25 %, see above)
  }
}

TEST_CASE("R5.5 ring hash refuses a minimum ring size above Envoy's 8M maximum", "[upstream]") {
  Hosts h = Hosts::equal(2);
  const xds::Cluster too_big = ringCluster(8 * 1024 * 1024 + 1);
  CHECK(createLoadBalancer("RING_HASH", h.states, 1, &too_big) == nullptr);
  const xds::Cluster max = ringCluster(8 * 1024 * 1024);
  CHECK(createLoadBalancer("RING_HASH", h.states, 1, &max) != nullptr);
}

// ---- MAGLEV --------------------------------------------------------------------------------

std::vector<int32_t> maglevTable(LoadBalancer& lb, const std::vector<HostState>& hosts,
                                 uint64_t size) {
  std::vector<int32_t> table(size);
  for (uint64_t slot = 0; slot < size; ++slot) {
    table[slot] = lb.pick(hosts, withHash(slot));  // lookup is table[hash % size]
  }
  return table;
}

TEST_CASE("R5.5 maglev fills all 65537 slots and equal hosts get floor or ceil of M/n",
          "[upstream]") {
  // Listing 1 of the Maglev paper: with equal weights every host claims one slot per round
  // until the table is full, so counts differ by at most one: 65537 / 5 = 13107.4.
  Hosts h = Hosts::equal(5);
  auto lb = createLoadBalancer("MAGLEV", h.states, 1);
  std::vector<int32_t> table = maglevTable(*lb, h.states, 65537);
  std::vector<uint64_t> count(5, 0);
  for (int32_t host : table) {
    REQUIRE(host >= 0);
    ++count[static_cast<size_t>(host)];
  }
  for (uint64_t n : count) {
    CHECK((n == 13107 || n == 13108));
  }
}

TEST_CASE("R5.5 maglev follows the paper's permutation with Envoy's xxHash seeds", "[upstream]") {
  // Table of 13 for 3 hosts, rebuilt here from listing 1: hosts in key order, offset =
  // xxHash64(key, 0) % 13, skip = xxHash64(key, 1) % 12 + 1, each round every host takes its
  // next free preferred slot.
  Hosts h = Hosts::equal(3);
  const uint64_t m = 13;
  const xds::Cluster cluster = maglevCluster(m);
  auto lb = createLoadBalancer("MAGLEV", h.states, 1, &cluster);
  REQUIRE(lb);
  std::vector<size_t> order = {0, 1, 2};
  std::sort(order.begin(), order.end(), [&](size_t a, size_t b) { return h.keys[a] < h.keys[b]; });
  std::vector<int32_t> expected(m, -1);
  std::vector<uint64_t> next(3, 0);
  uint64_t filled = 0;
  while (filled < m) {
    for (size_t i : order) {
      if (filled == m) {
        break;
      }
      const std::string& key = h.keys[i];
      const uint64_t offset = XXH64(key.data(), key.size(), 0) % m;
      const uint64_t skip = XXH64(key.data(), key.size(), 1) % (m - 1) + 1;
      uint64_t c = (offset + skip * next[i]) % m;
      while (expected[c] >= 0) {
        c = (offset + skip * ++next[i]) % m;
      }
      expected[c] = static_cast<int32_t>(i);
      ++next[i];
      ++filled;
    }
  }
  CHECK(maglevTable(*lb, h.states, m) == expected);
}

TEST_CASE("R5.5 maglev does not depend on host order or seed", "[upstream]") {
  // Envoy sorts hosts by key before filling the table.
  Hosts h = Hosts::equal(4);
  std::vector<HostState> reversed(h.states.rbegin(), h.states.rend());
  auto a = createLoadBalancer("MAGLEV", h.states, 1);
  auto b = createLoadBalancer("MAGLEV", reversed, 2);
  std::mt19937_64 rng(81);
  for (int i = 0; i < 2000; ++i) {
    const uint64_t hash = rng();
    const int32_t ia = a->pick(h.states, withHash(hash));
    const int32_t ib = b->pick(reversed, withHash(hash));
    CHECK(h.states[static_cast<size_t>(ia)].key == reversed[static_cast<size_t>(ib)].key);
    CHECK(a->pick(h.states, withHash(hash)) == ia);
  }
}

TEST_CASE("R5.5 maglev gives a host of weight 2 twice the slots of weight 1", "[upstream]") {
  Hosts h({1, 2});
  auto lb = createLoadBalancer("MAGLEV", h.states, 1);
  std::vector<int32_t> table = maglevTable(*lb, h.states, 65537);
  const double heavy = static_cast<double>(std::count(table.begin(), table.end(), 1));
  const double light = static_cast<double>(std::count(table.begin(), table.end(), 0));
  CHECK(heavy + light == 65537);
  CHECK(heavy / light == Approx(2.0).epsilon(0.025));
}

TEST_CASE("R5.5 maglev without a request hash picks a random host", "[upstream]") {
  Hosts h = Hosts::equal(3);
  auto lb = createLoadBalancer("MAGLEV", h.states, 3);
  Counts c = countPicks(*lb, h.states, 3000);
  for (uint64_t n : c.per_host) {
    CHECK(n > 850);  // each host holds a third of the table (± 1 slot); 1000 ± 26 expected
  }
}

TEST_CASE("R5.5 maglev refuses a table size Envoy rejects", "[upstream]") {
  Hosts h = Hosts::equal(2);
  const xds::Cluster not_prime = maglevCluster(65536);
  CHECK(createLoadBalancer("MAGLEV", h.states, 1, &not_prime) == nullptr);
  const xds::Cluster too_big = maglevCluster(5000101);  // prime, above maglev.proto's 5000011
  CHECK(createLoadBalancer("MAGLEV", h.states, 1, &too_big) == nullptr);
  const xds::Cluster small = maglevCluster(7);
  CHECK(createLoadBalancer("MAGLEV", h.states, 1, &small) != nullptr);
}

}  // namespace
}  // namespace meshc::upstream::testing
