// The request hash a consistent-hash route computes (PROXY-SEMANTICS R5.5, R5.6).
// Entry point: computeRequestHash().
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "http/header_map.h"
#include "xds/proxy_config.h"

namespace meshc::upstream {

/// Envoy's hash of a string (xxHash64, seed 0).
uint64_t hashString(std::string_view value);

struct HashInputs {
  const http::ProxyRequest* request = nullptr;  // headers after route header ops (R5.6)
  std::string_view query;                       // the undecoded query string
  std::string_view downstream_remote_ip;        // for use_source_ip
  std::string_view downstream_remote_address;   // "ip:port" (cookie generation)
  std::string_view downstream_local_address;    // "ip:port" (cookie generation)
};

struct HashResult {
  std::optional<uint64_t> hash;  // nullopt: no policy produced one (random host, R5.5)
  /// Non-empty when a cookie had to be generated: the whole `set-cookie` value to add to the
  /// response (R5.5: name="value"; Max-Age=N; Path=p; HttpOnly).
  std::string set_cookie;
};

/// Evaluates the route's hash policies in order and combines every value produced as Envoy's
/// HashPolicyImpl::generateHash does: hash = rotl(hash, 1) ^ value (the first value as is). None
/// is `terminal` (Istio never sets it; Istio emits one policy per route anyway). A policy whose
/// input is missing contributes nothing; when none contributes, `hash` is nullopt. Only the first
/// generated cookie is reported in `set_cookie`.
HashResult computeRequestHash(const std::vector<xds::HashPolicy>& policies,
                              const HashInputs& inputs);

}  // namespace meshc::upstream
