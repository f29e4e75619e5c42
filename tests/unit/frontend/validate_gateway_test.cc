// Tests for the Gateway webhook rules (ISTIO-VALIDATION.md A.3, G1-G28).
#include <catch2/catch.hpp>
#include <string>

#include "frontend/rule_catalog.h"
#include "schema_rejection_util.h"
#include "test_util.h"

namespace {

using meshc::Diagnostic;
using meshc::Severity;
using meshc::testing::countId;
using meshc::testing::describe;
using meshc::testing::findId;
using meshc::testing::hasId;
using meshc::testing::validateYaml;

// A Gateway whose spec.servers is the given block (items indented by two spaces).
std::vector<Diagnostic> gateway(const std::string& servers, const std::string& name = "gw",
                                const std::string& annotations = "") {
  return validateYaml(
      "apiVersion: networking.istio.io/v1\n"
      "kind: Gateway\n"
      "metadata:\n"
      "  name: " +
      name +
      "\n"
      "  namespace: default\n" +
      annotations +
      "spec:\n"
      "  selector:\n"
      "    istio: ingressgateway\n"
      "  servers:\n" +
      servers);
}

// One server with the given port protocol, hosts and extra server fields (indented 4 spaces).
std::string server(const std::string& protocol, const std::string& extra = "",
                   const std::string& port_extra = "", const std::string& name = "p") {
  return "  - port:\n"
         "      number: 443\n"
         "      name: " +
         name +
         "\n"
         "      protocol: " +
         protocol + "\n" + port_extra +
         "    hosts:\n"
         "    - \"*.example.com\"\n" +
         extra;
}

// An HTTPS server whose tls block is the given fields (indented 6 spaces).
std::vector<Diagnostic> httpsTls(const std::string& tls_fields) {
  return gateway(server("HTTPS", "    tls:\n" + tls_fields));
}

const std::string kSimpleFiles =
    "      mode: SIMPLE\n"
    "      serverCertificate: /etc/certs/cert.pem\n"
    "      privateKey: /etc/certs/key.pem\n";

}  // namespace

TEST_CASE("gateway with a plain HTTP server is clean", "[validate-gateway]") {
  auto d = gateway(server("HTTP"));
  INFO(describe(d));
  CHECK(d.empty());
}

TEST_CASE("gateway name with a dot is rejected at the name", "[validate-gateway]") {
  auto d = gateway(server("HTTP"), "my.gw");
  INFO(describe(d));
  const Diagnostic* diag = findId(d, "gw-name-invalid");
  REQUIRE(diag != nullptr);
  CHECK(diag->severity == Severity::kError);
  CHECK(diag->istio_code == "IST0106");
  CHECK(diag->loc.line == 4);
  CHECK(diag->loc.column == 9);
  CHECK(diag->message.find("\"my.gw\"") != std::string::npos);
}

TEST_CASE("gateway name check is skipped under gateway-api semantics", "[validate-gateway]") {
  auto d = gateway(server("HTTP"), "my.gw",
                   "  annotations:\n    internal.istio.io/gateway-semantics: gateway\n");
  INFO(describe(d));
  CHECK_FALSE(hasId(d, "gw-name-invalid"));
  CHECK_FALSE(hasId(gateway(server("HTTP"), "Upper-Case-OK"), "gw-name-invalid"));
}

TEST_CASE("gateway without servers is rejected", "[validate-gateway]") {
  CHECK(hasId(gateway("  []\n"), "gw-servers-empty"));
  auto d = validateYaml(
      "apiVersion: networking.istio.io/v1\nkind: Gateway\nmetadata:\n  name: gw\nspec:\n"
      "  selector:\n    istio: ingressgateway\n");
  INFO(describe(d));
  CHECK(hasId(d, "gw-servers-empty"));
}

TEST_CASE("null gateway server is reported twice as Istio does", "[validate-gateway]") {
  auto d = gateway("  - null\n" + server("HTTP"));
  INFO(describe(d));
  CHECK(countId(d, "gw-server-null") == 2);
  CHECK(d.size() == 2);
}

