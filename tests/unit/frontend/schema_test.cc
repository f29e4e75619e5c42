// Tests for the schema layer: embedded JSON Schemas, valijson validation, diagnostics mapped to
// the offending key or value, and the generator reproducing schemas/json/.
#include <catch2/catch.hpp>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "frontend/rule_catalog.h"
#include "frontend/schema_check.h"
#include "schemas/embedded.h"
#include "test_util.h"

using namespace meshc;
using namespace meshc::frontend;
using meshc::testing::countId;
using meshc::testing::describe;
using meshc::testing::hasId;

namespace {

// Loads YAML and runs only the schema check over every object in it.
struct SchemaRun {
  meshc::testing::Loaded loaded;
  DiagnosticSink sink;
  bool ok = true;
  explicit SchemaRun(std::string yaml) : loaded(std::move(yaml)) {
    for (const Resource& r : loaded.resources()) {
      ok = checkSchema(r, sink) && ok;
    }
  }
  const std::vector<Diagnostic>& diags() const { return sink.diagnostics(); }
  const Diagnostic& only() const {
    REQUIRE(sink.size() == 1);
    return sink.diagnostics()[0];
  }
  size_t objects() const { return loaded.resources().size(); }
  bool loaderClean() const { return loaded.sink.size() == 0; }
};

// Valid objects of every kind meshc reads (%V is replaced by the version under test).
const char* const kGateway = R"(apiVersion: networking.istio.io/%V
kind: Gateway
metadata:
  name: gw
  namespace: istio-system
  labels: {app: gw}
  creationTimestamp: null
spec:
  selector:
    istio: ingressgateway
  servers:
  - port: {number: 443, name: https, protocol: HTTPS}
    hosts: ["*.example.com"]
    tls:
      mode: SIMPLE
      credentialName: cert
      minProtocolVersion: TLSV1_2
  - port: {number: 80, name: http, protocol: HTTP}
    hosts: ["ns/*.example.com"]
    tls: {httpsRedirect: true}
)";

const char* const kVirtualService = R"(apiVersion: networking.istio.io/%V
kind: VirtualService
metadata: {name: reviews, namespace: default, annotations: {note: "x"}}
spec:
  hosts: [reviews]
  gateways: [mesh, istio-system/gw]
  exportTo: ["."]
  http:
  - name: v2
    match:
    - uri: {prefix: /v2}
      headers:
        end-user: {exact: jason}
      queryParams:
        debug: {regex: "on|yes"}
      port: 9080
    rewrite: {uri: /}
    route:
    - destination: {host: reviews, subset: v2, port: {number: 9080}}
      weight: 80
      headers:
        request:
          set: {x-version: v2}
    - destination: {host: reviews, subset: v1}
      weight: 20
    timeout: 10s
    retries: {attempts: 3, perTryTimeout: 2s, retryOn: "5xx"}
    fault:
      abort: {percentage: {value: 0.5}, httpStatus: 503}
    corsPolicy:
      allowOrigins: [{exact: "https://example.com"}]
      allowMethods: [GET]
  - redirect: {uri: /login, redirectCode: 302}
  tcp:
  - match: [{port: 3306}]
    route: [{destination: {host: mysql}}]
  tls:
  - match: [{sniHosts: [reviews], port: 443}]
    route: [{destination: {host: reviews}}]
)";

const char* const kDestinationRule = R"(apiVersion: networking.istio.io/%V
kind: DestinationRule
metadata: {name: reviews}
spec:
  host: reviews.default.svc.cluster.local
  trafficPolicy:
    loadBalancer:
      consistentHash: {httpHeaderName: x-user, minimumRingSize: 1024}
    connectionPool:
      tcp: {maxConnections: 100, connectTimeout: 30ms}
      http: {http1MaxPendingRequests: 10, idleTimeout: 1h}
    outlierDetection: {consecutive5xxErrors: 7, interval: 5m, baseEjectionTime: 15m}
    tls: {mode: ISTIO_MUTUAL}
    portLevelSettings:
    - port: {number: 80}
      loadBalancer: {simple: LEAST_REQUEST}
  subsets:
  - name: v1
    labels: {version: v1}
  - name: v2
    labels: {version: v2}
    trafficPolicy:
      loadBalancer: {simple: ROUND_ROBIN}
)";

