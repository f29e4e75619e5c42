// Loader: paths → files → YAML documents → Resources (List objects expanded, namespaces defaulted).
#include "frontend/loader.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <iterator>
#include <sstream>
#include <system_error>

#include "base/ascii.h"
#include "base/quote.h"
namespace meshc::frontend {

namespace fs = std::filesystem;

namespace {

bool hasManifestExtension(const fs::path& p) {
  std::string ext = ascii::toLower(p.extension().string());
  return ext == ".yaml" || ext == ".yml" || ext == ".json";
}

bool readWholeFile(const fs::path& p, std::string* out) {
  std::ifstream in(p, std::ios::binary);
  if (!in) {
    return false;
  }
  // istream::read turns a failed read(2) (EIO, EISDIR...) into badbit; `ss << in.rdbuf()` would
  // only set failbit on `ss`, which it also does for an empty file, so an I/O error read as "".
  std::string data;
  char buf[1 << 16];
  while (in.read(buf, sizeof(buf)) || in.gcount() > 0) {
    data.append(buf, static_cast<size_t>(in.gcount()));
  }
  if (in.bad()) {
    return false;
  }
  *out = std::move(data);
  return true;
}

Diagnostic objectError(std::string id, SourceLoc loc, std::string message) {
  Diagnostic d;
  d.id = std::move(id);
  d.severity = Severity::kError;
  d.message = std::move(message);
  d.loc = loc;
  return d;
}

void readStringMap(const Node* map, StringMap* out) {
  if (map == nullptr || !map->isMap()) {
    return;
  }
  for (const MapEntry& e : map->entries()) {
    // Non-string values are reported by the schema check; keep their text so lookups still work.
    if (e.value->isScalar() && !e.value->isNull()) {
      (*out)[std::string(e.key)] = std::string(e.value->text());
    } else if (e.value->isNull()) {
      (*out)[std::string(e.key)] = "";
    }
  }
}

}  // namespace

Loader::Loader(SourceManager& sources, DiagnosticSink& sink, LoaderOptions options)
    : sources_(sources), sink_(sink), options_(std::move(options)) {}

Status Loader::addPath(const std::string& path) {
  if (path == "-") {
    std::string text((std::istreambuf_iterator<char>(std::cin)), std::istreambuf_iterator<char>());
    addText("<stdin>", std::move(text));
    return Status::ok();
  }
  std::error_code ec;
  fs::file_status st = fs::status(path, ec);
  if (ec || !fs::exists(st)) {
    return Status::error(StatusCode::kNotFound, path + ": no such file or directory");
  }
  if (fs::is_directory(st)) {
    std::vector<fs::path> files;
    fs::recursive_directory_iterator it(path, fs::directory_options::skip_permission_denied, ec);
    if (ec) {
      return Status::error(StatusCode::kIoError, path + ": cannot read directory: " + ec.message());
    }
    for (fs::recursive_directory_iterator end; it != end; it.increment(ec)) {
      if (ec) {
        return Status::error(StatusCode::kIoError, path + ": cannot read directory: " + ec.message());
      }
      // Hidden entries are skipped: a kubelet's ConfigMap or Secret volume keeps the real
      // files under `..<timestamp>/` behind the visible symlinks, so walking into it would read
      // every manifest twice (and `.git` and editors' swap files are not manifests either).
      if (it->path().filename().string().starts_with(".")) {
        std::error_code dec;
        if (it->is_directory(dec)) {
          it.disable_recursion_pending();
        }
        continue;
      }
      std::error_code fec;
      if (it->is_regular_file(fec) && hasManifestExtension(it->path())) {
        files.push_back(it->path());
      }
    }
    std::sort(files.begin(), files.end());
    for (const fs::path& f : files) {
      std::string content;
      if (!readWholeFile(f, &content)) {
        uint32_t id = sources_.add(f.string(), "");
        sink_.report(objectError("file-unreadable", SourceLoc{id, 1, 1},
                                 "cannot read file " + f.string()));
        continue;
      }
      addFile(sources_.add(f.string(), std::move(content)));
    }
    return Status::ok();
  }
  std::string content;
  if (!readWholeFile(path, &content)) {
    return Status::error(StatusCode::kIoError, path + ": cannot read file");
  }
  addFile(sources_.add(path, std::move(content)));
  return Status::ok();
}

void Loader::addText(std::string display_path, std::string text) {
  addFile(sources_.add(std::move(display_path), std::move(text)));
}

void Loader::addFile(uint32_t file_id) {
  ++files_read_;
  arenas_.push_back(std::make_unique<YamlArena>());
  std::vector<YamlDocument> docs = parseYamlFile(sources_, file_id, *arenas_.back(), sink_,
                                                 options_.limits);
  for (const YamlDocument& doc : docs) {
    if (doc.root->isNull()) {
      continue;  // empty document, as kubectl accepts between separators
    }
    ++documents_read_;
    addObject(*doc.root, doc.start);
  }
}

void Loader::addObject(const Node& root, SourceLoc doc_start) {
  if (!root.isMap()) {
    sink_.report(objectError("not-an-object", root.loc(),
                             std::string("expected a Kubernetes object (a mapping with apiVersion "
                                         "and kind), found ") +
                                 nodeKindName(root.kind())));
    return;
  }
  const Node* api = root.get("apiVersion");
  const Node* kind = root.get("kind");
  if (api == nullptr || kind == nullptr || !api->isString() || !kind->isString() ||
      api->text().empty() || kind->text().empty()) {
    std::string missing = (api == nullptr || !api->isString() || api->text().empty())
                              ? "apiVersion"
                              : "kind";
    sink_.report(objectError(
        "not-an-object", root.loc(),
        "document is not a Kubernetes object: missing or non-string " + quote(missing)));
    return;
  }
  std::string_view api_version = api->text();
  std::string group;
  std::string version;
  if (size_t slash = api_version.find('/'); slash != std::string_view::npos) {
    group = std::string(api_version.substr(0, slash));
    version = std::string(api_version.substr(slash + 1));
  } else {
    version = std::string(api_version);
  }
  if (group.empty() && kind->text() == "List" && version == "v1") {
    const Node* items = root.get("items");
    if (items != nullptr && items->isSeq()) {
      for (const Node* item : items->items()) {
        addObject(*item, item->loc());
      }
    } else if (items != nullptr && !items->isNull()) {
      sink_.report(objectError("not-an-object", items->loc(),
                               std::string("expected \"items\" of a List to be an array, found ") +
                                   nodeKindName(items->kind())));
    }
    return;
  }
  ResourceKind rk;
  if (!resourceKindFor(group, version, kind->text(), &rk)) {
    if (isKnownGroupKind(group, kind->text())) {
      Diagnostic d = objectError("unknown-api-version", api->loc(),
                                 "unsupported apiVersion " + quote(api_version) + " for kind " +
                                     std::string(kind->text()));
      d.length = static_cast<uint32_t>(api_version.size());
      sink_.report(std::move(d));
      return;
    }
    ++skipped_[std::string(api_version) + " " + std::string(kind->text())];
    return;
  }
  Resource r;
  r.kind = rk;
  r.group = group;
  r.version = version;
  r.root = &root;
  r.loc = doc_start;
  r.ordinal = static_cast<uint32_t>(resources_.size());
  r.metadata = root.get("metadata");
  r.spec = root.get("spec");
  if (r.metadata != nullptr && r.metadata->isMap()) {
    r.name = std::string(r.metadata->str("name"));
    r.name_space = std::string(r.metadata->str("namespace"));
    r.creation_timestamp = std::string(r.metadata->str("creationTimestamp"));
    readStringMap(r.metadata->get("labels"), &r.labels);
    readStringMap(r.metadata->get("annotations"), &r.annotations);
  }
  if (isNamespaced(rk) && r.name_space.empty()) {
    r.name_space = options_.default_namespace;
    r.namespace_defaulted = true;
  }
  if (!isNamespaced(rk)) {
    r.name_space.clear();
  }
  if (r.name.empty() &&
      (r.metadata == nullptr || !r.metadata->isMap() || r.metadata->str("generateName").empty())) {
    Diagnostic d = objectError("object-missing-name", r.metadata ? r.metadata->loc() : kind->loc(),
                               "missing metadata.name; every " + std::string(kind->text()) +
                                   " needs a name");
    d.resource = r.ref();
    sink_.report(std::move(d));
  }
  resources_.push_back(std::move(r));
}

}  // namespace meshc::frontend