TEST_CASE("gateway server needs at least one host", "[validate-gateway]") {
  auto d = gateway("  - port: {number: 80, name: http, protocol: HTTP}\n    hosts: []\n");
  INFO(describe(d));
  CHECK(hasId(d, "gw-server-hosts-empty"));
  CHECK(hasId(gateway("  - port: {number: 80, name: http, protocol: HTTP}\n"),
              "gw-server-hosts-empty"));
}

namespace {
std::vector<Diagnostic> gatewayHost(const std::string& host, const std::string& annotations = "") {
  return gateway(
      "  - port: {number: 80, name: http, protocol: HTTP}\n"
      "    hosts:\n"
      "    - \"" +
          host + "\"\n",
      "gw", annotations);
}
}  // namespace

TEST_CASE("gateway hosts accept wildcards, namespaces and IPv4 addresses", "[validate-gateway]") {
  for (const char* host : {"*", "foo.example.com", "*.example.com", "ns/foo.example.com", "./*",
                           "*/*.example.com", "1.2.3.4", "Foo.Example.COM", "foo.example.com."}) {
    auto d = gatewayHost(host);
    INFO(host << "\n" << describe(d));
    CHECK(d.empty());
  }
}

TEST_CASE("gateway host without a dot is a rejected short name", "[validate-gateway]") {
  auto d = gatewayHost("reviews");
  INFO(describe(d));
  CHECK(hasId(d, "gw-host-short-name"));
  CHECK(hasId(gatewayHost("ns/reviews"), "gw-host-short-name"));
}

TEST_CASE("gateway IPv6 host is rejected as a short name only", "[validate-gateway]") {
  auto d = gatewayHost("::1");
  INFO(describe(d));
  CHECK(hasId(d, "gw-host-short-name"));
  CHECK_FALSE(hasId(d, "gw-host-invalid"));  // it is an IP, so the domain check is waived
}

TEST_CASE("gateway host that is not a domain is rejected", "[validate-gateway]") {
  auto d = gatewayHost("foo..example.com");
  INFO(describe(d));
  CHECK(hasId(d, "gw-host-invalid"));
  CHECK(hasId(gatewayHost("foo.123"), "gw-host-invalid"));
}

TEST_CASE("gateway host with a partial wildcard is rejected", "[validate-gateway]") {
  auto d = gatewayHost("*foo.example.com");
  INFO(describe(d));
  CHECK(hasId(d, "gw-host-partial-wildcard"));
  CHECK_FALSE(hasId(d, "gw-host-invalid"));
}

TEST_CASE("gateway host namespace part is checked", "[validate-gateway]") {
  CHECK(hasId(gatewayHost("Bad_ns/foo.example.com"), "gw-host-namespace"));
  auto empty_ns = gatewayHost("/foo.example.com");
  INFO(describe(empty_ns));
  CHECK(countId(empty_ns, "gw-host-namespace") == 2);  // empty part + invalid namespace
  CHECK(hasId(gatewayHost("ns/"), "gw-host-namespace"));
  CHECK(hasId(gatewayHost("~/foo.example.com"), "gw-host-namespace"));
  CHECK_FALSE(
      hasId(gatewayHost("~/foo.example.com",
                        "  annotations:\n    internal.istio.io/gateway-semantics: gateway\n"),
            "gw-host-namespace"));
}

TEST_CASE("gateway host error points at the host", "[validate-gateway]") {
  auto d = gatewayHost("reviews");
  const Diagnostic* diag = findId(d, "gw-host-short-name");
  REQUIRE(diag != nullptr);
  CHECK(diag->loc.line == 12);
  CHECK(diag->loc.column == 7);
}

TEST_CASE("gateway server without port is rejected", "[validate-gateway]") {
  auto d = gateway("  - hosts: [\"*\"]\n");
  INFO(describe(d));
  CHECK(hasId(d, "gw-port-missing"));
  CHECK_FALSE(hasId(d, "gw-tls-missing"));
}

