// Tests for native code generation and loading: the generated functions' shape, every codegen
// strategy (single trie, both tries, split subtrees, interpreter fallback) against the reference
// engine, CPU choices, and bundles with native code (round trip, foreign platform fallback,
// damaged sub-header).
#include "codegen/codegen.h"

#include <llvm/ADT/StringMap.h>
#include <llvm/ADT/StringRef.h>
#include <llvm/TargetParser/Host.h>

#include <catch2/catch.hpp>
#include <map>

#include "bundle/bundle_reader.h"
#include "bundle_test_util.h"
#include "codegen/simple_regex.h"
#include "emit/bundle_writer.h"
#include "routing/interpreter.h"
#include "ir/ir.h"
#include "ir/reference_eval.h"
#include "native/native_router.h"

using namespace meshc;

namespace {

xds::Route route(const std::string& name, xds::PathMatcher::Kind kind, const std::string& path,
                 bool case_sensitive = true) {
  xds::Route r;
  r.name = name;
  r.match.path = {kind, path};
  r.match.case_sensitive = case_sensitive;
  r.route.cluster = name;
  return r;
}

xds::HeaderMatcher header(const std::string& name, const std::string& value) {
  xds::HeaderMatcher h;
  h.name = name;
  h.string_match = xds::StringMatcher{xds::StringMatcher::Kind::kExact, value, false};
  return h;
}

// A host mixing every path kind, ignoreUriCase routes interleaved with case-sensitive ones,
// header switches, regexes with and without a literal prefix, query and header residuals.
xds::RouteConfiguration mixedConfig() {
  using K = xds::PathMatcher::Kind;
  xds::RouteConfiguration rc;
  rc.name = "mixed";
  xds::VirtualHost vh;
  vh.name = "api";
  vh.domains = {"api.example.com", "*.api.example.com", "api.*"};
  vh.routes.push_back(route("ci-docs", K::kPrefix, "/Docs", false));
  vh.routes.push_back(route("exact-health", K::kPath, "/health"));
  for (const char* method : {"GET", "POST", "PUT", "DELETE", "PATCH"}) {
    xds::Route r = route(std::string("orders-") + method, K::kPrefix, "/orders");
    r.match.headers.push_back(header(":method", method));
    vh.routes.push_back(r);
  }
  vh.routes.push_back(route("ci-orders", K::kPath, "/ORDERS/export", false));
  vh.routes.push_back(route("regex-users", K::kSafeRegex, "/users/[0-9]+"));
  vh.routes.push_back(route("regex-any-v", K::kSafeRegex, ".*/v[0-9]+"));
  xds::Route q = route("search", K::kPrefix, "/search");
  xds::QueryParameterMatcher qp;
  qp.name = "q";
  qp.present_match = true;
  q.match.query_parameters.push_back(qp);
  vh.routes.push_back(q);
  vh.routes.push_back(route("seg", K::kPathSeparatedPrefix, "/static"));
  xds::Route inv = route("not-beta", K::kPrefix, "/b");
  xds::HeaderMatcher h = header("x-beta", "1");
  h.invert_match = true;
  inv.match.headers.push_back(h);
  vh.routes.push_back(inv);
  vh.routes.push_back(route("ci-root", K::kPrefix, "/A", false));
  vh.routes.push_back(route("catch-all", K::kPrefix, "/"));
  rc.virtual_hosts.push_back(vh);
  xds::VirtualHost other;
  other.name = "other";
  other.domains = {"*"};
  other.routes.push_back(route("other", K::kPrefix, "/"));
  rc.virtual_hosts.push_back(other);
  return rc;
}

std::vector<ir::HttpRequest> probeRequests() {
  std::vector<ir::HttpRequest> out;
  const char* hosts[] = {"api.example.com", "x.api.example.com", "api.other", "nope.org",
                         "API.EXAMPLE.COM:8080"};
  const char* paths[] = {"/",
                         "/docs/x",
                         "/DOCS",
                         "/Docsy",
                         "/health",
                         "/health/",
                         "/orders",
                         "/orders/1",
                         "/ORDERS/EXPORT",
                         "/orders/export",
                         "/users/12",
                         "/users/x",
                         "/a/b/v2",
                         "/search?q=1",
                         "/search",
                         "/static",
                         "/static/a.css",
                         "/staticx",
                         "/b",
                         "/beta",
                         "/a",
                         "/Abc",
                         ""};
  const char* methods[] = {"GET", "POST", "DELETE", "OPTIONS"};
  for (const char* host : hosts) {
    for (const char* path : paths) {
      for (const char* method : methods) {
        for (bool beta : {false, true}) {
          ir::HttpRequest r;
          r.authority = host;
          r.path = path;
          r.method = method;
          if (beta) {
            r.headers.emplace_back("x-beta", "1");
          }
          out.push_back(r);
        }
      }
    }
  }
  return out;
}

// Compiles `rc` with `options`, links the object and checks every probe against the reference.
codegen::CodegenStats checkAgainstReference(const xds::RouteConfiguration& rc,
                                            const codegen::CodegenOptions& options) {
  ir::RouteProgram program = ir::buildRouteProgram(rc);
  Expected<codegen::NativeObject> object = codegen::compileNative({program}, options);
  if (!object) {
    FAIL(object.status().message());
  }
  Expected<std::unique_ptr<native::NativeRouter>> router =
      native::NativeRouter::load(object->object, object->platform, object->function_count);
  if (!router) {
    FAIL(router.status().message());
  }
  ir::ReferenceEvaluator reference(rc);
  for (const ir::HttpRequest& req : probeRequests()) {
    ir::RequestView view = ir::RequestView::create(req);
    ir::RouteDecision want = reference.evaluate(view);
    ir::RouteDecision got = (*router)->evaluate(0, program, view);
    INFO(req.method << " " << req.authority << req.path);
    REQUIRE(ir::describeDecision(got) == ir::describeDecision(want));
  }
  return object->stats;
}

}  // namespace

