// Gateway webhook rules (ISTIO-VALIDATION.md section A.3, G1-G16; TLS options G17-G28 live in
// validate_tls.cc). Entry point: validateGateway().
#include <optional>
#include <set>
#include <string>
#include <string_view>

#include "base/quote.h"
#include "frontend/validation/validate.h"
#include "frontend/validation/validate_common.h"
#include "frontend/validation/validate_tls.h"

namespace meshc::frontend::validation {

namespace {

constexpr std::string_view kUnixPrefix = "unix://";
constexpr std::string_view kGatewaySemanticsAnnotation = "internal.istio.io/gateway-semantics";

// A protobuf message field is nil when absent or JSON null; other wrong types are schema errors
// and are treated as nil too (never guessed at).
const Node* message(const Node* parent, std::string_view key) {
  const Node* n = parent != nullptr ? parent->get(key) : nullptr;
  return (n != nullptr && n->isMap()) ? n : nullptr;
}

int64_t intField(const Node* parent, std::string_view key) {
  const Node* n = parent != nullptr ? parent->get(key) : nullptr;
  return (n != nullptr && n->isInt()) ? n->intValue() : 0;
}

// The node to blame for a field: the value when present, else its parent.
const Node* at(const Node* parent, std::string_view key) {
  const Node* n = parent != nullptr ? parent->get(key) : nullptr;
  return n != nullptr ? n : parent;
}

// validateSidecarOrGatewayHostnamePart(isGateway=true): Gateway hosts may also be IPs.
void checkGatewayHostnamePart(std::string_view host, const Node* node, Reporter& rep) {
  if (host != "*" && host.find('.') == std::string_view::npos) {
    rep.error("gw-host-short-name", node,
              "host " + quote(host) +
                  " is a short name; expected a fully qualified domain "
                  "name or \"*\"");
  }
  std::string reason = checkWildcardDomain(host);
  if (!reason.empty() && !isIpAddress(host)) {
    rep.error("gw-host-invalid", node,
              "invalid host " + quote(host) + ": " + reason +
                  "; expected a (wildcard) domain name or an IP address");
  }
  if (isPartialWildcard(host)) {
    rep.error("gw-host-partial-wildcard", node,
              "partial wildcard " + quote(host) +
                  " is not allowed; expected \"*\" or a "
                  "\"*.\" prefix");
  }
}

// agent.ValidateNamespaceSlashWildcardHostname(isGateway=true).
void checkGatewayHost(const Node* node, bool gateway_semantics, Reporter& rep) {
  if (node == nullptr || !node->isString()) {
    return;
  }
  std::string_view host = node->text();
  size_t slash = host.find('/');
  if (slash == std::string_view::npos) {
    checkGatewayHostnamePart(host, node, rep);  // old-style host without a namespace
    return;
  }
  std::string_view ns = host.substr(0, slash);
  std::string_view name = host.substr(slash + 1);
  if (ns.empty() || name.empty()) {
    rep.error("gw-host-namespace", node,
              "host " + quote(host) +
                  " has an empty namespace or dnsName; expected "
                  "namespace/dnsName");
  }
  // "~" is only meaningful for Gateways converted from the Kubernetes Gateway API.
  if (ns != "*" && ns != "." && (ns != "~" || !gateway_semantics) && !isDns1123Label(ns)) {
    rep.error("gw-host-namespace", node,
              "invalid namespace " + quote(ns) +
                  " in gateway host; expected \"*\", \".\" or "
                  "a DNS-1123 label");
  }
  checkGatewayHostnamePart(name, node, rep);
}

// validateServerPort: returns true when the port produced no error (G15/G16 depend on it).
bool checkServerPort(const Node* server, const Node* port, std::string_view bind, Reporter& rep) {
  if (port == nullptr) {
    rep.error("gw-port-missing", at(server, "port"), "server port is required; found none");
    return false;
  }
  bool ok = true;
  std::string_view protocol = port->str("protocol");
  if (!parseProtocol(protocol).has_value()) {
    // Unlike Sidecar and ServiceEntry ports, an empty protocol (sniffing) is invalid here.
    std::string found = protocol.empty() ? "found none" : "found " + quote(protocol);
    rep.error("gw-port-protocol", at(port, "protocol"),
              "invalid server port protocol; expected one of HTTP, HTTPS, HTTP2, HTTP_PROXY, "
              "GRPC, GRPC-WEB, TLS, TCP, UDP, MONGO, REDIS, MYSQL; " +
                  found);
    ok = false;
  }
  int64_t number = intField(port, "number");
  if (number > 0 || bind.substr(0, kUnixPrefix.size()) != kUnixPrefix) {
    if (!isValidPort(number)) {
      rep.error("gw-port-number", at(port, "number"),
                "port number " + std::to_string(number) +
                    " is out of range; expected 1..65535 (0 only with a unix:// bind)");
      ok = false;
    }
  }
  if (intField(port, "targetPort") > 0) {
    rep.error("gw-port-target-port", at(port, "targetPort"),
              "targetPort has no effect on Gateways; expected it unset");
    ok = false;
  }
  if (port->str("name").empty()) {
    rep.error("gw-port-name-missing", at(port, "name"), "server port name must be set; found none");
    ok = false;
  }
  return ok;
}

// validateServerBind.
void checkServerBind(const Node* server, const Node* port, std::string_view bind, Reporter& rep) {
  const Node* bind_node = at(server, "bind");
  if (bind.substr(0, kUnixPrefix.size()) == kUnixPrefix) {
    std::string reason = checkUnixAddress(bind.substr(kUnixPrefix.size()));
    if (!reason.empty()) {
      rep.error("gw-bind-unix", bind_node,
                "invalid unix socket bind " + quote(bind) + ": " + reason);
    }
    if (port != nullptr && intField(port, "number") != 0) {
      rep.error("gw-bind-unix", at(port, "number"),
                "port number must be 0 for a unix domain socket bind; found " +
                    std::to_string(intField(port, "number")));
    }
    return;
  }
  if (!bind.empty() && !isIpAddress(bind)) {
    rep.error("gw-bind-ip", bind_node,
              "bind " + quote(bind) + " is not a valid IP address; expected an IP or unix://path");
  }
}

// Protocol/TLS consistency, checked only when the port itself is valid (as Istio does).
void checkServerTlsPresence(const Node* server, const Node* port, Reporter& rep) {
  std::optional<Protocol> p = parseProtocol(port->str("protocol"));
  if (!p.has_value()) {
    return;
  }
  const Node* tls = message(server, "tls");
  if (isTlsProtocol(*p)) {
    if (tls == nullptr) {
      rep.error("gw-tls-missing", at(port, "protocol"),
                "server with protocol " + std::string(port->str("protocol")) +
                    " must have tls settings; found none");
    }
    return;
  }
  if (tls == nullptr) {
    return;
  }
  if (isHttpProtocol(*p)) {
    // Only an httpsRedirect block is allowed on plain HTTP: the mode must stay (AUTO_)PASSTHROUGH,
    // which is the enum default, and no certificate file may be named.
    ServerTlsModeKind mode = serverTlsMode(tls);
    bool passthrough =
        mode == ServerTlsModeKind::kPassthrough || mode == ServerTlsModeKind::kAutoPassthrough;
    if (!passthrough || !tls->str("caCertificates").empty() || !tls->str("privateKey").empty() ||
        !tls->str("serverCertificate").empty()) {
      rep.error("gw-tls-not-allowed", server->get("tls"),
                "server cannot have tls settings for plain-text HTTP port " +
                    quote(port->str("name")) +
                    "; expected only httpsRedirect (use protocol HTTPS to terminate TLS)");
    }
    return;
  }
  rep.error("gw-tls-not-allowed", server->get("tls"),
            "server cannot have tls settings for protocol " + std::string(port->str("protocol")) +
                "; expected protocol HTTPS or TLS");
}

void validateServer(const Node* server, bool gateway_semantics, Reporter& rep) {
  const Node* hosts = server->get("hosts");
  if (hosts == nullptr || !hosts->isSeq() || hosts->size() == 0) {
    rep.error("gw-server-hosts-empty", hosts != nullptr ? hosts : server,
              "server must contain at least one host; found none");
  } else {
    for (const Node* host : hosts->items()) {
      checkGatewayHost(host, gateway_semantics, rep);
    }
  }
  const Node* port = message(server, "port");
  std::string_view bind = server->str("bind");
  bool port_ok = checkServerPort(server, port, bind, rep);
  checkServerBind(server, port, bind, rep);
  validateTLSOptions(message(server, "tls"), rep, "gw-tls");
  if (port_ok) {
    checkServerTlsPresence(server, port, rep);
  }
}

}  // namespace

void validateGateway(const Resource& r, Reporter& rep) {
  auto semantics = r.annotations.find(kGatewaySemanticsAnnotation);
  const bool gateway_semantics = semantics != r.annotations.end() && semantics->second == "gateway";
  if (!gateway_semantics && !isDns1123Label(r.name)) {
    const Node* name = r.metadata != nullptr ? r.metadata->get("name") : nullptr;
    rep.error("gw-name-invalid", name,
              "invalid gateway name " + quote(r.name) +
                  "; expected a DNS-1123 label (alphanumerics and '-', no dots, at most 63 "
                  "characters)");
  }

  const Node* servers = r.spec != nullptr ? r.spec->get("servers") : nullptr;
  if (servers == nullptr || !servers->isSeq() || servers->size() == 0) {
    rep.error("gw-servers-empty", servers != nullptr ? servers : r.spec,
              "gateway must have at least one server; found none");
    return;
  }
  for (const Node* server : servers->items()) {
    if (server == nullptr || !server->isMap()) {
      rep.error("gw-server-null", server, "server entry must not be null; expected a server");
      continue;
    }
    validateServer(server, gateway_semantics, rep);
  }

  // Port names must be unique across servers; an absent name collides with another absent one.
  std::set<std::string, std::less<>> port_names;
  for (const Node* server : servers->items()) {
    if (server == nullptr || !server->isMap()) {
      // Istio reports a null server a second time here; kept so the counts match istioctl.
      rep.error("gw-server-null", server,
                "server entry must not be null; its port name cannot be checked for uniqueness");
      continue;
    }
    const Node* port = message(server, "port");
    if (port == nullptr) {
      continue;
    }
    std::string_view name = port->str("name");
    if (!port_names.emplace(name).second) {
      rep.error("gw-port-name-duplicate", at(port, "name"),
                "port names in servers must be unique; found duplicate name " + quote(name));
    }
    std::optional<Protocol> p = parseProtocol(port->str("protocol"));
    const Node* tls = message(server, "tls");
    const Node* redirect = tls != nullptr ? tls->get("httpsRedirect") : nullptr;
    if ((!p.has_value() || !isHttpProtocol(*p)) && redirect != nullptr && redirect->boolValue()) {
      rep.warning("gw-https-redirect-non-http", redirect,
                  "tls.httpsRedirect only applies to HTTP servers; found protocol " +
                      quote(port->str("protocol")));
    }
  }
}

}  // namespace meshc::frontend::validation
