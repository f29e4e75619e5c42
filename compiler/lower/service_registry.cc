// The service registry: Kubernetes Services and ServiceEntries turned into Istio's internal
// services (istio:pilot/pkg/serviceregistry/kube/conversion.go, serviceentry/conversion.go).
// Entry point: ServiceRegistry::build().
#include "lower/service_registry.h"

#include <algorithm>
#include <charconv>
#include <map>
#include <set>

#include "base/ascii.h"
#include "frontend/istio/labels.h"
#include "frontend/istio/protocol.h"

namespace meshc::lower {
namespace {

std::optional<uint32_t> parseUint(std::string_view s) {
  if (s.empty() || s.size() > 10) {
    return std::nullopt;
  }
  uint64_t v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') {
      return std::nullopt;
    }
    v = v * 10 + static_cast<uint64_t>(c - '0');
  }
  if (v > UINT32_MAX) {
    return std::nullopt;
  }
  return static_cast<uint32_t>(v);
}

}  // namespace

std::optional<uint32_t> parseIpv4Address(std::string_view s) {
  uint32_t out = 0;
  int parts = 0;
  size_t i = 0;
  while (true) {
    size_t j = s.find('.', i);
    std::string_view part =
        s.substr(i, j == std::string_view::npos ? std::string_view::npos : j - i);
    if (part.empty() || part.size() > 3) {
      return std::nullopt;
    }
    std::optional<uint32_t> v = parseUint(part);
    if (!v || *v > 255) {
      return std::nullopt;
    }
    out = (out << 8) | *v;
    if (++parts == 4) {
      // Exactly four parts: nothing may follow the last one.
      return j == std::string_view::npos ? std::optional<uint32_t>(out) : std::nullopt;
    }
    if (j == std::string_view::npos) {
      return std::nullopt;
    }
    i = j + 1;
  }
}

