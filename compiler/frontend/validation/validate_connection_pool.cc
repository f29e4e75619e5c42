// Connection-pool settings checks (ISTIO-VALIDATION.md D8-D14), shared by DestinationRule
// traffic policies and Sidecar ingress / inbound pools. Entry point: checkConnectionPool().
#include "frontend/validation/validate_connection_pool.h"

#include <optional>
#include <string>
#include <string_view>

#include "base/quote.h"
#include "frontend/validation/validate_common.h"

namespace meshc::frontend::validation {

namespace {

constexpr std::string_view kEmptyId = "conn-pool-empty";
constexpr std::string_view kNegativeId = "conn-pool-negative";
constexpr std::string_view kDurationId = "conn-pool-duration";
constexpr std::string_view kKeepaliveMissingId = "conn-pool-keepalive-missing";
constexpr std::string_view kH2UpgradeId = "conn-pool-h2-upgrade-client-protocol";

// Proto semantics: a message field is "set" unless absent or JSON null. A wrong-typed value
// is a schema error, so it is treated as unset here rather than guessed at.
const Node* presentMap(const Node* parent, std::string_view key) {
  const Node* n = parent ? parent->get(key) : nullptr;
  return (n != nullptr && n->isMap()) ? n : nullptr;
}

void checkNonNegative(const Node* parent, std::string_view section, std::string_view key,
                      Reporter& rep) {
  const Node* n = parent->get(key);
  if (n == nullptr || !n->isInt() || n->intValue() >= 0) {
    return;
  }
  rep.error(kNegativeId, n,
            std::string(section) + "." + std::string(key) + " must be non-negative; found " +
                std::to_string(n->intValue()));
}

// agent.ValidateDuration on a present duration field.
void checkDurationField(const Node* n, std::string_view path, Reporter& rep) {
  if (n == nullptr || !n->isString()) {
    return;
  }
  std::string reason = checkDuration(n->text());
  if (reason.empty()) {
    return;
  }
  rep.error(kDurationId, n,
            "invalid " + std::string(path) + " " + quote(n->text()) + ": " + reason);
}

bool isUpgradePolicy(const Node* n) {
  if (n == nullptr) {
    return false;
  }
  // protojson accepts an enum by name or by number (UPGRADE = 2).
  return (n->isString() && n->text() == "UPGRADE") || (n->isInt() && n->intValue() == 2);
}

void checkHttpSettings(const Node* http, Reporter& rep) {
  for (std::string_view key :
       {"http1MaxPendingRequests", "http2MaxRequests", "maxRequestsPerConnection", "maxRetries"}) {
    checkNonNegative(http, "http", key, rep);
  }
  if (const Node* idle = http->get("idleTimeout"); idle != nullptr && !idle->isNull()) {
    checkDurationField(idle, "http.idleTimeout", rep);
  }
  const Node* policy = http->get("h2UpgradePolicy");
  const Node* client = http->get("useClientProtocol");
  if (isUpgradePolicy(policy) && client != nullptr && client->boolValue()) {
    rep.error(kH2UpgradeId, client,
              "useClientProtocol must not be true when h2UpgradePolicy is UPGRADE");
  }
  checkNonNegative(http, "http", "maxConcurrentStreams", rep);

  const MapEntry* ka_entry = http->entry("http2KeepAlive");
  if (ka_entry == nullptr || ka_entry->value == nullptr || !ka_entry->value->isMap()) {
    return;
  }
  const Node* keepalive = ka_entry->value;
  for (std::string_view key : {"interval", "timeout"}) {
    const Node* v = keepalive->get(key);
    if (v == nullptr || v->isNull()) {
      rep.emitAtKey(kKeepaliveMissingId, kIstSchemaError, Severity::kError, ka_entry,
                    "http.http2KeepAlive." + std::string(key) +
                        " is required when http2KeepAlive is set; found none");
      continue;
    }
    checkDurationField(v, "http.http2KeepAlive." + std::string(key), rep);
  }
}

void checkTcpSettings(const Node* tcp, Reporter& rep) {
  checkNonNegative(tcp, "tcp", "maxConnections", rep);
  checkDurationField(tcp->get("connectTimeout"), "tcp.connectTimeout", rep);
  checkDurationField(tcp->get("maxConnectionDuration"), "tcp.maxConnectionDuration", rep);
  if (const Node* idle = tcp->get("idleTimeout"); idle != nullptr && idle->isString()) {
    // Istio skips the check when the value truncates to 0 whole milliseconds ("0s" means
    // disabled), which also lets any sub-millisecond value through.
    std::optional<int64_t> ns = parseDuration(idle->text());
    if (!ns.has_value() || *ns / 1000000 != 0) {
      checkDurationField(idle, "tcp.idleTimeout", rep);
    }
  }
  if (const Node* ka = presentMap(tcp, "tcpKeepalive")) {
    checkDurationField(ka->get("time"), "tcp.tcpKeepalive.time", rep);
    checkDurationField(ka->get("interval"), "tcp.tcpKeepalive.interval", rep);
  }
}

}  // namespace

void checkConnectionPool(const Node* pool, Reporter& rep) {
  if (pool == nullptr || !pool->isMap()) {
    return;
  }
  const Node* http = presentMap(pool, "http");
  const Node* tcp = presentMap(pool, "tcp");
  if (http == nullptr && tcp == nullptr) {
    rep.error(kEmptyId, pool,
              "connection pool must set at least one of http or tcp; found neither");
    return;
  }
  if (http != nullptr) {
    checkHttpSettings(http, rep);
  }
  if (tcp != nullptr) {
    checkTcpSettings(tcp, rep);
  }
}

}  // namespace meshc::frontend::validation
