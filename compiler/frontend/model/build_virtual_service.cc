// VirtualService → model::VirtualService (SEMANTICS 1.1-1.16). Entry point:
// detail::buildVirtualService(). Only reading happens here; short names and gateway names are
// resolved by lowering, which knows the proxy.
#include "frontend/model/build_internal.h"

namespace meshc::model::detail {
namespace {

// --- StringMatch (SEMANTICS 1.4) ---------------------------------------------------------------

// The oneof of a StringMatch map. A map with none of exact/prefix/regex (or only wrongly typed
// ones) is the "no match type" case, which Istio treats like nil.
StringMatch stringMatchOf(const Node* n, bool regex_star_is_presence) {
  StringMatch m;
  for (const frontend::MapEntry& e : n->entries()) {
    if (e.value == nullptr || !e.value->isString()) {
      continue;
    }
    if (e.key == "exact") {
      m.kind = StringMatch::Kind::kExact;
    } else if (e.key == "prefix") {
      m.kind = StringMatch::Kind::kPrefix;
    } else if (e.key == "regex") {
      m.kind = StringMatch::Kind::kRegex;
    } else {
      continue;
    }
    m.value = std::string(e.value->text());
    break;
  }
  // canBeConvertedToPresentMatch: `regex: "*"` means "header present" for keyed matches only.
  if (regex_star_is_presence && m.kind == StringMatch::Kind::kRegex && m.value == "*") {
    m.kind = StringMatch::Kind::kPresent;
    m.value.clear();
  }
  return m;
}

// uri / scheme / method / authority: absent or null ⇒ not matched on; `{}` ⇒ kPresent.
std::optional<StringMatch> optionalStringMatch(const Node* n) {
  if (n == nullptr || !n->isMap()) {
    return std::nullopt;
  }
  return stringMatchOf(n, /*regex_star_is_presence=*/false);
}

// headers / withoutHeaders / queryParams: a null value, `{}` or `regex: "*"` ⇒ kPresent.
std::vector<KeyedMatch> keyedMatches(const Node* n) {
  std::vector<KeyedMatch> out;
  if (n == nullptr) {
    return out;
  }
  for (const frontend::MapEntry& e : n->entries()) {
    if (e.value == nullptr) {
      continue;
    }
    KeyedMatch km;
    km.key = std::string(e.key);
    if (e.value->isMap()) {
      km.match = stringMatchOf(e.value, /*regex_star_is_presence=*/true);
    } else if (!e.value->isNull()) {
      continue;  // wrong type
    }
    out.push_back(std::move(km));
  }
  return out;
}

HttpMatchRequest matchRequestOf(const Node* n) {
  HttpMatchRequest m;
  m.loc = n->loc();
  m.name = stringOf(n->get("name"));
  m.uri = optionalStringMatch(n->get("uri"));
  m.scheme = optionalStringMatch(n->get("scheme"));
  m.method = optionalStringMatch(n->get("method"));
  m.authority = optionalStringMatch(n->get("authority"));
  m.headers = keyedMatches(n->get("headers"));
  m.without_headers = keyedMatches(n->get("withoutHeaders"));
  m.query_params = keyedMatches(n->get("queryParams"));
  m.ignore_uri_case = boolOf(n->get("ignoreUriCase")).value_or(false);
  m.port = uint32Of(n->get("port")).value_or(0);
  m.source_labels = stringMap(n->get("sourceLabels"));
  m.gateways = stringList(n->get("gateways"));
  m.source_namespace = stringOf(n->get("sourceNamespace"));
  m.stat_prefix = stringOf(n->get("statPrefix"));
  return m;
}

// --- Actions -----------------------------------------------------------------------------------

HeaderOperations headerOperationsOf(const Node* n) {
  HeaderOperations ops;
  ops.set = stringPairs(child(n, "set"));
  ops.add = stringPairs(child(n, "add"));
  ops.remove = stringList(child(n, "remove"));
  return ops;
}

Headers headersOf(const Node* n) {
  Headers h;
  h.request = headerOperationsOf(child(n, "request"));
  h.response = headerOperationsOf(child(n, "response"));
  return h;
}

// Protobuf JSON `bytes`: standard or URL-safe base64, padding optional (Go's protojson accepts
// both). nullopt when the text is not base64.
std::optional<std::string> decodeBase64(std::string_view text) {
  std::string out;
  uint32_t acc = 0;
  int bits = 0;
  size_t padding = 0;
  for (char c : text) {
    int v = -1;
    if (c >= 'A' && c <= 'Z') {
      v = c - 'A';
    } else if (c >= 'a' && c <= 'z') {
      v = c - 'a' + 26;
    } else if (c >= '0' && c <= '9') {
      v = c - '0' + 52;
    } else if (c == '+' || c == '-') {
      v = 62;
    } else if (c == '/' || c == '_') {
      v = 63;
    } else if (c == '=') {
      ++padding;
      continue;
    } else if (c == '\n' || c == '\r') {
      continue;
    } else {
      return std::nullopt;
    }
    if (padding > 0) {
      return std::nullopt;  // data after padding
    }
    acc = (acc << 6) | static_cast<uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<char>((acc >> bits) & 0xFF));
    }
  }
  if (bits >= 6 || padding > 2) {
    return std::nullopt;  // a dangling single character cannot encode a byte
  }
  return out;
}

