// Test helpers: run the real loader / validators / lint pipeline over inline YAML.
#pragma once

#include <algorithm>
#include <string>
#include <vector>

#include "frontend/lint.h"
#include "frontend/loader.h"
#include "frontend/validation/validate.h"
#include "support/diagnostic.h"
#include "support/source.h"

namespace meshc::testing {

/// Loads YAML text (as file "test.yaml") and keeps everything alive for inspection.
struct Loaded {
  SourceManager sources;
  DiagnosticSink sink;
  frontend::Loader loader{sources, sink};
  explicit Loaded(std::string yaml) { loader.addText("test.yaml", std::move(yaml)); }
  const std::vector<frontend::Resource>& resources() const { return loader.resources(); }
};

/// Webhook validation only (section A) over every object in the text; loader findings included.
inline std::vector<Diagnostic> validateYaml(std::string yaml) {
  Loaded l(std::move(yaml));
  for (const frontend::Resource& r : l.resources()) {
    frontend::Reporter rep(r, l.sink);
    frontend::validation::validateResource(r, rep);
  }
  return l.sink.diagnostics();
}

/// The whole lint pipeline (schema, validation, analyzers, suppression) over one file.
inline frontend::LintResult lintYaml(std::string yaml, frontend::LintOptions options = {}) {
  static SourceManager* keep = nullptr;  // diagnostics refer to files by id only
  delete keep;
  keep = new SourceManager();
  return frontend::lintTexts({{"test.yaml", std::move(yaml)}}, *keep, options);
}

inline bool hasId(const std::vector<Diagnostic>& diags, std::string_view id) {
  return std::any_of(diags.begin(), diags.end(), [&](const Diagnostic& d) { return d.id == id; });
}

/// The first diagnostic with `id`, or null.
inline const Diagnostic* findId(const std::vector<Diagnostic>& diags, std::string_view id) {
  auto it =
      std::find_if(diags.begin(), diags.end(), [&](const Diagnostic& d) { return d.id == id; });
  return it == diags.end() ? nullptr : &*it;
}

inline int countId(const std::vector<Diagnostic>& diags, std::string_view id) {
  return static_cast<int>(
      std::count_if(diags.begin(), diags.end(), [&](const Diagnostic& d) { return d.id == id; }));
}

/// "id@line:col" for each diagnostic, handy in failure output.
inline std::string describe(const std::vector<Diagnostic>& diags) {
  std::string out;
  for (const Diagnostic& d : diags) {
    out += d.id + "@" + std::to_string(d.loc.line) + ":" + std::to_string(d.loc.column) + " " +
           std::string(severityName(d.severity)) + ": " + d.message + "\n";
  }
  return out;
}

}  // namespace meshc::testing
