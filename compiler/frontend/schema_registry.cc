// The registry of embedded JSON Schemas and lookups into a schema document (schema_registry.h).
// Entry point: findSchema().
#include "frontend/schema_registry.h"

#include <valijson/adapters/nlohmann_json_adapter.hpp>
#include <valijson/schema_parser.hpp>

#include "base/ascii.h"
#include "schemas/embedded.h"

namespace meshc::frontend::schema {

const Json* member(const Json* schema, const char* key) {
  if (schema == nullptr || !schema->is_object()) {
    return nullptr;
  }
  auto it = schema->find(key);
  return it == schema->end() ? nullptr : &*it;
}

// The sub-schema for a property name: "properties" first, then an "additionalProperties"
// schema. *declared tells whether the name is listed in "properties".
const Json* propertySchema(const Json* schema, std::string_view key, bool* declared) {
  *declared = false;
  if (const Json* props = member(schema, "properties"); props != nullptr && props->is_object()) {
    auto it = props->find(key);
    if (it != props->end()) {
      *declared = true;
      return &*it;
    }
  }
  const Json* additional = member(schema, "additionalProperties");
  return additional != nullptr && additional->is_object() ? additional : nullptr;
}

const Json* itemsSchema(const Json* schema) {
  const Json* items = member(schema, "items");
  return items != nullptr && items->is_object() ? items : nullptr;
}

namespace {

// Visits every schema object below (and including) s, skipping keyword values that are not
// schemas (so a property that happens to be called "pattern" is not mistaken for the keyword).
template <typename Fn>
void forEachSubschema(Json& s, const Fn& fn) {
  if (!s.is_object()) {
    return;
  }
  fn(s);
  for (const char* key : {"items", "not", "additionalProperties"}) {
    auto it = s.find(key);
    if (it != s.end()) {
      forEachSubschema(*it, fn);
    }
  }
  for (const char* key : {"oneOf", "anyOf", "allOf"}) {
    auto it = s.find(key);
    if (it != s.end() && it->is_array()) {
      for (Json& sub : *it) {
        forEachSubschema(sub, fn);
      }
    }
  }
  auto props = s.find("properties");
  if (props != s.end() && props->is_object()) {
    for (auto& [name, sub] : props->items()) {
      forEachSubschema(sub, fn);
    }
  }
}

void parseSchema(LoadedSchema& ls) {
  ls.doc = Json::parse(ls.text.begin(), ls.text.end(), nullptr, /*allow_exceptions=*/false);
  if (ls.doc.is_discarded() || !ls.doc.is_object()) {
    return;
  }
  const Json* props = member(&ls.doc, "properties");
  const Json* kind = member(member(props, "kind"), "const");
  const Json* api = member(member(props, "apiVersion"), "enum");
  if (kind == nullptr || !kind->is_string() || api == nullptr || !api->is_array()) {
    return;
  }
  ls.kind = kind->get<std::string>();
  for (const Json& v : *api) {
    if (!v.is_string()) {
      continue;
    }
    const std::string& s = v.get_ref<const std::string&>();
    size_t slash = s.rfind('/');
    ls.group = slash == std::string::npos ? "" : s.substr(0, slash);
    ls.versions.push_back(slash == std::string::npos ? s : s.substr(slash + 1));
  }
  Json stripped = ls.doc;
  forEachSubschema(stripped, [](Json& s) { s.erase("pattern"); });
  forEachSubschema(ls.doc, [&ls](Json& s) {
    auto it = s.find("pattern");
    if (it == s.end() || !it->is_string()) {
      return;
    }
    RE2::Options options;
    options.set_log_errors(false);
    auto re = std::make_unique<RE2>(it->get<std::string>(), options);
    if (re->ok()) {
      ls.patterns.emplace(&s, std::move(re));
    }
  });
  try {
    valijson::SchemaParser parser(valijson::SchemaParser::kDraft7);
    valijson::adapters::NlohmannJsonAdapter adapter(stripped);
    parser.populateSchema(adapter, ls.schema);
  } catch (const std::exception&) {
    return;  // a broken embedded schema; the unit tests parse every one of them
  }
  ls.ok = true;
}

std::vector<std::unique_ptr<LoadedSchema>> buildRegistry() {
  std::vector<std::unique_ptr<LoadedSchema>> out;
  size_t count = 0;
  const schemas::EmbeddedSchema* all = schemas::embeddedSchemas(&count);
  for (size_t i = 0; i < count; ++i) {
    if (all[i].file.empty()) {
      continue;
    }
    auto ls = std::make_unique<LoadedSchema>();
    ls->file = all[i].file;
    ls->text = all[i].text;
    ls->kind_lower = std::string(ls->file.substr(0, ls->file.find('.')));
    out.push_back(std::move(ls));
  }
  return out;
}

}  // namespace

const std::vector<std::unique_ptr<LoadedSchema>>& registry() {
  static const std::vector<std::unique_ptr<LoadedSchema>> kRegistry = buildRegistry();
  return kRegistry;
}

const LoadedSchema& ensureParsed(LoadedSchema& ls) {
  std::call_once(ls.once, [&ls] { parseSchema(ls); });
  return ls;
}

const LoadedSchema* findSchema(std::string_view kind, std::string_view version) {
  std::string lower = ascii::toLower(kind);
  for (const auto& ls : registry()) {
    if (ls->kind_lower != lower) {
      continue;
    }
    const LoadedSchema& parsed = ensureParsed(*ls);
    if (!parsed.ok || parsed.kind != kind) {
      continue;
    }
    if (std::find(parsed.versions.begin(), parsed.versions.end(), version) !=
        parsed.versions.end()) {
      return &parsed;
    }
  }
  return nullptr;
}

}  // namespace meshc::frontend::schema
