// Snapshot: bundle + endpoints file → the immutable routing state meshproxy serves from.
#include "proxy/snapshot.h"

#include <atomic>
#include <charconv>

#include "routing/interpreter.h"
#include "upstream/endpoints_file.h"

namespace meshc::proxy {
namespace {

std::atomic<uint64_t> g_generation{0};

const xds::FilterChain* plaintextHttpChain(const xds::Listener& listener) {
  for (const xds::FilterChain& chain : listener.filter_chains) {
    if (chain.http && !chain.terminates_tls && chain.match.transport_protocol != "tls") {
      return &chain;
    }
  }
  if (listener.default_filter_chain && listener.default_filter_chain->http) {
    return &*listener.default_filter_chain;
  }
  return nullptr;
}

int32_t routeConfigIndex(const xds::ProxyConfig& config, std::string_view name) {
  for (size_t i = 0; i < config.route_configs.size(); ++i) {
    if (config.route_configs[i].name == name) {
      return static_cast<int32_t>(i);
    }
  }
  return -1;
}

}  // namespace

Expected<std::shared_ptr<const Snapshot>> Snapshot::load(const std::string& bundle_path,
                                                         const std::string& endpoints_path,
                                                         std::string* warning,
                                                         const std::string& credentials_dir,
                                                         const Snapshot* previous) {
  Expected<std::string> bytes = bundle::readFileBytes(bundle_path);
  if (!bytes) {
    return bytes.status();
  }
  Expected<bundle::Bundle> decoded = bundle::readBundle(*bytes, bundle_path);
  if (!decoded) {
    return decoded.status();
  }
  std::shared_ptr<Snapshot> s(new Snapshot());
  s->path_ = bundle_path;
  s->bundle_ = std::move(*decoded);
  if (!endpoints_path.empty()) {
    Expected<std::string> text = bundle::readFileBytes(endpoints_path);
    if (!text) {
      return text.status();
    }
    Expected<upstream::EndpointsFile> file = upstream::parseEndpointsFile(*text, endpoints_path);
    if (!file) {
      return file.status();
    }
    std::vector<std::string> unknown = upstream::applyEndpoints(*file, s->bundle_.config.clusters);
    for (const std::string& name : unknown) {
      if (!warning->empty()) {
        *warning += "\n";
      }
      *warning += endpoints_path + ": cluster " + name + " is not in the bundle; its endpoints are ignored";
    }
  }
  std::string native_warning;
  s->native_ = native::loadBundleNative(s->bundle_, &native_warning);
  if (!native_warning.empty()) {
    if (!warning->empty()) {
      *warning += "\n";
    }
    *warning += native_warning;
  }
  const xds::ProxyConfig& config = s->bundle_.config;
  // Envoy refuses a route configuration whose regex does not compile; so does a reload here.
  Expected<router::CompiledRouteActions> actions = router::CompiledRouteActions::create(config);
  if (!actions) {
    return Status::error(actions.status().code(), bundle_path + ": " + actions.status().message());
  }
  s->route_actions_.emplace(std::move(*actions));
  for (size_t i = 0; i < config.clusters.size(); ++i) {
    s->cluster_index_.emplace(config.clusters[i].name, static_cast<int32_t>(i));
  }
  for (const xds::Listener& listener : config.listeners) {
    const xds::FilterChain* chain = plaintextHttpChain(listener);
    if (chain == nullptr) {
      continue;
    }
    int32_t rc = meshc::proxy::routeConfigIndex(config, chain->rds_name);
    if (rc < 0) {
      continue;
    }
    if (!s->isGateway() && listener.address == "0.0.0.0") {
      s->sidecar_ports_.emplace(listener.port, rc);
    }
  }
  if (s->isGateway()) {
    for (size_t i = 0; i < config.listeners.size(); ++i) {
      const xds::Listener& listener = config.listeners[i];
      uint32_t port = listener.server_port != 0 ? listener.server_port : listener.port;
      s->gateway_listeners_.push_back(
          ListenerPlan{listener.name, port, static_cast<int32_t>(i)});
    }
  }
  // Sidecars: outbound HTTP route configurations are named after their port ("9080").
  if (!s->isGateway()) {
    for (size_t i = 0; i < config.route_configs.size(); ++i) {
      uint32_t port = 0;
      const std::string& name = config.route_configs[i].name;
      auto [end, ec] = std::from_chars(name.data(), name.data() + name.size(), port);
      if (ec == std::errc() && end == name.data() + name.size()) {
        s->sidecar_ports_.emplace(port, static_cast<int32_t>(i));
      }
    }
  }
  if (!s->isGateway()) {
    for (const xds::Listener& listener : config.listeners) {
      if (listener.name != "virtualOutbound") {
        continue;
      }
      // The chain that matches no destination port nor address: the catch-all.
      for (const xds::FilterChain& chain : listener.filter_chains) {
        if (chain.tcp_proxy && chain.name.find("catchall") != std::string::npos) {
          s->sidecar_catch_all_ = chain.tcp_proxy->cluster;
        }
      }
      if (s->sidecar_catch_all_.empty() && listener.default_filter_chain &&
          listener.default_filter_chain->tcp_proxy) {
        s->sidecar_catch_all_ = listener.default_filter_chain->tcp_proxy->cluster;
      }
    }
  }
  // R14.1: each terminating chain's certificates, read now (a reload reads them again).
  for (const xds::Listener& listener : config.listeners) {
    for (const xds::FilterChain& chain : listener.filter_chains) {
      if (!chain.terminates_tls) {
        continue;
      }
      std::string why = "the bundle carries no TLS settings for it";
      if (chain.tls) {
        Expected<std::shared_ptr<ServerTls>> tls =
            ServerTls::create(*chain.tls, credentials_dir, chain.http);
        if (tls) {
          s->server_tls_.emplace(&chain, std::move(*tls));
          continue;
        }
        why = tls.status().message();
      }
      std::shared_ptr<ServerTls> kept;
      if (previous != nullptr && chain.tls) {
        if (const xds::Listener* old = previous->findListener(listener.name)) {
          for (const xds::FilterChain& c : old->filter_chains) {
            if (c.name == chain.name && c.tls && *c.tls == *chain.tls) {
              kept = previous->serverTls(&c);
            }
          }
        }
      }
      if (!warning->empty()) {
        *warning += "\n";
      }
      *warning += bundle_path + ": listener " + listener.name + ", filter chain " +
                  (chain.name.empty() ? std::string("(unnamed)") : chain.name) + ": " + why +
                  (kept ? "; the certificate loaded before keeps serving"
                        : "; TLS not served, its connections are closed");
      if (kept) {
        s->server_tls_.emplace(&chain, std::move(kept));
      }
    }
  }
  s->generation_ = g_generation.fetch_add(1, std::memory_order_relaxed) + 1;
  return std::shared_ptr<const Snapshot>(std::move(s));
}

int32_t Snapshot::sidecarRouteConfig(uint32_t port) const {
  auto it = sidecar_ports_.find(port);
  return it == sidecar_ports_.end() ? -1 : it->second;
}

ir::RouteDecision Snapshot::route(size_t route_config, const ir::RequestView& request) const {
  if (native_) {
    return native_->evaluate(route_config, bundle_.programs[route_config], request);
  }
  return ir::evaluateProgram(bundle_.programs[route_config], request);
}

std::shared_ptr<ServerTls> Snapshot::serverTls(const xds::FilterChain* chain) const {
  auto it = server_tls_.find(chain);
  return it == server_tls_.end() ? nullptr : it->second;
}

int32_t Snapshot::routeConfigIndex(std::string_view name) const {
  return meshc::proxy::routeConfigIndex(bundle_.config, name);
}

const xds::Listener* Snapshot::findListener(std::string_view name) const {
  for (const xds::Listener& l : bundle_.config.listeners) {
    if (l.name == name) {
      return &l;
    }
  }
  return nullptr;
}

int32_t Snapshot::clusterIndex(std::string_view name) const {
  auto it = cluster_index_.find(std::string(name));
  return it == cluster_index_.end() ? -1 : it->second;
}

}  // namespace meshc::proxy
