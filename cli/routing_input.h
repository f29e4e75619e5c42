// Shared plumbing of the routing commands (simulate, test, diff, explain): load manifests as the
// API server would admit them, pick a proxy, build its configuration and a simulator.
// Entry points: loadRouting(), ProxySpec, parseLabels(), resultToJson().
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "bundle/bundle_reader.h"
#include "frontend/lint.h"
#include "frontend/model/model.h"
#include "sim/simulate.h"
#include "support/source.h"

namespace meshc::cli {

/// Manifests loaded for routing, plus what was rejected along the way.
struct RoutingInput {
  std::shared_ptr<frontend::LintSession> session;
  frontend::LintResult lint;
  model::ConfigSet config;
  std::vector<std::string> rejected;  // "Kind ns/name: first error"
};

/// Loads paths (files, dirs, "-") like `meshc lint`, then keeps only the objects the API server
/// and Istio's webhook would admit. A path that cannot be read fails with the lint Status.
Expected<RoutingInput> loadRouting(const std::vector<std::string>& paths,
                                   const std::string& default_namespace,
                                   const std::string& mesh_config, SourceManager& sources);

/// Prints the rejected objects on stderr (once per run) so nobody simulates a config that
/// would never be applied without knowing it.
void warnRejected(const RoutingInput& input, std::string_view command);

/// "istio=ingressgateway,app=x" → map; fails on an entry without '='.
Expected<model::StringMap> parseLabels(std::string_view text);

/// A proxy as given by --gateway/--sidecar flags or a request file's "proxy" object.
struct ProxySpec {
  lower::ProxyIdentity identity;
  std::string key() const;  // for caching built simulators
};

/// From --gateway LABELS / --sidecar LABELS (exactly one non-empty) and -n NS (default
/// istio-system for gateways, `sidecar_namespace` for sidecars); fails with a usage message.
Expected<ProxySpec> proxyFromFlags(const std::string& gateway, const std::string& sidecar,
                                   const std::string& name_space,
                                   const std::string& sidecar_namespace = "default");

/// Reads {"kind", "namespace", "labels"}; the default namespace is istio-system for gateways,
/// `sidecar_namespace` for sidecars. A missing, unknown or wrongly typed field fails with a
/// usage message; `field`, when given, receives the offending field's dotted path
/// ("proxy.labels") so the caller can point at its line.
Expected<ProxySpec> proxyFromJson(const nlohmann::json& j,
                                  const std::string& sidecar_namespace = "default",
                                  std::string* field = nullptr);

/// One line of a request file: {"name", "proxy", "request"}, every field optional.
struct RequestLine {
  std::string name;
  std::optional<ProxySpec> proxy;  // absent: the command's default proxy, if any
  sim::SimRequest request;
};

/// Reads one request-file object; fails with a usage message on an unknown or wrongly typed
/// field (`field` as for proxyFromJson).
Expected<RequestLine> requestLineFromJson(const nlohmann::json& j,
                                          const std::string& sidecar_namespace = "default",
                                          std::string* field = nullptr);

/// Reads a JSONL request file: skips blank lines and calls on_line(line_no, parsed) for each other
/// line, `parsed` holding the request or why the line is not one (not JSON, a wrongly typed
/// field, ...). Fails with kIoError ("cannot read PATH") when the file cannot be opened.
Status forEachRequestLine(const std::string& path, const std::string& sidecar_namespace,
                          const std::function<void(int, Expected<RequestLine>)>& on_line);

/// Builds simulators per proxy on demand and keeps them.
class SimulatorCache {
 public:
  /// With kNative, each simulator gets native code compiled for it.
  SimulatorCache(const model::ConfigSet& config, sim::EngineKind engine)
      : config_(config), engine_(engine) {}
  Expected<const sim::Simulator*> get(const ProxySpec& proxy);

 private:
  const model::ConfigSet& config_;
  sim::EngineKind engine_;
  std::map<std::string, std::unique_ptr<sim::Simulator>> built_;
};

/// A bundle loaded for simulation: its configuration, decision trees and source map.
struct BundleSimulator {
  std::unique_ptr<sim::Simulator> simulator;
  bundle::BundleHeader header;
  bool native = false;   // the bundle's native code is linked and answers kNative requests
  std::string warning;   // why native code was wanted but is not used (empty otherwise)
};

/// Reads and verifies a bundle (runtime/bundle) and builds a simulator over its configuration
/// and portable decision trees; the source map's files are added to `sources` (paths only) so
/// results name file:line. With kNative, the bundle's native code is linked (a platform that
/// does not fit, or a bundle without native code, leaves a warning and the portable tree).
/// Fails with bundleErrorText() as the message on any bundle error.
Expected<BundleSimulator> loadBundleSimulator(const std::string& path, SourceManager& sources,
                                              sim::EngineKind engine);

/// How `inspect` and `simulate --bundle` both report a bundle that fails to read:
/// "error[KIND]: PATH: message" (KIND is the reader's error class, e.g. checksum-mismatch).
std::string bundleErrorText(const Status& status, bundle::BundleErrorKind kind);

/// Same kind, namespace and labels.
bool sameProxy(const lower::ProxyIdentity& a, const lower::ProxyIdentity& b);

/// A request object of a request file or test file ("port", "authority", "path", "method",
/// "scheme", "headers", "tls": {"sni"}, "protocol", "address"); fails with a usage message on
/// an unknown or wrongly typed field (`field` as for proxyFromJson).
Expected<sim::SimRequest> requestFromJson(const nlohmann::json& j, std::string* field = nullptr);

/// The simulate result in the documented JSON shape.
nlohmann::json resultToJson(const sim::SimResult& r, const SourceManager& sources);

/// Step-by-step text explanation of a result.
std::string resultToText(const sim::SimResult& r, const SourceManager& sources);

/// Parses an engine name: "native", "interpreter" or "reference"; "" is the default: native
/// where this host can generate and run native code, else interpreter.
Expected<sim::EngineKind> parseEngine(std::string_view name);

/// Compiles native code for a simulator's trees (in memory) and links it in with ORC.
Status attachNativeCode(sim::Simulator& simulator);

}  // namespace meshc::cli
