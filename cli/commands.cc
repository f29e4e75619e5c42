// The subcommand table.
#include "cli/commands.h"

#include <CLI/CLI.hpp>

namespace meshc::cli {

std::function<int()> setupLint(CLI::App& sub);
std::function<int()> setupSchema(CLI::App& sub);

const std::vector<Command>& commandTable() {
  static const std::vector<Command> kCommands = {
      {"lint", "check manifests: YAML, schema, Istio validation rules and analyzers", setupLint},
      {"schema", "print the JSON Schema meshc validates a kind against", setupSchema},
  };
  return kCommands;
}

}  // namespace meshc::cli
