// MeshConfig: the mesh-wide settings that change how checks and routing behave.
// Entry point: parseMeshConfig(); defaults are Istio's.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "frontend/resource.h"
#include "frontend/yaml_tree.h"
#include "support/diagnostic.h"

namespace meshc::frontend {

/// MeshConfig.TLSConfig (`tlsDefaults`): what SIMPLE / MUTUAL / OPTIONAL_MUTUAL gateway servers
/// start from before their own settings apply (PROXY-SEMANTICS R14.5).
struct MeshTlsDefaults {
  std::string min_protocol_version;  // "TLSV1_2" or "TLSV1_3"; "" = TLS_AUTO (unset)
  std::vector<std::string> ecdh_curves;
  std::vector<std::string> cipher_suites;
};

struct MeshConfig {
  std::string root_namespace = "istio-system";
  std::string domain_suffix = "cluster.local";  // trustDomain-independent service domain suffix
  std::string outbound_traffic_policy = "ALLOW_ANY";  // or REGISTRY_ONLY
  std::vector<std::string> default_service_export_to;           // empty = ["*"]
  std::vector<std::string> default_virtual_service_export_to;   // empty = ["*"]
  std::vector<std::string> default_destination_rule_export_to;  // empty = ["*"]
  StringMap proxy_metadata;  // defaultConfig.proxyMetadata
  uint32_t num_trusted_proxies = 0;  // defaultConfig.gatewayTopology.numTrustedProxies
  std::string ingress_service = "istio-ingressgateway";
  std::string ingress_selector = "ingressgateway";
  MeshTlsDefaults tls_defaults;  // tlsDefaults
};

/// Reads a MeshConfig document (the `mesh` key of the istio ConfigMap, or a bare MeshConfig).
/// Unknown fields are kept silently (MeshConfig has hundreds); wrong types become diagnostics.
MeshConfig parseMeshConfig(const Node& root, DiagnosticSink& sink);

}  // namespace meshc::frontend
