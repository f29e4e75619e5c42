// Defensive field readers shared by the per-kind model builders: every reader accepts any node
// shape (null, wrong type, out of range) and returns "absent" instead of failing.
#include <charconv>
#include <cmath>
#include <limits>

#include "frontend/model/build_internal.h"
#include "frontend/validation/validate_common.h"

namespace meshc::model::detail {

const Node* child(const Node* n, std::string_view key) {
  if (n == nullptr || !n->isMap()) {
    return nullptr;
  }
  return n->get(key);
}

SourceLoc locOf(const Node* n, SourceLoc fallback) { return n != nullptr ? n->loc() : fallback; }

std::optional<std::string> optString(const Node* n) {
  if (n == nullptr || !n->isString()) {
    return std::nullopt;
  }
  return std::string(n->text());
}

std::string stringOf(const Node* n) { return optString(n).value_or(std::string()); }

std::vector<std::string> stringList(const Node* n) {
  std::vector<std::string> out;
  if (n == nullptr) {
    return out;
  }
  for (const Node* item : n->items()) {
    if (item != nullptr && item->isString()) {
      out.emplace_back(item->text());
    }
  }
  return out;
}

StringMap stringMap(const Node* n) {
  StringMap out;
  if (n == nullptr) {
    return out;
  }
  for (const frontend::MapEntry& e : n->entries()) {
    if (e.value != nullptr && e.value->isString()) {
      out[std::string(e.key)] = std::string(e.value->text());
    }
  }
  return out;
}

std::vector<std::pair<std::string, std::string>> stringPairs(const Node* n) {
  std::vector<std::pair<std::string, std::string>> out;
  if (n == nullptr) {
    return out;
  }
  for (const frontend::MapEntry& e : n->entries()) {
    if (e.value != nullptr && e.value->isString()) {
      out.emplace_back(std::string(e.key), std::string(e.value->text()));
    }
  }
  return out;
}

std::optional<int64_t> intOf(const Node* n, int64_t lo, int64_t hi) {
  if (n == nullptr) {
    return std::nullopt;
  }
  int64_t v = 0;
  if (n->isInt()) {
    v = n->intValue();
  } else if (n->kind() == frontend::NodeKind::kFloat) {
    // Protobuf JSON accepts integral floats (80.0, 1e2) for integer fields.
    double d = n->numberValue();
    if (!std::isfinite(d) || d != std::floor(d) || d < -9.2e18 || d > 9.2e18) {
      return std::nullopt;
    }
    v = static_cast<int64_t>(d);
  } else if (n->isString()) {
    std::string_view t = n->text();
    if (t.empty()) {
      return std::nullopt;
    }
    auto [ptr, ec] = std::from_chars(t.data(), t.data() + t.size(), v);
    if (ec != std::errc() || ptr != t.data() + t.size()) {
      return std::nullopt;
    }
  } else {
    return std::nullopt;
  }
  if (v < lo || v > hi) {
    return std::nullopt;
  }
  return v;
}

std::optional<uint32_t> uint32Of(const Node* n) {
  std::optional<int64_t> v = intOf(n, 0, std::numeric_limits<uint32_t>::max());
  if (!v) {
    return std::nullopt;
  }
  return static_cast<uint32_t>(*v);
}

std::optional<double> numberOf(const Node* n) {
  if (n == nullptr) {
    return std::nullopt;
  }
  if (n->isNumber()) {
    return n->numberValue();
  }
  if (n->isString()) {
    std::string_view t = n->text();
    double d = 0;
    auto [ptr, ec] = std::from_chars(t.data(), t.data() + t.size(), d);
    if (t.empty() || ec != std::errc() || ptr != t.data() + t.size() || !std::isfinite(d)) {
      return std::nullopt;
    }
    return d;
  }
  return std::nullopt;
}

std::optional<bool> boolOf(const Node* n) {
  if (n == nullptr || !n->isBool()) {
    return std::nullopt;
  }
  return n->boolValue();
}

std::optional<int64_t> durationOf(const Node* n) {
  if (n == nullptr || !n->isString()) {
    return std::nullopt;
  }
  return frontend::validation::parseDuration(n->text());
}

std::optional<double> percentOf(const Node* n) {
  if (n == nullptr || !n->isMap()) {
    return std::nullopt;
  }
  return numberOf(n->get("value")).value_or(0.0);
}

std::string enumOf(const Node* n, std::initializer_list<const char*> names) {
  if (n == nullptr) {
    return "";
  }
  if (n->isString()) {
    return std::string(n->text());
  }
  if (n->isInt()) {
    int64_t v = n->intValue();
    if (v >= 0 && static_cast<uint64_t>(v) < names.size()) {
      return names.begin()[v];
    }
    return std::to_string(v);
  }
  return "";
}

std::vector<std::string> exportToOf(const Node* n, const std::vector<std::string>& mesh_default) {
  std::vector<std::string> out = stringList(n);
  if (!out.empty()) {
    return out;
  }
  // SEMANTICS 1.17/4.5: an absent exportTo takes the mesh default, which itself defaults to "*".
  if (!mesh_default.empty()) {
    return mesh_default;
  }
  return {"*"};
}

ObjectMeta metaOf(const frontend::Resource& r) {
  ObjectMeta meta;
  meta.name = r.name;
  meta.name_space = r.name_space;
  meta.creation_timestamp = r.creation_timestamp;
  meta.ordinal = r.ordinal;
  meta.labels = r.labels;
  meta.annotations = r.annotations;
  meta.loc = r.loc;
  return meta;
}

Destination destinationOf(const Node* n, SourceLoc fallback) {
  Destination d;
  d.loc = locOf(n, fallback);
  d.host = stringOf(child(n, "host"));
  d.subset = stringOf(child(n, "subset"));
  // A present PortSelector counts even without a number (Istio reads GetPort() != nil).
  const Node* port = child(n, "port");
  if (port != nullptr && port->isMap()) {
    d.port = uint32Of(port->get("number")).value_or(0);
  }
  return d;
}

}  // namespace meshc::model::detail
