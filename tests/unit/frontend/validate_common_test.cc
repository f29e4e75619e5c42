// Tests for the shared webhook-validation primitives (validate_common.h, ISTIO-VALIDATION.md A.2).
#include "frontend/validation/validate_common.h"

#include <catch2/catch.hpp>
#include <memory>
#include <string>
#include <vector>

#include "frontend/reporter.h"
#include "frontend/resource.h"
#include "frontend/yaml_tree.h"
#include "support/diagnostic.h"
#include "support/source.h"

namespace {

namespace v = meshc::frontend::validation;
using meshc::Diagnostic;
using meshc::DiagnosticSink;
using meshc::Severity;
using meshc::SourceManager;
using meshc::frontend::Node;
using meshc::frontend::Reporter;
using meshc::frontend::Resource;
using meshc::frontend::ResourceKind;
using meshc::frontend::YamlArena;

// Parses a YAML snippet and runs a node-level check on its root with a Reporter for a
// VirtualService in namespace "default".
class NodeCheck {
 public:
  explicit NodeCheck(std::string yaml) {
    uint32_t file = sources_.add("test.yaml", std::move(yaml));
    auto docs = meshc::frontend::parseYamlFile(sources_, file, arena_, sink_);
    root_ = docs.empty() ? nullptr : docs.front().root;
    resource_.kind = ResourceKind::kVirtualService;
    resource_.name = "vs";
    resource_.name_space = "default";
  }
  const Node* root() const { return root_; }
  Reporter& rep() { return rep_; }
  const std::vector<Diagnostic>& diags() const { return sink_.diagnostics(); }
  int count(Severity sev) const {
    int n = 0;
    for (const Diagnostic& d : sink_.diagnostics()) {
      n += d.severity == sev ? 1 : 0;
    }
    return n;
  }

 private:
  SourceManager sources_;
  YamlArena arena_;
  DiagnosticSink sink_;
  const Node* root_ = nullptr;
  Resource resource_;
  Reporter rep_{resource_, sink_};
};

constexpr int64_t kMs = 1000000;

}  // namespace

TEST_CASE("dns-1123 labels accept upper case and reject edges and length", "[validate-common]") {
  CHECK(v::isDns1123Label("Foo-1"));
  CHECK(v::isDns1123Label("a"));
  CHECK(v::isDns1123Label(std::string(63, 'a')));
  CHECK_FALSE(v::isDns1123Label(std::string(64, 'a')));
  CHECK_FALSE(v::isDns1123Label(""));
  CHECK_FALSE(v::isDns1123Label("-a"));
  CHECK_FALSE(v::isDns1123Label("a-"));
  CHECK_FALSE(v::isDns1123Label("a_b"));
  CHECK_FALSE(v::isDns1123Label("a.b"));
}

TEST_CASE("wildcard labels allow a leading star or star-dash", "[validate-common]") {
  CHECK(v::isWildcardDns1123Label("*"));
  CHECK(v::isWildcardDns1123Label("*foo"));
  CHECK(v::isWildcardDns1123Label("*-foo"));
  CHECK(v::isWildcardDns1123Label("foo"));
  CHECK_FALSE(v::isWildcardDns1123Label("f*o"));
  CHECK_FALSE(v::isWildcardDns1123Label("**"));
  CHECK_FALSE(v::isWildcardDns1123Label("*-"));
  CHECK_FALSE(v::isWildcardDns1123Label("foo*"));
}

