// `meshc simulate`: where does one request (or a JSONL file of requests) go through a proxy?
#include <fmt/format.h>

#include <CLI/CLI.hpp>
#include <fstream>
#include <iostream>
#include <memory>

#include "cli/commands.h"
#include "cli/routing_flags.h"
#include "cli/routing_input.h"

namespace meshc::cli {

namespace {

struct SimulateFlags {
  RoutingFlags routing;
  std::string request_line;
  std::vector<std::string> headers;
  std::string sni;
  bool tcp = false;
  std::string requests_file;
  std::string output;
  std::string bundle;
};

// Where each request's simulator comes from: the manifests (built per proxy) or one bundle.
// The proxy is the request line's, else the --gateway/--sidecar one; absent when neither.
using SimulatorFor =
    std::function<Expected<const sim::Simulator*>(const std::optional<ProxySpec>& proxy)>;

// Runs the requests of a JSONL file; one JSON object per input line, in order.
int runRequestsFile(const SimulateFlags& flags, const SimulatorFor& simulator_for,
                    const SourceManager& sources, sim::EngineKind engine) {
  int errors = 0;
  Status read = forEachRequestLine(
      flags.requests_file, flags.routing.default_namespace,
      [&](int line_no, Expected<RequestLine> parsed) {
        auto fail = [&](const std::string& msg) {
          ++errors;
          nlohmann::json err = {{"line", line_no}, {"error", msg}};
          std::cout << err.dump() << "\n";
          std::cerr << fmt::format("{}:{}: error: {}\n", flags.requests_file, line_no, msg);
        };
        if (!parsed) {
          fail(parsed.status().message());
          return;
        }
        Expected<const sim::Simulator*> s = simulator_for(parsed->proxy);
        if (!s) {
          fail(s.status().message());
          return;
        }
        const sim::SimRequest* req = &parsed->request;
        nlohmann::json out = resultToJson((*s)->run(*req, engine), sources);
        if (!req->name.empty()) {
          out["name"] = req->name;
        }
        std::cout << out.dump() << "\n";
      });
  if (!read) {
    std::cerr << "meshc simulate: " << read.message() << "\n";
    return kExitUsage;
  }
  return errors > 0 ? kExitUsage : kExitClean;
}

// Applies -H, --sni and --tcp to a parsed request line.
Status applyRequestFlags(const SimulateFlags& flags, sim::SimRequest& req) {
  for (const std::string& h : flags.headers) {
    size_t colon = h.find(':');
    if (colon == std::string::npos || colon == 0) {
      return Status::error(StatusCode::kInvalidArgument,
                           "invalid header \"" + h + "\"; expected 'name: value'");
    }
    std::string value = h.substr(colon + 1);
    value.erase(0, value.find_first_not_of(' '));
    std::string name = h.substr(0, colon);
    if (name == "host" || name == "Host" || name == ":authority") {
      req.http.authority = value;
    } else {
      req.http.headers.emplace_back(name, value);
    }
  }
  if (!flags.sni.empty()) {
    req.sni = flags.sni;
  }
  if (flags.tcp) {
    req.protocol = sim::SimRequest::Protocol::kTcp;
  }
  return Status::ok();
}

// The request line with -H, --sni and --tcp applied; a usage message on failure.
Expected<sim::SimRequest> requestFromFlags(const SimulateFlags& flags) {
  if (flags.request_line.empty()) {
    return Status::error(StatusCode::kInvalidArgument,
                         "give the request, e.g. 'GET http://shop.example.com/cart'");
  }
  Expected<sim::SimRequest> req = sim::parseRequestLine(flags.request_line);
  if (!req) {
    return req;
  }
  if (Status st = applyRequestFlags(flags, *req); !st) {
    return st;
  }
  return req;
}

int printResult(const SimulateFlags& flags, const sim::SimResult& result,
                const SourceManager& sources) {
  if (flags.output == "json") {
    std::cout << resultToJson(result, sources).dump(2) << "\n";
  } else {
    std::cout << resultToText(result, sources);
  }
  return kExitClean;
}

// --bundle: the proxy, routes and decision trees all come from the compiled artifact.
int runSimulateBundle(const SimulateFlags& flags, sim::EngineKind engine) {
  const RoutingFlags& r = flags.routing;
  if (!r.files.empty() || r.proxyGiven() || !r.proxy_namespace.empty() || !r.mesh_config.empty() ||
      r.default_namespace != "default") {
    std::cerr << "meshc simulate: --bundle fixes the proxy and its configuration; drop -f, "
                 "--gateway, --sidecar, -n, --default-namespace and --mesh-config\n";
    return kExitUsage;
  }
  SourceManager sources;
  Expected<BundleSimulator> loaded = loadBundleSimulator(flags.bundle, sources, engine);
  if (!loaded) {
    std::cerr << "meshc simulate: " << loaded.status().message() << "\n";
    return kExitUsage;
  }
  if (!loaded->warning.empty()) {
    std::cerr << "meshc simulate: warning: " << flags.bundle << ": " << loaded->warning << "\n";
  }
  const sim::Simulator* simulator = loaded->simulator.get();
  if (!flags.requests_file.empty()) {
    SimulatorFor from_bundle =
        [&](const std::optional<ProxySpec>& proxy) -> Expected<const sim::Simulator*> {
      if (proxy) {
        if (!sameProxy(proxy->identity, simulator->config().proxy)) {
          return Status::error(StatusCode::kInvalidArgument,
                               "this request's proxy is not the one " + flags.bundle +
                                   " was compiled for");
        }
      }
      return simulator;
    };
    return runRequestsFile(flags, from_bundle, sources, engine);
  }
  Expected<sim::SimRequest> req = requestFromFlags(flags);
  if (!req) {
    std::cerr << "meshc simulate: " << req.status().message() << "\n";
    return kExitUsage;
  }
  return printResult(flags, simulator->run(*req, engine), sources);
}

int runSimulate(const SimulateFlags& flags) {
  Expected<sim::EngineKind> engine = parseEngine(flags.routing.engine);
  if (!engine) {
    std::cerr << "meshc simulate: " << engine.status().message() << "\n";
    return kExitUsage;
  }
  if (!flags.bundle.empty()) {
    return runSimulateBundle(flags, *engine);
  }
  if (flags.routing.files.empty()) {
    std::cerr << "meshc simulate: give the manifests with -f PATH\n";
    return kExitUsage;
  }
  SourceManager sources;
  Expected<RoutingInput> input = flags.routing.load(sources);
  if (!input) {
    std::cerr << "meshc simulate: " << input.status().message() << "\n";
    return kExitUsage;
  }
  warnRejected(*input, "simulate");
  if (!flags.requests_file.empty()) {
    Expected<std::optional<ProxySpec>> default_proxy = flags.routing.defaultProxy();
    if (!default_proxy) {
      std::cerr << "meshc simulate: " << default_proxy.status().message() << "\n";
      return kExitUsage;
    }
    SimulatorCache cache(input->config, *engine);
    SimulatorFor from_manifests =
        [&](const std::optional<ProxySpec>& proxy) -> Expected<const sim::Simulator*> {
      const std::optional<ProxySpec>& p = proxy ? proxy : *default_proxy;
      if (!p) {
        return Status::error(StatusCode::kInvalidArgument,
                             "this request names no proxy; give \"proxy\" on the line or "
                             "--gateway/--sidecar on the command line");
      }
      return cache.get(*p);
    };
    return runRequestsFile(flags, from_manifests, sources, *engine);
  }
  Expected<ProxySpec> proxy = flags.routing.proxy();
  if (!proxy) {
    std::cerr << "meshc simulate: " << proxy.status().message() << "\n";
    return kExitUsage;
  }
  Expected<sim::SimRequest> req = requestFromFlags(flags);
  if (!req) {
    std::cerr << "meshc simulate: " << req.status().message() << "\n";
    return kExitUsage;
  }
  SimulatorCache cache(input->config, *engine);
  Expected<const sim::Simulator*> s = cache.get(*proxy);
  if (!s) {
    std::cerr << "meshc: internal error: " << s.status().message() << "\n";
    return kExitInternal;
  }
  return printResult(flags, (*s)->run(*req, *engine), sources);
}

}  // namespace

std::function<int()> setupSimulate(CLI::App& sub) {
  auto flags = std::make_shared<SimulateFlags>();
  addRoutingFlags(sub, flags->routing, EngineFlag::kRegister);
  sub.add_option("request", flags->request_line, "'METHOD URL', e.g. 'GET https://shop.example.com/cart'");
  sub.add_option("-H,--header", flags->headers, "request header 'name: value' (repeatable)");
  sub.add_option("--sni", flags->sni, "TLS SNI (makes the connection TLS)");
  sub.add_flag("--tcp", flags->tcp, "a raw TCP connection instead of HTTP");
  sub.add_option("--requests", flags->requests_file,
                 "JSONL file of requests (one result per line); lines without \"proxy\" use "
                 "--gateway/--sidecar");
  sub.add_option("-o,--output", flags->output, "text, json (single request) or jsonl (--requests)")
      ->check(CLI::IsMember({"text", "json", "jsonl"}));
  sub.add_option("--bundle", flags->bundle,
                 "answer from a compiled bundle (meshc compile) instead of manifests");
  return [flags] { return runSimulate(*flags); };
}

}  // namespace meshc::cli
