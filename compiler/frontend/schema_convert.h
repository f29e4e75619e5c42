// Node tree → JSON instance for valijson, walked alongside the schema. Internal to the schema
// check; entry point: convertInstance().
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "frontend/schema_registry.h"
#include "frontend/yaml_tree.h"

namespace meshc::frontend::schema {

struct PathStep {
  std::string_view key;  // map key, or empty for a sequence item
  size_t index = 0;
  bool is_index = false;
};

/// "spec.http[0].route", as messages name a location.
std::string renderPath(const std::vector<PathStep>& steps);

struct PatternFailure {
  const Node* node;
  std::string path;
  std::string pattern;
};

/// The JSON instance valijson validates for `root`, converted alongside ls's schema (see the
/// .cc for what differs from a plain conversion). Strings that fail their schema's "pattern"
/// (checked with RE2) are appended to pattern_failures.
Json convertInstance(const LoadedSchema& ls, const Node& root,
                     std::vector<PatternFailure>& pattern_failures);

}  // namespace meshc::frontend::schema
