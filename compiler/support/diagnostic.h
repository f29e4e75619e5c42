// Diagnostics: findings about user input, collected in a sink and rendered only by cli/.
// Entry points: Diagnostic, DiagnosticSink::report(), sortDiagnostics().
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "support/source.h"

namespace meshc {

enum class Severity { kInfo = 0, kWarning = 1, kError = 2 };

/// "error", "warning", "info".
const char* severityName(Severity s);

/// The Kubernetes object a finding belongs to; kind is empty for findings about a file.
struct ResourceRef {
  std::string kind;
  std::string name_space;  // empty for cluster-scoped objects
  std::string name;
  bool empty() const { return kind.empty(); }
  /// "Kind ns/name" (or "Kind name" without a namespace), the form istioctl prints.
  std::string friendlyName() const;
};

struct DiagnosticNote {
  std::string message;
  SourceLoc loc;
};

struct FixIt {
  SourceLoc loc;
  uint32_t length = 0;  // bytes replaced at loc
  std::string replacement;
};

struct Diagnostic {
  std::string id;          // Istio's IST code where it has one, else a kebab-case id
  std::string istio_code;  // what `istioctl analyze` would print (IST0106 for webhook errors); may be empty
  Severity severity = Severity::kError;
  std::string message;  // starts lower-case; says what was expected and what was found
  SourceLoc loc;
  uint32_t length = 1;  // bytes underlined by the caret line
  ResourceRef resource;
  std::vector<DiagnosticNote> notes;
  std::optional<FixIt> fixit;
};

/// Collects diagnostics; libraries push, cli/ renders.
class DiagnosticSink {
 public:
  void report(Diagnostic d) { diags_.push_back(std::move(d)); }
  const std::vector<Diagnostic>& diagnostics() const { return diags_; }
  std::vector<Diagnostic>& mutableDiagnostics() { return diags_; }
  size_t size() const { return diags_.size(); }

 private:
  std::vector<Diagnostic> diags_;
};

/// Sorts by file path, line, column, then id and message; drops exact duplicates.
void sortDiagnostics(std::vector<Diagnostic>& diags, const SourceManager& sources);

}  // namespace meshc