TEST_CASE("wildcard domains: first label may be a wildcard, TLD not numeric", "[validate-common]") {
  CHECK(v::checkWildcardDomain("reviews").empty());
  CHECK(v::checkWildcardDomain("*.example.com").empty());
  CHECK(v::checkWildcardDomain("*").empty());
  CHECK(v::checkWildcardDomain("*foo.example.com").empty());
  CHECK(v::checkWildcardDomain("example.com.").empty());
  CHECK(v::checkWildcardDomain("UPPER.Example.COM").empty());
  CHECK_FALSE(v::checkWildcardDomain("").empty());
  CHECK_FALSE(v::checkWildcardDomain("a.*.com").empty());
  CHECK_FALSE(v::checkWildcardDomain("foo.123").empty());
  CHECK_FALSE(v::checkWildcardDomain("1.2.3.4").empty());
  CHECK_FALSE(v::checkWildcardDomain("foo..com").empty());
  CHECK_FALSE(v::checkWildcardDomain("foo.com..").empty());
  CHECK_FALSE(v::checkWildcardDomain(std::string(250, 'a') + ".com").empty());
  CHECK(v::checkWildcardDomain("foo_bar.com").find("foo_bar") != std::string::npos);
}

TEST_CASE("fqdn rejects wildcards but accepts short names", "[validate-common]") {
  CHECK(v::checkFqdn("mesh").empty());
  CHECK(v::checkFqdn("gw.istio-system.svc.cluster.local").empty());
  CHECK_FALSE(v::checkFqdn("*.example.com").empty());
  CHECK_FALSE(v::checkFqdn("").empty());
}

TEST_CASE("partial wildcards are only star or star-dot prefixes", "[validate-common]") {
  CHECK_FALSE(v::isPartialWildcard("*"));
  CHECK_FALSE(v::isPartialWildcard("*.example.com"));
  CHECK_FALSE(v::isPartialWildcard("example.com"));
  CHECK(v::isPartialWildcard("*example.com"));
  CHECK(v::isPartialWildcard("foo.*.com"));
}

TEST_CASE("port numbers are 1..65535", "[validate-common]") {
  CHECK(v::isValidPort(1));
  CHECK(v::isValidPort(65535));
  CHECK_FALSE(v::isValidPort(0));
  CHECK_FALSE(v::isValidPort(65536));
  CHECK_FALSE(v::isValidPort(-1));
}

TEST_CASE("durations follow Go time.ParseDuration syntax", "[validate-common]") {
  CHECK(v::parseDuration("0") == 0);
  CHECK(v::parseDuration("100ms") == 100 * kMs);
  CHECK(v::parseDuration("1.5s") == 1500 * kMs);
  CHECK(v::parseDuration("1h2m") == (3600 + 120) * 1000 * kMs);
  CHECK(v::parseDuration(".5s") == 500 * kMs);
  CHECK(v::parseDuration("-2s") == -2000 * kMs);
  CHECK(v::parseDuration("1us") == 1000);
  CHECK(v::parseDuration("1\xC2\xB5s") == 1000);
  CHECK(v::parseDuration("3ns") == 3);
  CHECK_FALSE(v::parseDuration(""));
  CHECK_FALSE(v::parseDuration("5"));
  CHECK_FALSE(v::parseDuration("1d"));
  CHECK_FALSE(v::parseDuration("."));
  CHECK_FALSE(v::parseDuration("s"));
  CHECK_FALSE(v::parseDuration("1 s"));
  CHECK_FALSE(v::parseDuration("99999999999999999999h"));
  CHECK_FALSE(v::parseDuration("3000000h"));  // beyond int64 nanoseconds
}

TEST_CASE("durations must be at least 1ms and whole milliseconds", "[validate-common]") {
  CHECK(v::checkDuration("1ms").empty());
  CHECK(v::checkDuration("2.5s").empty());
  CHECK(v::checkDuration("1m").empty());
  CHECK_FALSE(v::checkDuration("0").empty());
  CHECK_FALSE(v::checkDuration("500us").empty());
  CHECK_FALSE(v::checkDuration("-1s").empty());
  CHECK(v::checkDuration("1.0005s").find("precision") != std::string::npos);
  CHECK(v::checkDuration("abc").find("invalid duration") != std::string::npos);
}

