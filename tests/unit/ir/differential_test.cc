// Differential test: generated route configurations and requests; the IR interpreter and the
// portable tree read back from a bundle must agree with the ordered-scan reference on every
// request (400 configurations x 250 requests = 100,000 by default). Also checks that every program
// verifies and that every shadowing finding is sound on the generated requests.
#include <chrono>
#include <cstdlib>
#include <random>

#include "bundle/bundle_reader.h"
#include "codegen/codegen.h"
#include "native/native_router.h"
#include "emit/bundle_writer.h"
#include "ir/dump.h"
#include "ir/shadow_analysis.h"
#include "ir_test_util.h"

namespace meshc::ir::testing {
namespace {

class Generator {
 public:
  explicit Generator(uint32_t seed) : rng_(seed) {}

  lower::RouteConfiguration config() {
    lower::RouteConfiguration c;
    c.name = "gen";
    c.ignore_port_in_host_matching = chance(85);
    bool many = chance(20);
    int vhosts = many ? pick(10, 40) : pick(1, 4);
    for (int v = 0; v < vhosts; ++v) {
      lower::VirtualHost vh;
      vh.name = "vh" + std::to_string(v);
      int domains = pick(1, 3);
      for (int d = 0; d < domains; ++d) {
        vh.domains.push_back(many ? manyDomain() : oneOf(kDomains));
      }
      int routes = many ? pick(0, 6) : pick(0, 28);
      // Dense hosts reuse a few paths with method tests, as REST APIs do (header switches).
      dense_ = !many && chance(25);
      dense_paths_ = {randomPath(), randomPath(), "/"};
      for (int r = 0; r < routes; ++r) {
        vh.routes.push_back(route());
      }
      c.virtual_hosts.push_back(std::move(vh));
    }
    return c;
  }

  HttpRequest request(const lower::RouteConfiguration& c) {
    HttpRequest req;
    req.authority = host(c);
    req.method = oneOf(std::vector<std::string>{"GET", "GET", "POST", "PUT", "get"});
    req.scheme = chance(80) ? "http" : "https";
    const lower::Route* target = nullptr;
    if (!c.virtual_hosts.empty() && chance(70)) {
      const auto& vh = c.virtual_hosts[pick(0, static_cast<int>(c.virtual_hosts.size()) - 1)];
      if (!vh.routes.empty()) {
        target = &vh.routes[pick(0, static_cast<int>(vh.routes.size()) - 1)];
      }
    }
    req.path = target != nullptr ? pathNear(*target) : randomPath();
    if (chance(30)) {
      req.path += "?" + queryString();
    }
    if (target != nullptr && chance(60)) {
      satisfy(*target, req);
    }
    int extra = pick(0, 3);
    for (int i = 0; i < extra; ++i) {
      req.headers.emplace_back(oneOf(kHeaderNames), oneOf(kValues));
    }
    if (chance(15)) {
      req.claims.emplace_back(oneOf(kClaims), oneOf(kValues));
    }
    return req;
  }

 private:
  inline static const std::vector<std::string> kDomains = {
      "a.com", "b.a.com", "A.com", "x-svc.ns", "*.a.com",   "*.com", "*-svc.ns",
      "api.*", "a.*",     "*",     "c.org",    "*.b.a.com", "",      "a.com:8080"};
  inline static const std::vector<std::string> kSegments = {"a",  "A",  "ab", "api",   "API", "Api",
                                                            "v1", "v2", "x",  "users", "42",  ""};
  inline static const std::vector<std::string> kRegexes = {
      "/api/.*", "/[a-z]+", "(?i)/API/v[0-9]", ".*", "/users/[0-9]+", "/a|/b", "/x/?",
      "/.*/v1",  "/A.*",    "[/a-z]*",         "(",  "/api/v1"};
  inline static const std::vector<std::string> kHeaderNames = {"x-a", "x-b", "X-A", "x-c"};
  inline static const std::vector<std::string> kValues = {"",     "1",   "foo", "Foo", "GET",
                                                          "POST", "a,b", "12",  "fo",  "xfoo"};
  inline static const std::vector<std::string> kClaims = {"sub", "groups", "org.team"};

  bool chance(int percent) { return std::uniform_int_distribution<int>(0, 99)(rng_) < percent; }
  int pick(int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng_); }
  template <typename T>
  const T& oneOf(const std::vector<T>& v) {
    return v[pick(0, static_cast<int>(v.size()) - 1)];
  }

  std::string manyDomain() {
    std::string k = std::to_string(pick(0, 15));
    switch (pick(0, 4)) {
      case 0:
        return "s" + k + ".com";
      case 1:
        return "*.s" + k + ".com";
      case 2:
        return "*-" + k + ".svc";
      case 3:
        return "p" + k + ".*";
      default:
        return chance(20) ? "*" : "h" + k + ".s" + k + ".com";
    }
  }

