// Table tests of RequestView, the request every engine (reference, interpreter, bundle tree,
// native code) matches against, so the differential test cannot see its mistakes. Expected
// values are Envoy's, as Istio configures it: PROXY-SEMANTICS.md R0.2, R1.12-R1.15 and
// ISTIO-SEMANTICS.md 2.4, 3.3, 3.5, each checked against the Envoy source named beside it.
#include <optional>
#include <string>
#include <string_view>

#include "../ir/ir_test_util.h"
#include "routing/request.h"

namespace meshc::ir::testing {
namespace {

RequestView viewOf(std::string authority, std::string path) {
  HttpRequest r;
  r.authority = std::move(authority);
  r.path = std::move(path);
  return RequestView::create(r);
}

std::optional<std::string> param(const RequestView& v, std::string_view name) {
  std::optional<std::string_view> got = v.queryParam(name);
  return got ? std::optional<std::string>(std::string(*got)) : std::nullopt;
}

// ---- Host: SEMANTICS 2.4. Istio sets ignore_port_in_host_matching, so Envoy's
// RouteMatcher::findVirtualHost cuts the Host at HeaderUtility::getPortStart() (the last ':'
// with no ']' after it) and lower-cases it (absl::AsciiStrToLower). Istio sets neither
// strip_port_mode (ISTIO_GATEWAY_STRIP_HOST_PORT is off by default) nor strip_trailing_host_dot,
// so nothing else changes the Host before the lookup.

struct HostCase {
  const char* authority;
  const char* host;
  const char* why;
};

TEST_CASE("request host: lower-cased, port cut where Envoy getPortStart cuts (SEMANTICS 2.4)",
          "[routing][request]") {
  const HostCase cases[] = {
      {"a.example.com", "a.example.com", "plain name"},
      {"A.Example.COM", "a.example.com", "hosts are matched lower-cased"},
      {"a.example.com:80", "a.example.com", "port 80 is cut like any other"},
      {"a.example.com:443", "a.example.com", "port 443 is cut like any other"},
      {"a.example.com:8080", "a.example.com", "a non-default port is cut too"},
      {"A.EXAMPLE.COM:9080", "a.example.com", "cut and lower-cased"},
      {"a.example.com:abc", "a.example.com", "getPortStart does not check the port is numeric"},
      {"a.example.com:", "a.example.com", "an empty port is cut"},
      {"10.0.0.1:8080", "10.0.0.1", "IPv4 with port"},
      {"[::1]", "[::1]", "bracketed IPv6 without port: the ':'s are before the ']'"},
      {"[::1]:8080", "[::1]", "bracketed IPv6 with port keeps its brackets"},
      {"[2001:DB8::1]:443", "[2001:db8::1]", "bracketed IPv6, hex lower-cased"},
      {"", "", "empty Host stays empty"},
      {":8080", "", "a port alone leaves an empty host (Envoy RemovePortsFromHost test)"},
      {"a.example.com.", "a.example.com.", "trailing dot kept: Istio sets no strip_trailing_host_dot"},
      {"a.example.com.:8080", "a.example.com.", "trailing dot kept, port cut"},
  };
  for (const HostCase& c : cases) {
    INFO(c.authority << ": " << c.why);
    RequestView v = viewOf(c.authority, "/");
    CHECK(v.host() == c.host);
    CHECK(v.authority() == c.authority);  // :authority matchers see the value as sent (SEMANTICS 1.3)
  }
}

TEST_CASE("request host: an unbracketed IPv6 address loses its last group as in Envoy "
          "(SEMANTICS 2.4, RFC 3986 3.2.2)",
          "[routing][request]") {
  // RFC 3986 requires brackets; Envoy's getPortStart() takes the last ':' as the port separator
  // anyway, without checking the port, so "::1" is looked up as ":". Behaviour change: meshc
  // used to keep a host with several ':'s whole.
  CHECK(viewOf("::1", "/").host() == ":");
  CHECK(viewOf("2001:DB8::1", "/").host() == "2001:db8:");
  CHECK(viewOf("::1", "/").authority() == "::1");
}

TEST_CASE("request host: virtual hosts chosen by both engines follow the RequestView host "
          "(SEMANTICS 2.4)",
          "[routing][request]") {
  lower::RouteConfiguration cfg = config({
      vhost("name", {"a.example.com"}, {R::prefix("/")}),
      vhost("v6", {"[::1]"}, {R::prefix("/")}),
      vhost("dotted", {"b.example.com."}, {R::prefix("/")}),
      vhost("any", {"*"}, {R::prefix("/")}),
  });
  CHECK(vhostOf(cfg, "A.EXAMPLE.COM:9999") == 0);
  CHECK(vhostOf(cfg, "[::1]:15001") == 1);
  CHECK(vhostOf(cfg, "[::1]") == 1);
  CHECK(vhostOf(cfg, "a.example.com.") == 3);  // the dot is not stripped
  CHECK(vhostOf(cfg, "b.example.com.:80") == 2);
  CHECK(vhostOf(cfg, "b.example.com") == 3);
  CHECK(vhostOf(cfg, "") == 3);
}

// ---- Path: R1.12-R1.15. Istio's default pathNormalization (BASE) = normalize_path, no slash
// merging, escaped slashes kept (Envoy PathUtil::canonicalPath, examples from
// test/common/http/path_utility_test.cc NormalizeValidPaths).

struct PathCase {
  const char* sent;
  const char* path;
  const char* why;
};

TEST_CASE("request path: dot segments resolved, everything else kept (R1.13 R1.14 R1.15)",
          "[routing][request]") {
  const PathCase cases[] = {
      {"/a/b/../c", "/a/c", "R1.13 parent segment"},
      {"/a/b/./c", "/a/b/c", "R1.13 current segment"},
      {"/a/b/../../../../c", "/c", "R1.13 never above the root"},
      {"/../a/b", "/a/b", "R1.13 leading parent segment"},
      {"/./a/b", "/a/b", "R1.13 leading current segment"},
      {"/a/b/..", "/a/", "R1.13 trailing parent segment keeps the slash"},
      {"..", "/", "R1.13 a lone parent segment is the root"},
      {"a/b/../c", "/a/c", "R1.13 a path not starting with '/' gets one"},
      {"", "/", "an empty path is the root"},
      {"/a/.b/..c/c..", "/a/.b/..c/c..", "R1.13 dots inside a segment are not dot segments"},
      {"/A/B", "/A/B", "R1.13 case is not changed"},
      {"/%5c%25", "/%5c%25", "R1.13 other escapes are left as they are"},
      {"/%c0%af", "/%c0%af", "R1.13 escaped non-ASCII bytes are left as they are"},
      {"/a//b", "/a//b", "R1.14 double slashes kept (no MERGE_SLASHES by default)"},
      {"/a%2Fb", "/a%2Fb", "R1.15 escaped slash kept (KEEP_UNCHANGED)"},
      {"/a%2fb/..", "/", "R1.15 an escaped slash is not a separator"},
      {"/a%5Cb", "/a%5Cb", "R1.15 escaped backslash kept"},
      {"/a%20b", "/a%20b", "not decoded before matching"},
      {"/a+b", "/a+b", "'+' is not a space in a path"},
  };
  for (const PathCase& c : cases) {
    INFO(c.sent << ": " << c.why);
    CHECK(viewOf("a", c.sent).path() == c.path);
  }
}

TEST_CASE("request path: lowerPath folds ASCII case for ignoreUriCase only (SEMANTICS 3.2)",
          "[routing][request]") {
  RequestView v = viewOf("a", "/Api/V1%2F?Q=X");
  CHECK(v.path() == "/Api/V1%2F");
  CHECK(v.lowerPath() == "/api/v1%2f");
  CHECK(v.query() == "Q=X");  // the query is never folded
}

// R1.13 beyond RFC 3986: Envoy runs Chromium's path canonicaliser (PathUtil::canonicalPath;
// examples from test/common/http/path_utility_test.cc NormalizeValidPaths, NormalizeCasePath).
TEST_CASE("request path: %2E counts as a dot in dot segments (R1.13)", "[routing][request]") {
  CHECK(viewOf("a", "/a/b/%2E%2E/c").path() == "/a/c");
  CHECK(viewOf("a", "/a/b/%2e%2e/c").path() == "/a/c");
  CHECK(viewOf("a", "/a/b/%2e/c").path() == "/a/b/c");
  CHECK(viewOf("a", "/a/b/%2E./c").path() == "/a/c");
}

TEST_CASE("request path: a backslash is a separator (R1.13)", "[routing][request]") {
  CHECK(viewOf("a", "/a/..\\c").path() == "/c");
}

// ---- Fragment: R1.12. Istio sets http_reject_path_with_fragment=false, so Envoy's
// ConnectionManagerUtility::maybeNormalizePath cuts the :path at its first '#' (query included)
// before normalising; the fragment is neither matched nor forwarded.

TEST_CASE("request fragment: cut at the first '#', before the query is split (R1.12)",
          "[routing][request]") {
  RequestView plain = viewOf("a", "/a#frag");
  CHECK(plain.path() == "/a");
  CHECK(plain.query().empty());
  CHECK(plain.header(":path") == "/a");

  RequestView after_query = viewOf("a", "/a?x=1#frag");
  CHECK(after_query.path() == "/a");
  CHECK(after_query.query() == "x=1");
  CHECK(param(after_query, "x") == "1");
  CHECK(after_query.header(":path") == "/a?x=1");

  // Behaviour change: a '?' after the '#' is part of the fragment. meshc used to split the
  // query first and match the path "/a#frag".
  RequestView before_query = viewOf("a", "/a#frag?x=1");
  CHECK(before_query.path() == "/a");
  CHECK(before_query.query().empty());
  CHECK(param(before_query, "x") == std::nullopt);

  CHECK(viewOf("a", "/a/#/../b").path() == "/a/");  // dot segments in the fragment do nothing
  CHECK(viewOf("a", "#frag").path() == "/");
}

// ---- Query: SEMANTICS 3.5. Envoy's route matcher reads parameters with
// Http::Utility::QueryParamsMulti::parseQueryString (decode_params=false: names and values are
// compared undecoded) and QueryParameterMatcher::matches uses getFirstValue().

struct QueryCase {
  const char* sent;
  const char* name;
  std::optional<std::string> value;
  const char* why;
};

TEST_CASE("request query: first value wins, values undecoded, '=' splits once (SEMANTICS 3.5)",
          "[routing][request]") {
  const QueryCase cases[] = {
      {"/p?a=1&a=2", "a", "1", "repeated parameter: the first occurrence counts"},
      {"/p?a=&a=2", "a", "", "an empty first value still wins"},
      {"/p?a", "a", "", "a key without '=' has the empty value"},
      {"/p?a=", "a", "", "a key with '=' and nothing after it has the empty value"},
      {"/p?", "a", std::nullopt, "'?' alone: no parameters"},
      {"/p", "a", std::nullopt, "no query"},
      {"/p?q=a+b", "q", "a+b", "'+' is not decoded to a space"},
      {"/p?q=a%20b", "q", "a%20b", "%20 is not decoded"},
      {"/p?q%31=x", "q1", std::nullopt, "names are not decoded either"},
      {"/p?q%31=x", "q%31", "x", "the undecoded name is what matches"},
      {"/p?a=1=2", "a", "1=2", "only the first '=' separates"},
      {"/p?&&a=1&", "a", "1", "empty pieces are skipped"},
      {"/p?a=1?b=2", "a", "1?b=2", "only the first '?' starts the query"},
      {"/p?A=1", "a", std::nullopt, "names are case-sensitive"},
      {"/a/../p?x=/../y", "x", "/../y", "R1.13 normalises the path part only"},
  };
  for (const QueryCase& c : cases) {
    INFO(c.sent << " [" << c.name << "]: " << c.why);
    CHECK(param(viewOf("a", c.sent), c.name) == c.value);
  }
}

TEST_CASE("request query: query() is the raw text after the first '?' (SEMANTICS 3.5)",
          "[routing][request]") {
  CHECK(viewOf("a", "/p?").query().empty());
  CHECK(viewOf("a", "/p?a=%41+b&c").query() == "a=%41+b&c");
  CHECK(viewOf("a", "/a/../p?x=/../y").path() == "/p");
}

// ---- Headers and pseudo headers: SEMANTICS 3.3. Header names match case-insensitively,
// repeated headers are joined with ',' (HeaderUtility::getAllOfHeaderAsString), and route
// lookup runs on the normalised headers (R0.2), so :path is the normalised path plus the query
// as sent (PathUtil::canonicalPath keeps the suffix from '?' verbatim).

TEST_CASE("request headers: repeated values joined with ',' and names case-insensitive "
          "(SEMANTICS 3.3)",
          "[routing][request]") {
  HttpRequest r;
  r.authority = "A.com:8080";
  r.headers = {{"X-Tag", "a"}, {"x-tag", "b"}, {"x-empty", ""}, {"Host", "ignored.example"}};
  RequestView v = RequestView::create(r);
  CHECK(v.header("x-tag") == "a,b");
  CHECK(v.header("x-empty") == "");
  CHECK(v.header("x-missing") == std::nullopt);
  // The authority is a request field of its own: a Host header in the list does not override it.
  CHECK(v.header("host") == "A.com:8080");
  CHECK(v.header(":authority") == "A.com:8080");
}

TEST_CASE("request headers: :path is the normalised path with the query as sent (R0.2 R1.13)",
          "[routing][request]") {
  // Behaviour change: meshc used to answer :path with the path as sent.
  CHECK(viewOf("a", "/a/../b?x=%41&y").header(":path") == "/b?x=%41&y");
  CHECK(viewOf("a", "/a/./b").header(":path") == "/a/b");
  CHECK(viewOf("a", "/p?").header(":path") == "/p?");
  CHECK(viewOf("a", "").header(":path") == "/");
}

TEST_CASE("request headers: :method and :scheme come from the request line (SEMANTICS 3.3)",
          "[routing][request]") {
  HttpRequest r{.method = std::string("PATCH"), .scheme = std::string("https")};
  RequestView v = RequestView::create(r);
  CHECK(v.header(":method") == "PATCH");
  CHECK(v.header(":scheme") == "https");
  CHECK(v.header(":status") == std::nullopt);
}

}  // namespace
}  // namespace meshc::ir::testing
