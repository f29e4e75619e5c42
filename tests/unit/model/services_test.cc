// Tests for reading ServiceEntries, Kubernetes Services and workloads into the typed model.
#include <catch2/catch.hpp>

#include "model/model_test_util.h"

using meshc::model::ConfigSet;
using meshc::testing::buildCheckedModel;
using meshc::testing::buildModel;
using meshc::testing::describe;
using meshc::testing::Loaded;

TEST_CASE("model se: location MESH_EXTERNAL and resolution NONE by default (SEMANTICS 1.21)",
          "[model]") {
  Loaded l(R"(apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: {name: ext}
spec:
  hosts: [api.example.com]
  ports: [{number: 443, name: https, protocol: tls}]
---
apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: {name: internal, namespace: ns1}
spec:
  hosts: [db.internal, db2.internal]
  addresses: [10.1.0.0/16]
  location: MESH_INTERNAL
  resolution: STATIC
  ports: [{number: 5432, name: tcp-db, protocol: TCP, targetPort: 15432}, {number: 80, name: x}]
  endpoints:
  - address: 10.1.2.3
    ports: {tcp-db: 6543}
    labels: {version: v1}
    network: n1
    locality: us/east
    weight: 3
  exportTo: [".", ns2]
)");
  ConfigSet set = buildCheckedModel(l);
  INFO(describe(l.sink.diagnostics()));
  CHECK(meshc::testing::allSchemaValid(l));
  REQUIRE(set.service_entries.size() == 2);
  const auto& ext = set.service_entries[0];
  CHECK(ext.location == "MESH_EXTERNAL");
  CHECK(ext.resolution == "NONE");
  REQUIRE(ext.ports.size() == 1);
  CHECK(ext.ports[0].protocol == "TLS");
  CHECK(ext.export_to == std::vector<std::string>{"*"});
  CHECK_FALSE(ext.workload_selector.has_value());
  const auto& in = set.service_entries[1];
  CHECK(in.hosts.size() == 2);
  CHECK(in.addresses == std::vector<std::string>{"10.1.0.0/16"});
  CHECK(in.location == "MESH_INTERNAL");
  CHECK(in.resolution == "STATIC");
  REQUIRE(in.ports.size() == 2);
  CHECK(in.ports[0].target_port == 15432);
  CHECK(in.ports[1].protocol.empty());  // unknown: sniffed
  REQUIRE(in.endpoints.size() == 1);
  const auto& ep = in.endpoints[0];
  CHECK(ep.address == "10.1.2.3");
  REQUIRE(ep.ports.size() == 1);
  CHECK(ep.ports[0] == std::pair<std::string, uint32_t>{"tcp-db", 6543});
  CHECK(ep.labels.at("version") == "v1");
  CHECK(ep.network == "n1");
  CHECK(ep.locality == "us/east");
  CHECK(ep.weight == 3);
  CHECK(in.export_to == std::vector<std::string>{".", "ns2"});
}

TEST_CASE("model se: enums by number and workloadSelector", "[model]") {
  Loaded l(R"(apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: {name: a}
spec:
  hosts: ["*.example.com"]
  location: 1
  resolution: 4
  ports: [{number: 80, name: http, protocol: HTTP}]
---
apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: {name: b}
spec:
  hosts: [b.example.com]
  resolution: 3
  workloadSelector: {labels: {app: b}}
  ports: [{number: 80, name: http, protocol: HTTP}]
)");
  ConfigSet set = buildModel(l);
  REQUIRE(set.service_entries.size() == 2);
  CHECK(set.service_entries[0].location == "MESH_INTERNAL");
  CHECK(set.service_entries[0].resolution == "DYNAMIC_DNS");
  CHECK(set.service_entries[1].resolution == "DNS_ROUND_ROBIN");
  CHECK(set.service_entries[1].location == "MESH_EXTERNAL");
  CHECK(set.service_entries[1].workload_selector->at("app") == "b");
}

