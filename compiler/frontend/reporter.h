// Reporter: how checks attach findings to a resource and a position in its YAML.
// Entry points: Reporter::error(), Reporter::warning(), Reporter::info().
#pragma once

#include <string>
#include <string_view>

#include "frontend/resource.h"
#include "frontend/yaml_tree.h"
#include "support/diagnostic.h"

namespace meshc::frontend {

/// Webhook rules map to IST0106 (errors) / IST0133 (warnings) for `istioctl analyze` output;
/// analyzers pass their own IST code as both id and istio_code.
inline constexpr std::string_view kIstSchemaError = "IST0106";
inline constexpr std::string_view kIstSchemaWarning = "IST0133";

class Reporter {
 public:
  Reporter(const Resource& resource, DiagnosticSink& sink) : resource_(resource), sink_(sink) {}

  /// Webhook-style error at a node (falls back to the resource's first line when at is null).
  void error(std::string_view id, const Node* at, std::string message) {
    emit(id, kIstSchemaError, Severity::kError, at, std::move(message));
  }
  /// Webhook-style warning (istioctl shows it as IST0133).
  void warning(std::string_view id, const Node* at, std::string message) {
    emit(id, kIstSchemaWarning, Severity::kWarning, at, std::move(message));
  }
  /// Any finding with an explicit istioctl code (analyzers: id == istio_code == "IST0xxx").
  Diagnostic& emit(std::string_view id, std::string_view istio_code, Severity sev,
                   const Node* at, std::string message);
  /// Points at a map key instead of its value (for "unknown field"/"must not be set" findings).
  Diagnostic& emitAtKey(std::string_view id, std::string_view istio_code, Severity sev,
                        const MapEntry* at, std::string message);

  const Resource& resource() const { return resource_; }
  DiagnosticSink& sink() { return sink_; }

 private:
  const Resource& resource_;
  DiagnosticSink& sink_;
};

}  // namespace meshc::frontend