namespace {

bool looksLikeIpv6(std::string_view s) {
  if (s.find(':') == std::string_view::npos) {
    return false;
  }
  for (char c : s) {
    bool ok = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F') ||
              c == ':' || c == '.';
    if (!ok) {
      return false;
    }
  }
  return true;
}

bool isIpAddress(std::string_view s) { return parseIpv4Address(s).has_value() || looksLikeIpv6(s); }

std::string formatIpv4(uint32_t v) {
  return std::to_string((v >> 24) & 0xff) + "." + std::to_string((v >> 16) & 0xff) + "." +
         std::to_string((v >> 8) & 0xff) + "." + std::to_string(v & 0xff);
}

// SE addresses: IPs kept, CIDRs kept (a full-length CIDR becomes its IP), anything else dropped
// (istio:pilot/pkg/serviceregistry/serviceentry/conversion.go convertServices).
std::optional<std::string> normaliseSeAddress(std::string_view address) {
  if (isIpAddress(address)) {
    return std::string(address);
  }
  size_t slash = address.find('/');
  if (slash == std::string_view::npos) {
    return std::nullopt;
  }
  std::string_view ip = address.substr(0, slash);
  std::optional<uint32_t> bits = parseUint(address.substr(slash + 1));
  if (!bits) {
    return std::nullopt;
  }
  if (parseIpv4Address(ip)) {
    if (*bits > 32) {
      return std::nullopt;
    }
    return *bits == 32 ? std::string(ip) : std::string(address);
  }
  if (looksLikeIpv6(ip)) {
    if (*bits > 128) {
      return std::nullopt;
    }
    return *bits == 128 ? std::string(ip) : std::string(address);
  }
  return std::nullopt;
}

std::vector<std::string> normaliseExportTo(const std::vector<std::string>& export_to,
                                           const std::vector<std::string>& mesh_default,
                                           const std::string& own_namespace) {
  const std::vector<std::string>* src = &export_to;
  if (src->empty()) {
    src = &mesh_default;
  }
  std::vector<std::string> out;
  for (const std::string& e : *src) {
    std::string v = e;
    // Trimmed like the Kubernetes annotation parser does.
    while (!v.empty() && (v.front() == ' ' || v.front() == '\t')) {
      v.erase(v.begin());
    }
    while (!v.empty() && (v.back() == ' ' || v.back() == '\t')) {
      v.pop_back();
    }
    if (v.empty()) {
      continue;
    }
    if (v == ".") {
      v = own_namespace;
    }
    if (std::find(out.begin(), out.end(), v) == out.end()) {
      out.push_back(v);
    }
  }
  if (out.empty()) {
    out.push_back("*");
  }
  return out;
}

ServiceResolution seResolution(std::string_view r) {
  if (r == "STATIC" || r == "1") {
    return ServiceResolution::kClientSideLb;
  }
  if (r == "DNS" || r == "2") {
    return ServiceResolution::kDnsLb;
  }
  if (r == "DNS_ROUND_ROBIN" || r == "3") {
    return ServiceResolution::kDnsRoundRobin;
  }
  if (r == "DYNAMIC_DNS" || r == "4") {
    return ServiceResolution::kDynamicDns;
  }
  return ServiceResolution::kPassthrough;  // NONE (the enum zero) and anything unknown
}

bool isDnsResolution(ServiceResolution r) {
  return r == ServiceResolution::kDnsLb || r == ServiceResolution::kDnsRoundRobin;
}

const uint32_t* containerPort(const model::WorkloadInstance& w, std::string_view name) {
  for (const auto& [n, p] : w.container_ports) {
    if (n == name) {
      return &p;
    }
  }
  return nullptr;
}

// Istio's SortServicesByCreationTime: creation time (as an instant), then name (a
// ServiceEntry's services are named after their host), then namespace.
bool serviceOrderLess(const Service& a, const Service& b) {
  model::ObjectMeta ma;
  ma.creation_timestamp = a.creation_timestamp;
  ma.name = a.isKubernetes() ? a.name : a.hostname;
  ma.name_space = a.name_space;
  ma.ordinal = a.ordinal;
  model::ObjectMeta mb;
  mb.creation_timestamp = b.creation_timestamp;
  mb.name = b.isKubernetes() ? b.name : b.hostname;
  mb.name_space = b.name_space;
  mb.ordinal = b.ordinal;
  return model::configOrderLess(ma, mb);
}

uint32_t fnv1a(std::string_view s) {
  uint32_t h = 2166136261u;
  for (char c : s) {
    h ^= static_cast<uint8_t>(c);
    h *= 16777619u;
  }
  return h;
}

// The Pod an EndpointSlice endpoint's targetRef names, when the input has it.
const model::WorkloadInstance* targetPod(const model::EndpointSliceEndpoint& ep,
                                         std::string_view slice_namespace,
                                         const model::ConfigSet& config) {
  if (ep.target_ref_kind != "Pod" || ep.target_ref_name.empty()) {
    return nullptr;
  }
  std::string_view ns =
      ep.target_ref_namespace.empty() ? slice_namespace : std::string_view(ep.target_ref_namespace);
  for (const model::WorkloadInstance& w : config.workloads) {
    if (w.is_pod && w.meta.name == ep.target_ref_name && w.meta.name_space == ns) {
      return &w;
    }
  }
  return nullptr;
}

// Endpoints from the EndpointSlices labelled kubernetes.io/service-name=<service> in the
// Service's namespace. Returns false when there is no such slice (the caller falls back to pods).
// As kube-proxy (pkg/proxy/endpointslicecache.go): a Service port takes the slice port of the
// same name; an endpoint whose conditions.ready is false is left out (absent = ready); the first
// address stands for the endpoint; an address seen in an earlier slice is not repeated. FQDN
// slices are skipped, as Istio's EndpointSlice controller does.
bool addSliceEndpoints(const model::KubernetesService& ks, const model::ConfigSet& config,
                       Service& s) {
  bool found = false;
  std::set<std::string> seen;
  for (const model::EndpointSlice& slice : config.endpoint_slices) {
    if (slice.meta.name_space != ks.meta.name_space || slice.service_name != ks.meta.name ||
        slice.address_type == "FQDN") {
      continue;
    }
    found = true;
    std::vector<std::pair<uint32_t, uint32_t>> ports;  // service port → endpoint port
    for (const ServicePortInfo& p : s.ports) {
      for (const model::EndpointSlicePort& sp : slice.ports) {
        if (sp.name == p.name && sp.port && *sp.port > 0) {
          ports.emplace_back(p.port, *sp.port);
          break;
        }
      }
    }
    for (const model::EndpointSliceEndpoint& e : slice.endpoints) {
      if (!e.ready || e.addresses.empty() || !seen.insert(e.addresses.front()).second) {
        continue;
      }
      RegistryEndpoint ep;
      ep.address = e.addresses.front();
      ep.ports = ports;
      if (const model::WorkloadInstance* pod = targetPod(e, slice.meta.name_space, config)) {
        ep.labels = pod->labels;
        ep.workload = pod->meta.ref();
      } else {
        ep.workload = "EndpointSlice " + slice.meta.ref();
      }
      s.endpoints.push_back(std::move(ep));
    }
  }
  return found;
}

Service fromKubernetes(const model::KubernetesService& ks, const model::ConfigSet& config) {
  Service s;
  s.origin = Service::Origin::kKubernetes;
  s.name = ks.meta.name;
  s.name_space = ks.meta.name_space;
  s.hostname = ks.meta.name + "." + ks.meta.name_space + ".svc." + config.mesh.domain_suffix;
  s.creation_timestamp = ks.meta.creation_timestamp;
  s.ordinal = ks.meta.ordinal;
  s.loc = ks.meta.loc;
  if (ks.type == "ExternalName" && !ks.external_name.empty()) {
    s.resolution = ServiceResolution::kAlias;
    s.alias_target = ascii::toLower(ks.external_name);
    s.mesh_external = true;
  }
  if (ks.cluster_ip == "None") {
    s.resolution = ServiceResolution::kPassthrough;  // headless: never load balanced
    s.headless = true;
  } else if (!ks.cluster_ip.empty() && isIpAddress(ks.cluster_ip)) {
    s.addresses.push_back(ks.cluster_ip);
  }
  for (const model::KubernetesServicePort& kp : ks.ports) {
    ServicePortInfo p;
    p.name = kp.name;
    p.port = kp.port;
    p.protocol = kubernetesPortProtocol(kp);
    p.kind = protocolKind(p.protocol);
    if (kp.target_port.empty()) {
      p.target_port = kp.port;
    } else if (std::optional<uint32_t> n = parseUint(kp.target_port)) {
      p.target_port = *n;
    } else {
      p.target_port_name = kp.target_port;
    }
    s.ports.push_back(std::move(p));
  }
  s.export_to =
      normaliseExportTo(ks.export_to, config.mesh.default_service_export_to, s.name_space);
  s.has_label_selector = !ks.selector.empty();
  if (s.resolution == ServiceResolution::kAlias) {
    return s;
  }
  // Endpoints: the Service's EndpointSlices when the input has any (they are what Istio and
  // kube-proxy read, and also cover Services without a selector) ...
  if (addSliceEndpoints(ks, config, s)) {
    return s;
  }
  // ... else the pods the selector picks in the Service's namespace (what the EndpointSlice
  // controller would publish), each receiving a service port on its (named or numeric) target
  // port. Services without a selector have no managed endpoints.
  if (ks.selector.empty()) {
    return s;
  }
  for (const model::WorkloadInstance& w : config.workloads) {
    if (w.meta.name_space != ks.meta.name_space || !istio::selectorMatches(ks.selector, w.labels)) {
      continue;
    }
    RegistryEndpoint ep;
    ep.address = w.ip;
    ep.labels = w.labels;
    ep.workload = w.meta.ref();
    for (const ServicePortInfo& p : s.ports) {
      if (!p.target_port_name.empty()) {
        if (const uint32_t* cp = containerPort(w, p.target_port_name)) {
          ep.ports.emplace_back(p.port, *cp);
        }
        continue;  // a named target port the pod lacks: no endpoint for that port
      }
      ep.ports.emplace_back(p.port, p.target_port != 0 ? p.target_port : p.port);
    }
    s.endpoints.push_back(std::move(ep));
  }
  return s;
}

std::vector<Service> fromServiceEntry(const model::ServiceEntry& se,
                                      const model::ConfigSet& config) {
  std::vector<std::string> addresses;
  for (const std::string& a : se.addresses) {
    if (std::optional<std::string> n = normaliseSeAddress(a)) {
      addresses.push_back(*n);
    }
  }
  std::vector<ServicePortInfo> ports;
  for (const model::ServicePort& sp : se.ports) {
    ServicePortInfo p;
    p.name = sp.name;
    p.port = sp.number;
    p.protocol = parseProtocolName(sp.protocol);
    p.kind = protocolKind(p.protocol);
    p.target_port = sp.target_port;
    ports.push_back(std::move(p));
  }
  ServiceResolution resolution = seResolution(se.resolution);
  std::vector<std::string> export_to =
      normaliseExportTo(se.export_to, config.mesh.default_service_export_to, se.meta.name_space);

  std::vector<Service> out;
  std::set<std::string> seen_hosts;
  for (const std::string& host : se.hosts) {
    if (host.empty() || !seen_hosts.insert(host).second) {
      continue;
    }
    Service s;
    s.origin = Service::Origin::kServiceEntry;
    s.hostname = host;  // verbatim: SE hosts are never short-name expanded (2.1)
    s.name = se.meta.name;
    s.name_space = se.meta.name_space;
    s.creation_timestamp = se.meta.creation_timestamp;
    s.ordinal = se.meta.ordinal;
    s.loc = se.meta.loc;
    s.addresses = addresses;
    s.ports = ports;
    s.resolution = resolution;
    s.mesh_external = se.location != "MESH_INTERNAL" && se.location != "1";
    s.export_to = export_to;
    s.has_label_selector = se.workload_selector.has_value();

    auto endpointPort = [](const ServicePortInfo& p) {
      return p.target_port != 0 ? p.target_port : p.port;
    };
    if (se.endpoints.empty() && !se.workload_selector && isDnsResolution(resolution)) {
      // DNS resolution without endpoints: the host itself is the one (DNS) endpoint.
      RegistryEndpoint ep;
      ep.address = host;
      ep.workload = "ServiceEntry " + se.meta.ref();
      for (const ServicePortInfo& p : ports) {
        ep.ports.emplace_back(p.port, endpointPort(p));
      }
      s.endpoints.push_back(std::move(ep));
    }
    for (size_t i = 0; i < se.endpoints.size(); ++i) {
      const model::WorkloadEntry& we = se.endpoints[i];
      RegistryEndpoint ep;
      ep.address = we.address;
      ep.labels = we.labels;
      ep.weight = we.weight == 0 ? 1 : we.weight;
      ep.workload = se.meta.ref() + "-" + std::to_string(i);
      for (const ServicePortInfo& p : ports) {
        uint32_t port = endpointPort(p);
        for (const auto& [name, number] : we.ports) {
          if (name == p.name && number > 0) {
            port = number;
          }
        }
        ep.ports.emplace_back(p.port, port);
      }
      s.endpoints.push_back(std::move(ep));
    }
    if (se.workload_selector) {
      for (const model::WorkloadInstance& w : config.workloads) {
        if (w.meta.name_space != se.meta.name_space ||
            !istio::selectorMatches(*se.workload_selector, w.labels)) {
          continue;
        }
        RegistryEndpoint ep;
        ep.address = w.ip;
        ep.labels = w.labels;
        ep.workload = w.meta.ref();
        for (const ServicePortInfo& p : ports) {
          const uint32_t* cp = containerPort(w, p.name);
          ep.ports.emplace_back(p.port, cp != nullptr && *cp > 0 ? *cp : endpointPort(p));
        }
        s.endpoints.push_back(std::move(ep));
      }
    }
    out.push_back(std::move(s));
  }
  return out;
}

}  // namespace

