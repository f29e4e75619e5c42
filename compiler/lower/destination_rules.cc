// DestinationRule lookup and merging (istio:pilot/pkg/model/push_context.go setDestinationRules /
// destinationRule, destination_rule.go mergeDestinationRule, sidecar.go DestinationRule) and the
// clusters a service gets from it (cluster.go buildOutboundClusters). Entry point:
// DestinationRuleIndex.
#include "lower/destination_rules.h"

#include <algorithm>

#include "frontend/istio/labels.h"
#include "lower/names.h"

namespace meshc::lower {
namespace {

bool drOrderLess(const model::DestinationRule* a, const model::DestinationRule* b) {
  // sortConfigBySelectorAndCreationTime: rules with a workload selector first.
  bool as = a->workload_selector.has_value();
  bool bs = b->workload_selector.has_value();
  if (as != bs) {
    return as;
  }
  return model::configOrderLess(a->meta, b->meta);
}

bool contains(const std::vector<std::string>& v, std::string_view s) {
  return std::find(v.begin(), v.end(), s) != v.end();
}

bool isSuperset(const std::vector<std::string>& a, const std::vector<std::string>& b) {
  for (const std::string& e : b) {
    if (!contains(a, e)) {
      return false;
    }
  }
  return true;
}

const model::PortTrafficPolicy* portLevel(const std::optional<model::TrafficPolicy>& policy,
                                          uint32_t port) {
  if (!policy) {
    return nullptr;
  }
  for (const model::PortTrafficPolicy& p : policy->port_level_settings) {
    if (p.port == port) {
      return &p;
    }
  }
  return nullptr;
}

std::optional<model::ConsistentHash> hashOf(const std::optional<model::LoadBalancerSettings>& lb) {
  if (!lb) {
    return std::nullopt;
  }
  return lb->consistent_hash;
}

// GetPortLevelTrafficPolicy + MergeTrafficPolicy for the load balancer only: a port-level entry
// for the port replaces the top-level loadBalancer wholesale (even when it has none).
std::optional<model::LoadBalancerSettings> effectiveLb(
    const std::optional<model::TrafficPolicy>& policy, uint32_t port, bool* has_port_level) {
  *has_port_level = false;
  if (!policy) {
    return std::nullopt;
  }
  if (const model::PortTrafficPolicy* pl = portLevel(policy, port)) {
    *has_port_level = true;
    return pl->load_balancer;
  }
  return policy->load_balancer;
}

Cluster::DiscoveryType discoveryType(const Service& s, bool for_gateway) {
  switch (s.resolution) {
    case ServiceResolution::kClientSideLb:
      return Cluster::DiscoveryType::kEds;
    case ServiceResolution::kDnsLb:
    case ServiceResolution::kDnsRoundRobin:
      return Cluster::DiscoveryType::kStrictDns;
    case ServiceResolution::kPassthrough:
      // convertResolution: gateways cannot use original-destination clusters.
      return for_gateway ? Cluster::DiscoveryType::kEds : Cluster::DiscoveryType::kOriginalDst;
    case ServiceResolution::kDynamicDns:
    case ServiceResolution::kAlias:
      return Cluster::DiscoveryType::kNone;
  }
  return Cluster::DiscoveryType::kEds;
}

}  // namespace

const model::Subset* ConsolidatedDestinationRule::findSubset(std::string_view name) const {
  for (const model::Subset& s : rule.subsets) {
    if (s.name == name) {
      return &s;
    }
  }
  return nullptr;
}

void DestinationRuleIndex::merge(ByHost& into, const model::DestinationRule& dr,
                                 const std::vector<std::string>& export_to) {
  auto& table = isWildcardHost(dr.host) ? into.wildcard : into.specific;
  auto it = table.find(dr.host);
  ConsolidatedDestinationRule fresh{dr, {dr.meta.ref()}, export_to};
  if (it == table.end()) {
    table[dr.host].push_back(std::move(fresh));
    return;
  }
  // mergeDestinationRule with PILOT_ENABLE_ENHANCED_DESTINATIONRULE_MERGE (default on): only
  // rules with the same exportTo merge; a wider exportTo merges and is also kept on its own.
  bool append_separately = true;
  for (ConsolidatedDestinationRule& mdr : it->second) {
    if (export_to == mdr.export_to) {
      append_separately = false;
    } else if (!mdr.export_to.empty() && isSuperset(export_to, mdr.export_to)) {
      append_separately = true;
    } else {
      append_separately = true;
      continue;
    }
    const model::DestinationRule& existing = mdr.rule;
    bool both_without = !dr.workload_selector && !existing.workload_selector;
    bool both_with = dr.workload_selector && existing.workload_selector;
    if (both_with && *dr.workload_selector != *existing.workload_selector) {
      append_separately = true;
      continue;
    }
    if (both_without || both_with) {
      append_separately = false;
    }
    mdr.from.push_back(dr.meta.ref());
    for (const model::Subset& subset : dr.subsets) {
      if (mdr.findSubset(subset.name) == nullptr) {
        mdr.rule.subsets.push_back(subset);  // later duplicates are dropped
      }
    }
    if (!mdr.rule.traffic_policy && dr.traffic_policy) {
      mdr.rule.traffic_policy = dr.traffic_policy;  // first top-level policy wins
    }
  }
  if (append_separately) {
    it->second.push_back(std::move(fresh));
  }
}

DestinationRuleIndex::DestinationRuleIndex(const model::ConfigSet& config)
    : root_namespace_(config.mesh.root_namespace) {
  std::vector<const model::DestinationRule*> sorted;
  for (const model::DestinationRule& dr : config.destination_rules) {
    sorted.push_back(&dr);
  }
  std::stable_sort(sorted.begin(), sorted.end(), drOrderLess);

  for (const model::DestinationRule* src : sorted) {
    model::DestinationRule dr = *src;
    const std::string& ns = dr.meta.name_space;
    dr.host = resolveShortName(dr.host, ns, config.mesh.domain_suffix);
    if (dr.host.empty()) {
      continue;
    }
    // A DR with a workload selector is never exported beyond its namespace.
    std::vector<std::string> export_to;
    if (dr.workload_selector) {
      export_to = {ns};
    } else {
      const std::vector<std::string>& raw =
          dr.export_to.empty() ? config.mesh.default_destination_rule_export_to : dr.export_to;
      for (const std::string& e : raw) {
        std::string v = e == "." ? ns : e;
        if (!v.empty() && !contains(export_to, v)) {
          export_to.push_back(v);
        }
      }
      if (export_to.empty()) {
        export_to.push_back("*");
      }
      std::sort(export_to.begin(), export_to.end());
    }
    if (contains(export_to, "*") || contains(export_to, ns)) {
      merge(namespace_local_[ns], dr, export_to);
    }
    bool private_only = export_to.size() == 1 && export_to.front() == ns;
    if (!private_only) {
      merge(exported_by_namespace_[ns], dr, export_to);
    } else if (ns == root_namespace_) {
      merge(root_namespace_local_, dr, export_to);
    }
  }
}

const std::vector<ConsolidatedDestinationRule>* DestinationRuleIndex::match(const ByHost& by_host,
                                                                            std::string_view host) {
  // MostSpecificHostMatch: exact first, then the most specific wildcard whose suffix the needle
  // ends with (a wildcard needle is compared by its own suffix).
  if (isWildcardHost(host)) {
    if (auto it = by_host.wildcard.find(host); it != by_host.wildcard.end()) {
      return &it->second;
    }
  } else if (auto it = by_host.specific.find(host); it != by_host.specific.end()) {
    return &it->second;
  }
  std::string_view needle = isWildcardHost(host) ? host.substr(1) : host;
  const std::string* best = nullptr;
  const std::vector<ConsolidatedDestinationRule>* best_value = nullptr;
  for (const auto& [h, v] : by_host.wildcard) {
    std::string_view suffix = std::string_view(h).substr(1);
    if (needle.size() < suffix.size() || needle.substr(needle.size() - suffix.size()) != suffix) {
      continue;
    }
    if (best == nullptr || moreSpecificHost(h, *best)) {
      best = &h;
      best_value = &v;
    }
  }
  return best_value;
}

std::vector<const ConsolidatedDestinationRule*> DestinationRuleIndex::candidates(
    std::string_view proxy_namespace, std::string_view host,
    std::string_view service_namespace) const {
  std::vector<const ConsolidatedDestinationRule*> out;
  auto all = [&out](const std::vector<ConsolidatedDestinationRule>* list) {
    if (list == nullptr) {
      return false;
    }
    for (const ConsolidatedDestinationRule& c : *list) {
      out.push_back(&c);
    }
    return !out.empty();
  };
  // 1. The proxy's own namespace (the root namespace only sees its private rules here, so that
  //    its public catch-all rules do not shadow service-namespace rules).
  if (proxy_namespace != root_namespace_) {
    auto it = namespace_local_.find(proxy_namespace);
    if (it != namespace_local_.end() && all(match(it->second, host))) {
      return out;
    }
  } else if (all(match(root_namespace_local_, host))) {
    return out;
  }
  auto exported = [&](std::string_view owner) {
    auto it = exported_by_namespace_.find(owner);
    if (it == exported_by_namespace_.end()) {
      return false;
    }
    const std::vector<ConsolidatedDestinationRule>* list = match(it->second, host);
    if (list == nullptr) {
      return false;
    }
    for (const ConsolidatedDestinationRule& c : *list) {
      if (c.export_to.empty() || contains(c.export_to, "*") ||
          contains(c.export_to, proxy_namespace)) {
        out.push_back(&c);
      }
    }
    return !out.empty();
  };
  // 2. The service's namespace, 3. the root namespace, each only if exported to the proxy.
  if (!service_namespace.empty() && exported(service_namespace)) {
    return out;
  }
  exported(root_namespace_);
  return out;
}

const ConsolidatedDestinationRule* DestinationRuleIndex::forProxy(
    const ProxyIdentity& proxy, std::string_view host, std::string_view service_namespace) const {
  const ConsolidatedDestinationRule* catch_all = nullptr;
  for (const ConsolidatedDestinationRule* c :
       candidates(proxy.name_space, host, service_namespace)) {
    if (!c->rule.workload_selector) {
      catch_all = c;  // the last selector-less one, as Istio's loop leaves it
    }
    if (proxy.kind == ProxyIdentity::Kind::kSidecar &&
        c->rule.meta.name_space == proxy.name_space && c->rule.workload_selector &&
        istio::selectorMatches(*c->rule.workload_selector, proxy.labels)) {
      return c;
    }
  }
  return catch_all;
}

std::optional<HashPolicy> toHashPolicy(const model::ConsistentHash& hash) {
  HashPolicy p;
  if (!hash.http_header_name.empty()) {
    p.header_name = hash.http_header_name;
  } else if (!hash.http_cookie_name.empty()) {
    // ConsistentHashToHashPolicy copies name, path, ttl (when set) and attributes verbatim.
    p.cookie_name = hash.http_cookie_name;
    p.cookie_path = hash.http_cookie_path;
    p.cookie_ttl_ns = hash.http_cookie_ttl_ns;
    p.cookie_attributes = hash.http_cookie_attributes;
  } else if (hash.use_source_ip) {
    p.source_ip = true;
  } else if (!hash.http_query_parameter_name.empty()) {
    p.query_parameter_name = hash.http_query_parameter_name;
  } else {
    return std::nullopt;
  }
  return p;
}

std::optional<model::ConsistentHash> consistentHashForDestination(
    const ConsolidatedDestinationRule* dr, const model::Destination& destination) {
  if (dr == nullptr) {
    return std::nullopt;
  }
  const std::optional<model::TrafficPolicy>& top = dr->rule.traffic_policy;
  auto portHash = [&destination](const std::optional<model::TrafficPolicy>& policy)
      -> std::optional<model::ConsistentHash> {
    if (!destination.port) {
      return std::nullopt;  // port-level settings only apply to an explicit destination port
    }
    const model::PortTrafficPolicy* pl = portLevel(policy, *destination.port);
    return pl != nullptr ? hashOf(pl->load_balancer) : std::nullopt;
  };
  std::optional<model::ConsistentHash> out = top ? hashOf(top->load_balancer) : std::nullopt;
  std::optional<model::ConsistentHash> pls = portHash(top);
  std::optional<model::ConsistentHash> subset_hash;
  std::optional<model::ConsistentHash> subset_pls;
  for (const model::Subset& s : dr->rule.subsets) {
    if (s.name == destination.subset) {
      if (s.traffic_policy) {
        subset_hash = hashOf(s.traffic_policy->load_balancer);
      }
      subset_pls = portHash(s.traffic_policy);
      break;
    }
  }
  if (subset_pls) {
    return subset_pls;
  }
  if (subset_hash) {
    return subset_hash;
  }
  if (pls) {
    return pls;
  }
  return out;
}

std::optional<model::ConsistentHash> consistentHashForServicePort(
    const ConsolidatedDestinationRule* dr, uint32_t port) {
  if (dr == nullptr || !dr->rule.traffic_policy) {
    return std::nullopt;
  }
  std::optional<model::ConsistentHash> out = hashOf(dr->rule.traffic_policy->load_balancer);
  if (const model::PortTrafficPolicy* pl = portLevel(dr->rule.traffic_policy, port)) {
    if (std::optional<model::ConsistentHash> h = hashOf(pl->load_balancer)) {
      out = h;
    }
  }
  return out;
}

std::optional<model::LoadBalancerSettings> effectiveLoadBalancer(
    const ConsolidatedDestinationRule* dr, uint32_t port, std::string_view subset) {
  std::optional<model::LoadBalancerSettings> lb;
  if (dr == nullptr) {
    return lb;
  }
  bool has_port_level = false;
  lb = effectiveLb(dr->rule.traffic_policy, port, &has_port_level);
  if (!subset.empty()) {
    if (const model::Subset* s = dr->findSubset(subset); s != nullptr && s->traffic_policy) {
      bool subset_port_level = false;
      std::optional<model::LoadBalancerSettings> slb =
          effectiveLb(s->traffic_policy, port, &subset_port_level);
      if (slb || subset_port_level) {
        lb = slb;
      }
    }
  }
  return lb;
}

std::string lbPolicyName(const ConsolidatedDestinationRule* dr, uint32_t port,
                         std::string_view subset) {
  std::optional<model::LoadBalancerSettings> lb = effectiveLoadBalancer(dr, port, subset);
  if (!lb) {
    return "LEAST_REQUEST";
  }
  if (lb->consistent_hash) {
    // ApplyRingHashLoadBalancer: maglev → MAGLEV; ringHash or neither (deprecated
    // minimumRingSize) → RING_HASH.
    return lb->consistent_hash->algorithm == model::ConsistentHash::AlgorithmKind::kMaglev
               ? "MAGLEV"
               : "RING_HASH";
  }
  const std::string& simple = lb->simple;
  if (simple == "ROUND_ROBIN") {
    return "ROUND_ROBIN";
  }
  if (simple == "RANDOM") {
    return "RANDOM";
  }
  if (simple == "PASSTHROUGH") {
    return "CLUSTER_PROVIDED";
  }
  return "LEAST_REQUEST";  // UNSPECIFIED, LEAST_CONN, LEAST_REQUEST
}

void applyHashTableSizes(const std::optional<model::LoadBalancerSettings>& lb, Cluster& c) {
  if (!lb || !lb->consistent_hash) {
    return;
  }
  // ApplyRingHashLoadBalancer sets lb_config only for a non-zero size; Envoy's defaults (ring
  // 1024, Maglev table 65537) stay in the Cluster's field defaults otherwise. Without ringHash or
  // maglev the deprecated minimumRingSize is used, 1024 when it is 0.
  const model::ConsistentHash& h = *lb->consistent_hash;
  switch (h.algorithm) {
    case model::ConsistentHash::AlgorithmKind::kMaglev:
      if (h.maglev_table_size != 0) {
        c.maglev_table_size = h.maglev_table_size;
      }
      break;
    case model::ConsistentHash::AlgorithmKind::kRingHash:
      if (h.ring_hash_minimum_ring_size != 0) {
        c.ring_hash_minimum_ring_size = h.ring_hash_minimum_ring_size;
      }
      break;
    case model::ConsistentHash::AlgorithmKind::kUnset:
      c.ring_hash_minimum_ring_size = h.minimum_ring_size != 0 ? h.minimum_ring_size : 1024;
      break;
  }
}

// MergeTrafficPolicy for the connection pool and outlier detection of one cluster: the
// top-level policy (its port-level entry for this port replacing both, even when the entry
// leaves them out), then the subset's fields that are set, then the subset's port-level entry
// (again replacing both).
struct PoolPolicy {
  std::optional<model::ConnectionPoolSettings> connection_pool;
  std::optional<model::OutlierDetectionSettings> outlier_detection;
  std::optional<model::RetryBudgetSettings> retry_budget;  // subset overrides; no port level
};

PoolPolicy effectivePoolPolicy(const ConsolidatedDestinationRule* dr, uint32_t port,
                               std::string_view subset) {
  PoolPolicy out;
  if (dr == nullptr) {
    return out;
  }
  auto apply = [&](const std::optional<model::TrafficPolicy>& policy) {
    if (!policy) {
      return;
    }
    if (policy->connection_pool) {
      out.connection_pool = policy->connection_pool;
    }
    if (policy->outlier_detection) {
      out.outlier_detection = policy->outlier_detection;
    }
    if (policy->retry_budget) {
      out.retry_budget = policy->retry_budget;
    }
    if (const model::PortTrafficPolicy* pl = portLevel(policy, port)) {
      out.connection_pool = pl->connection_pool;
      out.outlier_detection = pl->outlier_detection;
    }
  };
  apply(dr->rule.traffic_policy);
  if (!subset.empty()) {
    if (const model::Subset* s = dr->findSubset(subset)) {
      apply(s->traffic_policy);
    }
  }
  return out;
}

// applyConnectionPool (PROXY-SEMANTICS R12.1): positive values override Istio's 2^32−1
// thresholds; http.idleTimeout wins over tcp.idleTimeout.
void applyConnectionPool(const std::optional<model::ConnectionPoolSettings>& cp, Cluster& c) {
  if (!cp) {
    return;
  }
  auto positive = [](int64_t v, uint32_t& field) {
    if (v > 0) {
      field = static_cast<uint32_t>(v);
    }
  };
  positive(cp->http2_max_requests, c.circuit_breakers.max_requests);
  positive(cp->http1_max_pending_requests, c.circuit_breakers.max_pending_requests);
  positive(cp->max_retries, c.circuit_breakers.max_retries);
  positive(cp->max_connections, c.circuit_breakers.max_connections);
  positive(cp->max_requests_per_connection, c.max_requests_per_connection);
  c.connect_timeout_ns = cp->connect_timeout_ns;
  c.idle_timeout_ns = cp->idle_timeout_ns ? cp->idle_timeout_ns : cp->tcp_idle_timeout_ns;
  c.tcp_idle_timeout_ns = cp->tcp_idle_timeout_ns;
}

// applyOutlierDetection (R12.4): consecutive 5xx / gateway thresholds with enforcing 100 % when
// positive (0 turns the check off), interval, base ejection time and max ejection percent when
// set, local-origin splitting, and the panic threshold = minHealthPercent.
void applyOutlierDetection(const std::optional<model::OutlierDetectionSettings>& od, Cluster& c) {
  if (!od) {
    return;
  }
  xds::OutlierDetection out;
  if (od->consecutive_5xx_errors) {
    out.consecutive_5xx = *od->consecutive_5xx_errors;
    out.enforcing_consecutive_5xx = out.consecutive_5xx > 0 ? 100 : 0;
  }
  if (od->consecutive_gateway_errors) {
    out.consecutive_gateway_failure = *od->consecutive_gateway_errors;
    out.enforcing_consecutive_gateway_failure = out.consecutive_gateway_failure > 0 ? 100 : 0;
  }
  if (od->interval_ns) {
    out.interval_ns = *od->interval_ns;
  }
  if (od->base_ejection_time_ns) {
    out.base_ejection_time_ns = *od->base_ejection_time_ns;
  }
  if (od->max_ejection_percent > 0) {
    out.max_ejection_percent = static_cast<uint32_t>(std::min<int64_t>(od->max_ejection_percent, 100));
  }
  if (od->split_external_local_origin_errors) {
    out.split_external_local_origin_errors = true;
    if (od->consecutive_local_origin_failures.value_or(0) > 0) {
      out.consecutive_local_origin_failure = *od->consecutive_local_origin_failures;
      out.enforcing_consecutive_local_origin_failure = 100;
    }
  }
  c.outlier_detection = out;
  if (od->min_health_percent >= 0) {
    c.healthy_panic_threshold = static_cast<uint32_t>(std::min<int64_t>(od->min_health_percent, 100));
  }
}

// applyRetryBudget (R7.8): Envoy's defaults (20 %, 3) for what the rule leaves out.
void applyRetryBudget(const std::optional<model::RetryBudgetSettings>& rb, Cluster& c) {
  if (!rb) {
    return;
  }
  xds::RetryBudget out;
  if (rb->percent) {
    double percent = std::clamp(*rb->percent, 0.0, 100.0);
    out.budget_per_million = static_cast<uint32_t>(percent * 10'000.0);
  }
  if (rb->min_retry_concurrency) {
    out.min_retry_concurrency = *rb->min_retry_concurrency;
  }
  c.circuit_breakers.retry_budget = out;
}

std::vector<Cluster> buildServiceClusters(const ServiceRegistry& registry, const Service& service,
                                          const ConsolidatedDestinationRule* dr, bool for_gateway) {
  std::vector<Cluster> out;
  if (service.resolution == ServiceResolution::kAlias) {
    return out;
  }
  Cluster::DiscoveryType type = discoveryType(service, for_gateway);
  for (const ServicePortInfo& port : service.ports) {
    if (port.kind == PortProtocolKind::kUdp) {
      continue;
    }
    auto make = [&](std::string_view subset, const StringMap& labels) {
      Cluster c;
      c.name = outboundClusterName(port.port, subset, service.hostname);
      c.service_host = service.hostname;
      c.port = port.port;
      c.subset = std::string(subset);
      c.type = type;
      if (type != Cluster::DiscoveryType::kOriginalDst) {
        c.endpoints = registry.endpointsFor(service, port.port, labels);
      }
      c.subset_labels = labels;  // the subset's own labels only (buildSubsetCluster)
      c.lb_policy = type == Cluster::DiscoveryType::kOriginalDst
                        ? "CLUSTER_PROVIDED"
                        : lbPolicyName(dr, port.port, subset);
      if (type != Cluster::DiscoveryType::kOriginalDst) {
        applyHashTableSizes(effectiveLoadBalancer(dr, port.port, subset), c);
      }
      PoolPolicy pool = effectivePoolPolicy(dr, port.port, subset);
      applyConnectionPool(pool.connection_pool, c);
      applyOutlierDetection(pool.outlier_detection, c);
      applyRetryBudget(pool.retry_budget, c);
      if (c.lb_policy == "CLUSTER_PROVIDED" && type == Cluster::DiscoveryType::kEds) {
        // A PASSTHROUGH load balancer turns the cluster into an original-destination one.
        c.type = Cluster::DiscoveryType::kOriginalDst;
        c.endpoints.clear();
      }
      return c;
    };
    out.push_back(make("", {}));
    if (dr == nullptr) {
      continue;
    }
    for (const model::Subset& subset : dr->rule.subsets) {
      if (subset.name.empty()) {
        continue;
      }
      out.push_back(make(subset.name, subset.labels));
    }
  }
  return out;
}

}  // namespace meshc::lower
