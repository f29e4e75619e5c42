// Helpers shared by the analyzers: null-safe YAML access, label selectors, FQDNs and exportTo
// scopes, the service lookup table (Istio's InitServiceEntryHostMap) and route destinations.
// Entry points: the functions below, plus one run* function per analyzer (registered in
// registry.cc).
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "base/quote.h"
#include "frontend/analyzers/analyzer.h"
#include "frontend/reporter.h"
#include "frontend/yaml_tree.h"

namespace meshc::frontend::analyzers {

// --- YAML access (every helper accepts nullptr and wrong node kinds) -------------------------
const Node* child(const Node* n, std::string_view key);
const Node* childPath(const Node* n, std::initializer_list<std::string_view> keys);
std::span<const Node* const> itemsOf(const Node* n);
std::span<const MapEntry> entriesOf(const Node* n);
/// A scalar's text ("" for null, collections and nullptr).
std::string_view textOf(const Node* n);
/// The text of a scalar child, "" when absent or not a scalar.
std::string_view textAt(const Node* n, std::string_view key);
/// Integer value of a node, also accepting quoted digits; nullopt otherwise.
std::optional<int64_t> intOf(const Node* n);
/// A map of scalars as strings (non-scalar values are skipped).
StringMap stringMapOf(const Node* n);
/// A sequence of scalars as strings (non-scalar items are skipped).
std::vector<std::string> stringListOf(const Node* n);

// --- Message formatting ------------------------------------------------------------------------
std::string join(const std::vector<std::string>& parts, std::string_view sep);

/// Emits an analyzer finding: id and istioctl code are both `code`.
Diagnostic& report(DiagnosticSink& sink, const Resource& r, std::string_view code, Severity sev,
                   const Node* at, std::string message);
/// Adds a note pointing at `at` (ignored when at is null).
void addNote(Diagnostic& d, const Node* at, std::string message);

// --- Labels and selectors (Kubernetes labels.SelectorFromSet semantics) ------------------------
/// "k1=v1,k2=v2" with keys sorted, as labels.Selector.String().
std::string selectorString(const StringMap& selector);
/// The value node of the selector's first key in sorted order (what istioctl points at).
const Node* firstSelectorNode(const Node* selector);

// --- Workloads ---------------------------------------------------------------------------------
struct Workload {
  const Resource* resource = nullptr;
  StringMap labels;
  StringMap annotations;
  std::string node_name;  // spec.nodeName (pod spec), may be empty
};
std::vector<Workload> collectWorkloads(const AnalysisContext& ctx);
/// "pod reviews-v1-abc" or "Deployment reviews-v1" (a template stands for its pods).
std::string workloadDisplayName(const Resource& r);

// --- Hosts, names and exportTo -----------------------------------------------------------------
/// Istio's ConvertHostToFQDN: a host without '.' that does not start with '*' becomes
/// host.<ns>.svc.<domain>; anything else is kept as written.
std::string toFqdn(std::string_view host, std::string_view ns, const MeshConfig& mesh);
/// True when exportTo is empty or lists "*".
bool exportsToAll(const std::vector<std::string>& export_to);
/// exportTo entries as scopes: {"*"} when exporting to all, else entries with "." → own namespace.
std::vector<std::string> exportScopes(const std::vector<std::string>& export_to,
                                      std::string_view own_ns);

struct FullName {
  std::string name_space;
  std::string name;
  bool operator==(const FullName&) const = default;
};
/// "ns/name" splits; a bare name takes default_ns (resource.NewShortOrFullName).
FullName shortOrFullName(std::string_view default_ns, std::string_view name);
/// name.ns.svc.<domain> → {ns, name} (name keeps inner dots); nullopt for other hosts.
std::optional<FullName> nameFromFqdn(std::string_view host, const MeshConfig& mesh);
/// GetResourceNameFromHost: the FQDN's ns/name, or the whole host as a name in default_ns.
FullName resourceNameFromHost(std::string_view default_ns, std::string_view host,
                              const MeshConfig& mesh);

// --- Service lookup (ServiceEntries + Kubernetes Services keyed by scope and FQDN) -------------
struct ServiceTarget {
  const Resource* resource = nullptr;
  std::vector<int64_t> ports;
  StringMap workload_selector;  // ServiceEntry workloadSelector.labels; empty for Services
};

class ServiceTable {
 public:
  ServiceTable(const AnalysisContext& ctx);
  /// Istio's GetDestinationHost: scope "*", then the source namespace (or each of the caller's
  /// own exportTo entries, a quirk kept on purpose), then wildcard entries visible to source_ns.
  const ServiceTarget* lookup(std::string_view source_ns, const std::vector<std::string>& export_to,
                              std::string_view host) const;