bool isIpLiteral(std::string_view s) { return isIpAddress(s); }

std::string parseProtocolName(std::string_view name) {
  std::optional<istio::Protocol> p = istio::parseProtocol(name);
  return p ? std::string(istio::upperName(*p)) : std::string();
}

PortProtocolKind protocolKind(std::string_view name) {
  std::optional<istio::Protocol> p = istio::parseProtocol(name);
  if (!p) {
    return PortProtocolKind::kSniffed;
  }
  // HTTPS and TLS are TCP protocols too (IsTCP), so TLS is asked first.
  if (istio::isHttpProtocol(*p)) {
    return PortProtocolKind::kHttp;
  }
  if (istio::isTlsProtocol(*p)) {
    return PortProtocolKind::kTls;
  }
  if (istio::isTcpProtocol(*p)) {
    return PortProtocolKind::kTcp;
  }
  return PortProtocolKind::kUdp;
}

std::string kubernetesPortProtocol(const model::KubernetesServicePort& port) {
  if (ascii::toLower(port.protocol) == "udp") {
    return "UDP";
  }
  std::string name = port.name;
  if (!port.app_protocol.empty()) {
    name = port.app_protocol;
    // Kubernetes' standard appProtocol names (newer Istio understands them).
    if (name == "kubernetes.io/h2c") {
      return "HTTP2";
    }
    if (name == "kubernetes.io/ws") {
      return "HTTP";
    }
    if (name == "kubernetes.io/wss") {
      return "HTTPS";
    }
  }
  // "grpc-web" contains the separator, so it is checked before splitting on '-'.
  if (name.size() >= 8 && ascii::toLower(std::string_view(name).substr(0, 8)) == "grpc-web") {
    return "GRPC-WEB";
  }
  size_t dash = name.find('-');
  std::string p = parseProtocolName(dash == std::string::npos ? name : name.substr(0, dash));
  if (p.empty() &&
      (port.port == 25 || port.port == 53 || port.port == 3306 || port.port == 27017)) {
    return "TCP";  // well-known ports are never sniffed
  }
  return p;
}

