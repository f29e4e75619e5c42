// HeaderMap: an ordered header multimap with Envoy's set/append semantics (PROXY-SEMANTICS R3.6).
#include "http/header_map.h"

#include <algorithm>
#include <array>

#include "base/ascii.h"

namespace meshc::http {
namespace {

// Envoy's inline headers (envoy/http/header_map.h INLINE_REQ_HEADERS / INLINE_RESP_HEADERS and
// the x-envoy-* family): `add` joins onto them with ',' instead of adding a second line.
constexpr std::array<std::string_view, 9> kInlineRequest = {
    "user-agent", "x-forwarded-for", "x-forwarded-proto", "x-request-id", "content-type",
    "via",        "te",              "expect",            "grpc-timeout"};
constexpr std::array<std::string_view, 5> kInlineResponse = {"server", "date", "location",
                                                             "content-type", "via"};

}  // namespace

void HeaderMap::addRaw(std::string_view name, std::string_view value) {
  reserveFirst();
  entries_.push_back(Header{ascii::toLower(name), std::string(value)});
}

std::optional<std::string_view> HeaderMap::get(std::string_view lower_name) const {
  for (const Header& h : entries_) {
    if (h.name == lower_name) {
      return std::string_view(h.value);
    }
  }
  return std::nullopt;
}

std::string HeaderMap::joined(std::string_view lower_name) const {
  std::string out;
  bool first = true;
  for (const Header& h : entries_) {
    if (h.name == lower_name) {
      if (!first) {
        out += ',';
      }
      out += h.value;
      first = false;
    }
  }
  return out;
}

size_t HeaderMap::count(std::string_view lower_name) const {
  return static_cast<size_t>(std::count_if(entries_.begin(), entries_.end(),
                                           [&](const Header& h) { return h.name == lower_name; }));
}

void HeaderMap::set(std::string_view lower_name, std::string_view value) {
  auto first = std::find_if(entries_.begin(), entries_.end(),
                            [&](const Header& h) { return h.name == lower_name; });
  if (first == entries_.end()) {
    reserveFirst();
    entries_.push_back(Header{std::string(lower_name), std::string(value)});
    return;
  }
  first->value.assign(value);
  auto rest = std::remove_if(first + 1, entries_.end(),
                             [&](const Header& h) { return h.name == lower_name; });
  entries_.erase(rest, entries_.end());
}

void HeaderMap::append(std::string_view lower_name, std::string_view value) {
  if (isInline(lower_name)) {
    for (Header& h : entries_) {
      if (h.name == lower_name) {
        if (!h.value.empty()) {
          h.value += ',';
        }
        h.value.append(value);
        return;
      }
    }
  }
  reserveFirst();
  entries_.push_back(Header{std::string(lower_name), std::string(value)});
}

size_t HeaderMap::remove(std::string_view lower_name) {
  size_t before = entries_.size();
  entries_.erase(std::remove_if(entries_.begin(), entries_.end(),
                                [&](const Header& h) { return h.name == lower_name; }),
                 entries_.end());
  return before - entries_.size();
}

bool HeaderMap::isInline(std::string_view lower_name) const {
  if (side_ == Side::kRequest) {
    if (lower_name.starts_with("x-envoy-")) {
      return true;
    }
    return std::find(kInlineRequest.begin(), kInlineRequest.end(), lower_name) !=
           kInlineRequest.end();
  }
  return std::find(kInlineResponse.begin(), kInlineResponse.end(), lower_name) !=
         kInlineResponse.end();
}

size_t HeaderMap::byteSize() const {
  size_t n = 0;
  for (const Header& h : entries_) {
    n += h.name.size() + h.value.size();
  }
  return n;
}

}  // namespace meshc::http
