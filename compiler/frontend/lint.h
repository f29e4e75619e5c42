// The lint pipeline: load → schema → webhook validation → analyzers → suppression.
// Entry point: runLint(); the CLI renders its result.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "frontend/loader.h"
#include "frontend/mesh_config.h"
#include "support/diagnostic.h"
#include "support/source.h"

namespace meshc::frontend {

struct Suppression {
  std::string code;      // IST code or meshc id; "*" = every code
  std::string resource;  // glob over "Kind ns/name" (also accepts the legacy "Kind name.ns")
};

/// A check that needs more than the frontend has (route shadowing needs lowering and the IR);
/// the CLI plugs it in. It sees every loaded object and may report into the sink.
using ExtraCheck = std::function<void(const std::vector<Resource>& resources,
                                      const MeshConfig& mesh, DiagnosticSink& sink)>;

struct LintOptions {
  std::vector<std::string> paths;  // files, directories, "-" for stdin
  std::string default_namespace = "default";
  std::string mesh_config_path;  // empty: Istio's defaults
  std::string mesh_config_text;  // lintTexts() only: MeshConfig YAML given inline
  std::vector<Suppression> suppressions;
  std::vector<ExtraCheck> extra_checks;  // run after the analyzers, before suppression
};

struct LintResult {
  std::vector<Diagnostic> diagnostics;  // sorted, suppressed ones removed
  int files = 0;
  int resources = 0;
  std::map<std::string, int> skipped_kinds;
  std::vector<std::string> analyzers_run;
  std::vector<std::pair<std::string, std::string>> analyzers_skipped;  // name, reason
  int suppressed = 0;
};

/// What a lint run loaded, kept alive for commands that go on to route (simulate, test, ...).
struct LintSession {
  DiagnosticSink sink;
  std::vector<std::unique_ptr<YamlArena>> arenas;
  std::unique_ptr<Loader> loader;
  MeshConfig mesh;
  const std::vector<Resource>& resources() const { return loader->resources(); }
};

/// Runs the whole pipeline. A path that cannot be read is a Status error (usage error, exit 2).
/// When keep is given it receives the loaded objects and mesh config.
Expected<LintResult> runLint(const LintOptions& options, SourceManager& sources,
                             std::shared_ptr<LintSession>* keep = nullptr);

/// The objects the Kubernetes API server and Istio's webhook would admit: those without
/// schema or webhook errors (istio code IST0106) and without YAML-level errors. Analyzer findings
/// do not reject an object. Returns copies whose schema_valid is false for rejected objects.
std::vector<Resource> admittedResources(const std::vector<Resource>& resources,
                                        const std::vector<Diagnostic>& diagnostics);

/// The same over already-loaded text (tests): each pair is (display path, content).
LintResult lintTexts(const std::vector<std::pair<std::string, std::string>>& files,
                     SourceManager& sources, const LintOptions& options = {});

/// Parses "CODE=Kind ns/name" as istioctl's --suppress does; nullopt when malformed.
std::optional<Suppression> parseSuppression(std::string_view text);

}  // namespace meshc::frontend
