// `meshc test`: route test files (YAML lists of {name, proxy, request, expect}), failures with a
// diff, JUnit XML, and route coverage — Envoy's router check tool, for Istio configs.
#include <fmt/format.h>

#include <CLI/CLI.hpp>
#include <fstream>
#include <iostream>
#include <memory>
#include <set>
#include <sstream>

#include "base/quote.h"
#include "cli/commands.h"
#include "cli/routing_flags.h"
#include "cli/routing_input.h"
#include "frontend/yaml_tree.h"

namespace meshc::cli {

namespace {

struct TestFlags {
  RoutingFlags routing;
  std::vector<std::string> tests;
  std::string output = "text";
  bool coverage = false;
  double min_coverage = -1;
};

struct TestCase {
  std::string name;
  std::string file;
  uint32_t line = 0;
  ProxySpec proxy;
  sim::SimRequest request;
  nlohmann::json expect;
};

struct TestOutcome {
  const TestCase* test;
  std::vector<std::string> problems;  // empty = passed
  std::string error;                  // the proxy could not be built
};

const std::set<std::string>& expectKeys() {
  static const std::set<std::string> keys = {
      "outcome", "listener", "filterChain", "routeConfig", "virtualHost", "virtualService",
      "route", "source", "cluster", "weightedClusters", "clusterMissing", "rewrittenPath",
      "rewrittenAuthority", "redirect", "directResponse", "status", "timeout", "retries",
      "fault", "mirrors", "headers", "noRoute", "details"};
  return keys;
}

// The line of the deepest node on a dotted field path ("proxy.labels.app") under `n`, so an
// error points at the field itself rather than at its test.
uint32_t lineOfField(const frontend::Node* n, std::string_view path) {
  uint32_t line = n->loc().line;
  while (!path.empty() && n != nullptr && n->isMap()) {
    size_t dot = path.find('.');
    const frontend::MapEntry* e = n->entry(path.substr(0, dot));
    if (e == nullptr) {
      break;
    }
    line = e->key_loc.line;
    n = e->value;
    path = dot == std::string_view::npos ? std::string_view() : path.substr(dot + 1);
  }
  return line;
}

// Reads one test file; every malformed test becomes a message with file:line, and the rest of
// the file is still checked.
std::vector<TestCase> readTests(const std::string& path, SourceManager& sources,
                                const TestFlags& flags, const std::optional<ProxySpec>& flag_proxy,
                                std::vector<std::string>& errors,
                                std::vector<std::unique_ptr<frontend::YamlArena>>& arenas) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    errors.push_back(path + ": cannot read test file");
    return {};
  }
  std::stringstream ss;
  ss << in.rdbuf();
  uint32_t id = sources.add(path, ss.str());
  DiagnosticSink sink;
  arenas.push_back(std::make_unique<frontend::YamlArena>());
  std::vector<frontend::YamlDocument> docs = frontend::parseYamlFile(sources, id, *arenas.back(), sink);
  for (const Diagnostic& d : sink.diagnostics()) {
    errors.push_back(fmt::format("{}:{}:{}: {}", path, d.loc.line, d.loc.column, d.message));
  }
  const std::string& sidecar_ns = flags.routing.default_namespace;
  std::vector<TestCase> out;
  for (const frontend::YamlDocument& doc : docs) {
    const frontend::Node* list = doc.root;
    std::optional<ProxySpec> default_proxy = flag_proxy;
    if (list->isMap()) {
      for (const frontend::MapEntry& e : list->entries()) {
        if (e.key != "proxy" && e.key != "tests") {
          errors.push_back(fmt::format("{}:{}: unknown field {}; expected proxy, tests", path,
                                       e.key_loc.line, quote(e.key)));
        }
      }
      if (const frontend::Node* p = list->get("proxy")) {
        std::string field;
        Expected<ProxySpec> proxy = proxyFromJson(
            nlohmann::json::parse(frontend::toJson(*p), nullptr, false), sidecar_ns, &field);
        if (proxy) {
          default_proxy = *proxy;
        } else {
          errors.push_back(
              fmt::format("{}:{}: {}", path, lineOfField(list, field), proxy.status().message()));
        }
      }
      list = list->get("tests");
    }
    if (list == nullptr || !list->isSeq()) {
      if (!doc.root->isNull()) {
        errors.push_back(fmt::format("{}:{}: expected a list of tests (or a map with \"tests\")",
                                     path, doc.root->loc().line));
      }
      continue;
    }
    for (const frontend::Node* item : list->items()) {
      TestCase t;
      t.file = path;
      t.line = item->loc().line;
      nlohmann::json j = nlohmann::json::parse(frontend::toJson(*item), nullptr, false);
      if (!j.is_object()) {
        errors.push_back(fmt::format("{}:{}: a test must be a mapping", path, t.line));
        continue;
      }
      auto error = [&](std::string_view field, const std::string& message) {
        errors.push_back(fmt::format("{}:{}: {}", path, lineOfField(item, field), message));
      };
      size_t errors_before = errors.size();
      for (const auto& [k, v] : j.items()) {
        if (k != "name" && k != "proxy" && k != "request" && k != "expect") {
          error(k,
                fmt::format("unknown test field {}; expected name, proxy, request, expect", quote(k)));
        }
      }
      t.name = fmt::format("{}:{}", path, t.line);
      if (j.contains("name")) {
        if (j["name"].is_string()) {
          t.name = j["name"].get<std::string>();
        } else {
          error("name",
                fmt::format("name must be a string, found {} (quote it)", j["name"].dump()));
        }
      }
      std::string field;
      if (j.contains("proxy")) {
        Expected<ProxySpec> proxy = proxyFromJson(j["proxy"], sidecar_ns, &field);
        if (proxy) {
          t.proxy = *proxy;
        } else {
          error(field, proxy.status().message());
        }
      } else if (default_proxy) {
        t.proxy = *default_proxy;
      } else {
        error("", fmt::format("test {} names no proxy; give \"proxy\" in the test or the "
                              "file, or --gateway/--sidecar",
                              quote(t.name)));
      }
      field.clear();
      Expected<sim::SimRequest> request =
          requestFromJson(j.contains("request") ? j["request"] : nlohmann::json::object(), &field);
      if (request) {
        t.request = std::move(*request);
      } else {
        error(field, request.status().message());
      }
      if (j.contains("expect")) {
        t.expect = j["expect"];
      }
      if (!t.expect.is_object() || t.expect.empty()) {
        error(t.expect.is_null() ? "" : "expect",
              fmt::format("test {} has no expect block", quote(t.name)));
        continue;
      }
      for (const auto& [k, v] : t.expect.items()) {
        if (expectKeys().count(k) == 0) {
          error("expect." + k,
                fmt::format("unknown expect field {} in test {}", quote(k), quote(t.name)));
        } else if (k == "noRoute" && !v.is_boolean()) {
          error("expect.noRoute",
                fmt::format("expect.noRoute must be true or false, found {}", v.dump()));
        }
      }
      if (errors.size() == errors_before) {
        out.push_back(std::move(t));
      }
    }
  }
  return out;
}

