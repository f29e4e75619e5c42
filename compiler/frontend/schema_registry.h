// The registry of JSON Schemas embedded in the binary. Each file is parsed on first use only: a
// run that sees only VirtualServices never pays for the 60 KB DestinationRule schema.
// Internal to the schema check; entry point: findSchema().
#pragma once

#include <re2/re2.h>

#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <unordered_map>
#include <valijson/schema.hpp>
#include <vector>

namespace meshc::frontend::schema {

using Json = nlohmann::json;

struct LoadedSchema {
  std::string_view file;
  std::string_view text;
  std::string kind_lower;  // the file name up to its first '.'
  std::once_flag once;
  bool ok = false;
  Json doc;  // the schema as written, for messages and for the walk that converts the input
  valijson::Schema schema;  // the same schema without "pattern" (checked with RE2 instead)
  std::string kind;
  std::string group;
  std::vector<std::string> versions;
  // RE2 programs for every "pattern", keyed by the schema object that holds it. valijson would
  // use std::regex, whose recursive matcher can overflow the stack on a long input string.
  std::unordered_map<const Json*, std::unique_ptr<RE2>> patterns;
};

/// schema[key] when schema is an object that has it; nullptr otherwise.
const Json* member(const Json* schema, const char* key);
/// The subschema for property `key` (properties, then additionalProperties); *declared tells
/// whether `key` is declared. nullptr when nothing constrains it.
const Json* propertySchema(const Json* schema, std::string_view key, bool* declared);
/// The subschema of an array's items; nullptr when there is none.
const Json* itemsSchema(const Json* schema);

/// Every embedded schema, unparsed until ensureParsed().
const std::vector<std::unique_ptr<LoadedSchema>>& registry();
/// Parses ls once (thread-safe); ls.ok says whether it parsed.
const LoadedSchema& ensureParsed(LoadedSchema& ls);
/// The parsed schema for a kind (any case) and version; nullptr when none is embedded.
const LoadedSchema* findSchema(std::string_view kind, std::string_view version);

}  // namespace meshc::frontend::schema
