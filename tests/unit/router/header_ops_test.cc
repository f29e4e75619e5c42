// Header operations and %COMMAND% substitution (PROXY-SEMANTICS R3.2-R3.9, R2.15, R3.10-R3.11):
// applyHeaderOps(), formatHeaderValue(), finalizeRequest(), finalizeResponseHeaders().
#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "router/header_format.h"
#include "router/route_actions.h"

namespace meshc::router {
namespace {

using Append = xds::HeaderValueOption::Append;

xds::HeaderValueOption set(std::string key, std::string value) {
  return {std::move(key), std::move(value), Append::kOverwriteIfExistsOrAdd};
}
xds::HeaderValueOption add(std::string key, std::string value) {
  return {std::move(key), std::move(value), Append::kAppendIfExistsOrAdd};
}

std::vector<std::string> values(const http::HeaderMap& h, std::string_view name) {
  std::vector<std::string> out;
  for (const http::Header& e : h.entries()) {
    if (e.name == name) {
      out.push_back(e.value);
    }
  }
  return out;
}

using Values = std::vector<std::string>;

FormatContext context() {
  FormatContext c;
  c.downstream_remote_address = "10.1.2.3:5555";
  c.downstream_local_address = "10.0.0.1:8080";
  c.hostname = "gw-7f9c";
  c.protocol = "HTTP/1.1";
  return c;
}

// ---- One level: R3.5 order, R3.6 set/append, R3.7 empty values.

TEST_CASE("header ops: removals run before adds at one level (R3.5)", "[router][headers]") {
  http::HeaderMap h;
  h.addRaw("x-a", "old");
  applyHeaderOps({add("x-a", "v")}, {"x-a"}, h, context());
  CHECK(values(h, "x-a") == Values{"v"});
}

TEST_CASE("header ops: sets run before adds whatever their list order (R3.5 R3.6)",
          "[router][headers]") {
  http::HeaderMap h;
  h.addRaw("x-a", "old");
  applyHeaderOps({add("x-a", "added"), set("x-a", "set")}, {}, h, context());
  CHECK(values(h, "x-a") == Values{"set", "added"});
}

TEST_CASE(
    "header ops: set replaces every line, add appends a line or joins an inline header "
    "(R3.6)",
    "[router][headers]") {
  http::HeaderMap h;
  h.addRaw("x-a", "1");
  h.addRaw("x-a", "2");
  h.addRaw("x-b", "old");
  h.addRaw("user-agent", "curl");
  applyHeaderOps(
      {set("x-a", "3"), add("x-b", "new"), add("user-agent", "meshc"), add("x-new", "n")}, {}, h,
      context());
  CHECK(values(h, "x-a") == Values{"3"});
  CHECK(values(h, "x-b") == Values{"old", "new"});
  CHECK(values(h, "user-agent") == Values{"curl,meshc"});
  CHECK(values(h, "x-new") == Values{"n"});
}

TEST_CASE("header ops: a value empty after substitution is skipped, not cleared (R3.7)",
          "[router][headers]") {
  http::HeaderMap h;
  h.addRaw("x-a", "keep");
  applyHeaderOps({set("x-a", ""), add("x-b", ""), set("x-c", "%REQ(x-missing)%")}, {}, h,
                 context());
  CHECK(values(h, "x-a") == Values{"keep"});
  CHECK_FALSE(h.has("x-b"));
  CHECK_FALSE(h.has("x-c"));
}

TEST_CASE("header ops: values are computed after removals and before any set (R3.5)",
          "[router][headers]") {
  http::HeaderMap h;
  h.addRaw("x-src", "s");
  h.addRaw("x-a", "before");
  applyHeaderOps({set("x-copy", "%REQ(x-src)%"), set("x-a", "after"), set("x-b", "%REQ(x-a)%")},
                 {"x-src"}, h, context());
  CHECK_FALSE(h.has("x-copy"));  // x-src was removed first: empty value, skipped
  CHECK(values(h, "x-a") == Values{"after"});
  CHECK(values(h, "x-b") == Values{"before"});  // read before the set of x-a
}

TEST_CASE(
    "header ops: names are case-insensitive, pseudo headers and host are never touched "
    "(R3.3)",
    "[router][headers]") {
  http::HeaderMap h;
  h.addRaw("X-Mixed", "1");
  applyHeaderOps({set("X-Mixed", "2"), set(":path", "/x"), set("host", "h")}, {":method"}, h,
                 context());
  CHECK(values(h, "x-mixed") == Values{"2"});
  CHECK(h.size() == 1);
}

// ---- %COMMAND% substitution: R3.8 (Envoy "Custom request/response headers").

TEST_CASE("header format: each command operator Envoy documents for header values (R3.8)",
          "[router][headers]") {
  http::ProxyRequest req;
  req.method = "POST";
  req.scheme = "https";
  req.authority = "shop.example.com:8443";
  req.path = "/cart?id=1";
  req.headers.addRaw("x-user", "alice");
  req.headers.addRaw("x-user", "bob");
  FormatContext c = context();
  c.request = &req;
  CHECK(formatHeaderValue("%DOWNSTREAM_REMOTE_ADDRESS%", c) == "10.1.2.3:5555");
  CHECK(formatHeaderValue("%DOWNSTREAM_REMOTE_ADDRESS_WITHOUT_PORT%", c) == "10.1.2.3");
  CHECK(formatHeaderValue("%DOWNSTREAM_LOCAL_ADDRESS%", c) == "10.0.0.1:8080");
  CHECK(formatHeaderValue("%DOWNSTREAM_LOCAL_ADDRESS_WITHOUT_PORT%", c) == "10.0.0.1");
  CHECK(formatHeaderValue("%HOSTNAME%", c) == "gw-7f9c");
  CHECK(formatHeaderValue("%PROTOCOL%", c) == "HTTP/1.1");
  CHECK(formatHeaderValue("%REQ(x-user)%", c) == "alice");         // the first value
  CHECK(formatHeaderValue("%REQ(X-USER)%", c) == "alice");         // names fold case
  CHECK(formatHeaderValue("%REQ(x-none?x-user)%", c) == "alice");  // the alternative
  CHECK(formatHeaderValue("%REQ(x-user):3%", c) == "ali");         // cut to 3 bytes
  CHECK(formatHeaderValue("%REQ(:authority)%", c) == "shop.example.com:8443");
  CHECK(formatHeaderValue("%REQ(:path)%", c) == "/cart?id=1");
  CHECK(formatHeaderValue("%REQ(:method)%", c) == "POST");
  CHECK(formatHeaderValue("%REQ(:scheme)%", c) == "https");
  CHECK(formatHeaderValue("%REQ(x-none)%", c).empty());
}

TEST_CASE("header format: %% is a literal percent and text around operators is kept (R3.8)",
          "[router][headers]") {
  FormatContext c = context();
  CHECK(formatHeaderValue("100%%", c) == "100%");
  CHECK(formatHeaderValue("%%HOSTNAME%%", c) == "%HOSTNAME%");
  CHECK(formatHeaderValue("node=%HOSTNAME%;proto=%PROTOCOL%", c) == "node=gw-7f9c;proto=HTTP/1.1");
  CHECK(formatHeaderValue("plain", c) == "plain");
}

TEST_CASE(
    "header format: IPv6 addresses lose brackets and port in the _WITHOUT_PORT forms "
    "(R3.8)",
    "[router][headers]") {
  FormatContext c;
  c.downstream_remote_address = "[2001:db8::1]:443";
  CHECK(formatHeaderValue("%DOWNSTREAM_REMOTE_ADDRESS%", c) == "[2001:db8::1]:443");
  CHECK(formatHeaderValue("%DOWNSTREAM_REMOTE_ADDRESS_WITHOUT_PORT%", c) == "2001:db8::1");
}

TEST_CASE("header format: unknown operators give nothing, malformed text is copied (R3.8)",
          "[router][headers]") {
  FormatContext c = context();
  CHECK(formatHeaderValue("%NOT_AN_OPERATOR%", c).empty());
  CHECK(formatHeaderValue("a%NOT_AN_OPERATOR%b", c) == "ab");
  CHECK(formatHeaderValue("abc%123", c) == "abc%123");  // Istio validation refuses this
  CHECK(formatHeaderValue("%REQ(x-a", c) == "%REQ(x-a");
}

TEST_CASE(
    "header format: response ops read %REQ()% from the request and %RESP()% from the "
    "response (R3.8 R3.9)",
    "[router][headers]") {
  http::HeaderMap request;
  request.addRaw("x-request-id", "r-1");
  http::HeaderMap response(http::HeaderMap::Side::kResponse);
  response.addRaw("x-upstream", "u");
  FormatContext c = context();
  c.request_headers = &request;
  applyHeaderOps({set("x-echo-id", "%REQ(x-request-id)%"), set("x-seen", "%RESP(x-upstream)%")}, {},
                 response, c);
  CHECK(values(response, "x-echo-id") == Values{"r-1"});
  CHECK(values(response, "x-seen") == Values{"u"});
}

// ---- Levels: R3.1 steps 3-6, R3.4, R3.5 consequences, R3.9.

xds::Route forwardingRoute() {
  xds::Route r;
  r.name = "r";
  r.match.path = {xds::PathMatcher::Kind::kPrefix, "/api"};
  r.route.cluster = "outbound|80||web.default.svc.cluster.local";
  return r;
}

// A request for `authority` and `path` after finalizeRequest().
http::ProxyRequest finalized(const xds::Route& route, const xds::WeightedCluster* destination,
                             std::string authority, std::string path) {
  http::ProxyRequest req;
  req.authority = std::move(authority);
  req.path = std::move(path);
  finalizeRequest(route, destination, req, context());
  return req;
}

TEST_CASE(
    "finalizeRequest: weighted destination add then route remove drops the header, one "
    "destination keeps it (R3.4 R3.5)",
    "[router][headers]") {
  // Weighted: the destination's ops are their own level, before the route's.
  xds::Route weighted = forwardingRoute();
  weighted.headers.request_headers_to_remove = {"x-a"};
  xds::WeightedCluster dest;
  dest.name = "c";
  dest.weight = 1;
  dest.headers.request_headers_to_add = {add("x-a", "v")};
  http::ProxyRequest w = finalized(weighted, &dest, "a.com", "/api");
  CHECK_FALSE(w.headers.has("x-a"));

  // Single destination: Istio appends the destination's ops to the route's lists (one level).
  xds::Route single = forwardingRoute();
  single.headers.request_headers_to_remove = {"x-a"};
  single.headers.request_headers_to_add = {add("x-a", "v")};
  http::ProxyRequest s = finalized(single, nullptr, "a.com", "/api");
  CHECK(values(s.headers, "x-a") == Values{"v"});
}

TEST_CASE(
    "finalizeRequest: the same key set by route and destination - the route wins when "
    "weighted, the destination when single (R3.5)",
    "[router][headers]") {
  xds::Route weighted = forwardingRoute();
  weighted.headers.request_headers_to_add = {set("x-a", "route")};
  xds::WeightedCluster dest;
  dest.headers.request_headers_to_add = {set("x-a", "destination")};
  http::ProxyRequest w = finalized(weighted, &dest, "a.com", "/api");
  CHECK(values(w.headers, "x-a") == Values{"route"});

  xds::Route single = forwardingRoute();  // route entries first, then the destination's
  single.headers.request_headers_to_add = {set("x-a", "route"), set("x-a", "destination")};
  http::ProxyRequest s = finalized(single, nullptr, "a.com", "/api");
  CHECK(values(s.headers, "x-a") == Values{"destination"});
}

TEST_CASE(
    "finalizeRequest: route host rewrite keeps the old Host in x-envoy-original-host, a "
    "weighted destination's does not (R3.1 R3.10 R3.11 R2.15)",
    "[router][headers]") {
  xds::Route route = forwardingRoute();
  route.route.host_rewrite = "internal.example.com";
  http::ProxyRequest r = finalized(route, nullptr, "shop.example.com:8080", "/api");
  CHECK(r.authority == "internal.example.com");
  CHECK(values(r.headers, "x-envoy-original-host") == Values{"shop.example.com:8080"});
  CHECK_FALSE(r.headers.has("x-forwarded-host"));  // R2.14

  xds::Route plain = forwardingRoute();
  xds::WeightedCluster dest;
  dest.host_rewrite = "v2.example.com";
  http::ProxyRequest d = finalized(plain, &dest, "shop.example.com", "/api");
  CHECK(d.authority == "v2.example.com");
  CHECK_FALSE(d.headers.has("x-envoy-original-host"));

  // Both: the destination's authority first (step 3), then the route's (step 5) overrides it.
  http::ProxyRequest both = finalized(route, &dest, "shop.example.com", "/api");
  CHECK(both.authority == "internal.example.com");
  CHECK(values(both.headers, "x-envoy-original-host") == Values{"v2.example.com"});
}

TEST_CASE(
    "finalizeRequest: a path rewrite keeps the old :path in x-envoy-original-path, no "
    "rewrite adds nothing (R3.1 R2.15)",
    "[router][headers]") {
  xds::Route route = forwardingRoute();
  route.route.prefix_rewrite = "/v1";
  http::ProxyRequest r = finalized(route, nullptr, "a.com", "/api/users?x=1");
  CHECK(r.path == "/v1/users?x=1");
  CHECK(values(r.headers, "x-envoy-original-path") == Values{"/api/users?x=1"});

  xds::Route none = forwardingRoute();
  http::ProxyRequest n = finalized(none, nullptr, "a.com", "/api/users");
  CHECK(n.path == "/api/users");
  CHECK_FALSE(n.headers.has("x-envoy-original-path"));
  CHECK_FALSE(n.headers.has("x-envoy-original-host"));
}

TEST_CASE(
    "finalizeRequest: header ops see the request before the host and path rewrites "
    "(R3.1 steps 4-6)",
    "[router][headers]") {
  xds::Route route = forwardingRoute();
  route.route.prefix_rewrite = "/v1";
  route.route.host_rewrite = "b.com";
  route.headers.request_headers_to_add = {set("x-was", "%REQ(:authority)%%REQ(:path)%")};
  http::ProxyRequest r = finalized(route, nullptr, "a.com", "/api/x");
  CHECK(values(r.headers, "x-was") == Values{"a.com/api/x"});
}

TEST_CASE("finalizeResponseHeaders: destination ops first, then the route's (R3.9)",
          "[router][headers]") {
  xds::Route route = forwardingRoute();
  route.headers.response_headers_to_add = {set("x-r", "route")};
  route.headers.response_headers_to_remove = {"x-gone"};
  xds::WeightedCluster dest;
  dest.headers.response_headers_to_add = {set("x-r", "destination"), add("x-gone", "d")};
  http::HeaderMap response(http::HeaderMap::Side::kResponse);
  finalizeResponseHeaders(route, &dest, response, context());
  CHECK(values(response, "x-r") == Values{"route"});
  CHECK_FALSE(response.has("x-gone"));

  http::HeaderMap single(http::HeaderMap::Side::kResponse);
  finalizeResponseHeaders(route, nullptr, single, context());
  CHECK(values(single, "x-r") == Values{"route"});
}

}  // namespace
}  // namespace meshc::router
