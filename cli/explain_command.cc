// `meshc explain`: a proxy's listeners → filter chains → virtual hosts → routes, as text or as
// Graphviz dot, optionally with the decision-tree IR of each route configuration.
#include <fmt/format.h>

#include <CLI/CLI.hpp>
#include <iostream>
#include <memory>
#include <set>

#include "cli/commands.h"
#include "cli/routing_flags.h"
#include "cli/routing_input.h"
#include "ir/dump.h"
#include "ir/ir.h"

namespace meshc::cli {

namespace {

struct ExplainFlags {
  RoutingFlags routing;
  uint32_t port = 0;
  std::string format = "text";
  std::string deprecated_format;  // --format, the old spelling of -o
  bool tree = false;
};

std::string describeString(const lower::StringMatcher& m) {
  static const char* kinds[] = {"exact", "prefix", "suffix", "contains", "regex"};
  return fmt::format("{} {}{}", kinds[static_cast<int>(m.kind)], ir::dumpQuote(m.value),
                     m.ignore_case ? " (ignore case)" : "");
}

std::string describeMatch(const lower::RouteMatch& m) {
  static const char* path_kinds[] = {"prefix", "path", "regex", "path-separated-prefix"};
  std::string out = fmt::format("{} {}", path_kinds[static_cast<int>(m.path.kind)], ir::dumpQuote(m.path.value));
  if (!m.case_sensitive) {
    out += " (ignore case)";
  }
  for (const lower::HeaderMatcher& h : m.headers) {
    out += fmt::format(" & {}{}{}", h.invert_match ? "!" : "", h.name,
                       h.present_match ? " present" : (h.string_match ? " " + describeString(*h.string_match) : ""));
  }
  for (const lower::QueryParameterMatcher& q : m.query_parameters) {
    out += fmt::format(" & ?{}{}", q.name,
                       q.present_match ? " present" : (q.string_match ? " " + describeString(*q.string_match) : ""));
  }
  for (const lower::ClaimMatcher& c : m.claims) {
    std::string path;
    for (const std::string& p : c.claim_path) {
      path += (path.empty() ? "" : ".") + p;
    }
    out += fmt::format(" & {}claim {}{}", c.invert ? "!" : "", path,
                       c.string_match ? " " + describeString(*c.string_match) : " present");
  }
  return out;
}

std::string describeAction(const lower::Route& r) {
  switch (r.action) {
    case lower::Route::ActionKind::kRedirect:
      return fmt::format("redirect {}", r.redirect.response_code);
    case lower::Route::ActionKind::kDirectResponse:
      return fmt::format("direct response {}", r.direct_response.status);
    case lower::Route::ActionKind::kNone:
      return "no action (dropped by Istio)";
    case lower::Route::ActionKind::kRoute:
      break;
  }
  if (r.route.weighted.empty()) {
    return "→ " + r.route.cluster;
  }
  std::string out = "→";
  for (const lower::WeightedCluster& w : r.route.weighted) {
    out += fmt::format(" {}({})", w.name, w.weight);
  }
  return out;
}

// A DOT quoted string. A backslash in a value (a regex) stays a literal backslash; a newline
// becomes Graphviz's "\n" escape, a centred line break in the label.
std::string dotId(std::string_view s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '\n') {
      out += "\\n";
      continue;
    }
    if (c == '"' || c == '\\') {
      out += '\\';
    }
    out += c;
  }
  return out + "\"";
}

