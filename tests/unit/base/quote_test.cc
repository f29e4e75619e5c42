// Tests for quote() (base/quote.h): user text in messages never carries a raw control byte.
#include "base/quote.h"

#include <catch2/catch.hpp>
#include <string>

namespace {

using meshc::quote;

TEST_CASE("quote wraps plain text in double quotes unchanged", "[base][quote]") {
  CHECK(quote("") == "\"\"");
  CHECK(quote("reviews.default.svc.cluster.local") == "\"reviews.default.svc.cluster.local\"");
  CHECK(quote("a b/c?d=e*") == "\"a b/c?d=e*\"");
}

TEST_CASE("quote escapes quotes, backslashes, newline, tab and carriage return", "[base][quote]") {
  CHECK(quote("say \"hi\"") == R"("say \"hi\"")");
  CHECK(quote("C:\\dir") == R"("C:\\dir")");
  CHECK(quote("a\nb\tc\rd") == R"("a\nb\tc\rd")");
}

TEST_CASE("quote escapes every other control byte and DEL as a hex escape", "[base][quote]") {
  CHECK(quote("\x1b[31mred") == R"("\x1b[31mred")");
  CHECK(quote(std::string("a\0b", 3)) == R"("a\x00b")");
  CHECK(quote("\x07\x08\x0b\x0c\x1f\x7f") == R"("\x07\x08\x0b\x0c\x1f\x7f")");
  for (int b = 0; b < 0x20; ++b) {
    std::string q = quote(std::string(1, static_cast<char>(b)));
    CHECK(q.front() == '"');
    CHECK(q.back() == '"');
    for (char c : q) {
      CHECK(static_cast<unsigned char>(c) >= 0x20);
    }
  }
}

TEST_CASE("quote keeps UTF-8 text as it is", "[base][quote]") {
  CHECK(quote("\xC3\xA4rger \xC4\xB0stanbul \xE2\x9C\x93") ==
        "\"\xC3\xA4rger \xC4\xB0stanbul \xE2\x9C\x93\"");
}

}  // namespace
