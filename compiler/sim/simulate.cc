// The simulator: listener → filter chain → (HTTP) route configuration → virtual host → route →
// action, or (TCP) tcp_proxy. Route selection is delegated to the chosen engine.
#include "sim/simulate.h"

#include <algorithm>
#include <charconv>

#include "base/ascii.h"
#include "base/quote.h"
#include "ir/ir.h"
#include "ir/reference_eval.h"
#include "router/compiled_route_actions.h"
#include "router/route_actions.h"
#include "routing/interpreter.h"
#include "routing/verify.h"
#include "xds/listener_match.h"

namespace meshc::sim {

const char* outcomeName(Outcome o) {
  switch (o) {
    case Outcome::kRoute:
      return "route";
    case Outcome::kRedirect:
      return "redirect";
    case Outcome::kDirectResponse:
      return "directResponse";
    case Outcome::kNoRoute:
      return "noRoute";
    case Outcome::kNoListener:
      return "noListener";
    case Outcome::kNoFilterChain:
      return "noFilterChain";
    case Outcome::kLocalReply:
      return "localReply";
  }
  return "noRoute";
}

struct Simulator::Impl {
  struct Engines {
    size_t index;
    const lower::RouteConfiguration* config;
    ir::RouteProgram program;
    std::unique_ptr<ir::ReferenceEvaluator> reference;
  };
  std::vector<Engines> engines;  // parallel to config.route_configs
  std::shared_ptr<const native::NativeRouter> native;
  // The configuration's rewrite regexes, compiled once (keyed by the routes in config_).
  std::optional<router::CompiledRouteActions> actions;

