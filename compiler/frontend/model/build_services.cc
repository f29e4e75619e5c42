// The service registry's inputs: ServiceEntry (SEMANTICS 1.21), Kubernetes Service and workloads
// (Pods, or the pod template of a Deployment/StatefulSet/DaemonSet/ReplicaSet/Job).
// Entry points: detail::buildServiceEntry(), buildKubernetesService(), buildWorkload().
#include "frontend/model/build_internal.h"

namespace meshc::model::detail {
namespace {

constexpr std::string_view kExportToAnnotation = "networking.istio.io/exportTo";

// `a, b,,c` ⇒ [a, b, c]: the annotation is split on ',' and each entry trimmed.
std::vector<std::string> splitExportTo(std::string_view text) {
  std::vector<std::string> out;
  while (true) {
    size_t comma = text.find(',');
    std::string_view part = text.substr(0, comma);
    while (!part.empty() && (part.front() == ' ' || part.front() == '\t')) {
      part.remove_prefix(1);
    }
    while (!part.empty() && (part.back() == ' ' || part.back() == '\t')) {
      part.remove_suffix(1);
    }
    if (!part.empty()) {
      out.emplace_back(part);
    }
    if (comma == std::string_view::npos) {
      break;
    }
    text.remove_prefix(comma + 1);
  }
  return out;
}

std::vector<std::pair<std::string, uint32_t>> containerPortsOf(const Node* pod_spec) {
  std::vector<std::pair<std::string, uint32_t>> out;
  const Node* containers = child(pod_spec, "containers");
  if (containers == nullptr) {
    return out;
  }
  for (const Node* container : containers->items()) {
    const Node* ports = child(container, "ports");
    if (ports == nullptr) {
      continue;
    }
    for (const Node* port : ports->items()) {
      std::optional<uint32_t> number = uint32Of(child(port, "containerPort"));
      if (!number) {
        continue;
      }
      out.emplace_back(stringOf(child(port, "name")), *number);
    }
  }
  return out;
}

}  // namespace

ServiceEntry buildServiceEntry(const frontend::Resource& r, const frontend::MeshConfig& mesh) {
  ServiceEntry se;
  se.meta = metaOf(r);
  const Node* spec = r.spec;
  se.hosts = stringList(child(spec, "hosts"));
  se.addresses = stringList(child(spec, "addresses"));
  if (const Node* ports = child(spec, "ports")) {
    for (const Node* item : ports->items()) {
      if (item == nullptr || !item->isMap()) {
        continue;
      }
      ServicePort p;
      p.number = uint32Of(item->get("number")).value_or(0);
      p.protocol = ascii::toUpper(stringOf(item->get("protocol")));
      p.name = stringOf(item->get("name"));
      p.target_port = uint32Of(item->get("targetPort")).value_or(0);
      se.ports.push_back(std::move(p));
    }
  }
  // Enum zero values are the defaults: MESH_EXTERNAL and NONE.
  std::string location = enumOf(child(spec, "location"), {"MESH_EXTERNAL", "MESH_INTERNAL"});
  if (!location.empty()) {
    se.location = std::move(location);
  }
  std::string resolution = enumOf(child(spec, "resolution"),
                                  {"NONE", "STATIC", "DNS", "DNS_ROUND_ROBIN", "DYNAMIC_DNS"});
  if (!resolution.empty()) {
    se.resolution = std::move(resolution);
  }
  if (const Node* endpoints = child(spec, "endpoints")) {
    for (const Node* item : endpoints->items()) {
      if (item == nullptr || !item->isMap()) {
        continue;
      }
      WorkloadEntry we;
      we.address = stringOf(item->get("address"));
      if (const Node* ports = item->get("ports")) {
        for (const frontend::MapEntry& e : ports->entries()) {
          if (std::optional<uint32_t> number = uint32Of(e.value)) {
            we.ports.emplace_back(std::string(e.key), *number);
          }
        }
      }
      we.labels = stringMap(item->get("labels"));
      we.network = stringOf(item->get("network"));
      we.locality = stringOf(item->get("locality"));
      we.weight = uint32Of(item->get("weight")).value_or(0);
      se.endpoints.push_back(std::move(we));
    }
  }
  const Node* selector = child(spec, "workloadSelector");
  if (selector != nullptr && selector->isMap()) {
    se.workload_selector = stringMap(selector->get("labels"));
  }
  se.export_to = exportToOf(child(spec, "exportTo"), mesh.default_service_export_to);
  return se;
}

KubernetesService buildKubernetesService(const frontend::Resource& r,
                                         const frontend::MeshConfig& mesh) {
  KubernetesService svc;
  svc.meta = metaOf(r);
  const Node* spec = r.spec;
  if (std::optional<std::string> type = optString(child(spec, "type")); type && !type->empty()) {
    svc.type = std::move(*type);
  }
  svc.cluster_ip = stringOf(child(spec, "clusterIP"));
  svc.external_name = stringOf(child(spec, "externalName"));
  svc.selector = stringMap(child(spec, "selector"));
  if (const Node* ports = child(spec, "ports")) {
    for (const Node* item : ports->items()) {
      if (item == nullptr || !item->isMap()) {
        continue;
      }
      KubernetesServicePort p;
      p.name = stringOf(item->get("name"));
      p.port = uint32Of(item->get("port")).value_or(0);
      // IntOrString: a YAML integer is a port number, a string is a container port name.
      const Node* target = item->get("targetPort");
      if (target != nullptr && target->isInt()) {
        p.target_port = std::to_string(target->intValue());
      } else {
        p.target_port = stringOf(target);
      }
      if (std::optional<std::string> protocol = optString(item->get("protocol"));
          protocol && !protocol->empty()) {
        p.protocol = std::move(*protocol);
      }
      p.app_protocol = stringOf(item->get("appProtocol"));
      svc.ports.push_back(std::move(p));
    }
  }
  auto annotation = r.annotations.find(kExportToAnnotation);
  if (annotation != r.annotations.end()) {
    svc.export_to = splitExportTo(annotation->second);
  }
  if (svc.export_to.empty()) {
    svc.export_to = exportToOf(nullptr, mesh.default_service_export_to);
  }
  return svc;
}

WorkloadInstance buildWorkload(const frontend::Resource& r) {
  WorkloadInstance w;
  w.meta = metaOf(r);
  if (r.kind == frontend::ResourceKind::kPod) {
    w.is_pod = true;
    w.labels = r.labels;
    w.ip = stringOf(child(child(r.root, "status"), "podIP"));
    w.container_ports = containerPortsOf(r.spec);
    return w;
  }
  // A workload kind stands for the pods its template would create (same namespace).
  const Node* pod_template = child(r.spec, "template");
  w.labels = stringMap(child(child(pod_template, "metadata"), "labels"));
  w.container_ports = containerPortsOf(child(pod_template, "spec"));
  return w;
}

EndpointSlice buildEndpointSlice(const frontend::Resource& r) {
  EndpointSlice es;
  es.meta = metaOf(r);
  // EndpointSlice has no spec: addressType, endpoints and ports are top-level fields.
  es.address_type = stringOf(child(r.root, "addressType"));
  if (auto it = r.labels.find(kServiceNameLabel); it != r.labels.end()) {
    es.service_name = it->second;
  }
  if (const Node* endpoints = child(r.root, "endpoints")) {
    for (const Node* e : endpoints->items()) {
      if (e == nullptr || !e->isMap()) {
        continue;
      }
      EndpointSliceEndpoint ep;
      ep.addresses = stringList(e->get("addresses"));
      ep.ready = boolOf(child(e->get("conditions"), "ready")).value_or(true);
      const Node* ref = e->get("targetRef");
      ep.target_ref_kind = stringOf(child(ref, "kind"));
      ep.target_ref_name = stringOf(child(ref, "name"));
      ep.target_ref_namespace = stringOf(child(ref, "namespace"));
      ep.loc = e->loc();
      es.endpoints.push_back(std::move(ep));
    }
  }
  if (const Node* ports = child(r.root, "ports")) {
    for (const Node* p : ports->items()) {
      if (p == nullptr || !p->isMap()) {
        continue;
      }
      EndpointSlicePort port;
      port.name = stringOf(p->get("name"));
      if (const Node* number = p->get("port"); number != nullptr && !number->isNull()) {
        port.port = uint32Of(number);
      }
      if (std::string protocol = stringOf(p->get("protocol")); !protocol.empty()) {
        port.protocol = protocol;
      }
      es.ports.push_back(std::move(port));
    }
  }
  return es;
}

}  // namespace meshc::model::detail
