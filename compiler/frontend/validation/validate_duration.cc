// Durations in Go's time.ParseDuration syntax, as Istio's YAML conversion accepts them (rule #14
// of ISTIO-VALIDATION.md A.2). Entry points: parseDuration(), checkDuration().
#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <string_view>

#include "base/quote.h"
#include "frontend/validation/validate_common.h"

namespace meshc::frontend::validation {

// Follows Go's time.ParseDuration: [-+]?([0-9]*(\.[0-9]*)?[a-z]+)+ or "0", integer arithmetic,
// overflow beyond int64 nanoseconds is an error.
std::optional<int64_t> parseDuration(std::string_view s) {
  constexpr uint64_t kLimit = uint64_t{1} << 63;
  bool neg = false;
  if (!s.empty() && (s[0] == '-' || s[0] == '+')) {
    neg = s[0] == '-';
    s.remove_prefix(1);
  }
  if (s == "0") {
    return 0;
  }
  if (s.empty()) {
    return std::nullopt;
  }
  uint64_t total = 0;
  while (!s.empty()) {
    if (!(s[0] == '.' || (s[0] >= '0' && s[0] <= '9'))) {
      return std::nullopt;
    }
    uint64_t v = 0;
    size_t i = 0;
    for (; i < s.size() && s[i] >= '0' && s[i] <= '9'; ++i) {
      if (v > (kLimit - 1) / 10) {
        return std::nullopt;
      }
      v = v * 10 + static_cast<uint64_t>(s[i] - '0');
      if (v > kLimit) {
        return std::nullopt;
      }
    }
    bool pre = i > 0;
    s.remove_prefix(i);
    uint64_t frac = 0;
    double scale = 1;
    bool post = false;
    if (!s.empty() && s[0] == '.') {
      s.remove_prefix(1);
      size_t j = 0;
      bool overflow = false;
      for (; j < s.size() && s[j] >= '0' && s[j] <= '9'; ++j) {
        if (overflow) {
          continue;
        }
        if (frac > (std::numeric_limits<int64_t>::max() - 9) / 10) {
          overflow = true;  // Go stops accumulating but keeps consuming digits
          continue;
        }
        frac = frac * 10 + static_cast<uint64_t>(s[j] - '0');
        scale *= 10;
      }
      post = j > 0;
      s.remove_prefix(j);
    }
    if (!pre && !post) {
      return std::nullopt;
    }
    size_t u = 0;
    while (u < s.size() && s[u] != '.' && !(s[u] >= '0' && s[u] <= '9')) {
      ++u;
    }
    if (u == 0) {
      return std::nullopt;
    }
    std::string_view unit_text = s.substr(0, u);
    s.remove_prefix(u);
    uint64_t unit = 0;
    if (unit_text == "ns") {
      unit = 1;
    } else if (unit_text == "us" || unit_text == "\xC2\xB5s" || unit_text == "\xCE\xBCs") {
      unit = 1000;
    } else if (unit_text == "ms") {
      unit = 1000000;
    } else if (unit_text == "s") {
      unit = 1000000000;
    } else if (unit_text == "m") {
      unit = 60ull * 1000000000;
    } else if (unit_text == "h") {
      unit = 3600ull * 1000000000;
    } else {
      return std::nullopt;
    }
    if (v > kLimit / unit) {
      return std::nullopt;
    }
    v *= unit;
    if (frac > 0) {
      v += static_cast<uint64_t>(static_cast<double>(frac) * (static_cast<double>(unit) / scale));
      if (v > kLimit) {
        return std::nullopt;
      }
    }
    total += v;
    if (total > kLimit) {
      return std::nullopt;
    }
  }
  if (neg) {
    return total == kLimit ? std::numeric_limits<int64_t>::min() : -static_cast<int64_t>(total);
  }
  if (total > kLimit - 1) {
    return std::nullopt;
  }
  return static_cast<int64_t>(total);
}

std::string checkDuration(std::string_view text) {
  std::optional<int64_t> ns = parseDuration(text);
  if (!ns) {
    return "invalid duration " + quote(text) + "; expected a duration such as \"1.5s\", \"100ms\"" +
           " or \"1m30s\"";
  }
  constexpr int64_t kMillisecond = 1000000;
  if (*ns < kMillisecond) {
    return "duration " + quote(text) + " is shorter than the minimum of 1ms";
  }
  if (*ns % kMillisecond != 0) {
    return "duration " + quote(text) +
           " has sub-millisecond precision; only durations to ms precision are supported";
  }
  return "";
}

}  // namespace meshc::frontend::validation
