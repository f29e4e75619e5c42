// `meshc diff`: replays requests against two config sets and reports every decision that changes.
#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include <fstream>
#include <iostream>
#include <memory>
#include <set>

#include "cli/commands.h"
#include "cli/routing_input.h"

namespace meshc::cli {

namespace {

struct DiffFlags {
  std::vector<std::string> old_files;
  std::vector<std::string> new_files;
  std::string requests_file;
  std::string output = "text";
  std::string engine;  // "" = native where supported
  std::string mesh_config;
};

// Fields that describe where a rule sits, not where traffic goes.
void dropPositional(nlohmann::json& j) {
  j.erase("source");
  j.erase("filterChain");
}

int runDiff(const DiffFlags& flags) {
  Expected<sim::EngineKind> engine = parseEngine(flags.engine);
  if (!engine) {
    std::cerr << "meshc diff: " << engine.status().message() << "\n";
    return kExitUsage;
  }
  if (flags.old_files.empty() || flags.new_files.empty() || flags.requests_file.empty()) {
    std::cerr << "meshc diff: usage: meshc diff --old PATH... --new PATH... --requests FILE.jsonl\n";
    return kExitUsage;
  }
  SourceManager old_sources;
  SourceManager new_sources;
  Expected<RoutingInput> old_in = loadRouting(flags.old_files, "default", flags.mesh_config, old_sources);
  if (!old_in) {
    std::cerr << "meshc diff: " << old_in.status().message() << "\n";
    return kExitUsage;
  }
  Expected<RoutingInput> new_in = loadRouting(flags.new_files, "default", flags.mesh_config, new_sources);
  if (!new_in) {
    std::cerr << "meshc diff: " << new_in.status().message() << "\n";
    return kExitUsage;
  }
  warnRejected(*old_in, "diff (old)");
  warnRejected(*new_in, "diff (new)");
  std::ifstream in(flags.requests_file);
  if (!in) {
    std::cerr << "meshc diff: cannot read " << flags.requests_file << "\n";
    return kExitUsage;
  }
  SimulatorCache old_cache(old_in->config, *engine);
  SimulatorCache new_cache(new_in->config, *engine);
  std::string line;
  int line_no = 0;
  int requests = 0;
  int changed = 0;
  while (std::getline(in, line)) {
    ++line_no;
    if (line.find_first_not_of(" \t\r") == std::string::npos) {
      continue;
    }
    nlohmann::json j = nlohmann::json::parse(line, nullptr, false);
    Expected<ProxySpec> proxy = j.is_object() ? proxyFromJson(j.value("proxy", nlohmann::json::object()))
                                              : Expected<ProxySpec>(Status::error(StatusCode::kInvalidArgument, "not a JSON object"));
    Expected<sim::SimRequest> req = j.is_object() && proxy
                                        ? requestFromJson(j.value("request", nlohmann::json::object()))
                                        : Expected<sim::SimRequest>(proxy ? Status::error(StatusCode::kInvalidArgument, "not a JSON object") : proxy.status());
    if (!req) {
      std::cerr << fmt::format("{}:{}: error: {}\n", flags.requests_file, line_no, req.status().message());
      return kExitUsage;
    }
    Expected<const sim::Simulator*> os = old_cache.get(*proxy);
    Expected<const sim::Simulator*> ns = new_cache.get(*proxy);
    if (!os || !ns) {
      std::cerr << "meshc: internal error: " << (!os ? os.status() : ns.status()).message() << "\n";
      return kExitInternal;
    }
    ++requests;
    nlohmann::json a = resultToJson((*os)->run(*req, *engine), old_sources);
    nlohmann::json b = resultToJson((*ns)->run(*req, *engine), new_sources);
    nlohmann::json a_cmp = a;
    nlohmann::json b_cmp = b;
    dropPositional(a_cmp);
    dropPositional(b_cmp);
    if (a_cmp == b_cmp) {
      continue;
    }
    ++changed;
    std::string name = j.value("name", fmt::format("{}:{}", flags.requests_file, line_no));
    if (flags.output == "jsonl") {
      std::cout << nlohmann::json({{"name", name}, {"line", line_no}, {"old", a}, {"new", b}}).dump() << "\n";
      continue;
    }
    std::cout << fmt::format("changed: {} ({} {}{})\n", name, req->http.method, req->http.authority,
                             req->http.path);
    std::set<std::string> keys;
    for (const auto& [k, v] : a_cmp.items()) {
      keys.insert(k);
    }
    for (const auto& [k, v] : b_cmp.items()) {
      keys.insert(k);
    }
    for (const std::string& k : keys) {
      nlohmann::json va = a_cmp.contains(k) ? a_cmp[k] : nlohmann::json();
      nlohmann::json vb = b_cmp.contains(k) ? b_cmp[k] : nlohmann::json();
      if (va != vb) {
        std::cout << fmt::format("  {}:\n    - {}\n    + {}\n", k, va.is_null() ? "(absent)" : va.dump(),
                                 vb.is_null() ? "(absent)" : vb.dump());
      }
    }
  }
  if (flags.output != "jsonl") {
    std::cout << fmt::format("{} of {} requests change their routing decision\n", changed, requests);
  }
  return changed > 0 ? kExitFindings : kExitClean;
}

}  // namespace

std::function<int()> setupDiff(CLI::App& sub) {
  auto flags = std::make_shared<DiffFlags>();
  sub.add_option("--old", flags->old_files, "the current manifests")->expected(1, -1);
  sub.add_option("--new", flags->new_files, "the proposed manifests")->expected(1, -1);
  sub.add_option("--requests", flags->requests_file, "JSONL file of requests to replay");
  sub.add_option("-o,--output", flags->output, "text or jsonl")->check(CLI::IsMember({"text", "jsonl"}));
  sub.add_option("--engine", flags->engine, "route selection engine: native (default where supported), interpreter or reference")
      ->check(CLI::IsMember({"native", "interpreter", "reference"}));
  sub.add_option("--mesh-config", flags->mesh_config, "MeshConfig file");
  return [flags] { return runDiff(*flags); };
}

}  // namespace meshc::cli
