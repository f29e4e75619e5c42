// IP addresses, CIDR blocks and unix socket paths (rules #15, #16, #22 of ISTIO-VALIDATION.md
// A.2). Entry points: isIpAddress(), isIpOrCidr(), checkUnixAddress().
#include <arpa/inet.h>

#include <algorithm>
#include <string>
#include <string_view>

#include "base/quote.h"
#include "frontend/validation/validate_common.h"

namespace meshc::frontend::validation {

// Go's netip.ParseAddr: dotted-quad IPv4 without leading zeros, or IPv6 (optionally with a
// non-empty %zone). inet_pton implements the same grammar for both families.
bool isIpAddress(std::string_view s) {
  if (s.empty() || s.size() > 128) {
    return false;
  }
  std::string text(s);
  unsigned char buf[16];
  if (text.find(':') == std::string::npos) {
    return inet_pton(AF_INET, text.c_str(), buf) == 1;
  }
  size_t zone = text.find('%');
  if (zone != std::string::npos) {
    if (zone + 1 == text.size()) {
      return false;
    }
    text.resize(zone);
  }
  return inet_pton(AF_INET6, text.c_str(), buf) == 1;
}

bool isIpOrCidr(std::string_view s) {
  size_t slashes = std::count(s.begin(), s.end(), '/');
  if (slashes != 1) {
    return isIpAddress(s);
  }
  size_t slash = s.find('/');
  std::string_view addr = s.substr(0, slash);
  std::string_view bits = s.substr(slash + 1);
  // netip.ParsePrefix refuses zones and non-canonical bit counts ("08", "+8").
  if (addr.find('%') != std::string_view::npos || !isIpAddress(addr) || bits.empty() ||
      bits.size() > 3 || (bits.size() > 1 && bits[0] == '0')) {
    return false;
  }
  int n = 0;
  for (char c : bits) {
    if (c < '0' || c > '9') {
      return false;
    }
    n = n * 10 + (c - '0');
  }
  bool v6 = addr.find(':') != std::string_view::npos;
  return n <= (v6 ? 128 : 32);
}

std::string checkUnixAddress(std::string_view path) {
  if (path.empty()) {
    return "unix address must not be empty";
  }
  if (path.starts_with("@")) {
    return "";  // abstract socket
  }
  if (!path.starts_with("/") || path.ends_with("/")) {
    return quote(path) + " is not an absolute path to a file";
  }
  return "";
}

}  // namespace meshc::frontend::validation
