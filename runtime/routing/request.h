// The view of one HTTP request that route selection sees (as Envoy's router does).
// Entry points: HttpRequest, RequestView::create(); every evaluator reads requests through it.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace meshc::ir {

/// A request as given by the user (simulate, test files) or parsed off the wire (meshproxy).
struct HttpRequest {
  std::string method = "GET";
  std::string scheme = "http";
  std::string authority;   // Host / :authority as sent; may carry ":port"
  std::string path = "/";  // :path as sent, including any "?query"
  std::vector<std::pair<std::string, std::string>> headers;  // any case; repeats allowed
  std::vector<std::pair<std::string, std::string>> claims;   // JWT claim path ("a.b") → value
};

/// Derived, normalised values that matching needs, computed once per request.
class RequestView {
 public:
  /// Cuts the request target at its first '#' (PROXY-SEMANTICS R1.12), canonicalises the path
  /// as Istio's default mesh config makes Envoy do (canonicalizePath(): normalize_path, no
  /// slash merging, escaped slashes kept), splits off the query, lower-cases header names,
  /// and derives the lookup host from the authority (lower-cased, cut at Envoy's port start).
  /// Never fails; when Envoy would refuse the path (pathNormalizationFailed()) the path is kept
  /// as sent and the caller answers 400 instead of routing.
  static RequestView create(const HttpRequest& request);
  /// The same without copying a request into an HttpRequest first (meshproxy): the request
  /// line's fields now, then every header in order with addHeader(); no JWT claims.
  static RequestView create(std::string_view method, std::string_view scheme,
                            std::string_view authority, std::string_view path,
                            size_t header_count = 0);
  /// One header of the request (names compare lower-cased; repeats join with ','). Host and
  /// :authority are skipped: the authority is a field of its own.
  void addHeader(std::string_view name, std::string_view value);

  /// R1.13: Envoy answers 400 (details `path_normalization_failed`) without routing.
  bool pathNormalizationFailed() const { return path_normalization_failed_; }
  const std::string& path() const { return path_; }         // normalised, no query/fragment
  /// The `:path` routing sees and the router forwards: the normalised path and the query as
  /// sent, '?' included (R0.2, R1.13).
  const std::string& pathWithQuery() const { return full_path_; }
  const std::string& lowerPath() const { return lower_path_; }
  const std::string& query() const { return query_; }       // after '?', undecoded
  /// The authority lower-cased and cut at its last ':' unless a ']' follows it (Envoy
  /// HeaderUtility::getPortStart): "A.com:8080" → "a.com", "[::1]:80" → "[::1]", "::1" → ":".
  const std::string& host() const { return host_; }
  const std::string& authority() const { return authority_; }  // as sent (for :authority)
  const std::string& method() const { return method_; }
  const std::string& scheme() const { return scheme_; }
  /// A header's value as Envoy matches it: repeated headers joined with ','; pseudo headers
  /// (:method, :authority, :scheme, :path) answer from the request line. nullopt when absent.
  std::optional<std::string_view> header(std::string_view lower_name) const;
  /// The first occurrence of a query parameter ("" for `?key`), nullopt when absent.
  std::optional<std::string_view> queryParam(std::string_view name) const;
  std::optional<std::string_view> claim(std::string_view path) const;

 private:
  std::string path_, lower_path_, query_, host_, authority_, method_, scheme_, full_path_;
  std::vector<std::pair<std::string, std::string>> headers_;  // lower-cased names, joined values
  std::vector<std::pair<std::string, std::string>> query_params_;
  std::vector<std::pair<std::string, std::string>> claims_;
  bool path_normalization_failed_ = false;
};

/// R1.13: Envoy's normalize_path (PathUtil::canonicalPath, Chromium's URL path
/// canonicalisation) of a path without query or fragment: '.' and '..' segments resolved, never
/// above the root, `%2E`/`%2e` counted as '.'; '\\' made a separator; a '/' prepended when
/// missing; escapes of unreserved characters (ALPHA DIGIT - _ ~) decoded; characters a URL path
/// may not hold raw (controls, space, '"', '<', '>', '^', '`', '{', '|', '}', bytes >= 0x7F)
/// percent-encoded; every other escape (`%2F`, `%5C`, `%25`, ...) and `//` kept as they are.
/// nullopt when Envoy fails the path (a NUL byte or a `%00` escape anywhere in it): the caller
/// answers 400 `path_normalization_failed`.
std::optional<std::string> canonicalizePath(std::string_view path);

/// Where the port starts in a Host value, the way Envoy's HeaderUtility::getPortStart() finds
/// it (SEMANTICS 2.4): the last ':' unless a ']' follows it (a bracketed IPv6 literal); npos
/// when there is none. Envoy checks nothing else: the port need not be numeric ("a.com:x" and
/// "a.com:" lose their suffix too), and an unbracketed IPv6 address ("::1") loses its last
/// group, since RFC 3986 3.2.2 says such an address must be bracketed.
size_t portStart(std::string_view host);

}  // namespace meshc::ir