const char* const kServiceEntry = R"(apiVersion: networking.istio.io/%V
kind: ServiceEntry
metadata: {name: external}
spec:
  hosts: [api.example.com]
  location: MESH_EXTERNAL
  ports:
  - {number: 443, name: https, protocol: TLS}
  resolution: DNS
  endpoints:
  - address: api.example.com
    ports: {https: 443}
    labels: {region: eu}
)";

const char* const kSidecar = R"(apiVersion: networking.istio.io/%V
kind: Sidecar
metadata: {name: default, namespace: prod}
spec:
  workloadSelector:
    labels: {app: reviews}
  ingress:
  - port: {number: 9080, protocol: HTTP, name: http}
    defaultEndpoint: 127.0.0.1:8080
  egress:
  - hosts: ["./*", "istio-system/*"]
  outboundTrafficPolicy: {mode: REGISTRY_ONLY}
)";

const char* const kRequestAuthentication = R"(apiVersion: security.istio.io/%V
kind: RequestAuthentication
metadata: {name: jwt, namespace: prod}
spec:
  selector:
    matchLabels: {app: reviews}
  jwtRules:
  - issuer: https://issuer.example.com
    jwksUri: https://issuer.example.com/jwks
    forwardOriginalToken: true
    outputClaimToHeaders:
    - {header: x-sub, claim: sub}
)";

const char* const kK8sObjects = R"(apiVersion: v1
kind: Service
metadata: {name: reviews, namespace: default, labels: {app: reviews}}
spec:
  selector: {app: reviews}
  ports:
  - {name: http, port: 9080, targetPort: 9080, protocol: TCP, appProtocol: http}
  - {name: grpc, port: 9090, targetPort: grpc-port}
  type: ClusterIP
  sessionAffinity: None
---
apiVersion: v1
kind: Pod
metadata: {name: reviews-1, labels: {app: reviews, version: v1}}
spec:
  containers:
  - name: reviews
    image: reviews:1
    ports: [{containerPort: 9080}]
  restartPolicy: Always
status:
  phase: Running
---
apiVersion: v1
kind: Namespace
metadata:
  name: prod
  labels: {istio-injection: enabled}
---
apiVersion: v1
kind: Secret
metadata: {name: cert, namespace: istio-system}
type: kubernetes.io/tls
data: {tls.crt: Zm9v, tls.key: YmFy}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: reviews}
spec:
  replicas: 2
  strategy: {type: RollingUpdate}
  selector: {matchLabels: {app: reviews}}
  template:
    metadata: {labels: {app: reviews, version: v1}}
    spec:
      containers: [{name: reviews, image: reviews:1}]
---
apiVersion: apps/v1
kind: StatefulSet
metadata: {name: db}
spec:
  serviceName: db
  selector: {matchLabels: {app: db}}
  template:
    metadata: {labels: {app: db}}
    spec: {containers: [{name: db, image: db:1}]}
---
apiVersion: apps/v1
kind: DaemonSet
metadata: {name: agent}
spec:
  selector: {matchLabels: {app: agent}}
  template:
    metadata: {labels: {app: agent}}
    spec: {containers: [{name: agent, image: agent:1}], hostNetwork: true}
---
apiVersion: apps/v1
kind: ReplicaSet
metadata: {name: rs}
spec:
  replicas: 1
  selector: {matchLabels: {app: rs}}
  template:
    metadata: {labels: {app: rs}}
    spec: {containers: [{name: rs, image: rs:1}]}
---
apiVersion: batch/v1
kind: Job
metadata: {name: migrate}
spec:
  backoffLimit: 2
  template:
    metadata: {labels: {app: migrate}}
    spec: {containers: [{name: m, image: m:1}], restartPolicy: Never}
)";

std::string withVersion(std::string text, const std::string& version) {
  size_t pos = text.find("%V");
  REQUIRE(pos != std::string::npos);
  return text.replace(pos, 2, version);
}

std::string gatewayWithPort(const std::string& port_fields) {
  return R"(apiVersion: networking.istio.io/v1
kind: Gateway
metadata: {name: gw}
spec:
  servers:
  - port:
)" + port_fields +
         R"(    hosts: ["*"]
)";
}

}  // namespace