TEST_CASE("native code agrees with the reference on every path kind and both tries", "[codegen]") {
  codegen::CodegenStats stats = checkAgainstReference(mixedConfig(), {});
  CHECK(stats.native_virtual_hosts == 2);
  CHECK(stats.fallback_virtual_hosts == 0);
  CHECK(stats.opt_level == 2);  // a small module gets the -O2 pipeline
}

TEST_CASE("native code agrees when every subtree is its own function", "[codegen]") {
  codegen::CodegenOptions options;
  options.split_subtree_nodes = 1;
  codegen::CodegenStats stats = checkAgainstReference(mixedConfig(), options);
  CHECK(stats.functions > 10);
}

TEST_CASE("native code agrees without LLVM optimisation", "[codegen]") {
  codegen::CodegenOptions options;
  options.opt_level = 0;
  CHECK(checkAgainstReference(mixedConfig(), options).opt_level == 0);
}

TEST_CASE("an oversized virtual host calls the interpreter from native code", "[codegen]") {
  codegen::CodegenOptions options;
  options.min_candidate_budget = 1;
  options.candidate_budget_per_route = 0;
  codegen::CodegenStats stats = checkAgainstReference(mixedConfig(), options);
  CHECK(stats.fallback_virtual_hosts == 2);
  CHECK(stats.native_virtual_hosts == 0);
}

