// Prometheus rendering: Istio's istio_requests_total labels (R17.4) and Envoy-style names
// (`envoy_` + dotted stat name with '.' → '_', tags as labels, R17.3).
#include "proxy/stats.h"

namespace meshc::proxy {

void WorkerStats::countRequest(const RequestKeyView& key) {
  auto it = requests.find(key);
  if (it == requests.end()) {
    RequestKey owned{std::string(key.listener), std::string(key.route), std::string(key.cluster),
                     key.response_code, std::string(key.response_flags)};
    it = requests.emplace(std::move(owned), 0).first;
  }
  it->second += 1;
}

FilterCounters& WorkerStats::filtersOf(std::string_view listener) {
  auto it = filters.find(listener);
  if (it == filters.end()) {
    it = filters.emplace(std::string(listener), FilterCounters{}).first;
  }
  return it->second;
}

ListenerCounters& WorkerStats::listenerOf(std::string_view listener) {
  auto it = listeners.find(listener);
  if (it == listeners.end()) {
    it = listeners.emplace(std::string(listener), ListenerCounters{}).first;
  }
  return it->second;
}

namespace {

std::string escapeLabel(std::string_view v) {
  std::string out;
  for (char c : v) {
    if (c == '\\' || c == '"') {
      out += '\\';
      out += c;
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  return out;
}

std::string statusClass(uint32_t code) {
  if (code == 0) {
    return "0xx";
  }
  return std::to_string(code / 100) + "xx";
}

// "outbound|9080|v1|reviews.default.svc.cluster.local" → host part, or the name itself.
std::string serviceOf(const std::string& cluster) {
  size_t bar = cluster.rfind('|');
  return bar == std::string::npos ? cluster : cluster.substr(bar + 1);
}

}  // namespace

void WorkerStats::merge(const WorkerStats& o) {
  for (const auto& [k, v] : o.requests) {
    requests[k] += v;
  }
  for (const auto& [k, v] : o.clusters) {
    ClusterCounters& c = clusters[k];
    c.upstream_rq_total += v.upstream_rq_total;
    c.upstream_cx_total += v.upstream_cx_total;
    c.upstream_cx_connect_fail += v.upstream_cx_connect_fail;
    c.upstream_rq_pending_total += v.upstream_rq_pending_total;
    c.upstream_rq_retry += v.upstream_rq_retry;
    c.upstream_rq_retry_success += v.upstream_rq_retry_success;
    c.upstream_rq_retry_limit_exceeded += v.upstream_rq_retry_limit_exceeded;
    c.upstream_rq_timeout += v.upstream_rq_timeout;
    c.upstream_rq_per_try_timeout += v.upstream_rq_per_try_timeout;
    c.retry_or_shadow_abandoned += v.retry_or_shadow_abandoned;
    c.upstream_rq_pending_overflow += v.upstream_rq_pending_overflow;
    c.upstream_cx_overflow += v.upstream_cx_overflow;
    c.upstream_rq_retry_overflow += v.upstream_rq_retry_overflow;
  }
  for (const auto& [k, v] : o.filters) {
    FilterCounters& f = filters[k];
    f.fault_delays_injected += v.fault_delays_injected;
    f.fault_aborts_injected += v.fault_aborts_injected;
    f.cors_origin_valid += v.cors_origin_valid;
    f.cors_origin_invalid += v.cors_origin_invalid;
  }
  for (const auto& [k, v] : o.tcp) {
    TcpCounters& t = tcp[k];
    t.opened += v.opened;
    t.closed += v.closed;
    t.received_bytes += v.received_bytes;
    t.sent_bytes += v.sent_bytes;
    t.idle_timeouts += v.idle_timeouts;
  }
  for (const auto& [k, v] : o.listeners) {
    ListenerCounters& l = listeners[k];
    l.no_filter_chain_match += v.no_filter_chain_match;
    l.listener_filters_timeout += v.listener_filters_timeout;
    l.tls_not_served += v.tls_not_served;
    l.ssl_handshake += v.ssl_handshake;
    l.ssl_connection_error += v.ssl_connection_error;
    l.ssl_fail_verify_no_cert += v.ssl_fail_verify_no_cert;
    l.ssl_fail_verify_error += v.ssl_fail_verify_error;
    l.ssl_fail_verify_pin += v.ssl_fail_verify_pin;
  }
  downstream_cx_total += o.downstream_cx_total;
  downstream_cx_active += o.downstream_cx_active;
  downstream_rq_active += o.downstream_rq_active;
  upstream_cx_active += o.upstream_cx_active;
  upstream_rq_pending_active += o.upstream_rq_pending_active;
  codec_errors += o.codec_errors;
}

std::string renderPrometheus(const WorkerStats& m, const ServerStats& s, bool gateway) {
  std::string out;
  out += "# TYPE istio_requests_total counter\n";
  for (const auto& [k, v] : m.requests) {
    out += "istio_requests_total{reporter=\"source\",destination_service=\"" +
           escapeLabel(k.cluster == "-" ? "unknown" : serviceOf(k.cluster)) +
           "\",destination_cluster_name=\"" + escapeLabel(k.cluster) + "\",route_name=\"" +
           escapeLabel(k.route) + "\",listener=\"" + escapeLabel(k.listener) +
           "\",request_protocol=\"http\",response_code=\"" + std::to_string(k.response_code) +
           "\",response_code_class=\"" + statusClass(k.response_code) + "\",response_flags=\"" +
           escapeLabel(k.response_flags) + "\"} " + std::to_string(v) + "\n";
  }
  // Envoy-style per-listener request totals by status class (R17.3 naming).
  std::map<std::pair<std::string, std::string>, uint64_t> by_class;
  for (const auto& [k, v] : m.requests) {
    by_class[{k.listener, statusClass(k.response_code)}] += v;
  }
  out += "# TYPE envoy_http_downstream_rq counter\n";
  for (const auto& [k, v] : by_class) {
    out += "envoy_http_downstream_rq{http_conn_manager_prefix=\"" + escapeLabel(k.first) +
           "\",response_code_class=\"" + k.second + "\"} " + std::to_string(v) + "\n";
  }
  auto cluster_metric = [&](const char* name, const char* type, auto field) {
    out += std::string("# TYPE envoy_cluster_") + name + " " + type + "\n";
    for (const auto& [cluster, c] : m.clusters) {
      out += std::string("envoy_cluster_") + name + "{cluster_name=\"" + escapeLabel(cluster) +
             "\"} " + std::to_string(c.*field) + "\n";
    }
  };
  cluster_metric("upstream_rq_total", "counter", &ClusterCounters::upstream_rq_total);
  cluster_metric("upstream_cx_total", "counter", &ClusterCounters::upstream_cx_total);
  cluster_metric("upstream_cx_connect_fail", "counter", &ClusterCounters::upstream_cx_connect_fail);
  cluster_metric("upstream_rq_retry", "counter", &ClusterCounters::upstream_rq_retry);
  cluster_metric("upstream_rq_retry_success", "counter",
                 &ClusterCounters::upstream_rq_retry_success);
  cluster_metric("upstream_rq_retry_limit_exceeded", "counter",
                 &ClusterCounters::upstream_rq_retry_limit_exceeded);
  cluster_metric("upstream_rq_timeout", "counter", &ClusterCounters::upstream_rq_timeout);
  cluster_metric("upstream_rq_per_try_timeout", "counter",
                 &ClusterCounters::upstream_rq_per_try_timeout);
  cluster_metric("retry_or_shadow_abandoned", "counter",
                 &ClusterCounters::retry_or_shadow_abandoned);
  cluster_metric("upstream_rq_pending_total", "counter",
                 &ClusterCounters::upstream_rq_pending_total);
  cluster_metric("upstream_rq_pending_overflow", "counter",
                 &ClusterCounters::upstream_rq_pending_overflow);
  cluster_metric("upstream_cx_overflow", "counter", &ClusterCounters::upstream_cx_overflow);
  cluster_metric("upstream_rq_retry_overflow", "counter",
                 &ClusterCounters::upstream_rq_retry_overflow);
  auto outlier_metric = [&](const char* name, const char* type, auto field) {
    out += std::string("# TYPE envoy_cluster_outlier_detection_") + name + " " + type + "\n";
    for (const auto& [cluster, o] : s.outlier) {
      out += std::string("envoy_cluster_outlier_detection_") + name + "{cluster_name=\"" +
             escapeLabel(cluster) + "\"} " + std::to_string(o.*field) + "\n";
    }
  };
  outlier_metric("ejections_active", "gauge", &OutlierStats::ejections_active);
  outlier_metric("ejections_enforced_total", "counter", &OutlierStats::ejections_enforced_total);
  outlier_metric("ejections_overflow", "counter", &OutlierStats::ejections_overflow);
  outlier_metric("ejections_enforced_consecutive_5xx", "counter",
                 &OutlierStats::ejections_enforced_consecutive_5xx);
  outlier_metric("ejections_detected_consecutive_5xx", "counter",
                 &OutlierStats::ejections_detected_consecutive_5xx);
  outlier_metric("ejections_enforced_consecutive_gateway_failure", "counter",
                 &OutlierStats::ejections_enforced_consecutive_gateway_failure);
  outlier_metric("ejections_detected_consecutive_gateway_failure", "counter",
                 &OutlierStats::ejections_detected_consecutive_gateway_failure);
  auto filter_metric = [&](const char* name, auto field) {
    out += std::string("# TYPE envoy_http_") + name + " counter\n";
    for (const auto& [listener, f] : m.filters) {
      out += std::string("envoy_http_") + name + "{http_conn_manager_prefix=\"" +
             escapeLabel(listener) + "\"} " + std::to_string(f.*field) + "\n";
    }
  };
  filter_metric("fault_delays_injected", &FilterCounters::fault_delays_injected);
  filter_metric("fault_aborts_injected", &FilterCounters::fault_aborts_injected);
  filter_metric("cors_origin_valid", &FilterCounters::cors_origin_valid);
  filter_metric("cors_origin_invalid", &FilterCounters::cors_origin_invalid);
  auto tcp_metric = [&](const char* name, auto field) {
    out += std::string("# TYPE ") + name + " counter\n";
    for (const auto& [k, t] : m.tcp) {
      out += std::string(name) + "{reporter=\"source\",destination_service=\"" +
             escapeLabel(k.cluster == "-" ? "unknown" : serviceOf(k.cluster)) +
             "\",destination_cluster_name=\"" + escapeLabel(k.cluster) + "\",listener=\"" +
             escapeLabel(k.listener) + "\",request_protocol=\"tcp\",response_flags=\"" +
             escapeLabel(k.response_flags) + "\"} " + std::to_string(t.*field) + "\n";
    }
  };
  tcp_metric("istio_tcp_connections_opened_total", &TcpCounters::opened);
  tcp_metric("istio_tcp_connections_closed_total", &TcpCounters::closed);
  tcp_metric("istio_tcp_received_bytes_total", &TcpCounters::received_bytes);
  tcp_metric("istio_tcp_sent_bytes_total", &TcpCounters::sent_bytes);
  std::map<std::string, uint64_t> idle_by_cluster;
  for (const auto& [k, t] : m.tcp) {
    idle_by_cluster[k.cluster] += t.idle_timeouts;
  }
  out += "# TYPE envoy_tcp_idle_timeout counter\n";
  for (const auto& [cluster, v] : idle_by_cluster) {
    out += "envoy_tcp_idle_timeout{tcp_prefix=\"" + escapeLabel(cluster) + "\"} " +
           std::to_string(v) + "\n";
  }
  auto listener_metric = [&](const char* name, auto field) {
    out += std::string("# TYPE ") + name + " counter\n";
    for (const auto& [listener, l] : m.listeners) {
      out += std::string(name) + "{listener_address=\"" + escapeLabel(listener) + "\"} " +
             std::to_string(l.*field) + "\n";
    }
  };
  listener_metric("envoy_listener_no_filter_chain_match", &ListenerCounters::no_filter_chain_match);
  listener_metric("envoy_listener_downstream_pre_cx_timeout",
                  &ListenerCounters::listener_filters_timeout);
  listener_metric("meshproxy_listener_tls_not_served", &ListenerCounters::tls_not_served);
  listener_metric("envoy_listener_ssl_handshake", &ListenerCounters::ssl_handshake);
  listener_metric("envoy_listener_ssl_connection_error", &ListenerCounters::ssl_connection_error);
  listener_metric("envoy_listener_ssl_fail_verify_no_cert",
                  &ListenerCounters::ssl_fail_verify_no_cert);
  listener_metric("envoy_listener_ssl_fail_verify_error", &ListenerCounters::ssl_fail_verify_error);
  listener_metric("envoy_listener_ssl_fail_verify_san", &ListenerCounters::ssl_fail_verify_pin);
  auto gauge = [&](const char* name, uint64_t v, const char* type = "gauge") {
    out += std::string("# TYPE ") + name + " " + type + "\n" + name + " " + std::to_string(v) + "\n";
  };
  gauge("envoy_http_downstream_cx_total", m.downstream_cx_total, "counter");
  gauge("envoy_http_downstream_cx_active", m.downstream_cx_active);
  gauge("envoy_http_downstream_rq_active", m.downstream_rq_active);
  gauge("envoy_cluster_manager_upstream_cx_active", m.upstream_cx_active);
  gauge("envoy_cluster_manager_upstream_rq_pending_active", m.upstream_rq_pending_active);
  gauge("envoy_http_downstream_cx_protocol_error", m.codec_errors, "counter");
  out += "# TYPE meshproxy_reloads_total counter\nmeshproxy_reloads_total{result=\"ok\"} " +
         std::to_string(s.reloads_ok) + "\nmeshproxy_reloads_total{result=\"failed\"} " +
         std::to_string(s.reloads_failed) + "\n";
  gauge("meshproxy_bundle_generation", s.bundle_generation);
  out += "# TYPE meshproxy_routing_engine gauge\nmeshproxy_routing_engine{engine=\"native\"} " +
         std::string(s.native_in_use ? "1" : "0") +
         "\nmeshproxy_routing_engine{engine=\"tree\"} " + std::string(s.native_in_use ? "0" : "1") +
         "\n";
  gauge("meshproxy_native_fallbacks_total", s.native_fallbacks, "counter");
  gauge("envoy_server_concurrency", s.workers);
  out += "# TYPE envoy_server_state gauge\nenvoy_server_state " +
         std::string(s.state == "LIVE" ? "0" : "1") + "\n";
  (void)gateway;
  return out;
}

}  // namespace meshc::proxy
