// The CRDs' CEL rules (x-kubernetes-validations, ISTIO-VALIDATION.md section D) that JSON
// Schema cannot express. Entry point: validateCrdCel().
//
// The API server evaluates these before the webhook runs, so a real cluster reports both. Most
// CEL rules restate a webhook rule; reporting both would show every such mistake twice. So
// each rule below is reported only where the webhook validators would NOT report the same
// problem on the same field: because the CEL rule is stricter (e.g. targetPort 0), because it
// sees an explicitly empty field the webhook treats as unset (`endpoints: []`), or because a
// webhook short-circuit (Sidecar/ServiceEntry selector errors, DestinationRule tunnel +
// proxyProtocol) hides the field from the webhook. Rules that the webhook always covers are
// not evaluated at all; each is named where it would go.
#include <set>
#include <string>
#include <string_view>

#include "base/quote.h"
#include "frontend/validation/validate.h"
#include "frontend/validation/validate_common.h"
#include "frontend/validation/validate_proto_fields.h"

namespace meshc::frontend::validation {

namespace {

constexpr int64_t kOneMillisecondNs = 1000000;
constexpr std::string_view kUnixPrefix = "unix://";

std::string_view scalarOrEmpty(const Node* n) {
  return (n != nullptr && n->isScalar() && !n->isNull()) ? n->text() : std::string_view();
}

std::string indexed(std::string_view path, size_t i) {
  return std::string(path) + "[" + std::to_string(i) + "]";
}

// `duration(self) >= duration('1ms')`. An unparsable string fails too (CEL raises an error).
void checkCelDuration(const Node* parent, std::string_view key, const std::string& path,
                      Reporter& rep) {
  const Node* n = child(parent, key);
  if (n == nullptr || !n->isString()) {
    return;  // absent, or a type error the schema check reports
  }
  std::optional<int64_t> ns = parseDuration(n->text());
  if (ns && *ns >= kOneMillisecondNs) {
    return;
  }
  rep.error("cel-duration-min", n,
            path + "." + std::string(key) + " must be a valid duration of at least 1ms; found " +
                quote(n->text()));
}

// The seven connection-pool durations carrying a CEL rule (tcp.idleTimeout has none).
void checkCelConnectionPool(const Node* pool, const std::string& path, Reporter& rep) {
  if (pool == nullptr || !pool->isMap()) {
    return;
  }
  const Node* http = child(pool, "http");
  const Node* tcp = child(pool, "tcp");
  checkCelDuration(child(http, "http2KeepAlive"), "interval", path + ".http.http2KeepAlive", rep);
  checkCelDuration(child(http, "http2KeepAlive"), "timeout", path + ".http.http2KeepAlive", rep);
  checkCelDuration(http, "idleTimeout", path + ".http", rep);
  checkCelDuration(tcp, "connectTimeout", path + ".tcp", rep);
  checkCelDuration(tcp, "maxConnectionDuration", path + ".tcp", rep);
  checkCelDuration(child(tcp, "tcpKeepalive"), "interval", path + ".tcp.tcpKeepalive", rep);
  checkCelDuration(child(tcp, "tcpKeepalive"), "time", path + ".tcp.tcpKeepalive", rep);
}

// The alpha workload selector (Sidecar, ServiceEntry) errors on which the webhook returns
// before validating anything else.
bool alphaSelectorShortCircuits(const Node* spec) {
  const Node* labels = child(child(spec, "workloadSelector"), "labels");
  if (labels == nullptr || !labels->isMap()) {
    return false;
  }
  for (const MapEntry& e : labels->entries()) {
    if (e.key.empty() || e.key.find('*') != std::string_view::npos ||
        scalarOrEmpty(e.value).find('*') != std::string_view::npos) {
      return true;
    }
  }
  return false;
}

// --- DestinationRule ---------------------------------------------------------------------------

// One policy or port-level policy. warmupDurationSecs is not checked by the webhook at all; the
// other ten durations only escape it when the enclosing policy short-circuited (D3).
void checkCelPolicyDurations(const Node* p, bool webhook_skipped, const std::string& path,
                             Reporter& rep) {
  const Node* lb = child(p, "loadBalancer");
  checkCelDuration(lb, "warmupDurationSecs", path + ".loadBalancer", rep);
  if (!webhook_skipped) {
    return;
  }
  checkCelConnectionPool(child(p, "connectionPool"), path + ".connectionPool", rep);
  checkCelDuration(child(lb, "warmup"), "duration", path + ".loadBalancer.warmup", rep);
  checkCelDuration(child(p, "outlierDetection"), "baseEjectionTime", path + ".outlierDetection",
                   rep);
  checkCelDuration(child(p, "outlierDetection"), "interval", path + ".outlierDetection", rep);
}

void checkCelTrafficPolicy(const Node* policy, const std::string& path, Reporter& rep) {
  if (policy == nullptr || !policy->isMap()) {
    return;
  }
  // D3 (tunnel with proxyProtocol) makes the webhook skip the whole policy.
  bool skipped = hasSetField(policy, "tunnel") && hasSetField(policy, "proxyProtocol");
  checkCelPolicyDurations(policy, skipped, path, rep);
  const Node* ports = child(policy, "portLevelSettings");
  if (ports == nullptr || !ports->isSeq()) {
    return;
  }
  for (size_t i = 0; i < ports->size(); ++i) {
    checkCelPolicyDurations(ports->items()[i], skipped, indexed(path + ".portLevelSettings", i),
                            rep);
  }
}

void checkCelDestinationRule(const Node* spec, Reporter& rep) {
  checkCelTrafficPolicy(child(spec, "trafficPolicy"), "trafficPolicy", rep);
  const Node* subsets = child(spec, "subsets");
  if (subsets != nullptr && subsets->isSeq()) {
    for (size_t i = 0; i < subsets->size(); ++i) {
      checkCelTrafficPolicy(child(subsets->items()[i], "trafficPolicy"),
                            indexed("subsets", i) + ".trafficPolicy", rep);
    }
  }
  // workloadSelector.matchLabels (no '*' in keys or values, no empty key): the webhook's D38
  // reports exactly these, always, so the CEL copies are not evaluated.
}

// --- Gateway / Sidecar ingress TLS ---------------------------------------------------------------

// CEL has() is true for any present, non-null field (even "" or []); the webhook counts a
// field only when non-empty.
struct TlsField {
  const MapEntry* entry = nullptr;
  bool present = false;  // CEL has()
  bool webhook_set = false;
};

TlsField tlsField(const Node* tls, std::string_view key) {
  TlsField f;
  f.entry = tls->entry(key);
  const Node* n = f.entry != nullptr ? f.entry->value : nullptr;
  f.present = isSet(n);
  f.webhook_set = f.present && (n->isSeq() || n->isMap() ? n->size() > 0 : !n->text().empty());
  return f;
}

// The three exclusivity rules. The third one's message speaks of credentialName vs
// tlsCertificates, but (a generator bug in the CRD) its expression re-tests credentialNames vs
// tlsCertificates: it fires exactly when the first does, and credentialName + tlsCertificates
// is not blocked by CEL at all (the webhook's G22 catches that pair). The API server prints
// both messages for one problem; we report it once and mention the second message.
// covered(a, b) says whether the webhook already reports the pair.
template <typename Covered>
void checkCelTlsExclusivity(const Node* tls, Reporter& rep, Covered covered) {
  if (tls == nullptr || !tls->isMap()) {
    return;
  }
  TlsField name = tlsField(tls, "credentialName");
  TlsField names = tlsField(tls, "credentialNames");
  TlsField certs = tlsField(tls, "tlsCertificates");
  if (names.present && certs.present && !covered(names, certs)) {
    rep.emitAtKey("cel-tls-credential-names-and-certificates", kIstSchemaError, Severity::kError,
                  certs.entry,
                  "only one of credentialNames or tlsCertificates can be set; found both (the "
                  "API server also reports this as \"only one of credentialName or "
                  "tlsCertificates can be set\")");
  }
  if (name.present && names.present && !covered(name, names)) {
    rep.emitAtKey("cel-tls-credential-name-and-names", kIstSchemaError, Severity::kError,
                  names.entry,
                  "only one of credentialName or credentialNames can be set; found both");
  }
}

void checkCelGateway(const Node* spec, Reporter& rep) {
  const Node* servers = child(spec, "servers");
  if (servers == nullptr || !servers->isSeq()) {
    return;
  }
  for (const Node* server : servers->items()) {
    const Node* tls = child(server, "tls");
    if (tls == nullptr || !tls->isMap()) {
      continue;
    }
    // G22 counts non-empty certificate sources; under ISTIO_MUTUAL (G20) every non-empty one is
    // rejected on its own before G22 runs.
    bool istio_mutual = enumField(tls, "mode",
                                  {"PASSTHROUGH", "SIMPLE", "MUTUAL", "AUTO_PASSTHROUGH",
                                   "ISTIO_MUTUAL", "OPTIONAL_MUTUAL"}) == 4;
    checkCelTlsExclusivity(tls, rep, [&](const TlsField& a, const TlsField& b) {
      return (a.webhook_set && b.webhook_set) || (istio_mutual && (a.webhook_set || b.webhook_set));
    });
  }
}

void checkCelSidecar(const Node* spec, Reporter& rep) {
  // workloadSelector.labels values without '*': the webhook's S1 reports them, always.
  bool short_circuit = alphaSelectorShortCircuits(spec);
  if (short_circuit) {
    checkCelConnectionPool(child(spec, "inboundConnectionPool"), "inboundConnectionPool", rep);
  }
  const Node* ingress = child(spec, "ingress");
  if (ingress == nullptr || !ingress->isSeq()) {
    return;
  }
  for (size_t i = 0; i < ingress->size(); ++i) {
    const Node* listener = ingress->items()[i];
    if (listener == nullptr || !listener->isMap()) {
      continue;
    }
    // The webhook skips an ingress listener without a port entirely.
    bool webhook_sees = !short_circuit && hasSetField(listener, "port");
    if (!webhook_sees) {
      checkCelConnectionPool(child(listener, "connectionPool"),
                             indexed("ingress", i) + ".connectionPool", rep);
    }
    // S8 rejects each non-empty credentialName / credentialNames / tlsCertificates on its own.
    checkCelTlsExclusivity(child(listener, "tls"), rep, [&](const TlsField& a, const TlsField& b) {
      return webhook_sees && (a.webhook_set || b.webhook_set);
    });
  }
}

// --- ServiceEntry ----------------------------------------------------------------------------

enum Resolution : int64_t { kNone = 0, kStatic = 1, kDns = 2, kDnsRoundRobin = 3 };

struct SeCel {
  Reporter& rep;
  const Node* spec;
  bool webhook;                     // false when SE1 selector errors stopped the webhook
  int64_t resolution;               // as the webhook decodes it
  std::string_view cel_resolution;  // as CEL sees it ("" when absent or not a string)
  bool cel_resolution_string;       // absent or a string: CEL rules comparing it can run
};

bool isDnsResolution(int64_t r) { return r == kDns || r == kDnsRoundRobin; }

void checkCelSpecRules(const SeCel& c) {
  const Node* endpoints = child(c.spec, "endpoints");
  bool has_endpoints = isSet(endpoints);
  bool endpoints_non_empty = nonEmpty(c.spec, "endpoints");
  if (hasSetField(c.spec, "workloadSelector") && has_endpoints &&
      !(c.webhook && endpoints_non_empty)) {
    c.rep.error("cel-se-selector-and-endpoints", endpoints,
                "only one of workloadSelector or endpoints can be set; found both");
  }
  if (!c.cel_resolution_string) {
    return;
  }
  std::string_view resolution = c.cel_resolution.empty() && !hasSetField(c.spec, "resolution")
                                    ? std::string_view("NONE")
                                    : c.cel_resolution;
  const Node* addresses = child(c.spec, "addresses");
  bool cidr = false;
  for (const Node* a : addresses != nullptr ? addresses->items() : std::span<const Node* const>()) {
    cidr = cidr || (a != nullptr && a->isString() && a->text().find('/') != std::string_view::npos);
  }
  if (cidr && resolution != "STATIC" && resolution != "NONE" && !c.webhook) {
    c.rep.error("cel-se-cidr-resolution", addresses,
                "CIDR addresses are allowed only for NONE/STATIC resolution types; found " +
                    quote(resolution));
  }
  if (resolution == "NONE" && has_endpoints && !(c.webhook && endpoints_non_empty)) {
    c.rep.error("cel-se-none-endpoints", endpoints,
                "resolution NONE cannot set endpoints; found an endpoints field");
  }
  if (c.cel_resolution == "DNS_ROUND_ROBIN" && endpoints != nullptr && endpoints->isSeq() &&
      endpoints->size() > 1 && !c.webhook) {
    c.rep.error("cel-se-dns-round-robin-endpoints", endpoints,
                "resolution DNS_ROUND_ROBIN cannot have multiple endpoints; found " +
                    std::to_string(endpoints->size()));
  }
}

bool isCelPortName(std::string_view key) {
  // size(key) < 63 && key.matches("^[a-zA-Z0-9](?:[-a-zA-Z0-9]*[a-zA-Z0-9])?$"): the DNS-1123
  // label shape, but one character shorter than the webhook's limit.
  return key.size() < 63 && isDns1123Label(key);
}

void checkCelEndpoint(const SeCel& c, const Node* ep) {
  const Node* address_node = child(ep, "address");
  bool has_address = isSet(address_node);
  std::string_view address =
      (address_node != nullptr && address_node->isString()) ? address_node->text() : "";
  std::string_view network = stringField(ep, "network");
  bool static_res = c.resolution == kStatic;
  bool dns_res = isDnsResolution(c.resolution);

  // Webhook: STATIC reports "address is required", DNS reports the empty address as invalid.
  if (!has_address && !hasSetField(ep, "network") && !(c.webhook && (static_res || dns_res))) {
    c.rep.error("cel-se-endpoint-address-required", ep,
                "endpoint needs an address (or a network); found neither");
  }
  const Node* ports = child(ep, "ports");
  bool unix_address = address.starts_with(kUnixPrefix);
  if (unix_address && isSet(ports) && !(c.webhook && static_res && nonEmpty(ep, "ports"))) {
    c.rep.error("cel-se-endpoint-unix-ports", ports,
                "a unix domain socket endpoint may not include ports");
  }
  if (unix_address) {
    std::string_view path = address.substr(kUnixPrefix.size());
    // STATIC checks the path itself; DNS rejects any unix:// address as not an FQDN.
    bool covered = c.webhook && (dns_res || (static_res && !checkUnixAddress(path).empty()));
    if (!covered && (path.empty() || (path.front() != '/' && path.front() != '@'))) {
      c.rep.error("cel-se-endpoint-unix-path", address_node,
                  "unix domain socket address " + quote(address) +
                      " must be an absolute path or an abstract socket (unix:///path or "
                      "unix://@name)");
    }
    if (!covered && address.ends_with('/')) {
      c.rep.error("cel-se-endpoint-unix-dir", address_node,
                  "unix domain socket address " + quote(address) +
                      " may not be a directory (ends with '/')");
    }
  }
  if (ports == nullptr || !ports->isMap()) {
    return;
  }
  // STATIC stops at an endpoint with neither address nor network before looking at its ports.
  bool webhook_checks_ports =
      c.webhook && (dns_res || (static_res && !(address.empty() && network.empty())));
  for (const MapEntry& e : ports->entries()) {
    if (!isCelPortName(e.key) && !(webhook_checks_ports && !isValidPortName(e.key))) {
      c.rep.emitAtKey("cel-se-endpoint-port-name", kIstSchemaError, Severity::kError, &e,
                      "endpoint port name " + quote(e.key) +
                          " must be a DNS-1123 label shorter than 63 characters");
      break;  // one rule over the whole map: the API server reports it once
    }
  }
  for (const MapEntry& e : ports->entries()) {
    if (e.value != nullptr && e.value->isInt() && !isValidPort(e.value->intValue()) &&
        !webhook_checks_ports) {
      c.rep.error("cel-se-endpoint-port-range", e.value,
                  "endpoint port " + std::string(e.value->text()) + " must be between 1 and 65535");
    }
  }
}

void checkCelServiceEntry(const Node* spec, Reporter& rep) {
  if (spec == nullptr || !spec->isMap()) {
    return;
  }
  const Node* res = child(spec, "resolution");
  SeCel c{
      rep,
      spec,
      !alphaSelectorShortCircuits(spec),
      enumField(spec, "resolution", {"NONE", "STATIC", "DNS", "DNS_ROUND_ROBIN", "DYNAMIC_DNS"}),
      (res != nullptr && res->isString()) ? res->text() : std::string_view(),
      !isSet(res) || res->isString()};
  // workloadSelector.labels values without '*': the webhook's SE1 reports them, always.
  checkCelSpecRules(c);

  const Node* endpoints = child(spec, "endpoints");
  for (const Node* ep :
       endpoints != nullptr ? endpoints->items() : std::span<const Node* const>()) {
    if (ep != nullptr && ep->isMap()) {
      checkCelEndpoint(c, ep);
    }
  }
  if (c.webhook) {
    // Every remaining rule (host "*", port numbers unique and 1..65535, targetPort 1..65535)
    // is a webhook rule too, except that the webhook ignores targetPort 0.
    const Node* ports = child(spec, "ports");
    for (const Node* p : ports != nullptr ? ports->items() : std::span<const Node* const>()) {
      const Node* target = child(p, "targetPort");
      if (target != nullptr && target->isInt() && target->intValue() == 0) {
        rep.error("cel-se-port-range", target,
                  "targetPort must be between 1 and 65535; found 0 (omit it to use the port "
                  "number)");
      }
    }
    return;
  }
  const Node* hosts = child(spec, "hosts");
  for (const Node* h : hosts != nullptr ? hosts->items() : std::span<const Node* const>()) {
    if (h != nullptr && h->isString() && h->text() == "*") {
      rep.error("cel-se-host-wildcard", h, "hostname cannot be the wildcard \"*\"");
    }
  }
  const Node* ports = child(spec, "ports");
  std::set<int64_t> seen;
  bool duplicate_reported = false;
  for (const Node* p : ports != nullptr ? ports->items() : std::span<const Node* const>()) {
    for (std::string_view key : {"number", "targetPort"}) {
      const Node* n = child(p, key);
      if (n != nullptr && n->isInt() && !isValidPort(n->intValue())) {
        rep.error("cel-se-port-range", n,
                  std::string(key) + " " + std::string(n->text()) + " must be between 1 and 65535");
      }
    }
    const Node* number = child(p, "number");
    if (number != nullptr && number->isInt() && !seen.insert(number->intValue()).second &&
        !duplicate_reported) {
      // One rule over the whole list: the API server reports it once.
      rep.error("cel-se-port-number-duplicate", number,
                "port number " + std::string(number->text()) + " cannot be duplicated");
      duplicate_reported = true;
    }
  }
}

}  // namespace

void validateCrdCel(const Resource& r, Reporter& rep) {
  const Node* spec = (r.spec != nullptr && r.spec->isMap()) ? r.spec : nullptr;
  if (spec == nullptr) {
    return;
  }
  switch (r.kind) {
    case ResourceKind::kDestinationRule:
      checkCelDestinationRule(spec, rep);
      break;
    case ResourceKind::kGateway:
      checkCelGateway(spec, rep);
      break;
    case ResourceKind::kSidecar:
      checkCelSidecar(spec, rep);
      break;
    case ResourceKind::kServiceEntry:
      checkCelServiceEntry(spec, rep);
      break;
    case ResourceKind::kVirtualService:
      // http[].timeout, retries.perTryTimeout/backoff, fault.delay.fixedDelay/exponentialDelay
      // and corsPolicy.maxAge must be >= 1ms: the webhook checks all six (whole milliseconds,
      // >= 1ms) on every non-null route and never short-circuits, so nothing is left for CEL.
      break;
    default:
      break;
  }
}

}  // namespace meshc::frontend::validation