TEST_CASE("every generated function is nounwind and only entry points are exported", "[codegen]") {
  ir::RouteProgram program = ir::buildRouteProgram(mixedConfig());
  codegen::CodegenOptions options;
  std::string ir_text;
  options.llvm_ir = &ir_text;
  REQUIRE(codegen::compileNative({program, program}, options).hasValue());
  // Attribute groups by number: "attributes #3 = { nounwind willreturn }" -> {3: " nounwind ..."}.
  std::map<std::string, std::string> groups;
  for (size_t at = ir_text.find("\nattributes #"); at != std::string::npos;
       at = ir_text.find("\nattributes #", at + 1)) {
    std::string line = ir_text.substr(at + 1, ir_text.find('\n', at + 1) - at - 1);
    size_t eq = line.find(" = {");
    REQUIRE(eq != std::string::npos);
    groups[line.substr(std::string("attributes ").size(), eq - std::string("attributes ").size())] =
        " " + line.substr(eq + 4);
  }
  // A function line names its attribute group as " #N" after the parameter list (for a
  // definition, right before " {"). Every defined and every declared function must be nounwind.
  auto is_nounwind = [&](const std::string& line) {
    size_t close = line.rfind(')');
    size_t hash = line.find(" #", close == std::string::npos ? 0 : close);
    if (hash == std::string::npos) {
      return false;
    }
    size_t end = line.find_first_not_of("0123456789", hash + 2);
    std::string group = line.substr(hash + 1, end == std::string::npos ? end : end - hash - 1);
    auto it = groups.find(group);
    return it != groups.end() && (it->second.find(" nounwind ") != std::string::npos ||
                                  it->second.find(" nounwind}") != std::string::npos);
  };
  size_t defines = 0, exported = 0, declares = 0;
  for (const char* keyword : {"\ndefine ", "\ndeclare "}) {
    for (size_t at = ir_text.find(keyword); at != std::string::npos;
         at = ir_text.find(keyword, at + 1)) {
      std::string line = ir_text.substr(at + 1, ir_text.find('\n', at + 1) - at - 1);
      INFO(line);
      CHECK(is_nounwind(line));
      if (line.rfind("declare ", 0) == 0) {
        ++declares;
        continue;
      }
      ++defines;
      if (line.find(" internal ") == std::string::npos) {
        ++exported;
        CHECK(line.find("@" + native::entrySymbolPrefix()) != std::string::npos);
      }
    }
  }
  CHECK(exported == 2);
  CHECK(defines > 4);
  CHECK(ir_text.find("switch i8") != std::string::npos);   // path bytes
  CHECK(ir_text.find("switch i64") != std::string::npos);  // host length / words
}

TEST_CASE("code for the native CPU records its features, an unknown CPU is refused", "[codegen]") {
  ir::RouteProgram program = ir::buildRouteProgram(mixedConfig());
  codegen::CodegenOptions options;
  options.cpu = "native";
  Expected<codegen::NativeObject> object = codegen::compileNative({program}, options);
  REQUIRE(object.hasValue());
  CHECK(object->platform.cpu == llvm::sys::getHostCPUName().str());
  CHECK(object->platform.features.find('+') != std::string::npos);
  std::string why;
  CHECK(native::platformRunsHere(object->platform, &why));
  options.cpu = "no-such-cpu";
  Expected<codegen::NativeObject> bad = codegen::compileNative({program}, options);
  REQUIRE_FALSE(bad.hasValue());
  CHECK(bad.status().message().find("unknown CPU \"no-such-cpu\"") != std::string::npos);
}

TEST_CASE("generic x86-64 code is byte-identical across compiles", "[codegen]") {
  ir::RouteProgram program = ir::buildRouteProgram(mixedConfig());
  Expected<codegen::NativeObject> a = codegen::compileNative({program});
  Expected<codegen::NativeObject> b = codegen::compileNative({program});
  REQUIRE(a.hasValue());
  REQUIRE(b.hasValue());
  CHECK(a->object == b->object);
  CHECK(a->platform.cpu == "x86-64");
  CHECK(a->platform.features.empty());
}

