// libFuzzer target over the loader, schema check, webhook validation, analyzers, route
// shadowing, and then routing: the typed model, per-proxy configuration for a gateway and a
// sidecar, the IR and requests through each. Entry point: LLVMFuzzerTestOneInput.
// Any input must yield diagnostics or answers, never a crash or a hang. Oracles (abort on
// violation): every diagnostic has a position inside the input and an id from the rule catalog;
// the IR interpreter, and the tree read back from a written bundle, agree with the reference.
#include <cstddef>
#include <cstdint>
#include <string>

#include "emit/bundle_writer.h"
#include "frontend/lint.h"
#include "frontend/model/model.h"
#include "frontend/rule_catalog.h"
#include "lower/proxy_config.h"
#include "routing_oracle.h"
#include "sim/route_lint.h"
#include "sim/simulate.h"

namespace {

using meshc::fuzz::oracleFailed;

// A position must name an input file, a line of it, and a column at most one past the line's
// last byte (a caret after the last character is how "missing value at end of line" points).
void checkPosition(const meshc::SourceManager& sources, const meshc::SourceLoc& loc,
                   const std::string& what) {
  if (loc.file >= sources.size()) {
    oracleFailed(what + ": file index " + std::to_string(loc.file) + " of " +
                 std::to_string(sources.size()) + " files");
  }
  const meshc::SourceFile& f = sources.file(loc.file);
  if (loc.line < 1 || loc.line > f.line_starts.size()) {
    oracleFailed(what + ": line " + std::to_string(loc.line) + " of a " +
                 std::to_string(f.line_starts.size()) + "-line file");
  }
  const size_t length = sources.lineText(loc.file, loc.line).size();
  if (loc.column < 1 || loc.column > length + 1) {
    oracleFailed(what + ": column " + std::to_string(loc.column) + " on line " +
                 std::to_string(loc.line) + " of " + std::to_string(length) + " bytes");
  }
}

void checkDiagnostics(const meshc::SourceManager& sources,
                      const std::vector<meshc::Diagnostic>& diagnostics) {
  for (const meshc::Diagnostic& d : diagnostics) {
    const std::string what = "diagnostic " + d.id + " \"" + d.message + "\"";
    if (meshc::frontend::findRule(d.id) == nullptr) {
      oracleFailed(what + ": id is not in the rule catalog");
    }
    checkPosition(sources, d.loc, what);
    for (const meshc::DiagnosticNote& n : d.notes) {
      if (n.loc.valid()) {
        checkPosition(sources, n.loc, what + ", note \"" + n.message + "\"");
      }
    }
    if (d.fixit) {
      checkPosition(sources, d.fixit->loc, what + ", fix-it");
    }
  }
}

void checkRouting(const meshc::sim::Simulator& sim, const meshc::SourceManager& sources) {
  const meshc::lower::ProxyConfig& config = sim.config();
  std::vector<meshc::ir::RouteProgram> programs;
  for (size_t i = 0; i < config.route_configs.size(); ++i) {
    meshc::fuzz::checkEnginesAgree(config.route_configs[i], sim.program(i), "interpreter");
    programs.push_back(sim.program(i));
  }
  // The same through the simulator, which also picks listener and filter chain.
  for (const char* url : {"GET http://a.example.com/api/x?q=1", "GET https://a.example.com/",
                          "GET http://reviews:9080/r"}) {
    auto req = meshc::sim::parseRequestLine(url);
    auto a = sim.run(*req, meshc::sim::EngineKind::kInterpreter);
    auto b = sim.run(*req, meshc::sim::EngineKind::kReference);
    if (a.outcome != b.outcome || a.vhost_index != b.vhost_index ||
        a.route_index != b.route_index) {
      oracleFailed(std::string("simulate ") + url + ": interpreter " +
                   meshc::sim::outcomeName(a.outcome) + " " + std::to_string(a.vhost_index) +
                   "/" + std::to_string(a.route_index) + ", reference " +
                   meshc::sim::outcomeName(b.outcome) + " " + std::to_string(b.vhost_index) +
                   "/" + std::to_string(b.route_index));
    }
  }
  // Write the bundle and read it back: the portable tree must still route like the reference.
  meshc::emit::BundleInputs inputs;
  inputs.config = &config;
  inputs.programs = &programs;
  for (uint32_t f = 0; f < sources.size(); ++f) {
    inputs.source_files.push_back(sources.path(f));
  }
  std::string bytes = meshc::emit::writeBundle(inputs);
  meshc::Expected<meshc::bundle::Bundle> back = meshc::bundle::readBundle(bytes, "fuzz.mcb");
  if (!back) {
    oracleFailed("a bundle just written does not read back: " + back.status().message());
  }
  if (back->programs.size() != config.route_configs.size()) {
    oracleFailed("a bundle just written reads back with another number of route configurations");
  }
  for (size_t i = 0; i < back->programs.size(); ++i) {
    meshc::fuzz::checkEnginesAgree(config.route_configs[i], back->programs[i], "bundle tree");
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  meshc::SourceManager sources;
  std::string text(reinterpret_cast<const char*>(data), size);
  meshc::frontend::LintOptions options;
  options.extra_checks.push_back(meshc::sim::checkRouteShadowing);
  std::vector<meshc::frontend::Resource> kept;
  options.extra_checks.push_back(
      [&kept](const std::vector<meshc::frontend::Resource>& resources,
              const meshc::frontend::MeshConfig&, meshc::DiagnosticSink& sink) {
        kept = meshc::frontend::admittedResources(resources, sink.diagnostics());
      });
  // The resources point into arenas owned by the lint run, so route inside the hook's lifetime:
  // lintTexts keeps them alive until it returns, hence the routing happens in a second hook.
  options.extra_checks.push_back([&kept, &sources](const std::vector<meshc::frontend::Resource>&,
                                                   const meshc::frontend::MeshConfig& mesh,
                                                   meshc::DiagnosticSink&) {
    meshc::model::ConfigSet config = meshc::model::buildConfigSet(kept, mesh);
    for (auto kind : {meshc::lower::ProxyIdentity::Kind::kGateway,
                      meshc::lower::ProxyIdentity::Kind::kSidecar}) {
      meshc::lower::ProxyIdentity proxy;
      proxy.kind = kind;
      proxy.name_space = kind == meshc::lower::ProxyIdentity::Kind::kGateway ? "istio-system" : "default";
      proxy.labels = {{"istio", "ingressgateway"}, {"app", "web"}};
      auto sim = meshc::sim::Simulator::create(meshc::lower::buildProxyConfig(config, proxy).config);
      if (!sim) {
        oracleFailed("the IR verifier rejected what lowering produced: " + sim.status().message());
      }
      checkRouting(**sim, sources);
    }
  });
  meshc::frontend::LintResult result = meshc::frontend::lintTexts({{"fuzz.yaml", text}}, sources, options);
  checkDiagnostics(sources, result.diagnostics);
  return 0;
}
