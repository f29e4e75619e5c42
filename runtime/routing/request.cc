// RequestView: the normalised request that every evaluator matches against, and
// canonicalizePath(), the path normalisation Envoy applies before routing (R1.13).
#include "routing/request.h"

#include <algorithm>
#include <cstdint>
#include <optional>

#include "base/ascii.h"

namespace meshc::ir {

size_t portStart(std::string_view host) {
  const size_t colon = host.rfind(':');
  if (colon == std::string_view::npos) {
    return std::string_view::npos;
  }
  const size_t close = host.rfind(']');
  if (close != std::string_view::npos && close > colon) {
    return std::string_view::npos;
  }
  return colon;
}

namespace {

// How Chromium's path canonicaliser (the one Envoy's normalize_path runs, R1.13) treats a byte,
// raw or escaped: unreserved characters are written raw even when they arrive escaped; the
// characters a path may not hold raw are escaped; NUL fails the whole path; everything else is
// copied as it came (so "%2F" stays "%2F" and "/" stays "/").
enum class PathCharKind : uint8_t { kPass, kUnreserved, kEscape, kInvalid };

constexpr PathCharKind pathCharKind(unsigned char c) {
  if (c == 0) {
    return PathCharKind::kInvalid;
  }
  if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
      c == '_' || c == '~') {
    return PathCharKind::kUnreserved;
  }
  if (c < 0x20 || c >= 0x7F) {
    return PathCharKind::kEscape;
  }
  switch (c) {
    case ' ':
    case '"':
    case '#':
    case '%':
    case '<':
    case '>':
    case '?':
    case '\\':
    case '^':
    case '`':
    case '{':
    case '|':
    case '}':
      return PathCharKind::kEscape;
    default:
      return PathCharKind::kPass;
  }
}

int hexValue(char c) {
  if (c >= '0' && c <= '9') {
    return c - '0';
  }
  if (c >= 'a' && c <= 'f') {
    return c - 'a' + 10;
  }
  if (c >= 'A' && c <= 'F') {
    return c - 'A' + 10;
  }
  return -1;
}

// The byte a "%XY" at `at` stands for, or -1 when `at` does not start a complete escape.
int escapedByte(std::string_view s, size_t at) {
  if (at + 2 >= s.size()) {
    return -1;
  }
  int hi = hexValue(s[at + 1]);
  int lo = hexValue(s[at + 2]);
  return s[at] == '%' && hi >= 0 && lo >= 0 ? hi * 16 + lo : -1;
}

bool isSeparator(char c) { return c == '/' || c == '\\'; }

// Length of a dot at `at`: 1 for '.', 3 for "%2E"/"%2e", 0 when there is none.
size_t dotLength(std::string_view s, size_t at) {
  if (s[at] == '.') {
    return 1;
  }
  if (s[at] == '%' && at + 2 < s.size() && s[at + 1] == '2' &&
      (s[at + 2] == 'e' || s[at + 2] == 'E')) {
    return 3;
  }
  return 0;
}

// What a dot right after a '/' in the output means, and how much input after the dot it uses:
// "." or "./" → stay (-1), ".." or "../" → up one (+1), anything else → 0 (a file name).
int dotSegment(std::string_view s, size_t after_dot, size_t* consumed) {
  *consumed = 0;
  if (after_dot == s.size()) {
    return -1;
  }
  if (isSeparator(s[after_dot])) {
    *consumed = 1;
    return -1;
  }
  size_t second = dotLength(s, after_dot);
  if (second == 0) {
    return 0;
  }
  size_t end = after_dot + second;
  if (end == s.size()) {
    *consumed = second;
    return 1;
  }
  if (isSeparator(s[end])) {
    *consumed = second + 1;
    return 1;
  }
  return 0;
}

// Drops the last segment of `out` (which ends in '/'), never the leading '/'.
void backUpOneSegment(std::string& out) {
  size_t i = out.size() - 1;
  if (i == 0) {
    return;
  }
  --i;
  while (i > 0 && out[i] != '/') {
    --i;
  }
  out.resize(i + 1);
}

void appendEscaped(std::string& out, unsigned char c) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  out += '%';
  out += kHex[c >> 4];
  out += kHex[c & 0xF];
}

// Decoding an escape right after a '%' that began no escape can create one ("%%30%30" would
// read "%00" once decoded). Chromium then writes that '%' as "%25" so a second canonicalisation
// gives the same result; Envoy inherits this. `percent` is that '%''s index in `out`, `next` the
// input index after the escape just decoded.
void guardNestedEscape(std::string_view s, size_t next, size_t percent, std::string& out) {
  const size_t length = out.size();
  const char decoded = out.back();
  const bool borrow_next = percent + 2 == length;  // out ends "%c": look at the next input byte
  if (borrow_next) {
    if (next == s.size() || static_cast<unsigned char>(s[next]) >= 0x80) {
      return;
    }
    out += s[next];
  }
  if (escapedByte(out, percent) >= 0) {
    if (!borrow_next) {
      out += out[percent + 1];
    }
    out[percent + 1] = '2';
    out[percent + 2] = '5';
    out += decoded;
  } else if (borrow_next) {
    out.resize(length);
  }
}

}  // namespace