TEST_CASE("gateway port protocol must be known and set", "[validate-gateway]") {
  CHECK(gateway(server("http")).empty());  // case-insensitive
  CHECK(hasId(gateway(server("FOO")), "gw-port-protocol"));
  auto d = gateway("  - port: {number: 80, name: http}\n    hosts: [\"*\"]\n");
  INFO(describe(d));
  CHECK(hasId(d, "gw-port-protocol"));
}

TEST_CASE("gateway port number must be in range unless bound to a unix socket",
          "[validate-gateway]") {
  auto zero = gateway("  - port: {number: 0, name: http, protocol: HTTP}\n    hosts: [\"*\"]\n");
  INFO(describe(zero));
  CHECK(hasId(zero, "gw-port-number"));
  CHECK(hasId(gateway("  - port: {number: 70000, name: http, protocol: HTTP}\n"
                      "    hosts: [\"*\"]\n"),
              "gw-port-number"));
  auto uds = gateway(
      "  - port: {number: 0, name: http, protocol: HTTP}\n"
      "    bind: unix:///var/run/gw.sock\n    hosts: [\"*\"]\n");
  INFO(describe(uds));
  CHECK(uds.empty());
}

TEST_CASE("gateway port targetPort is rejected", "[validate-gateway]") {
  auto d = gateway(server("HTTP", "", "      targetPort: 8443\n"));
  INFO(describe(d));
  CHECK(hasId(d, "gw-port-target-port"));
}

TEST_CASE("gateway port name is required", "[validate-gateway]") {
  auto d = gateway("  - port: {number: 80, protocol: HTTP}\n    hosts: [\"*\"]\n");
  INFO(describe(d));
  CHECK(hasId(d, "gw-port-name-missing"));
  CHECK_FALSE(hasId(d, "gw-port-name-duplicate"));
}

TEST_CASE("gateway unix bind needs an absolute path and port 0", "[validate-gateway]") {
  auto relative = gateway(
      "  - port: {number: 0, name: http, protocol: HTTP}\n"
      "    bind: unix://relative.sock\n    hosts: [\"*\"]\n");
  INFO(describe(relative));
  CHECK(hasId(relative, "gw-bind-unix"));
  auto nonzero = gateway(
      "  - port: {number: 80, name: http, protocol: HTTP}\n"
      "    bind: unix:///var/run/gw.sock\n    hosts: [\"*\"]\n");
  INFO(describe(nonzero));
  CHECK(countId(nonzero, "gw-bind-unix") == 1);
  CHECK(gateway("  - port: {number: 0, name: http, protocol: HTTP}\n"
                "    bind: unix://@abstract\n    hosts: [\"*\"]\n")
            .empty());
}

TEST_CASE("gateway bind must be an IP address", "[validate-gateway]") {
  CHECK(gateway(server("HTTP", "    bind: 10.0.0.1\n")).empty());
  CHECK(gateway(server("HTTP", "    bind: \"::1\"\n")).empty());
  auto d = gateway(server("HTTP", "    bind: gw.example.com\n"));
  INFO(describe(d));
  CHECK(hasId(d, "gw-bind-ip"));
}

TEST_CASE("gateway port names must be unique across servers", "[validate-gateway]") {
  CHECK(gateway(server("HTTP", "", "", "a") + server("HTTP", "", "", "b")).empty());
  auto d = gateway(server("HTTP", "", "", "a") + server("HTTP", "", "", "a"));
  INFO(describe(d));
  REQUIRE(countId(d, "gw-port-name-duplicate") == 1);
  CHECK(findId(d, "gw-port-name-duplicate")->loc.line == 18);
}

TEST_CASE("gateway ports without names collide with each other", "[validate-gateway]") {
  std::string unnamed = "  - port: {number: 80, protocol: HTTP}\n    hosts: [\"*\"]\n";
  auto d = gateway(unnamed + unnamed);
  INFO(describe(d));
  CHECK(countId(d, "gw-port-name-missing") == 2);
  CHECK(countId(d, "gw-port-name-duplicate") == 1);
}

