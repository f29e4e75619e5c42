// Tests for the ASCII case helpers (base/ascii.h): only A-Z and a-z ever change.
#include "base/ascii.h"

#include <catch2/catch.hpp>
#include <clocale>
#include <string>

namespace {

namespace ascii = meshc::ascii;

TEST_CASE("ascii toLower folds A-Z and nothing else", "[base][ascii]") {
  CHECK(ascii::toLower("Shop.Example.COM:8080/Cart?X=Y") == "shop.example.com:8080/cart?x=y");
  CHECK(ascii::toUpper("tcp-Proxy_1") == "TCP-PROXY_1");
  CHECK(ascii::toLower('@') == '@');
  CHECK(ascii::toLower('[') == '[');
  CHECK(ascii::toUpper('`') == '`');
  CHECK(ascii::toUpper('{') == '{');
}

TEST_CASE("ascii case folding leaves non-ASCII bytes unchanged", "[base][ascii]") {
  // 0xC4 is 'Ä' in Latin-1 (std::tolower would fold it to 0xE4 under a Latin-1 locale);
  // "İ" (U+0130) is 0xC4 0xB0 in UTF-8, "Ä" is 0xC3 0x84.
  const std::string latin1 = "\xC4X";
  const std::string dotted_i = "\xC4\xB0STANBUL";
  CHECK(ascii::toLower(latin1) == "\xC4x");
  CHECK(ascii::toLower(dotted_i) == "\xC4\xB0stanbul");
  CHECK(ascii::toUpper("\xC3\xA4\xE4z") == "\xC3\xA4\xE4Z");
  CHECK(ascii::toLower('\xC4') == '\xC4');
  CHECK(ascii::toUpper('\xE4') == '\xE4');
  for (int b = 0x80; b <= 0xFF; ++b) {
    const char c = static_cast<char>(b);
    CHECK(ascii::toLower(c) == c);
    CHECK(ascii::toUpper(c) == c);
  }
  CHECK_FALSE(ascii::equalsIgnoreCase("\xC4", "\xE4"));
  CHECK_FALSE(ascii::hasLetter("\xC4\xB0\xC3\x84"));
}

TEST_CASE("ascii case folding ignores the C locale", "[base][ascii]") {
  // Under a Latin-1 or UTF-8 locale std::tolower may fold high bytes; ours must not.
  const char* previous = std::setlocale(LC_CTYPE, nullptr);
  const std::string saved = previous != nullptr ? previous : "C";
  if (std::setlocale(LC_CTYPE, "en_US.ISO-8859-1") == nullptr) {
    std::setlocale(LC_CTYPE, "C.UTF-8");
  }
  CHECK(ascii::toLower("\xC4\xD6\xDC") == "\xC4\xD6\xDC");
  CHECK(ascii::toLower("\xC4\xB0") == "\xC4\xB0");
  std::setlocale(LC_CTYPE, saved.c_str());
}

TEST_CASE("ascii equalsIgnoreCase, startsWith and endsWith compare folded letters",
          "[base][ascii]") {
  CHECK(ascii::equalsIgnoreCase(":Authority", ":authority"));
  CHECK_FALSE(ascii::equalsIgnoreCase("host", "hosts"));
  CHECK(ascii::startsWithIgnoreCase("@Request.Auth.Claims.sub", "@request.auth.claims"));
  CHECK_FALSE(ascii::startsWithIgnoreCase("@req", "@request"));
  CHECK(ascii::endsWithIgnoreCase("API.Example.COM", ".example.com"));
  CHECK_FALSE(ascii::endsWithIgnoreCase("com", ".com"));
  CHECK(ascii::hasLetter("/v1/A"));
  CHECK_FALSE(ascii::hasLetter("/1/2-3_"));
}

}  // namespace
