// Gateway analyzers (ISTIO-VALIDATION.md B.1-B.4; cases C2-C16, C45, C47) and the credential
// reader behind IST0161.
#include <catch2/catch.hpp>

#include "analyzer_test_util.h"
#include "frontend/analyzers/credential.h"

using meshc::testing::findingsOf;
using meshc::testing::firstOf;
using meshc::testing::kDefaultIngress;
using meshc::testing::lintYaml;
using meshc::testing::schemaErrors;
using Strings = std::vector<std::string>;

namespace {

std::string gateway(const std::string& name, const std::string& ns, const std::string& selector,
                    const std::string& servers) {
  return "apiVersion: networking.istio.io/v1\nkind: Gateway\nmetadata:\n  name: " + name +
         "\n  namespace: " + ns + "\nspec:\n  selector:\n" + selector + "  servers:\n" + servers +
         "---\n";
}

std::string httpServer(int port, const std::string& host) {
  return "  - port: {number: " + std::to_string(port) + ", name: http-" + std::to_string(port) +
         ", protocol: HTTP}\n    hosts: [\"" + host + "\"]\n";
}

std::string tlsServer(int port, const std::string& host, const std::string& credential) {
  return "  - port: {number: " + std::to_string(port) + ", name: https-" + std::to_string(port) +
         ", protocol: HTTPS}\n    hosts: [\"" + host +
         "\"]\n    tls: {mode: SIMPLE, credentialName: " + credential + "}\n";
}

std::string secret(const std::string& name, const std::string& ns, const std::string& data) {
  return "apiVersion: v1\nkind: Secret\nmetadata:\n  name: " + name + "\n  namespace: " + ns +
         "\ntype: Opaque\n" + data + "---\n";
}

const std::string kIngressSelector = "    istio: ingressgateway\n";

}  // namespace

// --- IngressGatewayPort (IST0162) ----------------------------------------------------------------

TEST_CASE("gateway port not exposed by the ingress Service is IST0162", "[analyzers]") {
  auto r = lintYaml(std::string(kDefaultIngress) +
                    gateway("httpbin-gateway", "default", kIngressSelector,
                            httpServer(80, "*") + httpServer(8004, "*")));
  INFO(meshc::testing::describe(r.diagnostics));
  REQUIRE(schemaErrors(r).empty());
  CHECK(findingsOf(r, "IST0162") == Strings{"Gateway default/httpbin-gateway"});
  const meshc::Diagnostic* d = firstOf(r, "IST0162");
  REQUIRE(d != nullptr);
  CHECK(d->severity == meshc::Severity::kWarning);
  CHECK(d->message.rfind("gateway port 8004 is not exposed", 0) == 0);
  CHECK(d->message.find("80, 443, 15443, 31400") != std::string::npos);
  // At the 2nd server's port number (after 29 lines of default resources and the header).
  CHECK(d->loc.line == 39);
  CHECK(d->loc.column == 20);
  REQUIRE(d->notes.size() == 1);  // points back at spec.selector.istio
  CHECK(d->notes[0].loc.line == 35);
  CHECK(d->notes[0].loc.column == 12);
}

TEST_CASE("gateway ports exposed by the ingress Service are clean", "[analyzers]") {
  auto r = lintYaml(std::string(kDefaultIngress) +
                    gateway("gw", "default", kIngressSelector,
                            httpServer(80, "*") + tlsServer(443, "a.example.com", "c")));
  CHECK(findingsOf(r, "IST0162").empty());
  CHECK(meshc::testing::ran(r, "gateway.IngressGatewayPortAnalyzer"));
}

TEST_CASE("gateway selecting no workload in the input is not analyzed for ports", "[analyzers]") {
  // Istio reports IST0101 "selector" here (C2); meshc assumes the pods are installed elsewhere.
  auto r = lintYaml(std::string(kDefaultIngress) + gateway("httpbin-gateway", "default",
                                                           "    istio: ingresstypo\n",
                                                           httpServer(8004, "*")));
  CHECK(findingsOf(r, "IST0162").empty());
  CHECK(findingsOf(r, "IST0101").empty());
}