TEST_CASE("a valid object of each Istio kind passes the schema in every served version",
          "[schema]") {
  struct Case {
    const char* yaml;
    std::vector<std::string> versions;
  };
  const std::vector<Case> cases = {
      {kGateway, {"v1alpha3", "v1beta1", "v1"}},
      {kVirtualService, {"v1alpha3", "v1beta1", "v1"}},
      {kDestinationRule, {"v1alpha3", "v1beta1", "v1"}},
      {kServiceEntry, {"v1alpha3", "v1beta1", "v1"}},
      {kSidecar, {"v1alpha3", "v1beta1", "v1"}},
      {kRequestAuthentication, {"v1beta1", "v1"}},
  };
  for (const Case& c : cases) {
    for (const std::string& v : c.versions) {
      SchemaRun run(withVersion(c.yaml, v));
      INFO(v << "\n" << describe(run.diags()) << describe(run.loaded.sink.diagnostics()));
      CHECK(run.loaderClean());
      CHECK(run.objects() == 1);
      CHECK(run.ok);
      CHECK(run.diags().empty());
    }
  }
}

TEST_CASE("valid Kubernetes context objects of every kind pass the schema", "[schema]") {
  SchemaRun run(kK8sObjects);
  INFO(describe(run.diags()) << describe(run.loaded.sink.diagnostics()));
  CHECK(run.loaderClean());
  CHECK(run.objects() == 9);
  CHECK(run.ok);
  CHECK(run.diags().empty());
}

TEST_CASE("an unknown spec field is reported at its key with the allowed fields", "[schema]") {
  SchemaRun run(R"(apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: reviews}
spec:
  hostz: [reviews]
  http: [{route: [{destination: {host: reviews}}]}]
)");
  CHECK_FALSE(run.ok);
  const Diagnostic& d = run.only();
  CHECK(d.id == "schema-unknown-field");
  CHECK(d.istio_code == "IST0106");
  CHECK(d.severity == Severity::kError);
  CHECK(d.message ==
        "unknown field \"hostz\" in VirtualService spec (did you mean \"hosts\"?); expected one "
        "of: exportTo, gateways, hosts, http, tcp, tls");
  CHECK(d.loc.line == 5);
  CHECK(d.loc.column == 3);
  CHECK(d.length == 5);
  CHECK(d.resource.kind == "VirtualService");
  REQUIRE(d.fixit.has_value());
  CHECK(d.fixit->replacement == "hosts");
}

TEST_CASE("every unknown field of one object is reported, at any depth", "[schema]") {
  SchemaRun run(R"(apiVersion: networking.istio.io/v1
kind: Gateway
metadata: {name: gw, lables: {app: x}}
spec:
  servers:
  - port: {number: 80, name: http, protocol: HTTP}
    host: ["*"]
    hosts: ["*"]
    tls: {mode: SIMPLE, credentialname: cert}
specs: {}
)");
  CHECK_FALSE(run.ok);
  INFO(describe(run.diags()));
  CHECK(countId(run.diags(), "schema-unknown-field") == 4);
  CHECK(run.diags().size() == 4);
  bool saw_metadata = false;
  bool saw_tls = false;
  for (const Diagnostic& d : run.diags()) {
    if (d.message.find("\"lables\" in Gateway metadata (did you mean \"labels\"?)") !=
        std::string::npos) {
      saw_metadata = true;
      CHECK(d.loc.line == 3);
      CHECK(d.loc.column == 22);
    }
    if (d.message.find("\"credentialname\" in Gateway spec.servers[0].tls (did you mean "
                       "\"credentialName\"?)") != std::string::npos) {
      saw_tls = true;
    }
  }
  CHECK(saw_metadata);
  CHECK(saw_tls);
}

TEST_CASE("an unknown top-level field is reported against the kind", "[schema]") {
  SchemaRun run(R"(apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: reviews}
spce: {hosts: [reviews]}
)");
  const Diagnostic& d = run.only();
  CHECK(d.id == "schema-unknown-field");
  CHECK(d.message ==
        "unknown field \"spce\" in VirtualService (did you mean \"spec\"?); expected one of: "
        "apiVersion, kind, metadata, spec, status");
  CHECK(d.loc.line == 4);
  CHECK(d.loc.column == 1);
}

TEST_CASE("a quoted port number is a type error at the value", "[schema]") {
  SchemaRun run(gatewayWithPort("      number: \"80\"\n      name: http\n      protocol: HTTP\n"));
  CHECK_FALSE(run.ok);
  const Diagnostic& d = run.only();
  CHECK(d.id == "schema-type");
  CHECK(d.istio_code == "IST0106");
  CHECK(d.message ==
        "expected integer, found string \"80\" at spec.servers[0].port.number; remove the quotes "
        "to make it a number");
  CHECK(d.loc.line == 7);
  CHECK(d.loc.column == 15);
  CHECK(d.length == 4);
}

