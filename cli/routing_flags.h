// The flags every routing command (simulate, test, diff, explain, compile) shares, registered in
// one place so they are spelled, described and defaulted alike. Entry point: addRoutingFlags().
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "cli/routing_input.h"

namespace CLI {
class App;
}

namespace meshc::cli {

struct RoutingFlags {
  std::vector<std::string> files;             // -f/--file: manifests (files, directories, -)
  std::string gateway;                        // --gateway LABELS
  std::string sidecar;                        // --sidecar LABELS
  std::string proxy_namespace;                // -n/--namespace: the proxy's namespace
  std::string default_namespace = "default";  // --default-namespace: objects without one
  std::string mesh_config;                    // --mesh-config FILE
  std::string engine;                         // --engine; "" = native where supported

  /// --gateway or --sidecar was given.
  bool proxyGiven() const { return !gateway.empty() || !sidecar.empty(); }
  /// The proxy from --gateway/--sidecar/-n; fails with a usage message unless exactly one of
  /// --gateway and --sidecar is given. A sidecar's namespace defaults to --default-namespace.
  Expected<ProxySpec> proxy() const;
  /// The proxy for request lines and tests that name none: the flags' proxy when given,
  /// nothing otherwise; fails on bad labels.
  Expected<std::optional<ProxySpec>> defaultProxy() const;
  /// Loads `files` (plus `extra`) as the API server would admit them, with --default-namespace
  /// and --mesh-config.
  Expected<RoutingInput> load(SourceManager& sources,
                              const std::vector<std::string>& extra = {}) const;
};

/// Which of the shared flags a command takes: all take the manifests and proxy flags; only
/// commands that route requests take --engine.
enum class EngineFlag { kNone, kRegister };

/// Registers -f/--file, --gateway, --sidecar, -n/--namespace, --default-namespace,
/// --mesh-config and (with kRegister) --engine on `sub`, writing into `flags`.
void addRoutingFlags(CLI::App& sub, RoutingFlags& flags, EngineFlag engine);

}  // namespace meshc::cli
