// Tests for reading VirtualServices into the typed model (SEMANTICS 1.1-1.16).
#include <catch2/catch.hpp>

#include "model/model_test_util.h"

using meshc::model::ConfigSet;
using meshc::model::HttpRedirect;
using meshc::model::HttpRoute;
using meshc::model::StringMatch;
using meshc::testing::buildCheckedModel;
using meshc::testing::buildModel;
using meshc::testing::describe;
using meshc::testing::Loaded;
using Kind = meshc::model::StringMatch::Kind;

namespace {

const HttpRoute& onlyRoute(const ConfigSet& set) {
  REQUIRE(set.virtual_services.size() == 1);
  REQUIRE(set.virtual_services[0].http.size() >= 1);
  return set.virtual_services[0].http[0];
}

}  // namespace

TEST_CASE("model vs: top-level defaults are gateways [mesh] and exportTo [*] (SEMANTICS 1.1)",
          "[model]") {
  Loaded l(R"(apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: r, namespace: ns1}
spec:
  hosts: [reviews]
  http:
  - route: [{destination: {host: reviews}}]
)");
  ConfigSet set = buildCheckedModel(l);
  INFO(describe(l.sink.diagnostics()));
  CHECK(meshc::testing::allSchemaValid(l));
  REQUIRE(set.virtual_services.size() == 1);
  const auto& vs = set.virtual_services[0];
  CHECK(vs.meta.name == "r");
  CHECK(vs.meta.name_space == "ns1");
  CHECK(vs.meta.ref() == "ns1/r");
  CHECK(vs.hosts == std::vector<std::string>{"reviews"});
  CHECK(vs.gateways == std::vector<std::string>{"mesh"});
  CHECK(vs.export_to == std::vector<std::string>{"*"});
  REQUIRE(vs.http.size() == 1);
  CHECK(vs.http[0].route[0].destination.host == "reviews");
  CHECK_FALSE(vs.http[0].route[0].destination.port.has_value());
  CHECK_FALSE(vs.http[0].timeout_ns.has_value());
  CHECK(vs.http[0].mirrors.empty());
}

TEST_CASE("model vs: absent exportTo takes the mesh defaultVirtualServiceExportTo", "[model]") {
  Loaded l(R"(apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: r}
spec:
  hosts: [a]
  gateways: [istio-system/gw]
  http: [{route: [{destination: {host: a}}]}]
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: s}
spec:
  hosts: [b]
  exportTo: [".", other]
  http: [{route: [{destination: {host: b}}]}]
)");
  meshc::frontend::MeshConfig mesh;
  mesh.default_virtual_service_export_to = {"."};
  ConfigSet set = buildCheckedModel(l, mesh);
  REQUIRE(set.virtual_services.size() == 2);
  CHECK(set.virtual_services[0].export_to == std::vector<std::string>{"."});
  CHECK(set.virtual_services[0].gateways == std::vector<std::string>{"istio-system/gw"});
  CHECK(set.virtual_services[1].export_to == std::vector<std::string>{".", "other"});
}

