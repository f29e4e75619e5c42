// Schema layer: converts a Resource's YAML tree to JSON and validates it with valijson against the
// schema embedded for its kind; failures are mapped back to the offending key or value.
// Entry points: checkSchema(), schemaFor(), schemaKinds(). The steps: schema_registry.h (the
// embedded schemas), schema_convert.h (tree → JSON), schema_errors.h (failures → diagnostics).
#include "frontend/schema_check.h"

#include <algorithm>
#include <valijson/adapters/nlohmann_json_adapter.hpp>
#include <valijson/validation_results.hpp>
#include <valijson/validator.hpp>

#include "frontend/schema_convert.h"
#include "frontend/schema_errors.h"
#include "frontend/schema_registry.h"

namespace meshc::frontend {

bool checkSchema(const Resource& r, DiagnosticSink& sink) {
  if (r.root == nullptr) {
    return true;
  }
  const schema::LoadedSchema* ls = schema::findSchema(resourceKindName(r.kind), r.version);
  if (ls == nullptr) {
    return true;  // no schema for this kind/version: nothing to check against
  }
  std::vector<schema::PatternFailure> pattern_failures;
  schema::Json instance = schema::convertInstance(*ls, *r.root, pattern_failures);
  valijson::adapters::NlohmannJsonAdapter adapter(instance);
  valijson::Validator validator;
  // Fast path: without a results object valijson stops at the first failure and builds no
  // messages; nearly every object in a real repository passes here.
  bool valid = false;
  std::string first_failure;
  try {
    valid = validator.validate(ls->schema, adapter, nullptr);
  } catch (const std::exception& e) {
    first_failure = e.what();
  }
  if (valid && pattern_failures.empty()) {
    return true;
  }
  valijson::ValidationResults results;
  if (!valid) {
    try {
      validator.validate(ls->schema, adapter, &results);
    } catch (const std::exception& e) {
      first_failure = e.what();
    }
    if (first_failure.empty() && results.numErrors() > 0) {
      first_failure = results.begin()->description;
    }
  }
  schema::reportSchemaErrors(r, sink, *ls, valid ? nullptr : &results, pattern_failures,
                             first_failure);
  return false;
}

std::string_view schemaFor(std::string_view kind, std::string_view version) {
  const schema::LoadedSchema* ls = schema::findSchema(kind, version);
  return ls == nullptr ? std::string_view() : ls->text;
}

const std::vector<SchemaEntry>& schemaKinds() {
  static const std::vector<SchemaEntry> kKinds = [] {
    std::vector<SchemaEntry> out;
    for (const auto& ls : schema::registry()) {
      const schema::LoadedSchema& parsed = schema::ensureParsed(*ls);
      if (!parsed.ok) {
        continue;
      }
      auto it = std::find_if(out.begin(), out.end(),
                             [&parsed](const SchemaEntry& e) { return e.kind == parsed.kind; });
      if (it == out.end()) {
        out.push_back(SchemaEntry{parsed.kind, parsed.group, {}});
        it = out.end() - 1;
      }
      for (const std::string& v : parsed.versions) {
        if (std::find(it->versions.begin(), it->versions.end(), v) == it->versions.end()) {
          it->versions.push_back(v);
        }
      }
    }
    std::sort(out.begin(), out.end(),
              [](const SchemaEntry& a, const SchemaEntry& b) { return a.kind < b.kind; });
    return out;
  }();
  return kKinds;
}

}  // namespace meshc::frontend