TEST_CASE("ip addresses follow Go netip.ParseAddr", "[validate-common]") {
  CHECK(v::isIpAddress("10.0.0.1"));
  CHECK(v::isIpAddress("::1"));
  CHECK(v::isIpAddress("2001:db8::1"));
  CHECK(v::isIpAddress("::ffff:1.2.3.4"));
  CHECK(v::isIpAddress("fe80::1%eth0"));
  CHECK_FALSE(v::isIpAddress("10.0.0.01"));
  CHECK_FALSE(v::isIpAddress("10.0.0"));
  CHECK_FALSE(v::isIpAddress("256.0.0.1"));
  CHECK_FALSE(v::isIpAddress("10.0.0.0/8"));
  CHECK_FALSE(v::isIpAddress("fe80::1%"));
  CHECK_FALSE(v::isIpAddress("example.com"));
}

TEST_CASE("ip-or-cidr accepts prefixes with valid bit counts", "[validate-common]") {
  CHECK(v::isIpOrCidr("10.0.0.0/8"));
  CHECK(v::isIpOrCidr("10.0.0.1"));
  CHECK(v::isIpOrCidr("2001:db8::/32"));
  CHECK(v::isIpOrCidr("0.0.0.0/0"));
  CHECK_FALSE(v::isIpOrCidr("10.0.0.0/33"));
  CHECK_FALSE(v::isIpOrCidr("10.0.0.0/08"));
  CHECK_FALSE(v::isIpOrCidr("10.0.0.0/"));
  CHECK_FALSE(v::isIpOrCidr("10.0.0.0/8/8"));
  CHECK_FALSE(v::isIpOrCidr("2001:db8::/129"));
}

TEST_CASE("unix socket paths are abstract or absolute files", "[validate-common]") {
  CHECK(v::checkUnixAddress("/var/run/sock").empty());
  CHECK(v::checkUnixAddress("@abstract").empty());
  CHECK_FALSE(v::checkUnixAddress("").empty());
  CHECK_FALSE(v::checkUnixAddress("relative/sock").empty());
  CHECK_FALSE(v::checkUnixAddress("/var/run/").empty());
}

TEST_CASE("protocols parse case-insensitively and are classified", "[validate-common]") {
  CHECK(v::parseProtocol("http") == v::Protocol::kHttp);
  CHECK(v::parseProtocol("GRPC-Web") == v::Protocol::kGrpcWeb);
  CHECK(v::parseProtocol("Http_Proxy") == v::Protocol::kHttpProxy);
  CHECK_FALSE(v::parseProtocol("HTTP3"));
  CHECK_FALSE(v::parseProtocol("DoubleHBONE"));
  CHECK(v::isHttpProtocol(v::Protocol::kGrpc));
  CHECK_FALSE(v::isHttpProtocol(v::Protocol::kHttps));
  CHECK(v::isTlsProtocol(v::Protocol::kHttps));
  CHECK(v::isTcpProtocol(v::Protocol::kMysql));
  CHECK_FALSE(v::isTcpProtocol(v::Protocol::kUdp));
  CHECK(v::checkProtocol("").empty());
  CHECK(v::checkProtocol("TCP").empty());
  CHECK_FALSE(v::checkProtocol("SCTP").empty());
  CHECK(v::isValidPortName("http-web"));
  CHECK_FALSE(v::isValidPortName(""));
}

TEST_CASE("regexes must be RE2 and at most 1024 characters", "[validate-common]") {
  CHECK(v::checkRegex("^/api/v[0-9]+/.*").empty());
  CHECK(v::checkRegex(std::string(1024, 'a')).empty());
  CHECK_FALSE(v::checkRegex(std::string(1025, 'a')).empty());
  CHECK(v::checkRegex("(").find("RE2") != std::string::npos);
  CHECK_FALSE(v::checkRegex("(?=lookahead)").empty());
  CHECK_FALSE(v::checkRegex("\\1").empty());
}

