// Listener and filter-chain selection shared by `meshc simulate` and meshproxy
// (ISTIO-SEMANTICS §8.2 steps 1 and 3; PROXY-SEMANTICS R14.2, R14.8, R15.1).
#include <catch2/catch.hpp>

#include "xds/listener_match.h"

using namespace meshc;

namespace {

xds::FilterChain chain(std::string name, std::vector<std::string> server_names = {}) {
  xds::FilterChain c;
  c.name = std::move(name);
  c.match.server_names = std::move(server_names);
  return c;
}

std::string chosen(const xds::Listener& l, std::string_view sni, bool tls = true) {
  xds::ConnectionFacts f;
  f.destination_port = 443;
  f.tls = tls;
  f.sni = sni;
  xds::FilterChainChoice c = xds::selectFilterChain(l, f);
  return c.chain == nullptr ? "(none)" : c.chain->name;
}

}  // namespace

TEST_CASE("R14.2: SNI picks the exact name, then the longest wildcard suffix, then no names",
          "[xds][listener-match]") {
  xds::Listener l;
  l.filter_chains = {chain("wild-com", {"*.com"}), chain("wild-b", {"*.b.example.com"}),
                     chain("exact", {"a.b.example.com"}), chain("wild-example", {"*.example.com"})};
  CHECK(chosen(l, "a.b.example.com") == "exact");
  CHECK(chosen(l, "x.b.example.com") == "wild-b");
  CHECK(chosen(l, "c.example.com") == "wild-example");
  CHECK(chosen(l, "deep.c.example.com") == "wild-example");  // a wildcard spans labels
  CHECK(chosen(l, "example.org.com") == "wild-com");
  // "*.example.com" does not match "example.com" itself; nothing else does either.
  CHECK(chosen(l, "example.com") == "wild-com");
  CHECK(chosen(l, "example.org") == "(none)");
  CHECK(chosen(l, "") == "(none)");  // no SNI while every chain lists names: closed
  l.filter_chains.push_back(chain("any"));
  CHECK(chosen(l, "") == "any");
  CHECK(chosen(l, "example.org") == "any");
  CHECK(chosen(l, "a.b.example.com") == "exact");
}

TEST_CASE("filter chains: destination port, longest prefix, transport and ALPN sieve in order",
          "[xds][listener-match]") {
  xds::Listener l;
  xds::FilterChain port_chain = chain("port-9080");
  port_chain.match.destination_port = 9080;
  xds::FilterChain wide = chain("wide");
  wide.match.prefix_ranges = {"10.0.0.0/8"};
  xds::FilterChain narrow = chain("narrow");
  narrow.match.prefix_ranges = {"10.1.0.0/16", "192.168.0.0/16"};
  xds::FilterChain v6 = chain("v6");
  v6.match.prefix_ranges = {"fd00::/8"};
  l.filter_chains = {port_chain, wide, narrow, v6};
  xds::ConnectionFacts f;
  f.destination_port = 9080;
  f.destination_address = "10.1.2.3";
  CHECK(xds::selectFilterChain(l, f).chain->name == "port-9080");  // port first
  f.destination_port = 80;
  CHECK(xds::selectFilterChain(l, f).chain->name == "narrow");
  f.destination_address = "10.9.2.3";
  CHECK(xds::selectFilterChain(l, f).chain->name == "wide");
  f.destination_address = "fd12::1";
  CHECK(xds::selectFilterChain(l, f).chain->name == "v6");
  f.destination_address = "172.16.0.1";
  CHECK(xds::selectFilterChain(l, f).chain == nullptr);
  l.default_filter_chain = chain("PassthroughFilterChain");
  xds::FilterChainChoice d = xds::selectFilterChain(l, f);
  CHECK(d.is_default);
  CHECK(d.chain->name == "PassthroughFilterChain");

  xds::Listener t;
  xds::FilterChain tls = chain("tls");
  tls.match.transport_protocol = "tls";
  xds::FilterChain http = chain("http");
  http.match.application_protocols = {"http/1.0", "http/1.1", "h2c"};
  t.filter_chains = {tls, http};
  t.default_filter_chain = chain("passthrough");
  xds::ConnectionFacts g;
  g.tls = true;
  CHECK(xds::selectFilterChain(t, g).chain->name == "tls");
  g.tls = false;
  g.alpn = {"http/1.1"};  // the HTTP inspector's guess
  CHECK(xds::selectFilterChain(t, g).chain->name == "http");
  g.alpn = {"spdy/3", "h2c"};  // any offered protocol
  CHECK(xds::selectFilterChain(t, g).chain->name == "http");
  g.alpn.clear();
  CHECK(xds::selectFilterChain(t, g).chain->name == "passthrough");
}