  const Engines* find(const lower::ProxyConfig& pc, std::string_view name) const {
    for (size_t i = 0; i < pc.route_configs.size(); ++i) {
      if (pc.route_configs[i].name == name) {
        return &engines[i];
      }
    }
    return nullptr;
  }
};

Simulator::Simulator(lower::ProxyConfig config) : config_(std::move(config)) {}

Expected<std::unique_ptr<Simulator>> Simulator::create(lower::ProxyConfig config) {
  std::vector<ir::RouteProgram> programs;
  programs.reserve(config.route_configs.size());
  for (const lower::RouteConfiguration& rc : config.route_configs) {
    programs.push_back(ir::buildRouteProgram(rc));
  }
  return create(std::move(config), std::move(programs));
}

Expected<std::unique_ptr<Simulator>> Simulator::create(lower::ProxyConfig config,
                                                       std::vector<ir::RouteProgram> programs) {
  if (programs.size() != config.route_configs.size()) {
    return Status::error(StatusCode::kInternal,
                         std::to_string(programs.size()) + " decision trees for " +
                             std::to_string(config.route_configs.size()) + " route configurations");
  }
  std::unique_ptr<Simulator> sim(new Simulator(std::move(config)));
  auto impl = std::make_shared<Impl>();
  impl->engines.reserve(sim->config_.route_configs.size());
  for (size_t i = 0; i < sim->config_.route_configs.size(); ++i) {
    const lower::RouteConfiguration& rc = sim->config_.route_configs[i];
    Impl::Engines e{i, &rc, std::move(programs[i]), std::make_unique<ir::ReferenceEvaluator>(rc)};
    if (Status st = ir::verifyRouteProgram(e.program); !st) {
      return Status::error(StatusCode::kInternal,
                           "route configuration " + rc.name + ": IR verifier: " + st.message());
    }
    impl->engines.push_back(std::move(e));
  }
  Expected<router::CompiledRouteActions> actions =
      router::CompiledRouteActions::create(sim->config_);
  if (!actions) {
    return actions.status();
  }
  impl->actions.emplace(std::move(*actions));
  sim->impl_ = std::move(impl);
  return sim;
}

const ir::RouteProgram& Simulator::program(size_t index) const {
  return impl_->engines[index].program;
}

Status Simulator::setNative(std::shared_ptr<const native::NativeRouter> router) {
  if (router != nullptr && router->size() != impl_->engines.size()) {
    return Status::error(StatusCode::kInternal,
                         "native code has " + std::to_string(router->size()) +
                             " entry points for " + std::to_string(impl_->engines.size()) +
                             " route configurations");
  }
  impl_->native = std::move(router);
  return Status::ok();
}

bool Simulator::hasNative() const { return impl_->native != nullptr; }

namespace {

std::string stripPort(std::string_view authority) {
  size_t colon = authority.rfind(':');
  if (colon != std::string_view::npos && authority.find(']') == std::string_view::npos &&
      authority.find(':') == colon) {
    return std::string(authority.substr(0, colon));
  }
  return std::string(authority);
}

std::string describeMatcher(const lower::StringMatcher& m) {
  static const char* kinds[] = {"exact", "prefix", "suffix", "contains", "regex"};
  return std::string(kinds[static_cast<int>(m.kind)]) + " " + quote(m.value) +
         (m.ignore_case ? " (ignoring case)" : "");
}

// Why one route does not match: the first of its conditions that fails, each checked alone with
// the reference evaluator so the explanation uses exactly Envoy's semantics.
std::string whyNot(const ir::ReferenceEvaluator& ref, const lower::Route& route,
                   const ir::RequestView& view) {
  lower::Route probe;
  probe.match.path = route.match.path;
  probe.match.case_sensitive = route.match.case_sensitive;
  if (!ref.routeMatches(probe, view)) {
    static const char* kinds[] = {"prefix", "path", "regex", "path-separated prefix"};
    return std::string(kinds[static_cast<int>(route.match.path.kind)]) + " " +
           quote(route.match.path.value) + " does not match path " + quote(view.path());
  }
  probe.match.path = lower::PathMatcher{};
  for (const lower::HeaderMatcher& h : route.match.headers) {
    probe.match.headers = {h};
    if (!ref.routeMatches(probe, view)) {
      std::optional<std::string_view> got = view.header(h.name);
      std::string want =
          h.present_match ? "present" : (h.string_match ? describeMatcher(*h.string_match) : "");
      return "header " + h.name + (h.invert_match ? " must not be " : " must be ") + want +
             ", found " + (got ? quote(*got) : std::string("none"));
    }
  }
  probe.match.headers.clear();
  for (const lower::QueryParameterMatcher& q : route.match.query_parameters) {
    probe.match.query_parameters = {q};
    if (!ref.routeMatches(probe, view)) {
      std::optional<std::string_view> got = view.queryParam(q.name);
      return "query parameter " + q.name + " must be " +
             (q.present_match ? std::string("present")
                              : (q.string_match ? describeMatcher(*q.string_match) : "")) +
             ", found " + (got ? quote(*got) : std::string("none"));
    }
  }
  probe.match.query_parameters.clear();
  for (const lower::ClaimMatcher& c : route.match.claims) {
    probe.match.claims = {c};
    if (!ref.routeMatches(probe, view)) {
      std::string path;
      for (const std::string& p : c.claim_path) {
        path += (path.empty() ? "" : ".") + p;
      }
      return "JWT claim " + path + " does not match";
    }
  }
  return "does not match";
}

// --- The steps of Simulator::run, in Envoy's order
// ------------------------------------------------

// What the simulator derives from the request once: TLS or not, the destination port, the host
// without its port, the SNI a client would send, and whether the proxy is a gateway.
struct Connection {
  bool is_tls = false;
  uint32_t port = 0;
  std::string host;
  std::string sni;
  bool gateway = false;
  std::string forwarded_proto;  // x-forwarded-proto as the router sees it (R2.4, R2.5)
  std::string scheme;           // :scheme as the router sees it (R2.6)
};

Connection connectionOf(const lower::ProxyConfig& config, const SimRequest& request) {
  Connection conn;
  conn.is_tls = request.tls || request.sni.has_value() || request.http.scheme == "https";
  conn.port = request.port != 0 ? request.port : (request.http.scheme == "https" ? 443 : 80);
  conn.host = stripPort(request.http.authority);
  conn.sni = request.sni ? *request.sni : (conn.is_tls ? conn.host : std::string());
  conn.gateway = config.proxy.kind == lower::ProxyIdentity::Kind::kGateway;
  // R2.4: a gateway trusting no proxy overwrites x-forwarded-proto from the connection; R2.5:
  // otherwise a client's value is kept and one is added from the connection when absent.
  const std::string from_connection = conn.is_tls ? "https" : "http";
  conn.forwarded_proto = from_connection;
  if (!conn.gateway || config.proxy.num_trusted_proxies > 0) {
    for (const auto& [name, value] : request.http.headers) {
      if (ascii::equalsIgnoreCase(name, "x-forwarded-proto")) {
        conn.forwarded_proto = value;
        break;
      }
    }
  }
  // R2.6: :scheme from a valid x-forwarded-proto, else from the connection.
  std::string proto = ascii::toLower(conn.forwarded_proto);
  conn.scheme = proto == "http" || proto == "https" ? proto : from_connection;
  return conn;
}

// What the redirect builders need from a request that reached routing.
router::RedirectRequest redirectRequestOf(const SimRequest& request, const ir::RequestView& view,
                                          const Connection& conn) {
  router::RedirectRequest rr;
  rr.scheme = conn.scheme;
  rr.authority = request.http.authority;
  rr.path_with_query = view.pathWithQuery();
  rr.forwarded_proto = conn.forwarded_proto;
  return rr;
}

// 1. The listener that takes the connection (xds/listener_match.h). Sidecars: a call by host
// name goes to its service VIP, as Istio's DNS proxy answers.
const lower::Listener* selectListener(const lower::ProxyConfig& config, const SimRequest& request,
                                      const Connection& conn) {
  std::string address = request.address;
  if (address.empty() && !conn.gateway) {
    for (const auto& [h, vip] : config.dns) {
      if (h == conn.host) {
        address = vip;
      }
    }
  }
  return xds::selectListener(config, address, conn.port);
}

// 2. The listener's filter chain (SEMANTICS 8.2 step 3). nullptr, with r's outcome and trace
// set, when no chain accepts the connection.
const lower::FilterChain* selectFilterChain(const lower::Listener* listener,
                                            const SimRequest& request, const Connection& conn,
                                            SimResult& r) {
  std::string address = request.address.empty() ? listener->address : request.address;
  std::string alpn;
  if (!conn.is_tls && listener->has_http_inspector &&
      request.protocol == SimRequest::Protocol::kHttp) {
    alpn = "http/1.1";
  }
  xds::ConnectionFacts facts;
  facts.destination_port = conn.port;
  facts.destination_address = address;
  facts.tls = conn.is_tls;
  facts.sni = conn.sni;
  if (!alpn.empty()) {
    facts.alpn.push_back(alpn);
  }
  xds::FilterChainChoice choice = xds::selectFilterChain(*listener, facts);
  const lower::FilterChain* chain = choice.chain;
  if (chain == nullptr) {
    r.outcome = Outcome::kNoFilterChain;
    r.trace.push_back("no filter chain of " + listener->name + " accepts this connection" +
                      (conn.sni.empty() ? "" : " (SNI " + conn.sni + ")"));
    return nullptr;
  }
  if (choice.ambiguous) {
    r.trace.push_back(
        "several filter chains match; Envoy would reject this listener; using the first");
  }
  r.filter_chain = chain->name;
  r.trace.push_back("filter chain " +
                    (chain->name.empty() ? std::string("(unnamed)") : chain->name));
  if (chain->terminates_tls && !conn.is_tls) {
    r.outcome = Outcome::kNoFilterChain;
    r.trace.push_back("the filter chain expects TLS but the connection is plaintext");
    return nullptr;
  }

  return chain;
}

// 3. A chain without HTTP forwards over tcp_proxy; an HTTP chain refuses raw TCP and TLS it does
// not terminate. True when the request ends here (r is complete).
bool forwardTcp(const lower::ProxyConfig& config, const lower::FilterChain& chain,
                const SimRequest& request, const Connection& conn, SimResult& r) {
  if (!chain.http) {
    if (!chain.tcp_proxy) {
      r.outcome = Outcome::kNoFilterChain;
      r.trace.push_back("the filter chain has no network filter that forwards");
      return true;
    }
    r.outcome = Outcome::kRoute;
    r.virtual_service = chain.tcp_proxy->source.virtual_service;
    r.source = lower::toSourceLoc(chain.tcp_proxy->source.loc);
    if (chain.tcp_proxy->weighted.empty()) {
      r.cluster = chain.tcp_proxy->cluster;
      r.cluster_exists = config.findCluster(r.cluster) != nullptr;
    } else {
      for (const lower::WeightedCluster& w : chain.tcp_proxy->weighted) {
        r.weighted_clusters.emplace_back(w.name, w.weight);
      }
    }
    r.trace.push_back("tcp_proxy to " +
                      (r.cluster.empty() ? std::string("weighted clusters") : r.cluster));
    return true;
  }
  if (request.protocol == SimRequest::Protocol::kTcp) {
    r.outcome = Outcome::kNoFilterChain;
    r.trace.push_back("the filter chain speaks HTTP but the connection is raw TCP");
    return true;
  }
  if (conn.is_tls && !chain.terminates_tls) {
    r.outcome = Outcome::kNoFilterChain;
    r.trace.push_back("TLS sent to an HTTP filter chain that does not terminate TLS");
    return true;
  }

  return false;
}

// 4b. The virtual host and route behind an engine's decision, with the trace of the routes tried
// before it. nullptr, with r complete, when the request ends at the virtual host (404, TLS
// redirect).
const lower::Route* selectRoute(const lower::RouteConfiguration& rc,
                                const ir::ReferenceEvaluator& reference,
                                const ir::RouteDecision& decision, const ir::RequestView& view,
                                const SimRequest& request, const Connection& conn, SimResult& r) {
  if (decision.kind == ir::RouteDecision::Kind::kNoVirtualHost) {
    r.outcome = Outcome::kNoRoute;
    r.status = 404;
    r.trace.push_back("route configuration " + rc.name + ": no virtual host matches host " +
                      quote(view.host()) + " (404 NR)");
    return nullptr;
  }
  const lower::VirtualHost& vh = rc.virtual_hosts[decision.virtual_host];
  r.virtual_host = vh.name;
  r.vhost_index = decision.virtual_host;
  std::string why_vhost = "the catch-all domain \"*\"";
  for (const std::string& d : vh.domains) {
    if (d == view.host()) {
      why_vhost = "exact domain " + quote(d);
      break;
    }
    if (d != "*" && (d.front() == '*' || d.back() == '*')) {
      why_vhost = "wildcard domain " + quote(d);
    }
  }
  r.trace.push_back("virtual host " + vh.name + ": host " + quote(view.host()) + " matches " +
                    why_vhost);
  // Which earlier routes were tried, and the condition that failed for each (capped for size).
  size_t tried = decision.kind == ir::RouteDecision::Kind::kRoute
                     ? static_cast<size_t>(decision.route)
                     : vh.routes.size();
  constexpr size_t kMaxExplained = 12;
  for (size_t i = 0; i < tried && i < kMaxExplained; ++i) {
    const lower::Route& other = vh.routes[i];
    std::string name = !other.name.empty() ? other.name : "#" + std::to_string(i);
    r.trace.push_back("  route " + name + " skipped: " + whyNot(reference, other, view));
  }
  if (tried > kMaxExplained) {
    r.trace.push_back("  ... and " + std::to_string(tried - kMaxExplained) +
                      " more routes skipped");
  }
  // R14.7: require_tls answers any request whose x-forwarded-proto is not https, keeping the
  // Host as sent (port included).
  if (vh.require_tls && !ascii::equalsIgnoreCase(conn.forwarded_proto, "https")) {
    r.outcome = Outcome::kRedirect;
    r.redirect_status = 301;
    r.status = 301;
    r.redirect_location = router::httpsRedirectLocation(redirectRequestOf(request, view, conn));
    r.trace.push_back("the virtual host requires TLS (httpsRedirect): 301 to https");
    return nullptr;
  }
  if (decision.kind == ir::RouteDecision::Kind::kNoRoute) {
    r.outcome = Outcome::kNoRoute;
    r.status = 404;
    r.trace.push_back("no route of " + vh.name + " matches (404 NR)");
    return nullptr;
  }
  const lower::Route& route = vh.routes[decision.route];
  r.route_index = decision.route;
  r.matched = &route;
  r.route = !route.name.empty()
                ? route.name
                : (route.source.http_index >= 0 ? "#" + std::to_string(route.source.http_index)
                                                : "#" + std::to_string(decision.route));
  r.virtual_service = route.source.virtual_service;
  r.source = lower::toSourceLoc(route.source.loc);
  r.trace.push_back("route " + r.route +
                    (r.virtual_service.empty() ? "" : " of VirtualService " + r.virtual_service));

  return &route;
}

// 5. The route's action: redirect, direct response, or forwarding to clusters (rewrites, fault).
void applyAction(const lower::ProxyConfig& config, const lower::Route& route,
                 const SimRequest& request, const ir::RequestView& view, const Connection& conn,
                 const router::CompiledRouteActions* actions, SimResult& r) {
  switch (route.action) {
    case lower::Route::ActionKind::kRedirect: {
      r.outcome = Outcome::kRedirect;
      r.redirect_status = route.redirect.response_code;
      r.status = route.redirect.response_code;
      r.redirect_location = router::redirectLocation(route, redirectRequestOf(request, view, conn));
      r.trace.push_back("redirect " + std::to_string(r.redirect_status) + " to " +
                        r.redirect_location);
      return;
    }
    case lower::Route::ActionKind::kDirectResponse:
      r.outcome = Outcome::kDirectResponse;
      r.direct_status = route.direct_response.status;
      r.direct_body = route.direct_response.body;
      r.status = route.direct_response.status;
      r.trace.push_back("direct response " + std::to_string(r.status));
      return;
    case lower::Route::ActionKind::kNone:
      r.outcome = Outcome::kNoRoute;
      r.status = 404;
      r.trace.push_back("Istio dropped this route's action (unsupported redirect code)");
      return;
    case lower::Route::ActionKind::kRoute:
      break;
  }
  const lower::RouteAction& a = route.route;
  r.outcome = Outcome::kRoute;
  if (a.weighted.empty()) {
    r.cluster = a.cluster;
    r.cluster_exists = config.findCluster(a.cluster) != nullptr;
    if (!r.cluster_exists) {
      r.status = 503;
      r.trace.push_back("cluster " + a.cluster + " does not exist: Envoy answers 503 NC");
    }
  } else {
    bool all_exist = true;
    for (const lower::WeightedCluster& w : a.weighted) {
      r.weighted_clusters.emplace_back(w.name, w.weight);
      all_exist = all_exist && config.findCluster(w.name) != nullptr;
    }
    r.cluster_exists = all_exist;
  }
  std::string rewritten = router::rewritePath(route, view.pathWithQuery(), actions);
  if (rewritten != view.pathWithQuery()) {
    r.rewritten_path = rewritten;
  }
  if (!a.host_rewrite.empty()) {
    r.rewritten_authority = a.host_rewrite;
  } else if (a.weighted.empty()) {
    // nothing
  }
  if (route.fault && route.fault->abort_per_million >= 1'000'000 &&
      route.fault->abort_http_status) {
    r.status = *route.fault->abort_http_status;
    r.trace.push_back("fault injection aborts every request with " + std::to_string(r.status));
  }
}

}  // namespace

SimResult Simulator::run(const SimRequest& request, EngineKind engine) const {
  SimResult r;
  const Connection conn = connectionOf(config_, request);

  // 1. Listener.
  const lower::Listener* listener = selectListener(config_, request, conn);
  if (listener == nullptr) {
    r.outcome = Outcome::kNoListener;
    r.trace.push_back("no listener on port " + std::to_string(conn.port));
    return r;
  }
  r.listener = listener->name;
  r.trace.push_back("listener " + listener->name);

  // 2. Filter chain.
  const lower::FilterChain* chain = selectFilterChain(listener, request, conn, r);
  if (chain == nullptr) {
    return r;
  }

  // 3. TCP proxy.
  if (forwardTcp(config_, *chain, request, conn, r)) {
    return r;
  }

  // 4. The connection manager normalises the path before any route lookup (R0.2, R1.13).
  ir::RequestView view = ir::RequestView::create(request.http);
  if (view.pathNormalizationFailed()) {
    r.outcome = Outcome::kLocalReply;
    r.status = 400;
    r.details = "path_normalization_failed";
    r.trace.push_back("path " + quote(view.path()) +
                      " fails Envoy's normalisation (NUL or %00): 400 path_normalization_failed");
    return r;
  }

  // 5. Route configuration, virtual host, route.
  r.route_config = chain->rds_name;
  const Impl::Engines* engines = impl_->find(config_, chain->rds_name);
  if (engines == nullptr) {
    r.outcome = Outcome::kNoRoute;
    r.status = 404;
    r.trace.push_back("route configuration " + chain->rds_name + " does not exist");
    return r;
  }
  const lower::RouteConfiguration& rc = *engines->config;
  ir::RouteDecision decision;
  if (engine == EngineKind::kReference) {
    decision = engines->reference->evaluate(view);
  } else if (engine == EngineKind::kNative && impl_->native != nullptr) {
    decision = impl_->native->evaluate(engines->index, engines->program, view);
  } else {
    decision = ir::evaluateProgram(engines->program, view);
  }
  const lower::Route* route =
      selectRoute(rc, *engines->reference, decision, view, request, conn, r);
  if (route == nullptr) {
    return r;
  }

  // 6. Action.
  applyAction(config_, *route, request, view, conn, impl_->actions ? &*impl_->actions : nullptr, r);
  return r;
}

Expected<SimRequest> parseRequestLine(std::string_view text) {
  SimRequest req;
  while (!text.empty() && text.front() == ' ') {
    text.remove_prefix(1);
  }
  std::string_view url = text;
  if (size_t space = text.find(' '); space != std::string_view::npos) {
    std::string method(text.substr(0, space));
    url = text.substr(space + 1);
    while (!url.empty() && url.front() == ' ') {
      url.remove_prefix(1);
    }
    for (char c : method) {
      if (!(std::isupper(static_cast<unsigned char>(c)) || c == '-' || c == '_')) {
        return Status::error(StatusCode::kInvalidArgument,
                             "invalid method " + quote(method) + "; expected e.g. GET or POST");
      }
    }
    req.http.method = method;
  }
  size_t scheme_end = url.find("://");
  if (scheme_end == std::string_view::npos) {
    return Status::error(
        StatusCode::kInvalidArgument,
        "invalid URL " + quote(url) +
            "; expected scheme://host[:port]/path, e.g. http://shop.example.com/cart");
  }
  std::string scheme = ascii::toLower(url.substr(0, scheme_end));
  if (scheme != "http" && scheme != "https" && scheme != "tcp" && scheme != "tls") {
    return Status::error(StatusCode::kInvalidArgument, "unsupported scheme " + quote(scheme) +
                                                           "; expected http, https, tcp or tls");
  }
  std::string_view rest = url.substr(scheme_end + 3);
  size_t slash = rest.find_first_of("/?");
  std::string_view authority = rest.substr(0, slash);
  if (authority.empty()) {
    return Status::error(StatusCode::kInvalidArgument, "URL " + quote(url) + " has no host");
  }
  std::string path = slash == std::string_view::npos ? "/" : std::string(rest.substr(slash));
  if (!path.empty() && path.front() == '?') {
    path.insert(path.begin(), '/');
  }
  uint32_t port = 0;
  size_t colon = authority.rfind(':');
  if (colon != std::string_view::npos && authority.find(']') == std::string_view::npos) {
    std::string_view p = authority.substr(colon + 1);
    auto [ptr, ec] = std::from_chars(p.data(), p.data() + p.size(), port);
    if (ec != std::errc() || ptr != p.data() + p.size() || port == 0 || port > 65535) {
      return Status::error(StatusCode::kInvalidArgument,
                           "invalid port " + quote(p) + " in URL; expected 1..65535");
    }
  }
  if (scheme == "tcp" || scheme == "tls") {
    req.protocol = SimRequest::Protocol::kTcp;
    req.tls = scheme == "tls";
    req.http.scheme = scheme == "tls" ? "https" : "http";
    if (port == 0) {
      return Status::error(StatusCode::kInvalidArgument,
                           scheme + " URLs need a port, e.g. tcp://db:5432");
    }
  } else {
    req.http.scheme = scheme;
  }
  req.port = port;
  req.http.authority = std::string(authority);
  req.http.path = path;
  return req;
}

}  // namespace meshc::sim