namespace {

// A custom ingress gateway: a Deployment labelled app=my-gw in namespace custom, and a Service.
std::string customIngress(const std::string& service_ports) {
  return R"(apiVersion: apps/v1
kind: Deployment
metadata:
  name: my-gw
  namespace: custom
spec:
  selector:
    matchLabels: {app: my-gw}
  template:
    metadata:
      labels: {app: my-gw}
    spec:
      containers:
      - {name: istio-proxy, image: proxyv2}
---
apiVersion: v1
kind: Service
metadata:
  name: my-gw
  namespace: custom
spec:
  selector: {app: my-gw}
  ports:
)" + service_ports +
         "---\n";
}

}  // namespace

TEST_CASE("custom gateway workload from a Deployment template uses its own Service",
          "[analyzers]") {
  // C5/C6: the gateway port may be the Service port or its targetPort.
  std::string ports = "  - {name: http, port: 80, targetPort: 8080, protocol: TCP}\n";
  auto ok = lintYaml(customIngress(ports) +
                     gateway("gw", "custom", "    app: my-gw\n",
                             httpServer(80, "*") + httpServer(8080, "b.example.com")));
  INFO(meshc::testing::describe(ok.diagnostics));
  REQUIRE(schemaErrors(ok).empty());
  CHECK(findingsOf(ok, "IST0162").empty());
  auto bad = lintYaml(customIngress(ports) +
                      gateway("gw", "custom", "    app: my-gw\n", httpServer(8081, "*")));
  CHECK(findingsOf(bad, "IST0162") == Strings{"Gateway custom/gw"});
}

TEST_CASE("service port without targetPort accepts only its own number", "[analyzers]") {
  // C7: port 80 without targetPort; C8: 80 -> 8003 accepts both 80 and 8003.
  auto bad = lintYaml(customIngress("  - {name: http, port: 80, protocol: TCP}\n") +
                      gateway("gw", "custom", "    app: my-gw\n", httpServer(8003, "*")));
  CHECK(findingsOf(bad, "IST0162") == Strings{"Gateway custom/gw"});
  auto ok =
      lintYaml(customIngress("  - {name: http, port: 80, targetPort: 8003, protocol: TCP}\n") +
               gateway("gw", "custom", "    app: my-gw\n",
                       httpServer(8003, "*") + httpServer(80, "x.example.com")));
  CHECK(findingsOf(ok, "IST0162").empty());
}

TEST_CASE("omitted service port protocol counts as TCP but UDP does not", "[analyzers]") {
  // Deliberate: Istio reading files ignores ports without an explicit protocol.
  auto ok = lintYaml(customIngress("  - {name: http, port: 80}\n") +
                     gateway("gw", "custom", "    app: my-gw\n", httpServer(80, "*")));
  CHECK(findingsOf(ok, "IST0162").empty());
  auto udp = lintYaml(customIngress("  - {name: dns, port: 80, protocol: UDP}\n") +
                      gateway("gw", "custom", "    app: my-gw\n", httpServer(80, "*")));
  CHECK(findingsOf(udp, "IST0162") == Strings{"Gateway custom/gw"});
}

TEST_CASE("service in another namespace than the gateway pod does not count", "[analyzers]") {
  std::string svc_elsewhere = R"(apiVersion: v1
kind: Service
metadata:
  name: my-gw
  namespace: elsewhere
spec:
  selector: {app: my-gw}
  ports:
  - {name: http, port: 9000, protocol: TCP}
---
)";
  auto r = lintYaml(customIngress("  - {name: http, port: 80, protocol: TCP}\n") + svc_elsewhere +
                    gateway("gw", "custom", "    app: my-gw\n", httpServer(9000, "*")));
  CHECK(findingsOf(r, "IST0162") == Strings{"Gateway custom/gw"});
}

