// Oracle shared by the fuzzers: the decision-tree interpreter must pick the same virtual host
// and route as the ordered-scan reference for every request. Entry point: checkEnginesAgree().
// A disagreement prints both answers and the request, then aborts (libFuzzer keeps the input).
#pragma once

#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "ir/reference_eval.h"
#include "routing/interpreter.h"
#include "routing/request.h"
#include "routing/route_tree.h"
#include "xds/proxy_config.h"

namespace meshc::fuzz {

[[noreturn]] inline void oracleFailed(const std::string& message) {
  std::fprintf(stderr, "ORACLE VIOLATION: %s\n", message.c_str());
  std::abort();
}

// A host that a virtual-host domain accepts: wildcards filled in ("*.a.com" -> "x.a.com").
inline std::string hostFor(const std::string& domain) {
  std::string host;
  for (char c : domain) {
    if (c == '*') {
      host += 'x';
    } else {
      host += c;
    }
  }
  return host;
}

// Requests aimed at the configuration, so that fuzzed hosts, paths, headers and query
// parameters are actually reached (fixed URLs would almost always miss them): for each virtual
// host domain and each route, one request that satisfies the route's matchers, plus variants
// with a port, upper case and a missing matcher. Capped to keep the fuzzer fast.
inline std::vector<ir::HttpRequest> probeRequests(const xds::RouteConfiguration& rc) {
  constexpr size_t kMaxRequests = 160;
  std::vector<ir::HttpRequest> out;
  auto add = [&out](ir::HttpRequest r) {
    if (out.size() < kMaxRequests) {
      out.push_back(std::move(r));
    }
  };
  for (const char* path : {"/", "/api/x?q=1", "/a/../b", "/A", ""}) {
    ir::HttpRequest r;
    r.authority = "a.example.com";
    r.path = path;
    add(r);
  }
  for (const xds::VirtualHost& vh : rc.virtual_hosts) {
    for (size_t d = 0; d < vh.domains.size() && d < 3; ++d) {
      const std::string host = hostFor(vh.domains[d]);
      ir::HttpRequest base;
      base.authority = host;
      add(base);
      base.authority = host + ":8080";
      add(base);
      for (size_t i = 0; i < vh.routes.size() && i < 12; ++i) {
        const xds::Route& route = vh.routes[i];
        ir::HttpRequest r;
        r.authority = d == 0 ? host : host + ":443";
        r.path = route.match.path.value.empty() ? "/" : route.match.path.value;
        if (route.match.path.kind == xds::PathMatcher::Kind::kPrefix && i % 2 == 1) {
          r.path += "/more";
        }
        std::string query;
        for (const xds::QueryParameterMatcher& q : route.match.query_parameters) {
          query += (query.empty() ? "?" : "&") + q.name;
          if (q.string_match) {
            query += "=" + q.string_match->value;
          }
        }
        r.path += query;
        for (const xds::HeaderMatcher& h : route.match.headers) {
          std::string value = h.string_match ? h.string_match->value : "v";
          if (h.name == ":method") {
            r.method = value;
          } else if (h.name == ":scheme") {
            r.scheme = value;
          } else if (h.name == ":authority") {
            r.authority = value;
          } else if (!h.name.empty() && h.name.front() != ':') {
            r.headers.emplace_back(h.name, value);
          }
        }
        for (const xds::ClaimMatcher& c : route.match.claims) {
          std::string path;
          for (const std::string& p : c.claim_path) {
            path += (path.empty() ? "" : ".") + p;
          }
          r.claims.emplace_back(path, c.string_match ? c.string_match->value : "v");
        }
        add(r);
        if (!r.headers.empty()) {
          ir::HttpRequest without = r;
          without.headers.pop_back();
          add(without);
        }
        ir::HttpRequest upper = r;
        for (char& c : upper.path) {
          c = (c >= 'a' && c <= 'z') ? static_cast<char>(c - 'a' + 'A') : c;
        }
        add(upper);
      }
    }
  }
  return out;
}

/// Aborts unless `program` (built from, or read back for, `rc`) answers every probe request as
/// the reference does. `what` names the program in the message.
inline void checkEnginesAgree(const xds::RouteConfiguration& rc, const ir::RouteProgram& program,
                              const char* what) {
  ir::ReferenceEvaluator reference(rc);
  for (const ir::HttpRequest& req : probeRequests(rc)) {
    ir::RequestView view = ir::RequestView::create(req);
    ir::RouteDecision want = reference.evaluate(view);
    ir::RouteDecision got = ir::evaluateProgram(program, view);
    if (!(want == got)) {
      std::string headers;
      for (const auto& [k, v] : req.headers) {
        headers += " " + k + "=" + v;
      }
      oracleFailed(std::string(what) + " disagrees with the reference in route configuration \"" +
                   rc.name + "\" for " + req.method + " authority=\"" + req.authority +
                   "\" path=\"" + req.path + "\" headers:" + headers + ": reference " +
                   ir::describeDecision(want) + ", " + what + " " + ir::describeDecision(got));
    }
  }
}

}  // namespace meshc::fuzz