int runExplain(const ExplainFlags& given) {
  ExplainFlags flags = given;
  if (!flags.deprecated_format.empty()) {
    std::cerr << "meshc explain: warning: --format is deprecated; use -o "
              << flags.deprecated_format << "\n";
    flags.format = flags.deprecated_format;
  }
  if (flags.routing.files.empty()) {
    std::cerr << "meshc explain: give the manifests with -f PATH\n";
    return kExitUsage;
  }
  Expected<ProxySpec> proxy_spec = flags.routing.proxy();
  if (!proxy_spec) {
    std::cerr << "meshc explain: " << proxy_spec.status().message() << "\n";
    return kExitUsage;
  }
  SourceManager sources;
  Expected<RoutingInput> input = flags.routing.load(sources);
  if (!input) {
    std::cerr << "meshc explain: " << input.status().message() << "\n";
    return kExitUsage;
  }
  warnRejected(*input, "explain");
  const lower::ProxyIdentity& proxy = proxy_spec->identity;
  lower::LoweredProxy lowered = lower::buildProxyConfig(input->config, proxy);
  const lower::ProxyConfig& pc = lowered.config;
  std::set<std::string> rds_shown;
  auto src = [&](const lower::RouteSource& s) {
    std::string out = s.virtual_service;
    if (s.loc.valid()) {
      out += fmt::format(" {}:{}", sources.path(s.loc.file), s.loc.line);
    }
    return out;
  };
  if (flags.format == "dot") {
    std::cout << "digraph proxy {\n  rankdir=LR;\n  node [shape=box, fontname=\"monospace\"];\n";
  }
  for (const lower::Listener& l : pc.listeners) {
    if (flags.port != 0 && l.port != flags.port && l.server_port != flags.port) {
      continue;
    }
    if (flags.format == "dot") {
      std::cout << fmt::format("  {} [label={}, shape=ellipse];\n", dotId("L:" + l.name), dotId(l.name));
    } else {
      std::cout << fmt::format("listener {} ({}:{})\n", l.name, l.address, l.port);
    }
    for (const lower::FilterChain& c : l.filter_chains) {
      std::string what = c.http ? "HTTP → route config " + c.rds_name
                                : (c.tcp_proxy ? "TCP → " + (c.tcp_proxy->cluster.empty() ? std::string("weighted clusters") : c.tcp_proxy->cluster)
                                               : std::string("no forwarding"));
      std::string match;
      if (!c.match.server_names.empty()) {
        match += " sni=";
        for (const std::string& s : c.match.server_names) {
          match += s + ",";
        }
        match.pop_back();
      }
      if (!c.match.transport_protocol.empty()) {
        match += " transport=" + c.match.transport_protocol;
      }
      if (flags.format == "dot") {
        std::string target = c.http ? "R:" + c.rds_name : "C:" + what;
        std::cout << fmt::format("  {} -> {} [label={}];\n", dotId("L:" + l.name), dotId(target), dotId(match));
        if (!c.http) {
          std::cout << fmt::format("  {} [label={}];\n", dotId(target), dotId(what));
        }
      } else {
        std::cout << fmt::format("  chain {}{}: {}{}\n", c.name.empty() ? "(unnamed)" : c.name, match, what,
                                 c.terminates_tls ? " [terminates TLS]" : "");
      }
      if (c.http) {
        rds_shown.insert(c.rds_name);
      }
    }
  }
  for (const lower::RouteConfiguration& rc : pc.route_configs) {
    if (rds_shown.count(rc.name) == 0) {
      continue;
    }
    if (flags.format == "dot") {
      std::cout << fmt::format("  {} [label={}, shape=folder];\n", dotId("R:" + rc.name), dotId(rc.name));
    } else {
      std::cout << fmt::format("route config {}\n", rc.name);
    }
    for (size_t v = 0; v < rc.virtual_hosts.size(); ++v) {
      const lower::VirtualHost& vh = rc.virtual_hosts[v];
      std::string domains;
      for (const std::string& d : vh.domains) {
        domains += (domains.empty() ? "" : ", ") + d;
      }
      std::string vid = fmt::format("V:{}:{}", rc.name, v);
      if (flags.format == "dot") {
        std::cout << fmt::format("  {} [label={}];\n  {} -> {} [label={}];\n", dotId(vid), dotId(vh.name),
                                 dotId("R:" + rc.name), dotId(vid), dotId(domains));
      } else {
        std::cout << fmt::format("  virtual host {} [{}]{}\n", vh.name, domains,
                                 vh.require_tls ? " require TLS" : "");
      }
      for (size_t i = 0; i < vh.routes.size(); ++i) {
        const lower::Route& r = vh.routes[i];
        if (flags.format == "dot") {
          std::string rid = fmt::format("{}:{}", vid, i);
          std::cout << fmt::format("  {} [label={}];\n  {} -> {} [label=\"{}\"];\n", dotId(rid),
                                   dotId(fmt::format("#{} {}\n{}\n{}", i, r.name,
                                                     describeMatch(r.match), describeAction(r))),
                                   dotId(vid), dotId(rid), i);
        } else {
          std::cout << fmt::format("    #{} {} {} {}{}\n", i, r.name.empty() ? "-" : r.name,
                                   describeMatch(r.match), describeAction(r),
                                   r.source.virtual_service.empty() ? "" : "  (" + src(r.source) + ")");
        }
      }
    }
    if (flags.tree && flags.format != "dot") {
      std::cout << ir::dumpRouteProgram(ir::buildRouteProgram(rc));
    }
  }
  if (flags.format == "dot") {
    std::cout << "}\n";
  } else if (!lowered.notes.empty()) {
    // Choices Istio makes silently (a VirtualService ignored, a server dropped, ...).
    std::cout << "notes\n";
    for (const Diagnostic& d : lowered.notes) {
      std::string where = d.loc.valid() ? fmt::format("{}:{}: ", sources.path(d.loc.file), d.loc.line) : "";
      std::cout << fmt::format("  {}[{}] {}\n", where, d.id, d.message);
    }
  }
  return kExitClean;
}

}  // namespace

std::function<int()> setupExplain(CLI::App& sub) {
  auto flags = std::make_shared<ExplainFlags>();
  addRoutingFlags(sub, flags->routing, EngineFlag::kNone);
  sub.add_option("--port", flags->port, "only listeners on this port");
  sub.add_option("-o,--output", flags->format, "text or dot (Graphviz)")
      ->check(CLI::IsMember({"text", "dot"}));
  sub.add_option("--format", flags->deprecated_format, "deprecated spelling of -o")
      ->check(CLI::IsMember({"text", "dot"}));
  sub.add_flag("--tree", flags->tree, "also print each route configuration's decision-tree IR");
  return [flags] { return runExplain(*flags); };
}

}  // namespace meshc::cli
