// meshc entry point: parses the command line with CLI11 and runs one subcommand.
#include <CLI/CLI.hpp>

#include <exception>
#include <iostream>

#include "cli/commands.h"

int main(int argc, char** argv) {
  using namespace meshc::cli;
  CLI::App app{"meshc: compiler, validator and simulator for Istio traffic configuration"};
  app.require_subcommand(1);
  app.set_version_flag("--version", std::string("meshc ") + MESHC_VERSION);
  app.footer(mainHelpFooter());
  std::vector<std::pair<CLI::App*, std::function<int()>>> runners;
  for (const Command& c : commandTable()) {
    CLI::App* sub = app.add_subcommand(c.name, c.help);
    sub->footer(exampleFooter(c));
    runners.emplace_back(sub, c.setup(*sub));
  }
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    app.exit(e);
    return kExitUsage;
  }
  try {
    for (auto& [sub, run] : runners) {
      if (sub->parsed()) {
        return run();
      }
    }
  } catch (const std::exception& e) {
    std::cerr << "meshc: internal error: " << e.what() << "\n";
    return kExitInternal;
  } catch (...) {
    std::cerr << "meshc: internal error\n";
    return kExitInternal;
  }
  return kExitUsage;
}