TEST_CASE(
    "model vs: {} / null / regex \"*\" are presence matches for keyed matches only "
    "(SEMANTICS 1.4)",
    "[model]") {
  Loaded l(R"(apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: r}
spec:
  hosts: [a]
  http:
  - match:
    - name: m0
      uri: {}
      method: {regex: "*"}
      authority: {prefix: a.example}
      scheme: {exact: https}
      headers:
        zeta: {}
        alpha: {regex: "*"}
        beta: null
        gamma: {exact: ""}
        delta: {prefix: x}
      withoutHeaders:
        w: {}
        v: {regex: "v.*"}
      queryParams:
        q: {regex: "*"}
        r: {exact: "1"}
      ignoreUriCase: true
      port: 8080
      sourceLabels: {app: web}
      gateways: [mesh]
      sourceNamespace: ns2
      statPrefix: stats
    route: [{destination: {host: a}}]
)");
  ConfigSet set = buildModel(l);
  const HttpRoute& route = onlyRoute(set);
  REQUIRE(route.match.size() == 1);
  const auto& m = route.match[0];
  CHECK(m.name == "m0");
  REQUIRE(m.uri.has_value());
  CHECK(m.uri->kind == Kind::kPresent);
  REQUIRE(m.method.has_value());
  CHECK(m.method->kind == Kind::kRegex);  // not a keyed match: stays the regex "*"
  CHECK(m.method->value == "*");
  CHECK(m.authority->kind == Kind::kPrefix);
  CHECK(m.authority->value == "a.example");
  CHECK(m.scheme->kind == Kind::kExact);
  CHECK(m.scheme->value == "https");
  // Document order is kept (lowering sorts where Istio does).
  REQUIRE(m.headers.size() == 5);
  CHECK(m.headers[0].key == "zeta");
  CHECK(m.headers[0].match.kind == Kind::kPresent);
  CHECK(m.headers[1].key == "alpha");
  CHECK(m.headers[1].match.kind == Kind::kPresent);
  CHECK(m.headers[1].match.value.empty());
  CHECK(m.headers[2].key == "beta");
  CHECK(m.headers[2].match.kind == Kind::kPresent);
  CHECK(m.headers[3].match.kind == Kind::kExact);  // exact "" is not presence
  CHECK(m.headers[3].match.value.empty());
  CHECK(m.headers[4].match.kind == Kind::kPrefix);
  REQUIRE(m.without_headers.size() == 2);
  CHECK(m.without_headers[0].match.kind == Kind::kPresent);
  CHECK(m.without_headers[1].match.kind == Kind::kRegex);
  CHECK(m.without_headers[1].match.value == "v.*");
  REQUIRE(m.query_params.size() == 2);
  CHECK(m.query_params[0].match.kind == Kind::kPresent);
  CHECK(m.query_params[1].match.kind == Kind::kExact);
  CHECK(m.query_params[1].match.value == "1");
  CHECK(m.ignore_uri_case);
  CHECK(m.port == 8080);
  CHECK(m.source_labels.at("app") == "web");
  CHECK(m.gateways == std::vector<std::string>{"mesh"});
  CHECK(m.source_namespace == "ns2");
  CHECK(m.stat_prefix == "stats");
  CHECK(m.loc.line == 8);
  CHECK(m.loc.column == 7);
}

TEST_CASE("model vs: absent uri stays unset, match list order and route index kept", "[model]") {
  Loaded l(R"(apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: r}
spec:
  hosts: [a]
  http:
  - name: first
    match: [{uri: {prefix: /api}}, {uri: {regex: "/v[0-9]+"}}]
    route: [{destination: {host: a, subset: v1, port: {number: 9080}}, weight: 80},
            {destination: {host: b}, weight: 20}]
  - name: second
    route: [{destination: {host: a}}]
)");
  ConfigSet set = buildCheckedModel(l);
  INFO(describe(l.sink.diagnostics()));
  CHECK(meshc::testing::allSchemaValid(l));
  REQUIRE(set.virtual_services.size() == 1);
  const auto& http = set.virtual_services[0].http;
  REQUIRE(http.size() == 2);
  CHECK(http[0].name == "first");
  CHECK(http[0].index == 0);
  CHECK(http[0].loc.line == 7);
  CHECK(http[0].loc.column == 5);
  REQUIRE(http[0].match.size() == 2);
  CHECK(http[0].match[0].uri->kind == Kind::kPrefix);
  CHECK(http[0].match[0].uri->value == "/api");
  CHECK(http[0].match[1].uri->kind == Kind::kRegex);
  CHECK_FALSE(http[0].match[0].method.has_value());
  REQUIRE(http[0].route.size() == 2);
  CHECK(http[0].route[0].destination.subset == "v1");
  CHECK(http[0].route[0].destination.port == 9080u);
  CHECK(http[0].route[0].weight == 80);
  CHECK(http[0].route[1].weight == 20);
  CHECK(http[0].route[1].destination.loc.line == 10);
  CHECK(http[1].index == 1);
  CHECK(http[1].match.empty());
}

