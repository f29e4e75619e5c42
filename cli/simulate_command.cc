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
  std::string engine = "interpreter";
  std::string mesh_config;
};

// Runs the requests of a JSONL file; one JSON object per input line, in order.
int runRequestsFile(const SimulateFlags& flags, const RoutingInput& input, SourceManager& sources,
                    sim::EngineKind engine) {
  std::ifstream in(flags.requests_file);
  if (!in) {
    std::cerr << "meshc simulate: cannot read " << flags.requests_file << "\n";
    return kExitUsage;
  }
  SimulatorCache cache(input.config);
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
    Expected<ProxySpec> proxy = proxyFromJson(j.value("proxy", nlohmann::json::object()));
    if (!proxy) {
      fail(proxy.status().message());
      continue;
    }
    Expected<sim::SimRequest> req = requestFromJson(j.value("request", nlohmann::json::object()));
    if (!req) {
      fail(req.status().message());
      continue;
    }
    req->name = j.value("name", "");
    Expected<const sim::Simulator*> s = cache.get(*proxy);
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

int runSimulate(const SimulateFlags& flags) {
  Expected<sim::EngineKind> engine = parseEngine(flags.engine);
  if (!engine) {
    std::cerr << "meshc simulate: " << engine.status().message() << "\n";
    return kExitUsage;
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
    return runRequestsFile(flags, *input, sources, *engine);
  }
  if (flags.gateway.empty() == flags.sidecar.empty()) {
    std::cerr << "meshc simulate: give exactly one of --gateway LABELS or --sidecar LABELS\n";
    return kExitUsage;
  }
  if (flags.request_line.empty()) {
    std::cerr << "meshc simulate: give the request, e.g. 'GET http://shop.example.com/cart'\n";
    return kExitUsage;
  }
  ProxySpec proxy;
  bool gateway = !flags.gateway.empty();
  proxy.identity.kind = gateway ? lower::ProxyIdentity::Kind::kGateway : lower::ProxyIdentity::Kind::kSidecar;
  proxy.identity.name_space = !flags.name_space.empty() ? flags.name_space : (gateway ? "istio-system" : "default");
  Expected<model::StringMap> labels = parseLabels(gateway ? flags.gateway : flags.sidecar);
  if (!labels) {
    std::cerr << "meshc simulate: " << labels.status().message() << "\n";
    return kExitUsage;
  }
  proxy.identity.labels = *labels;
  Expected<sim::SimRequest> req = sim::parseRequestLine(flags.request_line);
  if (!req) {
    std::cerr << "meshc simulate: " << req.status().message() << "\n";
    return kExitUsage;
  }
  for (const std::string& h : flags.headers) {
    size_t colon = h.find(':');
    if (colon == std::string::npos || colon == 0) {
      std::cerr << "meshc simulate: invalid header \"" << h << "\"; expected 'name: value'\n";
      return kExitUsage;
    }
    std::string value = h.substr(colon + 1);
    value.erase(0, value.find_first_not_of(' '));
    std::string name = h.substr(0, colon);
    if (name == "host" || name == "Host" || name == ":authority") {
      req->http.authority = value;
    } else {
      req->http.headers.emplace_back(name, value);
    }
  }
  if (!flags.sni.empty()) {
    req->sni = flags.sni;
  }
  if (flags.tcp) {
    req->protocol = sim::SimRequest::Protocol::kTcp;
  }
  SimulatorCache cache(input->config);
  Expected<const sim::Simulator*> s = cache.get(proxy);
  if (!s) {
    std::cerr << "meshc: internal error: " << s.status().message() << "\n";
    return kExitInternal;
  }
  sim::SimResult result = (*s)->run(*req, *engine);
  if (flags.output == "json") {
    std::cout << resultToJson(result, sources).dump(2) << "\n";
  } else {
    std::cout << resultToText(result, sources);
  }
  return kExitClean;
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
  sub.add_option("--engine", flags->engine, "route selection engine: interpreter or reference")
      ->check(CLI::IsMember({"interpreter", "reference"}));
  sub.add_option("--mesh-config", flags->mesh_config, "MeshConfig file");
  return [flags] { return runSimulate(*flags); };
}

}  // namespace meshc::cli
