// The meshc subcommands, declared as a table (name, help, how to register its flags, how to run).
// Entry point: commandTable(); main.cc wires it to CLI11.
#pragma once

#include <functional>
#include <string>
#include <vector>

namespace CLI {
class App;
}

namespace meshc::cli {

/// Exit codes a pipeline can trust.
enum ExitCode : int {
  kExitClean = 0,     // nothing at or above the failure threshold
  kExitFindings = 1,  // findings at or above --fail-on
  kExitUsage = 2,     // unknown flag, unreadable path, bad argument
  kExitInternal = 3,  // a bug in meshc
};

struct Command {
  const char* name;
  const char* help;
  /// One command line that works from a checkout's root (on samples/) and exits 0; the last
  /// line of the subcommand's --help. A test runs every one.
  const char* example;
  /// Registers the subcommand's options; returns the function that runs it.
  std::function<std::function<int()>(CLI::App& sub)> setup;
};

const std::vector<Command>& commandTable();

/// The end of `meshc --help`: the exit codes, then an example.
std::string mainHelpFooter();

/// The end of a subcommand's --help: "Example:" and its example.
std::string exampleFooter(const Command& command);

}  // namespace meshc::cli
