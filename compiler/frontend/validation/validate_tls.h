// Server-side TLS settings checks shared by Gateway servers and Sidecar ingress listeners
// (ISTIO-VALIDATION.md rows G17-G28). Entry point: validateTLSOptions().
#pragma once

#include <string_view>

#include "frontend/reporter.h"
#include "frontend/yaml_tree.h"

namespace meshc::frontend::validation {

/// ServerTLSSettings.TLSmode. kUnknown stands for a value that is neither a known name nor a
/// known number (the schema check reports it; no mode-specific rule fires for it).
enum class ServerTlsModeKind {
  kPassthrough,  // 0, the proto default: an absent or null `mode` reads as this
  kSimple,
  kMutual,
  kAutoPassthrough,
  kIstioMutual,
  kOptionalMutual,
  kUnknown,
};

/// The mode of a `tls` block (by enum name or number, as protojson accepts both).
ServerTlsModeKind serverTlsMode(const Node* tls);
/// "PASSTHROUGH", "SIMPLE", ... as Istio prints the enum; "UNKNOWN" for kUnknown.
std::string_view serverTlsModeName(ServerTlsModeKind mode);

/// Istio's validateTLSOptions over a server `tls` node (absent or null = valid). Diagnostic
/// ids are id_prefix + "-min-version-ciphers", "-invalid-cipher", ... (see gateway.inc); pass
/// "gw-tls" for Gateway servers and "sidecar-tls" for Sidecar ingress. Never throws.
void validateTLSOptions(const Node* tls, Reporter& rep, std::string_view id_prefix);

}  // namespace meshc::frontend::validation