  std::string randomPath() {
    std::string p;
    int n = pick(0, 3);
    for (int i = 0; i < n; ++i) {
      p += "/" + oneOf(kSegments);
    }
    if (p.empty() || chance(15)) {
      p += "/";
    }
    return p;
  }

  lower::StringMatcher stringMatcher(bool allow_regex) {
    lower::StringMatcher m;
    int k = pick(0, allow_regex ? 5 : 4);
    m.kind = k == 0 || k == 5 ? SKind::kExact
             : k == 1         ? SKind::kPrefix
             : k == 2         ? SKind::kSuffix
             : k == 3         ? SKind::kContains
                              : SKind::kRegex;
    if (k == 4 && !allow_regex) {
      m.kind = SKind::kExact;
    }
    m.value = m.kind == SKind::kRegex
                  ? oneOf(std::vector<std::string>{"f.*", "[0-9]+", "", "(", "(?i)foo", "a,b"})
                  : oneOf(kValues);
    m.ignore_case = chance(15);
    return m;
  }

  lower::Route route() {
    lower::Route r;
    r.name = "r";
    int k = pick(0, 99);
    auto& p = r.match.path;
    if (k < 35) {
      p.kind = lower::PathMatcher::Kind::kPrefix;
      p.value = chance(10) ? "/" : randomPath();
      if (chance(20) && p.value.size() > 1) {
        p.value.pop_back();  // prefixes that end mid-segment
      }
    } else if (k < 65) {
      p.kind = lower::PathMatcher::Kind::kPath;
      p.value = randomPath();
    } else if (k < 82) {
      p.kind = lower::PathMatcher::Kind::kSafeRegex;
      p.value = oneOf(kRegexes);
    } else {
      p.kind = lower::PathMatcher::Kind::kPathSeparatedPrefix;
      p.value = randomPath();
      if (chance(60) && p.value.size() > 1 && p.value.back() == '/') {
        p.value.pop_back();
      }
    }
    r.match.case_sensitive = chance(70);
    if (dense_ && p.kind != lower::PathMatcher::Kind::kSafeRegex) {
      p.value = oneOf(dense_paths_);
      r.match.case_sensitive = chance(90);
    }
    if (chance(dense_ ? 75 : 30)) {
      lower::HeaderMatcher m;
      m.name = ":method";
      m.string_match = lower::StringMatcher{
          SKind::kExact, oneOf(std::vector<std::string>{"GET", "POST", "PUT"}), false};
      r.match.headers.push_back(m);
    }
    int headers = pick(0, 2);
    for (int i = 0; i < headers; ++i) {
      lower::HeaderMatcher h;
      h.name = oneOf(std::vector<std::string>{"x-a", "x-b", ":authority", ":scheme", "x-c"});
      if (chance(30)) {
        h.present_match = true;
      } else if (chance(95)) {
        h.string_match = stringMatcher(true);
      }
      h.invert_match = chance(25);
      h.treat_missing_header_as_empty = chance(25);
      r.match.headers.push_back(h);
    }
    if (chance(25)) {
      lower::QueryParameterMatcher q;
      q.name = oneOf(std::vector<std::string>{"q", "v"});
      if (chance(30)) {
        q.present_match = true;
      } else {
        q.string_match = stringMatcher(true);
      }
      r.match.query_parameters.push_back(q);
    }
    if (chance(10)) {
      lower::ClaimMatcher c;
      std::string claim = oneOf(kClaims);
      c.claim_path = claim == "org.team" ? std::vector<std::string>{"org", "team"}
                                         : std::vector<std::string>{claim};
      if (chance(70)) {
        c.string_match = stringMatcher(false);
      }
      c.invert = chance(30);
      r.match.claims.push_back(c);
    }
    return r;
  }

  std::string host(const lower::RouteConfiguration& c) {
    std::string h;
    int k = pick(0, 9);
    if (k < 6 && !c.virtual_hosts.empty()) {
      const auto& vh = c.virtual_hosts[pick(0, static_cast<int>(c.virtual_hosts.size()) - 1)];
      h = vh.domains.empty() ? "" : oneOf(vh.domains);
      // Instantiate wildcards, sometimes with an empty wildcard part.
      if (!h.empty() && h.front() == '*') {
        h = (chance(15) ? "" : oneOf(std::vector<std::string>{"z", "q.r", "A-b"})) + h.substr(1);
      } else if (!h.empty() && h.back() == '*') {
        h = h.substr(0, h.size() - 1) + (chance(15) ? "" : "zz.io");
      }
    } else if (k < 8) {
      h = oneOf(kDomains);
      if (!h.empty() && (h.front() == '*' || h.back() == '*')) {
        h = "nope.org";
      }
    } else {
      h = oneOf(std::vector<std::string>{"unknown.io", "", "[::1]", "a.com.", "B.A.COM"});
    }
    if (chance(20)) {
      for (char& ch : h) {
        ch = static_cast<char>(chance(50) ? std::toupper(ch) : ch);
      }
    }
    if (chance(20)) {
      h += ":8080";
    }
    return h;
  }