TEST_CASE("two gateways on one pod are checked against services selecting that pod",
          "[analyzers]") {
  // C9: only Service my-8001 selects the pod, so the 8002 gateway is flagged.
  std::string yaml = R"(apiVersion: v1
kind: Pod
metadata:
  name: gw-pod
  namespace: custom
  labels: {app: ingress, port-8001: "yes"}
spec:
  containers:
  - {name: istio-proxy, image: proxyv2}
---
apiVersion: v1
kind: Service
metadata:
  name: my-8001
  namespace: custom
spec:
  selector: {port-8001: "yes"}
  ports:
  - {name: http, port: 8001, protocol: TCP}
---
apiVersion: v1
kind: Service
metadata:
  name: my-8002
  namespace: custom
spec:
  selector: {port-8002: "yes"}
  ports:
  - {name: http, port: 8002, protocol: TCP}
---
)";
  auto r = lintYaml(
      yaml + gateway("httpbin8001-gateway", "custom", "    app: ingress\n", httpServer(8001, "*")) +
      gateway("httpbin8002-gateway", "custom", "    app: ingress\n",
              httpServer(8002, "a.example.com")));
  CHECK(findingsOf(r, "IST0162") == Strings{"Gateway custom/httpbin8002-gateway"});
}

TEST_CASE("gateway port analyzer is skipped without Services in the input", "[analyzers]") {
  std::string pod = R"(apiVersion: v1
kind: Pod
metadata:
  name: p
  namespace: istio-system
  labels: {istio: ingressgateway}
spec:
  containers:
  - {name: istio-proxy, image: proxyv2}
---
)";
  auto r = lintYaml(pod + gateway("gw", "default", kIngressSelector, httpServer(8004, "*")));
  CHECK(findingsOf(r, "IST0162").empty());
  CHECK_FALSE(meshc::testing::ran(r, "gateway.IngressGatewayPortAnalyzer"));
}

// --- SecretAnalyzer (IST0101 credentialName, IST0161) ------------------------------------------

namespace {

std::string tlsData(const char* cert_b64) {
  return std::string("data:\n  tls.crt: ") + cert_b64 + "\n  tls.key: " + meshc::testing::kKeyB64 +
         "\n";
}

}  // namespace

TEST_CASE("missing credentialName secret is IST0101 in the workload namespace", "[analyzers]") {
  // C10: the secret must live where the gateway pod runs (istio-system), not with the Gateway.
  auto r = lintYaml(
      std::string(kDefaultIngress) +
      secret("httpbin-credential", "istio-system", tlsData(meshc::testing::kCertValidB64)) +
      secret("only-in-default", "default", tlsData(meshc::testing::kCertValidB64)) +
      gateway("defaultgateway-noerrors", "default", kIngressSelector,
              tlsServer(443, "a.example.com", "httpbin-credential")) +
      gateway("defaultgateway-nocredential", "default", kIngressSelector, httpServer(80, "*")) +
      gateway("defaultgateway-bogusCredentialName", "default", kIngressSelector,
              tlsServer(443, "b.example.com", "bogus")) +
      gateway("defaultgateway-wrongnamespace", "default", kIngressSelector,
              tlsServer(443, "c.example.com", "only-in-default")) +
      gateway("bogusgateway", "default", "    istio: custom-gateway\n",
              tlsServer(443, "d.example.com", "bogus")));
  INFO(meshc::testing::describe(r.diagnostics));
  CHECK(findingsOf(r, "IST0101") == Strings{"Gateway default/defaultgateway-bogusCredentialName",
                                            "Gateway default/defaultgateway-wrongnamespace"});
  CHECK(findingsOf(r, "IST0161").empty());
  const meshc::Diagnostic* d = firstOf(r, "IST0101");
  REQUIRE(d != nullptr);
  CHECK(d->message.rfind("referenced credentialName not found: \"bogus\"", 0) == 0);
  CHECK(d->message.find("namespace \"istio-system\"") != std::string::npos);
}

