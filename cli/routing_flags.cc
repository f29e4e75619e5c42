// The routing commands' shared flags: one registration, one meaning.
#include "cli/routing_flags.h"

#include <CLI/CLI.hpp>

namespace meshc::cli {

Expected<ProxySpec> RoutingFlags::proxy() const {
  return proxyFromFlags(gateway, sidecar, proxy_namespace, default_namespace);
}

Expected<std::optional<ProxySpec>> RoutingFlags::defaultProxy() const {
  if (!proxyGiven()) {
    if (!proxy_namespace.empty()) {
      return Status::error(StatusCode::kInvalidArgument,
                           "-n names the proxy's namespace; give --gateway or --sidecar with it");
    }
    return std::optional<ProxySpec>();
  }
  Expected<ProxySpec> p = proxy();
  if (!p) {
    return p.status();
  }
  return std::optional<ProxySpec>(std::move(*p));
}

Expected<RoutingInput> RoutingFlags::load(SourceManager& sources,
                                          const std::vector<std::string>& extra) const {
  std::vector<std::string> paths = files;
  paths.insert(paths.end(), extra.begin(), extra.end());
  return loadRouting(paths, default_namespace, mesh_config, sources);
}

void addRoutingFlags(CLI::App& sub, RoutingFlags& flags, EngineFlag engine) {
  sub.add_option("-f,--file", flags.files, "manifests: files, directories or - (repeatable)")
      ->allow_extra_args(false);
  sub.add_option("--gateway", flags.gateway,
                 "the proxy is a gateway with these labels, e.g. istio=ingressgateway");
  sub.add_option("--sidecar", flags.sidecar,
                 "the proxy is the sidecar of a workload with these labels, e.g. app=web");
  sub.add_option("-n,--namespace", flags.proxy_namespace,
                 "the proxy's namespace (default istio-system for a gateway, "
                 "--default-namespace for a sidecar)");
  sub.add_option("--default-namespace", flags.default_namespace,
                 "namespace of objects without metadata.namespace (as lint -n)")
      ->capture_default_str();
  sub.add_option("--mesh-config", flags.mesh_config, "MeshConfig file (or istio ConfigMap)");
  if (engine == EngineFlag::kRegister) {
    sub.add_option("--engine", flags.engine,
                   "route selection engine: native (default where supported), interpreter or "
                   "reference")
        ->check(CLI::IsMember({"native", "interpreter", "reference"}));
  }
}

}  // namespace meshc::cli
