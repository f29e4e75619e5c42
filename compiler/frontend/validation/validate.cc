// Webhook validation dispatch: metadata rules (A.1), then the per-kind rules, then CRD CEL rules.
// Entry points: validateResource(), validateMetadata().
#include "frontend/validation/validate.h"

#include <string>
#include <string_view>

namespace meshc::frontend::validation {

namespace {

// The annotation node's key, so the caret points at the offending annotation.
const MapEntry* annotationEntry(const Resource& r, std::string_view key) {
  if (r.metadata == nullptr) {
    return nullptr;
  }
  const Node* annotations = r.metadata->get("annotations");
  return annotations != nullptr ? annotations->entry(key) : nullptr;
}

void reportAnnotation(const Resource& r, Reporter& rep, std::string_view id, std::string_view key,
                      std::string message) {
  rep.emitAtKey(id, kIstSchemaError, Severity::kError, annotationEntry(r, key), std::move(message));
}

}  // namespace

void validateMetadata(const Resource& r, Reporter& rep) {
  // Istio's validateMetadata returns on the first problem, so at most one of these is reported.
  // None of the networking kinds supports dry-run (only AuthorizationPolicy does).
  constexpr std::string_view kDryRun = "istio.io/dry-run";
  constexpr std::string_view kAlwaysReject = "internal.istio.io/webhook-always-reject";
  constexpr std::string_view kParentNamespace = "internal.istio.io/parent-namespace";
  constexpr std::string_view kParents = "internal.istio.io/parents";
  if (r.annotations.count(kDryRun) != 0) {
    reportAnnotation(r, rep, "meta-dry-run-annotation", kDryRun,
                     "annotation \"istio.io/dry-run\" is only supported on AuthorizationPolicy; "
                     "remove it from this " +
                         std::string(resourceKindName(r.kind)));
    return;
  }
  if (r.annotations.count(kAlwaysReject) != 0) {
    reportAnnotation(r, rep, "meta-always-reject", kAlwaysReject,
                     "annotation \"internal.istio.io/webhook-always-reject\" is present; Istio "
                     "rejects every object carrying it");
    return;
  }
  if (r.annotations.count(kParentNamespace) != 0) {
    reportAnnotation(r, rep, "meta-internal-annotation", kParentNamespace,
                     "annotation \"internal.istio.io/parent-namespace\" is internal to Istio and "
                     "may not be set by users");
    return;
  }
  if (r.annotations.count(kParents) != 0) {
    reportAnnotation(r, rep, "meta-internal-annotation", kParents,
                     "annotation \"internal.istio.io/parents\" is internal to Istio and may not be "
                     "set by users");
    return;
  }
}

void validateResource(const Resource& r, Reporter& rep) {
  if (!isIstioKind(r.kind)) {
    return;
  }
  // A metadata error makes Istio's webhook return before the kind's own validation runs.
  size_t before = rep.sink().size();
  validateMetadata(r, rep);
  if (rep.sink().size() == before) {
    switch (r.kind) {
      case ResourceKind::kGateway:
        validateGateway(r, rep);
        break;
      case ResourceKind::kVirtualService:
        validateVirtualService(r, rep);
        break;
      case ResourceKind::kDestinationRule:
        validateDestinationRule(r, rep);
        break;
      case ResourceKind::kSidecar:
        validateSidecar(r, rep);
        break;
      case ResourceKind::kServiceEntry:
        validateServiceEntry(r, rep);
        break;
      default:
        break;
    }
  }
  // The API server evaluates CEL rules independently of the webhook, so they always run.
  validateCrdCel(r, rep);
}

}  // namespace meshc::frontend::validation
