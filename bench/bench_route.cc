// Route-selection benchmark: decisions per second of the native code (LLVM, generic x86-64, as
// `meshc compile` writes it and a runtime links it from a bundle), the IR interpreter and the
// ordered-scan reference at 10 .. 100,000 routes, one host or many, hitting the first / middle /
// last / no route; then per scenario the cost of compiling (time, peak memory in a child
// process) and of loading the bundle (verify + link). Entry point: main.
#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bundle/bundle_reader.h"
#include "codegen/codegen.h"
#include "emit/bundle_writer.h"
#include "routing/interpreter.h"
#include "native/native_router.h"
#include "ir/ir.h"
#include "ir/reference_eval.h"
#include "routing/request.h"
#include "routing/verify.h"

namespace {

using meshc::ir::HttpRequest;
using meshc::ir::RequestView;
using meshc::ir::RouteDecision;
namespace lower = meshc::xds;
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

// Resident set size now, in MB (from /proc/self/statm).
double residentMb() {
  long pages_total = 0, pages_resident = 0;
  FILE* f = std::fopen("/proc/self/statm", "r");
  if (f == nullptr) {
    return 0;
  }
  if (std::fscanf(f, "%ld %ld", &pages_total, &pages_resident) != 2) {
    pages_resident = 0;
  }
  std::fclose(f);
  return static_cast<double>(pages_resident) * static_cast<double>(sysconf(_SC_PAGESIZE)) / 1048576.0;
}

// Compiles in a forked child; returns {ms, MB}: the child's peak RSS minus what it inherited
// from this process at fork time, i.e. the memory the compile itself needed.
std::pair<double, double> compileInChild(const std::vector<meshc::ir::RouteProgram>& programs,
                                         const meshc::codegen::CodegenOptions& options) {
  int fds[2];
  if (pipe(fds) != 0) {
    return {-1, -1};
  }
  pid_t pid = fork();
  if (pid == 0) {
    close(fds[0]);
    double inherited = residentMb();
    auto t0 = Clock::now();
    auto object = meshc::codegen::compileNative(programs, options);
    double ms = std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
    struct rusage ru {};
    getrusage(RUSAGE_SELF, &ru);
    double out[2] = {object ? ms : -1, static_cast<double>(ru.ru_maxrss) / 1024.0 - inherited};
    ssize_t w = write(fds[1], out, sizeof out);
    _exit(w == sizeof out ? 0 : 1);
  }
  close(fds[1]);
  double in[2] = {-1, -1};
  ssize_t r = read(fds[0], in, sizeof in);
  close(fds[0]);
  int status = 0;
  waitpid(pid, &status, 0);
  return r == sizeof in ? std::make_pair(in[0], in[1]) : std::make_pair(-1.0, -1.0);
}

int main(int argc, char** argv) {
  std::vector<size_t> sizes = {10, 1'000, 10'000, 100'000};
  int repeat = 5;
  int opt_level = -1;  // codegen default
  double min_seconds = 0.05;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--quick") {  // CI: build and run briefly, never timed
      sizes = {10, 1'000};
      repeat = 1;
      min_seconds = 0.002;
    } else if (a == "--opt" && i + 1 < argc) {
      opt_level = std::atoi(argv[++i]);
    } else if (a == "--sizes" && i + 1 < argc) {
      sizes.clear();
      std::string list = argv[++i];
      for (size_t at = 0; at <= list.size();) {
        size_t comma = std::min(list.find(',', at), list.size());
        sizes.push_back(std::strtoull(list.substr(at, comma - at).c_str(), nullptr, 10));
        at = comma + 1;
      }
    } else if (a == "--repeat" && i + 1 < argc) {
      repeat = std::max(1, std::atoi(argv[++i]));
    } else {
      std::fprintf(stderr,
                   "usage: meshc_bench_route [--quick] [--repeat N] [--sizes 10,1000,...] "
                   "[--opt 0|1|2]\n");
      return 2;
    }
  }
  meshc::codegen::CodegenOptions options;
  if (opt_level >= 0) {
    options.opt_level = opt_level;
  }
  const bool native = meshc::codegen::nativeCodegenAvailable();
  struct CompileRow {
    std::string layout;
    size_t routes, hosts;
    double compile_ms, peak_mb, object_kb, bundle_kb, load_ms, read_ms;
    meshc::codegen::CodegenStats stats;
  };
  std::vector<CompileRow> compile_rows;
  fmt::print(
      "route selection: native code vs IR interpreter vs ordered-scan reference, decisions/s "
      "(median of {}){}\n",
      repeat, native ? "" : " [no native code on this host]");
  fmt::print("{:<10} {:>6} {:>5} {:>6} {:>11} {:>11} {:>11} {:>9} {:>9} {:>9}\n", "layout",
             "routes", "hosts", "hit", "native", "interpreter", "reference", "nat/int",
             "nat/ref", "ns/native");
  for (bool many : {false, true}) {
    for (size_t n : sizes) {
      Scenario sc = makeScenario(n, many);
      meshc::ir::RouteProgram program = meshc::ir::buildRouteProgram(sc.config);
      meshc::Status verified = meshc::ir::verifyRouteProgram(program);
      if (!verified.isOk()) {
        std::fprintf(stderr, "IR does not verify: %s\n", verified.message().c_str());
        return 3;
      }
      // The bundle a runtime would load: this one route configuration with native code.
      meshc::xds::ProxyConfig pc;
      pc.route_configs.push_back(sc.config);
      std::vector<meshc::ir::RouteProgram> programs = {program};
      CompileRow row{sc.layout, n, sc.hosts, -1, -1, 0, 0, -1, -1, {}};
      std::unique_ptr<meshc::native::NativeRouter> router;
      std::vector<meshc::ir::RouteProgram> loaded_programs;
      if (native) {
        auto [ms, mb] = compileInChild(programs, options);
        row.compile_ms = ms;
        row.peak_mb = mb;
        auto object = meshc::codegen::compileNative(programs, options);
        if (!object) {
          std::fprintf(stderr, "codegen: %s\n", object.status().message().c_str());
          return 3;
        }
        row.stats = object->stats;
        row.object_kb = static_cast<double>(object->object.size()) / 1024.0;
        meshc::emit::BundleInputs in;
        in.config = &pc;
        in.programs = &programs;
        in.native = meshc::emit::NativeCode{object->platform, std::move(object->object),
                                            object->function_count};
        std::string bytes = meshc::emit::writeBundle(in);
        row.bundle_kb = static_cast<double>(bytes.size()) / 1024.0;
        std::vector<double> loads, reads;
        for (int r = 0; r < std::max(3, repeat); ++r) {
          auto t0 = Clock::now();
          auto bundle = meshc::bundle::readBundle(bytes, "bench.mcb");
          reads.push_back(std::chrono::duration<double, std::milli>(Clock::now() - t0).count());
          std::string warning;
          auto linked = bundle ? meshc::native::loadBundleNative(*bundle, &warning) : nullptr;
          loads.push_back(std::chrono::duration<double, std::milli>(Clock::now() - t0).count());
          if (linked == nullptr) {
            std::fprintf(stderr, "bundle load: %s\n",
                         bundle ? warning.c_str() : bundle.status().message().c_str());
            return 3;
          }
          router = std::move(linked);
          loaded_programs = std::move(bundle->programs);
        }
        row.load_ms = median(loads);
        row.read_ms = median(reads);
      }
      compile_rows.push_back(row);
      meshc::ir::ReferenceEvaluator reference(sc.config);
      for (const auto& [hit, req] : sc.requests) {
        RequestView view = RequestView::create(req);
        RouteDecision want = reference.evaluate(view);
        RouteDecision got = meshc::ir::evaluateProgram(program, view);
        RouteDecision got_native = router ? router->evaluate(0, loaded_programs[0], view) : got;
        bool expect_route = hit != "none";
        if (!(want == got) || !(want == got_native) ||
            (want.kind == RouteDecision::Kind::kRoute) != expect_route) {
          std::fprintf(stderr, "%s/%zu/%s: reference %s, interpreter %s, native %s\n",
                       sc.layout.c_str(), n, hit.c_str(), meshc::ir::describeDecision(want).c_str(),
                       meshc::ir::describeDecision(got).c_str(),
                       meshc::ir::describeDecision(got_native).c_str());
          return 3;
        }
        double nat = router ? decisionsPerSecond(
                                  [&] { return router->evaluate(0, loaded_programs[0], view); },
                                  repeat, min_seconds)
                            : 0;
        double interp = decisionsPerSecond(
            [&] { return meshc::ir::evaluateProgram(program, view); }, repeat, min_seconds);
        double ref =
            decisionsPerSecond([&] { return reference.evaluate(view); }, repeat, min_seconds);
        fmt::print("{:<10} {:>6} {:>5} {:>6} {:>11} {:>11} {:>11} {:>8.1f}x {:>8.1f}x {:>9.1f}\n",
                   sc.layout, n, sc.hosts, hit, rate(nat), rate(interp), rate(ref),
                   nat / interp, nat / ref, nat > 0 ? 1e9 / nat : 0.0);
        std::fflush(stdout);
      }
    }
  }
  if (!native) {
    return 0;
  }
  fmt::print("\ncompile (meshc compile's codegen, generic x86-64) and load (read + verify + link)\n");
  fmt::print("{:<10} {:>6} {:>5} {:>11} {:>9} {:>9} {:>11} {:>10} {:>10} {:>9} {:>8}\n", "layout",
             "routes", "hosts", "compile ms", "+peak MB", "LLVM ins", "object KB", "bundle KB",
             "load ms", "(read ms)", "interp");
  // (lower / optimise / emit split, from the in-process compile)
  for (const CompileRow& r : compile_rows) {
    fmt::print("{:<10} {:>6} {:>5} {:>11.1f} {:>9.1f} {:>9} {:>11.1f} {:>10.1f} {:>10.2f} {:>9.2f} {:>8}\n",
               r.layout, r.routes, r.hosts, r.compile_ms, r.peak_mb, r.stats.instructions,
               r.object_kb, r.bundle_kb, r.load_ms, r.read_ms, r.stats.fallback_virtual_hosts);
  }
  fmt::print("\ncodegen phases (in-process): layout routes lower/optimise/emit ms, -O level\n");
  for (const CompileRow& r : compile_rows) {
    fmt::print("{:<10} {:>6} {:>9.1f} {:>9.1f} {:>9.1f}   -O{}\n", r.layout, r.routes, r.stats.lower_ms,
               r.stats.optimize_ms, r.stats.emit_ms, r.stats.opt_level);
  }
  return 0;
}