TEST_CASE("an integral float is accepted for an integer field, a fraction is not", "[schema]") {
  SchemaRun ok(gatewayWithPort("      number: 80.0\n      name: http\n      protocol: HTTP\n"));
  INFO(describe(ok.diags()));
  CHECK(ok.ok);
  SchemaRun bad(gatewayWithPort("      number: 80.5\n      name: http\n      protocol: HTTP\n"));
  CHECK_FALSE(bad.ok);
  CHECK(bad.only().message == "expected integer, found number 80.5 at spec.servers[0].port.number");
}

TEST_CASE("a label value that is not a string is a type error", "[schema]") {
  SchemaRun run(R"(apiVersion: v1
kind: Pod
metadata:
  name: p
  labels:
    version: 1
    canary: true
)");
  CHECK_FALSE(run.ok);
  INFO(describe(run.diags()));
  REQUIRE(countId(run.diags(), "schema-type") == 2);
  CHECK(run.diags().size() == 2);
  CHECK(hasId(run.diags(), "schema-type"));
  bool found = false;
  for (const Diagnostic& d : run.diags()) {
    if (d.message ==
        "expected string, found integer 1 at metadata.labels.version; quote the value to make it "
        "a string") {
      found = true;
      CHECK(d.loc.line == 6);
      CHECK(d.loc.column == 14);
    }
  }
  CHECK(found);
}

TEST_CASE(
    "an int-or-string field names both types and a map where a list belongs is a type "
    "error",
    "[schema]") {
  SchemaRun run(R"(apiVersion: v1
kind: Service
metadata: {name: s}
spec:
  ports:
  - {port: 80, targetPort: true}
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: v}
spec:
  hosts: {a: b}
)");
  CHECK_FALSE(run.ok);
  INFO(describe(run.diags()));
  REQUIRE(run.diags().size() == 2);
  CHECK(run.diags()[0].message ==
        "expected integer or string, found boolean true at spec.ports[0].targetPort");
  CHECK(run.diags()[1].message == "expected array, found object at spec.hosts");
}

TEST_CASE("a missing required field is reported at its parent", "[schema]") {
  SchemaRun run(gatewayWithPort("      name: http\n      protocol: HTTP\n"));
  CHECK_FALSE(run.ok);
  const Diagnostic& d = run.only();
  CHECK(d.id == "schema-required");
  CHECK(d.message == "missing required field \"number\" in spec.servers[0].port");
  CHECK(d.loc.line == 6);
  CHECK(d.loc.column == 5);
}

TEST_CASE("a misspelt required field is one unknown-field error, not also a missing field",
          "[schema]") {
  SchemaRun run(R"(apiVersion: networking.istio.io/v1
kind: Gateway
metadata: {name: gw}
spec:
  servers:
  - port: {number: 80, name: http, protocol: HTTP}
    host: ["*"]
)");
  CHECK_FALSE(run.ok);
  const Diagnostic& d = run.only();
  CHECK(d.id == "schema-unknown-field");
  CHECK(d.message.find("\"host\" in Gateway spec.servers[0] (did you mean \"hosts\"?)") !=
        std::string::npos);
  CHECK(d.loc.line == 7);
  CHECK(d.loc.column == 5);
}

TEST_CASE("the findings for one object are capped for pathological input", "[schema]") {
  std::string yaml = "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: n\n  labels:\n";
  for (int i = 0; i < 5000; ++i) {
    yaml += "    k" + std::to_string(i) + ": " + std::to_string(i) + "\n";
  }
  SchemaRun run(yaml);
  CHECK_FALSE(run.ok);
  CHECK(countId(run.diags(), "schema-type") == 100);
  CHECK(countId(run.diags(), "schema-invalid") == 1);
}

TEST_CASE("a required field that is null counts as missing, a ServiceEntry needs a spec",
          "[schema]") {
  SchemaRun run(R"(apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: d}
spec:
  host:
---
apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: {name: se}
)");
  CHECK_FALSE(run.ok);
  INFO(describe(run.diags()));
  REQUIRE(run.diags().size() == 2);
  CHECK(run.diags()[0].message == "missing required field \"host\" in spec");
  CHECK(run.diags()[1].id == "schema-required");
  CHECK(run.diags()[1].message == "missing required field \"spec\" in ServiceEntry");
  CHECK(run.diags()[1].loc.line == 7);
}

