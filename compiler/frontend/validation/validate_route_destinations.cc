// VirtualService route destinations and header operations (ISTIO-VALIDATION.md A.4, V27, V28,
// V61-V65, V73, V76). Entry points: vs::validateRouteDestinations(),
// vs::validateHeaderOperations().
#include <string>

#include "frontend/validation/validate_common.h"
#include "frontend/validation/validate_vs_internal.h"

namespace meshc::frontend::validation::vs {

namespace {

constexpr std::string_view kNameId = "vs-invalid-header-operation";
constexpr std::string_view kValueId = "vs-invalid-header-value";

void checkNameValueMap(const Node* map, bool request, Reporter& rep) {
  if (map == nullptr || !map->isMap()) {
    return;
  }
  for (const MapEntry& e : map->entries()) {
    std::string reason =
        request ? checkRequestHeaderAddSetName(e.key) : checkHeaderOperationName(e.key);
    if (!reason.empty()) {
      rep.emitAtKey(kNameId, kIstSchemaError, Severity::kError, &e, reason);
    }
    if (std::string value_reason = checkHeaderValue(textOf(e.value)); !value_reason.empty()) {
      rep.error(kValueId, e.value, value_reason);
    }
  }
}

void checkRemoveList(const Node* list, Reporter& rep) {
  if (list == nullptr || !list->isSeq()) {
    return;
  }
  for (const Node* item : list->items()) {
    if (std::string reason = checkHeaderOperationName(textOf(item)); !reason.empty()) {
      rep.error(kNameId, item, reason);
    }
  }
}

}  // namespace

void validateHeaderOperations(const Node* headers, Reporter& rep) {
  if (!isSet(headers)) {
    return;
  }
  if (const Node* request = headers->get("request"); isSet(request)) {
    checkNameValueMap(request->get("add"), /*request=*/true, rep);
    checkNameValueMap(request->get("set"), /*request=*/true, rep);
    checkRemoveList(request->get("remove"), rep);
  }
  if (const Node* response = headers->get("response"); isSet(response)) {
    checkNameValueMap(response->get("add"), /*request=*/false, rep);
    checkNameValueMap(response->get("set"), /*request=*/false, rep);
    checkRemoveList(response->get("remove"), rep);
  }
}

void validateRouteDestinations(const Node* route_list, bool with_headers, Reporter& rep) {
  if (route_list == nullptr || !route_list->isSeq()) {
    return;
  }
  int64_t total_weight = 0;
  for (const Node* entry : route_list->items()) {
    if (!isSet(entry) || !entry->isMap()) {
      rep.error("vs-null-route-destination", entry, "a route destination entry must not be null");
      continue;
    }
    const Node* destination = entry->get("destination");
    if (!isSet(destination)) {
      rep.error("vs-missing-destination", entry,
                "a route entry needs a destination (host, optional subset and port)");
    }
    if (with_headers) {
      validateHeaderOperations(entry->get("headers"), rep);
    }
    checkDestination(destination, rep, "vs-invalid-destination");
    if (const Node* weight = entry->get("weight"); weight != nullptr && weight->isInt()) {
      if (weight->intValue() < 0) {
        rep.error(
            "vs-negative-weight", weight,
            "weight " + std::to_string(weight->intValue()) + " is negative; expected a value >= 0");
      }
      total_weight += weight->intValue();
    }
  }
  // Weights need not sum to 100 (Istio normalizes); only an all-zero split is meaningless.
  if (route_list->size() > 1 && total_weight == 0) {
    rep.error("vs-zero-total-weight", route_list,
              "the weights of all " + std::to_string(route_list->size()) +
                  " destinations are 0; give at least one destination a positive weight");
  }
}

}  // namespace meshc::frontend::validation::vs
