// Gateway service targets and port translation (SEMANTICS 7.5): the Services selecting the
// gateway pod and the Server port to container port mapping. Entry point: resolvePort().
#include "lower/gateway_build.h"

namespace meshc::lower::detail {

// --- Service targets and port translation (7.5) --------------------------------------------------

std::optional<uint32_t> parsePortNumber(std::string_view s) {
  if (s.empty() || s.size() > 5) {
    return std::nullopt;
  }
  uint32_t v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') {
      return std::nullopt;
    }
    v = v * 10 + static_cast<uint32_t>(c - '0');
  }
  return v;
}

// The proxy's ServiceTargets: ports of Kubernetes Services in its namespace whose selector
// matches its labels (a named targetPort resolved through a matching pod's container ports), and
// of ServiceEntries with an endpoint at its IP.
std::vector<ServiceTarget> serviceTargets(const model::ConfigSet& config,
                                          const ProxyIdentity& proxy) {
  std::vector<const model::KubernetesService*> services;
  for (const model::KubernetesService& s : config.services) {
    services.push_back(&s);
  }
  std::stable_sort(services.begin(), services.end(), [](const auto* a, const auto* b) {
    return model::configOrderLess(a->meta, b->meta);
  });
  std::vector<ServiceTarget> out;
  for (const model::KubernetesService* s : services) {
    if (s->meta.name_space != proxy.name_space || s->selector.empty() ||
        !istio::selectorMatches(s->selector, proxy.labels) || s->type == "ExternalName") {
      continue;
    }
    bool no_translation = s->meta.labels.count(std::string(kDisablePortTranslationLabel)) > 0;
    for (const model::KubernetesServicePort& p : s->ports) {
      if (p.protocol == "UDP") {
        continue;
      }
      ServiceTarget t{p.port, p.port, no_translation};
      if (!p.target_port.empty()) {
        if (std::optional<uint32_t> n = parsePortNumber(p.target_port)) {
          t.target_port = *n;
        } else {
          // A named targetPort resolves through the gateway pod's container ports.
          std::optional<uint32_t> found;
          for (const model::WorkloadInstance& w : config.workloads) {
            if (w.meta.name_space != proxy.name_space ||
                !istio::selectorMatches(s->selector, w.labels) ||
                !istio::selectorMatches(proxy.labels, w.labels)) {
              continue;
            }
            for (const auto& [name, number] : w.container_ports) {
              if (name == p.target_port) {
                found = number;
                break;
              }
            }
            if (found) {
              break;
            }
          }
          if (!found) {
            continue;  // no endpoint for this port
          }
          t.target_port = *found;
        }
      }
      out.push_back(t);
    }
  }
  std::vector<const model::ServiceEntry*> entries;
  for (const model::ServiceEntry& se : config.service_entries) {
    entries.push_back(&se);
  }
  std::stable_sort(entries.begin(), entries.end(), [](const auto* a, const auto* b) {
    return model::configOrderLess(a->meta, b->meta);
  });
  for (const model::ServiceEntry* se : entries) {
    bool no_translation = se->meta.labels.count(std::string(kDisablePortTranslationLabel)) > 0;
    for (const model::WorkloadEntry& e : se->endpoints) {
      if (e.address.empty() || e.address != proxy.ip) {
        continue;
      }
      for (const model::ServicePort& p : se->ports) {
        ServiceTarget t{p.number, p.target_port != 0 ? p.target_port : p.number, no_translation};
        for (const auto& [name, number] : e.ports) {
          if (name == p.name && number != 0) {
            t.target_port = number;
          }
        }
        out.push_back(t);
      }
    }
  }
  return out;
}

// resolvePorts with legacyGatewaySelector=true: the first matching target, else the number.
uint32_t resolvePort(const std::vector<ServiceTarget>& targets, uint32_t number) {
  for (const ServiceTarget& t : targets) {
    if (t.no_translation) {
      continue;
    }
    if (t.port == number) {
      return t.target_port;
    }
  }
  return number;
}

}  // namespace meshc::lower::detail
