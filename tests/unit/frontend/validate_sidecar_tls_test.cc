// Tests for the server TLS option rules on Sidecar ingress tls (ISTIO-VALIDATION.md A.6 S8, which
// applies G17-G28 of A.3 under the sidecar-tls-* ids): one case per rule, with id, severity,
// position and the rule's own wording, and the neighbouring rule that must not fire.
#include <catch2/catch.hpp>
#include <string>

#include "test_util.h"

namespace {

using meshc::Diagnostic;
using meshc::Severity;
using meshc::testing::countId;
using meshc::testing::describe;
using meshc::testing::findId;
using meshc::testing::hasId;
using meshc::testing::validateYaml;

// A Sidecar with one HTTPS ingress listener whose tls block is `tls` (fields indented six spaces).
// Line 7 is "  ingress:", line 8 the port, line 9 "    tls:", so the first tls field is on line 10.
std::vector<Diagnostic> ingressTls(const std::string& tls) {
  return validateYaml(
      "apiVersion: networking.istio.io/v1\n"
      "kind: Sidecar\n"
      "metadata:\n"
      "  name: sc\n"
      "  namespace: default\n"
      "spec:\n"
      "  ingress:\n"
      "  - port: {number: 8443, name: https, protocol: HTTPS}\n"
      "    tls:\n" +
      tls);
}

const std::string kFileCerts =
    "      serverCertificate: /etc/c.pem\n      privateKey: /etc/k.pem\n";

}  // namespace

TEST_CASE("sidecar tls: an unknown cipher suite is a warning at the first unknown entry (G18)",
          "[validate-sidecar-tls]") {
  // Lines 10-13: mode, the certificate pair, cipherSuites; line 14 holds the first list item, at
  // column 9 ("      - " is eight characters).
  auto d = ingressTls("      mode: SIMPLE\n" + kFileCerts +
                      "      cipherSuites:\n"
                      "      - NOT-A-CIPHER\n"
                      "      - ECDHE-RSA-AES128-GCM-SHA256\n"
                      "      - ALSO-BAD\n");
  INFO(describe(d));
  REQUIRE(countId(d, "sidecar-tls-invalid-cipher") == 1);  // reported once, listing all
  const Diagnostic* w = findId(d, "sidecar-tls-invalid-cipher");
  CHECK(w->severity == Severity::kWarning);
  CHECK(w->istio_code == "IST0133");
  CHECK(w->loc.line == 14);
  CHECK(w->loc.column == 9);
  // Istio lists the unknown names sorted; a valid OpenSSL name is not among them.
  CHECK(w->message.find("ALSO-BAD NOT-A-CIPHER") != std::string::npos);
  CHECK(w->message.find("ECDHE-RSA-AES128-GCM-SHA256]") == std::string::npos);
  CHECK(d.size() == 1);
  // "ALL", an empty name and names starting with a non-alphanumeric character are valid.
  auto ok = ingressTls("      mode: SIMPLE\n" + kFileCerts +
                       "      cipherSuites: [ALL, \"-FOO\", \"+BAR\", AES256-SHA]\n");
  INFO(describe(ok));
  CHECK(ok.empty());
}

TEST_CASE("sidecar tls: a cipher suite listed twice is a warning at the repeat (G19)",
          "[validate-sidecar-tls]") {
  auto d = ingressTls("      mode: SIMPLE\n" + kFileCerts +
                      "      cipherSuites:\n"
                      "      - AES128-SHA\n"
                      "      - AES256-SHA\n"
                      "      - AES128-SHA\n");
  INFO(describe(d));
  REQUIRE(d.size() == 1);
  CHECK(d[0].id == "sidecar-tls-duplicate-cipher");
  CHECK(d[0].severity == Severity::kWarning);
  CHECK(d[0].istio_code == "IST0133");
  CHECK(d[0].loc.line == 16);  // the third item, the second AES128-SHA
  CHECK(d[0].loc.column == 9);
  CHECK(d[0].message.find("AES128-SHA") != std::string::npos);
  CHECK(d[0].message.find("AES256-SHA") == std::string::npos);
}

TEST_CASE("sidecar tls: PASSTHROUGH with certificates warns once that they are ignored (G21)",
          "[validate-sidecar-tls]") {
  auto d = ingressTls("      mode: PASSTHROUGH\n" + kFileCerts);
  INFO(describe(d));
  REQUIRE(d.size() == 1);
  CHECK(d[0].id == "sidecar-tls-passthrough-certs");
  CHECK(d[0].severity == Severity::kWarning);
  CHECK(d[0].istio_code == "IST0133");
  CHECK(d[0].loc.line == 11);  // serverCertificate, the first material in Istio's order
  CHECK(d[0].loc.column == 26);
  CHECK(d[0].message == "PASSTHROUGH mode does not use certificates; they will be ignored");
  // PASSTHROUGH without any certificate material is clean.
  auto ok = ingressTls("      mode: PASSTHROUGH\n");
  INFO(describe(ok));
  CHECK(ok.empty());
}