TEST_CASE("credentialName with a namespace prefix looks there", "[analyzers]") {
  auto r = lintYaml(
      std::string(kDefaultIngress) +
      secret("cred", "other", tlsData(meshc::testing::kCertValidB64)) +
      gateway("gw", "default", kIngressSelector, tlsServer(443, "a.example.com", "other/cred")));
  CHECK(findingsOf(r, "IST0101").empty());
  CHECK(findingsOf(r, "IST0161").empty());
}

TEST_CASE("unusable gateway credentials are IST0161", "[analyzers]") {
  // C11 plus an expired, a not-yet-valid and a non-base64 secret.
  std::string garbage = "data:\n  cert: bm90IGEgY2VydA==\n  key: bm90IGEga2V5\n";
  std::string only_cert = "data:\n  tls.cert: bm90IGEgY2VydA==\n";
  std::string wrong_names = "data:\n  tls.cert: bm90IGEgY2VydA==\n  tls.key: bm90IGEga2V5\n";
  std::string not_base64 = "data:\n  tls.crt: '%%%'\n  tls.key: bm90IGEga2V5\n";
  std::string empty_pair = "data:\n  tls.crt: ''\n  tls.key: ''\n";
  std::string yaml = std::string(kDefaultIngress) +
                     secret("invalid-keys", "istio-system", garbage) +
                     secret("missing-keys", "istio-system", only_cert) +
                     secret("wrong-names", "istio-system", wrong_names) +
                     secret("expired", "istio-system", tlsData(meshc::testing::kCertExpiredB64)) +
                     secret("future", "istio-system", tlsData(meshc::testing::kCertFutureB64)) +
                     secret("not-base64", "istio-system", not_base64) +
                     secret("empty-pair", "istio-system", empty_pair) +
                     secret("valid", "istio-system", tlsData(meshc::testing::kCertValidB64));
  for (const char* name : {"invalid-keys", "missing-keys", "wrong-names", "expired", "future",
                           "not-base64", "empty-pair", "valid"}) {
    yaml += gateway(std::string("gw-") + name, "istio-system", kIngressSelector,
                    tlsServer(443, std::string(name) + ".example.com", name));
  }
  auto r = lintYaml(yaml);
  INFO(meshc::testing::describe(r.diagnostics));
  CHECK(findingsOf(r, "IST0161") ==
        Strings{"Gateway istio-system/gw-empty-pair", "Gateway istio-system/gw-expired",
                "Gateway istio-system/gw-future", "Gateway istio-system/gw-invalid-keys",
                "Gateway istio-system/gw-missing-keys", "Gateway istio-system/gw-not-base64",
                "Gateway istio-system/gw-wrong-names"});
  CHECK(findingsOf(r, "IST0101").empty());
  for (const meshc::Diagnostic& d : r.diagnostics) {
    if (d.id != "IST0161") {
      continue;
    }
    if (d.resource.name == "gw-expired") {
      CHECK(d.message.find("expired at 2001-01-01T00:00:00Z") != std::string::npos);
    } else if (d.resource.name == "gw-wrong-names") {
      CHECK(d.message.find("found \"tls.cert\", \"tls.key\"") != std::string::npos);
    } else if (d.resource.name == "gw-future") {
      CHECK(d.message.find("not valid before 2110-01-01T00:00:00Z") != std::string::npos);
    }
  }
}

TEST_CASE("stringData counts as secret data, as the API server merges it", "[analyzers]") {
  std::string pem = *meshc::frontend::analyzers::decodeBase64(meshc::testing::kCertValidB64);
  std::string data = "stringData:\n  cert: |\n";
  size_t start = 0;
  while (start < pem.size()) {
    size_t nl = pem.find('\n', start);
    data += "    " + pem.substr(start, nl - start) + "\n";
    start = nl + 1;
  }
  data += "  key: some-key\n";
  auto r = lintYaml(
      std::string(kDefaultIngress) + secret("cred", "istio-system", data) +
      gateway("gw", "istio-system", kIngressSelector, tlsServer(443, "a.example.com", "cred")));
  INFO(meshc::testing::describe(r.diagnostics));
  CHECK(findingsOf(r, "IST0161").empty());
  CHECK(findingsOf(r, "IST0101").empty());
}

