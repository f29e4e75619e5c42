// Gateway TLS credentials: base64, PEM and just enough DER to read X.509 validity windows.
// Entry point: checkGatewayCredential(). A hand-written reader keeps the frontend free of a
// crypto dependency; it checks the certificate's outer structure, not its signature (istiod
// does not verify signatures here either).
#include "frontend/analyzers/credential.h"

#include <array>
#include <map>

#include "frontend/analyzers/analyzer_util.h"

namespace meshc::frontend::analyzers {

namespace {

int base64Value(char c) {
  if (c >= 'A' && c <= 'Z') {
    return c - 'A';
  }
  if (c >= 'a' && c <= 'z') {
    return c - 'a' + 26;
  }
  if (c >= '0' && c <= '9') {
    return c - '0' + 52;
  }
  if (c == '+') {
    return 62;
  }
  if (c == '/') {
    return 63;
  }
  return -1;
}

bool isSpace(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

// One DER tag-length-value at `pos`; advances pos past it.
bool readTlv(std::string_view in, size_t& pos, uint8_t& tag, std::string_view& content) {
  if (pos + 2 > in.size()) {
    return false;
  }
  tag = static_cast<uint8_t>(in[pos]);
  uint8_t first = static_cast<uint8_t>(in[pos + 1]);
  pos += 2;
  size_t len = 0;
  if (first < 0x80) {
    len = first;
  } else {
    size_t n = first & 0x7f;
    if (n == 0 || n > 4 || pos + n > in.size()) {
      return false;  // indefinite lengths are not DER; > 4 bytes is beyond any certificate
    }
    for (size_t i = 0; i < n; ++i) {
      len = (len << 8) | static_cast<uint8_t>(in[pos + i]);
    }
    pos += n;
  }
  if (len > in.size() - pos) {
    return false;
  }
  content = in.substr(pos, len);
  pos += len;
  return true;
}

bool expectTlv(std::string_view in, size_t& pos, uint8_t want, std::string_view& content) {
  uint8_t tag = 0;
  return readTlv(in, pos, tag, content) && tag == want;
}

// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's days_from_civil).
int64_t daysFromCivil(int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<int64_t>(doe) - 719468;
}

std::string formatTime(int64_t t) {
  int64_t days = t >= 0 ? t / 86400 : (t - 86399) / 86400;
  int64_t secs = t - days * 86400;
  // civil_from_days
  int64_t z = days + 719468;
  const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const unsigned doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  int64_t y = static_cast<int64_t>(yoe) + era * 400;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  const unsigned d = doy - (153 * mp + 2) / 5 + 1;
  const unsigned m = mp < 10 ? mp + 3 : mp - 9;
  y += m <= 2;
  char buf[96];
  std::snprintf(buf, sizeof(buf), "%04lld-%02u-%02uT%02lld:%02lld:%02lldZ",
                static_cast<long long>(y), m, d, static_cast<long long>(secs / 3600),
                static_cast<long long>(secs / 60 % 60), static_cast<long long>(secs % 60));
  return buf;
}

bool digits(std::string_view s, size_t at, size_t n, int& out) {
  if (at + n > s.size()) {
    return false;
  }
  out = 0;
  for (size_t i = at; i < at + n; ++i) {
    if (s[i] < '0' || s[i] > '9') {
      return false;
    }
    out = out * 10 + (s[i] - '0');
  }
  return true;
}

// UTCTime (YYMMDDHHMM[SS]) or GeneralizedTime (YYYYMMDDHHMMSS), then "Z" or ±hhmm.
std::optional<int64_t> parseAsn1Time(uint8_t tag, std::string_view s) {
  size_t pos = 0;
  int year = 0;
  if (tag == 0x17) {
    if (!digits(s, 0, 2, year)) {
      return std::nullopt;
    }
    year += year < 50 ? 2000 : 1900;
    pos = 2;
  } else if (tag == 0x18) {
    if (!digits(s, 0, 4, year)) {
      return std::nullopt;
    }
    pos = 4;
  } else {
    return std::nullopt;
  }
  int mon = 0, day = 0, hour = 0, min = 0, sec = 0;
  if (!digits(s, pos, 2, mon) || !digits(s, pos + 2, 2, day) || !digits(s, pos + 4, 2, hour) ||
      !digits(s, pos + 6, 2, min)) {
    return std::nullopt;
  }
  pos += 8;
  if (digits(s, pos, 2, sec)) {
    pos += 2;
  } else if (tag == 0x18) {
    return std::nullopt;
  }
  if (mon < 1 || mon > 12 || day < 1 || day > 31 || hour > 23 || min > 59 || sec > 60) {
    return std::nullopt;
  }
  int64_t offset = 0;
  if (pos < s.size() && s[pos] == 'Z' && pos + 1 == s.size()) {
    offset = 0;
  } else if (pos + 5 == s.size() && (s[pos] == '+' || s[pos] == '-')) {
    int oh = 0, om = 0;
    if (!digits(s, pos + 1, 2, oh) || !digits(s, pos + 3, 2, om)) {
      return std::nullopt;
    }
    offset = (s[pos] == '+' ? 1 : -1) * (oh * 3600 + om * 60);
  } else {
    return std::nullopt;
  }
  return daysFromCivil(year, static_cast<unsigned>(mon), static_cast<unsigned>(day)) * 86400 +
         hour * 3600 + min * 60 + sec - offset;
}

// The content of Certificate ::= SEQUENCE { tbsCertificate, signatureAlgorithm, signatureValue }
// TBSCertificate ::= SEQUENCE { [0] version OPTIONAL, serialNumber, signature, issuer,
//                               validity, subject, subjectPublicKeyInfo, ... }
std::string checkOneCertificate(std::string_view cert, int64_t now) {
  const std::string kNotX509 = "the certificate is not a valid X.509 certificate";
  size_t pos = 0;
  std::string_view tbs, alg, sig;
  if (!expectTlv(cert, pos, 0x30, tbs) || !expectTlv(cert, pos, 0x30, alg) ||
      !expectTlv(cert, pos, 0x03, sig) || pos != cert.size()) {
    return kNotX509;
  }
  size_t p = 0;
  std::string_view field;
  if (!tbs.empty() && static_cast<uint8_t>(tbs[0]) == 0xa0 && !expectTlv(tbs, p, 0xa0, field)) {
    return kNotX509;
  }
  std::string_view serial, signature, issuer, validity, subject, spki;
  if (!expectTlv(tbs, p, 0x02, serial) || !expectTlv(tbs, p, 0x30, signature) ||
      !expectTlv(tbs, p, 0x30, issuer) || !expectTlv(tbs, p, 0x30, validity) ||
      !expectTlv(tbs, p, 0x30, subject) || !expectTlv(tbs, p, 0x30, spki)) {
    return kNotX509;
  }
  size_t v = 0;
  uint8_t tag_before = 0, tag_after = 0;
  std::string_view before, after;
  if (!readTlv(validity, v, tag_before, before) || !readTlv(validity, v, tag_after, after)) {
    return kNotX509;
  }
  std::optional<int64_t> not_before = parseAsn1Time(tag_before, before);
  std::optional<int64_t> not_after = parseAsn1Time(tag_after, after);
  if (!not_before || !not_after) {
    return "the certificate's validity period cannot be read";
  }
  if (now > *not_after) {
    return "the certificate expired at " + formatTime(*not_after);
  }
  if (now < *not_before) {
    return "the certificate is not valid before " + formatTime(*not_before);
  }
  return "";
}

}  // namespace

std::optional<std::string> decodeBase64(std::string_view text) {
  std::string out;
  std::array<int, 4> quad{};
  size_t n = 0;
  size_t padding = 0;
  for (char c : text) {
    if (isSpace(c)) {
      continue;
    }
    if (c == '=') {
      if (n < 2) {
        return std::nullopt;
      }
      quad[n++] = 0;
      ++padding;
    } else {
      int v = base64Value(c);
      if (v < 0 || padding > 0) {
        return std::nullopt;  // bad character, or data after padding
      }
      quad[n++] = v;
    }
    if (n == 4) {
      uint32_t bits = (quad[0] << 18) | (quad[1] << 12) | (quad[2] << 6) | quad[3];
      out += static_cast<char>((bits >> 16) & 0xff);
      if (padding < 2) {
        out += static_cast<char>((bits >> 8) & 0xff);
      }
      if (padding < 1) {
        out += static_cast<char>(bits & 0xff);
      }
      n = 0;
      if (padding > 0) {
        padding = 3;  // any further non-space character is an error
      }
    }
  }
  if (n != 0) {
    return std::nullopt;
  }
  return out;
}

std::optional<std::string> firstPemBlock(std::string_view text) {
  constexpr std::string_view kBegin = "-----BEGIN ";
  size_t search = 0;
  while (true) {
    size_t begin = text.find(kBegin, search);
    if (begin == std::string_view::npos) {
      return std::nullopt;
    }
    search = begin + kBegin.size();
    if (begin != 0 && text[begin - 1] != '\n') {
      continue;  // a PEM block starts a line
    }
    size_t line_end = text.find('\n', search);
    std::string_view type_line = text.substr(
        search, line_end == std::string_view::npos ? text.size() - search : line_end - search);
    while (!type_line.empty() && isSpace(type_line.back())) {
      type_line.remove_suffix(1);
    }
    if (line_end == std::string_view::npos || !type_line.ends_with("-----")) {
      continue;
    }
    std::string_view type = type_line.substr(0, type_line.size() - 5);
    std::string end_marker = "-----END " + std::string(type) + "-----";
    size_t end = text.find(end_marker, line_end + 1);
    if (end == std::string_view::npos) {
      continue;
    }
    std::string_view body = text.substr(line_end + 1, end - line_end - 1);
    // RFC 1421 headers ("Proc-Type: ...") end at the first blank line.
    if (size_t colon = body.find(':'); colon != std::string_view::npos) {
      size_t blank = body.find("\n\n");
      if (blank == std::string_view::npos) {
        continue;
      }
      body = body.substr(blank + 2);
    }
    if (std::optional<std::string> der = decodeBase64(body)) {
      return der;
    }
  }
}

std::string checkCertificates(std::string_view der, int64_t now) {
  if (der.empty()) {
    return "the certificate's PEM block is empty";
  }
  size_t pos = 0;
  while (pos < der.size()) {
    uint8_t tag = 0;
    std::string_view content;
    if (!readTlv(der, pos, tag, content) || tag != 0x30) {
      return "the certificate is not a valid X.509 certificate";
    }
    std::string reason = checkOneCertificate(content, now);
    if (!reason.empty()) {
      return reason;
    }
  }
  return "";
}

std::string checkGatewayCredential(const Resource& secret, int64_t now) {
  std::map<std::string, std::string, std::less<>> data;
  for (const MapEntry& e : entriesOf(child(secret.root, "data"))) {
    std::optional<std::string> bytes = decodeBase64(textOf(e.value));
    if (!bytes) {
      return "data key " + quote(e.key) + " is not valid base64";
    }
    data[std::string(e.key)] = std::move(*bytes);
  }
  // The API server merges stringData into data; Istio reading files ignores it.
  for (const MapEntry& e : entriesOf(child(secret.root, "stringData"))) {
    data[std::string(e.key)] = std::string(textOf(e.value));
  }
  auto value = [&](std::string_view key) -> const std::string* {
    auto it = data.find(key);
    return it == data.end() ? nullptr : &it->second;
  };
  auto hasValues = [&](std::string_view a, std::string_view b) {
    return value(a) && !value(a)->empty() && value(b) && !value(b)->empty();
  };
  const std::string* cert = nullptr;
  if (hasValues("cert", "key")) {
    cert = value("cert");
  } else if (hasValues("tls.crt", "tls.key")) {
    cert = value("tls.crt");
  } else if (value("cert") && value("key")) {
    return "keys \"cert\" and \"key\" are present but empty; expected a certificate and a key";
  } else if (value("tls.crt") && value("tls.key")) {
    return "keys \"tls.crt\" and \"tls.key\" are present but empty; expected a certificate and a "
           "key";
  } else {
    std::vector<std::string> keys;
    for (const auto& [k, v] : data) {
      keys.push_back(quote(k));
    }
    return "expected keys \"cert\" and \"key\", or \"tls.crt\" and \"tls.key\"; found " +
           (keys.empty() ? std::string("no keys") : join(keys, ", "));
  }
  std::optional<std::string> der = firstPemBlock(*cert);
  if (!der) {
    return "the certificate is not PEM-encoded; expected a \"-----BEGIN CERTIFICATE-----\" block";
  }
  return checkCertificates(*der, now);
}

}  // namespace meshc::frontend::analyzers