 private:
  struct Entry {
    std::string scope;
    std::string fqdn;
    ServiceTarget target;
  };
  void put(std::string scope, std::string fqdn, const ServiceTarget& target);
  const ServiceTarget* find(std::string_view scope, std::string_view fqdn) const;

  const MeshConfig& mesh_;
  std::vector<Entry> entries_;  // insertion order; a later put on the same key replaces in place
  std::unordered_map<std::string, size_t> index_;
};

// --- VirtualService destinations ---------------------------------------------------------------
struct RouteDestination {
  const char* section;      // "http", "tcp", "tls", "mirror" or "mirrors"
  size_t rule = 0;          // index in spec.<section> (http index for mirrors)
  size_t index = 0;         // index in route[] / mirrors[]
  const Node* entry;        // the route[] item, or the mirror node
  const Node* destination;  // the Destination map, may be null (route entry without one)
  std::string_view host() const { return textAt(destination, "host"); }
  std::string_view subset() const { return textAt(destination, "subset"); }
  /// The most specific node to point at: destination.host, else the destination, else the entry.
  const Node* hostNode() const;
};
/// tcp, tls, then http route destinations, as Istio's getRouteDestinations.
std::vector<RouteDestination> routeDestinations(const Resource& vs);
/// http[].mirror and http[].mirrors[].destination.
std::vector<RouteDestination> mirrorDestinations(const Resource& vs);

// --- Analyzer entry points (one per Istio analyzer)
// -----------------------------------------------
void runIngressGatewayPort(const AnalysisContext& ctx, DiagnosticSink& sink);
void runGatewaySecret(const AnalysisContext& ctx, DiagnosticSink& sink);
void runConflictingGateway(const AnalysisContext& ctx, DiagnosticSink& sink);
void runGatewayCertificate(const AnalysisContext& ctx, DiagnosticSink& sink);
void runConflictingMeshGatewayHosts(const AnalysisContext& ctx, DiagnosticSink& sink);
void runDestinationHost(const AnalysisContext& ctx, DiagnosticSink& sink);
void runVirtualServiceDestinationRule(const AnalysisContext& ctx, DiagnosticSink& sink);
void runVirtualServiceGateway(const AnalysisContext& ctx, DiagnosticSink& sink);
void runJwtClaimRoute(const AnalysisContext& ctx, DiagnosticSink& sink);
void runCaCertificate(const AnalysisContext& ctx, DiagnosticSink& sink);
void runPodNotSelected(const AnalysisContext& ctx, DiagnosticSink& sink);
void runSidecarSelector(const AnalysisContext& ctx, DiagnosticSink& sink);
void runServiceEntryProtocolAddresses(const AnalysisContext& ctx, DiagnosticSink& sink);
void runConflictingServiceEntryProtocol(const AnalysisContext& ctx, DiagnosticSink& sink);
void runDeprecation(const AnalysisContext& ctx, DiagnosticSink& sink);
void runConditions(const AnalysisContext& ctx, DiagnosticSink& sink);

}  // namespace meshc::frontend::analyzers
