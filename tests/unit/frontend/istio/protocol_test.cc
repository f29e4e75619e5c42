// Table test of Istio's protocol vocabulary (frontend/istio/protocol.h, istio:pkg/config/protocol).
#include "frontend/istio/protocol.h"

#include <catch2/catch.hpp>
#include <optional>
#include <string_view>

#include "lower/service_registry.h"

namespace {

using meshc::istio::Protocol;
namespace istio = meshc::istio;

struct Row {
  std::string_view name;  // as written in a port's protocol field
  std::optional<Protocol> protocol;
  std::string_view istio_name;
  std::string_view upper;
  bool http;
  bool tls;
  bool tcp;
};

// clang-format off
constexpr Row kRows[] = {
    {"HTTP",       Protocol::kHttp,      "HTTP",       "HTTP",       true,  false, false},
    {"http",       Protocol::kHttp,      "HTTP",       "HTTP",       true,  false, false},
    {"Http2",      Protocol::kHttp2,     "HTTP2",      "HTTP2",      true,  false, false},
    {"grpc",       Protocol::kGrpc,      "GRPC",       "GRPC",       true,  false, false},
    {"grpc-web",   Protocol::kGrpcWeb,   "GRPC-Web",   "GRPC-WEB",   true,  false, false},
    {"HTTP_PROXY", Protocol::kHttpProxy, "HTTP_PROXY", "HTTP_PROXY", true,  false, false},
    {"https",      Protocol::kHttps,     "HTTPS",      "HTTPS",      false, true,  true},
    {"TLS",        Protocol::kTls,       "TLS",        "TLS",        false, true,  true},
    {"tcp",        Protocol::kTcp,       "TCP",        "TCP",        false, false, true},
    {"MONGO",      Protocol::kMongo,     "Mongo",      "MONGO",      false, false, true},
    {"redis",      Protocol::kRedis,     "Redis",      "REDIS",      false, false, true},
    {"MySQL",      Protocol::kMysql,     "MySQL",      "MYSQL",      false, false, true},
    {"udp",        Protocol::kUdp,       "UDP",        "UDP",        false, false, false},
    {"",           std::nullopt,         "",           "",           false, false, false},
    {"h2c",        std::nullopt,         "",           "",           false, false, false},
    {"http-web",   std::nullopt,         "",           "",           false, false, false},
    {"grpc_web",   std::nullopt,         "",           "",           false, false, false},
    {"UnsupportedProtocol", std::nullopt, "",          "",           false, false, false},
};
// clang-format on

TEST_CASE("protocol names parse case-insensitively into Istio's classes", "[istio][protocol]") {
  for (const Row& row : kRows) {
    INFO("protocol name: \"" << row.name << "\"");
    std::optional<Protocol> p = istio::parseProtocol(row.name);
    REQUIRE(p == row.protocol);
    CHECK(istio::isHttpProtocol(row.name) == row.http);
    CHECK(istio::isTlsProtocol(row.name) == row.tls);
    CHECK(istio::isTcpProtocol(row.name) == row.tcp);
    if (p) {
      CHECK(istio::istioName(*p) == row.istio_name);
      CHECK(istio::upperName(*p) == row.upper);
      CHECK(istio::isHttpProtocol(*p) == row.http);
      CHECK(istio::isTlsProtocol(*p) == row.tls);
      CHECK(istio::isTcpProtocol(*p) == row.tcp);
    }
  }
}

TEST_CASE("lowering's port protocol kinds follow Istio's protocol classes", "[istio][protocol]") {
  using meshc::lower::PortProtocolKind;
  using meshc::lower::protocolKind;
  CHECK(protocolKind("grpc-web") == PortProtocolKind::kHttp);
  CHECK(protocolKind("HTTP_PROXY") == PortProtocolKind::kHttp);
  CHECK(protocolKind("https") == PortProtocolKind::kTls);
  CHECK(protocolKind("TLS") == PortProtocolKind::kTls);
  CHECK(protocolKind("mysql") == PortProtocolKind::kTcp);
  CHECK(protocolKind("REDIS") == PortProtocolKind::kTcp);
  CHECK(protocolKind("UDP") == PortProtocolKind::kUdp);
  CHECK(protocolKind("") == PortProtocolKind::kSniffed);
  CHECK(protocolKind("thrift") == PortProtocolKind::kSniffed);
  CHECK(meshc::lower::parseProtocolName("Grpc-Web") == "GRPC-WEB");
  CHECK(meshc::lower::parseProtocolName("mongo") == "MONGO");
  CHECK(meshc::lower::parseProtocolName("thrift").empty());
}

}  // namespace
