// Redirect locations (PROXY-SEMANTICS R3.15–R3.16) and the require_tls redirect (R14.7), as
// Envoy's Utility::newUri and Utility::createSslRedirectPath build them.
#include <string>
#include <string_view>

#include "base/ascii.h"
#include "router/path_rewrite.h"
#include "router/route_actions.h"

namespace meshc::router {

namespace {

// Envoy's processRequestHost: the request Host, without its port when a new port is configured,
// or when the scheme changes away from x-forwarded-proto and the port is that protocol's default.
// A bracketed IPv6 host keeps its last ':' unless it follows the ']'.
std::string_view redirectHost(std::string_view host, std::string_view new_scheme,
                              std::string_view forwarded_proto, bool new_port) {
  if (host.empty()) {
    return host;
  }
  size_t port_start = std::string_view::npos;
  if (host.front() == '[') {
    port_start = host.rfind("]:");
    if (port_start != std::string_view::npos) {
      ++port_start;
    }
  } else {
    port_start = host.rfind(':');
  }
  if (port_start == std::string_view::npos) {
    return host;
  }
  std::string_view port = host.substr(port_start);
  bool drop = new_port;
  if (new_scheme != forwarded_proto) {
    drop = drop || (ascii::equalsIgnoreCase(forwarded_proto, "https") && port == ":443");
    drop = drop || (ascii::equalsIgnoreCase(forwarded_proto, "http") && port == ":80");
  }
  return drop ? host.substr(0, port_start) : host;
}

}  // namespace

std::string redirectLocation(const xds::Route& route, const RedirectRequest& request) {
  const xds::RedirectAction& redirect = route.redirect;
  // The redirect's prefix rewrite changes :path before the location is built from it.
  std::string current =
      redirect.prefix_rewrite.empty()
          ? std::string(request.path_with_query)
          : replaceMatchedPart(route.match.path, redirect.prefix_rewrite, request.path_with_query);
  std::string_view scheme = redirect.scheme_redirect.empty()
                                ? request.scheme
                                : std::string_view(redirect.scheme_redirect);
  std::string port =
      redirect.port_redirect == 0 ? std::string() : ":" + std::to_string(redirect.port_redirect);
  std::string_view forwarded_proto =
      request.forwarded_proto.empty() ? request.scheme : request.forwarded_proto;
  std::string_view host =
      redirect.host_redirect.empty()
          ? redirectHost(request.authority, scheme, forwarded_proto, !port.empty())
          : std::string_view(redirect.host_redirect);
  std::string path;
  if (redirect.path_redirect.empty()) {
    path = std::move(current);
  } else if (redirect.path_redirect.find('?') != std::string::npos) {
    path = redirect.path_redirect;  // its own query replaces the request's
  } else {
    path = redirect.path_redirect;
    if (size_t q = current.find('?'); q != std::string::npos) {
      path.append(current, q);
    }
  }
  if (path.empty() || path.front() != '/') {
    path.insert(path.begin(), '/');
  }
  std::string location(scheme);
  location += "://";
  location += host;
  location += port;
  location += path;
  return location;
}

std::string httpsRedirectLocation(const RedirectRequest& request) {
  std::string location = "https://";
  location += request.authority;
  location += request.path_with_query;
  return location;
}

}  // namespace meshc::router
