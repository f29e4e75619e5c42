// The subcommand table.
#include "cli/commands.h"

#include <CLI/CLI.hpp>

namespace meshc::cli {

std::function<int()> setupLint(CLI::App& sub);
std::function<int()> setupSchema(CLI::App& sub);
std::function<int()> setupSimulate(CLI::App& sub);
std::function<int()> setupTest(CLI::App& sub);
std::function<int()> setupDiff(CLI::App& sub);
std::function<int()> setupExplain(CLI::App& sub);
std::function<int()> setupCompile(CLI::App& sub);
std::function<int()> setupInspect(CLI::App& sub);

const std::vector<Command>& commandTable() {
  static const std::vector<Command> kCommands = {
      {"lint", "check manifests: YAML, schema, Istio validation rules and analyzers", setupLint},
      {"schema", "print the JSON Schema meshc validates a kind against", setupSchema},
      {"simulate", "show where a request goes through a gateway or sidecar proxy", setupSimulate},
      {"test", "run route test files against manifests, with coverage and JUnit output", setupTest},
      {"diff", "replay requests against two config sets and report changed decisions", setupDiff},
      {"explain", "print a proxy's listeners, virtual hosts, routes and decision trees", setupExplain},
      {"compile", "compile one proxy's routing into a checksummed bundle (routes.mcb)", setupCompile},
      {"inspect", "print a bundle's header, sections, listeners and route counts", setupInspect},
  };
  return kCommands;
}

}  // namespace meshc::cli
