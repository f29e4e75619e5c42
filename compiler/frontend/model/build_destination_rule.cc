// DestinationRule → model::DestinationRule (SEMANTICS 1.20, 3.9). Entry point:
// detail::buildDestinationRule(). Only the fields routing depends on are read.
#include <limits>

#include "frontend/model/build_internal.h"

namespace meshc::model::detail {
namespace {

std::optional<LoadBalancerSettings> loadBalancerOf(const Node* n) {
  if (n == nullptr || !n->isMap()) {
    return std::nullopt;
  }
  LoadBalancerSettings lb;
  lb.simple = enumOf(n->get("simple"), {"UNSPECIFIED", "LEAST_CONN", "RANDOM", "PASSTHROUGH",
                                        "ROUND_ROBIN", "LEAST_REQUEST"});
  if (lb.simple == "UNSPECIFIED") {
    lb.simple.clear();
  }
  const Node* hash = n->get("consistentHash");
  if (hash != nullptr && hash->isMap()) {
    ConsistentHash h;
    h.http_header_name = stringOf(hash->get("httpHeaderName"));
    if (const Node* cookie = hash->get("httpCookie"); cookie != nullptr && cookie->isMap()) {
      h.http_cookie_name = stringOf(cookie->get("name"));
      h.http_cookie_path = stringOf(cookie->get("path"));
      h.http_cookie_ttl_ns = durationOf(cookie->get("ttl"));
      if (const Node* attributes = cookie->get("attributes")) {
        for (const Node* a : attributes->items()) {
          if (a != nullptr && a->isMap()) {
            h.http_cookie_attributes.emplace_back(stringOf(a->get("name")),
                                                  stringOf(a->get("value")));
          }
        }
      }
    }
    h.use_source_ip = boolOf(hash->get("useSourceIp")).value_or(false);
    h.http_query_parameter_name = stringOf(hash->get("httpQueryParameterName"));
    auto uint64Of = [](const Node* v) {
      return static_cast<uint64_t>(intOf(v, 0, std::numeric_limits<int64_t>::max()).value_or(0));
    };
    h.minimum_ring_size = uint64Of(hash->get("minimumRingSize"));
    if (const Node* ring = hash->get("ringHash"); ring != nullptr && ring->isMap()) {
      h.algorithm = ConsistentHash::AlgorithmKind::kRingHash;
      h.ring_hash_minimum_ring_size = uint64Of(ring->get("minimumRingSize"));
    } else if (const Node* maglev = hash->get("maglev"); maglev != nullptr && maglev->isMap()) {
      h.algorithm = ConsistentHash::AlgorithmKind::kMaglev;
      h.maglev_table_size = uint64Of(maglev->get("tableSize"));
    }
    lb.consistent_hash = std::move(h);
  }
  return lb;
}

std::optional<ClientTlsSettings> clientTlsOf(const Node* n) {
  if (n == nullptr || !n->isMap()) {
    return std::nullopt;
  }
  ClientTlsSettings tls;
  tls.mode = enumOf(n->get("mode"), {"DISABLE", "SIMPLE", "MUTUAL", "ISTIO_MUTUAL"});
  if (tls.mode.empty()) {
    tls.mode = "DISABLE";  // enum zero
  }
  tls.sni = stringOf(n->get("sni"));
  return tls;
}

std::optional<ConnectionPoolSettings> connectionPoolOf(const Node* n) {
  if (n == nullptr || !n->isMap()) {
    return std::nullopt;
  }
  ConnectionPoolSettings cp;
  auto int32Of = [](const Node* v) {
    return intOf(v, std::numeric_limits<int32_t>::min(), std::numeric_limits<int32_t>::max())
        .value_or(0);
  };
  if (const Node* tcp = n->get("tcp"); tcp != nullptr && tcp->isMap()) {
    cp.max_connections = int32Of(tcp->get("maxConnections"));
    cp.connect_timeout_ns = durationOf(tcp->get("connectTimeout"));
    cp.tcp_idle_timeout_ns = durationOf(tcp->get("idleTimeout"));
  }
  if (const Node* http = n->get("http"); http != nullptr && http->isMap()) {
    cp.http1_max_pending_requests = int32Of(http->get("http1MaxPendingRequests"));
    cp.http2_max_requests = int32Of(http->get("http2MaxRequests"));
    cp.max_requests_per_connection = int32Of(http->get("maxRequestsPerConnection"));
    cp.max_retries = int32Of(http->get("maxRetries"));
    cp.idle_timeout_ns = durationOf(http->get("idleTimeout"));
  }
  return cp;
}

std::optional<OutlierDetectionSettings> outlierDetectionOf(const Node* n) {
  if (n == nullptr || !n->isMap()) {
    return std::nullopt;
  }
  OutlierDetectionSettings od;
  od.consecutive_5xx_errors = uint32Of(n->get("consecutive5xxErrors"));
  od.consecutive_gateway_errors = uint32Of(n->get("consecutiveGatewayErrors"));
  od.interval_ns = durationOf(n->get("interval"));
  od.base_ejection_time_ns = durationOf(n->get("baseEjectionTime"));
  od.max_ejection_percent = intOf(n->get("maxEjectionPercent"), -1'000'000, 1'000'000).value_or(0);
  od.min_health_percent = intOf(n->get("minHealthPercent"), -1'000'000, 1'000'000).value_or(0);
  od.split_external_local_origin_errors =
      boolOf(n->get("splitExternalLocalOriginErrors")).value_or(false);
  od.consecutive_local_origin_failures = uint32Of(n->get("consecutiveLocalOriginFailures"));
  return od;
}

std::optional<RetryBudgetSettings> retryBudgetOf(const Node* n) {
  if (n == nullptr || !n->isMap()) {
    return std::nullopt;
  }
  RetryBudgetSettings rb;
  rb.percent = numberOf(n->get("percent"));
  rb.min_retry_concurrency = uint32Of(n->get("minRetryConcurrency"));
  return rb;
}

std::optional<TrafficPolicy> trafficPolicyOf(const Node* n) {
  if (n == nullptr || !n->isMap()) {
    return std::nullopt;
  }
  TrafficPolicy p;
  p.load_balancer = loadBalancerOf(n->get("loadBalancer"));
  p.tls = clientTlsOf(n->get("tls"));
  p.connection_pool = connectionPoolOf(n->get("connectionPool"));
  p.outlier_detection = outlierDetectionOf(n->get("outlierDetection"));
  p.retry_budget = retryBudgetOf(n->get("retryBudget"));
  if (const Node* ports = n->get("portLevelSettings")) {
    for (const Node* item : ports->items()) {
      if (item == nullptr || !item->isMap()) {
        continue;
      }
      PortTrafficPolicy pp;
      pp.port = uint32Of(child(item->get("port"), "number")).value_or(0);
      pp.load_balancer = loadBalancerOf(item->get("loadBalancer"));
      pp.tls = clientTlsOf(item->get("tls"));
      pp.connection_pool = connectionPoolOf(item->get("connectionPool"));
      pp.outlier_detection = outlierDetectionOf(item->get("outlierDetection"));
      p.port_level_settings.push_back(std::move(pp));
    }
  }
  return p;
}

}  // namespace

DestinationRule buildDestinationRule(const frontend::Resource& r,
                                     const frontend::MeshConfig& mesh) {
  DestinationRule dr;
  dr.meta = metaOf(r);
  const Node* spec = r.spec;
  dr.host = stringOf(child(spec, "host"));
  dr.traffic_policy = trafficPolicyOf(child(spec, "trafficPolicy"));
  if (const Node* subsets = child(spec, "subsets")) {
    for (const Node* item : subsets->items()) {
      if (item == nullptr || !item->isMap()) {
        continue;
      }
      Subset s;
      s.name = stringOf(item->get("name"));
      s.labels = stringMap(item->get("labels"));
      s.traffic_policy = trafficPolicyOf(item->get("trafficPolicy"));
      dr.subsets.push_back(std::move(s));
    }
  }
  dr.export_to = exportToOf(child(spec, "exportTo"), mesh.default_destination_rule_export_to);
  const Node* selector = child(spec, "workloadSelector");
  if (selector != nullptr && selector->isMap()) {
    dr.workload_selector = stringMap(selector->get("matchLabels"));
  }
  return dr;
}

}  // namespace meshc::model::detail
