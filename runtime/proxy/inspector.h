// The listener filters: what a connection's first bytes say before a filter chain is chosen
// (ISTIO-SEMANTICS §8.2 step 2; PROXY-SEMANTICS R14.2, R14.8). The TLS inspector reads the
// ClientHello's SNI and ALPN (OpenSSL parses it; nothing is answered); the HTTP inspector tells
// a plaintext HTTP/1.x request line (or the HTTP/2 preface) from other bytes. Pure functions
// over the bytes peeked so far, so they are unit-tested and fuzzed without sockets.
// Entry points: inspectTls(), inspectHttp().
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace meshc::proxy {

/// Bytes the inspectors look at, at most (Envoy's TLS inspector gives up on a larger
/// ClientHello; the HTTP inspector on a longer request line).
inline constexpr size_t kMaxInspectedBytes = 16 * 1024;

enum class Inspected {
  kNeedMore,  // the bytes so far are a valid beginning: wait for more
  kYes,       // TLS ClientHello (or HTTP request line) complete
  kNo,        // not TLS (not HTTP): transport raw_buffer, no ALPN
};

struct ClientHelloInfo {
  std::string sni;                // server_name host_name, "" when none was sent
  std::vector<std::string> alpn;  // in the client's order
};

/// The TLS inspector on `bytes` (the connection's first bytes). kYes fills `info`.
Inspected inspectTls(std::string_view bytes, ClientHelloInfo* info);

/// The HTTP inspector on `bytes`: kYes with `alpn` "http/1.1", "http/1.0" or "h2c" (the
/// HTTP/2 prior-knowledge preface).
Inspected inspectHttp(std::string_view bytes, std::string* alpn);

}  // namespace meshc::proxy