TEST_CASE("secret analyzer is skipped without Secrets in the input", "[analyzers]") {
  auto r =
      lintYaml(std::string(kDefaultIngress) + gateway("gw", "default", kIngressSelector,
                                                      tlsServer(443, "a.example.com", "missing")));
  CHECK(findingsOf(r, "IST0101").empty());
  CHECK_FALSE(meshc::testing::ran(r, "gateway.SecretAnalyzer"));
}

TEST_CASE("credential reader decodes base64 and finds the first PEM block", "[analyzers]") {
  using meshc::frontend::analyzers::checkCertificates;
  using meshc::frontend::analyzers::decodeBase64;
  using meshc::frontend::analyzers::firstPemBlock;
  CHECK(decodeBase64("aGVsbG8=") == std::optional<std::string>("hello"));
  CHECK(decodeBase64("aGVs\nbG8h") == std::optional<std::string>("hello!"));
  CHECK(decodeBase64("aGVsbG8") == std::nullopt);    // missing padding
  CHECK(decodeBase64("aGVsbG8=x") == std::nullopt);  // data after padding
  CHECK(decodeBase64("a===") == std::nullopt);
  CHECK(decodeBase64("") == std::optional<std::string>(""));
  CHECK(firstPemBlock("no pem here") == std::nullopt);
  CHECK(firstPemBlock("x-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n") ==
        std::nullopt);  // BEGIN must start a line
  CHECK(firstPemBlock("junk\n-----BEGIN X-----\nAAAA\n-----END X-----\n") ==
        std::optional<std::string>(std::string(3, '\0')));
  std::string pem = *decodeBase64(meshc::testing::kCertValidB64);
  std::optional<std::string> der = firstPemBlock(pem);
  REQUIRE(der.has_value());
  const int64_t k2050 = 2524608000;  // 2050-01-01T00:00:00Z
  CHECK(checkCertificates(*der, k2050).empty());
  CHECK(checkCertificates(*der, 0) == "the certificate is not valid before 2020-01-01T00:00:00Z");
  CHECK(checkCertificates("", k2050) != "");
  // Every truncation of a valid certificate is rejected, never read out of bounds.
  for (size_t n = 0; n < der->size(); ++n) {
    CHECK_FALSE(checkCertificates(der->substr(0, n), k2050).empty());
  }
  // Two certificates back to back are both checked.
  CHECK(checkCertificates(*der + *der, k2050).empty());
  std::string expired = *firstPemBlock(*decodeBase64(meshc::testing::kCertExpiredB64));
  CHECK(checkCertificates(*der + expired, k2050) ==
        "the certificate expired at 2001-01-01T00:00:00Z");
}

// --- ConflictingGatewayAnalyzer (IST0145) ------------------------------------------------------

namespace {

std::string tcpServer(int port, const std::string& host) {
  return "  - port: {number: " + std::to_string(port) + ", name: tcp-" + std::to_string(port) +
         ", protocol: TCP}\n    hosts: [\"" + host + "\"]\n";
}

}  // namespace

TEST_CASE("gateways with the same selector, port and host conflict both ways", "[analyzers]") {
  // C12: protocol does not matter (TCP vs HTTP on the same port and host).
  auto r = lintYaml(std::string(kDefaultIngress) +
                    gateway("alpha", "default", kIngressSelector, tcpServer(80, "foo.bar")) +
                    gateway("beta", "default", kIngressSelector, httpServer(80, "foo.bar")));
  INFO(meshc::testing::describe(r.diagnostics));
  REQUIRE(schemaErrors(r).empty());
  CHECK(findingsOf(r, "IST0145") == Strings{"Gateway default/alpha", "Gateway default/beta"});
  const meshc::Diagnostic* d = firstOf(r, "IST0145");
  REQUIRE(d != nullptr);
  CHECK(d->message.rfind("server conflicts with Gateway default/beta (workload selector "
                         "\"istio=ingressgateway\", port 80, hosts foo.bar)",
                         0) == 0);
  CHECK(d->notes.size() == 1);
}

