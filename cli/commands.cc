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
std::function<int()> setupEndpoints(CLI::App& sub);

const std::vector<Command>& commandTable() {
  static const std::vector<Command> kCommands = {
      {"lint", "check manifests: YAML, schema, Istio validation rules and analyzers",
       "meshc lint samples/shop", setupLint},
      {"schema", "print the JSON Schema meshc validates a kind against",
       "meshc schema VirtualService", setupSchema},
      {"simulate", "show where a request goes through a gateway or sidecar proxy",
       "meshc simulate -f samples/shop --gateway istio=ingressgateway "
       "'GET https://shop.example.com/api/cart'",
       setupSimulate},
      {"test", "run route test files against manifests, with coverage and JUnit output",
       "meshc test -f samples/shop samples/tests/shop.test.yaml --coverage", setupTest},
      {"diff", "replay requests against two config sets and report changed decisions",
       "meshc diff --old samples/shop --new samples/shop --requests "
       "samples/tests/shop.requests.jsonl",
       setupDiff},
      {"explain", "print a proxy's listeners, virtual hosts, routes and decision trees",
       "meshc explain -f samples/shop --sidecar app=frontend -n shop", setupExplain},
      {"compile", "compile one proxy's routing into a checksummed bundle (routes.mcb)",
       "meshc compile -f samples/shop --gateway istio=ingressgateway -o routes.mcb", setupCompile},
      {"inspect", "print a bundle's header, sections, listeners and route counts",
       "meshc compile -f samples/shop --gateway istio=ingressgateway -o routes.mcb && "
       "meshc inspect routes.mcb",
       setupInspect},
      {"endpoints", "write one proxy's cluster endpoints as meshproxy --endpoints JSON",
       "meshc endpoints -f samples/shop --sidecar app=web -n shop", setupEndpoints},
  };
  return kCommands;
}

std::string mainHelpFooter() {
  return "Exit codes:\n"
         "  0  clean: nothing at or above the failure threshold\n"
         "  1  findings at or above --fail-on (lint), failing tests (test), changed decisions\n"
         "     (diff), objects that would be rejected (compile)\n"
         "  2  usage error: unknown flag, bad argument, unreadable or malformed input file\n"
         "  3  internal error: a bug in meshc\n"
         "\n"
         "Example:\n"
         "  meshc lint samples/shop";
}

std::string exampleFooter(const Command& command) {
  return std::string("Example:\n  ") + command.example;
}

}  // namespace meshc::cli
