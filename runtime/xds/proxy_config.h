// What Istio would program into one proxy: listeners, filter chains, route configurations,
// virtual hosts, ordered routes and clusters (an xDS subset). Computed by buildProxyConfig()
// (compiler/lower), stored in bundles, read back by the runtime. Field names follow Envoy's so
// that output can be compared with `istioctl proxy-config`.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>


namespace meshc::xds {

using StringMap = std::map<std::string, std::string, std::less<>>;

/// The proxy to compute configuration for.
struct ProxyIdentity {
  enum class Kind { kSidecar, kGateway };
  Kind kind = Kind::kSidecar;
  std::string name_space = "default";
  StringMap labels;
  std::string ip = "10.0.0.1";  // the proxy's own address (sidecar inbound, listener choice)
  /// Mesh settings that change proxy behaviour: gatewayTopology.numTrustedProxies (R2.4).
  uint32_t num_trusted_proxies = 0;
};

// --- Route matching (Envoy RouteMatch) -----------------------------------------------------------

struct StringMatcher {
  enum class Kind { kExact, kPrefix, kSuffix, kContains, kRegex };
  Kind kind = Kind::kExact;
  std::string value;
  bool ignore_case = false;
};

struct HeaderMatcher {
  std::string name;  // lower-cased; pseudo headers keep their ':'
  bool present_match = false;             // true: only presence is tested
  std::optional<StringMatcher> string_match;  // when !present_match
  bool invert_match = false;
  bool treat_missing_header_as_empty = false;
};

struct QueryParameterMatcher {
  std::string name;
  bool present_match = false;
  std::optional<StringMatcher> string_match;
};

/// JWT claim matchers (`@request.auth.claims.*` header keys) become dynamic-metadata matchers.
struct ClaimMatcher {
  std::vector<std::string> claim_path;
  std::optional<StringMatcher> string_match;  // nullopt = presence
  bool invert = false;
};

struct PathMatcher {
  enum class Kind { kPrefix, kPath, kSafeRegex, kPathSeparatedPrefix };
  Kind kind = Kind::kPrefix;
  std::string value = "/";
};

struct RouteMatch {
  PathMatcher path;
  bool case_sensitive = true;
  std::vector<HeaderMatcher> headers;  // Istio order: sorted headers, then method/authority/scheme
  std::vector<QueryParameterMatcher> query_parameters;
  std::vector<ClaimMatcher> claims;
};

// --- Route actions -------------------------------------------------------------------------------

struct HeaderValueOption {
  std::string key;
  std::string value;
  enum class Append { kOverwriteIfExistsOrAdd, kAppendIfExistsOrAdd };
  Append append = Append::kOverwriteIfExistsOrAdd;
};

struct HeaderMutations {
  std::vector<HeaderValueOption> request_headers_to_add;
  std::vector<std::string> request_headers_to_remove;
  std::vector<HeaderValueOption> response_headers_to_add;
  std::vector<std::string> response_headers_to_remove;
  bool empty() const {
    return request_headers_to_add.empty() && request_headers_to_remove.empty() &&
           response_headers_to_add.empty() && response_headers_to_remove.empty();
  }
};

struct WeightedCluster {
  std::string name;
  uint32_t weight = 0;
  HeaderMutations headers;
  std::string host_rewrite;  // destination-level authority
};

struct RetryPolicy {
  uint32_t num_retries = 0;
  std::string retry_on;
  std::vector<uint32_t> retriable_status_codes;
  std::optional<int64_t> per_try_timeout_ns;
  bool previous_hosts_predicate = true;
  bool previous_priorities = false;
  uint32_t host_selection_retry_max_attempts = 5;
  std::optional<int64_t> base_interval_ns;
};

struct FaultPolicy {
  std::optional<int64_t> delay_ns;
  uint32_t delay_per_million = 0;
  std::optional<uint32_t> abort_http_status;
  std::optional<uint32_t> abort_grpc_status;
  uint32_t abort_per_million = 0;
};

struct MirrorPolicy {
  std::string cluster;
  uint32_t per_million = 1'000'000;
};

struct HashPolicy {
  std::string header_name;
  std::string cookie_name;
  bool source_ip = false;
  std::string query_parameter_name;
  /// httpCookie.ttl: set ⇒ a missing cookie is generated (R5.5); 0 s omits Max-Age.
  std::optional<int64_t> cookie_ttl_ns;
  std::string cookie_path;
  std::vector<std::pair<std::string, std::string>> cookie_attributes;  // name, value ("" = bare)
};

struct CorsPolicy {
  std::vector<StringMatcher> allow_origin;
  std::string allow_methods, allow_headers, expose_headers, max_age;
  std::optional<bool> allow_credentials;
  bool forward_not_matching_preflights = true;
};

struct RouteAction {
  std::string cluster;                    // single destination
  std::vector<WeightedCluster> weighted;  // several destinations (weight-0 entries dropped)
  std::string prefix_rewrite;
  std::optional<std::pair<std::string, std::string>> regex_rewrite;  // pattern, substitution
  std::string host_rewrite;
  int64_t timeout_ns = 0;  // 0 = disabled
  std::optional<RetryPolicy> retry_policy;
  std::vector<MirrorPolicy> mirrors;
  std::vector<HashPolicy> hash_policy;
};

struct RedirectAction {
  std::string path_redirect;
  std::string prefix_rewrite;
  std::string host_redirect;
  uint32_t port_redirect = 0;
  std::string scheme_redirect;
  uint32_t response_code = 301;
};

struct DirectResponseAction {
  uint32_t status = 0;
  std::string body;
};

/// A 1-based position in one of the compiler's input files: `file` indexes the input list (in a
/// bundle, Bundle::source_files); kNoFile means "no position". Bundle format v1 stores the three
/// fields as u32 in this order.
struct SourceRef {
  static constexpr uint32_t kNoFile = UINT32_MAX;
  uint32_t file = kNoFile;
  uint32_t line = 0;    // 1-based
  uint32_t column = 0;  // 1-based, in bytes
  bool valid() const { return file != kNoFile; }
  friend bool operator==(const SourceRef&, const SourceRef&) = default;
};

/// Where an Envoy route came from, for explanations, coverage and the source map.
struct RouteSource {
  std::string virtual_service;  // "ns/name"; empty for generated routes (default, allow_any, ...)
  int32_t http_index = -1;      // index in spec.http (after delegate expansion: the root's)
  int32_t match_index = -1;     // index in that rule's match list; -1 = no match list
  std::string delegate;         // "ns/name" of the delegate VS the route came from, if any
  SourceRef loc;                // the http rule (or match entry) in the input
  /// Which list http_index points into (added for tcp_proxy sources): spec.http, tls or tcp.
  enum class RuleKind { kHttp, kTls, kTcp };
  RuleKind rule_kind = RuleKind::kHttp;
};

struct Route {
  std::string name;
  RouteMatch match;
  enum class ActionKind { kRoute, kRedirect, kDirectResponse, kNone };
  ActionKind action = ActionKind::kRoute;  // kNone: Istio dropped the action (bad redirect code)
  RouteAction route;
  RedirectAction redirect;
  DirectResponseAction direct_response;
  HeaderMutations headers;
  std::optional<FaultPolicy> fault;
  std::optional<CorsPolicy> cors;
  RouteSource source;
};

struct VirtualHost {
  std::string name;
  std::vector<std::string> domains;
  std::vector<Route> routes;
  bool require_tls = false;  // httpsRedirect
};

struct RouteConfiguration {
  std::string name;
  std::vector<VirtualHost> virtual_hosts;
  bool ignore_port_in_host_matching = true;
};

// --- Listeners and filter chains -------------------------------------------------------------

struct FilterChainMatch {
  std::optional<uint32_t> destination_port;
  std::vector<std::string> prefix_ranges;  // CIDRs
  std::vector<std::string> server_names;   // SNI, exact or "*.suffix"
  std::string transport_protocol;          // "", "tls", "raw_buffer"
  std::vector<std::string> application_protocols;
};

struct TcpProxy {
  std::string cluster;
  std::vector<WeightedCluster> weighted;
  RouteSource source;  // the VS tcp/tls rule that produced it, if any
  /// Format v4 (R15.3): the single destination's DestinationRule tcp.idleTimeout; nullopt =
  /// Envoy's 1 h; 0 = no idle timeout.
  std::optional<int64_t> idle_timeout_ns;
};

/// Format v5: how a filter chain terminates TLS, as Istio writes a Gateway server's `tls`
/// (PROXY-SEMANTICS R14.1, R14.4–R14.6). Certificates are referenced, never embedded: by
/// credential name (meshproxy reads them from `--credentials DIR/<name>/`, the layout of a
/// mounted Kubernetes Secret) or by the file paths the server names.
struct TlsContext {
  std::string mode;  // SIMPLE, MUTUAL, OPTIONAL_MUTUAL, ISTIO_MUTUAL
  std::vector<std::string> credential_names;  // credentialName, or credentialNames (≤ 2)
  std::string server_certificate, private_key, ca_certificates;  // paths as written
  std::string min_protocol_version, max_protocol_version;        // "TLSV1_2"; "" = default
  std::vector<std::string> cipher_suites;  // after Istio's filtering; empty = Envoy's default
  std::vector<std::string> ecdh_curves;    // empty = Envoy's default
  std::vector<std::string> subject_alt_names;        // accepted client SANs (exact)
  std::vector<std::string> verify_certificate_spki;  // base64 SHA-256 of the client's SPKI
  std::vector<std::string> verify_certificate_hash;  // hex SHA-256 of the client certificate
  std::vector<std::string> alpn;                     // offered: "h2", "http/1.1" for HTTPS
  friend bool operator==(const TlsContext&, const TlsContext&) = default;
};

struct FilterChain {
  std::string name;
  FilterChainMatch match;
  bool terminates_tls = false;
  bool requires_client_certificate = false;
  bool istio_mutual = false;
  bool http = false;        // an HTTP connection manager
  std::string rds_name;     // route configuration name when http
  std::optional<TcpProxy> tcp_proxy;  // when !http
  std::optional<TlsContext> tls;      // format v5: set when terminates_tls (gateways)
};

struct Listener {
  std::string name;     // "0.0.0.0_80", "virtualOutbound", ...
  std::string address;  // "0.0.0.0" or a VIP
  uint32_t port = 0;
  std::vector<FilterChain> filter_chains;
  std::optional<FilterChain> default_filter_chain;
  bool use_original_dst = false;
  bool has_tls_inspector = false;
  bool has_http_inspector = false;
  uint32_t server_port = 0;  // gateways: the Gateway server port (before targetPort translation)
};

struct Endpoint {
  std::string address;
  uint32_t port = 0;
  uint32_t weight = 1;
  StringMap labels;
};

/// Envoy's circuit-breaker thresholds as Istio writes them on every cluster (R12.1): 2^32−1
/// each unless the DestinationRule's connectionPool sets a positive value.
/// Envoy's retry budget (R7.8): concurrent retries limited to a share of the active and
/// pending requests, at least min_retry_concurrency. Envoy's defaults: 20 %, 3.
struct RetryBudget {
  uint32_t budget_per_million = 200'000;
  uint32_t min_retry_concurrency = 3;
  friend bool operator==(const RetryBudget&, const RetryBudget&) = default;
};

struct CircuitBreakers {
  uint32_t max_connections = UINT32_MAX;
  uint32_t max_pending_requests = UINT32_MAX;
  uint32_t max_requests = UINT32_MAX;
  uint32_t max_retries = UINT32_MAX;
  std::optional<RetryBudget> retry_budget;  // set: replaces max_retries
  friend bool operator==(const CircuitBreakers&, const CircuitBreakers&) = default;
};

/// Envoy's outlier_detection as Istio writes it for a DestinationRule's outlierDetection
/// (R12.4); the field defaults are Envoy's. Success-rate ejection is always off.
struct OutlierDetection {
  uint32_t consecutive_5xx = 5;
  uint32_t enforcing_consecutive_5xx = 100;  // percent
  uint32_t consecutive_gateway_failure = 5;
  uint32_t enforcing_consecutive_gateway_failure = 0;
  int64_t interval_ns = 10'000'000'000;
  int64_t base_ejection_time_ns = 30'000'000'000;
  uint32_t max_ejection_percent = 10;
  int64_t max_ejection_time_ns = 300'000'000'000;
  bool split_external_local_origin_errors = false;
  uint32_t consecutive_local_origin_failure = 5;
  uint32_t enforcing_consecutive_local_origin_failure = 100;
  friend bool operator==(const OutlierDetection&, const OutlierDetection&) = default;
};

struct Cluster {
  std::string name;  // outbound|PORT|SUBSET|HOST, PassthroughCluster, BlackHoleCluster, ...
  std::string service_host;
  uint32_t port = 0;
  std::string subset;
  enum class DiscoveryType { kEds, kStatic, kStrictDns, kOriginalDst, kNone };
  DiscoveryType type = DiscoveryType::kEds;
  std::vector<Endpoint> endpoints;
  std::string lb_policy;  // ROUND_ROBIN, LEAST_REQUEST, RANDOM, RING_HASH, MAGLEV, CLUSTER_PROVIDED
  /// The DestinationRule subset's labels: an endpoint list given for the service's plain cluster
  /// (`--endpoints`) is filtered with them for this subset cluster (R4.5).
  StringMap subset_labels;
  uint64_t ring_hash_minimum_ring_size = 1024;  // R5.5 (Istio's default when unspecified)
  uint64_t maglev_table_size = 65537;           // R5.5
  /// R5.8: below this share of healthy hosts (percent) the balancer uses every host. Envoy's
  /// default 50; Istio writes `minHealthPercent` (default 0: panic off) when the
  /// DestinationRule has outlierDetection.
  uint32_t healthy_panic_threshold = 50;
  // Format v3: the DestinationRule's connection pool and outlier detection (R12).
  CircuitBreakers circuit_breakers;
  uint32_t max_requests_per_connection = 0;  // 0 = unlimited
  /// Upstream connection idle timeout (http.idleTimeout, else tcp.idleTimeout); nullopt =
  /// Envoy's 1 h.
  std::optional<int64_t> idle_timeout_ns;
  /// tcp.connectTimeout; nullopt = the mesh connectTimeout (meshproxy's --connect-timeout).
  std::optional<int64_t> connect_timeout_ns;
  std::optional<OutlierDetection> outlier_detection;
  /// Format v4: tcp.idleTimeout alone, which a tcp_proxy to this cluster applies (R15.3).
  std::optional<int64_t> tcp_idle_timeout_ns;
};

struct ProxyConfig {
  ProxyIdentity proxy;
  std::vector<Listener> listeners;
  std::vector<RouteConfiguration> route_configs;
  std::vector<Cluster> clusters;  // sorted by name
  /// Sidecars: hostname → service VIP, as Istio's DNS proxy would answer (first VIP per host);
  /// lets a simulated request by host name reach the `<VIP>_<port>` listener.
  std::vector<std::pair<std::string, std::string>> dns;

  const RouteConfiguration* findRouteConfig(std::string_view name) const;
  const Cluster* findCluster(std::string_view name) const;
};

}  // namespace meshc::xds