TEST_CASE("gateways on different ports or hosts do not conflict", "[analyzers]") {
  // C13 and C16.
  auto r = lintYaml(std::string(kDefaultIngress) +
                    gateway("alpha", "default", kIngressSelector, httpServer(80, "foo.bar")) +
                    gateway("beta", "default", kIngressSelector, httpServer(8080, "foo.bar")) +
                    gateway("gamma", "default", kIngressSelector, httpServer(80, "other.bar")));
  CHECK(findingsOf(r, "IST0145").empty());
}

TEST_CASE("conflict is found among several ports of one gateway", "[analyzers]") {
  // C14
  auto r = lintYaml(std::string(kDefaultIngress) +
                    gateway("alpha", "default", kIngressSelector,
                            httpServer(8443, "foo.bar") + httpServer(80, "foo.bar")) +
                    gateway("beta", "default", kIngressSelector, httpServer(80, "foo.bar")));
  CHECK(findingsOf(r, "IST0145") == Strings{"Gateway default/alpha", "Gateway default/beta"});
}

TEST_CASE("selector contained in another conflicts only through a shared pod", "[analyzers]") {
  // C15: "istio=ingressgateway" is a substring of "app=x,istio=ingressgateway".
  std::string pod = R"(apiVersion: v1
kind: Pod
metadata:
  name: shared
  namespace: istio-system
  labels: {istio: ingressgateway, app: x}
spec:
  containers:
  - {name: istio-proxy, image: proxyv2}
---
)";
  std::string gws = gateway("alpha", "default", kIngressSelector, httpServer(80, "foo.bar")) +
                    gateway("beta", "default", "    istio: ingressgateway\n    app: x\n",
                            httpServer(80, "foo.bar"));
  auto shared = lintYaml(std::string(kDefaultIngress) + pod + gws);
  CHECK(findingsOf(shared, "IST0145") == Strings{"Gateway default/alpha", "Gateway default/beta"});
  auto apart = lintYaml(std::string(kDefaultIngress) + gws);
  CHECK(findingsOf(apart, "IST0145").empty());
}

TEST_CASE("gateways with a different bind do not conflict", "[analyzers]") {
  std::string bound =
      "  - port: {number: 80, name: http, protocol: HTTP}\n    bind: 10.0.0.1\n"
      "    hosts: [\"foo.bar\"]\n";
  auto r = lintYaml(gateway("alpha", "default", kIngressSelector, httpServer(80, "foo.bar")) +
                    gateway("beta", "other", kIngressSelector, bound));
  CHECK(findingsOf(r, "IST0145").empty());
  // Namespaces do not matter, and no workload is needed for identical selectors.
  auto r2 = lintYaml(gateway("alpha", "default", kIngressSelector, httpServer(80, "foo.bar")) +
                     gateway("beta", "other", kIngressSelector, httpServer(80, "foo.bar")));
  CHECK(findingsOf(r2, "IST0145") == Strings{"Gateway default/alpha", "Gateway other/beta"});
}

TEST_CASE("gateways inside a List are analyzed like top-level ones", "[analyzers]") {
  // C47
  std::string yaml = R"(apiVersion: v1
kind: List
items:
- apiVersion: networking.istio.io/v1
  kind: Gateway
  metadata: {name: alpha-l, namespace: default}
  spec:
    selector: {istio: ingressgateway}
    servers:
    - port: {number: 80, name: http, protocol: HTTP}
      hosts: ["foo.bar"]
- apiVersion: networking.istio.io/v1
  kind: Gateway
  metadata: {name: beta-l, namespace: default}
  spec:
    selector: {istio: ingressgateway}
    servers:
    - port: {number: 80, name: tcp, protocol: TCP}
      hosts: ["foo.bar"]
)";
  auto r = lintYaml(yaml);
  INFO(meshc::testing::describe(r.diagnostics));
  CHECK(findingsOf(r, "IST0145") == Strings{"Gateway default/alpha-l", "Gateway default/beta-l"});
}

