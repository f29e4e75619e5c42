// The service registry Istio builds from Kubernetes Services and ServiceEntries: hostnames, VIPs,
// ports with their protocols, resolution, exportTo and endpoints (SEMANTICS 1.21, 4.5, 7.6).
// Entry point: ServiceRegistry::build(); lookups by hostname and by viewing namespace.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "frontend/model/model.h"
#include "lower/proxy_config.h"

namespace meshc::lower {

/// How a port's traffic is handled by a sidecar (derived from the Istio protocol name).
enum class PortProtocolKind {
  kHttp,     // HTTP, HTTP2, GRPC, GRPC-WEB, HTTP_PROXY: HTTP connection manager
  kSniffed,  // unknown / unnamed protocol: Istio's protocol sniffing ("auto")
  kTls,      // HTTPS, TLS: SNI-routed, never terminated by the sidecar
  kTcp,      // TCP, MONGO, MYSQL, REDIS: opaque tcp_proxy
  kUdp,      // UDP: no outbound listener at all
};

/// Istio protocol name (upper case: "HTTP", "HTTP2", "GRPC", "GRPC-WEB", "HTTPS", "TLS", "TCP",
/// "MONGO", "MYSQL", "REDIS", "UDP", "HTTP_PROXY") → kind. Anything else (incl. "") is kSniffed.
PortProtocolKind protocolKind(std::string_view istio_protocol);

/// Istio's protocol.Parse: case-insensitive known name → upper-case Istio name; unknown → "".
std::string parseProtocolName(std::string_view name);

/// The protocol Istio derives for a Kubernetes Service port (istio:pkg/config/kube/conversion.go
/// ConvertProtocol): UDP stays UDP; appProtocol if set (kubernetes.io/h2c, ws, wss understood),
/// else the port name; "grpc-web" prefix, else the part before the first '-' parsed as a protocol;
/// unknown on ports 25, 53, 3306, 27017 ⇒ "TCP"; otherwise "" (sniffed).
std::string kubernetesPortProtocol(const model::KubernetesServicePort& port);

struct ServicePortInfo {
  std::string name;
  uint32_t port = 0;
  std::string protocol;  // Istio protocol name; "" = sniffed
  PortProtocolKind kind = PortProtocolKind::kSniffed;
  uint32_t target_port = 0;      // numeric target port; 0 = named or unset
  std::string target_port_name;  // Kubernetes named targetPort
};

/// One endpoint of a service, with the port it receives each service port on.
struct RegistryEndpoint {
  std::string address;  // may be empty for pod templates (no IP known)
  StringMap labels;
  uint32_t weight = 1;
  std::vector<std::pair<uint32_t, uint32_t>> ports;  // service port number → endpoint port
  std::string workload;  // "ns/name" of the Pod / workload / "ServiceEntry ns/name" entry
};

enum class ServiceResolution {
  kClientSideLb,   // Kubernetes ClusterIP, SE STATIC: EDS
  kDnsLb,          // SE DNS
  kDnsRoundRobin,  // SE DNS_ROUND_ROBIN
  kPassthrough,    // SE NONE, Kubernetes headless: ORIGINAL_DST
  kDynamicDns,     // SE DYNAMIC_DNS
  kAlias,          // Kubernetes ExternalName (an alias of another hostname)
};

/// One registry service (a hostname in one namespace).
struct Service {
  enum class Origin { kKubernetes, kServiceEntry };
  Origin origin = Origin::kKubernetes;
  std::string hostname;    // name.ns.svc.<suffix> or the SE host verbatim
  std::string name;        // the Service / ServiceEntry name
  std::string name_space;  // the namespace of the defining object
  std::string creation_timestamp;
  uint32_t ordinal = 0;  // input order of the defining object
  /// VIPs usable as listener addresses: ClusterIP or SE addresses (IPs and CIDRs). Empty ⇒ the
  /// service listens on 0.0.0.0 (SE without addresses, headless, ExternalName).
  std::vector<std::string> addresses;
  /// True when the Kubernetes Service had no clusterIP in the input and meshc made one up
  /// (deterministically, from 10.96.0.0/12) because a real cluster would have allocated one.
  bool synthetic_vip = false;
  std::vector<ServicePortInfo> ports;
  ServiceResolution resolution = ServiceResolution::kClientSideLb;
  bool mesh_external = false;
  bool headless = false;             // Kubernetes clusterIP: None
  std::string alias_target;          // ExternalName target host (resolution kAlias)
  std::vector<std::string> aliases;  // hostnames of ExternalName services pointing here
  /// Namespaces the service is exported to, normalised: "*" (all), "~" (none) or names
  /// ("." already replaced by name_space). Never empty.
  std::vector<std::string> export_to;
  std::vector<RegistryEndpoint> endpoints;
  /// A Kubernetes selector or SE workloadSelector picks the endpoints (they may scale to zero).
  bool has_label_selector = false;
  SourceLoc loc;

