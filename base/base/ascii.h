// ASCII-only case helpers, the way Envoy (absl) folds case for hosts, paths and header values.
// Entry points: ascii::toLower(), ascii::equalsIgnoreCase(). Bytes outside A-Z/a-z (UTF-8
// included) are never changed, whatever the C locale says: std::tolower would follow it.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace meshc::ascii {

/// 'A'-'Z' → 'a'-'z'; every other byte unchanged.
constexpr char toLower(char c) {
  return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
}

/// 'a'-'z' → 'A'-'Z'; every other byte unchanged.
constexpr char toUpper(char c) {
  return (c >= 'a' && c <= 'z') ? static_cast<char>(c - 'a' + 'A') : c;
}

/// A copy of `s` with ASCII letters lower-cased.
inline std::string toLower(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    c = toLower(c);
  }
  return out;
}

/// A copy of `s` with ASCII letters upper-cased.
inline std::string toUpper(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    c = toUpper(c);
  }
  return out;
}

/// True if `s` holds at least one ASCII letter (so case folding can change it).
constexpr bool hasLetter(std::string_view s) {
  for (char c : s) {
    if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z')) {
      return true;
    }
  }
  return false;
}

/// Equal once ASCII letters are folded; other bytes must match exactly.
constexpr bool equalsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) {
    return false;
  }
  for (size_t i = 0; i < a.size(); ++i) {
    if (toLower(a[i]) != toLower(b[i])) {
      return false;
    }
  }
  return true;
}

/// `s` without leading and trailing spaces and tabs (HTTP's optional whitespace).
constexpr std::string_view trimOws(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) {
    s.remove_prefix(1);
  }
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) {
    s.remove_suffix(1);
  }
  return s;
}

/// True if `s` begins with `prefix`, ASCII letters folded.
constexpr bool startsWithIgnoreCase(std::string_view s, std::string_view prefix) {
  return s.size() >= prefix.size() && equalsIgnoreCase(s.substr(0, prefix.size()), prefix);
}

/// True if `s` ends with `suffix`, ASCII letters folded.
constexpr bool endsWithIgnoreCase(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && equalsIgnoreCase(s.substr(s.size() - suffix.size()), suffix);
}

}  // namespace meshc::ascii
