// computeRequestHash(): the request hash of a consistent-hash route, input by input as Envoy's
// source/common/http/hash_policy.cc computes it (PROXY-SEMANTICS R5.5, R5.6).
#include "upstream/hash_policy.h"

#include <xxhash.h>

#include <algorithm>

#include "base/ascii.h"

namespace meshc::upstream {

uint64_t hashString(std::string_view value) { return XXH64(value.data(), value.size(), 0); }

namespace {

// HeaderHashMethod. Pseudo headers come from the request line. Repeats of a name Envoy keeps
// inline were joined with ',' by Envoy's codec, so they hash as that one value; other repeats
// are separate entries, which Envoy sorts and hashes as one stream (their concatenation) so the
// order of the lines does not matter.
std::optional<uint64_t> headerHash(const http::ProxyRequest& request, std::string_view name) {
  const std::string lower = ascii::toLower(name);
  if (lower == ":authority") {
    return hashString(request.authority);
  }
  if (lower == ":path") {
    return hashString(request.path);
  }
  if (lower == ":method") {
    return hashString(request.method);
  }
  if (lower == ":scheme") {
    return hashString(request.scheme);
  }
  const http::HeaderMap& headers = request.headers;
  if (!headers.has(lower)) {
    return std::nullopt;
  }
  if (headers.isInline(lower)) {
    return hashString(headers.joined(lower));
  }
  std::vector<std::string_view> values;
  for (const http::Header& h : headers.entries()) {
    if (h.name == lower) {
      values.push_back(h.value);
    }
  }
  std::sort(values.begin(), values.end());
  std::string all;
  for (std::string_view v : values) {
    all.append(v);
  }
  return hashString(all);
}

// Utility::parseCookieValue: every `cookie` line, split on ';' (empty pieces dropped); a piece
// without '=' is skipped; the name starts after leading spaces and ends at the first '='; the
// value is the rest, without surrounding double quotes. The first piece with the name wins.
std::string cookieValue(const http::HeaderMap& headers, std::string_view name) {
  for (const http::Header& h : headers.entries()) {
    if (h.name != "cookie") {
      continue;
    }
    std::string_view rest = h.value;
    while (!rest.empty()) {
      const size_t semi = rest.find(';');
      const std::string_view piece = rest.substr(0, semi);
      rest = semi == std::string_view::npos ? std::string_view() : rest.substr(semi + 1);
      const size_t eq = piece.find('=');
      if (piece.empty() || eq == std::string_view::npos) {
        continue;
      }
      const size_t start = std::min(piece.find_first_not_of(' '), eq);
      if (piece.substr(start, eq - start) != name) {
        continue;
      }
      std::string_view value = piece.substr(eq + 1);
      if (value.size() >= 2 && value.front() == '"' && value.back() == '"') {
        value = value.substr(1, value.size() - 2);
      }
      return std::string(value);
    }
  }
  return {};
}

// Hex::uint64ToHex: 16 lower-case digits, most significant first.
std::string hex16(uint64_t v) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out(16, '0');
  for (int i = 15; i >= 0; --i) {
    out[i] = kDigits[v & 0xf];
    v >>= 4;
  }
  return out;
}

// Utility::makeSetCookieValue with httponly = true.
std::string setCookieValue(const xds::HashPolicy& policy, std::string_view value,
                           int64_t ttl_seconds) {
  std::string out = policy.cookie_name + "=\"" + std::string(value) + "\"";
  if (ttl_seconds != 0) {
    out += "; Max-Age=" + std::to_string(ttl_seconds);
  }
  if (!policy.cookie_path.empty()) {
    out += "; Path=" + policy.cookie_path;
  }
  for (const auto& [name, attr_value] : policy.cookie_attributes) {
    out += "; " + name;
    if (!attr_value.empty()) {
      out += "=" + attr_value;
    }
  }
  out += "; HttpOnly";
  return out;
}

// CookieHashMethod. A missing (or empty) cookie with a TTL is generated: the hex xxHash64 of
// the downstream remote then local address (ThreadAwareLoadBalancerBase generateCookie), set on
// the response; without the addresses Envoy generates nothing and hashes the empty value.
std::optional<uint64_t> cookieHash(const xds::HashPolicy& policy, const HashInputs& inputs,
                                   std::string& set_cookie) {
  std::string value = cookieValue(inputs.request->headers, policy.cookie_name);
  if (!value.empty()) {
    return hashString(value);
  }
  if (!policy.cookie_ttl_ns) {
    return std::nullopt;
  }
  if (!inputs.downstream_remote_address.empty() && !inputs.downstream_local_address.empty()) {
    std::string addresses(inputs.downstream_remote_address);
    addresses += inputs.downstream_local_address;
    value = hex16(hashString(addresses));
    if (set_cookie.empty()) {
      // The API's ttl is a Duration; Envoy keeps its whole seconds.
      set_cookie = setCookieValue(policy, value, *policy.cookie_ttl_ns / 1'000'000'000);
    }
  }
  return hashString(value);
}

// QueryParameterHashMethod: QueryParamsMulti::parseQueryString, undecoded; a parameter without
// '=' has the empty value; the first occurrence of the name counts.
std::optional<uint64_t> queryHash(std::string_view query, std::string_view name) {
  while (!query.empty()) {
    const size_t amp = query.find('&');
    const std::string_view param = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view() : query.substr(amp + 1);
    const size_t eq = param.find('=');
    const std::string_view param_name = param.substr(0, eq);
    if (param_name == name) {
      return hashString(eq == std::string_view::npos ? std::string_view() : param.substr(eq + 1));
    }
  }
  return std::nullopt;
}

}  // namespace

HashResult computeRequestHash(const std::vector<xds::HashPolicy>& policies,
                              const HashInputs& inputs) {
  HashResult result;
  for (const xds::HashPolicy& policy : policies) {
    std::optional<uint64_t> value;
    if (!policy.header_name.empty()) {
      if (inputs.request != nullptr) {
        value = headerHash(*inputs.request, policy.header_name);
      }
    } else if (!policy.cookie_name.empty()) {
      if (inputs.request != nullptr) {
        value = cookieHash(policy, inputs, result.set_cookie);
      }
    } else if (policy.source_ip) {
      // IpHashMethod: the address without port, as Envoy prints it (no brackets for IPv6).
      if (!inputs.downstream_remote_ip.empty()) {
        value = hashString(inputs.downstream_remote_ip);
      }
    } else if (!policy.query_parameter_name.empty()) {
      value = queryHash(inputs.query, policy.query_parameter_name);
    }
    if (value) {
      // The rotation keeps two equal inputs from cancelling out to zero.
      const uint64_t old = result.hash ? (*result.hash << 1) | (*result.hash >> 63) : 0;
      result.hash = old ^ *value;
    }
  }
  return result;
}

}  // namespace meshc::upstream