HttpRedirect redirectOf(const Node* n) {
  HttpRedirect r;
  r.uri = stringOf(n->get("uri"));
  r.prefix_rewrite = stringOf(n->get("prefixRewrite"));
  r.authority = stringOf(n->get("authority"));
  if (std::optional<uint32_t> port = uint32Of(n->get("port"))) {
    r.port = *port;
  }
  // oneof redirect_port: an explicit derivePort, even FROM_PROTOCOL_DEFAULT (value 0), is set.
  std::string derive = enumOf(n->get("derivePort"), {"FROM_PROTOCOL_DEFAULT", "FROM_REQUEST_PORT"});
  if (derive == "FROM_PROTOCOL_DEFAULT") {
    r.derive_port = HttpRedirect::DerivePort::kFromProtocolDefault;
  } else if (derive == "FROM_REQUEST_PORT") {
    r.derive_port = HttpRedirect::DerivePort::kFromRequestPort;
  }
  r.scheme = stringOf(n->get("scheme"));
  r.redirect_code = uint32Of(n->get("redirectCode")).value_or(0);
  return r;
}

HttpDirectResponse directResponseOf(const Node* n) {
  HttpDirectResponse d;
  d.status = uint32Of(n->get("status")).value_or(0);
  const Node* body = n->get("body");
  if (body != nullptr && body->isMap()) {
    if (std::optional<std::string> s = optString(body->get("string"))) {
      d.body = std::move(*s);
    } else if (std::optional<std::string> b = optString(body->get("bytes"))) {
      d.body = decodeBase64(*b);
    } else {
      d.body = std::string();  // `body: {}`: an empty body
    }
  }
  return d;
}

HttpRewrite rewriteOf(const Node* n) {
  HttpRewrite r;
  r.uri = stringOf(n->get("uri"));
  const Node* regex = n->get("uriRegexRewrite");
  if (regex != nullptr && regex->isMap()) {
    r.uri_regex_rewrite.emplace(stringOf(regex->get("match")), stringOf(regex->get("rewrite")));
  }
  r.authority = stringOf(n->get("authority"));
  return r;
}

HttpRetry retryOf(const Node* n) {
  HttpRetry r;
  r.attempts = static_cast<int32_t>(intOf(n->get("attempts"), INT32_MIN, INT32_MAX).value_or(0));
  r.per_try_timeout_ns = durationOf(n->get("perTryTimeout"));
  r.retry_on = stringOf(n->get("retryOn"));
  r.retry_remote_localities = boolOf(n->get("retryRemoteLocalities"));
  r.retry_ignore_previous_hosts = boolOf(n->get("retryIgnorePreviousHosts"));
  r.backoff_ns = durationOf(n->get("backoff"));
  return r;
}

HttpFaultInjection faultOf(const Node* n) {
  HttpFaultInjection f;
  const Node* delay = n->get("delay");
  if (delay != nullptr && delay->isMap()) {
    HttpFaultInjection::Delay d;
    d.fixed_delay_ns = durationOf(delay->get("fixedDelay"));
    d.exponential =
        delay->get("exponentialDelay") != nullptr && !delay->get("exponentialDelay")->isNull();
    d.percentage = percentOf(delay->get("percentage"));
    d.percent =
        static_cast<int32_t>(intOf(delay->get("percent"), INT32_MIN, INT32_MAX).value_or(0));
    f.delay = d;
  }
  const Node* abort = n->get("abort");
  if (abort != nullptr && abort->isMap()) {
    HttpFaultInjection::Abort a;
    if (std::optional<int64_t> status = intOf(abort->get("httpStatus"), 0, INT32_MAX)) {
      a.http_status = static_cast<uint32_t>(*status);
    }
    a.grpc_status = stringOf(abort->get("grpcStatus"));
    a.http2_error = abort->get("http2Error") != nullptr && !abort->get("http2Error")->isNull();
    a.percentage = percentOf(abort->get("percentage"));
    f.abort = a;
  }
  return f;
}

