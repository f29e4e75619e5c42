// Gateway TLS credentials: decoding a Secret's cert/key pair and checking the certificate's
// validity window, as istiod does before serving it (pilot's ExtractCertInfo +
// ValidateCertificate). Entry point: checkGatewayCredential(); no dependency beyond the standard
// library.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "frontend/resource.h"

namespace meshc::frontend::analyzers {

/// Standard base64 with padding; line breaks and spaces are skipped. nullopt when malformed.
std::optional<std::string> decodeBase64(std::string_view text);

/// The DER bytes of the first PEM block in text, or nullopt when there is none.
std::optional<std::string> firstPemBlock(std::string_view text);

/// Parses one or more concatenated DER X.509 certificates far enough to read their validity
/// windows. Returns "" when every certificate is valid at `now` (seconds since the epoch), else
/// the reason ("certificate expired at 2001-01-01T00:00:00Z", "not an X.509 certificate", ...).
std::string checkCertificates(std::string_view der, int64_t now);

/// "" when the Secret holds a usable gateway credential at `now`, else why not. Reads `data`
/// (base64) and `stringData` (plain text, merged over data as the API server would).
std::string checkGatewayCredential(const Resource& secret, int64_t now);

}  // namespace meshc::frontend::analyzers