TEST_CASE("model vs: durations are read as nanoseconds, unreadable ones are left unset",
          "[model]") {
  Loaded l(R"(apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: r}
spec:
  hosts: [a]
  http:
  - timeout: 1.5s
    retries: {attempts: 3, perTryTimeout: 100ms, retryOn: "5xx,reset", backoff: 1m30s,
              retryRemoteLocalities: true, retryIgnorePreviousHosts: false}
    fault: {delay: {fixedDelay: 5s, percentage: {value: 12.5}}}
    corsPolicy: {maxAge: 24h}
    route: [{destination: {host: a}}]
  - timeout: soon
    retries: {attempts: 0}
    route: [{destination: {host: a}}]
)");
  ConfigSet set = buildModel(l);
  REQUIRE(set.virtual_services.size() == 1);
  const auto& r0 = set.virtual_services[0].http[0];
  CHECK(r0.timeout_ns == 1500000000);
  REQUIRE(r0.retries.has_value());
  CHECK(r0.retries->attempts == 3);
  CHECK(r0.retries->per_try_timeout_ns == 100000000);
  CHECK(r0.retries->retry_on == "5xx,reset");
  CHECK(r0.retries->backoff_ns == int64_t{90} * 1000000000);
  CHECK(r0.retries->retry_remote_localities == true);
  CHECK(r0.retries->retry_ignore_previous_hosts == false);
  REQUIRE(r0.fault.has_value());
  REQUIRE(r0.fault->delay.has_value());
  CHECK(r0.fault->delay->fixed_delay_ns == int64_t{5000000000});
  CHECK(r0.fault->delay->percentage == 12.5);
  CHECK_FALSE(r0.fault->abort.has_value());
  CHECK(r0.cors_policy->max_age_ns == int64_t{24} * 3600 * 1000000000);
  const auto& r1 = set.virtual_services[0].http[1];
  CHECK_FALSE(r1.timeout_ns.has_value());
  REQUIRE(r1.retries.has_value());
  CHECK(r1.retries->attempts == 0);
  CHECK_FALSE(r1.retries->retry_ignore_previous_hosts.has_value());
}

TEST_CASE(
    "model vs: mirror with mirrorPercentage / mirrorPercent becomes one HttpMirror "
    "(SEMANTICS 1.13)",
    "[model]") {
  Loaded l(R"(apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: r}
spec:
  hosts: [a]
  http:
  - mirror: {host: m1}
    mirrorPercentage: {value: 25.5}
    mirrorPercent: 70
    route: [{destination: {host: a}}]
  - mirror: {host: m2, port: {number: 81}}
    mirrorPercent: 40
    route: [{destination: {host: a}}]
  - mirror: {host: m3}
    route: [{destination: {host: a}}]
  - mirror: {host: m4}
    mirrorPercentage: {value: 0}
    route: [{destination: {host: a}}]
  - mirrors:
    - destination: {host: m5, subset: v2}
      percentage: {value: 10}
    - destination: {host: m6}
    route: [{destination: {host: a}}]
)");
  ConfigSet set = buildModel(l);
  const auto& http = set.virtual_services.at(0).http;
  REQUIRE(http.size() == 5);
  REQUIRE(http[0].mirrors.size() == 1);
  CHECK(http[0].mirrors[0].destination.host == "m1");
  CHECK(http[0].mirrors[0].percentage == 25.5);  // mirrorPercentage beats mirrorPercent
  REQUIRE(http[1].mirrors.size() == 1);
  CHECK(http[1].mirrors[0].percentage == 40.0);
  CHECK(http[1].mirrors[0].destination.port == 81u);
  REQUIRE(http[2].mirrors.size() == 1);
  CHECK_FALSE(http[2].mirrors[0].percentage.has_value());  // absent = 100 %
  REQUIRE(http[3].mirrors.size() == 1);
  CHECK(http[3].mirrors[0].percentage == 0.0);  // explicit 0: lowering omits the mirror
  REQUIRE(http[4].mirrors.size() == 2);
  CHECK(http[4].mirrors[0].destination.host == "m5");
  CHECK(http[4].mirrors[0].destination.subset == "v2");
  CHECK(http[4].mirrors[0].percentage == 10.0);
  CHECK(http[4].mirrors[1].destination.host == "m6");
  CHECK_FALSE(http[4].mirrors[1].percentage.has_value());
}

