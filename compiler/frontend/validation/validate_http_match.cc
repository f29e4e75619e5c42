// VirtualService HTTP match requests (ISTIO-VALIDATION.md A.4, V19-V26).
// Entry point: vs::validateHttpMatchRequests().
#include <string>

#include "base/quote.h"
#include "frontend/validation/validate_common.h"
#include "frontend/validation/validate_vs_internal.h"

namespace meshc::frontend::validation::vs {

namespace {

constexpr std::string_view kStringMatchId = "vs-invalid-string-match";

void checkHeaderMap(const Node* headers, bool without, Reporter& rep) {
  if (headers == nullptr || !headers->isMap()) {
    return;
  }
  for (const MapEntry& e : headers->entries()) {
    if (!without && !isSet(e.value)) {
      rep.emitAtKey("vs-null-header-match", kIstSchemaError, Severity::kError, &e,
                    "header match " + quote(e.key) +
                        " must not be null; give it an exact, prefix or regex value");
    }
    if (std::string reason = checkMatchHeaderName(e.key); !reason.empty()) {
      rep.emitAtKey("vs-invalid-match-header-name", kIstSchemaError, Severity::kError, &e, reason);
    }
    // In withoutHeaders, regex "*" is not RE2: Istio turns it into a presence match.
    if (without && isSet(e.value) && textOf(e.value->get("regex")) == "*") {
      continue;
    }
    checkStringMatch(e.value, rep, kStringMatchId, /*allow_empty_prefix=*/false);
  }
}

}  // namespace

void validateHttpMatchRequests(const Node* matches, Reporter& rep) {
  if (matches == nullptr || !matches->isSeq()) {
    return;
  }
  for (const Node* m : matches->items()) {
    if (!isSet(m) || !m->isMap()) {
      continue;
    }
    checkHeaderMap(m->get("headers"), /*without=*/false, rep);
    checkHeaderMap(m->get("withoutHeaders"), /*without=*/true, rep);
    // Envoy allows an empty uri prefix (matches everything) but not for the other fields.
    checkStringMatch(m->get("uri"), rep, kStringMatchId, /*allow_empty_prefix=*/true);
    checkStringMatch(m->get("scheme"), rep, kStringMatchId, /*allow_empty_prefix=*/false);
    checkStringMatch(m->get("method"), rep, kStringMatchId, /*allow_empty_prefix=*/false);
    checkStringMatch(m->get("authority"), rep, kStringMatchId, /*allow_empty_prefix=*/false);
    if (const Node* qp = m->get("queryParams"); qp != nullptr) {
      for (const MapEntry& e : qp->entries()) {
        checkStringMatch(e.value, rep, kStringMatchId, /*allow_empty_prefix=*/false);
      }
    }
  }
  for (const Node* m : matches->items()) {
    if (!isSet(m) || !m->isMap()) {
      continue;
    }
    if (const Node* port = m->get("port"); port != nullptr && port->isInt()) {
      int64_t n = port->intValue();
      if (n != 0 && !isValidPort(n)) {
        rep.error("vs-invalid-match-port", port,
                  "match port " + std::to_string(n) + " is out of range; expected 1..65535");
      }
    }
    checkLabelMap(m->get("sourceLabels"), rep, "vs-invalid-source-labels");
    // Istio drops the legacy-name warning for match gateways (appendErrors keeps errors only).
    checkGatewayNamesSplitIds(m->get("gateways"), rep, "vs-invalid-gateway", "");
    const Node* ns = m->get("sourceNamespace");
    if (std::string_view text = textOf(ns); !text.empty() && !isDns1123Label(text)) {
      rep.error("vs-invalid-source-namespace", ns,
                "sourceNamespace " + quote(text) +
                    " is not a valid namespace name; expected a DNS-1123 label");
    }
  }
}

}  // namespace meshc::frontend::validation::vs
