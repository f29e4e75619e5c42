// Schema layer: validates each object against the JSON Schema embedded for its kind and version.
// Entry points: checkSchema(), schemaFor(), schemaKinds().
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "frontend/resource.h"
#include "support/diagnostic.h"

namespace meshc::frontend {

/// Validates r.root (unknown fields and wrong types are errors). Reports schema-* diagnostics
/// pointing at the offending key or value; returns false when any error was reported.
bool checkSchema(const Resource& r, DiagnosticSink& sink);

/// The schema text for a kind (e.g. "VirtualService") and version ("v1"); empty when unknown.
std::string_view schemaFor(std::string_view kind, std::string_view version);

struct SchemaEntry {
  std::string kind;
  std::string group;
  std::vector<std::string> versions;
};
/// Every embedded schema, for `meshc schema --list` and for tests.
const std::vector<SchemaEntry>& schemaKinds();

}  // namespace meshc::frontend
