// DestinationRule traffic policies: outlier detection, client TLS, port-level settings, tunnel
// and PROXY protocol (A.5 D2-D7, D28-D34). Entry point: checkTrafficPolicy().
#include "frontend/validation/validate_traffic_policy.h"

#include <string>
#include <string_view>

#include "base/quote.h"
#include "frontend/validation/validate_common.h"
#include "frontend/validation/validate_connection_pool.h"
#include "frontend/validation/validate_proto_fields.h"

namespace meshc::frontend::validation {

namespace {

// agent.ValidateDuration on an optional duration field. A non-string value cannot become a
// proto Duration; that is the schema check's finding, so it is skipped here.
void checkDurationField(const Node* parent, std::string_view key, std::string_view path,
                        std::string_view id, const PolicyContext& ctx) {
  const Node* n = child(parent, key);
  if (n == nullptr || !n->isString()) {
    return;
  }
  if (std::string reason = checkDuration(n->text()); !reason.empty()) {
    ctx.error(id, n, std::string(path) + ": " + reason);
  }
}

void checkOutlierDetection(const Node* outlier, const PolicyContext& ctx) {
  if (outlier == nullptr || !outlier->isMap()) {
    return;
  }
  checkDurationField(outlier, "baseEjectionTime", "outlierDetection.baseEjectionTime",
                     "dr-outlier-duration", ctx);
  if (std::optional<int64_t> n = intField(outlier, "consecutiveErrors"); n && *n != 0) {
    ctx.warning("dr-outlier-consecutive-errors-deprecated", outlier->get("consecutiveErrors"),
                "outlierDetection.consecutiveErrors is deprecated; use consecutiveGatewayErrors "
                "or consecutive5xxErrors instead");
  }
  std::optional<int64_t> local = intField(outlier, "consecutiveLocalOriginFailures");
  if (!boolField(outlier, "splitExternalLocalOriginErrors") && local && *local > 0) {
    ctx.error("dr-outlier-local-origin-without-split",
              outlier->get("consecutiveLocalOriginFailures"),
              "outlierDetection.consecutiveLocalOriginFailures is " + std::to_string(*local) +
                  " but splitExternalLocalOriginErrors is false; set "
                  "splitExternalLocalOriginErrors: true or drop the setting");
  }
  checkDurationField(outlier, "interval", "outlierDetection.interval", "dr-outlier-duration", ctx);
  for (std::string_view key : {"maxEjectionPercent", "minHealthPercent"}) {
    std::optional<int64_t> v = intField(outlier, key);
    if (v && (*v < 0 || *v > 100)) {
      ctx.error("dr-outlier-percent-range", outlier->get(key),
                "outlierDetection." + std::string(key) + " is " + std::to_string(*v) +
                    "; expected a percentage in 0..100");
    }
  }
}

// agent.ValidateTLS (client side).
void checkClientTls(const Node* tls, const PolicyContext& ctx) {
  if (tls == nullptr || !tls->isMap()) {
    return;
  }
  constexpr int64_t kSimple = 1;
  constexpr int64_t kMutual = 2;
  int64_t mode = enumField(tls, "mode", {"DISABLE", "SIMPLE", "MUTUAL", "ISTIO_MUTUAL"});
  std::string_view credential = stringField(tls, "credentialName");
  std::string_view ca = stringField(tls, "caCertificates");
  bool has_sans = nonEmpty(tls, "subjectAltNames");

  constexpr std::string_view kConfigMap = "configmap://";
  if (credential.starts_with(kConfigMap)) {
    // credentials.ParseResourceName: "configmap://<namespace>/<name>", namespace required.
    std::string_view rest = credential.substr(kConfigMap.size());
    size_t slash = rest.find('/');
    std::string problem;
    if (slash == std::string_view::npos) {
      problem = "expected configmap://<namespace>/<name>";
    } else {
      std::string_view ns = rest.substr(0, slash);
      std::string_view name = rest.substr(slash + 1);
      name = name.substr(0, name.find('/'));  // Go's strings.Split keeps only the 2nd element
      if (ns.empty()) {
        problem = "the namespace is empty; expected configmap://<namespace>/<name>";
      } else if (name.empty()) {
        problem = "the name is empty; expected configmap://<namespace>/<name>";
      } else if (ns != ctx.config_namespace || ctx.config_namespace.empty()) {
        problem = "namespace " + quote(ns) + " must match the DestinationRule's namespace " +
                  quote(ctx.config_namespace);
      }
    }
    if (!problem.empty()) {
      ctx.error("dr-tls-configmap-credential", tls->get("credentialName"),
                "invalid configmap:// credentialName " + quote(credential) + ": " + problem);
    }
  }

  if (boolField(tls, "insecureSkipVerify")) {
    if (mode == kSimple && (!ca.empty() || !credential.empty() || has_sans)) {
      ctx.error("dr-tls-insecure-skip-verify", tls->get("insecureSkipVerify"),
                "insecureSkipVerify: true cannot be combined with caCertificates, credentialName "
                "or subjectAltNames in SIMPLE mode; drop one or the other");
    }
    if (mode == kMutual && (!ca.empty() || has_sans)) {
      ctx.error("dr-tls-insecure-skip-verify", tls->get("insecureSkipVerify"),
                "insecureSkipVerify: true cannot be combined with caCertificates or "
                "subjectAltNames in MUTUAL mode; drop one or the other");
    }
  }

  if ((mode == kSimple || mode == kMutual) && !credential.empty()) {
    if (!stringField(tls, "clientCertificate").empty() || !ca.empty() ||
        !stringField(tls, "privateKey").empty() || !stringField(tls, "caCrl").empty()) {
      ctx.error("dr-tls-credential-with-files", tls->get("credentialName"),
                "credentialName cannot be combined with clientCertificate, privateKey, "
                "caCertificates or caCrl; the credential supplies them");
    }
    // Certificates come from the credential, so nothing else is required.
    return;
  }
  if (mode == kMutual) {
    if (stringField(tls, "clientCertificate").empty()) {
      ctx.error("dr-tls-mutual-missing-cert", tls,
                "MUTUAL tls requires clientCertificate (or credentialName); found none");
    }
    if (stringField(tls, "privateKey").empty()) {
      ctx.error("dr-tls-mutual-missing-cert", tls,
                "MUTUAL tls requires privateKey (or credentialName); found none");
    }
  }
}

void checkPortTrafficPolicies(const Node* settings, const PolicyContext& ctx) {
  if (settings == nullptr || !settings->isSeq()) {
    return;
  }
  // Istio folds these results with appendErrors, which keeps only the error half of each
  // nested Validation: warnings raised here never reach the user, so we drop them too.
  PolicyContext nested{ctx.rep, ctx.config_namespace, /*keep_warnings=*/false};
  for (const Node* item : settings->items()) {
    if (!isSet(item)) {
      ctx.error("dr-port-policy-null", item,
                "portLevelSettings entry is null; expected a port traffic policy");
      continue;
    }
    if (!item->isMap()) {
      continue;  // wrong type: the schema check reports it
    }
    if (!hasSetField(item, "port")) {
      ctx.error("dr-port-policy-missing-port", item,
                "portLevelSettings entry has no port; expected port.number");
    }
    const Node* outlier = setMap(item, "outlierDetection");
    if (!hasSetField(item, "outlierDetection") && !hasSetField(item, "connectionPool") &&
        !hasSetField(item, "loadBalancer") && !hasSetField(item, "tls")) {
      ctx.error("dr-port-policy-empty", item,
                "port traffic policy must set at least one of outlierDetection, connectionPool, "
                "loadBalancer or tls; found none");
      continue;
    }
    checkOutlierDetection(outlier, nested);
    checkConnectionPool(setMap(item, "connectionPool"), ctx.rep);
    checkLoadBalancer(setMap(item, "loadBalancer"), outlier, nested);
    checkClientTls(setMap(item, "tls"), nested);
  }
}

void checkTunnel(const Node* tunnel, const PolicyContext& ctx) {
  if (tunnel == nullptr || !tunnel->isMap()) {
    return;
  }
  std::string_view protocol = stringField(tunnel, "protocol");
  if (!protocol.empty() && protocol != "CONNECT" && protocol != "POST") {
    ctx.error("dr-tunnel-protocol", tunnel->get("protocol"),
              "tunnel.protocol is " + quote(protocol) + "; expected \"CONNECT\" or \"POST\"");
  }
  const Node* host_node = tunnel->get("targetHost");
  if (host_node == nullptr || host_node->isString() || host_node->isNull()) {
    std::string_view host = stringField(tunnel, "targetHost");
    std::string fqdn_problem = checkFqdn(host);
    if (!fqdn_problem.empty() && !isIpAddress(host)) {
      ctx.error("dr-tunnel-target-host", isSet(host_node) ? host_node : tunnel,
                "tunnel.targetHost " + quote(host) +
                    " must be a valid FQDN or IP address: " + fqdn_problem);
    }
  }
  std::optional<int64_t> port = intField(tunnel, "targetPort");
  if (port && !isValidPort(*port)) {
    const Node* port_node = tunnel->get("targetPort");
    ctx.error("dr-tunnel-target-port", isSet(port_node) ? port_node : tunnel,
              "tunnel.targetPort is " + std::to_string(*port) + "; expected 1..65535");
  }
}

void checkProxyProtocol(const Node* proxy, const PolicyContext& ctx) {
  if (proxy == nullptr || !proxy->isMap()) {
    return;
  }
  int64_t version = enumField(proxy, "version", {"V1", "V2"});
  if (version != 0 && version != 1) {
    const Node* v = proxy->get("version");
    ctx.error("dr-proxy-protocol-version", v,
              "proxyProtocol.version " + std::string(v != nullptr ? v->text() : "") +
                  " is invalid; expected V1 or V2");
  }
}

}  // namespace

void checkTrafficPolicy(const Node* policy, const PolicyContext& ctx) {
  if (policy == nullptr || !policy->isMap()) {
    return;
  }
  bool any = nonEmpty(policy, "portLevelSettings");
  for (std::string_view key : {"outlierDetection", "connectionPool", "loadBalancer", "tls",
                               "tunnel", "proxyProtocol", "retryBudget"}) {
    any = any || hasSetField(policy, key);
  }
  if (!any) {
    // Istio returns here: nothing else in this policy is checked.
    ctx.error("dr-traffic-policy-empty", policy,
              "traffic policy must set at least one of outlierDetection, connectionPool, "
              "loadBalancer, tls, portLevelSettings, tunnel, proxyProtocol or retryBudget; "
              "found none");
    return;
  }
  if (hasSetField(policy, "tunnel") && hasSetField(policy, "proxyProtocol")) {
    // Also a short-circuit in Istio: the rest of this policy goes unchecked.
    ctx.rep.emitAtKey("dr-tunnel-with-proxy-protocol", kIstSchemaError, Severity::kError,
                      policy->entry("proxyProtocol"),
                      "tunnel and proxyProtocol must not be set together; keep one");
    return;
  }
  const Node* outlier = setMap(policy, "outlierDetection");
  checkOutlierDetection(outlier, ctx);
  checkConnectionPool(setMap(policy, "connectionPool"), ctx.rep);
  checkLoadBalancer(setMap(policy, "loadBalancer"), outlier, ctx);
  checkClientTls(setMap(policy, "tls"), ctx);
  checkPortTrafficPolicies(policy->get("portLevelSettings"), ctx);
  checkTunnel(setMap(policy, "tunnel"), ctx);
  checkProxyProtocol(setMap(policy, "proxyProtocol"), ctx);
}

}  // namespace meshc::frontend::validation
