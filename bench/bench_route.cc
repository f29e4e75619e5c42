// Route-selection benchmark: decisions per second of the IR interpreter vs the ordered-scan
// reference at 10 .. 100,000 routes, one host or many, hitting the first / middle / last / no
// route. Entry point: main; prints a table of medians and the interpreter/reference ratio.
#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "ir/interpreter.h"
#include "ir/ir.h"
#include "ir/reference_eval.h"
#include "ir/request.h"
#include "ir/verify.h"

namespace {

using meshc::ir::HttpRequest;
using meshc::ir::RequestView;
using meshc::ir::RouteDecision;
namespace lower = meshc::lower;
using Clock = std::chrono::steady_clock;

// A route of the generated mix and a request that only it matches. Each route owns the path
// namespace "/s<k>" (k unique in its host), so route k is the first and only match of its
// request. Mix: 40% prefix, 10% exact, 10% method-restricted, 10% ignoreUriCase, 10% header,
// 10% path_separated_prefix, 9% query parameter, 1% safe_regex.
struct GeneratedRoute {
  lower::Route route;
  HttpRequest request;
};

GeneratedRoute makeRoute(size_t k, const std::string& host) {
  GeneratedRoute g;
  std::string s = fmt::format("/s{}", k);  // (fmt: GCC 12 -Wrestrict misfires on "/s" + ...)
  auto& m = g.route.match;
  g.route.name = "r" + std::to_string(k);
  g.request.authority = host;
  switch (k % 10) {
    case 4:
      m.path = {lower::PathMatcher::Kind::kPath, s + "/health"};
      g.request.path = s + "/health";
      break;
    case 5: {
      m.path = {lower::PathMatcher::Kind::kPrefix, s + "/orders"};
      lower::HeaderMatcher h;
      h.name = ":method";
      h.string_match = lower::StringMatcher{lower::StringMatcher::Kind::kExact, "POST", false};
      m.headers.push_back(h);
      g.request.path = s + "/orders/7";
      g.request.method = "POST";
      break;
    }
    case 6:
      m.path = {lower::PathMatcher::Kind::kPrefix, s + "/Docs"};
      m.case_sensitive = false;
      g.request.path = fmt::format("/S{}/DOCS/intro", k);
      break;
    case 7: {
      m.path = {lower::PathMatcher::Kind::kPrefix, s + "/v"};
      lower::HeaderMatcher h;
      h.name = "x-version";
      h.string_match = lower::StringMatcher{lower::StringMatcher::Kind::kExact, "v2", false};
      m.headers.push_back(h);
      g.request.path = s + "/v/items";
      g.request.headers = {{"x-version", "v2"}};
      break;
    }
    case 8:
      m.path = {lower::PathMatcher::Kind::kPathSeparatedPrefix, s + "/seg"};
      g.request.path = s + "/seg/a";
      break;
    case 9:
      if (k % 100 == 99) {
        m.path = {lower::PathMatcher::Kind::kSafeRegex, s + "/legacy/[0-9]+"};
        g.request.path = s + "/legacy/42";
      } else {
        m.path = {lower::PathMatcher::Kind::kPrefix, s + "/q"};
        lower::QueryParameterMatcher q;
        q.name = "debug";
        q.present_match = true;
        m.query_parameters.push_back(q);
        g.request.path = s + "/q?debug=1";
      }
      break;
    default:
      m.path = {lower::PathMatcher::Kind::kPrefix, s + "/api"};
      g.request.path = s + "/api/items";
      break;
  }
  g.request.headers.emplace_back("user-agent", "bench");
  return g;
}

struct Scenario {
  std::string layout;
  size_t routes = 0;
  size_t hosts = 0;
  lower::RouteConfiguration config;
  // first, middle, last, none
  std::vector<std::pair<std::string, HttpRequest>> requests;
};

std::string hostName(size_t h) {
  return h % 10 == 9
             ? "svc" + std::to_string(h) + ".w.example.com"  // via a wildcard domain
             : "svc" + std::to_string(h) + ".ns" + std::to_string(h % 7) + ".svc.cluster.local";
}

Scenario makeScenario(size_t routes, bool many_hosts) {
  Scenario sc;
  sc.layout = many_hosts ? "many-hosts" : "one-host";
  sc.routes = routes;
  sc.hosts = many_hosts ? std::max<size_t>(10, routes / 100) : 1;
  sc.config.name = "http.80";
  const size_t per_host = std::max<size_t>(1, routes / sc.hosts);
  std::vector<std::vector<HttpRequest>> hits(sc.hosts);
  for (size_t h = 0; h < sc.hosts; ++h) {
    lower::VirtualHost vh;
    std::string host = many_hosts ? hostName(h) : "bench.example.com";
    vh.name = host + ":80";
    if (!many_hosts) {
      vh.domains = {"*"};
    } else if (h % 10 == 9) {
      vh.domains = {"*.w" + std::to_string(h) + ".example.com"};
      host = "svc.w" + std::to_string(h) + ".example.com";
    } else {
      // Sidecar-style domain set (SEMANTICS 2.5): FQDN, absolute FQDN, short forms.
      std::string svc = "svc" + std::to_string(h), ns = "ns" + std::to_string(h % 7);
      vh.domains = {host, host + ".", svc + "." + ns, svc + "." + ns + ".svc"};
    }
    for (size_t k = 0; k < per_host; ++k) {
      GeneratedRoute g = makeRoute(k, host);
      vh.routes.push_back(std::move(g.route));
      hits[h].push_back(std::move(g.request));
    }
    sc.config.virtual_hosts.push_back(std::move(vh));
  }
  size_t last_host = sc.hosts - 1, mid_host = sc.hosts / 2;
  sc.requests.emplace_back("first", hits[0].front());
  sc.requests.emplace_back("middle", hits[mid_host][hits[mid_host].size() / 2]);
  sc.requests.emplace_back("last", hits[last_host].back());
  HttpRequest none = hits[mid_host].front();
  none.path = "/nowhere/at/all";
  sc.requests.emplace_back("none", none);
  return sc;
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v.empty() ? 0 : v[v.size() / 2];
}

volatile int64_t g_sink = 0;

// Decisions per second: calibrate a batch to >= min_seconds, then the median of `repeat` batches.
template <typename F>
double decisionsPerSecond(F&& decide, int repeat, double min_seconds) {
  size_t batch = 1;
  while (true) {
    auto t0 = Clock::now();
    int64_t sum = 0;
    for (size_t i = 0; i < batch; ++i) {
      sum += decide().route;
    }
    g_sink = g_sink + sum;
    double s = std::chrono::duration<double>(Clock::now() - t0).count();
    if (s >= min_seconds || batch >= (size_t{1} << 30)) {
      break;
    }
    batch *= s <= 0 ? 16 : std::clamp<size_t>(static_cast<size_t>(min_seconds / s * 1.2), 2, 16);
  }
  std::vector<double> rates;
  for (int r = 0; r < repeat; ++r) {
    auto t0 = Clock::now();
    int64_t sum = 0;
    for (size_t i = 0; i < batch; ++i) {
      sum += decide().route;
    }
    g_sink = g_sink + sum;
    double s = std::chrono::duration<double>(Clock::now() - t0).count();
    rates.push_back(static_cast<double>(batch) / std::max(s, 1e-9));
  }
  return median(rates);
}

std::string rate(double per_second) {
  if (per_second >= 1e6) {
    return fmt::format("{:.2f} M", per_second / 1e6);
  }
  if (per_second >= 1e3) {
    return fmt::format("{:.1f} k", per_second / 1e3);
  }
  return fmt::format("{:.0f}", per_second);
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<size_t> sizes = {10, 1'000, 10'000, 100'000};
  int repeat = 5;
  double min_seconds = 0.05;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--quick") {  // CI: build and run briefly, never timed
      sizes = {10, 1'000};
      repeat = 1;
      min_seconds = 0.002;
    } else if (a == "--repeat" && i + 1 < argc) {
      repeat = std::max(1, std::atoi(argv[++i]));
    } else {
      std::fprintf(stderr, "usage: meshc_bench_route [--quick] [--repeat N]\n");
      return 2;
    }
  }
  fmt::print(
      "route selection: IR interpreter vs ordered-scan reference, decisions/s "
      "(median of {})\n",
      repeat);
  fmt::print("{:<11} {:>7} {:>5} {:>7} {:>9} {:>13} {:>12} {:>9}\n", "layout", "routes", "hosts",
             "hit", "build ms", "interpreter", "reference", "ratio");
  for (bool many : {false, true}) {
    for (size_t n : sizes) {
      Scenario sc = makeScenario(n, many);
      auto t0 = Clock::now();
      meshc::ir::RouteProgram program = meshc::ir::buildRouteProgram(sc.config);
      double build_ms = std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
      meshc::Status verified = meshc::ir::verifyRouteProgram(program);
      if (!verified.isOk()) {
        std::fprintf(stderr, "IR does not verify: %s\n", verified.message().c_str());
        return 3;
      }
      meshc::ir::ReferenceEvaluator reference(sc.config);
      for (const auto& [hit, req] : sc.requests) {
        RequestView view = RequestView::create(req);
        RouteDecision want = reference.evaluate(view);
        RouteDecision got = meshc::ir::evaluateProgram(program, view);
        bool expect_route = hit != "none";
        if (!(want == got) || (want.kind == RouteDecision::Kind::kRoute) != expect_route) {
          std::fprintf(stderr, "%s/%zu/%s: reference %s, interpreter %s\n", sc.layout.c_str(), n,
                       hit.c_str(), meshc::ir::describeDecision(want).c_str(),
                       meshc::ir::describeDecision(got).c_str());
          return 3;
        }
        double interp = decisionsPerSecond(
            [&] { return meshc::ir::evaluateProgram(program, view); }, repeat, min_seconds);
        double ref =
            decisionsPerSecond([&] { return reference.evaluate(view); }, repeat, min_seconds);
        fmt::print("{:<11} {:>7} {:>5} {:>7} {:>9.1f} {:>13} {:>12} {:>8.1f}x\n", sc.layout, n,
                   sc.hosts, hit, build_ms, rate(interp), rate(ref), interp / ref);
        std::fflush(stdout);
      }
    }
  }
  return 0;
}