  bool isWildcard() const { return !hostname.empty() && hostname[0] == '*'; }
  bool isKubernetes() const { return origin == Origin::kKubernetes; }
  const ServicePortInfo* findPort(uint32_t number) const;
  /// The service's only port, or nullptr when it has zero or several.
  const ServicePortInfo* singlePort() const;
  /// The first usable VIP (not a CIDR, not 0.0.0.0) or "".
  std::string primaryVip() const;
  /// True when a proxy in `name_space` may see this service (SEMANTICS 4.5, IsServiceVisible).
  bool visibleTo(std::string_view name_space) const;
  /// exportTo contains `*`.
  bool isPublic() const;
};

/// All services of a ConfigSet, in a deterministic order (Istio config order of the defining
/// objects, then host order inside a ServiceEntry).
class ServiceRegistry {
 public:
  /// Builds the registry. Never fails: objects Istio would ignore are skipped.
  static ServiceRegistry build(const model::ConfigSet& config);

  const std::vector<Service>& services() const { return services_; }
  const std::string& domainSuffix() const { return domain_suffix_; }

  /// Every service with exactly this hostname (possibly several namespaces / origins).
  std::vector<const Service*> findAll(std::string_view hostname) const;
  /// The service with this hostname defined in `name_space` (a Kubernetes Service beats a
  /// ServiceEntry, else the oldest), or nullptr.
  const Service* findInNamespace(std::string_view hostname, std::string_view name_space) const;
  /// The service with this hostname that a proxy in `proxy_namespace` sees: the one in
  /// `preferred_namespace` if visible, else the proxy's own namespace, else a Kubernetes service,
  /// else the oldest. nullptr when none is visible.
  const Service* findVisible(std::string_view hostname, std::string_view proxy_namespace,
                             std::string_view preferred_namespace = {}) const;
  /// Every service visible from `name_space`, in registry order (may repeat hostnames).
  std::vector<const Service*> visibleFrom(std::string_view name_space) const;
  /// servicesExportedToNamespace: the non-public services visible from `name_space`, then the
  /// public ones, each in registry order.
  std::vector<const Service*> exportedTo(std::string_view name_space) const;

  /// The endpoints of `service` for `port` (service port number) whose labels include
  /// `subset_labels`, with the endpoint port filled in. Unknown port ⇒ empty.
  std::vector<Endpoint> endpointsFor(const Service& service, uint32_t port,
                                     const StringMap& subset_labels = {}) const;

 private:
  std::vector<Service> services_;
  std::string domain_suffix_;
};

/// Dotted-quad IPv4 → its 32-bit value; nullopt for anything else.
std::optional<uint32_t> parseIpv4Address(std::string_view s);
/// An IPv4 or IPv6 literal (no prefix length).
bool isIpLiteral(std::string_view s);

}  // namespace meshc::lower