TEST_CASE("httpsRedirect on a non-HTTP server warns", "[validate-gateway]") {
  auto d = httpsTls("      httpsRedirect: true\n      mode: SIMPLE\n      credentialName: cert\n");
  INFO(describe(d));
  const Diagnostic* diag = findId(d, "gw-https-redirect-non-http");
  REQUIRE(diag != nullptr);
  CHECK(diag->severity == Severity::kWarning);
  CHECK(diag->istio_code == "IST0133");
  CHECK(d.size() == 1);
  auto http = gateway(server("HTTP", "    tls:\n      httpsRedirect: true\n"));
  INFO(describe(http));
  CHECK(http.empty());
}

TEST_CASE("HTTPS server without tls is rejected", "[validate-gateway]") {
  CHECK(hasId(gateway(server("HTTPS")), "gw-tls-missing"));
  CHECK(hasId(gateway(server("TLS")), "gw-tls-missing"));
  auto d = httpsTls("      mode: SIMPLE\n      credentialName: cert\n");
  INFO(describe(d));
  CHECK(d.empty());
}

TEST_CASE("missing tls is not reported when the port is invalid", "[validate-gateway]") {
  auto d = gateway(server("HTTPS", "", "      targetPort: 8443\n"));
  INFO(describe(d));
  CHECK(hasId(d, "gw-port-target-port"));
  CHECK_FALSE(hasId(d, "gw-tls-missing"));
}

TEST_CASE("plain HTTP server may carry tls only for httpsRedirect", "[validate-gateway]") {
  CHECK(gateway(server("HTTP", "    tls: {}\n")).empty());  // PASSTHROUGH is the default
  CHECK(gateway(server("HTTP", "    tls:\n      mode: AUTO_PASSTHROUGH\n")).empty());
  auto simple = gateway(server("HTTP", "    tls:\n" + kSimpleFiles));
  INFO(describe(simple));
  CHECK(hasId(simple, "gw-tls-not-allowed"));
  auto certs = gateway(server("HTTP",
                              "    tls:\n      httpsRedirect: true\n"
                              "      serverCertificate: /etc/cert.pem\n"));
  INFO(describe(certs));
  CHECK(hasId(certs, "gw-tls-not-allowed"));
  CHECK(hasId(certs, "gw-tls-passthrough-certs"));
}

TEST_CASE("non-HTTP plain-text server may not have tls at all", "[validate-gateway]") {
  auto d = gateway(server("TCP", "    tls: {}\n"));
  INFO(describe(d));
  CHECK(hasId(d, "gw-tls-not-allowed"));
  CHECK(gateway(server("TCP")).empty());
}

TEST_CASE("TLS 1.0 or 1.1 without cipher suites warns", "[validate-gateway]") {
  auto d = httpsTls(kSimpleFiles + "      minProtocolVersion: TLSV1_1\n");
  INFO(describe(d));
  CHECK(hasId(d, "gw-tls-min-version-ciphers"));
  CHECK(httpsTls(kSimpleFiles + "      minProtocolVersion: TLSV1_0\n"
                                "      cipherSuites: [ECDHE-RSA-AES128-SHA]\n")
            .empty());
  CHECK(httpsTls(kSimpleFiles + "      minProtocolVersion: TLSV1_2\n").empty());
}

TEST_CASE("unknown cipher suites warn once, sorted", "[validate-gateway]") {
  auto d = httpsTls(kSimpleFiles +
                    "      cipherSuites: [FOO, ECDHE-RSA-AES128-GCM-SHA256, BAR, "
                    "\"-X\", ALL, FOO]\n");
  INFO(describe(d));
  REQUIRE(countId(d, "gw-tls-invalid-cipher") == 1);
  CHECK(findId(d, "gw-tls-invalid-cipher")->message.find("[BAR FOO]") != std::string::npos);
  CHECK_FALSE(hasId(d, "gw-tls-duplicate-cipher"));  // invalid names are not duplicates
}

