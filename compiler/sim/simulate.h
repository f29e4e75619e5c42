// Offline simulation: one request (or connection) through one proxy's configuration, the way
// Envoy would handle it. Entry points: Simulator::create(), Simulator::run().
// Model: ISTIO-SEMANTICS.md section 8, with full route matching (headers, query, method, regex).
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "routing/request.h"
#include "routing/route_tree.h"
#include "native/native_router.h"
#include "lower/proxy_config.h"
#include "base/status.h"

namespace meshc::sim {

/// What the client sends. Defaults as meshc's request files: path "/", method GET, scheme http.
struct SimRequest {
  std::string name;                // for reports
  uint32_t port = 0;               // 0 = from the scheme (80 / 443)
  std::string address;             // destination IP; "" = resolve from the host (sidecars)
  enum class Protocol { kHttp, kTcp };
  Protocol protocol = Protocol::kHttp;
  std::optional<std::string> sni;  // TLS SNI; set ⇒ the connection is TLS
  bool tls = false;                // TLS without SNI (or scheme https)
  ir::HttpRequest http;            // method, scheme, authority, path, headers
};

enum class Outcome {
  kRoute,           // forwarded to a cluster (or weighted clusters)
  kRedirect,        // 3xx from a redirect route or httpsRedirect
  kDirectResponse,  // fixed response (incl. block_all's 502)
  kNoRoute,         // 404 NR: no virtual host, or no route in it
  kNoListener,      // nothing listens on that address:port
  kNoFilterChain,   // a listener, but no filter chain accepts the connection
  kLocalReply,      // the connection manager answers before routing (400 for a path R1.13 fails)
};
const char* outcomeName(Outcome o);

/// Which route-selection engine answers. kNative uses the native code attached with
/// Simulator::setNative() (the interpreter when none is attached).
enum class EngineKind { kReference, kInterpreter, kNative };

struct SimResult {
  Outcome outcome = Outcome::kNoListener;
  std::string listener, filter_chain, route_config, virtual_host;
  std::string virtual_service;  // "ns/name"
  std::string route;            // Envoy route name, or "#<index>" when unnamed
  SourceLoc source;             // the matching rule (file:line when rendered)
  std::string cluster;          // when one cluster takes all traffic
  std::vector<std::pair<std::string, uint32_t>> weighted_clusters;
  std::string rewritten_path, rewritten_authority;
  std::string redirect_location;
  uint32_t redirect_status = 0;
  uint32_t direct_status = 0;
  std::string direct_body;
  uint32_t status = 0;  // the HTTP status the client sees, when known (0 = upstream decides)
  std::string details;  // Envoy's RESPONSE_CODE_DETAILS for a local reply, when known
  bool cluster_exists = true;  // false ⇒ Envoy answers 503 NC
  const lower::Route* matched = nullptr;  // for timeout, retries, fault, mirrors, headers
  std::vector<std::string> trace;         // step-by-step explanation
  int32_t vhost_index = -1, route_index = -1;
};

/// Runs requests against one proxy's configuration.
class Simulator {
 public:
  /// Prepares the evaluators (builds the IR for every route configuration). Fails only when the
  /// IR verifier rejects what lowering produced (an internal error).
  static Expected<std::unique_ptr<Simulator>> create(lower::ProxyConfig config);
  /// Same, with the decision trees given (a bundle's portable tree, parallel to
  /// config.route_configs) instead of built from the configuration. Fails when the counts differ
  /// or the verifier rejects a tree.
  static Expected<std::unique_ptr<Simulator>> create(lower::ProxyConfig config,
                                                     std::vector<ir::RouteProgram> programs);
  SimResult run(const SimRequest& request, EngineKind engine = EngineKind::kInterpreter) const;
  const lower::ProxyConfig& config() const { return config_; }
  /// The decision tree of config().route_configs[index].
  const ir::RouteProgram& program(size_t index) const;
  /// Native code compiled from (or shipped with) exactly these trees, one entry point per route
  /// configuration; kNative requests use it. Fails when the entry count differs.
  Status setNative(std::shared_ptr<const native::NativeRouter> router);
  bool hasNative() const;

 private:
  explicit Simulator(lower::ProxyConfig config);
  struct Impl;
  lower::ProxyConfig config_;
  std::shared_ptr<Impl> impl_;
};

/// Parses "GET https://shop.example.com/cart?x=1" (the method may be omitted) into a request.
/// Fails with a message naming the problem.
Expected<SimRequest> parseRequestLine(std::string_view text);

}  // namespace meshc::sim
