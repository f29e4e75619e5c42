// The fault, CORS and gRPC local-reply decisions (PROXY-SEMANTICS R8.1–R8.3, R10.2–R10.5,
// R3.20). Expected values are the rules' own statements and Envoy's cors_filter.cc behaviour
// as the reference describes it.
#include <catch2/catch.hpp>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "router/compiled_route_actions.h"
#include "router/http_filters.h"

namespace meshc::router {
namespace {

using Kind = CorsOutcome::Kind;

xds::StringMatcher matcher(xds::StringMatcher::Kind kind, std::string value,
                           bool ignore_case = false) {
  xds::StringMatcher m;
  m.kind = kind;
  m.value = std::move(value);
  m.ignore_case = ignore_case;
  return m;
}

http::HeaderMap requestHeaders(std::initializer_list<std::pair<std::string, std::string>> hs) {
  http::HeaderMap h(http::HeaderMap::Side::kRequest);
  for (const auto& [k, v] : hs) {
    h.addRaw(k, v);
  }
  return h;
}

std::vector<std::pair<std::string, std::string>> entries(const http::HeaderMap& h) {
  std::vector<std::pair<std::string, std::string>> out;
  for (const http::Header& e : h.entries()) {
    out.emplace_back(std::string(e.name), std::string(e.value));
  }
  return out;
}

TEST_CASE("fault fractions: 0 never fires, 100 % always, numerator/1e6 on random % 1e6 (R8.1, R8.2, R8.3)",
          "[router][fault]") {
  for (uint64_t r : std::vector<uint64_t>{0, 1, 999'999, 1'000'000, UINT64_MAX}) {
    CHECK_FALSE(fractionFires(0, r));
    CHECK(fractionFires(1'000'000, r));
  }
  // 0.1 % = 1000 per million: the draws 0..999 (mod 1e6) fire, 1000.. do not.
  CHECK(fractionFires(1000, 0));
  CHECK(fractionFires(1000, 999));
  CHECK_FALSE(fractionFires(1000, 1000));
  CHECK(fractionFires(1000, 5'000'999));
  CHECK_FALSE(fractionFires(1000, 5'001'000));
}

TEST_CASE("CORS origin matching: exact, prefix, suffix, regex full match, case folding (R10.2)",
          "[router][cors]") {
  xds::CorsPolicy p;
  p.allow_origin = {matcher(xds::StringMatcher::Kind::kExact, "https://a.example"),
                    matcher(xds::StringMatcher::Kind::kPrefix, "https://b."),
                    matcher(xds::StringMatcher::Kind::kRegex, "https://[a-z]+\\.c\\.example"),
                    matcher(xds::StringMatcher::Kind::kSuffix, ".D.EXAMPLE", true)};
  CHECK(corsOriginAllowed(p, "https://a.example"));
  CHECK_FALSE(corsOriginAllowed(p, "https://a.example.evil"));
  CHECK_FALSE(corsOriginAllowed(p, "HTTPS://A.EXAMPLE"));  // exact is case-sensitive by default
  CHECK(corsOriginAllowed(p, "https://b.anything"));
  CHECK(corsOriginAllowed(p, "https://www.c.example"));
  CHECK_FALSE(corsOriginAllowed(p, "https://www.c.example:8443"));  // full match, not partial
  CHECK_FALSE(corsOriginAllowed(p, "xhttps://www.c.example"));
  CHECK(corsOriginAllowed(p, "http://x.d.example"));  // ignore_case suffix
  CHECK_FALSE(corsOriginAllowed(p, "https://e.example"));

  SECTION("the compiled regex gives the same answers") {
    std::vector<xds::Route> routes(1);
    routes[0].cors = p;
    Expected<CompiledRouteActions> compiled = CompiledRouteActions::create(routes);
    REQUIRE(compiled);
    const xds::CorsPolicy& known = *routes[0].cors;
    REQUIRE(compiled->corsOriginRegex(known.allow_origin[2]) != nullptr);
    CHECK(compiled->corsOriginRegex(known.allow_origin[0]) == nullptr);
    CHECK(corsOriginAllowed(known, "https://www.c.example", &*compiled));
    CHECK_FALSE(corsOriginAllowed(known, "https://www.c.example:8443", &*compiled));
    CHECK(corsOriginAllowed(p, "https://www.c.example", &*compiled));  // unknown: compiled here
  }

  SECTION("a pattern RE2 refuses is a configuration error") {
    std::vector<xds::Route> routes(1);
    routes[0].name = "r";
    routes[0].cors = xds::CorsPolicy{};
    routes[0].cors->allow_origin = {matcher(xds::StringMatcher::Kind::kRegex, "(")};
    Expected<CompiledRouteActions> compiled = CompiledRouteActions::create(routes);
    REQUIRE_FALSE(compiled);
    CHECK_THAT(compiled.status().message(),
               Catch::Contains("route r: CORS allowOrigins regex \"(\" does not compile"));
  }
}

TEST_CASE("CORS: a matcher that accepts the literal '*' allows every origin (R10.2)",
          "[router][cors]") {
  for (const xds::StringMatcher& m :
       {matcher(xds::StringMatcher::Kind::kExact, "*"), matcher(xds::StringMatcher::Kind::kPrefix, "*"),
        matcher(xds::StringMatcher::Kind::kRegex, ".*")}) {
    xds::CorsPolicy p;
    p.allow_origin = {m};
    CHECK(corsOriginAllowed(p, "https://anything.example"));
  }
  xds::CorsPolicy none;
  CHECK_FALSE(corsOriginAllowed(none, "https://anything.example"));
}

TEST_CASE("CORS classification: CORS request, preflight, forwarded and ignored preflights (R10.3)",
          "[router][cors]") {
  xds::CorsPolicy p;
  p.allow_origin = {matcher(xds::StringMatcher::Kind::kExact, "https://ok.example")};
  auto classify = [&](std::string_view method, const http::HeaderMap& h) {
    CorsOutcome o = classifyCors(p, method, h);
    return std::pair(o.kind, o.origin_allowed);
  };
  CHECK(classify("GET", requestHeaders({})) == std::pair(Kind::kNotCors, false));
  CHECK(classify("GET", requestHeaders({{"origin", ""}})) == std::pair(Kind::kNotCors, false));
  CHECK(classify("GET", requestHeaders({{"origin", "https://ok.example"}})) ==
        std::pair(Kind::kActual, true));
  CHECK(classify("GET", requestHeaders({{"origin", "https://no.example"}})) ==
        std::pair(Kind::kActual, false));
  // OPTIONS without (or with an empty) Access-Control-Request-Method is an actual request.
  CHECK(classify("OPTIONS", requestHeaders({{"origin", "https://ok.example"}})) ==
        std::pair(Kind::kActual, true));
  CHECK(classify("OPTIONS", requestHeaders({{"origin", "https://ok.example"},
                                            {"access-control-request-method", ""}})) ==
        std::pair(Kind::kActual, true));
  auto preflight = [](std::string origin) {
    return requestHeaders({{"origin", origin}, {"access-control-request-method", "PUT"}});
  };
  CHECK(classify("OPTIONS", preflight("https://ok.example")) == std::pair(Kind::kPreflight, true));
  CHECK(classify("POST", preflight("https://ok.example")) == std::pair(Kind::kActual, true));
  // Not allowed: FORWARD (the default) sends it upstream; IGNORE answers it here.
  CHECK(classify("OPTIONS", preflight("https://no.example")) == std::pair(Kind::kActual, false));
  p.forward_not_matching_preflights = false;
  CHECK(classify("OPTIONS", preflight("https://no.example")) ==
        std::pair(Kind::kPreflight, false));
}

TEST_CASE("CORS preflight answer headers, where '*' echoes the requested method and headers (R10.3)",
          "[router][cors]") {
  xds::CorsPolicy p;
  p.allow_methods = "GET,POST";
  p.allow_headers = "x-a,x-b";
  p.expose_headers = "x-exposed";  // never on a preflight
  p.max_age = "86400";
  p.allow_credentials = true;
  http::HeaderMap req = requestHeaders({{"origin", "https://Ok.Example"},
                                        {"access-control-request-method", "PATCH"},
                                        {"access-control-request-headers", "x-c"}});
  http::HeaderMap out(http::HeaderMap::Side::kResponse);
  corsPreflightHeaders(p, req, true, out);
  using V = std::vector<std::pair<std::string, std::string>>;
  CHECK(entries(out) == V{{"access-control-allow-origin", "https://Ok.Example"},
                          {"access-control-allow-credentials", "true"},
                          {"access-control-allow-methods", "GET,POST"},
                          {"access-control-allow-headers", "x-a,x-b"},
                          {"access-control-max-age", "86400"}});
  p.allow_methods = "*";
  p.allow_headers = "*";
  p.allow_credentials = false;
  p.max_age.clear();
  http::HeaderMap ignored(http::HeaderMap::Side::kResponse);
  corsPreflightHeaders(p, req, false, ignored);  // IGNORE: no allow-origin
  CHECK(entries(ignored) == V{{"access-control-allow-methods", "PATCH"},
                              {"access-control-allow-headers", "x-c"}});
}

TEST_CASE("CORS actual-request decoration overwrites upstream values, never '*' (R10.4, R10.5)",
          "[router][cors]") {
  xds::CorsPolicy p;
  p.allow_origin = {matcher(xds::StringMatcher::Kind::kExact, "*")};
  p.expose_headers = "x-e1,x-e2";
  p.allow_credentials = true;
  http::HeaderMap resp(http::HeaderMap::Side::kResponse);
  resp.addRaw("access-control-allow-origin", "*");
  resp.addRaw("x-other", "1");
  corsDecorateResponse(p, "https://site.example", resp);
  using V = std::vector<std::pair<std::string, std::string>>;
  CHECK(entries(resp) == V{{"access-control-allow-origin", "https://site.example"},
                           {"x-other", "1"},
                           {"access-control-allow-credentials", "true"},
                           {"access-control-expose-headers", "x-e1,x-e2"}});
  xds::CorsPolicy bare;  // nothing configured beyond the origin
  http::HeaderMap r2(http::HeaderMap::Side::kResponse);
  corsDecorateResponse(bare, "https://site.example", r2);
  CHECK(entries(r2) == V{{"access-control-allow-origin", "https://site.example"}});
}

TEST_CASE("gRPC local replies: request detection, status mapping, message encoding (R3.20)",
          "[router][grpc]") {
  CHECK(isGrpcRequest(requestHeaders({{"content-type", "application/grpc"}})));
  CHECK(isGrpcRequest(requestHeaders({{"content-type", "application/grpc+proto"}})));
  CHECK_FALSE(isGrpcRequest(requestHeaders({{"content-type", "application/grpc-web"}})));
  CHECK_FALSE(isGrpcRequest(requestHeaders({{"content-type", "application/json"}})));
  CHECK_FALSE(isGrpcRequest(requestHeaders({})));
  const std::vector<std::pair<uint32_t, uint32_t>> mapping = {
      {400, 13}, {401, 16}, {403, 7}, {404, 12}, {429, 14}, {502, 14},
      {503, 14}, {504, 14}, {500, 2}, {418, 2},  {200, 2}};
  for (const auto& [http_status, grpc] : mapping) {
    INFO(http_status);
    CHECK(grpcStatusForHttp(http_status) == grpc);
  }
  CHECK(percentEncodeGrpcMessage("fault filter abort") == "fault filter abort");
  CHECK(percentEncodeGrpcMessage("100% \n\x7f\xc3\xa9~") == "100%25 %0A%7F%C3%A9~");
}

}  // namespace
}  // namespace meshc::router