TEST_CASE("filter chains: a tie is reported as ambiguous and the first is taken",
          "[xds][listener-match]") {
  xds::Listener l;
  l.filter_chains = {chain("first", {"a.example"}), chain("second", {"a.example"})};
  xds::ConnectionFacts f;
  f.sni = "a.example";
  xds::FilterChainChoice c = xds::selectFilterChain(l, f);
  CHECK(c.ambiguous);
  CHECK(c.chain->name == "first");
}

TEST_CASE("cidrMatch: IPv4 and IPv6 prefixes, bare addresses, bad input never matches",
          "[xds][listener-match]") {
  CHECK(xds::cidrMatch("10.0.0.0/8", "10.255.1.1") == 8);
  CHECK(xds::cidrMatch("10.0.0.0/8", "11.0.0.1") == -1);
  CHECK(xds::cidrMatch("0.0.0.0/0", "203.0.113.9") == 0);
  CHECK(xds::cidrMatch("10.1.2.3", "10.1.2.3") == 32);
  CHECK(xds::cidrMatch("10.1.2.3/32", "10.1.2.4") == -1);
  CHECK(xds::cidrMatch("fd00::/8", "fdff::1") == 8);
  CHECK(xds::cidrMatch("fd00::/8", "fe00::1") == -1);
  CHECK(xds::cidrMatch("2001:db8::/32", "2001:db8:1::5") == 32);
  CHECK(xds::cidrMatch("10.0.0.0/8", "fd00::1") == -1);  // families never mix
  CHECK(xds::cidrMatch("10.0.0.0/33", "10.0.0.1") == -1);
  CHECK(xds::cidrMatch("10.0.0.0/x", "10.0.0.1") == -1);
  CHECK(xds::cidrMatch("banana/8", "10.0.0.1") == -1);
  CHECK(xds::cidrMatch("10.0.0.0/8", "") == -1);
}

TEST_CASE("selectListener: exact address, wildcard, gateway server port, original destination",
          "[xds][listener-match]") {
  xds::ProxyConfig sidecar;
  xds::Listener vip;
  vip.name = "10.96.0.20_5432";
  vip.address = "10.96.0.20";
  vip.port = 5432;
  xds::Listener wildcard;
  wildcard.name = "0.0.0.0_9080";
  wildcard.address = "0.0.0.0";
  wildcard.port = 9080;
  xds::Listener outbound;
  outbound.name = "virtualOutbound";
  outbound.address = "0.0.0.0";
  outbound.port = 15001;
  outbound.use_original_dst = true;
  sidecar.listeners = {outbound, vip, wildcard};
  CHECK(xds::selectListener(sidecar, "10.96.0.20", 5432)->name == "10.96.0.20_5432");
  CHECK(xds::selectListener(sidecar, "10.96.0.21", 9080)->name == "0.0.0.0_9080");
  CHECK(xds::selectListener(sidecar, "10.96.0.21", 5432)->name == "virtualOutbound");
  CHECK(xds::selectListener(sidecar, "", 1234)->name == "virtualOutbound");

  xds::ProxyConfig gateway;
  gateway.proxy.kind = xds::ProxyIdentity::Kind::kGateway;
  xds::Listener translated;  // server port 80 bound on its Service's targetPort 8080
  translated.name = "0.0.0.0_8080";
  translated.address = "0.0.0.0";
  translated.port = 8080;
  translated.server_port = 80;
  gateway.listeners = {translated};
  CHECK(xds::selectListener(gateway, "10.0.0.1", 8080)->name == "0.0.0.0_8080");
  CHECK(xds::selectListener(gateway, "10.0.0.1", 80)->name == "0.0.0.0_8080");
  CHECK(xds::selectListener(gateway, "10.0.0.1", 81) == nullptr);
}
