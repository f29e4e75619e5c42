// Per-worker counters (shared-nothing: only the worker thread writes them; the admin thread
// asks each worker for a copy through its event loop) and their Prometheus rendering
// (PROXY-SEMANTICS R17.3, R17.4). Entry points: WorkerStats, renderPrometheus().
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <tuple>
#include <vector>

namespace meshc::proxy {

/// One request outcome bucket (istio_requests_total's labels that apply here).
struct RequestKey {
  std::string listener;
  std::string route;     // route name, "-" when none
  std::string cluster;   // "-" when none
  uint32_t response_code = 0;
  std::string response_flags;  // "-" or "UH", "NR,..." (R11.18)
  friend auto operator<=>(const RequestKey&, const RequestKey&) = default;
};

/// A RequestKey's fields borrowed: counting a request looks its counter up without building
/// the key's strings (they are built once, when a combination is first seen).
struct RequestKeyView {
  std::string_view listener, route, cluster;
  uint32_t response_code = 0;
  std::string_view response_flags;
};

/// RequestKey's own order (field by field), also across RequestKeyView.
struct RequestKeyLess {
  using is_transparent = void;
  static auto fields(const RequestKey& k) {
    return std::tuple<std::string_view, std::string_view, std::string_view, uint32_t,
                      std::string_view>(k.listener, k.route, k.cluster, k.response_code,
                                        k.response_flags);
  }
  static auto fields(const RequestKeyView& k) {
    return std::tuple(k.listener, k.route, k.cluster, k.response_code, k.response_flags);
  }
  template <typename A, typename B>
  bool operator()(const A& a, const B& b) const {
    return fields(a) < fields(b);
  }
};

struct ClusterCounters {
  uint64_t upstream_rq_total = 0;
  uint64_t upstream_cx_total = 0;
  uint64_t upstream_cx_connect_fail = 0;
  uint64_t upstream_rq_pending_total = 0;
  uint64_t upstream_rq_retry = 0;                 // R7: retries started
  uint64_t upstream_rq_retry_success = 0;         // retried requests answered without retry
  uint64_t upstream_rq_retry_limit_exceeded = 0;  // URX
  uint64_t upstream_rq_timeout = 0;               // R6.3: route timeouts
  uint64_t upstream_rq_per_try_timeout = 0;       // R6.4
  uint64_t retry_or_shadow_abandoned = 0;         // R7.9: body over the buffer limit
  uint64_t upstream_rq_pending_overflow = 0;      // R12.2: pending or request limit
  uint64_t upstream_cx_overflow = 0;              // R12.2: connection limit reached
  uint64_t upstream_rq_retry_overflow = 0;        // R7.8: retry limit reached
};

/// TCP connections of one listener to one cluster with one outcome (istio_tcp_*, R17.4).
struct TcpKey {
  std::string listener;
  std::string cluster;         // "-" when none was chosen
  std::string response_flags;  // "-", "UF", "UH", "NC", "UO"
  friend auto operator<=>(const TcpKey&, const TcpKey&) = default;
};
struct TcpCounters {
  uint64_t opened = 0;
  uint64_t closed = 0;
  uint64_t received_bytes = 0;  // downstream → upstream (the request direction)
  uint64_t sent_bytes = 0;      // upstream → downstream
  uint64_t idle_timeouts = 0;   // R15.3
};

/// What a listener's filter-chain choice counted (Envoy's listener.<address>.*).
struct ListenerCounters {
  uint64_t no_filter_chain_match = 0;     // R14.2, R14.8: closed without a byte
  uint64_t listener_filters_timeout = 0;  // the inspectors saw too little in time
  uint64_t tls_not_served = 0;            // a TLS chain whose context could not be built
  uint64_t ssl_handshake = 0;             // handshakes completed (R14.1)
  uint64_t ssl_connection_error = 0;      // handshakes failed, for any reason
  uint64_t ssl_fail_verify_no_cert = 0;   // R14.6: MUTUAL and no client certificate
  uint64_t ssl_fail_verify_error = 0;     // R14.6: the client certificate failed the CA check
  uint64_t ssl_fail_verify_pin = 0;       // subjectAltNames / SPKI / certificate hash refused
};

/// The HTTP filters' counters of one listener (Envoy's `http.<prefix>.fault.*`, `.cors.*`).
struct FilterCounters {
  uint64_t fault_delays_injected = 0;
  uint64_t fault_aborts_injected = 0;
  uint64_t cors_origin_valid = 0;
  uint64_t cors_origin_invalid = 0;
};

struct WorkerStats {
  std::map<RequestKey, uint64_t, RequestKeyLess> requests;
  /// One more request with these labels.
  void countRequest(const RequestKeyView& key);
  std::map<std::string, ClusterCounters> clusters;
  /// By listener; an entry appears when a filter first counts something there.
  std::map<std::string, FilterCounters, std::less<>> filters;
  FilterCounters& filtersOf(std::string_view listener);
  std::map<TcpKey, TcpCounters> tcp;
  std::map<std::string, ListenerCounters, std::less<>> listeners;
  ListenerCounters& listenerOf(std::string_view listener);
  uint64_t downstream_cx_total = 0;
  uint64_t downstream_cx_active = 0;
  uint64_t downstream_rq_active = 0;
  uint64_t upstream_cx_active = 0;
  uint64_t upstream_rq_pending_active = 0;
  uint64_t codec_errors = 0;
  void merge(const WorkerStats& other);
};

/// One cluster's outlier detector counters (Envoy's cluster.<name>.outlier_detection.*).
struct OutlierStats {
  uint64_t ejections_active = 0;
  uint64_t ejections_enforced_total = 0;
  uint64_t ejections_overflow = 0;
  uint64_t ejections_enforced_consecutive_5xx = 0;
  uint64_t ejections_detected_consecutive_5xx = 0;
  uint64_t ejections_enforced_consecutive_gateway_failure = 0;
  uint64_t ejections_detected_consecutive_gateway_failure = 0;
};

/// Process-wide values the main thread owns.
struct ServerStats {
  uint64_t reloads_ok = 0;
  uint64_t reloads_failed = 0;
  uint64_t bundle_generation = 0;
  bool native_in_use = false;
  uint64_t native_fallbacks = 0;
  uint32_t workers = 0;
  std::string state = "LIVE";  // LIVE, DRAINING (R17.1)
  std::map<std::string, OutlierStats> outlier;  // clusters with outlier detection, by name
};

/// Prometheus text exposition of the merged worker stats and the server stats.
std::string renderPrometheus(const WorkerStats& merged, const ServerStats& server, bool gateway);

}  // namespace meshc::proxy
