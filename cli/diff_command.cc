// `meshc diff`: replays requests against two config sets and reports every decision that changes.
#include <fmt/format.h>

#include <CLI/CLI.hpp>
#include <fstream>
#include <iostream>
#include <memory>
#include <set>

#include "cli/commands.h"
#include "cli/routing_flags.h"
#include "cli/routing_input.h"

namespace meshc::cli {

namespace {

struct DiffFlags {
  RoutingFlags routing;  // -f: manifests both sides share
  std::vector<std::string> old_files;
  std::vector<std::string> new_files;
  std::string requests_file;
  std::string output = "text";
};

// One request of the requests file, checked before anything is replayed.
struct DiffRequest {
  int line;
  std::string name;
  ProxySpec proxy;
  sim::SimRequest request;
};

// Reads the whole requests file; every bad line is reported (file:line) so one run shows them
// all. Fails (after reporting) when any line is bad or the file cannot be read.
bool readDiffRequests(const DiffFlags& flags, const std::optional<ProxySpec>& default_proxy,
                      std::vector<DiffRequest>& out) {
  bool ok = true;
  Status read = forEachRequestLine(
      flags.requests_file, flags.routing.default_namespace,
      [&](int line_no, Expected<RequestLine> parsed) {
        auto fail = [&](const std::string& msg) {
          ok = false;
          std::cerr << fmt::format("{}:{}: error: {}\n", flags.requests_file, line_no, msg);
        };
        if (!parsed) {
          fail(parsed.status().message());
          return;
        }
        const std::optional<ProxySpec>& proxy = parsed->proxy ? parsed->proxy : default_proxy;
        if (!proxy) {
          fail(
              "this request names no proxy; give \"proxy\" on the line or --gateway/--sidecar on "
              "the command line");
          return;
        }
        std::string name = parsed->name.empty()
                               ? fmt::format("{}:{}", flags.requests_file, line_no)
                               : parsed->name;
        out.push_back(DiffRequest{line_no, std::move(name), *proxy, std::move(parsed->request)});
      });
  if (!read) {
    std::cerr << "meshc diff: " << read.message() << "\n";
    return false;
  }
  return ok;
}

// Fields that describe where a rule sits, not where traffic goes.
void dropPositional(nlohmann::json& j) {
  j.erase("source");
  j.erase("filterChain");
}

int runDiff(const DiffFlags& flags) {
  Expected<sim::EngineKind> engine = parseEngine(flags.routing.engine);
  if (!engine) {
    std::cerr << "meshc diff: " << engine.status().message() << "\n";
    return kExitUsage;
  }
  if (flags.old_files.empty() || flags.new_files.empty() || flags.requests_file.empty()) {
    std::cerr << "meshc diff: usage: meshc diff [-f SHARED...] --old PATH... --new PATH... "
                 "--requests FILE.jsonl\n";
    return kExitUsage;
  }
  Expected<std::optional<ProxySpec>> default_proxy = flags.routing.defaultProxy();
  if (!default_proxy) {
    std::cerr << "meshc diff: " << default_proxy.status().message() << "\n";
    return kExitUsage;
  }
  std::vector<DiffRequest> requests_in;
  if (!readDiffRequests(flags, *default_proxy, requests_in)) {
    return kExitUsage;
  }
  SourceManager old_sources;
  SourceManager new_sources;
  Expected<RoutingInput> old_in = flags.routing.load(old_sources, flags.old_files);
  if (!old_in) {
    std::cerr << "meshc diff: " << old_in.status().message() << "\n";
    return kExitUsage;
  }
  Expected<RoutingInput> new_in = flags.routing.load(new_sources, flags.new_files);
  if (!new_in) {
    std::cerr << "meshc diff: " << new_in.status().message() << "\n";
    return kExitUsage;
  }
  warnRejected(*old_in, "diff (old)");
  warnRejected(*new_in, "diff (new)");
  SimulatorCache old_cache(old_in->config, *engine);
  SimulatorCache new_cache(new_in->config, *engine);
  int requests = 0;
  int changed = 0;
  for (const DiffRequest& dr : requests_in) {
    const ProxySpec* proxy = &dr.proxy;
    const sim::SimRequest* req = &dr.request;
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
    const std::string& name = dr.name;
    if (flags.output == "jsonl") {
      std::cout
          << nlohmann::json({{"name", name}, {"line", dr.line}, {"old", a}, {"new", b}}).dump()
          << "\n";
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
  addRoutingFlags(sub, flags->routing, EngineFlag::kRegister);
  sub.add_option("--old", flags->old_files, "the current manifests (besides -f)")->expected(1, -1);
  sub.add_option("--new", flags->new_files, "the proposed manifests (besides -f)")->expected(1, -1);
  sub.add_option("--requests", flags->requests_file,
                 "JSONL file of requests to replay; lines without \"proxy\" use "
                 "--gateway/--sidecar");
  sub.add_option("-o,--output", flags->output, "text or jsonl")
      ->check(CLI::IsMember({"text", "jsonl"}));
  return [flags] { return runDiff(*flags); };
}

}  // namespace meshc::cli
