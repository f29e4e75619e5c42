// Istio's webhook validation, per kind (ISTIO-VALIDATION.md section A).
// Entry point: validateResource(); findings go to the Reporter (IST0106/IST0133 for istioctl).
#pragma once

#include "frontend/reporter.h"
#include "frontend/resource.h"

namespace meshc::frontend::validation {

void validateMetadata(const Resource& r, Reporter& rep);  // A.1
void validateGateway(const Resource& r, Reporter& rep);   // A.3
void validateVirtualService(const Resource& r, Reporter& rep);  // A.4 (incl. IST0130/IST0131)
void validateDestinationRule(const Resource& r, Reporter& rep);  // A.5
void validateSidecar(const Resource& r, Reporter& rep);          // A.6
void validateServiceEntry(const Resource& r, Reporter& rep);     // A.7
/// CEL rules of the CRDs (section D) that JSON Schema cannot express.
void validateCrdCel(const Resource& r, Reporter& rep);

/// Runs the rules for r's kind (no-op for non-Istio kinds).
void validateResource(const Resource& r, Reporter& rep);
/// discovery.k8s.io/v1 EndpointSlice (not an Istio kind, so not part of validateResource):
/// addresses against addressType, port names, the kubernetes.io/service-name label.
void validateEndpointSlice(const Resource& r, Reporter& rep);

}  // namespace meshc::frontend::validation