// SEMANTICS 1.13: `mirror` takes mirrorPercentage, else the deprecated mirrorPercent, else 100 %;
// `mirrors` entries carry their own percentage.
std::vector<HttpMirror> mirrorsOf(const Node* route) {
  std::vector<HttpMirror> out;
  const Node* mirror = route->get("mirror");
  if (mirror != nullptr && mirror->isMap()) {
    HttpMirror m;
    m.destination = destinationOf(mirror, route->loc());
    const Node* percentage = route->get("mirrorPercentage");
    if (percentage != nullptr && percentage->isMap()) {
      m.percentage = percentOf(percentage);
    } else if (std::optional<uint32_t> percent = uint32Of(route->get("mirrorPercent"))) {
      m.percentage = static_cast<double>(*percent);
    }
    out.push_back(std::move(m));
  }
  const Node* mirrors = route->get("mirrors");
  if (mirrors != nullptr) {
    for (const Node* item : mirrors->items()) {
      if (item == nullptr || !item->isMap()) {
        continue;
      }
      const Node* dest = item->get("destination");
      if (dest == nullptr || !dest->isMap()) {
        continue;  // Istio skips policies without a destination
      }
      HttpMirror m;
      m.destination = destinationOf(dest, item->loc());
      m.percentage = percentOf(item->get("percentage"));
      out.push_back(std::move(m));
    }
  }
  return out;
}

CorsPolicy corsPolicyOf(const Node* n) {
  CorsPolicy c;
  const Node* origins = n->get("allowOrigins");
  if (origins != nullptr) {
    for (const Node* item : origins->items()) {
      if (item == nullptr || !item->isMap()) {
        continue;
      }
      // An origin matcher without exact/prefix/regex converts to nothing in Istio: dropped.
      StringMatch m = stringMatchOf(item, /*regex_star_is_presence=*/false);
      if (m.kind != StringMatch::Kind::kPresent) {
        c.allow_origins.push_back(std::move(m));
      }
    }
  }
  // The deprecated allowOrigin list is read only when allowOrigins is empty; its entries are
  // exact matches.
  if (origins == nullptr || origins->items().empty()) {
    for (std::string& origin : stringList(n->get("allowOrigin"))) {
      c.allow_origins.push_back(StringMatch{StringMatch::Kind::kExact, std::move(origin)});
    }
  }
  c.allow_methods = stringList(n->get("allowMethods"));
  c.allow_headers = stringList(n->get("allowHeaders"));
  c.expose_headers = stringList(n->get("exposeHeaders"));
  c.max_age_ns = durationOf(n->get("maxAge"));
  c.allow_credentials = boolOf(n->get("allowCredentials"));
  std::string preflights =
      enumOf(n->get("unmatchedPreflights"), {"UNSPECIFIED", "FORWARD", "IGNORE"});
  c.unmatched_preflights = preflights == "UNSPECIFIED" ? "" : preflights;
  return c;
}

// --- Routes ------------------------------------------------------------------------------------

HttpRoute httpRouteOf(const Node* n, uint32_t index) {
  HttpRoute r;
  r.index = index;
  r.loc = n->loc();
  r.name = stringOf(n->get("name"));
  if (const Node* match = n->get("match")) {
    for (const Node* item : match->items()) {
      if (item != nullptr && item->isMap()) {
        r.match.push_back(matchRequestOf(item));
      }
    }
  }
  if (const Node* route = n->get("route")) {
    for (const Node* item : route->items()) {
      if (item == nullptr || !item->isMap()) {
        continue;
      }
      HttpRouteDestination d;
      d.destination = destinationOf(item->get("destination"), item->loc());
      d.weight = static_cast<int32_t>(intOf(item->get("weight"), INT32_MIN, INT32_MAX).value_or(0));
      d.headers = headersOf(item->get("headers"));
      r.route.push_back(std::move(d));
    }
  }
  const Node* redirect = n->get("redirect");
  if (redirect != nullptr && redirect->isMap()) {
    r.redirect = redirectOf(redirect);
  }
  const Node* direct = n->get("directResponse");
  if (direct != nullptr && direct->isMap()) {
    r.direct_response = directResponseOf(direct);
  }
  const Node* delegate = n->get("delegate");
  if (delegate != nullptr && delegate->isMap()) {
    r.delegate = Delegate{stringOf(delegate->get("name")), stringOf(delegate->get("namespace"))};
  }
  const Node* rewrite = n->get("rewrite");
  if (rewrite != nullptr && rewrite->isMap()) {
    r.rewrite = rewriteOf(rewrite);
  }
  r.timeout_ns = durationOf(n->get("timeout"));
  const Node* retries = n->get("retries");
  if (retries != nullptr && retries->isMap()) {
    r.retries = retryOf(retries);
  }
  const Node* fault = n->get("fault");
  if (fault != nullptr && fault->isMap()) {
    r.fault = faultOf(fault);
  }
  r.mirrors = mirrorsOf(n);
  const Node* cors = n->get("corsPolicy");
  if (cors != nullptr && cors->isMap()) {
    r.cors_policy = corsPolicyOf(cors);
  }
  r.headers = headersOf(n->get("headers"));
  return r;
}