TEST_CASE("null values of declared fields are accepted as Kubernetes prunes them", "[schema]") {
  SchemaRun run(R"(apiVersion: networking.istio.io/v1
kind: VirtualService
metadata:
  name: v
  labels:
  creationTimestamp: null
spec:
  hosts: [v]
  gateways:
  http:
  - route:
    - destination: {host: v, subset: ~}
)");
  INFO(describe(run.diags()));
  CHECK(run.ok);
  CHECK(run.diags().empty());
}

TEST_CASE("an unknown field is reported even when its value is null", "[schema]") {
  SchemaRun run(R"(apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: v}
spec:
  hosts: [v]
  gatway:
)");
  CHECK_FALSE(run.ok);
  CHECK(run.only().id == "schema-unknown-field");
  CHECK(run.only().loc.line == 6);
}

TEST_CASE("a value outside an enum lists the allowed values", "[schema]") {
  SchemaRun run(R"(apiVersion: networking.istio.io/v1
kind: Gateway
metadata: {name: gw}
spec:
  servers:
  - port: {number: 443, name: https, protocol: HTTPS}
    hosts: ["*"]
    tls: {mode: simple}
)");
  CHECK_FALSE(run.ok);
  const Diagnostic& d = run.only();
  CHECK(d.id == "schema-enum");
  CHECK(d.message ==
        "unknown value \"simple\" for spec.servers[0].tls.mode; expected one of: PASSTHROUGH, "
        "SIMPLE, MUTUAL, AUTO_PASSTHROUGH, ISTIO_MUTUAL, OPTIONAL_MUTUAL (did you mean "
        "\"SIMPLE\"?)");
  CHECK(d.loc.line == 8);
  CHECK(d.loc.column == 17);
}

