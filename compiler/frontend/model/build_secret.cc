// Secret → model::Secret: the entries a Gateway credential may hold, kept as written (base64
// stays undecoded; `meshc compile --credentials-dir` decodes). Entry point: detail::buildSecret().
#include "frontend/model/build_internal.h"

namespace meshc::model::detail {

namespace {

void addItems(const Node* map, bool string_data, Secret& s) {
  if (map == nullptr || !map->isMap()) {
    return;
  }
  for (const frontend::MapEntry& e : map->entries()) {
    // The schema admits only string values; anything else is left out, never guessed at.
    if (e.value != nullptr && e.value->isString()) {
      s.items.push_back(SecretItem{std::string(e.key), std::string(e.value->text()), string_data,
                                   e.value->loc()});
    }
  }
}

}  // namespace

Secret buildSecret(const frontend::Resource& r) {
  Secret s;
  s.meta = metaOf(r);
  s.type = stringOf(child(r.root, "type"));
  addItems(child(r.root, "data"), false, s);
  addItems(child(r.root, "stringData"), true, s);
  return s;
}

}  // namespace meshc::model::detail