// --- CertificateAnalyzer (IST0138) -------------------------------------------------------------

TEST_CASE("gateways sharing a credential on the same selector are IST0138 both ways",
          "[analyzers]") {
  // C45 test-01
  auto r = lintYaml(gateway("gateway-01-test-01", "istio-system", kIngressSelector,
                            tlsServer(443, "a.example.com", "shared")) +
                    gateway("gateway-02-test-01", "istio-system", kIngressSelector,
                            tlsServer(443, "b.example.com", "shared")));
  INFO(meshc::testing::describe(r.diagnostics));
  CHECK(findingsOf(r, "IST0138") == Strings{"Gateway istio-system/gateway-01-test-01",
                                            "Gateway istio-system/gateway-02-test-01"});
  const meshc::Diagnostic* d = firstOf(r, "IST0138");
  REQUIRE(d != nullptr);
  CHECK(d->severity == meshc::Severity::kWarning);
  CHECK(d->loc.line == 12);  // the credentialName of gateway-01-test-01
}

TEST_CASE("certificate sharing is reported only on the gateway with the smaller selector",
          "[analyzers]") {
  // C45 test-02 and test-03 (across namespaces).
  std::string internal = "    istio: ingressgateway\n    type: internal\n";
  auto r = lintYaml(gateway("gateway-01-test-02", "istio-system", kIngressSelector,
                            tlsServer(443, "a.example.com", "cred-02")) +
                    gateway("gateway-02-test-02", "istio-system", internal,
                            tlsServer(443, "b.example.com", "cred-02")) +
                    gateway("gateway-01-test-03", "default", kIngressSelector,
                            tlsServer(443, "c.example.com", "cred-03")) +
                    gateway("gateway-02-test-03", "istio-system", internal,
                            tlsServer(443, "d.example.com", "cred-03")));
  CHECK(findingsOf(r, "IST0138") ==
        Strings{"Gateway default/gateway-01-test-03", "Gateway istio-system/gateway-01-test-02"});
}

TEST_CASE("distinct or inline certificates follow Istio's comparison", "[analyzers]") {
  // C45 test-04..06: distinct credentials or none; inline pairs need both cert and key equal.
  auto inline_server = [](const std::string& cert, const std::string& key) {
    return "  - port: {number: 443, name: https, protocol: HTTPS}\n    hosts: [\"a.example.com\"]\n"
           "    tls: {mode: SIMPLE, serverCertificate: " +
           cert + ", privateKey: " + key + "}\n";
  };
  auto distinct =
      lintYaml(gateway("g1", "default", kIngressSelector, tlsServer(443, "a.example.com", "one")) +
               gateway("g2", "default", kIngressSelector, tlsServer(443, "b.example.com", "two")) +
               gateway("g3", "default", kIngressSelector, httpServer(80, "c.example.com")));
  CHECK(findingsOf(distinct, "IST0138").empty());
  auto same_inline =
      lintYaml(gateway("g1", "default", kIngressSelector, inline_server("/c.pem", "/k.pem")) +
               gateway("g2", "default", kIngressSelector, inline_server("/c.pem", "/k.pem")));
  CHECK(findingsOf(same_inline, "IST0138") == Strings{"Gateway default/g1", "Gateway default/g2"});
  auto other_key =
      lintYaml(gateway("g1", "default", kIngressSelector, inline_server("/c.pem", "/k.pem")) +
               gateway("g2", "default", kIngressSelector, inline_server("/c.pem", "/k2.pem")));
  CHECK(findingsOf(other_key, "IST0138").empty());
}
