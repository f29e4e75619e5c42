// libFuzzer target over the loader, schema check, webhook validation, analyzers, route
// shadowing, and then routing: the typed model, per-proxy configuration for a gateway and a
// sidecar, the IR and one simulated request through each. Entry point: LLVMFuzzerTestOneInput.
// Any input must yield diagnostics or answers, never a crash or a hang.
#include <cstddef>
#include <cstdint>
#include <string>

#include "frontend/lint.h"
#include "frontend/model/model.h"
#include "lower/proxy_config.h"
#include "sim/route_lint.h"
#include "sim/simulate.h"

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
  options.extra_checks.push_back([&kept](const std::vector<meshc::frontend::Resource>&,
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
        __builtin_trap();  // the IR verifier rejected what lowering produced: a bug
      }
      for (const char* url : {"GET http://a.example.com/api/x?q=1", "GET https://a.example.com/",
                              "GET http://reviews:9080/r"}) {
        auto req = meshc::sim::parseRequestLine(url);
        (void)(*sim)->run(*req, meshc::sim::EngineKind::kInterpreter);
        (void)(*sim)->run(*req, meshc::sim::EngineKind::kReference);
      }
    }
  });
  meshc::frontend::LintResult result = meshc::frontend::lintTexts({{"fuzz.yaml", text}}, sources, options);
  (void)result;
  return 0;
}
