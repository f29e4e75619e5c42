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

const std::vector<Command>& commandTable() {
  static const std::vector<Command> kCommands = {
      {"lint", "check manifests: YAML, schema, Istio validation rules and analyzers", setupLint},
      {"schema", "print the JSON Schema meshc validates a kind against", setupSchema},
      {"simulate", "show where a request goes through a gateway or sidecar proxy", setupSimulate},
      {"test", "run route test files against manifests, with coverage and JUnit output", setupTest},
      {"diff", "replay requests against two config sets and report changed decisions", setupDiff},
      {"explain", "print a proxy's listeners, virtual hosts, routes and decision trees", setupExplain},
  };
  return kCommands;
}

}  // namespace meshc::cli