const ServicePortInfo* Service::findPort(uint32_t number) const {
  for (const ServicePortInfo& p : ports) {
    if (p.port == number) {
      return &p;
    }
  }
  return nullptr;
}

const ServicePortInfo* Service::singlePort() const {
  return ports.size() == 1 ? &ports.front() : nullptr;
}

std::string Service::primaryVip() const {
  for (const std::string& a : addresses) {
    if (a.find('/') == std::string::npos && a != "0.0.0.0" && a != "::") {
      return a;
    }
  }
  return "";
}

bool Service::visibleTo(std::string_view ns) const {
  // initServiceRegistry: `*` makes it public; otherwise any `~` hides it from everyone.
  bool hidden = false;
  for (const std::string& e : export_to) {
    if (e == "*") {
      return true;
    }
    hidden = hidden || e == "~";
  }
  if (hidden) {
    return false;
  }
  for (const std::string& e : export_to) {
    if (e == ns) {
      return true;
    }
  }
  return false;
}

bool Service::isPublic() const {
  return std::find(export_to.begin(), export_to.end(), "*") != export_to.end();
}

ServiceRegistry ServiceRegistry::build(const model::ConfigSet& config) {
  ServiceRegistry r;
  r.domain_suffix_ = config.mesh.domain_suffix;
  for (const model::KubernetesService& ks : config.services) {
    if (ks.meta.name.empty() || ks.meta.name_space.empty()) {
      continue;
    }
    r.services_.push_back(fromKubernetes(ks, config));
  }
  for (const model::ServiceEntry& se : config.service_entries) {
    for (Service& s : fromServiceEntry(se, config)) {
      r.services_.push_back(std::move(s));
    }
  }
  std::stable_sort(r.services_.begin(), r.services_.end(), serviceOrderLess);

  // A real cluster allocates a ClusterIP to every non-headless, non-ExternalName Service;
  // manifests usually omit it. Make one up deterministically (hash of the hostname into
  // 10.96.0.0/12, probing past collisions in hostname order) so listeners stay per-service.
  std::set<uint32_t> used;
  for (const Service& s : r.services_) {
    for (const std::string& a : s.addresses) {
      if (std::optional<uint32_t> v = parseIpv4Address(a)) {
        used.insert(*v);
      }
    }
  }
  std::vector<Service*> need;
  for (Service& s : r.services_) {
    if (s.isKubernetes() && s.addresses.empty() && !s.headless &&
        s.resolution != ServiceResolution::kAlias) {
      need.push_back(&s);
    }
  }
  std::sort(need.begin(), need.end(),
            [](const Service* a, const Service* b) { return a->hostname < b->hostname; });
  constexpr uint32_t kBase = (10u << 24) | (96u << 16);  // 10.96.0.0
  constexpr uint32_t kSize = 1u << 20;                   // /12
  for (Service* s : need) {
    uint32_t offset = fnv1a(s->hostname) % kSize;
    for (uint32_t tries = 0; tries < kSize; ++tries) {
      uint32_t candidate = kBase + ((offset + tries) % kSize);
      uint32_t last = candidate & 0xff;
      if (last == 0 || last == 255 || used.count(candidate) != 0) {
        continue;
      }
      used.insert(candidate);
      s->addresses.push_back(formatIpv4(candidate));
      s->synthetic_vip = true;
      break;
    }
  }

  // ExternalName aliases (push_context.go resolveServiceAliases): follow alias chains to the
  // concrete host (loops are dropped) and record each alias on every service with that host.
  std::map<std::string, std::string> raw;  // alias hostname → target (namespace-less, as Istio)
  for (const Service& s : r.services_) {
    if (s.resolution == ServiceResolution::kAlias) {
      raw[s.hostname] = s.alias_target;
    }
  }
  std::map<std::string, std::vector<std::pair<std::string, std::string>>> aliases_of;
  for (const Service& s : r.services_) {
    if (s.resolution != ServiceResolution::kAlias) {
      continue;
    }
    std::string target = s.alias_target;
    std::set<std::string> seen = {s.hostname, target};
    bool loop = false;
    for (auto it = raw.find(target); it != raw.end(); it = raw.find(target)) {
      if (!seen.insert(it->second).second) {
        loop = true;
        break;
      }
      target = it->second;
    }
    if (!loop) {
      aliases_of[target].emplace_back(s.name_space, s.hostname);
    }
  }
  for (Service& s : r.services_) {
    auto it = aliases_of.find(s.hostname);
    if (it == aliases_of.end()) {
      continue;
    }
    std::vector<std::pair<std::string, std::string>> list = it->second;
    std::sort(list.begin(), list.end());
    for (const auto& [ns, h] : list) {
      s.aliases.push_back(h);
    }
  }
  return r;
}

