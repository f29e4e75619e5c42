// Connection-manager header work (PROXY-SEMANTICS §1.2–1.4, §2): what Envoy does to a request
// between the codec and the router, and to a response before the codec.
#include "proxy/connection_manager.h"

#include <array>
#include <ctime>

#include "base/ascii.h"
#include "routing/request.h"

namespace meshc::proxy {
namespace {

// R2.2: client-supplied control headers Envoy removes on every hop (no request is internal).
constexpr std::array<std::string_view, 14> kEnvoyControlHeaders = {
    "x-envoy-retriable-status-codes",     "x-envoy-retriable-header-names",
    "x-envoy-retry-on",                   "x-envoy-retry-grpc-on",
    "x-envoy-max-retries",                "x-envoy-upstream-alt-stat-name",
    "x-envoy-upstream-rq-timeout-ms",     "x-envoy-upstream-rq-per-try-timeout-ms",
    "x-envoy-upstream-rq-timeout-alt-response", "x-envoy-expected-rq-timeout-ms",
    "x-envoy-force-trace",                "x-envoy-ip-tags",
    "x-envoy-original-url",               "x-envoy-hedge-on-per-try-timeout"};
// R2.2: removed as well on edge requests (gateways).
constexpr std::array<std::string_view, 5> kEnvoyEdgeHeaders = {
    "x-envoy-decorator-operation", "x-envoy-downstream-service-cluster",
    "x-envoy-downstream-service-node", "x-envoy-original-path", "x-envoy-original-host"};

template <typename Fn>
void forEachToken(std::string_view list, Fn fn) {
  while (!list.empty()) {
    size_t comma = list.find(',');
    std::string_view item = ascii::trimOws(list.substr(0, comma));
    if (!item.empty()) {
      fn(item);
    }
    if (comma == std::string_view::npos) {
      break;
    }
    list.remove_prefix(comma + 1);
  }
}

LocalReply codecReply(uint32_t status, std::string_view details) {
  LocalReply r;
  r.status = status;
  r.details = details;
  r.flags = "DPE";
  r.close_connection = true;
  return r;
}

bool isLoopback(std::string_view ip) {
  return ip.starts_with("127.") || ip == "::1";
}

// The rightmost-but-N entry of an XFF list (R2.4 trusted hops), empty when too short.
std::string xffClient(std::string_view xff, uint32_t trusted_hops) {
  std::vector<std::string_view> items;
  forEachToken(xff, [&](std::string_view item) { items.push_back(item); });
  if (trusted_hops == 0 || items.size() < trusted_hops) {
    return {};
  }
  return std::string(items[items.size() - trusted_hops]);
}

}  // namespace

std::optional<LocalReply> prepareRequest(std::string_view method, std::string_view target,
                                         unsigned version, http::HeaderMap&& headers,
                                         const DownstreamInfo& downstream, std::mt19937_64& random,
                                         http::ProxyRequest& request, PreparedRequest& prepared) {
  // R1.9: Istio leaves accept_http_10 off: HTTP/1.0 (and anything but 1.1) gets 426.
  if (version != 11) {
    return codecReply(426, "low_version");
  }
  request.method.assign(method);
  request.scheme = downstream.tls ? "https" : "http";
  request.headers = std::move(headers);
  http::HeaderMap& h = request.headers;

  // R1.11a: absolute-form target replaces Host; :path becomes the origin-form rest.
  std::string_view path_part = target;
  std::optional<std::string> absolute_authority;
  if (target.size() > 7 && (ascii::startsWithIgnoreCase(target, "http://") ||
                            ascii::startsWithIgnoreCase(target, "https://"))) {
    size_t scheme_end = target.find("://");
    std::string scheme = ascii::toLower(target.substr(0, scheme_end));
    std::string_view rest = target.substr(scheme_end + 3);
    size_t slash = rest.find_first_of("/?");
    std::string_view authority = rest.substr(0, slash);
    if (authority.empty()) {
      return codecReply(400, "http1.codec_error");
    }
    if (scheme == "https" && downstream.gateway && !downstream.tls &&
        downstream.num_trusted_proxies == 0) {
      LocalReply r;
      r.status = 403;
      r.body = "https in the clear";
      r.details = "https_in_the_clear";
      return r;
    }
    absolute_authority = std::string(authority);
    path_part = slash == std::string_view::npos ? std::string_view("/") : rest.substr(slash);
    request.scheme = scheme;
  }
  if (absolute_authority) {
    request.authority = *absolute_authority;
    h.remove("host");
  } else {
    std::optional<std::string_view> host = h.get("host");
    if (!host) {
      LocalReply r;  // R1.10: empty body
      r.status = 400;
      r.details = "missing_host_header";
      return r;
    }
    request.authority.assign(*host);
    h.remove("host");
  }
  // R1.11b: a path that does not start with '/' (OPTIONS *) → 404.
  if (path_part.empty() || path_part.front() != '/') {
    LocalReply r;
    r.status = 404;
    r.details = "absolute_path_rejected";
    return r;
  }
  // R1.12 fragment, R1.13 normalisation of the path part only.
  size_t hash = path_part.find('#');
  if (hash != std::string_view::npos) {
    path_part = path_part.substr(0, hash);
  }
  size_t q = path_part.find('?');
  std::optional<std::string> canonical = ir::canonicalizePath(path_part.substr(0, q));
  if (!canonical) {
    LocalReply r;  // R1.13: a NUL or %00 in the path; empty body
    r.status = 400;
    r.details = "path_normalization_failed";
    return r;
  }
  std::string path = std::move(*canonical);
  if (q != std::string_view::npos) {
    path.append(path_part.substr(q));
  }
  request.path = std::move(path);

  // R1.8: Connection nominations; R1.16 close.
  std::string connection = h.joined("connection");
  bool keep_upgrade = false;
  std::string upgrade = h.joined("upgrade");
  int nominated = 0;
  std::optional<LocalReply> refused;
  std::vector<std::string> to_delete;
  forEachToken(connection, [&](std::string_view token) {
    std::string t = ascii::toLower(token);
    if (t == "close") {
      prepared.connection_close = true;
    } else if (t == "keep-alive") {
    } else if (t == "upgrade") {
      keep_upgrade = true;
    } else {
      ++nominated;
      if (t == "x-forwarded-for" || t == "x-forwarded-host" || t == "x-forwarded-proto" ||
          (!t.empty() && t.front() == ':')) {
        refused = codecReply(400, "http1.connection_header_rejected");
      }
      to_delete.push_back(t);
    }
  });
  if (nominated >= 10) {
    refused = codecReply(400, "http1.connection_header_rejected");
  }
  if (refused) {
    return refused;
  }
  for (const std::string& name : to_delete) {
    h.remove(name);
  }
  // R1.19: websocket upgrades keep connection/upgrade; h2c is stripped; others refused later.
  if (keep_upgrade && !upgrade.empty()) {
    if (ascii::equalsIgnoreCase(ascii::trimOws(upgrade), "websocket")) {
      prepared.upgrade_websocket = true;
    } else if (ascii::equalsIgnoreCase(ascii::trimOws(upgrade), "h2c")) {
      h.remove("http2-settings");
    } else {
      prepared.other_upgrade = true;
    }
  }
  // R2.1: hop-by-hop headers.
  if (!prepared.upgrade_websocket) {
    h.remove("connection");
    h.remove("upgrade");
  } else {
    h.set("connection", "upgrade");
  }
  h.remove("keep-alive");
  h.remove("proxy-connection");
  h.remove("transfer-encoding");
  h.remove("x-envoy-internal");
  if (h.has("te")) {
    bool trailers = false;
    forEachToken(h.joined("te"), [&](std::string_view token) {
      trailers = trailers || ascii::equalsIgnoreCase(token, "trailers");
    });
    h.remove("te");
    if (trailers) {
      h.set("te", "trailers");
    }
  }
  // R2.2: x-envoy control headers.
  for (std::string_view name : kEnvoyControlHeaders) {
    h.remove(name);
  }
  if (downstream.gateway) {
    for (std::string_view name : kEnvoyEdgeHeaders) {
      h.remove(name);
    }
  }
  // R2.4 / R2.5: x-forwarded-for, x-forwarded-proto, the real client.
  std::string xff = h.joined("x-forwarded-for");
  if (downstream.gateway) {
    std::string trusted = xffClient(xff, downstream.num_trusted_proxies);
    prepared.client_ip = trusted.empty() ? std::string(downstream.remote_ip) : trusted;
    std::string_view appended =
        isLoopback(downstream.remote_ip) && !downstream.node_ip.empty() ? downstream.node_ip
                                                                        : downstream.remote_ip;
    std::string value = xff.empty() ? std::string(appended) : xff + "," + std::string(appended);
    h.set("x-forwarded-for", value);
    if (downstream.num_trusted_proxies == 0 || !h.has("x-forwarded-proto")) {
      h.set("x-forwarded-proto", downstream.tls ? "https" : "http");
    }
    h.set("x-envoy-external-address", prepared.client_ip);
  } else {
    std::string last;
    forEachToken(xff, [&](std::string_view item) { last = std::string(item); });
    prepared.client_ip = last.empty() ? std::string(downstream.remote_ip) : last;
    if (!h.has("x-forwarded-proto")) {
      h.set("x-forwarded-proto", downstream.tls ? "https" : "http");
    }
  }
  // R2.6: :scheme from a valid x-forwarded-proto.
  std::optional<std::string_view> xfp = h.get("x-forwarded-proto");
  if (xfp && (ascii::equalsIgnoreCase(*xfp, "http") || ascii::equalsIgnoreCase(*xfp, "https"))) {
    request.scheme = ascii::toLower(*xfp);
  }
  // R2.8: request id: replaced on gateways, kept (or generated) on sidecars.
  if (downstream.gateway || !h.has("x-request-id")) {
    h.set("x-request-id", uuid4(random));
  }
  return std::nullopt;
}

void prepareResponseHeaders(http::HeaderMap& headers, std::string_view server_name,
                            std::string_view date, bool upgrade_response, bool* upstream_close) {
  std::string connection = headers.joined("connection");
  forEachToken(connection, [&](std::string_view token) {
    if (ascii::equalsIgnoreCase(token, "close")) {
      *upstream_close = true;
    }
  });
  if (!upgrade_response) {
    headers.remove("connection");
    headers.remove("upgrade");
  }
  headers.remove("transfer-encoding");
  headers.remove("keep-alive");
  headers.remove("proxy-connection");
  headers.set("server", server_name);
  if (!headers.has("date")) {
    headers.set("date", date);
  }
}

std::string httpDate(std::time_t now) {
  std::tm tm{};
  gmtime_r(&now, &tm);
  char buf[64];
  size_t n = std::strftime(buf, sizeof(buf), "%a, %d %b %Y %H:%M:%S GMT", &tm);
  return std::string(buf, n);
}

std::string uuid4(std::mt19937_64& random) {
  uint64_t hi = random();
  uint64_t lo = random();
  hi = (hi & ~uint64_t{0xF000}) | uint64_t{0x4000};                 // version 4
  lo = (lo & ~(uint64_t{0xC} << 60)) | (uint64_t{0x8} << 60);       // variant 10
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out(36, '-');
  size_t pos = 0;
  auto put = [&](uint64_t v, int nibbles) {
    for (int i = nibbles - 1; i >= 0; --i) {
      if (pos == 8 || pos == 13 || pos == 18 || pos == 23) {
        ++pos;
      }
      out[pos++] = kHex[(v >> (i * 4)) & 0xF];
    }
  };
  put(hi, 16);
  put(lo, 16);
  return out;
}

}  // namespace meshc::proxy
