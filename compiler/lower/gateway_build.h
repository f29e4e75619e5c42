// Internal to the gateway lowering: merged Servers, the build context and the functions the
// gateway parts share. Entry point: buildGatewayConfigFrom() (public callers use
// buildGatewayConfig() in lower/gateway_config.h).
#pragma once

#include <algorithm>
#include <array>
#include <map>
#include <set>

#include "base/ascii.h"
#include "frontend/istio/labels.h"
#include "frontend/istio/protocol.h"
#include "lower/gateway_config.h"
#include "lower/names.h"
#include "lower/route_translation.h"
#include "lower/sidecar_config.h"

namespace meshc::lower::detail {

inline constexpr std::string_view kDisablePortTranslationLabel =
    "experimental.istio.io/disable-gateway-port-translation";
inline constexpr std::string_view kWildcardBind = "0.0.0.0";

// --- Protocols (istio:pkg/config/protocol, istio:pkg/config/gateway) ----------------------------

std::string parseProtocol(std::string_view p);
using istio::isHttpProtocol;

bool isPassThroughServer(const model::Server& s);
bool isTlsServer(const model::Server& s);
bool isHttpServer(const model::Server& s);
bool isHttpsServerWithTlsTermination(const model::Server& s);
bool canMergeProtocols(std::string_view incoming, std::string_view existing);
// --- Notes ---------------------------------------------------------------------------------------

Diagnostic gatewayNote(std::string id, const model::Gateway& gw, SourceLoc loc, std::string msg);
Diagnostic vsNote(std::string id, const IndexedVirtualService& vs, SourceLoc loc, std::string msg);
std::string joinList(const std::vector<std::string>& v);

// --- Service targets and port translation (7.5) --------------------------------------------------

struct ServiceTarget {
  uint32_t port = 0;
  uint32_t target_port = 0;
  bool no_translation = false;
};

std::optional<uint32_t> parsePortNumber(std::string_view s);
std::vector<ServiceTarget> serviceTargets(const model::ConfigSet& config,
                                          const ProxyIdentity& proxy);
uint32_t resolvePort(const std::vector<ServiceTarget>& targets, uint32_t number);

// --- mergeGateways -------------------------------------------------------------------------------

struct MergedServer {
  model::Server server;  // hosts sanitized
  const model::Gateway* gateway = nullptr;
  std::string gateway_name;  // ns/name
  uint32_t listener_port = 0;
  bool has_tls_info = false;
  std::string tls_route_name;
  std::vector<std::string> sni_hosts;
};

struct ServerPortKey {
  uint32_t number = 0;
  std::string protocol;
  std::string bind;
  friend bool operator==(const ServerPortKey&, const ServerPortKey&) = default;
  friend auto operator<=>(const ServerPortKey&, const ServerPortKey&) = default;
};

struct MergedServers {
  std::vector<size_t> servers;
  std::string route_name;
};

struct MergedGateway {
  std::vector<MergedServer> servers;
  std::vector<ServerPortKey> server_ports;  // may repeat, as in Istio
  std::map<ServerPortKey, MergedServers> merged;
  std::map<std::string, std::vector<size_t>, std::less<>> servers_by_route_name;
};

std::vector<std::string> sanitizeServerHosts(const std::vector<std::string>& hosts,
                                             std::string_view gw_namespace);
std::vector<std::string> sniHostsForServer(const model::Server& s);
std::string rdsRouteName(const model::Server& s, uint32_t port, const model::Gateway& gw);
std::vector<std::string> checkDuplicates(const std::vector<std::string>& hosts,
                                         const std::string& bind,
                                         std::map<std::string, std::string>& known);
MergedGateway mergeGateways(const std::vector<const model::Gateway*>& gateways,
                            const std::vector<ServiceTarget>& targets,
                            std::vector<Diagnostic>& notes);

// --- Route configurations (2.6, 4.2, 4.3, 7.4) ---------------------------------------------------

// The per-ConfigSet indexes (owned by the caller).
struct Inputs {
  const model::ConfigSet& config;
  const ServiceRegistry& registry;
  const VirtualServiceIndex& vs_index;
  const DestinationRuleIndex& destination_rules;
};

struct BuildContext {
  const Inputs& inputs;
  const ProxyIdentity& proxy;
  SidecarScope scope;
  std::vector<Diagnostic>& notes;
};

std::optional<DestinationService> httpServiceLookup(const BuildContext& bc,
                                                    const IndexedVirtualService& vs,
                                                    std::string_view host);
std::optional<DestinationService> scopeServiceLookup(const BuildContext& bc,
                                                     std::string_view host);
RouteContext makeRouteContext(const BuildContext& bc, const std::string& gateway_name,
                              uint32_t port, bool tls);
struct VhostBuild {
  std::string name;
  std::vector<std::string> domains;
  std::vector<size_t> routes;  // ids into the route pool
  bool require_tls = false;
};

RouteConfiguration buildGatewayRouteConfig(BuildContext& bc, const MergedGateway& mg,
                                           const std::string& route_name);

// --- TCP / TLS filter chains (7.3, 9.14) ---------------------------------------------------------

bool vsMatchesServerHosts(const model::Server& server, const IndexedVirtualService& vs);
FilterChainMatch sniMatch(const std::vector<std::string>& sni_hosts);
/// The TLS context Istio builds for a terminating server (gateway_tls_context.cc): mode,
/// certificate source, client validation, versions, filtered ciphers, curves and ALPN.
TlsContext serverTlsContext(const model::Server& server, const frontend::MeshTlsDefaults& mesh);
/// Marks `chain` as terminating the server's TLS and fills chain.tls; notes what the bundle
/// cannot carry (caCrl, caCertCredentialName, insecureSkipVerify, a second tlsCertificates pair).
void applyServerTls(BuildContext& bc, const MergedServer& ms, FilterChain& chain);
std::optional<TcpProxy> tcpRouteProxy(BuildContext& bc, const MergedServer& ms);
inline constexpr std::array<std::string_view, 5> kIstioMtlsAlpns = {
    "istio", "istio-peer-exchange", "istio-http/1.0", "istio-http/1.1", "istio-h2"};

void autoPassthroughChains(BuildContext& bc, const MergedServer& ms,
                           std::vector<FilterChain>& chains);
void passthroughChains(BuildContext& bc, const MergedServer& ms, uint32_t listener_port,
                       std::map<uint32_t, std::map<std::string, std::string>>& tls_hosts,
                       std::vector<FilterChain>& chains);

// --- Clusters ------------------------------------------------------------------------------------

void collectClusterNames(const ProxyConfig& pc, std::set<std::string>& names);
struct ParsedClusterName {
  bool dns_srv = false;
  uint32_t port = 0;
  std::string subset;
  std::string host;
};

std::optional<ParsedClusterName> parseClusterName(std::string_view name);
void buildClusters(BuildContext& bc, ProxyConfig& pc);

LoweredProxy buildGatewayConfigFrom(const Inputs& inputs, const ProxyIdentity& proxy_in);

}  // namespace meshc::lower::detail
