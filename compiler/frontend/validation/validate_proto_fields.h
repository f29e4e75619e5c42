// Proto3-JSON field presence and enum decoding over the YAML tree, as Istio's webhook sees a
// spec after protojson conversion. Entry points: isSet(), setMap(), enumField(), uintField().
#pragma once

#include <cstdint>
#include <initializer_list>
#include <optional>
#include <string_view>

#include "frontend/yaml_tree.h"

namespace meshc::frontend::validation {

/// A message field is non-nil in Go when present and not JSON null.
inline bool isSet(const Node* n) { return n != nullptr && !n->isNull(); }

inline const Node* child(const Node* parent, std::string_view key) {
  return parent != nullptr ? parent->get(key) : nullptr;
}

/// A present message field that is a mapping; anything else (absent, null, wrong type) is
/// treated as unset, since a wrong type is the schema check's finding.
inline const Node* setMap(const Node* parent, std::string_view key) {
  const Node* n = child(parent, key);
  return (n != nullptr && n->isMap()) ? n : nullptr;
}

inline bool hasSetField(const Node* parent, std::string_view key) {
  return isSet(child(parent, key));
}

/// A repeated or map field is nil in Go when absent, null or empty.
inline bool nonEmpty(const Node* parent, std::string_view key) {
  const Node* n = child(parent, key);
  return n != nullptr && (n->isSeq() || n->isMap()) && n->size() > 0;
}

/// A string field's text; "" when absent, null or not a scalar (proto3 default).
inline std::string_view stringField(const Node* parent, std::string_view key) {
  const Node* n = child(parent, key);
  return (n != nullptr && n->isString()) ? n->text() : std::string_view();
}

/// A bool (or BoolValue) field; false when absent, null or not a boolean.
inline bool boolField(const Node* parent, std::string_view key) {
  const Node* n = child(parent, key);
  return n != nullptr && n->boolValue();
}

/// An integer field: 0 when absent or null (proto3 default); nullopt when present with another
/// type (a schema error: rules depending on it are skipped rather than guessed at).
inline std::optional<int64_t> intField(const Node* parent, std::string_view key) {
  const Node* n = child(parent, key);
  if (!isSet(n)) {
    return 0;
  }
  if (n->isInt()) {
    return n->intValue();
  }
  return std::nullopt;
}

/// A number (double / DoubleValue) field, nullopt when absent, null or not a number.
inline std::optional<double> numberField(const Node* parent, std::string_view key) {
  const Node* n = child(parent, key);
  if (n == nullptr || !n->isNumber()) {
    return std::nullopt;
  }
  return n->numberValue();
}

/// Decodes an enum given by name or by number (protojson accepts both). Absent or null gives 0
/// (the proto default); an unknown name or a non-scalar gives -1. Numbers are returned as-is
/// (callers decide what an out-of-range number means).
inline int64_t enumField(const Node* parent, std::string_view key,
                         std::initializer_list<std::string_view> names) {
  const Node* n = child(parent, key);
  if (!isSet(n)) {
    return 0;
  }
  if (n->isInt()) {
    return n->intValue();
  }
  if (!n->isString()) {
    return -1;
  }
  int64_t i = 0;
  for (std::string_view name : names) {
    if (n->text() == name) {
      return i;
    }
    ++i;
  }
  return -1;
}

}  // namespace meshc::frontend::validation
