// Lint result renderers. Libraries never print; this is where diagnostics become text.
#include "cli/render.h"

#include <fmt/format.h>

#include <algorithm>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <tuple>

#include "base/ascii.h"
#include "frontend/rule_catalog.h"

namespace meshc::cli {

namespace {

using nlohmann::json;

struct Counts {
  int errors = 0;
  int warnings = 0;
  int infos = 0;
};

Counts countSeverities(const frontend::LintResult& r) {
  Counts c;
  for (const Diagnostic& d : r.diagnostics) {
    switch (d.severity) {
      case Severity::kError:
        ++c.errors;
        break;
      case Severity::kWarning:
        ++c.warnings;
        break;
      case Severity::kInfo:
        ++c.infos;
        break;
    }
  }
  return c;
}

std::string plural(int n, std::string_view word) {
  return fmt::format("{} {}{}", n, word, n == 1 ? "" : "s");
}

std::string locPrefix(const SourceManager& sources, SourceLoc loc) {
  if (!loc.valid()) {
    return "<input>";
  }
  return fmt::format("{}:{}:{}", sources.path(loc.file), loc.line, loc.column);
}

const char* kReset = "\033[0m";
const char* kBold = "\033[1m";

const char* severityColor(Severity s) {
  switch (s) {
    case Severity::kError:
      return "\033[1;31m";
    case Severity::kWarning:
      return "\033[1;35m";
    case Severity::kInfo:
      return "\033[1;36m";
  }
  return "";
}

// Terminal columns of the code point starting at line[i] (its byte length in *len): 0 for
// combining marks, 2 for East Asian wide and emoji, else 1. Columns in diagnostics count bytes;
// the caret line counts what the terminal draws.
int charWidth(std::string_view line, size_t i, size_t* len) {
  unsigned char c = static_cast<unsigned char>(line[i]);
  size_t n = c < 0x80 ? 1 : (c >> 5) == 0x6 ? 2 : (c >> 4) == 0xE ? 3 : (c >> 3) == 0x1E ? 4 : 1;
  if (i + n > line.size()) {
    n = 1;
  }
  char32_t cp = n == 1 ? c : c & (0x7F >> n);
  for (size_t k = 1; k < n; ++k) {
    cp = (cp << 6) | (static_cast<unsigned char>(line[i + k]) & 0x3F);
  }
  *len = n;
  if ((cp >= 0x0300 && cp <= 0x036F) || (cp >= 0x200B && cp <= 0x200F) ||
      (cp >= 0xFE00 && cp <= 0xFE0F)) {
    return 0;
  }
  if ((cp >= 0x1100 && cp <= 0x115F) || (cp >= 0x2E80 && cp <= 0xA4CF) ||
      (cp >= 0xAC00 && cp <= 0xD7A3) || (cp >= 0xF900 && cp <= 0xFAFF) ||
      (cp >= 0xFE30 && cp <= 0xFE4F) || (cp >= 0xFF00 && cp <= 0xFF60) ||
      (cp >= 0xFFE0 && cp <= 0xFFE6) || (cp >= 0x1F300 && cp <= 0x1FAFF) ||
      (cp >= 0x20000 && cp <= 0x3FFFD)) {
    return 2;
  }
  return 1;
}

// Terminal columns of line[from, to): tabs are kept by the caller, so a tab counts 0 here.
size_t displayWidth(std::string_view line, size_t from, size_t to) {
  size_t width = 0;
  for (size_t i = from; i < to && i < line.size();) {
    size_t len = 1;
    width += line[i] == '\t' ? 0 : charWidth(line, i, &len);
    i += len;
  }
  return width;
}

// The source line, then a caret line that keeps the line's tabs so the caret lines up. The
// caret sits under the character at byte column loc.column and underlines `length` bytes,
// both measured in what the terminal draws (UTF-8 characters, wide characters).
void appendSnippet(std::string& out, const SourceManager& sources, SourceLoc loc, uint32_t length,
                   const TextStyle& style) {
  if (!loc.valid()) {
    return;
  }
  std::string_view line = sources.lineText(loc.file, loc.line);
  if (line.empty() && loc.line == 0) {
    return;
  }
  out += line;
  out += '\n';
  std::string caret;
  size_t col = loc.column > 0 ? loc.column - 1 : 0;
  for (size_t i = 0; i < col && i < line.size();) {
    size_t len = 1;
    if (line[i] == '\t') {
      caret += '\t';
    } else {
      caret.append(static_cast<size_t>(charWidth(line, i, &len)), ' ');
    }
    i += len;
  }
  for (size_t i = line.size(); i < col; ++i) {
    caret += ' ';
  }
  size_t avail = line.size() > col ? line.size() - col : 1;
  size_t bytes = std::max<size_t>(1, std::min<size_t>(length, avail));
  size_t width = col < line.size() ? displayWidth(line, col, col + bytes) : 1;
  size_t len = std::max<size_t>(1, width);
  std::string marks = "^" + std::string(len - 1, '~');
  if (style.color) {
    out += caret + "\033[1;32m" + marks + kReset + "\n";
  } else {
    out += caret + marks + "\n";
  }
}

std::string displayUri(const std::string& path) {
  std::filesystem::path p(path);
  std::string s = p.lexically_normal().generic_string();
  if (s.rfind("./", 0) == 0) {
    s = s.substr(2);
  }
  return s;
}

std::string capitalize(std::string s) {
  if (!s.empty()) {
    s[0] = ascii::toUpper(s[0]);
  }
  return s;
}

}  // namespace

std::string summaryLine(const frontend::LintResult& r) {
  Counts c = countSeverities(r);
  std::string line = fmt::format("{}, {}, {} in {} from {}", plural(c.errors, "error"),
                                 plural(c.warnings, "warning"), plural(c.infos, "info"),
                                 plural(r.resources, "resource"), plural(r.files, "file"));
  if (r.suppressed > 0) {
    line += fmt::format("; {} suppressed", r.suppressed);
  }
  if (!r.skipped_kinds.empty()) {
    int total = 0;
    std::string kinds;
    for (const auto& [k, n] : r.skipped_kinds) {
      total += n;
      kinds += fmt::format("{}{}: {}", kinds.empty() ? "" : ", ", k, n);
    }
    line += fmt::format("; skipped {} of kinds meshc does not check ({})",
                        plural(total, "object"), kinds);
  }
  return line;
}

std::string successLine(const frontend::LintResult& result) {
  return fmt::format("\u2714 No validation issues found when analyzing {}.\n",
                     plural(result.files, "file"));
}

std::string renderText(const frontend::LintResult& result, const SourceManager& sources,
                       const TextStyle& style) {
  std::string out;
  for (const Diagnostic& d : result.diagnostics) {
    std::string where = locPrefix(sources, d.loc);
    if (style.color) {
      out += fmt::format("{}{}:{} {}{}[{}]:{} {}{}{}\n", kBold, where, kReset,
                         severityColor(d.severity), severityName(d.severity), d.id, kReset, kBold,
                         d.message, kReset);
    } else {
      out += fmt::format("{}: {}[{}]: {}\n", where, severityName(d.severity), d.id, d.message);
    }
    appendSnippet(out, sources, d.loc, d.length, style);
    for (const DiagnosticNote& n : d.notes) {
      out += fmt::format("{}: note: {}\n", locPrefix(sources, n.loc), n.message);
      appendSnippet(out, sources, n.loc, 1, style);
    }
  }
  if (style.quiet) {
    return out;
  }
  if (result.diagnostics.empty()) {
    out += successLine(result);
  }
  out += summaryLine(result) + "\n";
  return out;
}

namespace {

json diagnosticJson(const Diagnostic& d, const SourceManager& sources) {
  json j;
  j["id"] = d.id;
  j["severity"] = severityName(d.severity);
  j["message"] = d.message;
  j["file"] = d.loc.valid() ? json(sources.path(d.loc.file)) : json(nullptr);
  j["line"] = d.loc.valid() ? json(d.loc.line) : json(nullptr);
  j["column"] = d.loc.valid() ? json(d.loc.column) : json(nullptr);
  if (d.resource.empty()) {
    j["resource"] = nullptr;
  } else {
    j["resource"] = {{"kind", d.resource.kind},
                     {"namespace", d.resource.name_space},
                     {"name", d.resource.name}};
  }
  if (!d.istio_code.empty()) {
    j["istioCode"] = d.istio_code;
  }
  if (!d.notes.empty()) {
    json notes = json::array();
    for (const DiagnosticNote& n : d.notes) {
      notes.push_back({{"message", n.message},
                       {"file", n.loc.valid() ? json(sources.path(n.loc.file)) : json(nullptr)},
                       {"line", n.loc.line},
                       {"column", n.loc.column}});
    }
    j["notes"] = notes;
  }
  return j;
}

}  // namespace

std::string renderJson(const frontend::LintResult& result, const SourceManager& sources) {
  json diags = json::array();
  for (const Diagnostic& d : result.diagnostics) {
    diags.push_back(diagnosticJson(d, sources));
  }
  Counts c = countSeverities(result);
  json skipped = json::object();
  for (const auto& [k, n] : result.skipped_kinds) {
    skipped[k] = n;
  }
  json summary = {{"errors", c.errors},       {"warnings", c.warnings},
                  {"infos", c.infos},         {"files", result.files},
                  {"resources", result.resources}, {"suppressed", result.suppressed},
                  {"skippedKinds", skipped}};
  json root = {{"diagnostics", diags}, {"summary", summary}};
  return root.dump(2) + "\n";
}

std::string renderSarif(const frontend::LintResult& result, const SourceManager& sources) {
  // Rules: every catalog entry that occurs in the results, in first-seen order.
  json rules = json::array();
  std::vector<std::string> rule_ids;
  json results = json::array();
  auto sarif_level = [](Severity s) {
    return s == Severity::kError ? "error" : (s == Severity::kWarning ? "warning" : "note");
  };
  for (const Diagnostic& d : result.diagnostics) {
    auto it = std::find(rule_ids.begin(), rule_ids.end(), d.id);
    size_t index = static_cast<size_t>(it - rule_ids.begin());
    if (it == rule_ids.end()) {
      rule_ids.push_back(d.id);
      const frontend::RuleInfo* info = frontend::findRule(d.id);
      json rule = {{"id", d.id}};
      std::string title = info ? std::string(info->title) : d.id;
      std::string help = info ? std::string(info->help) : title;
      rule["name"] = d.id;
      rule["shortDescription"] = {{"text", title}};
      rule["fullDescription"] = {{"text", help}};
      rule["help"] = {{"text", help}};
      rule["defaultConfiguration"] = {{"level", sarif_level(info ? info->severity : d.severity)}};
      if (!d.istio_code.empty()) {
        rule["properties"] = {{"istioCode", d.istio_code}};
      }
      rules.push_back(rule);
    }
    json res = {{"ruleId", d.id},
                {"ruleIndex", index},
                {"level", sarif_level(d.severity)},
                {"message", {{"text", d.message}}}};
    if (d.loc.valid()) {
      json region = {{"startLine", d.loc.line}, {"startColumn", d.loc.column}};
      region["endColumn"] = d.loc.column + std::max<uint32_t>(1, d.length);
      res["locations"] = json::array(
          {{{"physicalLocation",
             {{"artifactLocation", {{"uri", displayUri(sources.path(d.loc.file))}}},
              {"region", region}}}}});
      if (!d.resource.empty()) {
        res["locations"][0]["logicalLocations"] = json::array(
            {{{"name", d.resource.name},
              {"fullyQualifiedName", d.resource.friendlyName()},
              {"kind", "resource"}}});
      }
    }
    results.push_back(res);
  }
  json driver = {{"name", "meshc"},
                 {"version", MESHC_VERSION},
                 {"informationUri", "https://istio.io/latest/docs/reference/config/analysis/"},
                 {"rules", rules}};
  json run = {{"tool", {{"driver", driver}}}, {"results", results}};
  json root = {{"$schema", "https://json.schemastore.org/sarif-2.1.0.json"},
               {"version", "2.1.0"},
               {"runs", json::array({run})}};
  return root.dump(2) + "\n";
}

std::string renderIstioctl(const frontend::LintResult& result, const SourceManager& sources,
                           std::string* stderr_out) {
  struct Line {
    Severity severity;
    std::string code;
    std::string resource;
    std::string text;
  };
  std::vector<Line> lines;
  std::string parse_errors;
  for (const Diagnostic& d : result.diagnostics) {
    if (d.istio_code.empty()) {
      // istioctl cannot load such files at all; it reports them on stderr.
      parse_errors += fmt::format("{}: {}\n", locPrefix(sources, d.loc), d.message);
      continue;
    }
    std::string origin = d.resource.empty() ? "" : d.resource.friendlyName();
    std::string ref;
    if (d.loc.valid()) {
      std::string path = sources.path(d.loc.file);
      // istioctl keeps no line numbers for .json inputs.
      bool json_file = path.size() >= 5 && path.compare(path.size() - 5, 5, ".json") == 0;
      ref = json_file ? "" : fmt::format(" {}:{}", path, d.loc.line);
    }
    std::string level = d.severity == Severity::kError
                            ? "Error"
                            : (d.severity == Severity::kWarning ? "Warning" : "Info");
    lines.push_back(Line{d.severity, d.istio_code, origin,
                         fmt::format("{} [{}] ({}{}) {}", level, d.istio_code, origin, ref,
                                     capitalize(d.message))});
  }
  std::sort(lines.begin(), lines.end(), [](const Line& a, const Line& b) {
    return std::make_tuple(-static_cast<int>(a.severity), a.code, a.resource, a.text) <
           std::make_tuple(-static_cast<int>(b.severity), b.code, b.resource, b.text);
  });
  lines.erase(std::unique(lines.begin(), lines.end(),
                          [](const Line& a, const Line& b) { return a.text == b.text; }),
              lines.end());
  std::string out;
  for (const Line& l : lines) {
    out += l.text + "\n";
  }
  if (stderr_out != nullptr) {
    if (!parse_errors.empty()) {
      *stderr_out += "Error(s) adding files:\n" + parse_errors;
    }
    if (lines.empty()) {
      *stderr_out += successLine(result);
    }
  }
  return out;
}

}  // namespace meshc::cli
