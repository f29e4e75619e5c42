// redirectLocation() and httpsRedirectLocation() (PROXY-SEMANTICS R3.15, R3.16, R14.7):
// Envoy's Utility::newUri / processRequestHost and createSslRedirectPath. port_redirect holds
// what Istio emitted after R3.16 (80/http and 443/https already dropped).
#include <catch2/catch.hpp>
#include <string>

#include "router/route_actions.h"

namespace meshc::router {
namespace {

xds::Route redirectRoute() {
  xds::Route r;
  r.name = "redir";
  r.action = xds::Route::ActionKind::kRedirect;
  r.match.path = {xds::PathMatcher::Kind::kPrefix, "/"};
  return r;
}

RedirectRequest req(std::string_view authority, std::string_view path,
                    std::string_view scheme = "http", std::string_view xfp = "") {
  RedirectRequest r;
  r.scheme = scheme;
  r.authority = authority;
  r.path_with_query = path;
  r.forwarded_proto = xfp;
  return r;
}

TEST_CASE(
    "redirect: with nothing replacing the host the Host is kept verbatim, port included "
    "(R3.15)",
    "[router][redirect]") {
  xds::Route r = redirectRoute();
  r.redirect.path_redirect = "/new";
  CHECK(redirectLocation(r, req("a.example.com:8080", "/old")) == "http://a.example.com:8080/new");
  // The scheme does not change, so even the default port stays (Envoy compares schemes first).
  CHECK(redirectLocation(r, req("a.example.com:80", "/old")) == "http://a.example.com:80/new");
  CHECK(redirectLocation(r, req("a.example.com:443", "/old", "https")) ==
        "https://a.example.com:443/new");
  CHECK(redirectLocation(r, req("a.example.com", "/old")) == "http://a.example.com/new");
}

TEST_CASE(
    "redirect: a scheme change drops the port only when it is x-forwarded-proto's default "
    "(R3.15)",
    "[router][redirect]") {
  xds::Route r = redirectRoute();
  r.redirect.scheme_redirect = "https";
  CHECK(redirectLocation(r, req("a.com:80", "/x")) == "https://a.com/x");
  CHECK(redirectLocation(r, req("a.com:8080", "/x")) == "https://a.com:8080/x");
  CHECK(redirectLocation(r, req("a.com:443", "/x")) == "https://a.com:443/x");  // not http's
  // x-forwarded-proto decides, not :scheme: a request forwarded as https keeps ":80".
  CHECK(redirectLocation(r, req("a.com:80", "/x", "http", "https")) == "https://a.com:80/x");

  xds::Route to_http = redirectRoute();
  to_http.redirect.scheme_redirect = "http";
  CHECK(redirectLocation(to_http, req("a.com:443", "/x", "https")) == "http://a.com/x");
  CHECK(redirectLocation(to_http, req("a.com:8443", "/x", "https")) == "http://a.com:8443/x");
}

TEST_CASE("redirect: a configured port replaces the Host's port (R3.15 R3.16)",
          "[router][redirect]") {
  xds::Route r = redirectRoute();
  r.redirect.scheme_redirect = "https";
  r.redirect.port_redirect = 8443;
  CHECK(redirectLocation(r, req("a.com:9000", "/port")) == "https://a.com:8443/port");
  CHECK(redirectLocation(r, req("a.com", "/port")) == "https://a.com:8443/port");
  CHECK(redirectLocation(r, req("[::1]:9000", "/p")) == "https://[::1]:8443/p");
  CHECK(redirectLocation(r, req("[::1]", "/p")) == "https://[::1]:8443/p");
  // R3.16: Istio keeps 80 with scheme https, so Envoy writes it.
  xds::Route odd = redirectRoute();
  odd.redirect.scheme_redirect = "https";
  odd.redirect.port_redirect = 80;
  CHECK(redirectLocation(odd, req("a.com", "/odd")) == "https://a.com:80/odd");
}

TEST_CASE("redirect: authority replaces the whole Host, port included (R3.15)",
          "[router][redirect]") {
  xds::Route r = redirectRoute();
  r.redirect.host_redirect = "other.example.com";
  CHECK(redirectLocation(r, req("a.com:8080", "/moved")) == "http://other.example.com/moved");
  r.redirect.host_redirect = "other.example.com:9090";
  CHECK(redirectLocation(r, req("a.com:8080", "/moved")) == "http://other.example.com:9090/moved");
  r.redirect.host_redirect = "other.example.com";
  r.redirect.port_redirect = 8443;
  CHECK(redirectLocation(r, req("a.com:8080", "/moved")) == "http://other.example.com:8443/moved");
}

TEST_CASE("redirect: uri replaces the path and keeps the query unless it has its own (R3.15)",
          "[router][redirect]") {
  xds::Route r = redirectRoute();
  r.redirect.path_redirect = "/new";
  CHECK(redirectLocation(r, req("a.com", "/old/deep?q=1&r=2")) == "http://a.com/new?q=1&r=2");
  CHECK(redirectLocation(r, req("a.com", "/old?")) == "http://a.com/new?");
  r.redirect.path_redirect = "/new?z=9";
  CHECK(redirectLocation(r, req("a.com", "/old?q=1")) == "http://a.com/new?z=9");
  r.redirect.path_redirect = "new";
  CHECK(redirectLocation(r, req("a.com", "/old")) == "http://a.com/new");  // '/' prepended
}

TEST_CASE("redirect: no uri keeps path and query - Istio never sets strip_query (R3.15)",
          "[router][redirect]") {
  xds::Route r = redirectRoute();
  r.redirect.host_redirect = "b.com";
  CHECK(redirectLocation(r, req("a.com", "/p/q?x=1&y")) == "http://b.com/p/q?x=1&y");
}

TEST_CASE("redirect: prefixRewrite replaces the matched prefix as a rewrite does (R3.15 R3.12)",
          "[router][redirect]") {
  xds::Route r = redirectRoute();
  r.match.path = {xds::PathMatcher::Kind::kPrefix, "/legacy"};
  r.redirect.prefix_rewrite = "/modern";
  CHECK(redirectLocation(r, req("a.com", "/legacy/a/b?x=1")) == "http://a.com/modern/a/b?x=1");
  // The API's own example: /foo with prefixRewrite / turns /foo/baz into //baz.
  xds::Route foo = redirectRoute();
  foo.match.path = {xds::PathMatcher::Kind::kPrefix, "/foo"};
  foo.redirect.prefix_rewrite = "/";
  CHECK(redirectLocation(foo, req("a.com", "/foo/baz")) == "http://a.com//baz");
}

TEST_CASE("https redirect keeps the Host verbatim, port included, and the query (R14.7)",
          "[router][redirect]") {
  CHECK(httpsRedirectLocation(req("shop.example.com:8080", "/cart?id=1")) ==
        "https://shop.example.com:8080/cart?id=1");
  CHECK(httpsRedirectLocation(req("shop.example.com:80", "/")) == "https://shop.example.com:80/");
  CHECK(httpsRedirectLocation(req("shop.example.com", "/x")) == "https://shop.example.com/x");
}

}  // namespace
}  // namespace meshc::router
