// A Kubernetes Service's cluster endpoints come from its EndpointSlices (label
// kubernetes.io/service-name, same namespace) before the Pods its selector picks: ready
// endpoints only, Service port paired with the slice port of the same name (kube-proxy), labels
// from the Pod a targetRef names.
#include <catch2/catch.hpp>
#include <memory>
#include <string>

#include "lower/proxy_config.h"
#include "model/model_test_util.h"

namespace meshc::lower {
namespace {

// Service reviews: port 9080 "http" → targetPort 9080, port 9090 "grpc" → named targetPort.
// Three pods match its selector; the slices list two of them plus one the input does not have.
constexpr const char* kReviews = R"(apiVersion: v1
kind: Service
metadata: {name: reviews, namespace: shop}
spec:
  clusterIP: 10.96.0.30
  selector: {app: reviews}
  ports:
  - {name: http, port: 9080, targetPort: 9080}
  - {name: grpc, port: 9090, targetPort: grpc-port}
---
apiVersion: v1
kind: Pod
metadata: {name: reviews-v1, namespace: shop, labels: {app: reviews, version: v1}}
spec: {containers: [{name: c, image: i, ports: [{name: grpc-port, containerPort: 5000}]}]}
status: {podIP: 10.1.0.1}
---
apiVersion: v1
kind: Pod
metadata: {name: reviews-v2, namespace: shop, labels: {app: reviews, version: v2}}
spec: {containers: [{name: c, image: i, ports: [{name: grpc-port, containerPort: 5000}]}]}
status: {podIP: 10.1.0.2}
---
apiVersion: v1
kind: Pod
metadata: {name: reviews-old, namespace: shop, labels: {app: reviews, version: v0}}
spec: {containers: [{name: c, image: i}]}
status: {podIP: 10.1.0.50}
---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: reviews, namespace: shop}
spec:
  host: reviews
  subsets:
  - {name: v1, labels: {version: v1}}
  - {name: v2, labels: {version: v2}}
---
)";

// Ports listed grpc first: pairing is by name, not by position.
constexpr const char* kSlices = R"(apiVersion: v1
kind: List
items:
- apiVersion: discovery.k8s.io/v1
  kind: EndpointSlice
  metadata:
    name: reviews-a
    namespace: shop
    labels: {kubernetes.io/service-name: reviews}
  addressType: IPv4
  ports:
  - {name: grpc, port: 7070, protocol: TCP}
  - {name: http, port: 9080, protocol: TCP}
  endpoints:
  - addresses: [10.1.0.1]
    conditions: {ready: true}
    targetRef: {kind: Pod, name: reviews-v1, namespace: shop}
  - addresses: [10.1.0.2]
    targetRef: {kind: Pod, name: reviews-v2}
  - addresses: [10.1.0.3]
    conditions: {ready: false, serving: true, terminating: true}
    targetRef: {kind: Pod, name: reviews-v3, namespace: shop}
- apiVersion: discovery.k8s.io/v1
  kind: EndpointSlice
  metadata:
    name: reviews-b
    namespace: shop
    labels: {kubernetes.io/service-name: reviews}
  addressType: IPv4
  ports:
  - {name: http, port: 9080}
  - {name: grpc, port: 7071}
  endpoints:
  - addresses: [10.1.0.9]
    conditions: {ready: true}
    targetRef: {kind: Pod, name: gone, namespace: shop}
- apiVersion: discovery.k8s.io/v1
  kind: EndpointSlice
  metadata:
    name: reviews-elsewhere
    namespace: other
    labels: {kubernetes.io/service-name: reviews}
  addressType: IPv4
  ports: [{name: http, port: 9080}]
  endpoints: [{addresses: [10.9.9.9]}]
)";

ProxyConfig lowerSidecar(const std::string& yaml) {
  testing::Loaded l(yaml);
  model::ConfigSet config = testing::buildCheckedModel(l);
  REQUIRE(testing::allSchemaValid(l));
  ProxyIdentity p;
  p.kind = ProxyIdentity::Kind::kSidecar;
  p.name_space = "shop";
  p.labels = {{"app", "productpage"}};
  return buildProxyConfig(config, p).config;
}

