// Istio's protocol names and classes, one table for validation and lowering alike.
// Entry point: parseProtocol().
#include "frontend/istio/protocol.h"

#include <array>

#include "base/ascii.h"

namespace meshc::istio {

namespace {

struct ProtocolName {
  Protocol protocol;
  std::string_view istio;  // protocol.Instance's spelling
  std::string_view upper;
};

constexpr std::array<ProtocolName, 12> kProtocols = {{
    {Protocol::kTcp, "TCP", "TCP"},
    {Protocol::kUdp, "UDP", "UDP"},
    {Protocol::kGrpc, "GRPC", "GRPC"},
    {Protocol::kGrpcWeb, "GRPC-Web", "GRPC-WEB"},
    {Protocol::kHttp, "HTTP", "HTTP"},
    {Protocol::kHttpProxy, "HTTP_PROXY", "HTTP_PROXY"},
    {Protocol::kHttp2, "HTTP2", "HTTP2"},
    {Protocol::kHttps, "HTTPS", "HTTPS"},
    {Protocol::kTls, "TLS", "TLS"},
    {Protocol::kMongo, "Mongo", "MONGO"},
    {Protocol::kRedis, "Redis", "REDIS"},
    {Protocol::kMysql, "MySQL", "MYSQL"},
}};

const ProtocolName& entry(Protocol p) {
  for (const ProtocolName& e : kProtocols) {
    if (e.protocol == p) {
      return e;
    }
  }
  return kProtocols[0];  // unreachable: every enumerator is in the table
}

}  // namespace

std::optional<Protocol> parseProtocol(std::string_view name) {
  for (const ProtocolName& e : kProtocols) {
    if (ascii::equalsIgnoreCase(name, e.upper)) {
      return e.protocol;
    }
  }
  return std::nullopt;
}

std::string_view istioName(Protocol p) { return entry(p).istio; }

std::string_view upperName(Protocol p) { return entry(p).upper; }

bool isHttpProtocol(Protocol p) {
  return p == Protocol::kHttp || p == Protocol::kHttp2 || p == Protocol::kHttpProxy ||
         p == Protocol::kGrpc || p == Protocol::kGrpcWeb;
}

bool isTlsProtocol(Protocol p) { return p == Protocol::kHttps || p == Protocol::kTls; }

bool isTcpProtocol(Protocol p) {
  return p == Protocol::kTcp || p == Protocol::kHttps || p == Protocol::kTls ||
         p == Protocol::kMongo || p == Protocol::kRedis || p == Protocol::kMysql;
}

bool isHttpProtocol(std::string_view name) {
  std::optional<Protocol> p = parseProtocol(name);
  return p && isHttpProtocol(*p);
}

bool isTlsProtocol(std::string_view name) {
  std::optional<Protocol> p = parseProtocol(name);
  return p && isTlsProtocol(*p);
}

bool isTcpProtocol(std::string_view name) {
  std::optional<Protocol> p = parseProtocol(name);
  return p && isTcpProtocol(*p);
}

}  // namespace meshc::istio