TEST_CASE("model vs: directResponse body bytes are base64-decoded (SEMANTICS 1.7)", "[model]") {
  Loaded l(R"(apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: r}
spec:
  hosts: [a]
  http:
  - directResponse: {status: 503, body: {bytes: aGVsbG8gd29ybGQ=}}
  - directResponse: {status: 200, body: {bytes: aGk}}
  - directResponse: {status: 418, body: {string: teapot}}
  - directResponse: {status: 204}
  - directResponse: {status: 500, body: {bytes: "not base64!"}}
)");
  ConfigSet set = buildModel(l);
  const auto& http = set.virtual_services.at(0).http;
  REQUIRE(http.size() == 5);
  CHECK(http[0].direct_response->status == 503);
  CHECK(http[0].direct_response->body == std::string("hello world"));
  CHECK(http[1].direct_response->body == std::string("hi"));  // unpadded
  CHECK(http[2].direct_response->body == std::string("teapot"));
  CHECK(http[3].direct_response->status == 204);
  CHECK_FALSE(http[3].direct_response->body.has_value());
  CHECK_FALSE(http[4].direct_response->body.has_value());
}

TEST_CASE("model vs: redirect derivePort by name or number, rewrite, delegate", "[model]") {
  Loaded l(R"Y(apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: r}
spec:
  hosts: [a]
  http:
  - redirect: {uri: /new, authority: b.com, derivePort: 1, scheme: https, redirectCode: 302}
  - redirect: {prefixRewrite: /p, derivePort: FROM_PROTOCOL_DEFAULT}
  - redirect: {authority: c.com, port: 8443}
  - rewrite: {uri: /v2, authority: d.com, uriRegexRewrite: {match: "^/a(.*)", rewrite: "/b\\1"}}
    route: [{destination: {host: a}}]
  - delegate: {name: child, namespace: other}
  - delegate: {name: child2}
)Y");
  ConfigSet set = buildModel(l);
  const auto& http = set.virtual_services.at(0).http;
  REQUIRE(http.size() == 6);
  REQUIRE(http[0].redirect.has_value());
  CHECK(http[0].redirect->uri == "/new");
  CHECK(http[0].redirect->authority == "b.com");
  CHECK(http[0].redirect->derive_port == HttpRedirect::DerivePort::kFromRequestPort);
  CHECK(http[0].redirect->scheme == "https");
  CHECK(http[0].redirect->redirect_code == 302);
  CHECK(http[1].redirect->prefix_rewrite == "/p");
  CHECK(http[1].redirect->derive_port == HttpRedirect::DerivePort::kFromProtocolDefault);
  CHECK(http[1].redirect->redirect_code == 0);
  CHECK(http[2].redirect->port == 8443u);
  CHECK(http[2].redirect->derive_port == HttpRedirect::DerivePort::kNone);
  REQUIRE(http[3].rewrite.has_value());
  CHECK(http[3].rewrite->uri == "/v2");
  CHECK(http[3].rewrite->authority == "d.com");
  REQUIRE(http[3].rewrite->uri_regex_rewrite.has_value());
  CHECK(http[3].rewrite->uri_regex_rewrite->first == "^/a(.*)");
  CHECK(http[3].rewrite->uri_regex_rewrite->second == "/b\\1");
  CHECK(http[4].delegate->name == "child");
  CHECK(http[4].delegate->name_space == "other");
  CHECK(http[5].delegate->name_space.empty());
}

