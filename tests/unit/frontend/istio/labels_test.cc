// Tests for label-subset matching (frontend/istio/labels.h, Istio's labels.Instance.SubsetOf).
#include "frontend/istio/labels.h"

#include <catch2/catch.hpp>

namespace {

using meshc::frontend::StringMap;
using meshc::istio::selectorMatches;

TEST_CASE("a selector matches labels that hold every one of its pairs", "[istio][labels]") {
  const StringMap labels = {{"app", "reviews"}, {"version", "v2"}, {"team", "books"}};
  CHECK(selectorMatches({{"app", "reviews"}}, labels));
  CHECK(selectorMatches({{"app", "reviews"}, {"version", "v2"}}, labels));
  CHECK(selectorMatches(labels, labels));
}

TEST_CASE("an empty selector matches every label set, even an empty one", "[istio][labels]") {
  CHECK(selectorMatches({}, {}));
  CHECK(selectorMatches({}, {{"app", "reviews"}}));
}

TEST_CASE("a selector does not match when a key is missing or a value differs", "[istio][labels]") {
  const StringMap labels = {{"app", "reviews"}, {"version", "v2"}};
  CHECK_FALSE(selectorMatches({{"app", "ratings"}}, labels));
  CHECK_FALSE(selectorMatches({{"tier", "backend"}}, labels));
  CHECK_FALSE(selectorMatches({{"app", "reviews"}, {"version", "v1"}}, labels));
  CHECK_FALSE(selectorMatches({{"app", "reviews"}}, {}));
  // Values compare exactly: no case folding, an empty value is a value.
  CHECK_FALSE(selectorMatches({{"app", "Reviews"}}, labels));
  CHECK_FALSE(selectorMatches({{"version", ""}}, labels));
  CHECK(selectorMatches({{"version", ""}}, {{"version", ""}}));
}

TEST_CASE("selector matching is one-way: labels that hold only part of the selector do not match",
          "[istio][labels]") {
  CHECK(selectorMatches({{"app", "reviews"}}, {{"app", "reviews"}, {"version", "v2"}}));
  CHECK_FALSE(selectorMatches({{"app", "reviews"}, {"version", "v2"}}, {{"app", "reviews"}}));
}

}  // namespace