TEST_CASE(
    "model k8s service: type ClusterIP and port protocol TCP by default, targetPort as "
    "written, exportTo annotation split on ','",
    "[model]") {
  Loaded l(R"(apiVersion: v1
kind: Service
metadata:
  name: reviews
  namespace: ns1
  annotations: {networking.istio.io/exportTo: " ., ns2 ,,ns3"}
spec:
  clusterIP: 10.96.0.10
  selector: {app: reviews}
  ports:
  - {name: http, port: 9080, targetPort: 8080}
  - {name: grpc, port: 9090, targetPort: grpc-port, appProtocol: grpc}
  - {name: dns, port: 53, protocol: UDP}
---
apiVersion: v1
kind: Service
metadata: {name: ext}
spec:
  type: ExternalName
  externalName: api.example.com
---
apiVersion: v1
kind: Service
metadata: {name: headless}
spec:
  clusterIP: None
  ports: [{port: 80}]
)");
  ConfigSet set = buildCheckedModel(l);
  INFO(describe(l.sink.diagnostics()));
  CHECK(meshc::testing::allSchemaValid(l));
  REQUIRE(set.services.size() == 3);
  const auto& svc = set.services[0];
  CHECK(svc.type == "ClusterIP");
  CHECK(svc.cluster_ip == "10.96.0.10");
  CHECK(svc.selector.at("app") == "reviews");
  REQUIRE(svc.ports.size() == 3);
  CHECK(svc.ports[0].name == "http");
  CHECK(svc.ports[0].port == 9080);
  CHECK(svc.ports[0].target_port == "8080");
  CHECK(svc.ports[0].protocol == "TCP");
  CHECK(svc.ports[1].target_port == "grpc-port");
  CHECK(svc.ports[1].app_protocol == "grpc");
  CHECK(svc.ports[2].protocol == "UDP");
  CHECK(svc.export_to == std::vector<std::string>{".", "ns2", "ns3"});
  CHECK(set.services[1].type == "ExternalName");
  CHECK(set.services[1].external_name == "api.example.com");
  CHECK(set.services[1].export_to == std::vector<std::string>{"*"});
  CHECK(set.services[2].cluster_ip == "None");
  CHECK(set.services[2].ports.at(0).target_port.empty());
}

TEST_CASE("model k8s service: no exportTo annotation takes the mesh defaultServiceExportTo",
          "[model]") {
  Loaded l(R"(apiVersion: v1
kind: Service
metadata: {name: a}
spec: {ports: [{port: 80}]}
)");
  meshc::frontend::MeshConfig mesh;
  mesh.default_service_export_to = {"."};
  ConfigSet set = buildModel(l, mesh);
  REQUIRE(set.services.size() == 1);
  CHECK(set.services[0].export_to == std::vector<std::string>{"."});
}

TEST_CASE(
    "model workloads: Pods give labels, podIP and container ports, workload kinds give "
    "their pod template",
    "[model]") {
  Loaded l(R"(apiVersion: v1
kind: Pod
metadata: {name: p, namespace: ns1, labels: {app: web, version: v1}}
spec:
  containers:
  - name: c
    ports: [{name: http, containerPort: 8080}, {containerPort: 9090}]
  - name: sidecar
status: {podIP: 10.0.0.5}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: d, namespace: ns2, labels: {owner: team}}
spec:
  selector: {matchLabels: {app: api}}
  template:
    metadata: {labels: {app: api}}
    spec:
      containers: [{name: c, ports: [{name: grpc, containerPort: 50051}]}]
---
apiVersion: batch/v1
kind: Job
metadata: {name: j}
spec:
  template:
    metadata: {labels: {job: x}}
    spec: {containers: [{name: c}]}
---
apiVersion: apps/v1
kind: StatefulSet
metadata: {name: s}
spec: {template: 7}
)");
  ConfigSet set = buildCheckedModel(l);
  REQUIRE(set.workloads.size() >= 3);
  const auto& pod = set.workloads[0];
  CHECK(pod.meta.ref() == "ns1/p");
  CHECK(pod.labels.at("app") == "web");
  CHECK(pod.ip == "10.0.0.5");
  REQUIRE(pod.container_ports.size() == 2);
  CHECK(pod.container_ports[0] == std::pair<std::string, uint32_t>{"http", 8080});
  CHECK(pod.container_ports[1] == std::pair<std::string, uint32_t>{"", 9090});
  const auto& dep = set.workloads[1];
  CHECK(dep.meta.ref() == "ns2/d");
  CHECK(dep.labels.size() == 1);
  CHECK(dep.labels.at("app") == "api");  // the template's labels, not the Deployment's
  CHECK(dep.ip.empty());
  REQUIRE(dep.container_ports.size() == 1);
  CHECK(dep.container_ports[0].second == 50051);
  CHECK(set.workloads[2].labels.at("job") == "x");
  if (set.workloads.size() == 4) {  // the schema may reject `template: 7`; never a crash
    CHECK(set.workloads[3].labels.empty());
  }
}
