// The typed model: plain structs named after the Istio and Kubernetes APIs, built from the
// positioned YAML of schema-valid objects. Entry point: buildConfigSet().
// Short names are NOT expanded here; lowering does that (it depends on the proxy and context).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "frontend/mesh_config.h"
#include "frontend/resource.h"
#include "support/source.h"

namespace meshc::model {

using frontend::StringMap;

/// Where an object came from and how Istio orders it (creationTimestamp, then name, namespace).
struct ObjectMeta {
  std::string name;
  std::string name_space;
  std::string creation_timestamp;  // RFC 3339 as written; empty sorts first (as the zero time)
  uint32_t ordinal = 0;            // input order, the last tie-breaker
  StringMap labels;
  StringMap annotations;
  SourceLoc loc;  // the document's first line
  std::string ref() const { return name_space + "/" + name; }
};

// --- VirtualService ------------------------------------------------------------------------------

struct StringMatch {
  enum class Kind { kPresent, kExact, kPrefix, kRegex };  // kPresent: nil, {} or regex "*"
  Kind kind = Kind::kPresent;
  std::string value;
};

struct KeyedMatch {
  std::string key;
  StringMatch match;
};

struct HttpMatchRequest {
  std::string name;
  std::optional<StringMatch> uri, scheme, method, authority;
  std::vector<KeyedMatch> headers;          // in document order
  std::vector<KeyedMatch> without_headers;  // in document order
  std::vector<KeyedMatch> query_params;     // in document order
  bool ignore_uri_case = false;
  uint32_t port = 0;
  StringMap source_labels;
  std::vector<std::string> gateways;
  std::string source_namespace;
  std::string stat_prefix;
  SourceLoc loc;
};

struct PortSelector {
  uint32_t number = 0;
};

struct Destination {
  std::string host;
  std::string subset;
  std::optional<uint32_t> port;
  SourceLoc loc;
};

struct HeaderOperations {
  std::vector<std::pair<std::string, std::string>> set;  // document order
  std::vector<std::pair<std::string, std::string>> add;
  std::vector<std::string> remove;
  bool empty() const { return set.empty() && add.empty() && remove.empty(); }
};

struct Headers {
  HeaderOperations request;
  HeaderOperations response;
};

struct HttpRouteDestination {
  Destination destination;
  int32_t weight = 0;
  Headers headers;
};

struct HttpRedirect {
  std::string uri;
  std::string prefix_rewrite;
  std::string authority;
  std::optional<uint32_t> port;
  enum class DerivePort { kNone, kFromProtocolDefault, kFromRequestPort };
  DerivePort derive_port = DerivePort::kNone;
  std::string scheme;
  uint32_t redirect_code = 0;  // 0 = 301
};

struct HttpDirectResponse {
  uint32_t status = 0;
  std::optional<std::string> body;  // string or decoded bytes
};

struct HttpRewrite {
  std::string uri;
  std::optional<std::pair<std::string, std::string>> uri_regex_rewrite;  // match, rewrite
  std::string authority;
};

struct HttpRetry {
  int32_t attempts = 0;
  std::optional<int64_t> per_try_timeout_ns;
  std::string retry_on;
  std::optional<bool> retry_remote_localities;
  std::optional<bool> retry_ignore_previous_hosts;
  std::optional<int64_t> backoff_ns;
};

struct HttpFaultInjection {
  struct Delay {
    std::optional<int64_t> fixed_delay_ns;
    bool exponential = false;           // unsupported by Istio: the delay is dropped
    std::optional<double> percentage;   // percent 0..100
    int32_t percent = 0;                // deprecated integer percent
  };
  struct Abort {
    std::optional<uint32_t> http_status;
    std::string grpc_status;
    bool http2_error = false;           // unsupported by Istio: the abort is dropped
    std::optional<double> percentage;
  };
  std::optional<Delay> delay;
  std::optional<Abort> abort;
};

struct HttpMirror {
  Destination destination;
  std::optional<double> percentage;  // absent = 100 %
};

struct CorsPolicy {
  std::vector<StringMatch> allow_origins;  // allowOrigin (deprecated) entries become exact
  std::vector<std::string> allow_methods, allow_headers, expose_headers;
  std::optional<int64_t> max_age_ns;
  std::optional<bool> allow_credentials;
  std::string unmatched_preflights;  // "", FORWARD, IGNORE
};

struct Delegate {
  std::string name;
  std::string name_space;  // empty = the root VS's namespace
};

struct HttpRoute {
  std::string name;
  std::vector<HttpMatchRequest> match;
  std::vector<HttpRouteDestination> route;
  std::optional<HttpRedirect> redirect;
  std::optional<HttpDirectResponse> direct_response;
  std::optional<Delegate> delegate;
  std::optional<HttpRewrite> rewrite;
  std::optional<int64_t> timeout_ns;
  std::optional<HttpRetry> retries;
  std::optional<HttpFaultInjection> fault;
  std::vector<HttpMirror> mirrors;  // `mirror` + mirrorPercentage/mirrorPercent become one entry
  std::optional<CorsPolicy> cors_policy;
  Headers headers;
  uint32_t index = 0;  // position in spec.http
  SourceLoc loc;
};

struct RouteDestination {
  Destination destination;
  int32_t weight = 0;
};

struct L4MatchAttributes {
  std::vector<std::string> destination_subnets;
  uint32_t port = 0;
  StringMap source_labels;
  std::vector<std::string> gateways;
  std::string source_namespace;
  SourceLoc loc;
};

struct TlsMatchAttributes {
  std::vector<std::string> sni_hosts;
  std::vector<std::string> destination_subnets;
  uint32_t port = 0;
  StringMap source_labels;
  std::vector<std::string> gateways;
  std::string source_namespace;
  SourceLoc loc;
};

struct TcpRoute {
  std::vector<L4MatchAttributes> match;
  std::vector<RouteDestination> route;
  uint32_t index = 0;
  SourceLoc loc;
};

struct TlsRoute {
  std::vector<TlsMatchAttributes> match;
  std::vector<RouteDestination> route;
  uint32_t index = 0;
  SourceLoc loc;
};

struct VirtualService {
  ObjectMeta meta;
  std::vector<std::string> hosts;
  std::vector<std::string> gateways;   // as written; omitted ⇒ {"mesh"} (filled in)
  std::vector<HttpRoute> http;
  std::vector<TlsRoute> tls;
  std::vector<TcpRoute> tcp;
  std::vector<std::string> export_to;  // as written; omitted ⇒ mesh default, else {"*"}
};

// --- Gateway -------------------------------------------------------------------------------------

struct Port {
  uint32_t number = 0;
  std::string protocol;  // upper-cased as Istio parses it
  std::string name;
  uint32_t target_port = 0;
};

/// ServerTLSSettings.TLSCertificate: one certificate/key file pair of `tlsCertificates`.
struct TlsCertificate {
  std::string server_certificate, private_key, ca_certificates;
};

struct ServerTlsSettings {
  bool https_redirect = false;
  std::string mode = "PASSTHROUGH";  // enum name; PASSTHROUGH is the proto default
  std::string server_certificate, private_key, ca_certificates, credential_name;
  // At most 2 each (CRD maxItems).
  std::vector<std::string> credential_names;
  std::vector<TlsCertificate> tls_certificates;
  std::string ca_cert_credential_name, ca_crl;
  std::optional<bool> insecure_skip_verify;  // BoolValue: nullopt when absent
  std::vector<std::string> subject_alt_names;
  std::vector<std::string> verify_certificate_spki;  // base64 SHA-256 of client SPKIs
  std::vector<std::string> verify_certificate_hash;  // hex SHA-256 of client certificates
  // Enum names ("TLSV1_2"); "" when absent.
  std::string min_protocol_version, max_protocol_version;
  // As written: lowering filters them (FilterCipherSuites).
  std::vector<std::string> cipher_suites;
  // istio/api master has ecdhCurves on servers; the pinned CRD (and so the schema) not yet.
  std::vector<std::string> ecdh_curves;
};

struct Server {
  Port port;
  std::string bind;
  std::vector<std::string> hosts;  // as written: [ns/]host
  std::optional<ServerTlsSettings> tls;
  std::string name;
  uint32_t index = 0;
  SourceLoc loc;
};

struct Gateway {
  ObjectMeta meta;
  std::optional<StringMap> selector;  // nullopt = applies to every gateway proxy
  std::vector<Server> servers;
};

// --- Secret (core/v1) ---------------------------------------------------------------------------

/// One entry of a Secret's `data` (base64 as written) or `stringData` (plain text). Values are
/// kept as written: only `meshc compile --credentials-dir` decodes them, and nothing prints them.
struct SecretItem {
  std::string key;
  std::string value;
  bool string_data = false;  // from stringData (the API server merges it over data)
  SourceLoc loc;             // the value
};

/// A Secret a Gateway server may name in credentialName(s) (istio pilot/pkg/credentials/kube).
struct Secret {
  ObjectMeta meta;
  std::string type;               // "kubernetes.io/tls", "Opaque", ... ("" when absent)
  std::vector<SecretItem> items;  // data entries, then stringData entries, in file order
};

// --- Sidecar -------------------------------------------------------------------------------------

struct SidecarPort {
  uint32_t number = 0;
  std::string protocol;
  std::string name;
};

struct IstioEgressListener {
  std::optional<SidecarPort> port;
  std::string bind;
  std::string capture_mode;  // DEFAULT, IPTABLES, NONE
  std::vector<std::string> hosts;
  SourceLoc loc;
};

struct IstioIngressListener {
  SidecarPort port;
  std::string bind;
  std::string default_endpoint;
  SourceLoc loc;
};

struct OutboundTrafficPolicy {
  std::string mode = "REGISTRY_ONLY";  // enum zero: an explicit {} means REGISTRY_ONLY
  std::optional<Destination> egress_proxy;
};

struct Sidecar {
  ObjectMeta meta;
  std::optional<StringMap> workload_selector;  // nullopt or empty labels = namespace-wide
  std::vector<IstioIngressListener> ingress;
  std::vector<IstioEgressListener> egress;
  std::optional<OutboundTrafficPolicy> outbound_traffic_policy;
};

// --- DestinationRule -----------------------------------------------------------------------------

/// LoadBalancerSettings.ConsistentHashLB: the hash key (one of header, cookie, source IP,
/// query parameter) and the hash algorithm (ringHash, maglev, or the deprecated
/// minimumRingSize when neither is given).
struct ConsistentHash {
  std::string http_header_name;
  std::string http_cookie_name;
  std::string http_cookie_path;
  std::optional<int64_t> http_cookie_ttl_ns;  // httpCookie.ttl; nullopt = absent
  std::vector<std::pair<std::string, std::string>> http_cookie_attributes;  // name, value
  bool use_source_ip = false;
  std::string http_query_parameter_name;
  enum class AlgorithmKind { kUnset, kRingHash, kMaglev };
  AlgorithmKind algorithm = AlgorithmKind::kUnset;
  uint64_t minimum_ring_size = 0;            // deprecated top-level field (0 = unset)
  uint64_t ring_hash_minimum_ring_size = 0;  // ringHash.minimumRingSize (0 = unset)
  uint64_t maglev_table_size = 0;            // maglev.tableSize (0 = unset)
};

struct LoadBalancerSettings {
  std::string simple;  // "" = unset
  std::optional<ConsistentHash> consistent_hash;
};

struct ClientTlsSettings {
  std::string mode;  // DISABLE, SIMPLE, MUTUAL, ISTIO_MUTUAL
  std::string sni;
};

/// DestinationRule connectionPool (PROXY-SEMANTICS R12.1): 0 / nullopt = unset (Istio cannot
/// tell an explicit 0 from an absent integer either).
struct ConnectionPoolSettings {
  int64_t max_connections = 0;             // tcp.maxConnections
  std::optional<int64_t> connect_timeout_ns;  // tcp.connectTimeout
  std::optional<int64_t> tcp_idle_timeout_ns;  // tcp.idleTimeout
  int64_t http1_max_pending_requests = 0;  // http.http1MaxPendingRequests
  int64_t http2_max_requests = 0;          // http.http2MaxRequests
  int64_t max_requests_per_connection = 0;  // http.maxRequestsPerConnection
  int64_t max_retries = 0;                 // http.maxRetries
  std::optional<int64_t> idle_timeout_ns;  // http.idleTimeout
};

/// DestinationRule outlierDetection (R12.4). The wrapper fields keep absent apart from 0.
struct OutlierDetectionSettings {
  std::optional<uint32_t> consecutive_5xx_errors;
  std::optional<uint32_t> consecutive_gateway_errors;
  std::optional<int64_t> interval_ns;
  std::optional<int64_t> base_ejection_time_ns;
  int64_t max_ejection_percent = 0;  // 0 = unset
  int64_t min_health_percent = 0;
  bool split_external_local_origin_errors = false;
  std::optional<uint32_t> consecutive_local_origin_failures;
};

/// DestinationRule trafficPolicy.retryBudget (R7.8): replaces the fixed maxRetries limit.
struct RetryBudgetSettings {
  std::optional<double> percent;                 // of active + pending requests
  std::optional<uint32_t> min_retry_concurrency;
};

struct PortTrafficPolicy {
  uint32_t port = 0;
  std::optional<LoadBalancerSettings> load_balancer;
  std::optional<ClientTlsSettings> tls;
  std::optional<ConnectionPoolSettings> connection_pool;
  std::optional<OutlierDetectionSettings> outlier_detection;
};

struct TrafficPolicy {
  std::optional<LoadBalancerSettings> load_balancer;
  std::optional<ClientTlsSettings> tls;
  std::optional<ConnectionPoolSettings> connection_pool;
  std::optional<OutlierDetectionSettings> outlier_detection;
  std::optional<RetryBudgetSettings> retry_budget;  // not in port-level settings
  std::vector<PortTrafficPolicy> port_level_settings;
};

struct Subset {
  std::string name;
  StringMap labels;
  std::optional<TrafficPolicy> traffic_policy;
};

struct DestinationRule {
  ObjectMeta meta;
  std::string host;
  std::optional<TrafficPolicy> traffic_policy;
  std::vector<Subset> subsets;
  std::vector<std::string> export_to;  // as written; omitted ⇒ mesh default, else {"*"}
  std::optional<StringMap> workload_selector;
};

// --- ServiceEntry / Kubernetes Service (the service registry's inputs) -------------------------

struct ServicePort {
  uint32_t number = 0;
  std::string protocol;  // upper-cased; "" = unknown (sniffed)
  std::string name;
  uint32_t target_port = 0;
};

struct WorkloadEntry {
  std::string address;
  std::vector<std::pair<std::string, uint32_t>> ports;  // port name → number
  StringMap labels;
  std::string network, locality;
  uint32_t weight = 0;
};

struct ServiceEntry {
  ObjectMeta meta;
  std::vector<std::string> hosts;
  std::vector<std::string> addresses;
  std::vector<ServicePort> ports;
  std::string location = "MESH_EXTERNAL";
  std::string resolution = "NONE";
  std::vector<WorkloadEntry> endpoints;
  std::optional<StringMap> workload_selector;
  std::vector<std::string> export_to;  // as written; omitted ⇒ mesh default, else {"*"}
};

struct KubernetesServicePort {
  std::string name;
  uint32_t port = 0;
  std::string target_port;  // number or name, as written ("" = same as port)
  std::string protocol = "TCP";
  std::string app_protocol;
};

struct KubernetesService {
  ObjectMeta meta;
  std::string type = "ClusterIP";  // ClusterIP, NodePort, LoadBalancer, ExternalName
  std::string cluster_ip;          // "None" = headless
  std::string external_name;
  StringMap selector;
  std::vector<KubernetesServicePort> ports;
  std::vector<std::string> export_to;  // annotation networking.istio.io/exportTo, split on ','
                                       // and trimmed; absent ⇒ mesh default, else {"*"}
};

/// A Pod, or the pod template of a workload kind (a template stands for its pods).
struct WorkloadInstance {
  ObjectMeta meta;      // the Pod's or the workload's
  bool is_pod = false;  // a Pod object (an EndpointSlice targetRef can name it)
  StringMap labels;
  std::string ip;  // status.podIP, may be empty
  std::vector<std::pair<std::string, uint32_t>> container_ports;  // name, containerPort
};

// --- EndpointSlice (discovery.k8s.io/v1) ---------------------------------------------------------

struct EndpointSliceEndpoint {
  std::vector<std::string> addresses;
  bool ready = true;  // conditions.ready; absent (unknown) counts as ready, as for kube-proxy
  std::string target_ref_kind;
  std::string target_ref_name;
  std::string target_ref_namespace;  // "" = the slice's namespace
  SourceLoc loc;
};

struct EndpointSlicePort {
  std::string name;              // "" for an unnamed (single) Service port
  std::optional<uint32_t> port;  // absent = "all ports" (not usable for a cluster)
  std::string protocol = "TCP";
};

struct EndpointSlice {
  ObjectMeta meta;
  std::string address_type;  // IPv4, IPv6, FQDN
  std::string service_name;  // label kubernetes.io/service-name; "" = belongs to no Service
  std::vector<EndpointSliceEndpoint> endpoints;
  std::vector<EndpointSlicePort> ports;
};

/// Everything routing depends on, in input order (superseded duplicates already dropped).
struct ConfigSet {
  frontend::MeshConfig mesh;
  std::vector<VirtualService> virtual_services;
  std::vector<Gateway> gateways;
  std::vector<Sidecar> sidecars;
  std::vector<DestinationRule> destination_rules;
  std::vector<ServiceEntry> service_entries;
  std::vector<KubernetesService> services;
  std::vector<WorkloadInstance> workloads;
  std::vector<EndpointSlice> endpoint_slices;
  std::vector<Secret> secrets;
};

/// Builds the typed model from loaded resources. Resources whose schema check failed are left
/// out (their problems are already diagnostics); fields are read defensively, never asserting.
ConfigSet buildConfigSet(const std::vector<frontend::Resource>& resources,
                         const frontend::MeshConfig& mesh);

/// Istio's config order: creationTimestamp, then name, then namespace (then input order).
bool configOrderLess(const ObjectMeta& a, const ObjectMeta& b);

}  // namespace meshc::model
