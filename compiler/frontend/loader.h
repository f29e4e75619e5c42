// Loader: reads files, directories and stdin, splits YAML documents into Resources.
// Entry points: Loader::addPath(), Loader::addText(), Loader::resources().
#pragma once

#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "frontend/resource.h"
#include "frontend/yaml_tree.h"
#include "support/diagnostic.h"
#include "support/source.h"
#include "base/status.h"

namespace meshc::frontend {

struct LoaderOptions {
  std::string default_namespace = "default";
  ParseLimits limits;
};

/// Accumulates the objects of every input; problems with the text become diagnostics.
class Loader {
 public:
  Loader(SourceManager& sources, DiagnosticSink& sink, LoaderOptions options = {});

  /// A file, or a directory read recursively (*.yaml, *.yml, *.json, in sorted order), or "-"
  /// for stdin. Fails (kNotFound / kIoError) only when the named path itself cannot be read.
  Status addPath(const std::string& path);
  /// Parses text as if read from a file called display_path (tests, stdin).
  void addText(std::string display_path, std::string text);

  std::vector<Resource>& resources() { return resources_; }
  const std::vector<Resource>& resources() const { return resources_; }
  /// Objects of kinds meshc does not understand, by "group/version Kind".
  const std::map<std::string, int>& skippedKinds() const { return skipped_; }
  int filesRead() const { return files_read_; }
  int documentsRead() const { return documents_read_; }

 private:
  void addFile(uint32_t file_id);
  void addObject(const Node& root, SourceLoc doc_start);

  SourceManager& sources_;
  DiagnosticSink& sink_;
  LoaderOptions options_;
  std::vector<std::unique_ptr<YamlArena>> arenas_;
  std::vector<Resource> resources_;
  std::map<std::string, int> skipped_;
  int files_read_ = 0;
  int documents_read_ = 0;
};

}  // namespace meshc::frontend
