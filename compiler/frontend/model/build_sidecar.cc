// Sidecar → model::Sidecar (SEMANTICS 1.19, 5.3). Entry point: detail::buildSidecar().
#include "frontend/model/build_internal.h"

namespace meshc::model::detail {
namespace {

const std::initializer_list<const char*> kCaptureModes = {"DEFAULT", "IPTABLES", "NONE"};

SidecarPort sidecarPortOf(const Node* n) {
  SidecarPort p;
  p.number = uint32Of(child(n, "number")).value_or(0);
  p.protocol = ascii::toUpper(stringOf(child(n, "protocol")));
  p.name = stringOf(child(n, "name"));
  return p;
}

}  // namespace

Sidecar buildSidecar(const frontend::Resource& r) {
  Sidecar s;
  s.meta = metaOf(r);
  const Node* selector = child(r.spec, "workloadSelector");
  if (selector != nullptr && selector->isMap()) {
    s.workload_selector = stringMap(selector->get("labels"));
  }
  if (const Node* ingress = child(r.spec, "ingress")) {
    for (const Node* item : ingress->items()) {
      if (item == nullptr || !item->isMap()) {
        continue;
      }
      IstioIngressListener l;
      l.loc = item->loc();
      l.port = sidecarPortOf(item->get("port"));
      l.bind = stringOf(item->get("bind"));
      l.default_endpoint = stringOf(item->get("defaultEndpoint"));
      s.ingress.push_back(std::move(l));
    }
  }
  if (const Node* egress = child(r.spec, "egress")) {
    for (const Node* item : egress->items()) {
      if (item == nullptr || !item->isMap()) {
        continue;
      }
      IstioEgressListener l;
      l.loc = item->loc();
      const Node* port = item->get("port");
      if (port != nullptr && port->isMap()) {
        l.port = sidecarPortOf(port);
      }
      l.bind = stringOf(item->get("bind"));
      l.capture_mode = enumOf(item->get("captureMode"), kCaptureModes);
      if (l.capture_mode.empty()) {
        l.capture_mode = "DEFAULT";
      }
      l.hosts = stringList(item->get("hosts"));
      s.egress.push_back(std::move(l));
    }
  }
  // SEMANTICS 5.3 / 9.8: a present outboundTrafficPolicy without mode is REGISTRY_ONLY (enum
  // zero), unlike an absent one, which falls back to the mesh setting.
  const Node* policy = child(r.spec, "outboundTrafficPolicy");
  if (policy != nullptr && policy->isMap()) {
    OutboundTrafficPolicy p;
    std::string mode = enumOf(policy->get("mode"), {"REGISTRY_ONLY", "ALLOW_ANY"});
    if (!mode.empty()) {
      p.mode = std::move(mode);
    }
    const Node* proxy = policy->get("egressProxy");
    if (proxy != nullptr && proxy->isMap()) {
      p.egress_proxy = destinationOf(proxy, policy->loc());
    }
    s.outbound_traffic_policy = std::move(p);
  }
  return s;
}

}  // namespace meshc::model::detail