// An expected value matches when equal; numbers compare by value; objects compare the keys given.
bool matches(const nlohmann::json& want, const nlohmann::json& got) {
  if (want.is_object() && got.is_object()) {
    for (const auto& [k, v] : want.items()) {
      if (!got.contains(k) || !matches(v, got[k])) {
        return false;
      }
    }
    return true;
  }
  if (want.is_number() && got.is_number()) {
    return want.get<double>() == got.get<double>();
  }
  if (want.is_array() && got.is_array()) {
    if (want.size() != got.size()) {
      return false;
    }
    for (size_t i = 0; i < want.size(); ++i) {
      if (!matches(want[i], got[i])) {
        return false;
      }
    }
    return true;
  }
  return want == got;
}

std::string xmlEscape(std::string_view s) {
  std::string out;
  for (char c : s) {
    switch (c) {
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '&':
        out += "&amp;";
        break;
      case '"':
        out += "&quot;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

int runTest(const TestFlags& flags) {
  Expected<sim::EngineKind> engine = parseEngine(flags.routing.engine);
  if (!engine) {
    std::cerr << "meshc test: " << engine.status().message() << "\n";
    return kExitUsage;
  }
  if (flags.routing.files.empty() || flags.tests.empty()) {
    std::cerr << "meshc test: usage: meshc test -f MANIFESTS... TESTFILE...\n";
    return kExitUsage;
  }
  Expected<std::optional<ProxySpec>> flag_proxy = flags.routing.defaultProxy();
  if (!flag_proxy) {
    std::cerr << "meshc test: " << flag_proxy.status().message() << "\n";
    return kExitUsage;
  }
  SourceManager sources;
  Expected<RoutingInput> input = flags.routing.load(sources);
  if (!input) {
    std::cerr << "meshc test: " << input.status().message() << "\n";
    return kExitUsage;
  }
  warnRejected(*input, "test");
  std::vector<std::string> errors;
  std::vector<std::unique_ptr<frontend::YamlArena>> arenas;
  std::vector<TestCase> tests;
  for (const std::string& f : flags.tests) {
    std::vector<TestCase> t = readTests(f, sources, flags, *flag_proxy, errors, arenas);
    tests.insert(tests.end(), std::make_move_iterator(t.begin()), std::make_move_iterator(t.end()));
  }
  if (!errors.empty()) {
    for (const std::string& e : errors) {
      std::cerr << "meshc test: " << e << "\n";
    }
    return kExitUsage;
  }
  SimulatorCache cache(input->config, *engine);
  std::vector<TestOutcome> outcomes;
  std::map<std::string, std::set<std::pair<std::string, std::pair<int, int>>>> hits;  // proxy → hits
  std::map<std::string, const sim::Simulator*> simulators;
  for (const TestCase& t : tests) {
    TestOutcome o{&t, {}, ""};
    const ProxySpec* proxy = &t.proxy;
    const sim::SimRequest* req = &t.request;
    Expected<const sim::Simulator*> s = cache.get(*proxy);
    if (!s) {
      o.error = s.status().message();
      outcomes.push_back(o);
      continue;
    }
    simulators[proxy->key()] = *s;
    sim::SimResult r = (*s)->run(*req, *engine);
    if (r.vhost_index >= 0 && r.route_index >= 0) {
      hits[proxy->key()].insert({r.route_config, {r.vhost_index, r.route_index}});
    }
    nlohmann::json got = resultToJson(r, sources);
    for (const auto& [k, want] : t.expect.items()) {
      if (k == "noRoute") {
        bool is_no_route = r.outcome == sim::Outcome::kNoRoute;
        if (want.is_boolean() && want.get<bool>() != is_no_route) {
          o.problems.push_back(fmt::format("noRoute: expected {}, got outcome {}", want.dump(),
                                           sim::outcomeName(r.outcome)));
        }
        continue;
      }
      nlohmann::json actual = got.contains(k) ? got[k] : nlohmann::json();
      if (!matches(want, actual)) {
        o.problems.push_back(fmt::format("{}:\n    - expected: {}\n    + actual:   {}", k,
                                         want.dump(), actual.is_null() ? "(absent)" : actual.dump()));
      }
    }
    outcomes.push_back(std::move(o));
  }
  int failed = 0;
  int broken = 0;
  for (const TestOutcome& o : outcomes) {
    failed += o.problems.empty() ? 0 : 1;
    broken += o.error.empty() ? 0 : 1;
  }
  // Coverage over the routes that come from VirtualServices, per simulated proxy.
  int total_routes = 0;
  int covered = 0;
  std::vector<std::string> uncovered;
  for (const auto& [key, s] : simulators) {
    for (const lower::RouteConfiguration& rc : s->config().route_configs) {
      for (size_t v = 0; v < rc.virtual_hosts.size(); ++v) {
        const lower::VirtualHost& vh = rc.virtual_hosts[v];
        if (vh.require_tls) {
          continue;  // httpsRedirect answers every request before routes are looked at
        }
        for (size_t i = 0; i < vh.routes.size(); ++i) {
          const lower::Route& route = vh.routes[i];
          if (route.source.virtual_service.empty()) {
            continue;
          }
          ++total_routes;
          if (hits[key].count({rc.name, {static_cast<int>(v), static_cast<int>(i)}}) != 0) {
            ++covered;
          } else {
            std::string where = route.source.loc.valid()
                                    ? fmt::format("{}:{}", sources.path(route.source.loc.file),
                                                  route.source.loc.line)
                                    : "";
            uncovered.push_back(fmt::format("{} route {} of VirtualService {} in {} {} ({})", where,
                                            route.name.empty() ? "#" + std::to_string(route.source.http_index)
                                                               : route.name,
                                            route.source.virtual_service, rc.name, vh.name,
                                            key.substr(0, key.find('|'))));
          }
        }
      }
    }
  }
  double pct = total_routes == 0 ? 100.0 : 100.0 * covered / total_routes;
  if (flags.output == "junit") {
    std::cout << "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";
    std::cout << fmt::format("<testsuites tests=\"{}\" failures=\"{}\" errors=\"{}\">\n",
                             outcomes.size(), failed, broken);
    std::cout << fmt::format("  <testsuite name=\"meshc\" tests=\"{}\" failures=\"{}\" errors=\"{}\">\n",
                             outcomes.size(), failed, broken);
    for (const TestOutcome& o : outcomes) {
      std::cout << fmt::format("    <testcase name=\"{}\" classname=\"{}\" file=\"{}\" line=\"{}\"",
                               xmlEscape(o.test->name), xmlEscape(o.test->file),
                               xmlEscape(o.test->file), o.test->line);
      if (o.problems.empty() && o.error.empty()) {
        std::cout << "/>\n";
        continue;
      }
      std::cout << ">\n";
      if (!o.error.empty()) {
        std::cout << fmt::format("      <error message=\"{}\"/>\n", xmlEscape(o.error));
      } else {
        std::string body;
        for (const std::string& p : o.problems) {
          body += p + "\n";
        }
        std::cout << fmt::format("      <failure message=\"{} field(s) differ\">{}</failure>\n",
                                 o.problems.size(), xmlEscape(body));
      }
      std::cout << "    </testcase>\n";
    }
    std::cout << "  </testsuite>\n</testsuites>\n";
  } else {
    for (const TestOutcome& o : outcomes) {
      if (!o.error.empty()) {
        std::cout << fmt::format("ERROR {}:{}: {}: {}\n", o.test->file, o.test->line, o.test->name, o.error);
      } else if (!o.problems.empty()) {
        std::cout << fmt::format("FAIL  {}:{}: {}\n", o.test->file, o.test->line, o.test->name);
        for (const std::string& p : o.problems) {
          std::cout << "  " << p << "\n";
        }
      } else {
        std::cout << fmt::format("ok    {}\n", o.test->name);
      }
    }
    if (flags.coverage) {
      std::cout << fmt::format("coverage: {}/{} routes ({:.1f}%)\n", covered, total_routes, pct);
      for (const std::string& u : uncovered) {
        std::cout << "  not exercised: " << u << "\n";
      }
    }
    std::cout << fmt::format("{} passed, {} failed\n", outcomes.size() - failed - broken, failed + broken);
  }
  if (failed + broken > 0) {
    return kExitFindings;
  }
  if (flags.min_coverage >= 0 && pct + 1e-9 < flags.min_coverage) {
    std::cerr << fmt::format("meshc test: route coverage {:.1f}% is below --min-coverage {:.1f}%\n",
                             pct, flags.min_coverage);
    return kExitFindings;
  }
  return kExitClean;
}

}  // namespace

std::function<int()> setupTest(CLI::App& sub) {
  auto flags = std::make_shared<TestFlags>();
  addRoutingFlags(sub, flags->routing, EngineFlag::kRegister);
  sub.add_option("tests", flags->tests,
                 "route test files (YAML); tests without a proxy use --gateway/--sidecar");
  sub.add_option("-o,--output", flags->output, "text or junit")->check(CLI::IsMember({"text", "junit"}));
  sub.add_flag("--coverage", flags->coverage, "list the routes no test exercised");
  sub.add_option("--min-coverage", flags->min_coverage, "fail below this route coverage (percent)")
      ->check(CLI::Range(0.0, 100.0));
  return [flags] { return runTest(*flags); };
}

}  // namespace meshc::cli
