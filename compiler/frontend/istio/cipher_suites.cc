// Cipher-suite names as Istio judges them (pkg/config/security/security.go).
#include "frontend/istio/cipher_suites.h"

#include <array>
#include <set>

namespace meshc::istio {

namespace {

// ValidCipherSuites: the OpenSSL names Envoy accepts.
constexpr std::array<std::string_view, 15> kValidCipherSuites = {
    "ECDHE-ECDSA-AES128-GCM-SHA256",
    "ECDHE-RSA-AES128-GCM-SHA256",
    "ECDHE-ECDSA-AES256-GCM-SHA384",
    "ECDHE-RSA-AES256-GCM-SHA384",
    "ECDHE-ECDSA-CHACHA20-POLY1305",
    "ECDHE-RSA-CHACHA20-POLY1305",
    "ECDHE-ECDSA-AES128-SHA",
    "ECDHE-RSA-AES128-SHA",
    "ECDHE-ECDSA-AES256-SHA",
    "ECDHE-RSA-AES256-SHA",
    "AES128-GCM-SHA256",
    "AES256-GCM-SHA384",
    "AES128-SHA",
    "AES256-SHA",
    "DES-CBC3-SHA",
};

// Istio tests unicode.IsLetter/IsNumber on the first *byte* converted to a rune, so a UTF-8
// lead byte is judged as the Latin-1 character with that code. Replicated exactly.
bool isLatin1LetterOrNumber(unsigned char c) {
  if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) {
    return true;
  }
  // Latin-1 letters and numbers below U+00C0 (ª ² ³ µ ¹ º ¼ ½ ¾).
  constexpr std::string_view kLatin1Extra = "\xAA\xB2\xB3\xB5\xB9\xBA\xBC\xBD\xBE";
  if (kLatin1Extra.find(static_cast<char>(c)) != std::string_view::npos) {
    return true;
  }
  return c >= 0xC0 && c != 0xD7 && c != 0xF7;
}

}  // namespace

bool isValidCipherSuite(std::string_view cs) {
  if (cs.empty() || cs == "ALL") {
    return true;
  }
  // Leading '-', '+', '!' ... are OpenSSL operators Istio passes through unparsed.
  if (!isLatin1LetterOrNumber(static_cast<unsigned char>(cs[0]))) {
    return true;
  }
  for (std::string_view valid : kValidCipherSuites) {
    if (cs == valid) {
      return true;
    }
  }
  return false;
}

std::vector<std::string> filterCipherSuites(const std::vector<std::string>& suites) {
  std::vector<std::string> out;
  std::set<std::string_view> seen;
  for (const std::string& cs : suites) {
    if (isValidCipherSuite(cs) && seen.insert(cs).second) {
      out.push_back(cs);
    }
  }
  return out;
}

}  // namespace meshc::istio
