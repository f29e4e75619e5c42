// The JSON Schemas compiled into the binary (generated from schemas/json/*.json at build time).
// Entry point: embeddedSchemas(); file names are "<kind>.json", lower-case kind.
#pragma once

#include <cstddef>
#include <string_view>

namespace meshc::schemas {

struct EmbeddedSchema {
  std::string_view file;  // e.g. "virtualservice.json"
  std::string_view text;  // the JSON document
};

/// All embedded schemas, sorted by file name.
const EmbeddedSchema* embeddedSchemas(size_t* count);

}  // namespace meshc::schemas
