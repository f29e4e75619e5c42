// Test helpers for gateway lowering: the ingress proxy, lowering inline YAML for it (config and
// notes side by side), and finding listeners and notes in the result.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "frontend/mesh_config.h"
#include "lower/gateway_config.h"
#include "lower/proxy_config.h"
#include "model/model_test_util.h"

namespace meshc::testing {

/// The ingress gateway pod: istio=ingressgateway in istio-system.
inline lower::ProxyIdentity ingress() {
  lower::ProxyIdentity p;
  p.kind = lower::ProxyIdentity::Kind::kGateway;
  p.name_space = "istio-system";
  p.labels = {{"istio", "ingressgateway"}};
  p.ip = "10.0.0.1";
  return p;
}

/// The lowered config with its notes beside it (LoweredProxy), readable as a ProxyConfig.
struct Lowered : lower::ProxyConfig {
  std::vector<Diagnostic> notes;
};

inline Lowered build(const std::string& yaml, const lower::ProxyIdentity& proxy = ingress(),
                     const frontend::MeshConfig& mesh = {}) {
  Loaded l(yaml);
  model::ConfigSet cs = buildModel(l, mesh);
  lower::LoweredProxy lowered = lower::buildGatewayConfig(cs, proxy);
  Lowered out;
  static_cast<lower::ProxyConfig&>(out) = std::move(lowered.config);
  out.notes = std::move(lowered.notes);
  return out;
}

inline const lower::Listener* findListener(const lower::ProxyConfig& pc, std::string_view name) {
  for (const lower::Listener& l : pc.listeners) {
    if (l.name == name) {
      return &l;
    }
  }
  return nullptr;
}

/// A note with this id (and, when given, containing `text`).
inline bool hasNote(const Lowered& pc, std::string_view id, std::string_view text = {}) {
  for (const Diagnostic& d : pc.notes) {
    if (d.id == id && d.message.find(text) != std::string::npos) {
      return true;
    }
  }
  return false;
}

}  // namespace meshc::testing
