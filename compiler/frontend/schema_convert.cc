// Node tree → JSON instance for valijson (schema_convert.h). Entry point: convertInstance().
#include "frontend/schema_convert.h"

#include <cmath>

namespace meshc::frontend::schema {

// Node tree → JSON. The walk follows the schema alongside the tree, for two reasons:
//  - Kubernetes prunes `field: null` for declared non-nullable fields before validating (and
//    nullable fields accept null anyway), so a declared property with a null value is dropped
//    here rather than reported as "expected object, found null". Undeclared keys are kept so that
//    an unknown field is reported even when its value is empty.
//  - "pattern" is checked here with RE2 (see LoadedSchema::patterns).

namespace {

bool typeIs(const Json* schema, std::string_view name) {
  const Json* t = member(schema, "type");
  if (t == nullptr) {
    return false;
  }
  if (t->is_string()) {
    return t->get_ref<const std::string&>() == name;
  }
  return t->is_array() && std::find(t->begin(), t->end(), Json(name)) != t->end();
}

bool allowsInteger(const Json* schema) {
  if (typeIs(schema, "integer")) {
    return true;
  }
  const Json* alts = member(schema, "anyOf");
  if (alts == nullptr || !alts->is_array()) {
    return false;
  }
  return std::any_of(alts->begin(), alts->end(),
                     [](const Json& alt) { return typeIs(&alt, "integer"); });
}

}  // namespace

std::string renderPath(const std::vector<PathStep>& steps) {
  std::string out;
  for (const PathStep& s : steps) {
    if (s.is_index) {
      out += "[" + std::to_string(s.index) + "]";
    } else {
      if (!out.empty()) {
        out += '.';
      }
      out += s.key;
    }
  }
  return out;
}

namespace {

struct Converter {
  const LoadedSchema& ls;
  std::vector<PathStep> path;
  std::vector<PatternFailure> pattern_failures;

  Json convert(const Node& n, const Json* schema) {
    switch (n.kind()) {
      case NodeKind::kNull:
        return Json(nullptr);
      case NodeKind::kBool:
        return Json(n.boolValue());
      case NodeKind::kInt:
        return Json(static_cast<int64_t>(n.intValue()));
      case NodeKind::kFloat: {
        // Kubernetes and protojson accept an integral float ("80.0", "1e3") for an integer.
        double d = n.numberValue();
        if (std::isfinite(d) && std::floor(d) == d && std::fabs(d) < 9.0e18 &&
            allowsInteger(schema)) {
          return Json(static_cast<int64_t>(d));
        }
        return Json(d);
      }
      case NodeKind::kString:
        checkPattern(n, schema);
        return Json(std::string(n.text()));
      case NodeKind::kSeq: {
        Json arr = Json::array();
        arr.get_ref<Json::array_t&>().reserve(n.size());
        const Json* items = itemsSchema(schema);
        size_t i = 0;
        for (const Node* item : n.items()) {
          path.push_back(PathStep{{}, i++, true});
          arr.push_back(convert(*item, items));
          path.pop_back();
        }
        return arr;
      }
      case NodeKind::kMap: {
        Json obj = Json::object();
        auto& fields = obj.get_ref<Json::object_t&>();
        for (const MapEntry& e : n.entries()) {
          bool declared = false;
          const Json* sub = propertySchema(schema, e.key, &declared);
          if (declared && e.value->isNull()) {
            continue;
          }
          path.push_back(PathStep{e.key, 0, false});
          fields.insert_or_assign(std::string(e.key), convert(*e.value, sub));
          path.pop_back();
        }
        return obj;
      }
    }
    return Json(nullptr);
  }

  void checkPattern(const Node& n, const Json* schema) {
    if (schema == nullptr || ls.patterns.empty()) {
      return;
    }
    auto it = ls.patterns.find(schema);
    if (it == ls.patterns.end() || RE2::PartialMatch(n.text(), *it->second)) {
      return;
    }
    pattern_failures.push_back(PatternFailure{&n, renderPath(path), it->second->pattern()});
  }
};

}  // namespace

Json convertInstance(const LoadedSchema& ls, const Node& root,
                     std::vector<PatternFailure>& pattern_failures) {
  Converter conv{ls, {}, {}};
  Json instance = conv.convert(root, &ls.doc);
  pattern_failures = std::move(conv.pattern_failures);
  return instance;
}

}  // namespace meshc::frontend::schema