// "address:port" per endpoint, in order.
std::vector<std::string> addresses(const ProxyConfig& pc, std::string_view cluster) {
  const Cluster* c = pc.findCluster(cluster);
  INFO("cluster " << cluster);
  REQUIRE(c != nullptr);
  std::vector<std::string> out;
  for (const Endpoint& e : c->endpoints) {
    out.push_back(e.address + ":" + std::to_string(e.port));
  }
  return out;
}

using Strings = std::vector<std::string>;

}  // namespace

TEST_CASE("endpointslice lowering: ready endpoints of the Service's slices, ports by name",
          "[lower-endpointslice]") {
  ProxyConfig pc = lowerSidecar(std::string(kReviews) + kSlices);
  // 10.1.0.3 is not ready; 10.1.0.50 is selected by the Service but no slice lists it;
  // 10.9.9.9 belongs to a slice in another namespace.
  CHECK(addresses(pc, "outbound|9080||reviews.shop.svc.cluster.local") ==
        Strings{"10.1.0.1:9080", "10.1.0.2:9080", "10.1.0.9:9080"});
  // Port "grpc" is 7070 in slice a and 7071 in slice b, whatever the Pods' containerPort says.
  CHECK(addresses(pc, "outbound|9090||reviews.shop.svc.cluster.local") ==
        Strings{"10.1.0.1:7070", "10.1.0.2:7070", "10.1.0.9:7071"});
}

TEST_CASE("endpointslice lowering: labels come from the targetRef Pod, so subsets select",
          "[lower-endpointslice]") {
  ProxyConfig pc = lowerSidecar(std::string(kReviews) + kSlices);
  const Cluster* plain = pc.findCluster("outbound|9080||reviews.shop.svc.cluster.local");
  REQUIRE(plain != nullptr);
  REQUIRE(plain->endpoints.size() == 3);
  CHECK(plain->endpoints[0].labels == StringMap{{"app", "reviews"}, {"version", "v1"}});
  // targetRef without namespace: the slice's namespace.
  CHECK(plain->endpoints[1].labels == StringMap{{"app", "reviews"}, {"version", "v2"}});
  CHECK(plain->endpoints[2].labels.empty());  // Pod "gone" is not in the input
  CHECK(addresses(pc, "outbound|9080|v1|reviews.shop.svc.cluster.local") ==
        Strings{"10.1.0.1:9080"});
  CHECK(addresses(pc, "outbound|9090|v2|reviews.shop.svc.cluster.local") ==
        Strings{"10.1.0.2:7070"});
}

TEST_CASE("endpointslice lowering: without slices the selected Pods are the endpoints",
          "[lower-endpointslice]") {
  ProxyConfig pc = lowerSidecar(kReviews);
  // The named targetPort resolves through each Pod's containerPort; reviews-old has none.
  CHECK(addresses(pc, "outbound|9080||reviews.shop.svc.cluster.local") ==
        Strings{"10.1.0.1:9080", "10.1.0.2:9080", "10.1.0.50:9080"});
  CHECK(addresses(pc, "outbound|9090||reviews.shop.svc.cluster.local") ==
        Strings{"10.1.0.1:5000", "10.1.0.2:5000"});
}

TEST_CASE("endpointslice lowering: a Service without selector takes its slices' endpoints",
          "[lower-endpointslice]") {
  ProxyConfig pc = lowerSidecar(R"(apiVersion: v1
kind: Service
metadata: {name: legacy-db, namespace: shop}
spec:
  clusterIP: 10.96.0.40
  ports:
  - {port: 5432}
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata:
  name: legacy-db-1
  namespace: shop
  labels: {kubernetes.io/service-name: legacy-db}
addressType: IPv4
ports:
- {port: 15432}
endpoints:
- addresses: [192.168.10.5]
- addresses: [192.168.10.6]
  conditions: {ready: false}
)");
  // The unnamed Service port pairs with the unnamed slice port.
  CHECK(addresses(pc, "outbound|5432||legacy-db.shop.svc.cluster.local") ==
        Strings{"192.168.10.5:15432"});
}

}  // namespace meshc::lower
