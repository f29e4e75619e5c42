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

std::optional<TrafficPolicy> trafficPolicyOf(const Node* n) {
  if (n == nullptr || !n->isMap()) {
    return std::nullopt;
  }
  TrafficPolicy p;
  p.load_balancer = loadBalancerOf(n->get("loadBalancer"));
  p.tls = clientTlsOf(n->get("tls"));
  if (const Node* ports = n->get("portLevelSettings")) {
    for (const Node* item : ports->items()) {
      if (item == nullptr || !item->isMap()) {
        continue;
      }
      PortTrafficPolicy pp;
      pp.port = uint32Of(child(item->get("port"), "number")).value_or(0);
      pp.load_balancer = loadBalancerOf(item->get("loadBalancer"));
      pp.tls = clientTlsOf(item->get("tls"));
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