TEST_CASE("cipher suite operators pass, judged by the first byte as Istio does",
          "[validate-gateway]") {
  CHECK(httpsTls(kSimpleFiles + "      cipherSuites: [\"-AES128-SHA\", \"+X\", \"!Y\"]\n").empty());
  // Istio reads the first byte as a Latin-1 rune: 0xC3 (A with tilde) is a letter, 0xD7
  // (multiplication sign) is not, so a Hebrew first letter passes like an operator.
  CHECK(hasId(httpsTls(kSimpleFiles + "      cipherSuites: [\"\xC3\xA9"
                                      "FOO\"]\n"),
              "gw-tls-invalid-cipher"));
  CHECK(httpsTls(kSimpleFiles + "      cipherSuites: [\"\xD7\x90"
                                "FOO\"]\n")
            .empty());
}

TEST_CASE("duplicate cipher suites warn", "[validate-gateway]") {
  auto d = httpsTls(kSimpleFiles + "      cipherSuites: [AES128-SHA, AES256-SHA, AES128-SHA]\n");
  INFO(describe(d));
  CHECK(countId(d, "gw-tls-duplicate-cipher") == 1);
  CHECK(d.size() == 1);
}

TEST_CASE("ISTIO_MUTUAL rejects each certificate field and stops", "[validate-gateway]") {
  CHECK(httpsTls("      mode: ISTIO_MUTUAL\n").empty());
  auto d = httpsTls(
      "      mode: ISTIO_MUTUAL\n"
      "      serverCertificate: /c.pem\n"
      "      privateKey: /k.pem\n"
      "      credentialName: cert\n"
      "      caCrl: /crl.pem\n");
  INFO(describe(d));
  CHECK(countId(d, "gw-tls-istio-mutual-certs") == 3);
  CHECK_FALSE(hasId(d, "gw-tls-multiple-cert-sources"));
  CHECK_FALSE(hasId(d, "gw-tls-crl-credential"));
}

TEST_CASE("passthrough modes warn about certificates", "[validate-gateway]") {
  CHECK(httpsTls("      mode: PASSTHROUGH\n").empty());
  auto d = httpsTls("      mode: AUTO_PASSTHROUGH\n      credentialName: cert\n");
  INFO(describe(d));
  CHECK(countId(d, "gw-tls-passthrough-certs") == 1);
  CHECK(findId(d, "gw-tls-passthrough-certs")->message.find("AUTO_PASSTHROUGH") == 0);
}

TEST_CASE("more than one certificate source is rejected", "[validate-gateway]") {
  auto d = httpsTls(kSimpleFiles + "      credentialName: cert\n");
  INFO(describe(d));
  CHECK(hasId(d, "gw-tls-multiple-cert-sources"));
  // A serverCertificate without privateKey does not count as a source.
  auto half = httpsTls(
      "      mode: SIMPLE\n      serverCertificate: /c.pem\n"
      "      credentialName: cert\n");
  INFO(describe(half));
  CHECK_FALSE(hasId(half, "gw-tls-multiple-cert-sources"));
}

TEST_CASE("credentialName skips the file and CRL checks", "[validate-gateway]") {
  auto d = httpsTls("      mode: MUTUAL\n      credentialName: cert\n      caCrl: /crl.pem\n");
  INFO(describe(d));
  CHECK(d.empty());
  CHECK(httpsTls("      mode: SIMPLE\n      credentialNames: [a, b]\n").empty());
}

TEST_CASE("MUTUAL TLS needs a client CA bundle", "[validate-gateway]") {
  auto d =
      httpsTls("      mode: MUTUAL\n      serverCertificate: /c.pem\n      privateKey: /k.pem\n");
  INFO(describe(d));
  CHECK(hasId(d, "gw-tls-mutual-ca-missing"));
  CHECK(hasId(httpsTls("      mode: OPTIONAL_MUTUAL\n      serverCertificate: /c.pem\n"
                       "      privateKey: /k.pem\n"),
              "gw-tls-mutual-ca-missing"));
  CHECK(httpsTls("      mode: MUTUAL\n      serverCertificate: /c.pem\n      privateKey: /k.pem\n"
                 "      caCertificates: /ca.pem\n")
            .empty());
}

