// ServiceEntry webhook validation (ISTIO-VALIDATION.md A.7, SE1-SE19).
// Entry point: validateServiceEntry().
#include <set>
#include <span>
#include <string>
#include <string_view>

#include "base/ascii.h"
#include "base/quote.h"
#include "frontend/validation/validate.h"
#include "frontend/validation/validate_common.h"
#include "frontend/validation/validate_proto_fields.h"

namespace meshc::frontend::validation {

namespace {

// ServiceEntry.Resolution and .Location, in proto number order.
enum Resolution : int64_t { kNone = 0, kStatic = 1, kDns = 2, kDnsRoundRobin = 3, kDynamicDns = 4 };
enum Location : int64_t { kMeshExternal = 0, kMeshInternal = 1 };

constexpr std::string_view kUnixPrefix = "unix://";

std::string_view scalarOrEmpty(const Node* n) {
  return (n != nullptr && n->isScalar() && !n->isNull()) ? n->text() : std::string_view();
}

const char* resolutionName(int64_t r) {
  switch (r) {
    case kNone:
      return "NONE";
    case kStatic:
      return "STATIC";
    case kDns:
      return "DNS";
    case kDnsRoundRobin:
      return "DNS_ROUND_ROBIN";
    case kDynamicDns:
      return "DYNAMIC_DNS";
    default:
      return "";
  }
}

struct SeContext {
  const Resource& r;
  Reporter& rep;
  const Node* spec;
  int64_t resolution;
  std::set<std::string, std::less<>> service_ports;  // names of the non-null ports[] entries
};

// The endpoint `ports` map: each name must be a declared service port and a valid port name,
// each number 1..65535 (shared by STATIC and DNS endpoints).
void checkEndpointPorts(const Node* ports, SeContext& c) {
  if (ports == nullptr || !ports->isMap()) {
    return;
  }
  for (const MapEntry& e : ports->entries()) {
    std::string_view number = scalarOrEmpty(e.value);
    if (c.service_ports.count(e.key) == 0) {
      c.rep.emitAtKey("se-endpoint-port-undeclared", kIstSchemaError, Severity::kError, &e,
                      "endpoint port " + quote(e.key) + " (" + std::string(number) +
                          ") is not declared in the service entry's ports");
    }
    if (!isValidPortName(e.key)) {
      c.rep.emitAtKey("se-endpoint-port-name", kIstSchemaError, Severity::kError, &e,
                      "invalid endpoint port name " + quote(e.key) + "; expected a DNS-1123 label");
    }
    if (e.value != nullptr && e.value->isInt() && !isValidPort(e.value->intValue())) {
      c.rep.error("se-endpoint-port-number", e.value,
                  "endpoint port number " + std::string(number) +
                      " is out of range; expected "
                      "1..65535");
    }
  }
}

// validateWorkloadEntry(allowFQDNAddresses=false), for STATIC endpoints.
void checkStaticEndpoint(const Node* ep, SeContext& c) {
  const Node* address_node = ep->get("address");
  std::string_view address = stringField(ep, "address");
  const Node* at = isSet(address_node) ? address_node : ep;
  if (address.empty()) {
    if (stringField(ep, "network").empty()) {
      // Istio returns here: the rest of this endpoint goes unchecked.
      c.rep.error("se-endpoint-address-missing", at,
                  "endpoint address is required (or a network for a remote-network endpoint)");
      return;
    }
    c.rep.warning("se-endpoint-address-unset-network", at,
                  "endpoint address is unset with network " + quote(stringField(ep, "network")) +
                      "; it is resolved through the network's "
                      "gateway");
  }
  bool unix_endpoint = address.starts_with(kUnixPrefix);
  if (unix_endpoint) {
    if (std::string reason = checkUnixAddress(address.substr(kUnixPrefix.size()));
        !reason.empty()) {
      c.rep.error("se-endpoint-unix-address", at, "invalid endpoint address: " + reason);
    }
    if (nonEmpty(ep, "ports")) {
      c.rep.error("se-endpoint-unix-ports", ep->get("ports"),
                  "unix endpoint " + quote(address) + " must not declare ports");
    }
  } else if (!address.empty() && !isIpAddress(address)) {
    c.rep.error("se-endpoint-address-invalid", at,
                "endpoint address " + quote(address) +
                    " is not a valid IP address; STATIC resolution needs IP (or unix://) "
                    "addresses");
  }
  checkEndpointPorts(ep->get("ports"), c);
  checkLabelMap(ep->get("labels"), c.rep, "se-endpoint-labels");
  if (unix_endpoint && c.service_ports.size() != 1) {
    c.rep.error("se-endpoint-unix-service-ports", at,
                "a unix endpoint needs exactly 1 service port; found " +
                    std::to_string(c.service_ports.size()));
  }
}

void checkDnsEndpoint(const Node* ep, SeContext& c) {
  const Node* address_node = ep->get("address");
  std::string_view address = stringField(ep, "address");
  if (!isIpAddress(address) && !checkFqdn(address).empty()) {
    c.rep.error("se-endpoint-address-invalid", isSet(address_node) ? address_node : ep,
                "endpoint address " + quote(address) + " is not a valid FQDN or IP address");
  }
  checkLabelMap(ep->get("labels"), c.rep, "se-endpoint-labels");
  checkEndpointPorts(ep->get("ports"), c);
}

// Null entries of endpoints[] are reported once, whatever the resolution.
void forEachEndpoint(SeContext& c, void (*check)(const Node*, SeContext&)) {
  const Node* endpoints = child(c.spec, "endpoints");
  if (endpoints == nullptr || !endpoints->isSeq()) {
    return;
  }
  for (const Node* ep : endpoints->items()) {
    if (!isSet(ep)) {
      c.rep.error("se-endpoint-null", ep, "endpoint entry is null; expected an endpoint");
      continue;
    }
    if (ep->isMap()) {
      check(ep, c);
    }
  }
}

void checkHosts(SeContext& c) {
  const Node* hosts = child(c.spec, "hosts");
  if (!nonEmpty(c.spec, "hosts") || !hosts->isSeq()) {
    c.rep.error("se-hosts-empty", isSet(hosts) ? hosts : c.spec,
                "service entry must have at least one host; found none");
    return;
  }
  for (const Node* h : hosts->items()) {
    if (isSet(h) && !h->isString()) {
      continue;  // wrong type: the schema check reports it
    }
    std::string_view host = scalarOrEmpty(h);
    if (host == "*") {
      c.rep.error("se-host-invalid", h,
                  "invalid host \"*\"; a service entry must name the hosts it serves");
      continue;
    }
    if (std::string reason = checkWildcardDomain(host); !reason.empty()) {
      c.rep.error("se-host-invalid", h, "invalid host: " + reason);
    }
    // Only a warning for ServiceEntry (an error for Gateway/Sidecar hosts).
    if (c.resolution != kDynamicDns && isPartialWildcard(host)) {
      c.rep.warning("se-host-partial-wildcard", h,
                    "partial wildcard host " + quote(host) +
                        " is not supported; use \"*\" or a \"*.\" prefix");
    }
  }
}

void checkAddresses(SeContext& c) {
  const Node* addresses = child(c.spec, "addresses");
  if (addresses == nullptr || !addresses->isSeq()) {
    return;
  }
  bool cidr_found = false;
  for (const Node* a : addresses->items()) {
    std::string_view address = scalarOrEmpty(a);
    cidr_found = cidr_found || address.find('/') != std::string_view::npos;
    if (!isIpOrCidr(address)) {
      c.rep.error("se-address-invalid", a,
                  "invalid address " + quote(address) + "; expected an IP address or CIDR range");
    }
  }
  if (cidr_found && c.resolution != kNone && c.resolution != kStatic) {
    c.rep.error("se-cidr-resolution", addresses,
                "CIDR addresses are allowed only with resolution NONE or STATIC; found " +
                    std::string(scalarOrEmpty(child(c.spec, "resolution"))));
  }
}

// ShouldV2AutoAllocateIPFromConfig with PILOT_ENABLE_IP_AUTOALLOCATE at its default (on).
bool autoAllocatesAddress(const SeContext& c) {
  if (c.resolution == kNone) {
    return false;  // an allocated IP cannot be honoured without resolution
  }
  auto it = c.r.labels.find("networking.istio.io/enable-autoallocate-ip");
  if (it != c.r.labels.end() && ascii::equalsIgnoreCase(it->second, "false")) {
    return false;
  }
  return !nonEmpty(c.spec, "addresses");
}

void checkPorts(SeContext& c) {
  const Node* ports = child(c.spec, "ports");
  if (ports == nullptr || !ports->isSeq()) {
    return;
  }
  bool no_addresses = !nonEmpty(c.spec, "addresses");
  bool auto_allocation = autoAllocatesAddress(c);
  std::set<int64_t> numbers;
  for (const Node* port : ports->items()) {
    if (!isSet(port)) {
      c.rep.error("se-port-null", port, "port entry is null; expected a port");
      continue;
    }
    if (!port->isMap()) {
      continue;
    }
    const Node* name_node = port->get("name");
    std::string_view name = stringField(port, "name");
    const Node* name_at = isSet(name_node) ? name_node : port;
    if (!c.service_ports.insert(std::string(name)).second) {
      c.rep.error("se-port-duplicate-name", name_at,
                  "port name " + quote(name) + " is already defined in this service entry");
    }
    std::optional<int64_t> number = intField(port, "number");
    const Node* number_node = port->get("number");
    const Node* number_at = isSet(number_node) ? number_node : port;
    if (number && !numbers.insert(*number).second) {
      c.rep.error(
          "se-port-duplicate-number", number_at,
          "port number " + std::to_string(*number) + " is already defined in this service entry");
    }
    std::optional<int64_t> target = intField(port, "targetPort");
    if (target && *target != 0 && !isValidPort(*target)) {
      c.rep.error("se-target-port", port->get("targetPort"),
                  "targetPort " + std::to_string(*target) + " is out of range; expected 1..65535");
    }
    std::string_view protocol = stringField(port, "protocol");
    if (no_addresses && !auto_allocation && (protocol.empty() || protocol == "TCP")) {
      c.rep.warning("se-addresses-required", number_at,
                    "addresses are required for ports serving TCP (or unset) protocol when IP "
                    "auto-allocation is not in effect (resolution NONE, or opted out); add "
                    "addresses or set an application protocol");
    }
    if (!isValidPortName(name)) {
      c.rep.error("se-port-name", name_at,
                  "invalid port name " + quote(name) + "; expected a DNS-1123 label");
    }
    if (std::string reason = checkProtocol(protocol); !reason.empty()) {
      c.rep.error("se-port-protocol", port->get("protocol"), reason);
    }
    if (number && !isValidPort(*number)) {
      c.rep.error("se-port-number", number_at,
                  "port number " + std::to_string(*number) +
                      " is out of range; expected "
                      "1..65535");
    }
  }
}

// The first non-null port whose protocol matches pred, or nullptr.
template <typename Pred>
const Node* firstPort(const SeContext& c, Pred pred) {
  const Node* ports = child(c.spec, "ports");
  if (ports == nullptr || !ports->isSeq()) {
    return nullptr;
  }
  for (const Node* port : ports->items()) {
    if (isSet(port) && port->isMap() && pred(parseProtocol(stringField(port, "protocol")))) {
      return port;
    }
  }
  return nullptr;
}

size_t listSize(const Node* spec, std::string_view key) {
  const Node* n = child(spec, key);
  return (n != nullptr && n->isSeq()) ? n->size() : 0;
}

void checkDnsResolution(SeContext& c) {
  const char* mode = resolutionName(c.resolution);
  size_t endpoints = listSize(c.spec, "endpoints");
  if (endpoints == 0) {
    const Node* hosts = child(c.spec, "hosts");
    for (const Node* h : hosts != nullptr ? hosts->items() : std::span<const Node* const>()) {
      if (std::string reason = checkFqdn(scalarOrEmpty(h)); !reason.empty()) {
        // Istio reports only the first failing host.
        c.rep.error("se-dns-host-not-fqdn", h,
                    std::string("hosts must be FQDNs (wildcards only with endpoints) when no "
                                "endpoints are given for resolution ") +
                        mode + ": " + reason);
        break;
      }
    }
  }
  if (c.resolution == kDnsRoundRobin && endpoints > 1) {
    c.rep.error(
        "se-dns-round-robin-endpoints", child(c.spec, "endpoints"),
        "resolution DNS_ROUND_ROBIN allows at most 1 endpoint; found " + std::to_string(endpoints));
  }
  forEachEndpoint(c, checkDnsEndpoint);
  if (nonEmpty(c.spec, "addresses") && listSize(c.spec, "hosts") > 1) {
    auto is_tcp = [](std::optional<Protocol> p) { return p && isTcpProtocol(*p); };
    if (const Node* port = firstPort(c, is_tcp)) {
      c.rep.warning("se-dns-multiple-hosts-tcp", port,
                    "a service entry with addresses and a TCP port should have only one host; "
                    "the hosts cannot be told apart on that port");
    }
  }
}

bool usesWaypoint(const Resource& r) {
  auto it = r.labels.find("istio.io/use-waypoint");
  return it != r.labels.end() && !it->second.empty() &&
         !ascii::equalsIgnoreCase(it->second, "none");
}

void checkDynamicDnsResolution(SeContext& c) {
  const Node* hosts = child(c.spec, "hosts");
  if (listSize(c.spec, "hosts") == 0) {
    c.rep.error("se-dynamic-dns-host", isSet(hosts) ? hosts : c.spec,
                "resolution DYNAMIC_DNS needs at least one wildcard host; found none");
  }
  for (const Node* h : hosts != nullptr ? hosts->items() : std::span<const Node* const>()) {
    if (!scalarOrEmpty(h).starts_with('*')) {
      c.rep.error("se-dynamic-dns-host", h,
                  "host " + quote(scalarOrEmpty(h)) +
                      " must be wildcarded (start with '*') for resolution DYNAMIC_DNS");
    }
  }
  if (nonEmpty(c.spec, "addresses")) {
    c.rep.error("se-dynamic-dns-addresses", child(c.spec, "addresses"),
                "addresses cannot be set for resolution DYNAMIC_DNS; route domains come from "
                "hosts");
  }
  if (nonEmpty(c.spec, "endpoints")) {
    c.rep.error("se-dynamic-dns-endpoints", child(c.spec, "endpoints"),
                "endpoints cannot be set for resolution DYNAMIC_DNS; destination addresses come "
                "from hosts");
  }
  const Node* ports = child(c.spec, "ports");
  for (const Node* port : ports != nullptr ? ports->items() : std::span<const Node* const>()) {
    if (!isSet(port) || !port->isMap()) {
      continue;  // null ports were reported by checkPorts
    }
    std::optional<Protocol> p = parseProtocol(stringField(port, "protocol"));
    if (!p || (*p != Protocol::kHttp && *p != Protocol::kTls && *p != Protocol::kGrpc &&
               *p != Protocol::kHttp2)) {
      const Node* proto = port->get("protocol");
      c.rep.error("se-dynamic-dns-protocol", isSet(proto) ? proto : port,
                  "resolution DYNAMIC_DNS supports only HTTP, TLS, GRPC and HTTP2 ports; found " +
                      quote(stringField(port, "protocol")));
    }
  }
  int64_t location = enumField(c.spec, "location", {"MESH_EXTERNAL", "MESH_INTERNAL"});
  if (location != kMeshExternal && location != kMeshInternal) {
    c.rep.error("se-dynamic-dns-location", child(c.spec, "location"),
                "location must be MESH_EXTERNAL or MESH_INTERNAL for resolution DYNAMIC_DNS");
  }
  if (location == kMeshInternal && usesWaypoint(c.r)) {
    c.rep.error("se-dynamic-dns-location", child(c.spec, "location"),
                "location MESH_INTERNAL with resolution DYNAMIC_DNS is not supported when the "
                "service uses a waypoint (label istio.io/use-waypoint)");
  }
}

void checkResolution(SeContext& c) {
  switch (c.resolution) {
    case kNone:
      if (nonEmpty(c.spec, "endpoints")) {
        c.rep.error("se-none-endpoints", child(c.spec, "endpoints"),
                    "no endpoints should be provided for resolution NONE");
      }
      if (hasSetField(c.spec, "workloadSelector")) {
        c.rep.warning("se-none-workload-selector", child(c.spec, "workloadSelector"),
                      "workloadSelector should not be set when resolution is NONE");
      }
      break;
    case kStatic:
      forEachEndpoint(c, checkStaticEndpoint);
      break;
    case kDns:
    case kDnsRoundRobin:
      checkDnsResolution(c);
      break;
    case kDynamicDns:
      checkDynamicDnsResolution(c);
      break;
    default:
      c.rep.error("se-resolution-unknown", child(c.spec, "resolution"),
                  "unsupported resolution " + quote(scalarOrEmpty(child(c.spec, "resolution"))) +
                      "; expected NONE, STATIC, DNS, DNS_ROUND_ROBIN or DYNAMIC_DNS");
      break;
  }
}

}  // namespace

void validateServiceEntry(const Resource& r, Reporter& rep) {
  const Node* spec = (r.spec != nullptr && r.spec->isMap()) ? r.spec : nullptr;
  // SE1: selector errors make Istio return before anything else is checked.
  if (!checkAlphaWorkloadSelector(child(spec, "workloadSelector"), rep, "se-workload-selector",
                                  "service entry: workload selector specified without labels, "
                                  "will be applied to all services in namespace")) {
    return;
  }
  SeContext c{
      r,
      rep,
      spec,
      enumField(spec, "resolution", {"NONE", "STATIC", "DNS", "DNS_ROUND_ROBIN", "DYNAMIC_DNS"}),
      {}};
  if (hasSetField(spec, "workloadSelector") && nonEmpty(spec, "endpoints")) {
    rep.error("se-selector-with-endpoints", child(spec, "endpoints"),
              "only one of workloadSelector or endpoints is allowed in a service entry");
  }
  checkHosts(c);
  checkAddresses(c);
  checkPorts(c);
  checkResolution(c);
  // SE18: with resolution, several hosts can only share a port when HTTP (Host header) or TLS
  // (SNI) tells them apart.
  if (c.resolution != kNone && listSize(spec, "hosts") > 1) {
    auto opaque = [](std::optional<Protocol> p) {
      return !p || (!isHttpProtocol(*p) && !isTlsProtocol(*p));
    };
    if (const Node* port = firstPort(c, opaque)) {
      rep.error("se-multiple-hosts-non-http", port,
                "multiple hosts provided with a non-HTTP, non-TLS port (protocol " +
                    quote(stringField(port, "protocol")) +
                    "); use one host per service entry or an HTTP/TLS protocol");
    }
  }
  checkExportTo(child(spec, "exportTo"), /*is_service_entry=*/true, rep, "se-export-to");
}

}  // namespace meshc::frontend::validation
