// RequestView: the normalised request that every evaluator matches against.
#include "routing/request.h"

#include <algorithm>

#include "base/ascii.h"

namespace meshc::ir {

namespace {

// Where the port starts in a Host value, the way Envoy's HeaderUtility::getPortStart() finds it
// for `ignore_port_in_host_matching` (SEMANTICS 2.4): the last ':' unless a ']' follows it (a
// bracketed IPv6 literal). Envoy checks nothing else: the port need not be numeric ("a.com:x"
// and "a.com:" lose their suffix too), and an unbracketed IPv6 address ("::1") loses its last
// group, since RFC 3986 3.2.2 says such an address must be bracketed.
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

}  // namespace

std::string normalizePath(std::string_view path) {
  // Remove "." and ".." segments; a leading "/" is kept, as are empty segments ("//").
  std::string out;
  std::string_view in = path;
  while (!in.empty()) {
    if (in.substr(0, 3) == "../") {
      in.remove_prefix(3);
    } else if (in.substr(0, 2) == "./") {
      in.remove_prefix(2);
    } else if (in.substr(0, 3) == "/./") {
      in.remove_prefix(2);
    } else if (in == "/.") {
      in = "/";
    } else if (in.substr(0, 4) == "/../") {
      in.remove_prefix(3);
      size_t slash = out.rfind('/');
      out.erase(slash == std::string::npos ? 0 : slash);
    } else if (in == "/..") {
      in = "/";
      size_t slash = out.rfind('/');
      out.erase(slash == std::string::npos ? 0 : slash);
    } else if (in == "." || in == "..") {
      in = {};
    } else {
      size_t start = in.front() == '/' ? 1 : 0;
      size_t next = in.find('/', start);
      size_t len = next == std::string_view::npos ? in.size() : next;
      out.append(in.substr(0, len));
      in.remove_prefix(len);
    }
  }
  if (out.empty() || out.front() != '/') {
    out.insert(out.begin(), '/');
  }
  return out;
}

RequestView RequestView::create(const HttpRequest& request) {
  RequestView v;
  // R1.12: Istio's bootstrap sets http_reject_path_with_fragment=false, so Envoy cuts the
  // request target at its first '#' (a '?' after it belongs to the fragment) before anything
  // else looks at it.
  std::string_view target = request.path;
  if (size_t hash = target.find('#'); hash != std::string_view::npos) {
    target = target.substr(0, hash);
  }
  if (target.empty()) {
    target = "/";
  }
  size_t q = target.find('?');
  std::string_view raw_path = q == std::string_view::npos ? target : target.substr(0, q);
  v.query_ = q == std::string_view::npos ? "" : std::string(target.substr(q + 1));
  v.path_ = normalizePath(raw_path);
  v.lower_path_ = ascii::toLower(v.path_);
  // Route matching sees the normalised headers (R0.2): :path is the normalised path followed by
  // the query part exactly as sent, '?' included (Envoy PathUtil::canonicalPath).
  v.full_path_ = v.path_;
  if (q != std::string_view::npos) {
    v.full_path_ += target.substr(q);
  }
  v.authority_ = request.authority;
  std::string_view authority = request.authority;
  v.host_ = ascii::toLower(authority.substr(0, portStart(authority)));
  v.method_ = request.method;
  v.scheme_ = request.scheme;
  for (const auto& [name, value] : request.headers) {
    std::string lower = ascii::toLower(name);
    if (lower == "host" || lower == ":authority") {
      continue;  // the authority is a request field of its own
    }
    auto it = std::find_if(v.headers_.begin(), v.headers_.end(),
                           [&](const auto& h) { return h.first == lower; });
    if (it == v.headers_.end()) {
      v.headers_.emplace_back(lower, value);
    } else {
      it->second += ",";
      it->second += value;
    }
  }
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
