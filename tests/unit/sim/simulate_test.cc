// Tests for the simulator: request parsing, listener and filter-chain choice, actions, and the
// agreement of the two route-selection engines on whole proxies.
#include <catch2/catch.hpp>

#include "frontend/model/model.h"
#include "lower/proxy_config.h"
#include "sim/simulate.h"
#include "test_util.h"

using namespace meshc;
using meshc::sim::Outcome;

namespace {

std::unique_ptr<sim::Simulator> simulatorFor(const std::string& yaml, lower::ProxyIdentity proxy) {
  testing::Loaded l(yaml);
  std::vector<frontend::Resource> rs = l.resources();
  model::ConfigSet config = model::buildConfigSet(rs, frontend::MeshConfig{});
  auto s = sim::Simulator::create(lower::buildProxyConfig(config, proxy).config);
  REQUIRE(s.hasValue());
  return std::move(*s);
}

lower::ProxyIdentity ingress() {
  lower::ProxyIdentity p;
  p.kind = lower::ProxyIdentity::Kind::kGateway;
  p.name_space = "istio-system";
  p.labels = {{"istio", "ingressgateway"}};
  return p;
}

sim::SimRequest get(const std::string& url) {
  auto r = sim::parseRequestLine("GET " + url);
  REQUIRE(r.hasValue());
  return *r;
}

constexpr const char* kGateway = R"(apiVersion: networking.istio.io/v1
kind: Gateway
metadata: {name: gw, namespace: istio-system}
spec:
  selector: {istio: ingressgateway}
  servers:
  - port: {number: 80, name: http, protocol: HTTP}
    hosts: ["*.example.com"]
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: web, namespace: istio-system}
spec:
  hosts: [web.example.com]
  gateways: [gw]
  http:
  - name: old
    match: [{uri: {prefix: /old/}}]
    redirect: {uri: /new, redirectCode: 308}
  - name: hello
    match: [{uri: {exact: /hello}}]
    directResponse: {status: 200, body: {string: hi}}
  - name: api
    match: [{uri: {prefix: /api/}, headers: {x-v: {exact: "2"}}}]
    rewrite: {uri: /v2/}
    route: [{destination: {host: api.default.svc.cluster.local, port: {number: 8080}}}]
)";

}  // namespace

TEST_CASE("parseRequestLine reads method, scheme, host, port and path", "[sim]") {
  auto r = sim::parseRequestLine("POST https://shop.example.com:8443/cart?x=1");
  REQUIRE(r.hasValue());
  CHECK(r->http.method == "POST");
  CHECK(r->http.scheme == "https");
  CHECK(r->port == 8443);
  CHECK(r->http.authority == "shop.example.com:8443");
  CHECK(r->http.path == "/cart?x=1");
  CHECK(sim::parseRequestLine("http://a/")->http.method == "GET");
  CHECK_FALSE(sim::parseRequestLine("GET shop.example.com/cart").hasValue());
  CHECK_FALSE(sim::parseRequestLine("GET ftp://a/").hasValue());
  CHECK_FALSE(sim::parseRequestLine("GET http://a:99999/").hasValue());
  CHECK_FALSE(sim::parseRequestLine("get http://a/").hasValue());
  CHECK_FALSE(sim::parseRequestLine("tcp://db").hasValue());
}

TEST_CASE("gateway: redirect keeps the query and uses the configured code", "[sim]") {
  auto s = simulatorFor(kGateway, ingress());
  sim::SimResult r = s->run(get("http://web.example.com/old/page?q=1"));
  CHECK(r.outcome == Outcome::kRedirect);
  CHECK(r.redirect_status == 308);
  CHECK(r.redirect_location == "http://web.example.com/new?q=1");
}

TEST_CASE("gateway: direct response carries status and body", "[sim]") {
  auto s = simulatorFor(kGateway, ingress());
  sim::SimResult r = s->run(get("http://web.example.com/hello"));
  CHECK(r.outcome == Outcome::kDirectResponse);
  CHECK(r.status == 200);
  CHECK(r.direct_body == "hi");
}

TEST_CASE("gateway: prefix rewrite replaces only the matched prefix", "[sim]") {
  auto s = simulatorFor(kGateway, ingress());
  sim::SimRequest req = get("http://web.example.com/api/items?id=3");
  req.http.headers.emplace_back("X-V", "2");
  sim::SimResult r = s->run(req);
  CHECK(r.outcome == Outcome::kRoute);
  CHECK(r.cluster == "outbound|8080||api.default.svc.cluster.local");
  CHECK(r.rewritten_path == "/v2/items?id=3");
}

TEST_CASE("gateway: a failed header condition falls through to 404 with an explanation", "[sim]") {
  auto s = simulatorFor(kGateway, ingress());
  sim::SimResult r = s->run(get("http://web.example.com/api/items"));
  CHECK(r.outcome == Outcome::kNoRoute);
  CHECK(r.status == 404);
  bool explained = false;
  for (const std::string& t : r.trace) {
    explained = explained || t.find("header x-v must be exact \"2\", found none") != std::string::npos;
  }
  CHECK(explained);
}

TEST_CASE("gateway: a host outside the server hosts gets no virtual host (404)", "[sim]") {
  auto s = simulatorFor(kGateway, ingress());
  sim::SimResult r = s->run(get("http://web.other.org/hello"));
  CHECK(r.outcome == Outcome::kNoRoute);
  CHECK(r.virtual_host.empty());
}

TEST_CASE("gateway: nothing listens on an unconfigured port", "[sim]") {
  auto s = simulatorFor(kGateway, ingress());
  sim::SimResult r = s->run(get("http://web.example.com:9999/hello"));
  CHECK(r.outcome == Outcome::kNoListener);
}

TEST_CASE("gateway: TLS to a plaintext HTTP server finds no filter chain", "[sim]") {
  auto s = simulatorFor(kGateway, ingress());
  sim::SimRequest req = get("https://web.example.com:80/hello");
  sim::SimResult r = s->run(req);
  CHECK(r.outcome == Outcome::kNoFilterChain);
}

TEST_CASE("both engines agree on every request of a whole gateway", "[sim]") {
  auto s = simulatorFor(kGateway, ingress());
  for (const char* url : {"http://web.example.com/old/x", "http://web.example.com/hello",
                          "http://web.example.com/hello/", "http://WEB.example.com/api/x",
                          "http://web.example.com/", "http://x.example.com/hello"}) {
    for (const char* v : {"", "2", "3"}) {
      sim::SimRequest req = get(url);
      if (*v != '\0') {
        req.http.headers.emplace_back("x-v", v);
      }
      sim::SimResult a = s->run(req, sim::EngineKind::kReference);
      sim::SimResult b = s->run(req, sim::EngineKind::kInterpreter);
      INFO(url << " x-v=" << v);
      CHECK(a.outcome == b.outcome);
      CHECK(a.route == b.route);
      CHECK(a.cluster == b.cluster);
    }
  }
}