TEST_CASE("model vs: deprecated allowOrigin strings become exact matches, enums by number",
          "[model]") {
  Loaded l(R"(apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: r}
spec:
  hosts: [a]
  http:
  - corsPolicy:
      allowOrigin: [https://a.com, https://b.com]
      allowMethods: [GET, POST]
      allowHeaders: [x-a]
      exposeHeaders: [x-b]
      allowCredentials: false
      unmatchedPreflights: 2
    route: [{destination: {host: a}}]
  - corsPolicy:
      allowOrigins: [{prefix: "https://"}, {}, {regex: ".*\\.c\\.com"}]
      allowOrigin: [https://ignored.com]
      unmatchedPreflights: FORWARD
    route: [{destination: {host: a}}]
  - corsPolicy: {unmatchedPreflights: UNSPECIFIED}
    route: [{destination: {host: a}}]
)");
  ConfigSet set = buildModel(l);
  const auto& http = set.virtual_services.at(0).http;
  REQUIRE(http.size() == 3);
  const auto& c0 = *http[0].cors_policy;
  REQUIRE(c0.allow_origins.size() == 2);
  CHECK(c0.allow_origins[0].kind == Kind::kExact);
  CHECK(c0.allow_origins[0].value == "https://a.com");
  CHECK(c0.allow_origins[1].value == "https://b.com");
  CHECK(c0.allow_methods == std::vector<std::string>{"GET", "POST"});
  CHECK(c0.allow_headers == std::vector<std::string>{"x-a"});
  CHECK(c0.expose_headers == std::vector<std::string>{"x-b"});
  CHECK(c0.allow_credentials == false);
  CHECK(c0.unmatched_preflights == "IGNORE");
  const auto& c1 = *http[1].cors_policy;
  REQUIRE(c1.allow_origins.size() == 2);
  CHECK(c1.allow_origins[0].kind == Kind::kPrefix);
  CHECK(c1.allow_origins[1].kind == Kind::kRegex);
  CHECK(c1.unmatched_preflights == "FORWARD");
  CHECK(http[2].cors_policy->unmatched_preflights.empty());
  CHECK_FALSE(http[2].cors_policy->allow_credentials.has_value());
}

TEST_CASE("model vs: fault delay keeps the deprecated integer percent, abort variants", "[model]") {
  Loaded l(R"(apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: r}
spec:
  hosts: [a]
  http:
  - fault:
      delay: {fixedDelay: 2s, percent: 30}
      abort: {httpStatus: 503, percentage: {value: 50}}
    route: [{destination: {host: a}}]
  - fault:
      delay: {exponentialDelay: 1s}
      abort: {grpcStatus: UNAVAILABLE}
    route: [{destination: {host: a}}]
  - fault:
      abort: {http2Error: REFUSED_STREAM, percentage: {}}
    route: [{destination: {host: a}}]
)");
  ConfigSet set = buildModel(l);
  const auto& http = set.virtual_services.at(0).http;
  REQUIRE(http.size() == 3);
  const auto& f0 = *http[0].fault;
  CHECK(f0.delay->percent == 30);
  CHECK_FALSE(f0.delay->percentage.has_value());
  CHECK_FALSE(f0.delay->exponential);
  CHECK(f0.abort->http_status == 503u);
  CHECK(f0.abort->percentage == 50.0);
  const auto& f1 = *http[1].fault;
  CHECK(f1.delay->exponential);
  CHECK_FALSE(f1.delay->fixed_delay_ns.has_value());
  CHECK(f1.abort->grpc_status == "UNAVAILABLE");
  CHECK_FALSE(f1.abort->http_status.has_value());
  const auto& f2 = *http[2].fault;
  CHECK_FALSE(f2.delay.has_value());
  CHECK(f2.abort->http2_error);
  CHECK(f2.abort->percentage == 0.0);  // `percentage: {}` is an explicit 0
}

TEST_CASE("model vs: header operations keep document order at route and destination level",
          "[model]") {
  Loaded l(R"(apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: r}
spec:
  hosts: [a]
  http:
  - headers:
      request: {set: {z: "1", a: "2"}, add: {b: "3"}, remove: [c, d]}
      response: {remove: [e]}
    route:
    - destination: {host: a}
      headers: {response: {set: {x: "y"}}}
)");
  ConfigSet set = buildCheckedModel(l);
  INFO(describe(l.sink.diagnostics()));
  CHECK(meshc::testing::allSchemaValid(l));
  const auto& r = set.virtual_services.at(0).http.at(0);
  REQUIRE(r.headers.request.set.size() == 2);
  CHECK(r.headers.request.set[0] == std::pair<std::string, std::string>{"z", "1"});
  CHECK(r.headers.request.set[1] == std::pair<std::string, std::string>{"a", "2"});
  CHECK(r.headers.request.add.size() == 1);
  CHECK(r.headers.request.remove == std::vector<std::string>{"c", "d"});
  CHECK(r.headers.response.remove == std::vector<std::string>{"e"});
  CHECK(r.route.at(0).headers.response.set.size() == 1);
  CHECK(r.route.at(0).headers.request.empty());
}

TEST_CASE("model vs: tls and tcp routes with their match attributes", "[model]") {
  Loaded l(R"(apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: r}
spec:
  hosts: [a.com]
  tls:
  - match:
    - sniHosts: [a.com]
      destinationSubnets: [10.0.0.0/8]
      port: 443
      sourceLabels: {app: x}
      gateways: [gw]
      sourceNamespace: ns
    route: [{destination: {host: a.com, port: {number: 443}}, weight: 100}]
  tcp:
  - match: [{port: 3306, destinationSubnets: [1.2.3.4]}]
    route: [{destination: {host: db}}]
  - route: [{destination: {host: db2}}]
)");
  ConfigSet set = buildCheckedModel(l);
  INFO(describe(l.sink.diagnostics()));
  CHECK(meshc::testing::allSchemaValid(l));
  const auto& vs = set.virtual_services.at(0);
  REQUIRE(vs.tls.size() == 1);
  const auto& tm = vs.tls[0].match.at(0);
  CHECK(tm.sni_hosts == std::vector<std::string>{"a.com"});
  CHECK(tm.destination_subnets == std::vector<std::string>{"10.0.0.0/8"});
  CHECK(tm.port == 443);
  CHECK(tm.source_labels.at("app") == "x");
  CHECK(tm.gateways == std::vector<std::string>{"gw"});
  CHECK(tm.source_namespace == "ns");
  CHECK(tm.loc.line == 8);
  CHECK(vs.tls[0].route.at(0).weight == 100);
  CHECK(vs.tls[0].route.at(0).destination.port == 443u);
  REQUIRE(vs.tcp.size() == 2);
  CHECK(vs.tcp[0].match.at(0).port == 3306);
  CHECK(vs.tcp[0].index == 0);
  CHECK(vs.tcp[1].index == 1);
  CHECK(vs.tcp[1].match.empty());
  CHECK(vs.tcp[1].route.at(0).destination.host == "db2");
}

TEST_CASE("model vs: fields of the wrong type are skipped without crashing", "[model]") {
  Loaded l(R"(apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: r}
spec:
  hosts: [a, 7, {x: y}, null]
  gateways: mesh
  http:
  - 5
  - match: 5
    route: {destination: a}
  - match: [null, 3, {uri: "x", headers: [a, b], queryParams: {q: 5}, port: -1}]
    route: [{destination: "a", weight: "heavy"}, 7]
    timeout: 5
    retries: [1]
    fault: {delay: 3, abort: [1]}
    mirror: a
    mirrors: [{destination: 4}, 5]
    redirect: {port: 99999999999, redirectCode: -5}
    directResponse: {status: x, body: {bytes: 5}}
    corsPolicy: {allowOrigins: [1, null], allowOrigin: {a: b}}
    headers: {request: {set: [a], remove: {x: y}}}
  tcp: {a: b}
  tls: [[1]]
  exportTo: {a: b}
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: s}
spec: null
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: t}
)");
  ConfigSet set = buildModel(l);
  REQUIRE(set.virtual_services.size() == 3);
  const auto& vs = set.virtual_services[0];
  CHECK(vs.hosts == std::vector<std::string>{"a"});
  CHECK(vs.gateways == std::vector<std::string>{"mesh"});
  REQUIRE(vs.http.size() == 2);  // the scalar item is dropped
  CHECK(vs.http[0].index == 1);
  CHECK(vs.http[0].match.empty());
  CHECK(vs.http[0].route.empty());
  const auto& r = vs.http[1];
  REQUIRE(r.match.size() == 1);
  CHECK_FALSE(r.match[0].uri.has_value());
  CHECK(r.match[0].headers.empty());
  CHECK(r.match[0].query_params.empty());
  CHECK(r.match[0].port == 0);
  REQUIRE(r.route.size() == 1);
  CHECK(r.route[0].destination.host.empty());
  CHECK(r.route[0].weight == 0);
  CHECK_FALSE(r.timeout_ns.has_value());
  CHECK_FALSE(r.retries.has_value());
  CHECK_FALSE(r.fault->delay.has_value());
  CHECK(r.mirrors.empty());
  CHECK_FALSE(r.redirect->port.has_value());
  CHECK(r.direct_response->status == 0);
  CHECK(r.cors_policy->allow_origins.empty());
  CHECK(r.headers.request.empty());
  CHECK(vs.tcp.empty());
  CHECK(vs.tls.empty());
  CHECK(vs.export_to == std::vector<std::string>{"*"});
  CHECK(set.virtual_services[1].http.empty());
  CHECK(set.virtual_services[2].hosts.empty());
}
