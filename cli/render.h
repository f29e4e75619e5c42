// Renderers for lint results: text (with source line and caret), JSON, SARIF 2.1.0, istioctl.
// Entry points: renderText(), renderJson(), renderSarif(), renderIstioctl().
#pragma once

#include <string>

#include "frontend/lint.h"
#include "support/source.h"

namespace meshc::cli {

struct TextStyle {
  bool color = false;
  bool quiet = false;  // diagnostics only: no success line, no summary
};

/// `path:line:col: severity[id]: message`, the source line and a caret line, then a summary;
/// with no diagnostics, istioctl's success line (successLine()) before the summary.
std::string renderText(const frontend::LintResult& result, const SourceManager& sources,
                       const TextStyle& style);
/// Exactly one JSON object: {"diagnostics": [...], "summary": {...}}.
std::string renderJson(const frontend::LintResult& result, const SourceManager& sources);
/// SARIF 2.1.0 for GitHub code scanning.
std::string renderSarif(const frontend::LintResult& result, const SourceManager& sources);
/// `istioctl analyze` log lines on stdout; stderr_out receives what istioctl prints on stderr.
std::string renderIstioctl(const frontend::LintResult& result, const SourceManager& sources,
                           std::string* stderr_out);
/// istioctl's "✔ No validation issues found when analyzing N files." with its newline.
std::string successLine(const frontend::LintResult& result);
/// One-line summary: "2 errors, 1 warning, 0 infos in 5 resources from 3 files".
std::string summaryLine(const frontend::LintResult& result);

}  // namespace meshc::cli
