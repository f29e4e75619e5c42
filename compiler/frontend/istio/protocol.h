// Istio's protocol vocabulary (istio:pkg/config/protocol): a port's protocol name parsed
// case-insensitively and classified. Entry points: parseProtocol(), isHttpProtocol().
#pragma once

#include <optional>
#include <string_view>

namespace meshc::istio {

/// protocol.Instance, without Unsupported (that is parseProtocol's nullopt).
enum class Protocol {
  kTcp,
  kUdp,
  kGrpc,
  kGrpcWeb,
  kHttp,
  kHttpProxy,
  kHttp2,
  kHttps,
  kTls,
  kMongo,
  kRedis,
  kMysql,
};

/// protocol.Parse: case-insensitive; nullopt for an unknown or empty name (Istio's
/// "UnsupportedProtocol", which for a port means sniffing).
std::optional<Protocol> parseProtocol(std::string_view name);

/// Istio's own spelling of the protocol (protocol.Instance's string): "GRPC-Web", "Mongo",
/// "MySQL", "Redis"; the rest upper case.
std::string_view istioName(Protocol p);

/// The upper-case name ("GRPC-WEB", "MONGO", "MYSQL", "REDIS", ...), as the lowered config keys
/// ports by.
std::string_view upperName(Protocol p);

/// IsHTTP: HTTP, HTTP2, HTTP_PROXY, GRPC, GRPC-WEB.
bool isHttpProtocol(Protocol p);
/// IsTLS: HTTPS, TLS.
bool isTlsProtocol(Protocol p);
/// IsTCP: TCP, HTTPS, TLS, MONGO, REDIS, MYSQL.
bool isTcpProtocol(Protocol p);

/// The same classes for a protocol name (any case); false for unknown and empty names.
bool isHttpProtocol(std::string_view name);
bool isTlsProtocol(std::string_view name);
bool isTcpProtocol(std::string_view name);

}  // namespace meshc::istio