TEST_CASE("more than two tlsCertificates warns", "[validate-gateway]") {
  std::string cert = "      - {serverCertificate: /c.pem, privateKey: /k.pem}\n";
  CHECK(httpsTls("      mode: SIMPLE\n      tlsCertificates:\n" + cert + cert).empty());
  auto d = httpsTls("      mode: SIMPLE\n      tlsCertificates:\n" + cert + cert + cert);
  INFO(describe(d));
  CHECK(countId(d, "gw-tls-too-many-certs") == 1);
  CHECK(d.size() == 1);
}

TEST_CASE("terminating TLS needs a certificate and a key", "[validate-gateway]") {
  auto d = httpsTls("      mode: SIMPLE\n");
  INFO(describe(d));
  CHECK(countId(d, "gw-tls-cert-missing") == 2);
  auto entry = httpsTls(
      "      mode: SIMPLE\n      tlsCertificates:\n"
      "      - {serverCertificate: /c.pem}\n");
  INFO(describe(entry));
  REQUIRE(countId(entry, "gw-tls-cert-missing") == 1);
  CHECK(findId(entry, "gw-tls-cert-missing")->message.find("privateKey") != std::string::npos);
  CHECK(findId(entry, "gw-tls-cert-missing")->loc.line == 19);
}

TEST_CASE("caCrl with credentialName is rejected where reachable", "[validate-gateway]") {
  auto d = httpsTls("      mode: PASSTHROUGH\n      credentialName: cert\n      caCrl: /crl.pem\n");
  INFO(describe(d));
  CHECK(hasId(d, "gw-tls-crl-credential"));
  CHECK(hasId(d, "gw-tls-passthrough-certs"));
  CHECK_FALSE(hasId(httpsTls("      mode: SIMPLE\n      credentialName: cert\n"
                             "      caCrl: /crl.pem\n"),
                    "gw-tls-crl-credential"));
}

TEST_CASE("caCrl with SIMPLE TLS is rejected", "[validate-gateway]") {
  auto d = httpsTls(kSimpleFiles + "      caCrl: /crl.pem\n");
  INFO(describe(d));
  CHECK(hasId(d, "gw-tls-crl-simple"));
  CHECK(httpsTls("      mode: MUTUAL\n      serverCertificate: /c.pem\n      privateKey: /k.pem\n"
                 "      caCertificates: /ca.pem\n      caCrl: /crl.pem\n")
            .empty());
}

TEST_CASE("enum values given as numbers are understood", "[validate-gateway]") {
  auto d = httpsTls("      mode: 4\n      credentialName: cert\n");  // ISTIO_MUTUAL
  INFO(describe(d));
  CHECK(hasId(d, "gw-tls-istio-mutual-certs"));
}

