// Routing commands' shared plumbing: admitted config, proxies, request and result JSON.
#include "cli/routing_input.h"

#include <fmt/format.h>

#include <charconv>
#include <fstream>
#include <iostream>
#include <set>

#include "base/quote.h"
#include "codegen/codegen.h"
#include "lower/proxy_config.h"

namespace meshc::cli {

using nlohmann::json;

Expected<RoutingInput> loadRouting(const std::vector<std::string>& paths,
                                   const std::string& default_namespace,
                                   const std::string& mesh_config, SourceManager& sources) {
  frontend::LintOptions options;
  options.paths = paths;
  options.default_namespace = default_namespace;
  options.mesh_config_path = mesh_config;
  RoutingInput in;
  Expected<frontend::LintResult> lint = frontend::runLint(options, sources, &in.session);
  if (!lint) {
    return lint.status();
  }
  in.lint = std::move(*lint);
  std::vector<frontend::Resource> admitted =
      frontend::admittedResources(in.session->resources(), in.lint.diagnostics);
  for (const frontend::Resource& r : admitted) {
    if (!r.schema_valid) {
      std::string first;
      for (const Diagnostic& d : in.lint.diagnostics) {
        if (d.severity == Severity::kError && d.resource.friendlyName() == r.ref().friendlyName()) {
          first = fmt::format("{}:{}: {}", sources.path(d.loc.file), d.loc.line, d.message);
          break;
        }
      }
      in.rejected.push_back(r.ref().friendlyName() + ": " + first);
    }
  }
  in.config = model::buildConfigSet(admitted, in.session->mesh);
  return in;
}

void warnRejected(const RoutingInput& input, std::string_view command) {
  int yaml_errors = 0;
  for (const Diagnostic& d : input.lint.diagnostics) {
    if (d.severity == Severity::kError && d.resource.empty()) {
      ++yaml_errors;
    }
  }
  for (const std::string& r : input.rejected) {
    std::cerr << fmt::format("meshc {}: warning: ignoring {} (the API server or Istio would reject it)\n",
                             command, r);
  }
  if (yaml_errors > 0) {
    std::cerr << fmt::format(
        "meshc {}: warning: {} YAML document(s) could not be read; run meshc lint for details\n",
        command, yaml_errors);
  }
}

Expected<model::StringMap> parseLabels(std::string_view text) {
  model::StringMap labels;
  while (!text.empty()) {
    size_t comma = text.find(',');
    std::string_view kv = text.substr(0, comma);
    size_t eq = kv.find('=');
    if (eq == std::string_view::npos || eq == 0) {
      return Status::error(StatusCode::kInvalidArgument,
                           "invalid label " + quote(kv) + "; expected key=value");
    }
    labels[std::string(kv.substr(0, eq))] = std::string(kv.substr(eq + 1));
    if (comma == std::string_view::npos) {
      break;
    }
    text.remove_prefix(comma + 1);
  }
  return labels;
}

std::string ProxySpec::key() const {
  std::string k = identity.kind == lower::ProxyIdentity::Kind::kGateway ? "gateway|" : "sidecar|";
  k += identity.name_space + "|";
  for (const auto& [name, value] : identity.labels) {
    k += name + "=" + value + ",";
  }
  return k;
}

Expected<ProxySpec> proxyFromFlags(const std::string& gateway, const std::string& sidecar,
                                   const std::string& name_space,
                                   const std::string& sidecar_namespace) {
  if (gateway.empty() == sidecar.empty()) {
    return Status::error(StatusCode::kInvalidArgument,
                         "give exactly one of --gateway LABELS or --sidecar LABELS");
  }
  ProxySpec proxy;
  bool is_gateway = !gateway.empty();
  proxy.identity.kind =
      is_gateway ? lower::ProxyIdentity::Kind::kGateway : lower::ProxyIdentity::Kind::kSidecar;
  proxy.identity.name_space =
      !name_space.empty() ? name_space : (is_gateway ? "istio-system" : sidecar_namespace);
  Expected<model::StringMap> labels = parseLabels(is_gateway ? gateway : sidecar);
  if (!labels) {
    return labels.status();
  }
  proxy.identity.labels = *labels;
  return proxy;
}

namespace {

// A usage error about one field of a request or proxy object; `field` (when asked for) receives
// the field's dotted path so callers can point at its line.
Status fieldError(std::string* field, std::string path, std::string message) {
  if (field != nullptr) {
    *field = std::move(path);
  }
  return Status::error(StatusCode::kInvalidArgument, std::move(message));
}

// What a JSON value is, for "expected X, found Y" messages.
std::string jsonTypeName(const json& j) {
  switch (j.type()) {
    case json::value_t::null:
      return "null";
    case json::value_t::boolean:
      return "a boolean";
    case json::value_t::number_integer:
    case json::value_t::number_unsigned:
    case json::value_t::number_float:
      return "a number";
    case json::value_t::string:
      return "a string";
    case json::value_t::array:
      return "a list";
    case json::value_t::object:
      return "an object";
    default:
      return "a " + std::string(j.type_name());
  }
}

}  // namespace

Expected<ProxySpec> proxyFromJson(const json& j, const std::string& sidecar_namespace,
                                  std::string* field) {
  if (!j.is_object()) {
    return fieldError(field, "proxy", "\"proxy\" must be an object, found " + jsonTypeName(j));
  }
  ProxySpec p;
  for (const auto& [k, v] : j.items()) {
    if (k != "kind" && k != "namespace" && k != "labels") {
      return fieldError(
          field, "proxy." + k,
          "unknown field " + quote("proxy." + k) + "; expected kind, namespace, labels");
    }
  }
  std::string kind;
  if (j.contains("kind")) {
    if (!j["kind"].is_string()) {
      return fieldError(field, "proxy.kind",
                        "proxy.kind must be \"gateway\" or \"sidecar\", found " +
                            jsonTypeName(j["kind"]) + " " + j["kind"].dump());
    }
    kind = j["kind"].get<std::string>();
  }
  if (kind == "gateway") {
    p.identity.kind = lower::ProxyIdentity::Kind::kGateway;
    p.identity.name_space = "istio-system";
  } else if (kind == "sidecar") {
    p.identity.kind = lower::ProxyIdentity::Kind::kSidecar;
    p.identity.name_space = sidecar_namespace;
  } else {
    return fieldError(field, j.contains("kind") ? "proxy.kind" : "proxy",
                      "proxy.kind must be \"gateway\" or \"sidecar\", found " + quote(kind));
  }
  if (j.contains("namespace")) {
    if (!j["namespace"].is_string()) {
      return fieldError(field, "proxy.namespace",
                        "proxy.namespace must be a string, found " + jsonTypeName(j["namespace"]));
    }
    p.identity.name_space = j["namespace"].get<std::string>();
  }
  if (j.contains("labels")) {
    if (!j["labels"].is_object()) {
      return fieldError(field, "proxy.labels",
                        "proxy.labels must be a map of label names to values, found " +
                            jsonTypeName(j["labels"]));
    }
    for (const auto& [k, v] : j["labels"].items()) {
      if (!v.is_string()) {
        return fieldError(field, "proxy.labels." + k,
                          "proxy.labels." + k + " must be a string, found " + jsonTypeName(v) +
                              " (quote it in YAML)");
      }
      p.identity.labels[k] = v.get<std::string>();
    }
  }
  return p;
}

Expected<RequestLine> requestLineFromJson(const json& j, const std::string& sidecar_namespace,
                                          std::string* field) {
  if (!j.is_object()) {
    return fieldError(field, "", "expected a JSON object, found " + jsonTypeName(j));
  }
  RequestLine out;
  for (const auto& [k, v] : j.items()) {
    if (k != "name" && k != "proxy" && k != "request") {
      return fieldError(field, k, "unknown field " + quote(k) + "; expected name, proxy, request");
    }
  }
  if (j.contains("name")) {
    if (!j["name"].is_string()) {
      return fieldError(field, "name", "name must be a string, found " + jsonTypeName(j["name"]));
    }
    out.name = j["name"].get<std::string>();
  }
  if (j.contains("proxy")) {
    Expected<ProxySpec> p = proxyFromJson(j["proxy"], sidecar_namespace, field);
    if (!p) {
      return p.status();
    }
    out.proxy = std::move(*p);
  }
  Expected<sim::SimRequest> r =
      requestFromJson(j.contains("request") ? j["request"] : json::object(), field);
  if (!r) {
    return r.status();
  }
  out.request = std::move(*r);
  out.request.name = out.name;
  return out;
}

Status forEachRequestLine(const std::string& path, const std::string& sidecar_namespace,
                          const std::function<void(int, Expected<RequestLine>)>& on_line) {
  std::ifstream in(path);
  if (!in) {
    return Status::error(StatusCode::kIoError, "cannot read " + path);
  }
  std::string line;
  int line_no = 0;
  while (std::getline(in, line)) {
    ++line_no;
    if (line.find_first_not_of(" \t\r") == std::string::npos) {
      continue;
    }
    json j = json::parse(line, nullptr, false);
    if (j.is_discarded()) {
      on_line(line_no, Status::error(StatusCode::kInvalidArgument,
                                     "not valid JSON; expected one JSON object per line"));
      continue;
    }
    on_line(line_no, requestLineFromJson(j, sidecar_namespace));
  }
  return Status::ok();
}

Expected<const sim::Simulator*> SimulatorCache::get(const ProxySpec& proxy) {
  std::string key = proxy.key();
  auto it = built_.find(key);
  if (it != built_.end()) {
    return static_cast<const sim::Simulator*>(it->second.get());
  }
  lower::ProxyConfig pc = lower::buildProxyConfig(config_, proxy.identity).config;
  Expected<std::unique_ptr<sim::Simulator>> s = sim::Simulator::create(std::move(pc));
  if (!s) {
    return s.status();
  }
  if (engine_ == sim::EngineKind::kNative) {
    if (Status st = attachNativeCode(**s); !st) {
      return st;
    }
  }
  const sim::Simulator* raw = s->get();
  built_[key] = std::move(*s);
  return raw;
}

Expected<BundleSimulator> loadBundleSimulator(const std::string& path, SourceManager& sources,
                                              sim::EngineKind engine) {
  Expected<std::string> bytes = bundle::readFileBytes(path);
  if (!bytes) {
    return bytes.status();
  }
  bundle::BundleErrorKind kind{};
  Expected<bundle::Bundle> b = bundle::readBundle(*bytes, path, &kind);
  if (!b) {
    return Status::error(b.status().code(), bundleErrorText(b.status(), kind));
  }
  uint32_t first = static_cast<uint32_t>(sources.size());
  for (const std::string& f : b->source_files) {
    sources.add(f, "");
  }
  if (first != 0) {
    // Source ids in the bundle count from 0; shift them past files already loaded.
    auto shift = [first](xds::SourceRef& loc) {
      if (loc.valid()) {
        loc.file += first;
      }
    };
    for (auto& rc : b->config.route_configs) {
      for (auto& vh : rc.virtual_hosts) {
        for (auto& r : vh.routes) {
          shift(r.source.loc);
        }
      }
    }
    for (auto& l : b->config.listeners) {
      for (auto& c : l.filter_chains) {
        if (c.tcp_proxy) {
          shift(c.tcp_proxy->source.loc);
        }
      }
      if (l.default_filter_chain && l.default_filter_chain->tcp_proxy) {
        shift(l.default_filter_chain->tcp_proxy->source.loc);
      }
    }
  }
  BundleSimulator out;
  out.header = b->header;
  // The native code is linked from the bundle before its trees move into the simulator.
  std::unique_ptr<native::NativeRouter> router;
  if (engine == sim::EngineKind::kNative) {
    if (!b->native) {
      out.warning = "the bundle has no native code (compiled with --no-native); using its portable tree";
    } else {
      router = native::loadBundleNative(*b, &out.warning);
    }
  }
  Expected<std::unique_ptr<sim::Simulator>> s =
      sim::Simulator::create(std::move(b->config), std::move(b->programs));
  if (!s) {
    return Status::error(StatusCode::kCorrupt, path + ": " + s.status().message());
  }
  out.simulator = std::move(*s);
  if (router != nullptr) {
    if (Status st = out.simulator->setNative(std::move(router)); !st) {
      return Status::error(StatusCode::kCorrupt, path + ": " + st.message());
    }
    out.native = true;
  }
  return out;
}

std::string bundleErrorText(const Status& status, bundle::BundleErrorKind kind) {
  return fmt::format("error[{}]: {}", bundle::bundleErrorKindName(kind), status.message());
}

bool sameProxy(const lower::ProxyIdentity& a, const lower::ProxyIdentity& b) {
  return a.kind == b.kind && a.name_space == b.name_space && a.labels == b.labels;
}

Expected<sim::SimRequest> requestFromJson(const json& j, std::string* field) {
  if (!j.is_object()) {
    return fieldError(field, "request", "\"request\" must be an object, found " + jsonTypeName(j));
  }
  static const std::set<std::string> kKeys = {"authority", "host",     "path", "method",  "scheme",
                                              "address",   "protocol", "port", "headers", "tls"};
  for (const auto& [k, v] : j.items()) {
    if (kKeys.count(k) == 0) {
      return fieldError(field, "request." + k,
                        "unknown field " + quote("request." + k) +
                            "; expected authority, host, path, method, scheme, port, headers, "
                            "tls, protocol, address");
    }
  }
  sim::SimRequest r;
  auto str = [&](const char* key, std::string* out) -> Status {
    if (!j.contains(key)) {
      return Status::ok();
    }
    if (!j[key].is_string()) {
      return fieldError(
          field, fmt::format("request.{}", key),
          fmt::format("request.{} must be a string, found {}", key, jsonTypeName(j[key])));
    }
    *out = j[key].get<std::string>();
    return Status::ok();
  };
  std::string protocol = "http";
  for (auto [key, out] : {std::pair{"authority", &r.http.authority}, std::pair{"path", &r.http.path},
                          std::pair{"method", &r.http.method}, std::pair{"scheme", &r.http.scheme},
                          std::pair{"address", &r.address}, std::pair{"protocol", &protocol}}) {
    if (Status st = str(key, out); !st) {
      return st;
    }
  }
  if (j.contains("host") && r.http.authority.empty()) {
    if (Status st = str("host", &r.http.authority); !st) {
      return st;
    }
  }
  if (protocol == "tcp") {
    r.protocol = sim::SimRequest::Protocol::kTcp;
  } else if (protocol != "http") {
    return fieldError(field, "request.protocol",
                      "request.protocol must be \"http\" or \"tcp\", found " + quote(protocol));
  }
  if (j.contains("port")) {
    if (!j["port"].is_number_unsigned() || j["port"].get<uint64_t>() == 0 ||
        j["port"].get<uint64_t>() > 65535) {
      return fieldError(field, "request.port",
                        "request.port must be a number 1..65535, found " + j["port"].dump());
    }
    r.port = j["port"].get<uint32_t>();
  }
  if (j.contains("headers")) {
    if (!j["headers"].is_object()) {
      return fieldError(field, "request.headers",
                        "request.headers must be a map of header names to values, found " +
                            jsonTypeName(j["headers"]));
    }
    for (const auto& [k, v] : j["headers"].items()) {
      std::string path = "request.headers." + k;
      if (v.is_string()) {
        r.http.headers.emplace_back(k, v.get<std::string>());
      } else if (v.is_array()) {
        for (const json& item : v) {
          if (!item.is_string()) {
            return fieldError(field, path,
                              path + " must be a string or a list of strings, found a list with " +
                                  jsonTypeName(item));
          }
          r.http.headers.emplace_back(k, item.get<std::string>());
        }
      } else {
        return fieldError(field, path,
                          path + " must be a string or a list of strings, found " +
                              jsonTypeName(v) + " (quote it in YAML)");
      }
    }
  }
  if (j.contains("tls")) {
    if (!j["tls"].is_object()) {
      return fieldError(field, "request.tls",
                        "request.tls must be an object, found " + jsonTypeName(j["tls"]));
    }
    r.tls = true;
    for (const auto& [k, v] : j["tls"].items()) {
      if (k != "sni") {
        return fieldError(field, "request.tls." + k,
                          "unknown field " + quote("request.tls." + k) + "; expected sni");
      }
    }
    if (j["tls"].contains("sni")) {
      if (!j["tls"]["sni"].is_string()) {
        return fieldError(
            field, "request.tls.sni",
            "request.tls.sni must be a string, found " + jsonTypeName(j["tls"]["sni"]));
      }
      r.sni = j["tls"]["sni"].get<std::string>();
    }
  }
  if (r.port == 0) {
    // Like a client would: the port in the authority, else the scheme's default (Run() decides).
    const std::string& a = r.http.authority;
    size_t colon = a.rfind(':');
    if (colon != std::string::npos && a.find(']') == std::string::npos && a.find(':') == colon) {
      uint32_t p = 0;
      auto [ptr, ec] = std::from_chars(a.data() + colon + 1, a.data() + a.size(), p);
      if (ec != std::errc() || ptr != a.data() + a.size() || p == 0 || p > 65535) {
        return fieldError(field, "request.authority",
                          "invalid port in request.authority " + quote(a));
      }
      r.port = p;
    }
  }
  if (r.http.path.empty()) {
    r.http.path = "/";
  }
  if (r.http.path.front() != '/') {
    return fieldError(field, "request.path",
                      "request.path must start with '/', found " + quote(r.http.path));
  }
  if (r.http.scheme != "http" && r.http.scheme != "https") {
    return fieldError(field, "request.scheme",
                      "request.scheme must be http or https, found " + quote(r.http.scheme));
  }
  return r;
}

namespace {

std::string durationText(int64_t ns) {
  if (ns % 1'000'000'000 == 0) {
    return std::to_string(ns / 1'000'000'000) + "s";
  }
  if (ns % 1'000'000 == 0) {
    return std::to_string(ns / 1'000'000) + "ms";
  }
  return std::to_string(ns) + "ns";
}

std::string locText(const SourceManager& sources, SourceLoc loc) {
  if (!loc.valid() || loc.file >= sources.size()) {
    return "";
  }
  return fmt::format("{}:{}", sources.path(loc.file), loc.line);
}

json headerOpsJson(const lower::HeaderMutations& h) {
  json j = json::object();
  auto adds = [](const std::vector<lower::HeaderValueOption>& ops) {
    json a = json::array();
    for (const auto& o : ops) {
      a.push_back({{"name", o.key},
                   {"value", o.value},
                   {"append", o.append == lower::HeaderValueOption::Append::kAppendIfExistsOrAdd}});
    }
    return a;
  };
  if (!h.request_headers_to_add.empty()) {
    j["requestAdd"] = adds(h.request_headers_to_add);
  }
  if (!h.request_headers_to_remove.empty()) {
    j["requestRemove"] = h.request_headers_to_remove;
  }
  if (!h.response_headers_to_add.empty()) {
    j["responseAdd"] = adds(h.response_headers_to_add);
  }
  if (!h.response_headers_to_remove.empty()) {
    j["responseRemove"] = h.response_headers_to_remove;
  }
  return j;
}

}  // namespace

json resultToJson(const sim::SimResult& r, const SourceManager& sources) {
  json j;
  j["outcome"] = sim::outcomeName(r.outcome);
  auto put = [&](const char* key, const std::string& v) {
    if (!v.empty()) {
      j[key] = v;
    }
  };
  put("listener", r.listener);
  put("filterChain", r.filter_chain);
  put("routeConfig", r.route_config);
  put("virtualHost", r.virtual_host);
  put("virtualService", r.virtual_service);
  put("route", r.route);
  put("source", locText(sources, r.source));
  put("cluster", r.cluster);
  if (!r.weighted_clusters.empty()) {
    json w = json::array();
    for (const auto& [name, weight] : r.weighted_clusters) {
      w.push_back({{"cluster", name}, {"weight", weight}});
    }
    j["weightedClusters"] = w;
  }
  if (!r.cluster_exists) {
    j["clusterMissing"] = true;
  }
  put("rewrittenPath", r.rewritten_path);
  put("rewrittenAuthority", r.rewritten_authority);
  if (r.outcome == sim::Outcome::kRedirect) {
    j["redirect"] = {{"location", r.redirect_location}, {"status", r.redirect_status}};
  }
  if (r.outcome == sim::Outcome::kDirectResponse) {
    j["directResponse"] = {{"status", r.direct_status}, {"body", r.direct_body}};
  }
  if (r.status != 0) {
    j["status"] = r.status;
  }
  put("details", r.details);
  if (r.matched != nullptr) {
    const lower::Route& route = *r.matched;
    if (route.action == lower::Route::ActionKind::kRoute) {
      const lower::RouteAction& a = route.route;
      j["timeout"] = a.timeout_ns == 0 ? "0s" : durationText(a.timeout_ns);
      if (a.retry_policy) {
        const lower::RetryPolicy& rp = *a.retry_policy;
        json rj = {{"attempts", rp.num_retries}, {"retryOn", rp.retry_on}};
        if (rp.per_try_timeout_ns) {
          rj["perTryTimeout"] = durationText(*rp.per_try_timeout_ns);
        }
        if (!rp.retriable_status_codes.empty()) {
          rj["retriableStatusCodes"] = rp.retriable_status_codes;
        }
        j["retries"] = rj;
      }
      if (!a.mirrors.empty()) {
        json m = json::array();
        for (const lower::MirrorPolicy& mp : a.mirrors) {
          m.push_back({{"cluster", mp.cluster}, {"percentage", mp.per_million / 10000.0}});
        }
        j["mirrors"] = m;
      }
    }
    if (route.fault) {
      const lower::FaultPolicy& f = *route.fault;
      json fj = json::object();
      if (f.delay_ns) {
        fj["delay"] = {{"fixedDelay", durationText(*f.delay_ns)},
                       {"percentage", f.delay_per_million / 10000.0}};
      }
      if (f.abort_http_status || f.abort_grpc_status) {
        json aj = {{"percentage", f.abort_per_million / 10000.0}};
        if (f.abort_http_status) {
          aj["httpStatus"] = *f.abort_http_status;
        }
        if (f.abort_grpc_status) {
          aj["grpcStatus"] = *f.abort_grpc_status;
        }
        fj["abort"] = aj;
      }
      j["fault"] = fj;
    }
    json headers = headerOpsJson(route.headers);
    if (!headers.empty()) {
      j["headers"] = headers;
    }
  }
  return j;
}

std::string resultToText(const sim::SimResult& r, const SourceManager& sources) {
  std::string out;
  for (size_t i = 0; i < r.trace.size(); ++i) {
    out += fmt::format("{:>2}. {}\n", i + 1, r.trace[i]);
  }
  json j = resultToJson(r, sources);
  out += fmt::format("=> {}", sim::outcomeName(r.outcome));
  if (!r.cluster.empty()) {
    out += " " + r.cluster;
  }
  for (const auto& [name, weight] : r.weighted_clusters) {
    out += fmt::format(" {}({})", name, weight);
  }
  if (r.outcome == sim::Outcome::kRedirect) {
    out += fmt::format(" {} {}", r.redirect_status, r.redirect_location);
  }
  if (r.status != 0 && r.outcome != sim::Outcome::kRedirect) {
    out += fmt::format(" (status {})", r.status);
  }
  out += "\n";
  std::string src = locText(sources, r.source);
  if (!src.empty()) {
    out += "   rule at " + src + "\n";
  }
  for (const char* key : {"rewrittenPath", "rewrittenAuthority", "timeout", "retries", "fault",
                          "mirrors", "headers"}) {
    if (j.contains(key)) {
      out += fmt::format("   {}: {}\n", key, j[key].is_string() ? j[key].get<std::string>() : j[key].dump());
    }
  }
  return out;
}

Expected<sim::EngineKind> parseEngine(std::string_view name) {
  if (name.empty()) {
    return codegen::nativeCodegenAvailable() ? sim::EngineKind::kNative
                                             : sim::EngineKind::kInterpreter;
  }
  if (name == "native") {
    if (!codegen::nativeCodegenAvailable()) {
      return Status::error(StatusCode::kUnsupported,
                           "the native engine needs an x86-64 Linux host; use --engine interpreter");
    }
    return sim::EngineKind::kNative;
  }
  if (name == "interpreter") {
    return sim::EngineKind::kInterpreter;
  }
  if (name == "reference") {
    return sim::EngineKind::kReference;
  }
  return Status::error(StatusCode::kInvalidArgument,
                       "unknown engine " + quote(name) + "; expected native, interpreter or reference");
}

Status attachNativeCode(sim::Simulator& simulator) {
  std::vector<ir::RouteProgram> programs;
  for (size_t i = 0; i < simulator.config().route_configs.size(); ++i) {
    programs.push_back(simulator.program(i));
  }
  Expected<codegen::NativeObject> object = codegen::compileNative(programs);
  if (!object) {
    return object.status();
  }
  Expected<std::unique_ptr<native::NativeRouter>> router =
      native::NativeRouter::load(object->object, object->platform, object->function_count);
  if (!router) {
    return router.status();
  }
  return simulator.setNative(std::move(*router));
}

}  // namespace meshc::cli