namespace {

std::string bundleWithNative(const testing::Compiled& c, const std::string& triple = "",
                             const std::string& features = "") {
  std::vector<ir::RouteProgram> programs;
  for (size_t i = 0; i < c.simulator->config().route_configs.size(); ++i) {
    programs.push_back(c.simulator->program(i));
  }
  Expected<codegen::NativeObject> object = codegen::compileNative(programs);
  REQUIRE(object.hasValue());
  emit::BundleInputs in;
  in.config = &c.simulator->config();
  in.programs = &programs;
  in.source_files = {"test.yaml"};
  in.native = emit::NativeCode{object->platform, std::move(object->object), object->function_count};
  if (!triple.empty()) {
    in.native->platform.triple = triple;
  }
  in.native->platform.features = features;
  return emit::writeBundle(in);
}

}  // namespace

TEST_CASE("a bundle's native code links and answers as the portable tree", "[codegen][bundle]") {
  testing::Compiled c =
      testing::compileYaml(testing::readSample("samples/shop"), testing::shopGateway());
  std::string bytes = bundleWithNative(c);
  CHECK(bytes == bundleWithNative(c));  // byte-identical with native code too
  Expected<bundle::Bundle> b = bundle::readBundle(bytes, "routes.mcb");
  REQUIRE(b.hasValue());
  REQUIRE(b->native.has_value());
  CHECK(b->native->cpu == "x86-64");
  CHECK(b->native->function_count == b->programs.size());
  std::string warning;
  std::unique_ptr<native::NativeRouter> router = native::loadBundleNative(*b, &warning);
  REQUIRE(router != nullptr);
  CHECK(warning.empty());
  auto s = sim::Simulator::create(b->config, b->programs);
  REQUIRE(s.hasValue());
  REQUIRE((*s)->setNative(std::move(router)).isOk());
  for (const char* line :
       {"GET https://shop.example.com/products", "GET https://shop.example.com/api/cart",
        "GET http://shop.example.com/", "GET https://x.example.com/"}) {
    Expected<sim::SimRequest> req = sim::parseRequestLine(line);
    REQUIRE(req.hasValue());
    sim::SimResult native_result = (*s)->run(*req, sim::EngineKind::kNative);
    sim::SimResult tree_result = (*s)->run(*req, sim::EngineKind::kInterpreter);
    CHECK(native_result.route == tree_result.route);
    CHECK(native_result.virtual_host == tree_result.virtual_host);
    CHECK(native_result.trace == tree_result.trace);
  }
}

TEST_CASE("native code for a foreign platform falls back to the portable tree with a warning",
          "[codegen][bundle]") {
  testing::Compiled c =
      testing::compileYaml(testing::readSample("samples/shop"), testing::shopGateway());
  Expected<bundle::Bundle> b =
      bundle::readBundle(bundleWithNative(c, "aarch64-unknown-linux-gnu"), "routes.mcb");
  REQUIRE(b.hasValue());  // the bundle itself is fine
  uint64_t before = native::nativeFallbackCount();
  std::string warning;
  CHECK(native::loadBundleNative(*b, &warning) == nullptr);
  CHECK(native::nativeFallbackCount() == before + 1);
  CHECK(warning.rfind("native code is for aarch64-unknown-linux-gnu, this host is ", 0) == 0);
  CHECK(warning.find("; routing on the portable decision tree instead") != std::string::npos);
  // A CPU feature this host lacks (when LLVM knows one) also falls back.
  std::string missing;
  for (const auto& f : llvm::sys::getHostCPUFeatures()) {
    if (!f.second) {
      missing = "+" + f.first().str();
      break;
    }
  }
  if (!missing.empty()) {
    Expected<bundle::Bundle> nb =
        bundle::readBundle(bundleWithNative(c, "", "+sse2," + missing), "routes.mcb");
    REQUIRE(nb.hasValue());
    CHECK(native::loadBundleNative(*nb, &warning) == nullptr);
    CHECK(warning.find("needs " + missing + ", which this CPU lacks") != std::string::npos);
  }
}