  std::string pathNear(const lower::Route& r) {
    if (r.match.path.kind == lower::PathMatcher::Kind::kSafeRegex) {
      return oneOf(std::vector<std::string>{"/api/v1", "/users/42", "/a", "/b", "/x/", "/API/v2",
                                            "/Abc", "/api/x/v1", "/users/x"});
    }
    std::string p = r.match.path.value;
    switch (pick(0, 7)) {
      case 0:
        return p + "/" + oneOf(kSegments);
      case 1:
        return p + oneOf(kSegments);
      case 2:
        return p.empty() ? p : p.substr(0, p.size() - 1);
      case 3:
        for (char& ch : p) {
          ch = static_cast<char>(chance(50) ? std::toupper(ch) : std::tolower(ch));
        }
        return p;
      case 4:
        return p + "/";
      default:
        return p;
    }
  }

  std::string queryString() {
    std::string q;
    int n = pick(1, 3);
    for (int i = 0; i < n; ++i) {
      q += (i == 0 ? "" : "&") + oneOf(std::vector<std::string>{"q", "v", "z"});
      if (chance(80)) {
        q += "=" + oneOf(kValues);
      }
    }
    return q;
  }

  // Makes the request pass (most of) a route's residual matchers so deep paths get exercised.
  void satisfy(const lower::Route& r, HttpRequest& req) {
    for (const auto& h : r.match.headers) {
      std::string value = "1";
      if (h.string_match) {
        const auto& m = *h.string_match;
        value = m.kind == SKind::kRegex ? oneOf(kValues) : m.value;
        if (m.kind == SKind::kPrefix) {
          value += "x";
        } else if (m.kind == SKind::kSuffix || m.kind == SKind::kContains) {
          value = "x" + value;
        }
      }
      if (h.invert_match && chance(70)) {
        continue;
      }
      if (h.name == ":method") {
        req.method = value;
      } else if (h.name == ":authority") {
        req.authority = value;
      } else if (h.name == ":scheme") {
        req.scheme = value;
      } else {
        req.headers.emplace_back(h.name, value);
      }
    }
    std::string query;
    for (const auto& q : r.match.query_parameters) {
      std::string value = q.string_match && q.string_match->kind != SKind::kRegex
                              ? q.string_match->value
                              : oneOf(kValues);
      query += (query.empty() ? "" : "&") + q.name + "=" + value;
    }
    if (!query.empty()) {
      req.path += (req.path.find('?') == std::string::npos ? "?" : "&") + query;
    }
    for (const auto& c : r.match.claims) {
      std::string key;
      for (const auto& part : c.claim_path) {
        key += (key.empty() ? "" : ".") + part;
      }
      if (!c.invert) {
        req.claims.emplace_back(key, c.string_match ? c.string_match->value : "v");
      }
    }
  }

