// pickWeightedCluster (PROXY-SEMANTICS R4.2): `random % total` falls in half-open intervals laid
// out in list order; the tests sit on both edges of every bucket.
#include <catch2/catch.hpp>
#include <cstdint>
#include <vector>

#include "router/route_actions.h"

namespace meshc::router {
namespace {

std::vector<xds::WeightedCluster> weights(std::initializer_list<uint32_t> ws) {
  std::vector<xds::WeightedCluster> out;
  for (uint32_t w : ws) {
    xds::WeightedCluster c;
    c.name = "c" + std::to_string(out.size());
    c.weight = w;
    out.push_back(c);
  }
  return out;
}

TEST_CASE(
    "weighted pick: each bucket is the half-open interval from its start to start+weight, "
    "in list order (R4.2)",
    "[router][weighted]") {
  const auto cs = weights({10, 20, 70});  // [0,10) [10,30) [30,100)
  CHECK(pickWeightedCluster(cs, 0) == 0);
  CHECK(pickWeightedCluster(cs, 9) == 0);
  CHECK(pickWeightedCluster(cs, 10) == 1);
  CHECK(pickWeightedCluster(cs, 29) == 1);
  CHECK(pickWeightedCluster(cs, 30) == 2);
  CHECK(pickWeightedCluster(cs, 99) == 2);
}

TEST_CASE("weighted pick: the random number is taken modulo the total weight (R4.2)",
          "[router][weighted]") {
  const auto cs = weights({10, 20, 70});
  CHECK(pickWeightedCluster(cs, 100) == 0);
  CHECK(pickWeightedCluster(cs, 110) == 1);
  CHECK(pickWeightedCluster(cs, 1030) == 2);
  CHECK(pickWeightedCluster(cs, UINT64_MAX) == 1);  // 18446744073709551615 % 100 = 15
}

TEST_CASE("weighted pick: raw weights need not add up to 100 (R4.1 R4.2)", "[router][weighted]") {
  const auto cs = weights({3, 1});  // [0,3) [3,4)
  CHECK(pickWeightedCluster(cs, 2) == 0);
  CHECK(pickWeightedCluster(cs, 3) == 1);
  CHECK(pickWeightedCluster(cs, 4) == 0);
  CHECK(pickWeightedCluster(cs, 7) == 1);
}

TEST_CASE("weighted pick: an empty bucket is never chosen, a single entry always is (R4.1 R4.2)",
          "[router][weighted]") {
  const auto with_zero = weights({0, 5, 0});
  for (uint64_t r = 0; r < 10; ++r) {
    CHECK(pickWeightedCluster(with_zero, r) == 1);
  }
  const auto single = weights({7});
  CHECK(pickWeightedCluster(single, 0) == 0);
  CHECK(pickWeightedCluster(single, 123456789) == 0);
}

}  // namespace
}  // namespace meshc::router
