// Istio's gRPC status vocabulary (istio:pkg/util/grpc SupportedGRPCStatus): a canonical status
// name mapped to its code. Entry point: grpcStatusCode().
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace meshc::istio {

/// The canonical gRPC status code for a name ("UNAVAILABLE" → 14), nullopt for any other text
/// (names are case-sensitive). Validation (V36) and fault translation (SEMANTICS 6.5) share this
/// one table.
std::optional<uint32_t> grpcStatusCode(std::string_view name);

}  // namespace meshc::istio
