// Which DestinationRule applies to a service host from a proxy, with same-host DRs merged, and
// what that means for routes (consistent-hash policy) and clusters (subsets, lb policy)
// (SEMANTICS 1.20, 3.9). Entry points: DestinationRuleIndex, hashPolicyForDestination(),
// buildServiceClusters().
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "frontend/model/model.h"
#include "lower/proxy_config.h"
#include "lower/service_registry.h"

namespace meshc::lower {

/// Several DestinationRules for one host in one namespace, merged the way Istio does
/// (istio:pilot/pkg/model/destination_rule.go mergeDestinationRule): the first (by workload
/// selector first, then config order) keeps its top-level trafficPolicy; later rules only add
/// subsets whose names are new.
struct ConsolidatedDestinationRule {
  model::DestinationRule rule;         // merged copy; `host` short-name expanded (2.1)
  std::vector<std::string> from;       // "ns/name" of every merged DR, in merge order
  std::vector<std::string> export_to;  // normalised ("." → namespace), sorted, deduped
  bool hasWorkloadSelector() const { return rule.workload_selector.has_value(); }
  const model::Subset* findSubset(std::string_view name) const;
};

class DestinationRuleIndex {
 public:
  /// Indexes every DR of `config` per namespace (local and exported views). Never fails.
  explicit DestinationRuleIndex(const model::ConfigSet& config);

  /// push_context.go destinationRule(): the candidate merged DRs for `service` seen from a proxy
  /// in `proxy_namespace`: (1) the proxy namespace's local DRs (root namespace: only its private
  /// ones), (2) DRs of the service's namespace exported to the proxy, (3) root-namespace DRs
  /// exported to it; the first step with a match (exact host, else longest wildcard) wins.
  std::vector<const ConsolidatedDestinationRule*> candidates(
      std::string_view proxy_namespace, std::string_view host,
      std::string_view service_namespace) const;

  /// SidecarScope.DestinationRule (outbound): among the candidates, a workload-selector DR in the
  /// proxy's namespace whose selector ⊆ proxy labels wins, else the last selector-less one.
  /// nullptr when none applies.
  const ConsolidatedDestinationRule* forProxy(const ProxyIdentity& proxy, std::string_view host,
                                              std::string_view service_namespace) const;

  const std::string& rootNamespace() const { return root_namespace_; }

 private:
  struct ByHost {
    std::map<std::string, std::vector<ConsolidatedDestinationRule>, std::less<>> specific;
    std::map<std::string, std::vector<ConsolidatedDestinationRule>, std::less<>> wildcard;
  };
  static void merge(ByHost& into, const model::DestinationRule& dr,
                    const std::vector<std::string>& export_to);
  static const std::vector<ConsolidatedDestinationRule>* match(const ByHost& by_host,
                                                               std::string_view host);

  std::map<std::string, ByHost, std::less<>> namespace_local_;
  std::map<std::string, ByHost, std::less<>> exported_by_namespace_;
  ByHost root_namespace_local_;
  std::string root_namespace_;
};

/// Envoy route hash policy from a DR consistent hash (ConsistentHashToHashPolicy); nullopt when
/// the hash has no key.
std::optional<HashPolicy> toHashPolicy(const model::ConsistentHash& hash);

/// HashForHTTPDestination: subset port-level > subset > top-level port-level > top-level
/// consistent hash for a route destination (port-level only when the destination names a port).
std::optional<model::ConsistentHash> consistentHashForDestination(
    const ConsolidatedDestinationRule* dr, const model::Destination& destination);

/// hashForService: the consistent hash of a default (VS-less) route for `port`: top-level,
/// overridden by that port's port-level setting when it has one.
std::optional<model::ConsistentHash> consistentHashForServicePort(
    const ConsolidatedDestinationRule* dr, uint32_t port);

/// The outbound clusters of one service as seen by `proxy`: `outbound|P||H` for every non-UDP
/// port plus `outbound|P|S|H` for every subset of the applicable DR (endpoints filtered by the
/// subset labels). Alias (ExternalName) services get none. Discovery type from the resolution
/// (a gateway turns passthrough into EDS); ORIGINAL_DST clusters carry no endpoints.
std::vector<Cluster> buildServiceClusters(const ServiceRegistry& registry, const Service& service,
                                          const ConsolidatedDestinationRule* dr,
                                          bool for_gateway = false);

/// The load balancer settings for `port` / `subset` under `dr` (port-level settings replace
/// top-level; subset settings override); nullopt when none applies.
std::optional<model::LoadBalancerSettings> effectiveLoadBalancer(
    const ConsolidatedDestinationRule* dr, uint32_t port, std::string_view subset);

/// The lb_policy name for `port` / `subset` under `dr`: RING_HASH (ringHash, or no algorithm)
/// or MAGLEV for a consistent hash, ROUND_ROBIN, RANDOM, LEAST_REQUEST (also the default),
/// CLUSTER_PROVIDED for PASSTHROUGH.
std::string lbPolicyName(const ConsolidatedDestinationRule* dr, uint32_t port,
                         std::string_view subset);

}  // namespace meshc::lower