std::vector<RouteDestination> routeDestinationsOf(const Node* n) {
  std::vector<RouteDestination> out;
  if (n == nullptr) {
    return out;
  }
  for (const Node* item : n->items()) {
    if (item == nullptr || !item->isMap()) {
      continue;
    }
    RouteDestination d;
    d.destination = destinationOf(item->get("destination"), item->loc());
    d.weight = static_cast<int32_t>(intOf(item->get("weight"), INT32_MIN, INT32_MAX).value_or(0));
    out.push_back(std::move(d));
  }
  return out;
}

// The L4 match fields TCP and TLS matches share (SEMANTICS 1.15, 1.16).
template <typename Match>
void readL4Match(const Node* item, Match& m) {
  m.loc = item->loc();
  m.destination_subnets = stringList(item->get("destinationSubnets"));
  m.port = uint32Of(item->get("port")).value_or(0);
  m.source_labels = stringMap(item->get("sourceLabels"));
  m.gateways = stringList(item->get("gateways"));
  m.source_namespace = stringOf(item->get("sourceNamespace"));
}

// A TCP or TLS rule: its matches (extra per-kind fields via read_extra) and its destinations.
template <typename Route, typename Match, typename ReadExtra>
Route l4RouteOf(const Node* n, uint32_t index, ReadExtra read_extra) {
  Route r;
  r.index = index;
  r.loc = n->loc();
  if (const Node* match = n->get("match")) {
    for (const Node* item : match->items()) {
      if (item == nullptr || !item->isMap()) {
        continue;
      }
      Match m;
      readL4Match(item, m);
      read_extra(item, m);
      r.match.push_back(std::move(m));
    }
  }
  r.route = routeDestinationsOf(n->get("route"));
  return r;
}

TcpRoute tcpRouteOf(const Node* n, uint32_t index) {
  return l4RouteOf<TcpRoute, L4MatchAttributes>(n, index, [](const Node*, L4MatchAttributes&) {});
}

TlsRoute tlsRouteOf(const Node* n, uint32_t index) {
  return l4RouteOf<TlsRoute, TlsMatchAttributes>(
      n, index, [](const Node* item, TlsMatchAttributes& m) {
        m.sni_hosts = stringList(item->get("sniHosts"));
      });
}

// Calls fn(item, index) for every map item of a sequence; index counts all items so it stays the
// position in the document.
template <typename Fn>
void forEachMapItem(const Node* seq, Fn fn) {
  if (seq == nullptr) {
    return;
  }
  uint32_t index = 0;
  for (const Node* item : seq->items()) {
    if (item != nullptr && item->isMap()) {
      fn(item, index);
    }
    ++index;
  }
}

}  // namespace

VirtualService buildVirtualService(const frontend::Resource& r, const frontend::MeshConfig& mesh) {
  VirtualService vs;
  vs.meta = metaOf(r);
  const Node* spec = r.spec;
  vs.hosts = stringList(child(spec, "hosts"));
  vs.gateways = stringList(child(spec, "gateways"));
  if (vs.gateways.empty()) {
    vs.gateways.push_back("mesh");  // SEMANTICS 1.1: omitted gateways ⇒ [mesh]
  }
  forEachMapItem(child(spec, "http"),
                 [&](const Node* item, uint32_t i) { vs.http.push_back(httpRouteOf(item, i)); });
  forEachMapItem(child(spec, "tls"),
                 [&](const Node* item, uint32_t i) { vs.tls.push_back(tlsRouteOf(item, i)); });
  forEachMapItem(child(spec, "tcp"),
                 [&](const Node* item, uint32_t i) { vs.tcp.push_back(tcpRouteOf(item, i)); });
  vs.export_to = exportToOf(child(spec, "exportTo"), mesh.default_virtual_service_export_to);
  return vs;
}

}  // namespace meshc::model::detail
