// A program built from meshc_runtime alone (no compiler library, no yaml-cpp, no valijson): loads
// a bundle, links its native code (or falls back to the portable tree) and routes one request,
// the way meshproxy will. tests/runtime/runtime_only_test.sh runs it and checks what it links.
// Usage: meshc_runtime_probe BUNDLE ROUTE_CONFIG HOST PATH [METHOD]
#include <cstdio>
#include <string>

#include "bundle/bundle_reader.h"
#include "routing/interpreter.h"
#include "routing/request.h"
#include "native/native_router.h"

int main(int argc, char** argv) {
  if (argc < 5) {
    std::fprintf(stderr, "usage: meshc_runtime_probe BUNDLE ROUTE_CONFIG HOST PATH [METHOD]\n");
    return 2;
  }
  auto bytes = meshc::bundle::readFileBytes(argv[1]);
  if (!bytes) {
    std::fprintf(stderr, "%s\n", bytes.status().message().c_str());
    return 2;
  }
  meshc::bundle::BundleErrorKind kind{};
  auto bundle = meshc::bundle::readBundle(*bytes, argv[1], &kind);
  if (!bundle) {
    std::fprintf(stderr, "error[%s]: %s\n", meshc::bundle::bundleErrorKindName(kind),
                 bundle.status().message().c_str());
    return 1;
  }
  std::string warning;
  auto native = meshc::native::loadBundleNative(*bundle, &warning);
  if (!warning.empty()) {
    std::fprintf(stderr, "warning: %s\n", warning.c_str());
  }
  size_t index = bundle->programs.size();
  for (size_t i = 0; i < bundle->config.route_configs.size(); ++i) {
    if (bundle->config.route_configs[i].name == argv[2]) {
      index = i;
    }
  }
  if (index == bundle->programs.size()) {
    std::fprintf(stderr, "no route configuration %s\n", argv[2]);
    return 2;
  }
  meshc::ir::HttpRequest request;
  request.authority = argv[3];
  request.path = argv[4];
  request.method = argc > 5 ? argv[5] : "GET";
  auto view = meshc::ir::RequestView::create(request);
  const auto& program = bundle->programs[index];
  auto decision = native != nullptr ? native->evaluate(index, program, view)
                                    : meshc::ir::evaluateProgram(program, view);
  const auto& rc = bundle->config.route_configs[index];
  std::printf("engine %s\n", native != nullptr ? "native" : "portable-tree");
  if (decision.kind != meshc::ir::RouteDecision::Kind::kRoute) {
    std::printf("%s\n", meshc::ir::describeDecision(decision).c_str());
    return 0;
  }
  const auto& vh = rc.virtual_hosts[decision.virtual_host];
  const auto& route = vh.routes[decision.route];
  std::printf("virtual host %s route %s cluster %s\n", vh.name.c_str(), route.name.c_str(),
              route.route.cluster.empty() ? "(weighted)" : route.route.cluster.c_str());
  return 0;
}
