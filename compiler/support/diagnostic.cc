// Diagnostic helpers: names, friendly resource names, ordering.
#include "support/diagnostic.h"

#include <algorithm>
#include <tuple>

namespace meshc {

const char* severityName(Severity s) {
  switch (s) {
    case Severity::kInfo:
      return "info";
    case Severity::kWarning:
      return "warning";
    case Severity::kError:
      return "error";
  }
  return "error";
}

std::string ResourceRef::friendlyName() const {
  if (name_space.empty()) {
    return kind + " " + name;
  }
  return kind + " " + name_space + "/" + name;
}

void sortDiagnostics(std::vector<Diagnostic>& diags, const SourceManager& sources) {
  auto path_of = [&](const Diagnostic& d) -> std::string_view {
    return d.loc.valid() ? std::string_view(sources.path(d.loc.file)) : std::string_view();
  };
  auto key = [&](const Diagnostic& d) {
    return std::make_tuple(path_of(d), d.loc.line, d.loc.column, std::string_view(d.id),
                           std::string_view(d.message), d.resource.friendlyName());
  };
  std::stable_sort(diags.begin(), diags.end(),
                   [&](const Diagnostic& a, const Diagnostic& b) { return key(a) < key(b); });
  diags.erase(std::unique(diags.begin(), diags.end(),
                          [&](const Diagnostic& a, const Diagnostic& b) {
                            return key(a) == key(b) && a.severity == b.severity;
                          }),
              diags.end());
}

}  // namespace meshc