TEST_CASE("header values reject control characters and broken %VAR% syntax", "[validate-common]") {
  CHECK(v::checkHeaderValue("foo").empty());
  CHECK(v::checkHeaderValue("a\tb").empty());
  CHECK(v::checkHeaderValue("%HOSTNAME%").empty());
  CHECK(v::checkHeaderValue("100%%").empty());
  CHECK(v::checkHeaderValue("prefix %HOSTNAME% suffix").empty());
  CHECK(v::checkHeaderValue("%REQ(x-foo)%").empty());
  CHECK(v::checkHeaderValue("%FILTER_STATE([\"a\", \"b\"])%").empty());
  CHECK_FALSE(v::checkHeaderValue("a\nb").empty());
  CHECK_FALSE(v::checkHeaderValue("a\x7f").empty());
  CHECK_FALSE(v::checkHeaderValue("abc%").empty());
  CHECK_FALSE(v::checkHeaderValue("abc%123").empty());
  CHECK_FALSE(v::checkHeaderValue("%START_TIME%%").empty());
  CHECK_FALSE(v::checkHeaderValue("%FILTER_STATE([\"a\" x])%").empty());
}

TEST_CASE("match header names allow tokens, pseudo headers and JWT claims", "[validate-common]") {
  CHECK(v::checkMatchHeaderName("x-user").empty());
  CHECK(v::checkMatchHeaderName(":authority").empty());
  CHECK(v::checkMatchHeaderName("@request.auth.claims.group").empty());
  CHECK(v::checkMatchHeaderName("@request.auth.claims[a][b]").empty());
  CHECK(v::isJwtClaimHeader("@Request.Auth.Claims.x"));
  CHECK_FALSE(v::isJwtClaimHeader("@request.auth.claims."));
  CHECK_FALSE(v::isJwtClaimHeader("@request.auth.claims[]"));
  CHECK_FALSE(v::checkMatchHeaderName("").empty());
  CHECK_FALSE(v::checkMatchHeaderName(":foo").empty());
  CHECK_FALSE(v::checkMatchHeaderName("x user").empty());
}

TEST_CASE("header operation names protect host and pseudo headers", "[validate-common]") {
  CHECK(v::checkRequestHeaderAddSetName("x-foo").empty());
  CHECK(v::checkRequestHeaderAddSetName(":authority").empty());
  CHECK(v::checkRequestHeaderAddSetName("Host").empty());
  CHECK_FALSE(v::checkRequestHeaderAddSetName(":path").empty());
  CHECK_FALSE(v::checkRequestHeaderAddSetName("").empty());
  CHECK(v::checkHeaderOperationName("x-foo").empty());
  CHECK_FALSE(v::checkHeaderOperationName("HOST").empty());
  CHECK_FALSE(v::checkHeaderOperationName(":authority").empty());
  CHECK_FALSE(v::checkHeaderOperationName("").empty());
  CHECK(v::checkCorsHeaderName("*").empty());
  CHECK(v::checkCorsHeaderName("X-Custom").empty());
  CHECK_FALSE(v::checkCorsHeaderName("bad header").empty());
  CHECK_FALSE(v::checkCorsHeaderName("").empty());
}

TEST_CASE("host algebra follows host.Name Matches and SubsetOf", "[validate-common]") {
  CHECK(v::hostMatches("foo.com", "foo.com"));
  CHECK_FALSE(v::hostMatches("foo.com", "bar.com"));
  CHECK(v::hostMatches("*.com", "foo.com"));
  CHECK(v::hostMatches("bar.com", "*.com"));
  CHECK_FALSE(v::hostMatches("*.foo.com", "foo.com"));
  CHECK(v::hostMatches("*", "foo.com"));
  CHECK(v::hostMatches("*", "*.com"));
  CHECK(v::hostMatches("*.com", "*.foo.com"));
  CHECK(v::hostSubsetOf("a.foo.com", "*.foo.com"));
  CHECK(v::hostSubsetOf("*.a.foo.com", "*.foo.com"));
  CHECK_FALSE(v::hostSubsetOf("*.foo.com", "*.a.foo.com"));
  CHECK_FALSE(v::hostSubsetOf("*.foo.com", "a.foo.com"));
  CHECK(v::hostSubsetOf("foo.com", "foo.com"));
  CHECK_FALSE(v::hostSubsetOf("foo.com", "bar.com"));
}

