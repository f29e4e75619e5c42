// Istio's cipher-suite vocabulary (istio:pkg/config/security): which names Envoy (BoringSSL)
// accepts in a Gateway server's cipherSuites. Entry points: isValidCipherSuite(),
// filterCipherSuites().
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace meshc::istio {

/// IsValidCipherSuite: a name from ValidCipherSuites (`bssl ciphers -openssl-name ALL` without
/// PSK), "", "ALL", or an expression starting with an operator ('-', '+', '!', '[' ...), which
/// Istio passes through unparsed.
bool isValidCipherSuite(std::string_view cs);

/// FilterCipherSuites, applied to every Gateway server before its TLS context is built
/// (gateway.go buildGatewayListenerTLSContext): the valid suites in their order, each once, so
/// Envoy never rejects a listener over an unknown name. Empty in, empty out.
std::vector<std::string> filterCipherSuites(const std::vector<std::string>& suites);

}  // namespace meshc::istio
