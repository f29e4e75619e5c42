// formatHeaderValue(): the %COMMAND% operators meshproxy substitutes in header values (R3.8).
#include "router/header_format.h"

#include <charconv>
#include <optional>

#include "base/ascii.h"

namespace meshc::router {

namespace {

bool isCommandChar(char c) { return (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_'; }

// "ip:port" → "ip"; "[v6]:port" → "v6" (Envoy prints the bare address, without brackets).
std::string_view withoutPort(std::string_view address) {
  if (!address.empty() && address.front() == '[') {
    size_t close = address.find(']');
    return close == std::string_view::npos ? address : address.substr(1, close - 1);
  }
  size_t colon = address.rfind(':');
  return colon == std::string_view::npos ? address : address.substr(0, colon);
}

// One request header as %REQ()% reads it: the first value; pseudo headers (and `host`, which
// Envoy keeps as :authority) from the request line.
std::optional<std::string_view> requestHeader(const FormatContext& context,
                                              std::string_view lower_name) {
  if (const http::ProxyRequest* request = context.request) {
    if (lower_name == ":authority" || lower_name == "host") {
      return std::string_view(request->authority);
    }
    if (lower_name == ":path") {
      return std::string_view(request->path);
    }
    if (lower_name == ":method") {
      return std::string_view(request->method);
    }
    if (lower_name == ":scheme") {
      return std::string_view(request->scheme);
    }
  }
  const http::HeaderMap* headers = context.request_headers;
  if (headers == nullptr && context.request != nullptr) {
    headers = &context.request->headers;
  }
  return headers == nullptr ? std::nullopt : headers->get(lower_name);
}

// The value of REQ(arg) / RESP(arg), where arg is "h" or "h?alt".
std::string_view headerOperand(std::string_view arg, const http::HeaderMap* response,
                               const FormatContext& context, bool from_response) {
  size_t q = arg.find('?');
  std::string main = ascii::toLower(arg.substr(0, q));
  std::string alt = q == std::string_view::npos ? std::string() : ascii::toLower(arg.substr(q + 1));
  auto lookup = [&](const std::string& name) -> std::optional<std::string_view> {
    if (name.empty()) {
      return std::nullopt;
    }
    if (from_response) {
      return response == nullptr ? std::nullopt : response->get(name);
    }
    return requestHeader(context, name);
  };
  std::optional<std::string_view> v = lookup(main);
  if (!v) {
    v = lookup(alt);
  }
  return v.value_or(std::string_view());
}

// The value of one command; "" when this proxy has no value for it.
std::string_view commandValue(std::string_view name, std::optional<std::string_view> arg,
                              const FormatContext& context, const http::HeaderMap* response) {
  if (arg) {
    if (name == "REQ") {
      return headerOperand(*arg, response, context, false);
    }
    if (name == "RESP") {
      return headerOperand(*arg, response, context, true);
    }
    return {};
  }
  if (name == "DOWNSTREAM_REMOTE_ADDRESS") {
    return context.downstream_remote_address;
  }
  if (name == "DOWNSTREAM_REMOTE_ADDRESS_WITHOUT_PORT") {
    return withoutPort(context.downstream_remote_address);
  }
  if (name == "DOWNSTREAM_LOCAL_ADDRESS") {
    return context.downstream_local_address;
  }
  if (name == "DOWNSTREAM_LOCAL_ADDRESS_WITHOUT_PORT") {
    return withoutPort(context.downstream_local_address);
  }
  if (name == "HOSTNAME") {
    return context.hostname;
  }
  if (name == "PROTOCOL") {
    return context.protocol;
  }
  return {};
}

}  // namespace

std::string formatHeaderValue(std::string_view value, const FormatContext& context,
                              const http::HeaderMap* response) {
  std::string out;
  out.reserve(value.size());
  size_t i = 0;
  while (i < value.size()) {
    if (value[i] != '%') {
      out += value[i++];
      continue;
    }
    if (i + 1 < value.size() && value[i + 1] == '%') {
      out += '%';
      i += 2;
      continue;
    }
    // %NAME%, %NAME(arg)%, either with ":N"; anything else is copied literally.
    size_t j = i + 1;
    while (j < value.size() && isCommandChar(value[j])) {
      ++j;
    }
    std::string_view name = value.substr(i + 1, j - i - 1);
    std::optional<std::string_view> arg;
    if (j < value.size() && value[j] == '(') {
      size_t close = value.find(')', j);
      if (close == std::string_view::npos) {
        j = value.size();  // unterminated: no operator
      } else {
        arg = value.substr(j + 1, close - j - 1);
        j = close + 1;
      }
    }
    std::optional<size_t> max_length;
    if (j < value.size() && value[j] == ':') {
      size_t n = 0;
      auto [end, ec] = std::from_chars(value.data() + j + 1, value.data() + value.size(), n);
      if (ec == std::errc() && end != value.data() + j + 1) {
        max_length = n;
        j = static_cast<size_t>(end - value.data());
      }
    }
    if (name.empty() || j >= value.size() || value[j] != '%') {
      out += value[i++];
      continue;
    }
    std::string_view v = commandValue(name, arg, context, response);
    out += max_length ? v.substr(0, *max_length) : v;
    i = j + 1;
  }
  return out;
}

}  // namespace meshc::router