TEST_CASE("label maps check keys and values, values not limited to 63", "[validate-common]") {
  NodeCheck ok("app: reviews\nexample.com/tier: \"\"\nv: " + std::string(70, 'a') + "\n");
  v::checkLabelMap(ok.root(), ok.rep(), "lbl");
  CHECK(ok.diags().empty());

  NodeCheck bad("\"-bad\": x\ngood: \"bad value\"\n\"a/b/c\": x\n" + std::string(64, 'k') +
                ": x\n");
  v::checkLabelMap(bad.root(), bad.rep(), "lbl");
  REQUIRE(bad.diags().size() == 4);
  CHECK(bad.diags()[0].loc.line == 1);
  CHECK(bad.diags()[0].loc.column == 1);
  CHECK(bad.diags()[1].loc.line == 2);
  CHECK(bad.diags()[1].loc.column == 7);
}

TEST_CASE("exportTo rejects duplicates, tilde outside SE and mixed star", "[validate-common]") {
  NodeCheck ok("[\".\", other-ns]\n");
  v::checkExportTo(ok.root(), false, ok.rep(), "exp");
  CHECK(ok.diags().empty());

  NodeCheck dup("[\".\", default]\n");
  v::checkExportTo(dup.root(), false, dup.rep(), "exp");
  CHECK(dup.diags().size() == 1);

  NodeCheck tilde("[\"~\"]\n");
  v::checkExportTo(tilde.root(), false, tilde.rep(), "exp");
  CHECK(tilde.diags().size() == 1);
  NodeCheck tilde_se("[\"~\"]\n");
  v::checkExportTo(tilde_se.root(), true, tilde_se.rep(), "exp");
  CHECK(tilde_se.diags().empty());

  NodeCheck mixed("[\"*\", ns1]\n");
  v::checkExportTo(mixed.root(), false, mixed.rep(), "exp");
  CHECK(mixed.diags().size() == 1);

  NodeCheck bad_label("[Not_A_Label]\n");
  v::checkExportTo(bad_label.root(), false, bad_label.rep(), "exp");
  CHECK(bad_label.diags().size() == 1);
}

TEST_CASE("string match rejects empty prefix and regex, allows empty exact", "[validate-common]") {
  NodeCheck exact("exact: \"\"\n");
  v::checkStringMatch(exact.root(), exact.rep(), "sm", false);
  CHECK(exact.diags().empty());

  NodeCheck prefix("prefix: \"\"\n");
  v::checkStringMatch(prefix.root(), prefix.rep(), "sm", false);
  CHECK(prefix.diags().size() == 1);

  NodeCheck uri_prefix("prefix: \"\"\n");
  v::checkStringMatch(uri_prefix.root(), uri_prefix.rep(), "sm", true);
  CHECK(uri_prefix.diags().empty());

  NodeCheck regex("regex: \"\"\n");
  v::checkStringMatch(regex.root(), regex.rep(), "sm", true);
  CHECK(regex.diags().size() == 1);

  NodeCheck bad_regex("regex: \"a(\"\n");
  v::checkStringMatch(bad_regex.root(), bad_regex.rep(), "sm", false);
  REQUIRE(bad_regex.diags().size() == 1);
  CHECK(bad_regex.diags()[0].loc.column == 8);
}

