// An HTTP/1.1 header block as Envoy keeps it: lower-cased names, received order, repeats kept.
// Entry points: HeaderMap (request or response side), ProxyRequest (what the router rewrites).
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace meshc::http {

struct Header {
  std::string name;  // lower case (PROXY-SEMANTICS R1.20)
  std::string value;
};

/// Ordered multimap of headers. Names are stored lower-cased; lookups take lower-case names.
/// The side decides which names Envoy keeps as single "inline" entries (R3.6).
class HeaderMap {
 public:
  enum class Side { kRequest, kResponse };
  explicit HeaderMap(Side side = Side::kRequest) : side_(side) {}

  Side side() const { return side_; }
  /// Appends one header line as received (the codec's entry point; the name is lower-cased).
  void addRaw(std::string_view name, std::string_view value);
  /// The first value of `lower_name`, nullopt when absent.
  std::optional<std::string_view> get(std::string_view lower_name) const;
  /// All values of `lower_name` joined with ',' (Envoy's matching view), "" when absent.
  std::string joined(std::string_view lower_name) const;
  bool has(std::string_view lower_name) const { return get(lower_name).has_value(); }
  size_t count(std::string_view lower_name) const;
  /// R3.6 `set`: every existing line of the name is replaced by one line with `value`, kept at
  /// the position of the first one (appended when absent).
  void set(std::string_view lower_name, std::string_view value);
  /// R3.6 `add`: for an inline name with an existing value the value is joined onto the first
  /// line with ','; otherwise a new line is appended.
  void append(std::string_view lower_name, std::string_view value);
  /// Removes every line of the name; returns how many were removed.
  size_t remove(std::string_view lower_name);
  /// Whether Envoy keeps `lower_name` as one inline entry on this side (R3.6).
  bool isInline(std::string_view lower_name) const;

  const std::vector<Header>& entries() const { return entries_; }
  size_t size() const { return entries_.size(); }
  bool empty() const { return entries_.empty(); }
  void clear() { entries_.clear(); }
  /// Sum of name and value sizes (the R1.1 budget counts these plus the URL).
  size_t byteSize() const;

 private:
  /// A typical request or response carries about a dozen headers: one allocation instead of
  /// five doublings.
  void reserveFirst() {
    if (entries_.capacity() == 0) {
      entries_.reserve(16);
    }
  }
  Side side_;
  std::vector<Header> entries_;
};

/// A request as the router sees and rewrites it: pseudo headers apart, the rest in `headers`
/// (without `host`, which is `authority`).
struct ProxyRequest {
  std::string method = "GET";
  std::string scheme = "http";
  std::string authority;  // Host header value
  std::string path = "/";  // normalised path plus "?query" (what goes upstream)
  HeaderMap headers{HeaderMap::Side::kRequest};
};

}  // namespace meshc::http
