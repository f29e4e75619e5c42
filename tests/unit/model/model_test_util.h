// Test helpers for the typed model: load inline YAML and build a ConfigSet from it.
#pragma once

#include <string>

#include "frontend/mesh_config.h"
#include "frontend/model/model.h"
#include "frontend/schema_check.h"
#include "test_util.h"

namespace meshc::testing {

/// Builds the model from every loaded object as-is (schema_valid left true), so inputs the
/// schema would reject (enums given as numbers) can still be read.
inline model::ConfigSet buildModel(Loaded& l, const frontend::MeshConfig& mesh = {}) {
  return model::buildConfigSet(l.resources(), mesh);
}

/// Runs the real schema check first, as the pipeline does.
inline model::ConfigSet buildCheckedModel(Loaded& l, const frontend::MeshConfig& mesh = {}) {
  for (frontend::Resource& r : l.loader.resources()) {
    r.schema_valid = frontend::checkSchema(r, l.sink);
  }
  return model::buildConfigSet(l.resources(), mesh);
}

/// True when every loaded object passed the schema check (tests use it on inputs meant to be
/// valid, so a model test never silently depends on a schema-rejected object).
inline bool allSchemaValid(const Loaded& l) {
  for (const frontend::Resource& r : l.resources()) {
    if (!r.schema_valid) {
      return false;
    }
  }
  return true;
}

}  // namespace meshc::testing