TEST_CASE("workload selectors reject empty keys and wildcards, warn without labels",
          "[validate-common]") {
  NodeCheck ok("matchLabels:\n  app: reviews\n");
  v::checkWorkloadSelector(ok.root(), ok.rep(), "sel");
  CHECK(ok.diags().empty());

  NodeCheck wild("matchLabels:\n  app: \"re*\"\n  \"\": x\n");
  v::checkWorkloadSelector(wild.root(), wild.rep(), "sel");
  CHECK(wild.count(Severity::kError) == 2);

  NodeCheck empty("matchLabels: {}\n");
  v::checkWorkloadSelector(empty.root(), empty.rep(), "sel");
  CHECK(empty.count(Severity::kWarning) == 1);
}

TEST_CASE("alpha selectors short-circuit on errors and warn on empty labels", "[validate-common]") {
  NodeCheck ok("labels:\n  app: reviews\n");
  CHECK(v::checkAlphaWorkloadSelector(ok.root(), ok.rep(), "sel", "w"));
  CHECK(ok.diags().empty());

  NodeCheck wild("labels:\n  \"a*\": x\n");
  CHECK_FALSE(v::checkAlphaWorkloadSelector(wild.root(), wild.rep(), "sel", "w"));
  CHECK(wild.count(Severity::kError) == 1);

  NodeCheck empty("labels: {}\n");
  CHECK(v::checkAlphaWorkloadSelector(empty.root(), empty.rep(), "sel", "sidecar: no labels"));
  REQUIRE(empty.diags().size() == 1);
  CHECK(empty.diags()[0].message == "sidecar: no labels");
  CHECK(empty.diags()[0].severity == Severity::kWarning);
}

TEST_CASE("destinations check host, subset and port", "[validate-common]") {
  NodeCheck ok("host: reviews\nsubset: v1\nport:\n  number: 9080\n");
  v::checkDestination(ok.root(), ok.rep(), "dst");
  CHECK(ok.diags().empty());

  NodeCheck wildcard_ok("host: \"*.example.com\"\n");
  v::checkDestination(wildcard_ok.root(), wildcard_ok.rep(), "dst");
  CHECK(wildcard_ok.diags().empty());

  NodeCheck star("host: \"*\"\n");
  v::checkDestination(star.root(), star.rep(), "dst");
  CHECK(star.diags().size() == 1);

  NodeCheck bad("host: bad_host\nsubset: v_1\nport:\n  number: 70000\n");
  v::checkDestination(bad.root(), bad.rep(), "dst");
  REQUIRE(bad.diags().size() == 3);
  CHECK(bad.diags()[2].loc.line == 4);
}

TEST_CASE("gateway names: legacy form warns, checking stops after first slash-less entry",
          "[validate-common]") {
  NodeCheck ok("[mesh, istio-system/gw, \"gw.istio-system.svc.cluster.local\"]\n");
  v::checkGatewayNames(ok.root(), ok.rep(), "gw", false);
  CHECK(ok.diags().empty());

  NodeCheck legacy("[gw.istio-system]\n");
  v::checkGatewayNames(legacy.root(), legacy.rep(), "gw", true);
  REQUIRE(legacy.diags().size() == 1);
  CHECK(legacy.diags()[0].severity == Severity::kWarning);
  CHECK(legacy.diags()[0].message.find("istio-system/gw") != std::string::npos);

  NodeCheck dropped("[gw.istio-system]\n");
  v::checkGatewayNames(dropped.root(), dropped.rep(), "gw", false);
  CHECK(dropped.diags().empty());

  // The bad entry after "mesh" is never looked at, as in Istio.
  NodeCheck stops("[mesh, \"bad/Not_Valid\"]\n");
  v::checkGatewayNames(stops.root(), stops.rep(), "gw", true);
  CHECK(stops.diags().empty());

  NodeCheck bad("[\"ns/Not_Valid\", \"/gw\"]\n");
  v::checkGatewayNames(bad.root(), bad.rep(), "gw", true);
  CHECK(bad.count(Severity::kError) == 3);
}
