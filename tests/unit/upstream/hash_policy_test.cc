// computeRequestHash() against PROXY-SEMANTICS R5.5/R5.6 and Envoy's hash_policy.cc: each input
// kind, missing inputs, cookie generation and the way several policies combine.
#include "upstream/hash_policy.h"

#include <catch2/catch.hpp>
#include <cstdio>

namespace meshc::upstream {
namespace {

uint64_t rotl1(uint64_t v) { return (v << 1) | (v >> 63); }

xds::HashPolicy headerPolicy(std::string name) {
  xds::HashPolicy p;
  p.header_name = std::move(name);
  return p;
}
xds::HashPolicy cookiePolicy(std::string name) {
  xds::HashPolicy p;
  p.cookie_name = std::move(name);
  return p;
}
xds::HashPolicy sourceIpPolicy() {
  xds::HashPolicy p;
  p.source_ip = true;
  return p;
}
xds::HashPolicy queryPolicy(std::string name) {
  xds::HashPolicy p;
  p.query_parameter_name = std::move(name);
  return p;
}

struct Fixture {
  http::ProxyRequest request;
  HashInputs inputs;
  Fixture() {
    request.authority = "reviews:9080";
    request.path = "/r?user=bob";
    inputs.request = &request;
    inputs.query = "user=bob";
    inputs.downstream_remote_ip = "10.0.0.9";
    inputs.downstream_remote_address = "10.0.0.9:5555";
    inputs.downstream_local_address = "10.0.0.1:80";
  }
  HashResult run(std::vector<xds::HashPolicy> policies) {
    return computeRequestHash(policies, inputs);
  }
};

std::string hex16(uint64_t v) {
  char buf[17];
  std::snprintf(buf, sizeof(buf), "%016llx", static_cast<unsigned long long>(v));
  return buf;
}

TEST_CASE("R5.5 hashString is xxHash64 with seed 0", "[upstream]") {
  // The XXH64 reference value of the empty input with seed 0.
  CHECK(hashString("") == 0xEF46DB3751D8E999ULL);
}

TEST_CASE("R5.5 header policy hashes the header value, absent header gives no hash", "[upstream]") {
  Fixture f;
  f.request.headers.addRaw("X-User", "alice");
  CHECK(f.run({headerPolicy("x-user")}).hash == hashString("alice"));
  CHECK(f.run({headerPolicy("X-User")}).hash == hashString("alice"));  // names fold case
  CHECK_FALSE(f.run({headerPolicy("x-other")}).hash.has_value());
}

TEST_CASE("R5.5 header policy sorts repeated header lines so their order does not matter",
          "[upstream]") {
  // HeaderHashMethod sorts the values and hashes them as one stream.
  Fixture a;
  a.request.headers.addRaw("x-tag", "b");
  a.request.headers.addRaw("x-tag", "a");
  Fixture b;
  b.request.headers.addRaw("x-tag", "a");
  b.request.headers.addRaw("x-tag", "b");
  CHECK(a.run({headerPolicy("x-tag")}).hash == hashString("ab"));
  CHECK(b.run({headerPolicy("x-tag")}).hash == hashString("ab"));
}

TEST_CASE("R5.5 header policy hashes a repeated inline header as its comma-joined value",
          "[upstream]") {
  // Envoy's codec folds repeats of an inline header (user-agent) into one "x,y" entry.
  Fixture f;
  f.request.headers.addRaw("user-agent", "y");
  f.request.headers.addRaw("user-agent", "x");
  CHECK(f.run({headerPolicy("user-agent")}).hash == hashString("y,x"));
}

TEST_CASE("R5.5 header policy on :authority hashes the Host", "[upstream]") {
  Fixture f;
  CHECK(f.run({headerPolicy(":authority")}).hash == hashString("reviews:9080"));
}

TEST_CASE("R5.6 header policy sees the request after route header ops", "[upstream]") {
  Fixture f;
  f.request.headers.addRaw("x-user", "alice");
  f.request.headers.set("x-user", "carol");  // a route `set` runs before the hash (R3.1)
  CHECK(f.run({headerPolicy("x-user")}).hash == hashString("carol"));
}

TEST_CASE("R5.5 cookie policy hashes the cookie value without its quotes", "[upstream]") {
  Fixture f;
  f.request.headers.addRaw("cookie", "a=1; session=\"abc\"; z=2");
  HashResult r = f.run({cookiePolicy("session")});
  CHECK(r.hash == hashString("abc"));
  CHECK(r.set_cookie.empty());
}

TEST_CASE("R5.5 cookie policy finds the cookie in a later cookie line", "[upstream]") {
  Fixture f;
  f.request.headers.addRaw("cookie", "a=1");
  f.request.headers.addRaw("cookie", "b=2;session=xyz");
  CHECK(f.run({cookiePolicy("session")}).hash == hashString("xyz"));
}

TEST_CASE("R5.5 cookie policy without the cookie and without ttl gives no hash", "[upstream]") {
  Fixture f;
  f.request.headers.addRaw("cookie", "other=1; sessionx=2");
  HashResult r = f.run({cookiePolicy("session")});
  CHECK_FALSE(r.hash.has_value());
  CHECK(r.set_cookie.empty());
}

TEST_CASE("R5.5 a missing cookie with ttl is generated from the downstream addresses",
          "[upstream]") {
  // value = hex(xxHash64(remote + local)), 16 digits; set-cookie carries Max-Age, Path, the
  // attributes in order and HttpOnly last (Utility::makeSetCookieValue).
  Fixture f;
  xds::HashPolicy p = cookiePolicy("session");
  p.cookie_ttl_ns = 3600LL * 1'000'000'000;
  p.cookie_path = "/";
  p.cookie_attributes = {{"SameSite", "Strict"}, {"Secure", ""}};
  const std::string value = hex16(hashString("10.0.0.9:555510.0.0.1:80"));
  HashResult r = f.run({p});
  CHECK(r.hash == hashString(value));
  CHECK(r.set_cookie ==
        "session=\"" + value + "\"; Max-Age=3600; Path=/; SameSite=Strict; Secure; HttpOnly");
}

TEST_CASE("R5.5 a generated cookie omits Max-Age for ttl 0 and Path when unset", "[upstream]") {
  Fixture f;
  xds::HashPolicy p = cookiePolicy("s");
  p.cookie_ttl_ns = 0;
  const std::string value = hex16(hashString("10.0.0.9:555510.0.0.1:80"));
  CHECK(f.run({p}).set_cookie == "s=\"" + value + "\"; HttpOnly");
}

TEST_CASE("R5.5 a generated cookie's Max-Age is the ttl's whole seconds", "[upstream]") {
  Fixture f;
  xds::HashPolicy p = cookiePolicy("s");
  p.cookie_ttl_ns = 1'500'000'000;
  p.cookie_path = "/app";
  const std::string value = hex16(hashString("10.0.0.9:555510.0.0.1:80"));
  CHECK(f.run({p}).set_cookie == "s=\"" + value + "\"; Max-Age=1; Path=/app; HttpOnly");
}

TEST_CASE("R5.5 an empty cookie value counts as missing", "[upstream]") {
  Fixture f;
  f.request.headers.addRaw("cookie", "session=");
  CHECK_FALSE(f.run({cookiePolicy("session")}).hash.has_value());
}

TEST_CASE("R5.5 source ip policy hashes the downstream address without port", "[upstream]") {
  Fixture f;
  CHECK(f.run({sourceIpPolicy()}).hash == hashString("10.0.0.9"));
  f.inputs.downstream_remote_ip = {};
  CHECK_FALSE(f.run({sourceIpPolicy()}).hash.has_value());
}

TEST_CASE("R5.5 query parameter policy hashes the first value, undecoded", "[upstream]") {
  Fixture f;
  f.inputs.query = "a=1&user=bob&user=eve";
  CHECK(f.run({queryPolicy("user")}).hash == hashString("bob"));
  f.inputs.query = "user=a%20b";
  CHECK(f.run({queryPolicy("user")}).hash == hashString("a%20b"));
  f.inputs.query = "x=1&user";
  CHECK(f.run({queryPolicy("user")}).hash == hashString(""));
  f.inputs.query = "username=bob";
  CHECK_FALSE(f.run({queryPolicy("user")}).hash.has_value());
  f.inputs.query = {};
  CHECK_FALSE(f.run({queryPolicy("user")}).hash.has_value());
}

TEST_CASE("R5.5 several policies combine as rotl(hash, 1) xor next", "[upstream]") {
  // HashPolicyImpl::generateHash; a policy with no input is skipped.
  Fixture f;
  f.request.headers.addRaw("x-user", "alice");
  const uint64_t h1 = hashString("alice");
  const uint64_t h2 = hashString("bob");
  CHECK(f.run({headerPolicy("x-user"), queryPolicy("user")}).hash == (rotl1(h1) ^ h2));
  CHECK(f.run({headerPolicy("x-missing"), queryPolicy("user")}).hash == h2);
  // Two identical policies do not cancel out.
  CHECK(f.run({headerPolicy("x-user"), headerPolicy("x-user")}).hash == (rotl1(h1) ^ h1));
  CHECK_FALSE(f.run({}).hash.has_value());
}

}  // namespace
}  // namespace meshc::upstream