std::vector<const Service*> ServiceRegistry::findAll(std::string_view hostname) const {
  std::vector<const Service*> out;
  for (const Service& s : services_) {
    if (s.hostname == hostname) {
      out.push_back(&s);
    }
  }
  return out;
}

const Service* ServiceRegistry::findInNamespace(std::string_view hostname,
                                                std::string_view name_space) const {
  // ServiceIndex.HostnameAndNamespace: the oldest, except that a Kubernetes Service beats a
  // ServiceEntry (no "domain squatting" on a Service's name).
  const Service* found = nullptr;
  for (const Service& s : services_) {
    if (s.hostname != hostname || s.name_space != name_space) {
      continue;
    }
    if (found == nullptr || (!found->isKubernetes() && s.isKubernetes())) {
      found = &s;
    }
  }
  return found;
}

std::vector<const Service*> ServiceRegistry::exportedTo(std::string_view name_space) const {
  std::vector<const Service*> out;
  for (const Service& s : services_) {
    if (!s.isPublic() && s.visibleTo(name_space)) {
      out.push_back(&s);
    }
  }
  for (const Service& s : services_) {
    if (s.isPublic()) {
      out.push_back(&s);
    }
  }
  return out;
}

const Service* ServiceRegistry::findVisible(std::string_view hostname,
                                            std::string_view proxy_namespace,
                                            std::string_view preferred_namespace) const {
  const Service* own = nullptr;
  const Service* kube = nullptr;
  const Service* first = nullptr;
  for (const Service& s : services_) {
    if (s.hostname != hostname || !s.visibleTo(proxy_namespace)) {
      continue;
    }
    if (!preferred_namespace.empty() && s.name_space == preferred_namespace) {
      return &s;
    }
    if (own == nullptr && s.name_space == proxy_namespace) {
      own = &s;
    }
    if (kube == nullptr && s.isKubernetes()) {
      kube = &s;
    }
    if (first == nullptr) {
      first = &s;
    }
  }
  if (own != nullptr) {
    return own;
  }
  return kube != nullptr ? kube : first;
}

std::vector<const Service*> ServiceRegistry::visibleFrom(std::string_view name_space) const {
  std::vector<const Service*> out;
  for (const Service& s : services_) {
    if (s.visibleTo(name_space)) {
      out.push_back(&s);
    }
  }
  return out;
}

std::vector<Endpoint> ServiceRegistry::endpointsFor(const Service& service, uint32_t port,
                                                    const StringMap& subset_labels) const {
  std::vector<Endpoint> out;
  if (service.findPort(port) == nullptr) {
    return out;
  }
  for (const RegistryEndpoint& ep : service.endpoints) {
    if (!istio::selectorMatches(subset_labels, ep.labels)) {
      continue;
    }
    for (const auto& [svc_port, ep_port] : ep.ports) {
      if (svc_port != port) {
        continue;
      }
      Endpoint e;
      e.address = ep.address;
      e.port = ep_port;
      e.weight = ep.weight;
      e.labels = ep.labels;
      out.push_back(std::move(e));
      break;
    }
  }
  return out;
}

}  // namespace meshc::lower