TEST_CASE("enum values are accepted in each spelling the CRD lists", "[schema]") {
  for (const char* mode : {"REGISTRY_ONLY", "ALLOW_ANY"}) {
    SchemaRun run(std::string(R"(apiVersion: networking.istio.io/v1
kind: Sidecar
metadata: {name: s}
spec:
  outboundTrafficPolicy: {mode: )") +
                  mode + "}\n");
    CHECK(run.ok);
  }
  SchemaRun bad(R"(apiVersion: networking.istio.io/v1
kind: Sidecar
metadata: {name: s}
spec:
  outboundTrafficPolicy: {mode: ALLOW_ANY_DYNAMIC_DNS}
)");
  CHECK_FALSE(bad.ok);
  CHECK(bad.only().id == "schema-enum");
}

TEST_CASE("two alternatives of a string match set together are one one-of error at the second",
          "[schema]") {
  SchemaRun run(R"(apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: v}
spec:
  hosts: [v]
  http:
  - match:
    - uri:
        exact: /a
        prefix: /b
    route: [{destination: {host: v}}]
)");
  CHECK_FALSE(run.ok);
  const Diagnostic& d = run.only();
  CHECK(d.id == "schema-one-of");
  CHECK(d.message ==
        "at most one of exact, prefix, regex may be set in spec.http[0].match[0].uri; found "
        "exact and prefix");
  CHECK(d.loc.line == 10);
  CHECK(d.loc.column == 9);
}

TEST_CASE("a string match with no alternative or exactly one alternative set is accepted",
          "[schema]") {
  for (const char* uri :
       {"{}", "{exact: /a}", "{prefix: /a}", "{regex: a.*}", "{exact: ~, prefix: /a}"}) {
    SchemaRun run(std::string(R"(apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: v}
spec:
  hosts: [v]
  http:
  - match: [{uri: )") +
                  uri + R"(}]
    route: [{destination: {host: v}}]
)");
    INFO(uri << "\n" << describe(run.diags()));
    CHECK(run.ok);
  }
}

TEST_CASE("one-of groups inside allOf are told apart", "[schema]") {
  SchemaRun run(R"(apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: d}
spec:
  host: d
  trafficPolicy:
    loadBalancer:
      simple: ROUND_ROBIN
      consistentHash:
        httpHeaderName: x
        useSourceIp: true
        ringHash: {minimumRingSize: 10}
)");
  CHECK_FALSE(run.ok);
  INFO(describe(run.diags()));
  REQUIRE(countId(run.diags(), "schema-one-of") == 2);
  CHECK(run.diags().size() == 2);
  std::vector<std::string> messages;
  for (const Diagnostic& d : run.diags()) {
    messages.push_back(d.message);
  }
  CHECK(std::find(messages.begin(), messages.end(),
                  "at most one of simple, consistentHash may be set in "
                  "spec.trafficPolicy.loadBalancer; found simple and consistentHash") !=
        messages.end());
  CHECK(std::find(messages.begin(), messages.end(),
                  "at most one of httpHeaderName, httpCookie, useSourceIp, "
                  "httpQueryParameterName may be set in "
                  "spec.trafficPolicy.loadBalancer.consistentHash; found httpHeaderName and "
                  "useSourceIp") != messages.end());
}

TEST_CASE("numbers outside the schema bounds are range errors", "[schema]") {
  SchemaRun run(gatewayWithPort("      number: -1\n      name: http\n      protocol: HTTP\n"));
  CHECK_FALSE(run.ok);
  CHECK(run.only().id == "schema-range");
  CHECK(run.only().message ==
        "value -1 for spec.servers[0].port.number is out of range; expected 0..4294967295");

  SchemaRun pct(R"(apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: d}
spec:
  host: d
  trafficPolicy:
    loadBalancer:
      simple: ROUND_ROBIN
      warmup: {duration: 10s, minimumPercent: 150}
)");
  CHECK_FALSE(pct.ok);
  CHECK(pct.only().id == "schema-range");
  CHECK(pct.only().message ==
        "value 150 for spec.trafficPolicy.loadBalancer.warmup.minimumPercent is out of range; "
        "expected 0..100");
}

TEST_CASE("lists and strings longer than allowed are size errors", "[schema]") {
  SchemaRun run(R"(apiVersion: networking.istio.io/v1
kind: Gateway
metadata: {name: gw}
spec:
  servers:
  - port: {number: 443, name: https, protocol: HTTPS}
    hosts: ["*"]
    tls: {mode: SIMPLE, credentialNames: [a, b, c]}
)");
  CHECK_FALSE(run.ok);
  CHECK(run.only().id == "schema-size");
  CHECK(run.only().message ==
        "spec.servers[0].tls.credentialNames has 3 items; expected at most 2 items");

  SchemaRun empty(R"(apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: {name: se}
spec:
  hosts: []
)");
  CHECK_FALSE(empty.ok);
  CHECK(empty.only().id == "schema-size");
  CHECK(empty.only().message == "spec.hosts has 0 items; expected at least 1 items");

  SchemaRun label(R"(apiVersion: networking.istio.io/v1
kind: Sidecar
metadata: {name: s}
spec:
  workloadSelector:
    labels: {app: )" +
                  std::string(64, 'x') + "}\n");
  CHECK_FALSE(label.ok);
  CHECK(label.only().id == "schema-size");
  CHECK(label.only().message ==
        "value for spec.workloadSelector.labels.app is 64 characters long; expected at most 63 "
        "characters");
}

TEST_CASE("a string that does not match a schema pattern is reported, long input included",
          "[schema]") {
  SchemaRun run(R"(apiVersion: security.istio.io/v1
kind: RequestAuthentication
metadata: {name: ra}
spec:
  targetRef: {kind: "Gate way", name: gw, group: gateway.networking.k8s.io}
)");
  CHECK_FALSE(run.ok);
  const Diagnostic& d = run.only();
  CHECK(d.id == "schema-pattern");
  CHECK(d.message ==
        "value \"Gate way\" for spec.targetRef.kind does not match the pattern "
        "^[a-zA-Z]([-a-zA-Z0-9]*[a-zA-Z0-9])?$");
  CHECK(d.loc.line == 5);

  // A header name of 200,000 characters: std::regex would recurse per character.
  SchemaRun big(
      "apiVersion: security.istio.io/v1\nkind: RequestAuthentication\n"
      "metadata: {name: ra}\nspec:\n  jwtRules:\n  - issuer: i\n"
      "    outputClaimToHeaders: [{header: " +
      std::string(200000, 'h') + ", claim: c}]\n");
  CHECK(big.ok);
}

TEST_CASE("Kubernetes kinds are strict for the fields meshc reads and permissive elsewhere",
          "[schema]") {
  SchemaRun permissive(R"(apiVersion: v1
kind: Service
metadata: {name: s}
spec:
  selector: {app: s}
  ports: [{port: 80}]
  sessionAffinity: ClientIP
  internalTrafficPolicy: Local
  futureField: {anything: [1, 2]}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: d}
spec:
  progressDeadlineSeconds: 600
  selector: {matchLabels: {app: d}}
  template:
    metadata: {labels: {app: d}}
    spec:
      serviceAccountName: d
      containers: [{name: d, image: d, resources: {limits: {cpu: 1}}}]
)");
  INFO(describe(permissive.diags()));
  CHECK(permissive.ok);

  SchemaRun strict(R"(apiVersion: v1
kind: Service
metadata: {name: s, namspace: x}
spec:
  selector: {app: 1}
  ports: [{port: 80, targetport: 8080}]
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: d}
spec:
  template:
    metadata: {labels: {app: d}, label: {}}
---
apiVersion: v1
kind: Secret
metadata: {name: s}
data: {key: 5}
extra: 1
)");
  CHECK_FALSE(strict.ok);
  INFO(describe(strict.diags()));
  CHECK(countId(strict.diags(), "schema-unknown-field") == 4);
  CHECK(countId(strict.diags(), "schema-type") == 2);
  CHECK(strict.diags().size() == 6);
}

TEST_CASE("several problems in one object are each reported once, without cascades", "[schema]") {
  SchemaRun run(R"(apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: v}
spec:
  hosts: [v]
  http:
  - match:
    - uri: {exact: /a, regex: b}
      port: "80"
    route:
    - destination: {subset: v1}
      weight: 5000000000
    rewrite: {urii: /}
)");
  CHECK_FALSE(run.ok);
  INFO(describe(run.diags()));
  CHECK(countId(run.diags(), "schema-one-of") == 1);
  CHECK(countId(run.diags(), "schema-type") == 1);
  CHECK(countId(run.diags(), "schema-required") == 1);
  CHECK(countId(run.diags(), "schema-range") == 1);
  CHECK(countId(run.diags(), "schema-unknown-field") == 1);
  CHECK(run.diags().size() == 5);
}

TEST_CASE("odd tree shapes never crash the schema check", "[schema]") {
  const char* const docs[] = {
      "apiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata: x\nspec: []\n",
      "apiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata: {name: v}\nspec: 5\n",
      "apiVersion: networking.istio.io/v1\nkind: Gateway\nmetadata: {name: g}\nspec: {servers: "
      "[null, 1, [], {port: {number: .nan}}, {port: {number: 1e400}}]}\n",
      "apiVersion: networking.istio.io/v1\nkind: DestinationRule\nmetadata: {name: d}\nspec: "
      "{host: 123456789012345678901234567890, subsets: [{name: {a: [b]}}]}\n",
      "apiVersion: v1\nkind: Service\nmetadata: {name: s, labels: [a]}\nspec: {ports: {a: b}}\n",
      "apiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata: {name: v}\nspec:\n  "
      "http: [{match: [{uri: {exact: 1, prefix: [], regex: {}}}]}]\n",
      "apiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata: {name: v}\nspec: "
      "{hosts: [\"\\u00e9\\u00e9\"], \"[0]\": 1, \"\": 2}\n",
  };
  for (const char* doc : docs) {
    SchemaRun run(doc);
    INFO(doc << "\n" << describe(run.diags()));
    CHECK(run.objects() == 1);
    CHECK_FALSE(run.ok);
    CHECK_FALSE(run.diags().empty());
    for (const Diagnostic& d : run.diags()) {
      CHECK(d.id.rfind("schema-", 0) == 0);
      CHECK(d.loc.valid());
    }
  }
  std::string deep =
      "apiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata: "
      "{name: v}\nspec: {hosts: [v], x: ";
  for (int i = 0; i < 150; ++i) {
    deep += "[";
  }
  deep += std::string(150, ']') + "}\n";
  SchemaRun run(deep);
  CHECK_FALSE(run.ok);
  CHECK(run.only().id == "schema-unknown-field");
}

TEST_CASE("every schema id is in the rule catalog as an IST0106 error", "[schema]") {
  for (const char* id :
       {"schema-unknown-field", "schema-type", "schema-required", "schema-enum", "schema-one-of",
        "schema-range", "schema-size", "schema-pattern", "schema-invalid"}) {
    const RuleInfo* rule = findRule(id);
    INFO(id);
    REQUIRE(rule != nullptr);
    CHECK(rule->istio_code == "IST0106");
    CHECK(rule->severity == Severity::kError);
  }
}

TEST_CASE("schemaFor finds each kind in its served versions only", "[schema]") {
  for (const char* kind :
       {"Gateway", "VirtualService", "DestinationRule", "ServiceEntry", "Sidecar"}) {
    for (const char* v : {"v1alpha3", "v1beta1", "v1"}) {
      INFO(kind << " " << v);
      CHECK_FALSE(schemaFor(kind, v).empty());
    }
    CHECK(schemaFor(kind, "v2").empty());
  }
  CHECK_FALSE(schemaFor("RequestAuthentication", "v1beta1").empty());
  CHECK(schemaFor("RequestAuthentication", "v1alpha3").empty());
  for (const char* kind : {"Service", "Pod", "Namespace", "Secret"}) {
    CHECK_FALSE(schemaFor(kind, "v1").empty());
  }
  for (const char* kind : {"Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Job"}) {
    CHECK_FALSE(schemaFor(kind, "v1").empty());
  }
  CHECK(schemaFor("virtualservice", "v1").empty());  // kinds are case-sensitive
  CHECK(schemaFor("Nope", "v1").empty());
}

TEST_CASE("schemaKinds lists every embedded schema with its group and versions", "[schema]") {
  size_t files = 0;
  schemas::embeddedSchemas(&files);
  const std::vector<SchemaEntry>& kinds = schemaKinds();
  CHECK(kinds.size() == files);  // every file parsed, one kind per file today
  auto find = [&kinds](const std::string& kind) -> const SchemaEntry* {
    for (const SchemaEntry& e : kinds) {
      if (e.kind == kind) {
        return &e;
      }
    }
    return nullptr;
  };
  const SchemaEntry* vs = find("VirtualService");
  REQUIRE(vs != nullptr);
  CHECK(vs->group == "networking.istio.io");
  CHECK(vs->versions == std::vector<std::string>{"v1", "v1alpha3", "v1beta1"});
  const SchemaEntry* svc = find("Service");
  REQUIRE(svc != nullptr);
  CHECK(svc->group.empty());
  CHECK(svc->versions == std::vector<std::string>{"v1"});
  const SchemaEntry* job = find("Job");
  REQUIRE(job != nullptr);
  CHECK(job->group == "batch");
  for (const char* k :
       {"Gateway", "Sidecar", "DestinationRule", "ServiceEntry", "RequestAuthentication", "Pod",
        "Namespace", "Secret", "Deployment", "StatefulSet", "DaemonSet", "ReplicaSet"}) {
    CHECK(find(k) != nullptr);
  }
}

// Needs ../shared and PyYAML: hidden from the default run and registered as its own CTest entry
// (unit_shared_schemas), which reports "Skipped" when either is missing. Run here, a missing
// input is a failure, never a silent pass.
TEST_CASE("the generator reproduces schemas/json from the CRDs", "[.shared][schema]") {
  namespace fs = std::filesystem;
  fs::path crds = fs::path(MESHC_SHARED_DIR) / "reference" / "istio-crds.gen.yaml";
  fs::path source = fs::path(MESHC_SOURCE_DIR) / "schemas";
  INFO(crds.string());
  REQUIRE(fs::exists(crds));
  REQUIRE(std::system("python3 -c 'import yaml' >/dev/null 2>&1") == 0);
  fs::path out = fs::temp_directory_path() /
                 ("meshc-schemas-" +
                  std::to_string(std::chrono::steady_clock::now().time_since_epoch().count()));
  std::string cmd = "python3 '" + (source / "gen_schemas.py").string() + "' --crds '" +
                    crds.string() + "' --out '" + out.string() + "' 2>/dev/null";
  REQUIRE(std::system(cmd.c_str()) == 0);
  auto slurp = [](const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
  };
  size_t generated = 0;
  for (const auto& e : fs::directory_iterator(out)) {
    ++generated;
    fs::path committed = source / "json" / e.path().filename();
    INFO(e.path().filename().string());
    REQUIRE(fs::exists(committed));
    CHECK(slurp(e.path()) == slurp(committed));
  }
  CHECK(generated >= 6);
  // Every committed file that says it is generated must still be produced.
  for (const auto& e : fs::directory_iterator(source / "json")) {
    if (slurp(e.path()).find("Generated by schemas/gen_schemas.py") != std::string::npos) {
      INFO(e.path().filename().string());
      CHECK(fs::exists(out / e.path().filename()));
    }
  }
  fs::remove_all(out);
}