TEST_CASE("a damaged native-code sub-header is refused", "[codegen][bundle]") {
  testing::Compiled c =
      testing::compileYaml(testing::readSample("samples/shop"), testing::shopGateway());
  std::string bytes = bundleWithNative(c);
  Expected<bundle::BundleSummary> s = bundle::inspectBundle(bytes, "routes.mcb");
  REQUIRE(s.hasValue());
  REQUIRE(s->native.has_value());
  const bundle::SectionEntry& natv = s->sections.back();
  REQUIRE(std::string(bundle::sectionKindName(natv.kind)) == "NATV");
  std::string bad = bytes;
  bundle::storeU32(bad, natv.offset, 9);  // sub-header version
  testing::reseal(bad);
  bundle::BundleErrorKind kind{};
  Expected<bundle::Bundle> b = bundle::readBundle(bad, "routes.mcb", &kind);
  REQUIRE_FALSE(b.hasValue());
  CHECK(kind == bundle::BundleErrorKind::kNativeCodeInvalid);
  CHECK(b.status().message() == "routes.mcb: native-code sub-header version 9, expected 1");
  // Garbage instead of the object: readable, but linking fails and the tree takes over.
  std::string garbage = bytes;
  for (uint64_t i = natv.offset + natv.size - 64; i < natv.offset + natv.size; ++i) {
    garbage[i] = '\x5a';
  }
  testing::reseal(garbage);
  Expected<bundle::Bundle> g = bundle::readBundle(garbage, "routes.mcb");
  REQUIRE(g.hasValue());
  std::string warning;
  CHECK(native::loadBundleNative(*g, &warning) == nullptr);
  CHECK(warning.find("native object: ") == 0);
}

TEST_CASE("simple regexes are matched by native code exactly as RE2 matches them", "[codegen]") {
  struct Pattern {
    const char* regex;
    bool simple;  // expected to be compiled natively
  };
  const Pattern patterns[] = {
      {"/users/[0-9]+", true},
      {"[a-z]+-v[0-9]+", true},
      {"/api/v[12]/.*", true},
      {"[^/]+/x", true},
      {"a?b", true},
      {"a*", true},
      {"", true},
      {"\\d+", true},
      {"\\w+\\.\\w+", true},
      {"x\\.y", true},
      {"[]a]+", true},
      {"[a-]*z", true},
      {"colou?r", true},
      {"[^a]*b", false},
      {".*\\.css", false},
      {"a*a", false},
      {"(a)", false},
      {"a|b", false},
      {"a{2}", false},
      {"\xc3\xa9", false},
      {".", false},
      {"[^/]", false},
      {"a+?", false},
      {"^a", false},
      {"\\bx", false},
      {"[[:alpha:]]+", false},
      {"\\s*x", true},
  };
  const char* inputs[] = {"",          "a",       "aa",           "ab",         "b",
                          "/users/12", "/users/", "/users/12/x",  "abc-v2",     "colour",
                          "color",     "x.y",     "x/x",          "\xc3\xa9/x", "\xff\xfe/x",
                          "\n",        "a\nb",    "]]a",          "-z",         "/api/v1/\xc3\xa9",
                          "x.css",     " \t x",   "\xc3\xa9\n/x", "/api/v3/x",  "aaab",
                          "b\nb"};
  xds::RouteConfiguration rc;
  rc.name = "re";
  xds::VirtualHost vh;
  vh.name = "re";
  vh.domains = {"*"};
  size_t expected_simple = 0;
  for (size_t k = 0; k < std::size(patterns); ++k) {
    INFO(patterns[k].regex);
    CHECK(codegen::parseSimpleRegex(patterns[k].regex).has_value() == patterns[k].simple);
    expected_simple += patterns[k].simple ? 1 : 0;
    xds::Route r =
        route("r" + std::to_string(k), xds::PathMatcher::Kind::kPath, "/k" + std::to_string(k));
    xds::HeaderMatcher h;
    h.name = "x-v";
    h.string_match = xds::StringMatcher{xds::StringMatcher::Kind::kRegex, patterns[k].regex, false};
    r.match.headers.push_back(h);
    vh.routes.push_back(r);
  }
  rc.virtual_hosts.push_back(vh);
  ir::RouteProgram program = ir::buildRouteProgram(rc);
  Expected<codegen::NativeObject> object = codegen::compileNative({program});
  REQUIRE(object.hasValue());
  CHECK(object->stats.native_regexes == expected_simple);
  auto router = native::NativeRouter::load(object->object, object->platform, 1);
  REQUIRE(router.hasValue());
  ir::ReferenceEvaluator reference(rc);
  for (size_t k = 0; k < std::size(patterns); ++k) {
    for (const char* input : inputs) {
      ir::HttpRequest req;
      req.authority = "x";
      req.path = "/k" + std::to_string(k);
      req.headers.emplace_back("x-v", input);
      ir::RequestView view = ir::RequestView::create(req);
      INFO("pattern \"" << patterns[k].regex << "\" value \"" << input << "\"");
      CHECK(ir::describeDecision((*router)->evaluate(0, program, view)) ==
            ir::describeDecision(reference.evaluate(view)));
    }
  }
}