std::optional<std::string> canonicalizePath(std::string_view path) {
  std::string out;
  out.reserve(path.size() + 1);
  if (path.empty() || !isSeparator(path.front())) {
    out += '/';
  }
  bool ok = true;
  std::optional<size_t> bad_percent;  // output index of the last '%' that began no escape
  for (size_t i = 0; i < path.size(); ++i) {
    const unsigned char c = static_cast<unsigned char>(path[i]);
    if (size_t dot = dotLength(path, i); dot > 0) {
      size_t consumed = 0;
      int segment = out.back() == '/' ? dotSegment(path, i + dot, &consumed) : 0;
      if (segment == 0) {
        out += '.';  // an escaped dot inside a name is written raw too
      } else if (segment > 0) {
        backUpOneSegment(out);
      }
      i += dot + consumed - 1;
    } else if (c == '\\') {
      out += '/';
    } else if (c == '%') {
      int value = escapedByte(path, i);
      if (value < 0) {
        bad_percent = out.size();
        out += '%';
        continue;
      }
      PathCharKind kind = pathCharKind(static_cast<unsigned char>(value));
      if (kind == PathCharKind::kUnreserved) {
        out += static_cast<char>(value);
        if (bad_percent && *bad_percent + 3 >= out.size()) {
          guardNestedEscape(path, i + 3, *bad_percent, out);
        }
      } else {
        out.append(path.substr(i, 3));  // kept with its hex digits' case
        ok = ok && kind != PathCharKind::kInvalid;
      }
      i += 2;
    } else {
      switch (pathCharKind(c)) {
        case PathCharKind::kInvalid:
          appendEscaped(out, c);
          ok = false;
          break;
        case PathCharKind::kEscape:
          appendEscaped(out, c);
          break;
        case PathCharKind::kPass:
        case PathCharKind::kUnreserved:
          out += static_cast<char>(c);
          break;
      }
    }
  }
  if (!ok) {
    return std::nullopt;
  }
  return out;
}

RequestView RequestView::create(std::string_view method, std::string_view scheme,
                                std::string_view authority, std::string_view path,
                                size_t header_count) {
  RequestView v;
  // R1.12: Istio's bootstrap sets http_reject_path_with_fragment=false, so Envoy cuts the
  // request target at its first '#' (a '?' after it belongs to the fragment) before anything
  // else looks at it.
  std::string_view target = path;
  if (size_t hash = target.find('#'); hash != std::string_view::npos) {
    target = target.substr(0, hash);
  }
  if (target.empty()) {
    target = "/";
  }
  size_t q = target.find('?');
  std::string_view raw_path = q == std::string_view::npos ? target : target.substr(0, q);
  v.query_ = q == std::string_view::npos ? "" : std::string(target.substr(q + 1));
  if (std::optional<std::string> canonical = canonicalizePath(raw_path)) {
    v.path_ = std::move(*canonical);
  } else {
    v.path_ = std::string(raw_path);
    v.path_normalization_failed_ = true;
  }
  v.lower_path_ = ascii::toLower(v.path_);
  // Route matching sees the normalised headers (R0.2): :path is the normalised path followed by
  // the query part exactly as sent, '?' included (Envoy PathUtil::canonicalPath).
  v.full_path_ = v.path_;
  if (q != std::string_view::npos) {
    v.full_path_ += target.substr(q);
  }
  v.authority_ = authority;
  v.host_ = ascii::toLower(authority.substr(0, portStart(authority)));
  v.method_ = method;
  v.scheme_ = scheme;
  v.headers_.reserve(header_count);
  std::string_view qs = v.query_;
  while (!qs.empty()) {
    size_t amp = qs.find('&');
    std::string_view kv = qs.substr(0, amp);
    size_t eq = kv.find('=');
    std::string key(kv.substr(0, eq));
    std::string value = eq == std::string_view::npos ? "" : std::string(kv.substr(eq + 1));
    if (!key.empty()) {
      v.query_params_.emplace_back(std::move(key), std::move(value));
    }
    if (amp == std::string_view::npos) {
      break;
    }
    qs.remove_prefix(amp + 1);
  }
  return v;
}

void RequestView::addHeader(std::string_view name, std::string_view value) {
  std::string lower = ascii::toLower(name);
  if (lower == "host" || lower == ":authority") {
    return;  // the authority is a request field of its own
  }
  auto it = std::find_if(headers_.begin(), headers_.end(),
                         [&](const auto& h) { return h.first == lower; });
  if (it == headers_.end()) {
    headers_.emplace_back(std::move(lower), value);
  } else {
    it->second += ",";
    it->second += value;
  }
}

RequestView RequestView::create(const HttpRequest& request) {
  RequestView v = create(request.method, request.scheme, request.authority, request.path,
                         request.headers.size());
  for (const auto& [name, value] : request.headers) {
    v.addHeader(name, value);
  }
  v.claims_ = request.claims;
  return v;
}

std::optional<std::string_view> RequestView::header(std::string_view lower_name) const {
  if (!lower_name.empty() && lower_name.front() == ':') {
    if (lower_name == ":method") {
      return std::string_view(method_);
    }
    if (lower_name == ":authority") {
      return std::string_view(authority_);
    }
    if (lower_name == ":scheme") {
      return std::string_view(scheme_);
    }
    if (lower_name == ":path") {
      return std::string_view(full_path_);
    }
    return std::nullopt;
  }
  for (const auto& [name, value] : headers_) {
    if (name == lower_name) {
      return std::string_view(value);
    }
  }
  if (lower_name == "host") {
    return std::string_view(authority_);
  }
  return std::nullopt;
}

std::optional<std::string_view> RequestView::queryParam(std::string_view name) const {
  for (const auto& [key, value] : query_params_) {
    if (key == name) {
      return std::string_view(value);
    }
  }
  return std::nullopt;
}

std::optional<std::string_view> RequestView::claim(std::string_view path) const {
  for (const auto& [key, value] : claims_) {
    if (key == path) {
      return std::string_view(value);
    }
  }
  return std::nullopt;
}

}  // namespace meshc::ir
