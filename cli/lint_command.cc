// `meshc lint`: options, output format selection, exit code from --fail-on.
#include <CLI/CLI.hpp>
#include <fmt/format.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <memory>

#include "base/quote.h"
#include "cli/commands.h"
#include "cli/render.h"
#include "frontend/lint.h"
#include "sim/route_lint.h"

namespace meshc::cli {

namespace {

struct LintFlags {
  std::vector<std::string> paths;
  std::vector<std::string> files;  // -f, as the routing commands spell it
  std::string output = "text";
  std::string fail_on = "error";
  std::vector<std::string> suppress;
  std::string mesh_config;
  std::string name_space = "default";
  std::string color = "auto";
  bool verbose = false;
  bool quiet = false;
};

bool useColor(const std::string& mode) {
  if (mode == "always") {
    return true;
  }
  if (mode == "never") {
    return false;
  }
  const char* no_color = std::getenv("NO_COLOR");
  if (no_color != nullptr && no_color[0] != '\0') {
    return false;
  }
  const char* term = std::getenv("TERM");
  if (term != nullptr && std::string_view(term) == "dumb") {
    return false;
  }
  return isatty(STDOUT_FILENO) != 0;
}

int runLintCommand(const LintFlags& flags) {
  frontend::LintOptions options;
  options.extra_checks.push_back(sim::checkRouteShadowing);
  options.paths = flags.files;
  options.paths.insert(options.paths.end(), flags.paths.begin(), flags.paths.end());
  options.default_namespace = flags.name_space;
  options.mesh_config_path = flags.mesh_config;
  for (const std::string& s : flags.suppress) {
    std::optional<frontend::Suppression> sup = frontend::parseSuppression(s);
    if (!sup) {
      std::cerr << fmt::format(
          "meshc lint: invalid --suppress {}; expected CODE=RESOURCE, e.g. "
          "'IST0102=VirtualService default/reviews'\n",
          quote(s));
      return kExitUsage;
    }
    options.suppressions.push_back(*sup);
  }
  if (options.paths.empty()) {
    std::cerr << "meshc lint: no input; give files, directories, or - for stdin\n";
    return kExitUsage;
  }
  SourceManager sources;
  Expected<frontend::LintResult> result = frontend::runLint(options, sources);
  if (!result) {
    std::cerr << "meshc lint: " << result.status().message() << "\n";
    return kExitUsage;
  }
  if (flags.verbose) {
    for (const std::string& a : result->analyzers_run) {
      std::cerr << "analyzer ran: " << a << "\n";
    }
    for (const auto& [a, why] : result->analyzers_skipped) {
      std::cerr << "analyzer skipped: " << a << " (" << why << ")\n";
    }
  }
  if (flags.output == "json") {
    std::cout << renderJson(*result, sources);
  } else if (flags.output == "sarif") {
    std::cout << renderSarif(*result, sources);
  } else if (flags.output == "istioctl") {
    std::string err;
    std::cout << renderIstioctl(*result, sources,
                                flags.quiet && result->diagnostics.empty() ? nullptr : &err);
    std::cerr << err;
  } else {
    TextStyle style;
    style.color = useColor(flags.color);
    style.quiet = flags.quiet;
    std::cout << renderText(*result, sources, style);
  }
  std::cout.flush();
  if (flags.fail_on == "none") {
    return kExitClean;
  }
  Severity threshold = flags.fail_on == "info"      ? Severity::kInfo
                       : flags.fail_on == "warning" ? Severity::kWarning
                                                    : Severity::kError;
  for (const Diagnostic& d : result->diagnostics) {
    if (d.severity >= threshold) {
      return kExitFindings;
    }
  }
  return kExitClean;
}

}  // namespace

std::function<int()> setupLint(CLI::App& sub) {
  auto flags = std::make_shared<LintFlags>();
  sub.add_option("paths", flags->paths, "files, directories (recursive), or - for stdin");
  sub.add_option("-f,--file", flags->files, "same as a PATH argument (repeatable), as in simulate")
      ->allow_extra_args(false);
  sub.add_option("-o,--output", flags->output, "output format")
      ->check(CLI::IsMember({"text", "json", "sarif", "istioctl"}));
  sub.add_option("--fail-on", flags->fail_on, "lowest severity that makes the exit code 1")
      ->check(CLI::IsMember({"error", "warning", "info", "none"}));
  sub.add_option("-S,--suppress", flags->suppress,
                 "suppress CODE=RESOURCE (glob over 'Kind ns/name'), repeatable");
  sub.add_option("--mesh-config", flags->mesh_config, "MeshConfig file (or istio ConfigMap)");
  sub.add_option("-n,--namespace,--default-namespace", flags->name_space,
                 "namespace of objects without metadata.namespace")
      ->capture_default_str();
  sub.add_option("--color", flags->color, "colour the text output")
      ->check(CLI::IsMember({"auto", "always", "never"}));
  sub.add_flag("-v,--verbose", flags->verbose, "list analyzers run and skipped on stderr");
  sub.add_flag("-q,--quiet", flags->quiet,
               "print the findings only: no success line and no summary");
  return [flags] { return runLintCommand(*flags); };
}

}  // namespace meshc::cli
