// LoadBalancer::pick() never allocates (load_balancer.h; DESIGN section 1: no allocation-heavy
// work on the request path), including the picks that rebuild the host set after a change of
// health. This file replaces the global operator new/delete of the unit-test binary with
// counting versions; the count is only read around the picks.
#include <atomic>
#include <catch2/catch.hpp>
#include <cstdlib>
#include <new>

#include "lb_test_util.h"
#include "upstream/load_balancer.h"

namespace {
std::atomic<uint64_t> g_allocations{0};
}  // namespace

// Every replaceable form is replaced, so that whatever allocates (Catch2 uses the nothrow form)
// is freed by the matching function: AddressSanitizer reports new/free mismatches otherwise.
void* operator new(std::size_t size) {
  g_allocations.fetch_add(1, std::memory_order_relaxed);
  if (void* p = std::malloc(size == 0 ? 1 : size)) {
    return p;
  }
  throw std::bad_alloc();
}
void* operator new[](std::size_t size) { return ::operator new(size); }
void* operator new(std::size_t size, const std::nothrow_t&) noexcept {
  g_allocations.fetch_add(1, std::memory_order_relaxed);
  return std::malloc(size == 0 ? 1 : size);
}
void* operator new[](std::size_t size, const std::nothrow_t& tag) noexcept {
  return ::operator new(size, tag);
}
void operator delete(void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }
void operator delete[](void* p) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t) noexcept { std::free(p); }
void operator delete(void* p, const std::nothrow_t&) noexcept { std::free(p); }
void operator delete[](void* p, const std::nothrow_t&) noexcept { std::free(p); }

namespace meshc::upstream::testing {
namespace {

TEST_CASE("pick() allocates nothing, even when health changes rebuild the ring or table",
          "[upstream]") {
  for (const char* policy : {"ROUND_ROBIN", "LEAST_REQUEST", "RANDOM", "RING_HASH", "MAGLEV"}) {
    INFO(policy);
    Hosts h({1, 2, 3, 1, 1});
    auto lb = createLoadBalancer(policy, h.states, 9);
    REQUIRE(lb);
    int32_t sink = 0;
    const uint64_t before = g_allocations.load();
    for (int i = 0; i < 2000; ++i) {
      // Host 1 goes down and back up (a refresh each time); some picks carry a hash.
      h.states[1].healthy = (i / 100) % 2 == 0;
      h.states[3].active_requests = static_cast<uint32_t>(i % 7);
      PickContext ctx;
      if (i % 2 == 0) {
        ctx.hash = static_cast<uint64_t>(i) * 0x9E3779B97F4A7C15ULL;
      }
      sink += lb->pick(h.states, ctx);
    }
    const uint64_t allocations = g_allocations.load() - before;
    CHECK(allocations == 0);
    CHECK(sink > 0);
  }
}

}  // namespace
}  // namespace meshc::upstream::testing