TEST_CASE("sidecar tls: two certificate sources are an error at the second (G22)",
          "[validate-sidecar-tls]") {
  // serverCertificate+privateKey and tlsCertificates: the second source is tlsCertificates.
  // S8 also rejects tlsCertificates on a Sidecar, so both findings appear.
  auto d = ingressTls("      mode: SIMPLE\n" + kFileCerts +
                      "      tlsCertificates:\n"
                      "      - serverCertificate: /etc/c2.pem\n"
                      "        privateKey: /etc/k2.pem\n");
  INFO(describe(d));
  CHECK(countId(d, "sidecar-ingress-tls-unsupported") == 1);
  REQUIRE(countId(d, "sidecar-tls-multiple-cert-sources") == 1);
  const Diagnostic* e = findId(d, "sidecar-tls-multiple-cert-sources");
  CHECK(e->severity == Severity::kError);
  CHECK(e->istio_code == "IST0106");
  CHECK(e->loc.line == 13);  // the tlsCertificates key (a list is reported at its key)
  CHECK(e->loc.column == 7);
  CHECK(e->message.find("found 2") != std::string::npos);
  // One source alone is fine: no multiple-sources error for the plain file pair.
  auto one = ingressTls("      mode: SIMPLE\n" + kFileCerts);
  INFO(describe(one));
  CHECK(one.empty());
  // A serverCertificate without privateKey is not a complete source, so it does not count.
  auto half = ingressTls(
      "      mode: SIMPLE\n      serverCertificate: /etc/c.pem\n"
      "      tlsCertificates:\n"
      "      - serverCertificate: /etc/c2.pem\n"
      "        privateKey: /etc/k2.pem\n");
  INFO(describe(half));
  CHECK_FALSE(hasId(half, "sidecar-tls-multiple-cert-sources"));
}

TEST_CASE("sidecar tls: more than two tlsCertificates is a warning (G25)",
          "[validate-sidecar-tls]") {
  auto d = ingressTls(
      "      mode: SIMPLE\n"
      "      tlsCertificates:\n"
      "      - {serverCertificate: /a.pem, privateKey: /a.key}\n"
      "      - {serverCertificate: /b.pem, privateKey: /b.key}\n"
      "      - {serverCertificate: /c.pem, privateKey: /c.key}\n");
  INFO(describe(d));
  CHECK(countId(d, "sidecar-ingress-tls-unsupported") == 1);  // S8
  REQUIRE(countId(d, "sidecar-tls-too-many-certs") == 1);
  const Diagnostic* w = findId(d, "sidecar-tls-too-many-certs");
  CHECK(w->severity == Severity::kWarning);
  CHECK(w->istio_code == "IST0133");
  CHECK(w->loc.line == 11);  // the tlsCertificates key (a list is reported at its key)
  CHECK(w->loc.column == 7);
  CHECK(w->message == "SIMPLE TLS supports up to 2 server certificates; found 3");
  CHECK_FALSE(hasId(d, "sidecar-tls-cert-missing"));  // every entry has its pair
  auto two = ingressTls(
      "      mode: SIMPLE\n"
      "      tlsCertificates:\n"
      "      - {serverCertificate: /a.pem, privateKey: /a.key}\n"
      "      - {serverCertificate: /b.pem, privateKey: /b.key}\n");
  INFO(describe(two));
  CHECK_FALSE(hasId(two, "sidecar-tls-too-many-certs"));
}

TEST_CASE("sidecar tls: caCrl with credentialName is an error where G23 does not stop (G27)",
          "[validate-sidecar-tls]") {
  // Only reachable for a non-terminating mode (G23 returns early for SIMPLE/MUTUAL with
  // credentials), so PASSTHROUGH, which also warns about the ignored material (G21).
  auto d = ingressTls(
      "      mode: PASSTHROUGH\n"
      "      credentialName: cred\n"
      "      caCrl: /etc/crl.pem\n");
  INFO(describe(d));
  CHECK(countId(d, "sidecar-ingress-tls-unsupported") == 1);  // credentialName, S8
  CHECK(countId(d, "sidecar-tls-passthrough-certs") == 1);
  REQUIRE(countId(d, "sidecar-tls-crl-credential") == 1);
  const Diagnostic* e = findId(d, "sidecar-tls-crl-credential");
  CHECK(e->severity == Severity::kError);
  CHECK(e->istio_code == "IST0106");
  CHECK(e->loc.line == 12);
  CHECK(e->loc.column == 14);
  CHECK(e->message.find("caCrl is not supported with credentialName") == 0);
  // With SIMPLE the credential stops the checks first (G23): no CRL error at all.
  auto simple = ingressTls(
      "      mode: SIMPLE\n"
      "      credentialName: cred\n"
      "      caCrl: /etc/crl.pem\n");
  INFO(describe(simple));
  CHECK_FALSE(hasId(simple, "sidecar-tls-crl-credential"));
  CHECK_FALSE(hasId(simple, "sidecar-tls-crl-simple"));
}

TEST_CASE("sidecar tls: caCrl with SIMPLE is an error, with MUTUAL it is fine (G28)",
          "[validate-sidecar-tls]") {
  auto d = ingressTls("      mode: SIMPLE\n" + kFileCerts + "      caCrl: /etc/crl.pem\n");
  INFO(describe(d));
  REQUIRE(d.size() == 1);
  CHECK(d[0].id == "sidecar-tls-crl-simple");
  CHECK(d[0].severity == Severity::kError);
  CHECK(d[0].istio_code == "IST0106");
  CHECK(d[0].loc.line == 13);
  CHECK(d[0].loc.column == 14);
  CHECK(d[0].message.find("caCrl is not supported with SIMPLE TLS") == 0);
  auto mutual = ingressTls("      mode: MUTUAL\n" + kFileCerts +
                           "      caCertificates: /etc/ca.pem\n      caCrl: /etc/crl.pem\n");
  INFO(describe(mutual));
  CHECK(mutual.empty());
}
