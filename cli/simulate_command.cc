// `meshc simulate`: where does one request (or a JSONL file of requests) go through a proxy?
#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include <fstream>
#include <iostream>
#include <memory>

#include "cli/commands.h"
#include "cli/routing_input.h"

namespace meshc::cli {

namespace {

struct SimulateFlags {
  std::vector<std::string> files;
  std::string gateway;
  std::string sidecar;
  std::string name_space;
  std::string request_line;
  std::vector<std::string> headers;
  std::string sni;
  bool tcp = false;
  std::string requests_file;
  std::string output;
  std::string engine;  // "" = native where supported
  std::string mesh_config;
  std::string bundle;
};

// Where each request's simulator comes from: the manifests (built per proxy) or one bundle.
using SimulatorFor = std::function<Expected<const sim::Simulator*>(const nlohmann::json& proxy)>;

// Runs the requests of a JSONL file; one JSON object per input line, in order.
int runRequestsFile(const SimulateFlags& flags, const SimulatorFor& simulator_for,
                    const SourceManager& sources, sim::EngineKind engine) {
  std::ifstream in(flags.requests_file);
  if (!in) {
    std::cerr << "meshc simulate: cannot read " << flags.requests_file << "\n";
    return kExitUsage;
  }
  std::string line;
  int line_no = 0;
  int errors = 0;
  while (std::getline(in, line)) {
    ++line_no;
    if (line.find_first_not_of(" \t\r") == std::string::npos) {
      continue;
    }
    auto fail = [&](const std::string& msg) {
      ++errors;
      nlohmann::json err = {{"line", line_no}, {"error", msg}};
      std::cout << err.dump() << "\n";
      std::cerr << fmt::format("{}:{}: error: {}\n", flags.requests_file, line_no, msg);
    };
    nlohmann::json j = nlohmann::json::parse(line, nullptr, false);
    if (j.is_discarded() || !j.is_object()) {
      fail("not a JSON object");
      continue;
    }
    Expected<sim::SimRequest> req = requestFromJson(j.value("request", nlohmann::json::object()));
    if (!req) {
      fail(req.status().message());
      continue;
    }
    req->name = j.value("name", "");
    Expected<const sim::Simulator*> s = simulator_for(j.value("proxy", nlohmann::json()));
    if (!s) {
      fail(s.status().message());
      continue;
    }
    nlohmann::json out = resultToJson((*s)->run(*req, engine), sources);
    if (!req->name.empty()) {
      out["name"] = req->name;
    }
    std::cout << out.dump() << "\n";
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
  if (!flags.files.empty() || !flags.gateway.empty() || !flags.sidecar.empty() ||
      !flags.name_space.empty() || !flags.mesh_config.empty()) {
    std::cerr << "meshc simulate: --bundle fixes the proxy and its configuration; drop -f, "
                 "--gateway, --sidecar, -n and --mesh-config\n";
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
    SimulatorFor from_bundle = [&](const nlohmann::json& proxy) -> Expected<const sim::Simulator*> {
      if (!proxy.is_null()) {
        Expected<ProxySpec> p = proxyFromJson(proxy);
        if (!p) {
          return p.status();
        }
        if (!sameProxy(p->identity, simulator->config().proxy)) {
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
  Expected<sim::EngineKind> engine = parseEngine(flags.engine);
  if (!engine) {
    std::cerr << "meshc simulate: " << engine.status().message() << "\n";
    return kExitUsage;
  }
  if (!flags.bundle.empty()) {
    return runSimulateBundle(flags, *engine);
  }
  if (flags.files.empty()) {
    std::cerr << "meshc simulate: give the manifests with -f PATH\n";
    return kExitUsage;
  }
  SourceManager sources;
  Expected<RoutingInput> input = loadRouting(flags.files, "default", flags.mesh_config, sources);
  if (!input) {
    std::cerr << "meshc simulate: " << input.status().message() << "\n";
    return kExitUsage;
  }
  warnRejected(*input, "simulate");
  if (!flags.requests_file.empty()) {
    SimulatorCache cache(input->config, *engine);
    SimulatorFor from_manifests = [&](const nlohmann::json& proxy) -> Expected<const sim::Simulator*> {
      Expected<ProxySpec> p = proxyFromJson(proxy.is_null() ? nlohmann::json::object() : proxy);
      if (!p) {
        return p.status();
      }
      return cache.get(*p);
    };
    return runRequestsFile(flags, from_manifests, sources, *engine);
  }
  Expected<ProxySpec> proxy = proxyFromFlags(flags.gateway, flags.sidecar, flags.name_space);
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
  sub.add_option("-f,--file", flags->files, "manifests: files, directories or - (repeatable)")->allow_extra_args(false);
  sub.add_option("--gateway", flags->gateway, "gateway proxy labels, e.g. istio=ingressgateway");
  sub.add_option("--sidecar", flags->sidecar, "sidecar proxy (workload) labels, e.g. app=web");
  sub.add_option("-n,--namespace", flags->name_space,
                 "the proxy's namespace (default istio-system for gateways, default for sidecars)");
  sub.add_option("request", flags->request_line, "'METHOD URL', e.g. 'GET https://shop.example.com/cart'");
  sub.add_option("-H,--header", flags->headers, "request header 'name: value' (repeatable)");
  sub.add_option("--sni", flags->sni, "TLS SNI (makes the connection TLS)");
  sub.add_flag("--tcp", flags->tcp, "a raw TCP connection instead of HTTP");
  sub.add_option("--requests", flags->requests_file, "JSONL file of requests (one result per line)");
  sub.add_option("-o,--output", flags->output, "text, json (single request) or jsonl (--requests)")
      ->check(CLI::IsMember({"text", "json", "jsonl"}));
  sub.add_option("--engine", flags->engine, "route selection engine: native (default where supported), interpreter or reference")
      ->check(CLI::IsMember({"native", "interpreter", "reference"}));
  sub.add_option("--mesh-config", flags->mesh_config, "MeshConfig file");
  sub.add_option("--bundle", flags->bundle,
                 "answer from a compiled bundle (meshc compile) instead of manifests");
  return [flags] { return runSimulate(*flags); };
}

}  // namespace meshc::cli