TEST_CASE("on the samples, all four engines agree on generated requests", "[codegen][bundle]") {
  // Requests built from the configuration itself (every domain, every route path and variants
  // of it, with and without the headers routes test), through a gateway and a sidecar bundle.
  for (const auto& proxy : {testing::shopGateway(), testing::shopSidecar()}) {
    testing::Compiled c = testing::compileYaml(testing::readSample("samples/shop"), proxy);
    Expected<bundle::Bundle> b = bundle::readBundle(bundleWithNative(c), "routes.mcb");
    REQUIRE(b.hasValue());
    std::string warning;
    std::unique_ptr<native::NativeRouter> router = native::loadBundleNative(*b, &warning);
    REQUIRE(router != nullptr);
    size_t compared = 0;
    for (size_t rc = 0; rc < b->config.route_configs.size(); ++rc) {
      const xds::RouteConfiguration& config = c.simulator->config().route_configs[rc];
      ir::ReferenceEvaluator reference(config);
      std::vector<std::string> hosts = {"unknown.example.org"};
      std::vector<std::string> paths = {"/", "", "/x"};
      std::vector<std::pair<std::string, std::string>> headers = {{"x-none", "1"}};
      for (const auto& vh : config.virtual_hosts) {
        for (const std::string& d : vh.domains) {
          std::string h = d;
          for (char& ch : h) {
            ch = ch == '*' ? 'w' : ch;
          }
          hosts.push_back(h);
        }
        for (const auto& r : vh.routes) {
          paths.push_back(r.match.path.value);
          paths.push_back(r.match.path.value + "/more");
          paths.push_back(r.match.path.value + "x");
          std::string upper = r.match.path.value;
          for (char& ch : upper) {
            ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
          }
          paths.push_back(upper);
          for (const auto& hm : r.match.headers) {
            headers.emplace_back(hm.name, hm.string_match ? hm.string_match->value : "v");
          }
        }
      }
      for (const std::string& host : hosts) {
        for (const std::string& path : paths) {
          for (const auto& header : headers) {
            for (const char* method : {"GET", "POST"}) {
              ir::HttpRequest req;
              req.authority = host;
              req.path = path;
              req.method = method;
              req.headers.push_back(header);
              ir::RequestView view = ir::RequestView::create(req);
              std::string want = ir::describeDecision(reference.evaluate(view));
              INFO(config.name << " " << host << path << " " << header.first);
              REQUIRE(ir::describeDecision(ir::evaluateProgram(c.simulator->program(rc), view)) ==
                      want);
              REQUIRE(ir::describeDecision(ir::evaluateProgram(b->programs[rc], view)) == want);
              REQUIRE(ir::describeDecision(router->evaluate(rc, b->programs[rc], view)) == want);
              ++compared;
            }
          }
        }
      }
    }
    CHECK(compared > 400);
  }
}
