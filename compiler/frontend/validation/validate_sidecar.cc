// Sidecar webhook rules (ISTIO-VALIDATION.md section A.6, S1-S22).
// Entry point: validateSidecar(); connection pools and ingress TLS reuse the shared helpers.
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>

#include "base/quote.h"
#include "frontend/validation/validate.h"
#include "frontend/validation/validate_common.h"
#include "frontend/validation/validate_connection_pool.h"
#include "frontend/validation/validate_tls.h"

namespace meshc::frontend::validation {

namespace {

constexpr std::string_view kUnixPrefix = "unix://";

// Protobuf message fields are nil when absent or JSON null (wrong types: the schema's job).
const Node* message(const Node* parent, std::string_view key) {
  const Node* n = parent != nullptr ? parent->get(key) : nullptr;
  return (n != nullptr && n->isMap()) ? n : nullptr;
}

bool nonEmptySeq(const Node* n) { return n != nullptr && n->isSeq() && n->size() > 0; }

int64_t intField(const Node* parent, std::string_view key) {
  const Node* n = parent != nullptr ? parent->get(key) : nullptr;
  return (n != nullptr && n->isInt()) ? n->intValue() : 0;
}

const Node* at(const Node* parent, std::string_view key) {
  const Node* n = parent != nullptr ? parent->get(key) : nullptr;
  return n != nullptr ? n : parent;
}

bool startsWithUnix(std::string_view s) { return s.substr(0, kUnixPrefix.size()) == kUnixPrefix; }

// Go's net.SplitHostPort; returns the error text ("" on success).
std::string splitHostPort(std::string_view hp, std::string_view* host, std::string_view* port) {
  *host = {};
  *port = {};
  size_t i = hp.rfind(':');
  if (i == std::string_view::npos) {
    return "missing port in address";
  }
  size_t j = 0;
  size_t k = 0;
  if (!hp.empty() && hp[0] == '[') {
    size_t end = hp.find(']');
    if (end == std::string_view::npos) {
      return "missing ']' in address";
    }
    if (end + 1 == hp.size()) {
      return "missing port in address";
    }
    if (end + 1 != i) {
      return hp[end + 1] == ':' ? "too many colons in address" : "missing port in address";
    }
    *host = hp.substr(1, end - 1);
    j = 1;
    k = end + 1;
  } else {
    *host = hp.substr(0, i);
    if (host->find(':') != std::string_view::npos) {
      *host = {};
      return "too many colons in address";
    }
  }
  if (hp.substr(j).find('[') != std::string_view::npos) {
    *host = {};
    return "unexpected '[' in address";
  }
  if (hp.substr(k).find(']') != std::string_view::npos) {
    *host = {};
    return "unexpected ']' in address";
  }
  *port = hp.substr(i + 1);
  return "";
}

// Go's strconv.Atoi: optional sign, decimal digits, must fit in int64.
std::optional<int64_t> goAtoi(std::string_view s) {
  bool negative = false;
  if (!s.empty() && (s[0] == '+' || s[0] == '-')) {
    negative = s[0] == '-';
    s.remove_prefix(1);
  }
  if (s.empty()) {
    return std::nullopt;
  }
  uint64_t v = 0;
  const uint64_t limit = negative ? (uint64_t{1} << 63) : (uint64_t{1} << 63) - 1;
  for (char c : s) {
    if (c < '0' || c > '9') {
      return std::nullopt;
    }
    if (v > (limit - static_cast<uint64_t>(c - '0')) / 10) {
      return std::nullopt;
    }
    v = v * 10 + static_cast<uint64_t>(c - '0');
  }
  return negative ? static_cast<int64_t>(0 - v) : static_cast<int64_t>(v);
}

// S7: where an ingress listener forwards traffic.
void checkDefaultEndpoint(const Node* node, Reporter& rep) {
  std::string_view endpoint = node->text();
  if (startsWithUnix(endpoint)) {
    std::string reason = checkUnixAddress(endpoint.substr(kUnixPrefix.size()));
    if (!reason.empty()) {
      rep.error("sidecar-default-endpoint", node,
                "invalid defaultEndpoint " + quote(endpoint) + ": " + reason);
    }
    return;
  }
  std::string_view host;
  std::string_view port;
  if (std::string err = splitHostPort(endpoint, &host, &port); !err.empty()) {
    rep.error("sidecar-default-endpoint", node,
              "invalid defaultEndpoint " + quote(endpoint) + ": " + err +
                  "; expected host:port or unix://path");
  }
  if (!host.empty() && host != "127.0.0.1" && host != "0.0.0.0" && host != "::1" && host != "::") {
    rep.error("sidecar-default-endpoint", node,
              "defaultEndpoint " + quote(endpoint) +
                  " must be of form 127.0.0.1:<port>, 0.0.0.0:<port>, [::1]:<port>, "
                  "[::]:<port>, :<port> or unix://<path>");
  }
  // Istio reports a non-numeric port even after a split error (the port is then empty).
  std::optional<int64_t> number = goAtoi(port);
  if (!number.has_value()) {
    rep.error("sidecar-default-endpoint", node,
              "defaultEndpoint port " + quote(port) + " is not a number; expected 1..65535");
  } else if (!isValidPort(*number)) {
    rep.error(
        "sidecar-default-endpoint", node,
        "defaultEndpoint port " + std::to_string(*number) + " is out of range; expected 1..65535");
  }
}

void checkPortName(const Node* port, Reporter& rep) {
  std::string_view name = port->str("name");
  if (!name.empty() && !isValidPortName(name)) {
    rep.error("sidecar-port-name", port->get("name"),
              "invalid port name " + quote(name) + "; expected a DNS-1123 label");
  }
}

void checkPortProtocol(const Node* port, Reporter& rep) {
  std::string reason = checkProtocol(port->str("protocol"));
  if (!reason.empty()) {
    rep.error("sidecar-port-protocol", port->get("protocol"), reason);
  }
}

void checkPortNumber(const Node* port, Reporter& rep) {
  int64_t number = intField(port, "number");
  if (!isValidPort(number)) {
    rep.error("sidecar-port-number", at(port, "number"),
              "port number " + std::to_string(number) + " is out of range; expected 1..65535");
  }
}

void checkIpBind(const Node* listener, Reporter& rep) {
  std::string_view bind = listener->str("bind");
  if (!bind.empty() && !isIpAddress(bind)) {
    rep.error("sidecar-bind-ip", listener->get("bind"),
              "bind " + quote(bind) + " is not a valid IP address");
  }
}

void checkTargetPort(const Node* port, Reporter& rep) {
  if (intField(port, "targetPort") > 0) {
    rep.error("sidecar-target-port", port->get("targetPort"),
              "targetPort has no effect on Sidecars; expected it unset");
  }
}

// S8: what Sidecar ingress TLS does not support, then the shared server TLS rules.
void checkIngressTls(const Node* tls, const Node* port, Reporter& rep) {
  constexpr std::string_view kId = "sidecar-ingress-tls-unsupported";
  if (const Node* n = tls->get("subjectAltNames"); nonEmptySeq(n)) {
    rep.error(kId, n, "subjectAltNames is not supported in Sidecar ingress tls");
  }
  if (const Node* n = tls->get("httpsRedirect"); n != nullptr && n->boolValue()) {
    rep.error(kId, n, "httpsRedirect is not supported in Sidecar ingress tls");
  }
  if (const Node* n = tls->get("credentialName");
      n != nullptr && !n->text().empty() && n->isString()) {
    rep.error(kId, n, "credentialName is not currently supported in Sidecar ingress tls");
  }
  if (const Node* n = tls->get("credentialNames"); nonEmptySeq(n)) {
    rep.error(kId, n, "credentialNames is not currently supported in Sidecar ingress tls");
  }
  if (const Node* n = tls->get("tlsCertificates"); nonEmptySeq(n)) {
    rep.error(kId, n, "tlsCertificates is not currently supported in Sidecar ingress tls");
  }
  ServerTlsModeKind mode = serverTlsMode(tls);
  if (mode == ServerTlsModeKind::kIstioMutual || mode == ServerTlsModeKind::kAutoPassthrough) {
    rep.error(kId, at(tls, "mode"),
              "cannot set mode to " + std::string(serverTlsModeName(mode)) +
                  " in Sidecar ingress tls; expected SIMPLE, MUTUAL or OPTIONAL_MUTUAL");
  }
  std::optional<Protocol> p = parseProtocol(port->str("protocol"));
  if (!p.has_value() || !isTlsProtocol(*p)) {
    rep.error("sidecar-ingress-tls-protocol", at(port, "protocol"),
              "ingress listener with tls settings must use protocol HTTPS or TLS; found " +
                  quote(port->str("protocol")));
  }
  validateTLSOptions(tls, rep, "sidecar-tls");
}

void checkIngress(const Node* ingress, Reporter& rep) {
  if (ingress == nullptr || !ingress->isSeq()) {
    return;
  }
  std::set<int64_t> ports;
  for (const Node* listener : ingress->items()) {
    if (listener == nullptr || !listener->isMap()) {
      rep.error("sidecar-ingress-null", listener,
                "ingress listener must not be null; expected a listener");
      continue;
    }
    const Node* port = message(listener, "port");
    if (port == nullptr) {
      rep.error("sidecar-ingress-port-missing", at(listener, "port"),
                "port is required for ingress listeners; found none");
      continue;
    }
    checkTargetPort(port, rep);
    checkPortName(port, rep);
    checkPortProtocol(port, rep);
    checkPortNumber(port, rep);
    checkIpBind(listener, rep);
    if (!ports.insert(intField(port, "number")).second) {
      rep.error("sidecar-ingress-port-duplicate", at(port, "number"),
                "ingress port " + std::to_string(intField(port, "number")) +
                    " is used by another ingress listener; expected unique port numbers");
    }
    if (const Node* endpoint = listener->get("defaultEndpoint");
        endpoint != nullptr && endpoint->isString() && !endpoint->text().empty()) {
      checkDefaultEndpoint(endpoint, rep);
    }
    if (const Node* tls = message(listener, "tls")) {
      checkIngressTls(tls, port, rep);
    }
    const Node* pool = message(listener, "connectionPool");
    checkConnectionPool(pool, rep);
    if (pool != nullptr && message(pool, "http") != nullptr) {
      std::optional<Protocol> p = parseProtocol(port->str("protocol"));
      if (!p.has_value() || !isHttpProtocol(*p)) {
        rep.warning("sidecar-http-pool-non-http", pool->get("http"),
                    "connectionPool.http is set for port " +
                        std::to_string(intField(port, "number")) + " (" + quote(port->str("name")) +
                        ") but its protocol is not HTTP (" + quote(port->str("protocol")) +
                        "); only tcp settings will apply");
      }
    }
  }
}

// S15 (validateSidecarEgressPortBindAndCaptureMode).
void checkEgressPort(const Node* listener, const Node* port, Reporter& rep) {
  checkPortName(port, rep);
  checkPortProtocol(port, rep);
  if (intField(port, "number") != 0) {
    checkPortNumber(port, rep);
    checkIpBind(listener, rep);
    return;
  }
  std::string_view bind = listener->str("bind");
  if (!startsWithUnix(bind)) {
    rep.error("sidecar-bind-unix", at(listener, "bind"),
              "egress port 0 requires a unix domain socket bind (unix://path); found " +
                  (bind.empty() ? std::string("none") : quote(bind)));
  } else if (std::string reason = checkUnixAddress(bind.substr(kUnixPrefix.size()));
             !reason.empty()) {
    rep.error("sidecar-bind-unix", listener->get("bind"),
              "invalid unix socket bind " + quote(bind) + ": " + reason);
  }
  // CaptureMode: DEFAULT=0, IPTABLES=1, NONE=2; absent or null is DEFAULT.
  const Node* capture = listener->get("captureMode");
  bool ok = capture == nullptr || capture->isNull() ||
            (capture->isString() && (capture->text() == "DEFAULT" || capture->text() == "NONE")) ||
            (capture->isInt() && (capture->intValue() == 0 || capture->intValue() == 2));
  if (!ok) {
    rep.error("sidecar-capture-mode", capture,
              "captureMode must be DEFAULT or NONE for unix domain socket listeners; found " +
                  (capture->isString() ? quote(capture->text()) : toJson(*capture)));
  }
}

// S18 (agent.ValidateNamespaceSlashWildcardHostname with isGateway=false).
void checkEgressHost(const Node* node, Reporter& rep) {
  std::string_view host = node->text();
  size_t slash = host.find('/');
  if (slash == std::string_view::npos) {
    rep.error("sidecar-host-format", node,
              "egress host " + quote(host) + " must be of form namespace/dnsName");
    return;
  }
  std::string_view ns = host.substr(0, slash);
  std::string_view name = host.substr(slash + 1);
  if (ns.empty() || name.empty()) {
    rep.error("sidecar-host-format", node,
              "egress host " + quote(host) +
                  " has an empty namespace or dnsName; expected "
                  "namespace/dnsName");
  }
  std::string_view bare_ns = ns.substr(ns.starts_with("~") ? 1 : 0);
  if (!bare_ns.empty() && bare_ns != "*" && bare_ns != "." && !isDns1123Label(bare_ns)) {
    rep.error("sidecar-host-namespace", node,
              "invalid namespace " + quote(ns) +
                  " in sidecar egress host; expected \"*\", "
                  "\".\" or a DNS-1123 label, optionally prefixed by \"~\"");
  }
  if (name != "*" && name.find('.') == std::string_view::npos) {
    rep.error("sidecar-host-short-name", node,
              "dnsName " + quote(name) +
                  " is a short name; expected a fully qualified domain "
                  "name or \"*\"");
  }
  // Istio appends this error twice for non-IP hosts; one diagnostic is kept (identical text).
  if (std::string reason = checkWildcardDomain(name); !reason.empty()) {
    rep.error("sidecar-host-invalid", node,
              "invalid dnsName " + quote(name) + " in egress host: " + reason);
  }
  if (isPartialWildcard(name)) {
    rep.error("sidecar-host-partial-wildcard", node,
              "partial wildcard " + quote(name) +
                  " is not allowed; expected \"*\" or a \"*.\" "
                  "prefix");
  }
}

// S17-S20 for one egress listener.
void checkEgressHosts(const Node* listener, const std::string& own_namespace, Reporter& rep) {
  const Node* hosts = listener->get("hosts");
  if (!nonEmptySeq(hosts)) {
    rep.error("sidecar-egress-hosts-empty", at(listener, "hosts"),
              "egress listener must contain at least one host; found none");
    return;
  }
  std::map<std::string, std::set<std::string, std::less<>>, std::less<>> by_namespace;
  const Node* all_all = nullptr;
  for (const Node* host : hosts->items()) {
    if (host == nullptr || !host->isString()) {
      continue;
    }
    std::string_view text = host->text();
    size_t slash = text.find('/');
    if (slash != std::string_view::npos && !text.starts_with("~")) {
      std::string ns(text.substr(0, slash));
      std::string svc(text.substr(slash + 1));
      if (ns == ".") {
        ns = own_namespace;
      }
      auto& services = by_namespace[ns];
      bool duplicate =
          svc != "*" ? (services.count(svc) != 0 || services.count("*") != 0) : !services.empty();
      if (duplicate) {
        rep.warning("sidecar-egress-host-duplicate", host,
                    "duplicated egress host " + quote(text) +
                        "; an earlier host of this listener already selects it");
      }
      services.insert(svc);
      if (ns == "*" && svc == "*" && all_all == nullptr) {
        all_all = host;
      }
    }
    checkEgressHost(host, rep);
  }
  auto any = by_namespace.find("*");
  if (any != by_namespace.end() && any->second.count("*") != 0 && by_namespace.size() != 1) {
    rep.warning("sidecar-egress-wildcard-mixed", all_all != nullptr ? all_all : hosts,
                "host \"*/*\" selects all resources; expected no hosts of other namespaces "
                "in the same listener");
  }
}

void checkEgress(const Node* egress, const std::string& own_namespace, Reporter& rep) {
  if (egress == nullptr || !egress->isSeq()) {
    return;
  }
  std::set<int64_t> ports;
  std::set<std::string, std::less<>> unix_binds;
  bool catch_all_found = false;
  const size_t count = egress->size();
  for (size_t index = 0; index < count; ++index) {
    const Node* listener = egress->items()[index];
    if (listener == nullptr || !listener->isMap()) {
      rep.error("sidecar-egress-null", listener,
                "egress listener must not be null; expected a listener");
      continue;
    }
    const Node* port = message(listener, "port");
    if (port == nullptr) {
      // Only one catch-all listener (without port) is allowed, and it must come last.
      if (catch_all_found) {
        rep.error("sidecar-egress-catch-all", listener,
                  "egress can have only one listener without a port; found another");
        continue;
      }
      if (index == count - 1) {
        catch_all_found = true;
      } else {
        rep.error("sidecar-egress-catch-all", listener,
                  "the egress listener without a port must be the last listener; found one at "
                  "position " +
                      std::to_string(index + 1) + " of " + std::to_string(count));
      }
    } else {
      checkTargetPort(port, rep);
      checkEgressPort(listener, port, rep);
      int64_t number = intField(port, "number");
      if (number == 0) {
        std::string bind(listener->str("bind"));
        if (!unix_binds.insert(bind).second) {
          rep.error("sidecar-egress-uds-duplicate", at(listener, "bind"),
                    "unix domain socket bind " + quote(bind) +
                        " is used by another egress listener; expected unique binds");
        }
      } else if (!ports.insert(number).second) {
        rep.error("sidecar-egress-port-duplicate", at(port, "number"),
                  "egress port " + std::to_string(number) +
                      " is used by another IP-bound egress listener; expected unique ports");
      }
    }
    checkEgressHosts(listener, own_namespace, rep);
  }
}

bool enumIs(const Node* n, std::string_view name, int64_t number) {
  return n != nullptr &&
         ((n->isString() && n->text() == name) || (n->isInt() && n->intValue() == number));
}

// S21/S22 (validateSidecarOutboundTrafficPolicy).
void checkOutboundTrafficPolicy(const Node* policy, Reporter& rep) {
  if (policy == nullptr) {
    return;
  }
  const Node* mode = policy->get("mode");
  // Mode 3 is MeshConfig's ALLOW_ANY_DYNAMIC_DNS, accepted only mesh-wide.
  if (enumIs(mode, "ALLOW_ANY_DYNAMIC_DNS", 3)) {
    rep.error("sidecar-outbound-dynamic-dns", mode,
              "outboundTrafficPolicy mode ALLOW_ANY_DYNAMIC_DNS is only supported in MeshConfig; "
              "expected REGISTRY_ONLY or ALLOW_ANY in a Sidecar");
    return;
  }
  const Node* proxy = message(policy, "egressProxy");
  if (proxy == nullptr) {
    return;
  }
  if (!enumIs(mode, "ALLOW_ANY", 1)) {
    rep.error("sidecar-egress-proxy", policy->get("egressProxy"),
              "egressProxy may only be set with outboundTrafficPolicy mode ALLOW_ANY; found " +
                  (mode != nullptr && mode->isString() ? quote(mode->text())
                                                       : std::string("REGISTRY_ONLY")));
    return;
  }
  std::string_view host = proxy->str("host");
  if (std::string reason = checkFqdn(host); !reason.empty()) {
    rep.error("sidecar-egress-proxy", at(proxy, "host"),
              "invalid egressProxy host " + quote(host) + ": " + reason +
                  "; expected a fully qualified domain name");
  }
  if (message(proxy, "port") == nullptr) {
    rep.error("sidecar-egress-proxy", at(proxy, "port"),
              "egressProxy port is required; found none");
    return;
  }
  checkDestination(proxy, rep, "sidecar-egress-proxy");
}

}  // namespace

void validateSidecar(const Resource& r, Reporter& rep) {
  const Node* spec = r.spec;
  // Selector errors end validation; its warning is dropped if the Sidecar turns out empty
  // (Istio returns only the error then), so findings are staged in a private sink first.
  DiagnosticSink staged;
  Reporter staged_rep(r, staged);
  bool selector_ok = checkAlphaWorkloadSelector(
      message(spec, "workloadSelector"), staged_rep, "sidecar-workload-selector",
      "workloadSelector has no labels; the Sidecar will apply to all workloads in the namespace");
  auto flush = [&] {
    for (const Diagnostic& d : staged.diagnostics()) {
      rep.sink().report(d);
    }
  };
  if (!selector_ok) {
    flush();
    return;
  }
  const Node* ingress = spec != nullptr ? spec->get("ingress") : nullptr;
  const Node* egress = spec != nullptr ? spec->get("egress") : nullptr;
  const Node* outbound = message(spec, "outboundTrafficPolicy");
  const Node* inbound_pool = message(spec, "inboundConnectionPool");
  if (!nonEmptySeq(ingress) && !nonEmptySeq(egress) && outbound == nullptr &&
      inbound_pool == nullptr) {
    rep.error("sidecar-empty", spec,
              "sidecar configuration is empty; expected at least one of egress, ingress, "
              "outboundTrafficPolicy or inboundConnectionPool");
    return;
  }
  flush();
  checkIngress(ingress, rep);
  checkConnectionPool(inbound_pool, rep);
  checkEgress(egress, r.name_space, rep);
  checkOutboundTrafficPolicy(outbound, rep);
}

}  // namespace meshc::frontend::validation