TEST_CASE("gateway validation survives odd tree shapes", "[validate-gateway]") {
  // The validators must not throw on any of these. Through lint, the API server's structural
  // schema (the CRD) rejects each before the webhook runs; the expected findings name the
  // field and what the CRD wants there.
  const std::vector<std::pair<std::string, std::vector<meshc::testing::ExpectedFinding>>> cases = {
      {"  - port: 80\n    hosts: 7\n    tls: []\n",
       {
           {"schema-type", 10, 11, "expected object, found integer 80 at spec.servers[0].port"},
           {"schema-type", 11, 12, "expected array, found integer 7 at spec.servers[0].hosts"},
           {"schema-type", 12, 5, "expected object, found array at spec.servers[0].tls"},
       }},
      {"  - port: {number: x, name: [1]}\n",
       {
           {"schema-required", 10, 5, "missing required field \"hosts\" in spec.servers[0]"},
           {"schema-required", 10, 5,
            "missing required field \"protocol\" in spec.servers[0].port"},
           {"schema-type", 10, 20,
            "expected integer, found string \"x\" at spec.servers[0].port.number"},
           {"schema-type", 10, 23, "expected string, found array at spec.servers[0].port.name"},
       }},
      {"  - hosts: [null, 3, {a: b}]\n    bind: 5\n",
       {
           {"schema-required", 10, 5, "missing required field \"port\" in spec.servers[0]"},
           {"schema-type", 10, 13, "expected string, found null at spec.servers[0].hosts[0]"},
           {"schema-type", 10, 19, "expected string, found integer 3 at spec.servers[0].hosts[1]"},
           {"schema-type", 10, 22, "expected string, found object at spec.servers[0].hosts[2]"},
           {"schema-type", 11, 11, "expected string, found integer 5 at spec.servers[0].bind"},
       }},
      {"  - tls: {mode: [], cipherSuites: 4}\n",
       {
           {"schema-required", 10, 5, "missing required field \"hosts\" in spec.servers[0]"},
           {"schema-required", 10, 5, "missing required field \"port\" in spec.servers[0]"},
           {"schema-type", 10, 11, "expected string, found array at spec.servers[0].tls.mode"},
           {"schema-type", 10, 35,
            "expected array, found integer 4 at spec.servers[0].tls.cipherSuites"},
       }},
      {"  - tls: {mode: SIMPLE, tlsCertificates: [null, 3], cipherSuites: [null, 1]}\n",
       {
           {"schema-required", 10, 5, "missing required field \"hosts\" in spec.servers[0]"},
           {"schema-required", 10, 5, "missing required field \"port\" in spec.servers[0]"},
           {"schema-type", 10, 43,
            "expected object, found null at spec.servers[0].tls.tlsCertificates[0]"},
           {"schema-type", 10, 49,
            "expected object, found integer 3 at spec.servers[0].tls.tlsCertificates[1]"},
           {"schema-type", 10, 68,
            "expected string, found null at spec.servers[0].tls.cipherSuites[0]"},
           {"schema-type", 10, 74,
            "expected string, found integer 1 at spec.servers[0].tls.cipherSuites[1]"},
       }},
      {"  - port: {number: 99999999999999999999, name: a, protocol: HTTP}\n",
       {
           {"schema-required", 10, 5, "missing required field \"hosts\" in spec.servers[0]"},
           {"schema-type", 10, 20,
            "expected integer, found number 99999999999999999999 at spec.servers[0].port.number"},
       }},
      {"  7\n",
       {
           {"schema-unknown-field", 10, 3, "unknown field \"7\" in Gateway spec"},
       }},
  };
  for (const auto& [text, want] : cases) {
    INFO(text);
    CHECK_NOTHROW(gateway(text));
    auto r = meshc::testing::lintYaml(
        "apiVersion: networking.istio.io/v1\nkind: Gateway\nmetadata:\n  name: gw\n"
        "  namespace: default\nspec:\n  selector:\n"
        "    istio: ingressgateway\n  servers:\n" +
        text);
    meshc::testing::checkFindings(r.diagnostics, want);
  }
}

TEST_CASE("every gateway finding has a catalog entry with its istioctl code",
          "[validate-gateway]") {
  std::vector<Diagnostic> all =
      gateway("  - null\n" + server("FOO", "    bind: x\n", "      targetPort: 1\n") +
                  server("HTTPS", "    tls:\n      mode: ISTIO_MUTUAL\n      privateKey: /k\n") +
                  server("HTTPS",
                         "    tls:\n      mode: PASSTHROUGH\n      caCrl: /c\n"
                         "      credentialName: a\n      minProtocolVersion: TLSV1_0\n") +
                  server("TCP",
                         "    tls:\n      mode: MUTUAL\n      httpsRedirect: true\n"
                         "      cipherSuites: [X, AES128-SHA, AES128-SHA]\n"
                         "      tlsCertificates: [{}, {}, {}]\n      credentialNames: [a]\n") +
                  server("HTTPS", "    tls:\n" + kSimpleFiles + "      caCrl: /c\n") +
                  "  - port: {number: 0}\n    hosts: [a, \"*a.b\", \"/x\", \"a..b\"]\n",
              "a.b");
  INFO(describe(all));
  CHECK(all.size() > 20);
  for (const Diagnostic& d : all) {
    const meshc::frontend::RuleInfo* rule = meshc::frontend::findRule(d.id);
    INFO(d.id);
    REQUIRE(rule != nullptr);
    CHECK(rule->istio_code == d.istio_code);
  }
}