  std::mt19937 rng_;
  bool dense_ = false;
  std::vector<std::string> dense_paths_;
};

TEST_CASE("differential: interpreter, bundle tree and native code agree with the reference",
          "[ir]") {
  // MESHC_IR_DIFF_CONFIGS=20000 runs a longer soak; the default keeps the test quick.
  const char* env = std::getenv("MESHC_IR_DIFF_CONFIGS");
  const int kConfigs = env != nullptr ? std::max(1, std::atoi(env)) : 400;
  // MESHC_IR_DIFF_REQUESTS sets requests per configuration; the bench-mode run (bench/README.md)
  // uses 4,000 x 2,500 = 10 million.
  const char* env_requests = std::getenv("MESHC_IR_DIFF_REQUESTS");
  const int kRequests = env_requests != nullptr ? std::max(1, std::atoi(env_requests)) : 250;
  size_t requests = 0, routed = 0, findings = 0, switches = 0;
  auto start = std::chrono::steady_clock::now();
  // Every generated configuration becomes one route configuration of a single bundle with
  // native code (generic x86-64), written, read back, verified and linked the way a runtime
  // loads it.
  xds::ProxyConfig pc;
  std::vector<RouteProgram> programs;
  for (int seed = 1; seed <= kConfigs; ++seed) {
    Generator gen(static_cast<uint32_t>(seed));
    pc.route_configs.push_back(gen.config());
    programs.push_back(buildRouteProgram(pc.route_configs.back()));
    Status verified = verifyRouteProgram(programs.back());
    INFO("seed " << seed << "\n" << dumpRouteProgram(programs.back()));
    REQUIRE(verified.message() == "");
    for (const auto& vh : programs.back().virtual_hosts) {
      for (const auto& set : vh.sets) {
        switches += set.switch_header.empty() ? 0 : 1;
      }
    }
  }
  emit::BundleInputs inputs;
  inputs.config = &pc;
  inputs.programs = &programs;
  const bool with_native = codegen::nativeCodegenAvailable();
  if (with_native) {
    Expected<codegen::NativeObject> object = codegen::compileNative(programs);
    if (!object) {
      FAIL(object.status().message());
    }
    // Most virtual hosts must really be native control flow, not the interpreter fallback
    // (which only the two-trie hosts and oversized ones take).
    INFO("native " << object->stats.native_virtual_hosts << ", fallback "
                   << object->stats.fallback_virtual_hosts);
    CHECK(object->stats.native_virtual_hosts > 10 * object->stats.fallback_virtual_hosts);
    inputs.native = emit::NativeCode{object->platform, std::move(object->object), object->function_count};
  }
  Expected<bundle::Bundle> bundled = bundle::readBundle(emit::writeBundle(inputs), "gen.mcb");
  if (!bundled) {
    FAIL(bundled.status().message());
  }
  std::string warning;
  std::unique_ptr<native::NativeRouter> native_code = native::loadBundleNative(*bundled, &warning);
  INFO(warning);
  REQUIRE((native_code != nullptr) == with_native);
  size_t native_decisions = 0;
  for (int seed = 1; seed <= kConfigs; ++seed) {
    Generator gen(static_cast<uint32_t>(seed));
    const size_t index = static_cast<size_t>(seed - 1);
    lower::RouteConfiguration cfg = gen.config();  // same generator state as in the first pass
    const RouteProgram& program = programs[index];
    const RouteProgram& from_bundle = bundled->programs.at(index);
    ReferenceEvaluator reference(cfg);
    std::vector<ShadowFinding> shadows = findShadowedRoutes(program);
    findings += shadows.size();
    for (int i = 0; i < kRequests; ++i) {
      HttpRequest req = gen.request(cfg);
      RequestView view = RequestView::create(req);
      RouteDecision want = reference.evaluate(view);
      RouteDecision got = evaluateProgram(program, view);
      RouteDecision got_bundle = evaluateProgram(from_bundle, view);
      RouteDecision got_native = got;
      if (native_code != nullptr) {
        got_native = native_code->evaluate(index, from_bundle, view);
        ++native_decisions;
      }
      ++requests;
      routed += want.kind == RouteDecision::Kind::kRoute ? 1 : 0;
      if (!(want == got) || !(want == got_bundle) || !(want == got_native)) {
        std::string headers;
        for (const auto& [k, v] : req.headers) {
          headers += " " + k + "=" + v;
        }
        FAIL("seed " << seed << " request " << req.method << " authority=\"" << req.authority
                     << "\" path=\"" << req.path << "\" headers:" << headers << ": reference "
                     << describeDecision(want) << ", interpreter " << describeDecision(got)
                     << ", bundle tree " << describeDecision(got_bundle) << ", native "
                     << describeDecision(got_native) << "\n"
                     << dumpRouteProgram(program));
      }
      // Soundness of shadowing: whatever the shadowed route accepts, its shadower accepts.
      for (const ShadowFinding& f : shadows) {
        const auto& routes = cfg.virtual_hosts[f.virtual_host].routes;
        if (reference.routeMatches(routes[f.route], view) &&
            !reference.routeMatches(routes[f.shadowing_route], view)) {
          FAIL("seed " << seed << ": route " << f.route << " is reported shadowed by "
                       << f.shadowing_route << " (" << f.reason << ") but request path=\""
                       << req.path << "\" matches only the former");
        }
        if (want.kind == RouteDecision::Kind::kRoute &&
            want.virtual_host == static_cast<int32_t>(f.virtual_host) &&
            want.route == static_cast<int32_t>(f.route)) {
          FAIL("seed " << seed << ": shadowed route " << f.route << " won a request");
        }
      }
    }
  }
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  INFO(requests << " requests, " << routed << " routed, " << findings << " shadow findings, "
                << switches << " switches, " << seconds << " s");
  CHECK(requests == static_cast<size_t>(kConfigs * kRequests));
  // The generator must actually exercise routing, shadowing and switches.
  CHECK(routed > requests / 5);
  CHECK(findings > 100);
  CHECK(switches > 0);
  CHECK(native_decisions == (with_native ? requests : 0));
}

}  // namespace
}  // namespace meshc::ir::testing
