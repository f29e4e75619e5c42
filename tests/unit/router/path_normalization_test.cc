// canonicalizePath(), the path normalisation the simulator and meshproxy share (PROXY-SEMANTICS
// R1.13-R1.15). Expected values: the rules' worked examples and Envoy's
// test/common/http/path_utility_test.cc (NormalizeValidPaths, NormalizeCasePath, InvalidPaths),
// whose canonicaliser is Envoy's snapshot of Chromium's url_canon_path.cc.
#include <catch2/catch.hpp>
#include <optional>
#include <string>

#include "routing/request.h"

namespace meshc::ir {
namespace {

struct Case {
  std::string sent;
  const char* want;
  const char* why;
};

TEST_CASE("canonicalizePath resolves dot segments, plain and percent-encoded (R1.13)",
          "[router][path]") {
  const Case cases[] = {
      {"/a/b/../c", "/a/c", "parent segment"},
      {"/a/b/./c", "/a/b/c", "current segment"},
      {"/a/b/../../../../c", "/c", "never above the root"},
      {"/../a/b", "/a/b", "leading parent segment"},
      {"/./a/b", "/a/b", "leading current segment"},
      {"/a/b/..", "/a/", "trailing parent segment keeps the slash"},
      {"..", "/", "a lone parent segment is the root"},
      {".", "/", "a lone current segment is the root"},
      {"a/b/../c", "/a/c", "a path not starting with '/' gets one"},
      {"", "/", "an empty path is the root"},
      {"/a/b/%2E%2E/c", "/a/c", "%2E%2E is a parent segment"},
      {"/a/b/%2e%2e/c", "/a/c", "lower-case %2e too"},
      {"/a/b/%2E./c", "/a/c", "escaped and plain dots mix"},
      {"/a/b/%2E/c", "/a/b/c", "%2E alone is a current segment"},
      {"/a/b/%2e", "/a/b/", "a trailing %2e is a current segment"},
      {"/a/..\\c", "/c", "a backslash separates segments"},
      {"\\a\\b", "/a/b", "backslashes become slashes"},
      {"/a/.b/..c/c..", "/a/.b/..c/c..", "dots inside a segment are no dot segments"},
      {"/A/B/C", "/A/B/C", "case is not changed"},
  };
  for (const Case& c : cases) {
    INFO(c.sent << ": " << c.why);
    CHECK(canonicalizePath(c.sent) == std::optional<std::string>(c.want));
  }
}

TEST_CASE("canonicalizePath keeps double slashes and escaped slashes (R1.14 R1.15)",
          "[router][path]") {
  const Case cases[] = {
      {"/a//b", "/a//b", "R1.14 no slash merging by default"},
      {"//a/./b", "//a/b", "R1.14 a leading '//' stays"},
      {"/a%2Fb", "/a%2Fb", "R1.15 %2F is not decoded (KEEP_UNCHANGED)"},
      {"/a/%2F%2f/c", "/a/%2F%2f/c", "R1.15 the hex digits keep their case"},
      {"/a%2Fb/..", "/", "R1.15 %2F does not separate segments"},
      {"/a%5Cb", "/a%5Cb", "R1.15 %5C is not decoded"},
      {"/%5c%25", "/%5c%25", "R1.13 other escapes stay"},
      {"/%c0%af", "/%c0%af", "R1.13 escaped non-ASCII bytes stay"},
      {"/a%20b", "/a%20b", "an escaped space stays escaped"},
      {"/a%zz", "/a%zz", "a '%' that starts no escape is copied"},
      {"/100%", "/100%", "a trailing '%' is copied"},
  };
  for (const Case& c : cases) {
    INFO(c.sent << ": " << c.why);
    CHECK(canonicalizePath(c.sent) == std::optional<std::string>(c.want));
  }
}

TEST_CASE(
    "canonicalizePath decodes unreserved escapes and escapes what a path cannot hold "
    "(R1.13, Chromium path canonicalisation)",
    "[router][path]") {
  // Envoy's canonicaliser writes ALPHA, DIGIT, '-', '_' and '~' raw however they arrive, and a
  // '.' from %2E that is not a dot segment raw too; controls, space, '"', '<', '>', '^', '`',
  // '{', '|', '}' and bytes >= 0x7F are percent-encoded with upper-case hex.
  const Case cases[] = {
      {"/%41%62%7e%2d%5F%30", "/Ab~-_0", "unreserved escapes are decoded"},
      {"/a%2Eb", "/a.b", "an escaped dot inside a name is decoded"},
      {"/a b", "/a%20b", "a raw space is escaped"},
      {"/a|b{c}", "/a%7Cb%7Bc%7D", "'|', '{' and '}' are escaped"},
      {"/\x80", "/%80", "a raw high byte is escaped"},
      {"/%%41B", "/%25AB", "decoding must not create a new escape: the '%' becomes %25"},
  };
  for (const Case& c : cases) {
    INFO(c.sent << ": " << c.why);
    CHECK(canonicalizePath(c.sent) == std::optional<std::string>(c.want));
  }
}

TEST_CASE("canonicalizePath fails on a NUL or %00 anywhere in the path (R1.13)", "[router][path]") {
  // Envoy answers these with 400 path_normalization_failed (InvalidPaths).
  CHECK(canonicalizePath("/xyz/.%00../abc") == std::nullopt);
  CHECK(canonicalizePath("/xyz/%00.%00./abc") == std::nullopt);
  CHECK(canonicalizePath("/xyz/AAAAA%%0000/abc") == std::nullopt);
  CHECK(canonicalizePath("/a%00b") == std::nullopt);
  CHECK(canonicalizePath(std::string("/a\0b", 4)) == std::nullopt);
  CHECK(canonicalizePath("/a%01b") == std::optional<std::string>("/a%01b"));  // only NUL fails
}

TEST_CASE("RequestView reports a path Envoy refuses and keeps the query apart (R1.13)",
          "[router][path]") {
  HttpRequest bad;
  bad.path = "/a/%00/b?x=%00";
  RequestView v = RequestView::create(bad);
  CHECK(v.pathNormalizationFailed());

  HttpRequest query_only;
  query_only.path = "/a?x=%00";  // the query is never canonicalised
  RequestView q = RequestView::create(query_only);
  CHECK_FALSE(q.pathNormalizationFailed());
  CHECK(q.pathWithQuery() == "/a?x=%00");

  HttpRequest good;
  good.path = "/a/b/%2E%2E/c?y=/../z";
  RequestView g = RequestView::create(good);
  CHECK_FALSE(g.pathNormalizationFailed());
  CHECK(g.path() == "/a/c");
  CHECK(g.pathWithQuery() == "/a/c?y=/../z");
}

}  // namespace
}  // namespace meshc::ir
