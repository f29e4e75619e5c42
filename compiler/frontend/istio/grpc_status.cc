// gRPC status names and codes, one table for validation and lowering alike.
// Entry point: grpcStatusCode().
#include "frontend/istio/grpc_status.h"

#include <array>

namespace meshc::istio {

// The 17 canonical names; the code is the index (pkg/util/grpc SupportedGRPCStatus).
std::optional<uint32_t> grpcStatusCode(std::string_view name) {
  static constexpr std::array<std::string_view, 17> kNames = {"OK",
                                                              "CANCELLED",
                                                              "UNKNOWN",
                                                              "INVALID_ARGUMENT",
                                                              "DEADLINE_EXCEEDED",
                                                              "NOT_FOUND",
                                                              "ALREADY_EXISTS",
                                                              "PERMISSION_DENIED",
                                                              "RESOURCE_EXHAUSTED",
                                                              "FAILED_PRECONDITION",
                                                              "ABORTED",
                                                              "OUT_OF_RANGE",
                                                              "UNIMPLEMENTED",
                                                              "INTERNAL",
                                                              "UNAVAILABLE",
                                                              "DATA_LOSS",
                                                              "UNAUTHENTICATED"};
  for (size_t i = 0; i < kNames.size(); ++i) {
    if (kNames[i] == name) {
      return static_cast<uint32_t>(i);
    }
  }
  return std::nullopt;
}

}  // namespace meshc::istio
