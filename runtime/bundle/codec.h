// One description of how every bundled type is laid out, used for both directions: encode with
// EncodeIo (compile side), decode with DecodeIo (reader; bounds, enum ranges and string indices
// checked). Changing anything here changes the format: bump kBundleFormatVersion.
// Entry points: EncodeIo, DecodeIo, code(io, value) overloads.
#pragma once

#include <algorithm>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "bundle/byte_io.h"
#include "routing/route_tree.h"
#include "xds/proxy_config.h"

namespace meshc::bundle {

class EncodeIo {
 public:
  EncodeIo(ByteWriter& out, StringTable& strings) : out_(out), strings_(strings) {}
  static constexpr bool kDecoding = false;
  void u32(uint32_t& v) { out_.u32(v); }
  void i32(int32_t& v) { out_.u32(static_cast<uint32_t>(v)); }
  void i64(int64_t& v) { out_.u64(static_cast<uint64_t>(v)); }
  void u64(uint64_t& v) { out_.u64(v); }
  void boolean(bool& v) { out_.u8(v ? 1 : 0); }
  template <typename E>
  void enumeration(E& v, E /*max*/) {
    out_.u8(static_cast<uint8_t>(v));
  }
  void str(std::string& s) { out_.u32(strings_.intern(s)); }
  template <typename T, typename F>
  void vec(std::vector<T>& v, F&& element) {
    out_.u32(static_cast<uint32_t>(v.size()));
    for (T& x : v) {
      element(x);
    }
  }
  template <typename T, typename F>
  void opt(std::optional<T>& v, F&& element) {
    out_.u8(v ? 1 : 0);
    if (v) {
      element(*v);
    }
  }
  bool ok() const { return true; }
  void fail(const std::string&) {}

 private:
  ByteWriter& out_;
  StringTable& strings_;
};

class DecodeIo {
 public:
  DecodeIo(ByteReader& in, const std::vector<std::string_view>& strings)
      : in_(in), strings_(strings) {}
  static constexpr bool kDecoding = true;
  void u32(uint32_t& v) { v = in_.u32(); }
  void i32(int32_t& v) { v = static_cast<int32_t>(in_.u32()); }
  void i64(int64_t& v) { v = static_cast<int64_t>(in_.u64()); }
  void u64(uint64_t& v) { v = in_.u64(); }
  void boolean(bool& v) {
    uint8_t b = in_.u8();
    if (b > 1) {
      in_.fail("boolean is " + std::to_string(b) + ", expected 0 or 1");
    }
    v = b == 1;
  }
  template <typename E>
  void enumeration(E& v, E max) {
    uint8_t b = in_.u8();
    if (b > static_cast<uint8_t>(max)) {
      in_.fail("enum value " + std::to_string(b) + " is out of range (max " +
               std::to_string(static_cast<int>(max)) + ")");
      b = 0;
    }
    v = static_cast<E>(b);
  }
  void str(std::string& s) {
    uint32_t id = in_.u32();
    if (!in_.ok()) {
      return;
    }
    if (id >= strings_.size()) {
      in_.fail("string index " + std::to_string(id) + " is out of range (" +
               std::to_string(strings_.size()) + " strings)");
      return;
    }
    s.assign(strings_[id]);
  }
  template <typename T, typename F>
  void vec(std::vector<T>& v, F&& element) {
    uint32_t n = in_.count(1);  // every element encodes to at least one byte
    v.clear();
    v.resize(n);
    for (T& x : v) {
      if (!in_.ok()) {
        break;
      }
      element(x);
    }
  }
  template <typename T, typename F>
  void opt(std::optional<T>& v, F&& element) {
    bool present = false;
    boolean(present);
    v.reset();
    if (present && in_.ok()) {
      v.emplace();
      element(*v);
    }
  }
  bool ok() const { return in_.ok(); }
  void fail(const std::string& message) { in_.fail(message); }

 private:
  ByteReader& in_;
  const std::vector<std::string_view>& strings_;
};

// --- xDS subset ----------------------------------------------------------------------------

template <typename Io>
void code(Io& io, std::string& s) {
  io.str(s);
}
template <typename Io>
void code(Io& io, uint32_t& v) {
  io.u32(v);
}
template <typename Io, typename T>
void codeVec(Io& io, std::vector<T>& v) {
  io.vec(v, [&](T& x) { code(io, x); });
}
template <typename Io, typename T>
void codeOpt(Io& io, std::optional<T>& v) {
  io.opt(v, [&](T& x) { code(io, x); });
}

template <typename Io>
void code(Io& io, xds::StringMap& m) {
  std::vector<std::pair<std::string, std::string>> items(m.begin(), m.end());
  io.vec(items, [&](auto& kv) {
    io.str(kv.first);
    io.str(kv.second);
  });
  if constexpr (Io::kDecoding) {
    m.clear();
    for (auto& [k, v] : items) {
      if (!m.emplace(std::move(k), std::move(v)).second) {
        io.fail("duplicate map key");
      }
    }
  }
}

template <typename Io>
void code(Io& io, xds::SourceRef& loc) {
  io.u32(loc.file);
  io.u32(loc.line);
  io.u32(loc.column);
}

template <typename Io>
void code(Io& io, xds::StringMatcher& m) {
  io.enumeration(m.kind, xds::StringMatcher::Kind::kRegex);
  io.str(m.value);
  io.boolean(m.ignore_case);
}

template <typename Io>
void code(Io& io, xds::HeaderMatcher& h) {
  io.str(h.name);
  io.boolean(h.present_match);
  codeOpt(io, h.string_match);
  io.boolean(h.invert_match);
  io.boolean(h.treat_missing_header_as_empty);
}

template <typename Io>
void code(Io& io, xds::QueryParameterMatcher& q) {
  io.str(q.name);
  io.boolean(q.present_match);
  codeOpt(io, q.string_match);
}

template <typename Io>
void code(Io& io, xds::ClaimMatcher& c) {
  codeVec(io, c.claim_path);
  codeOpt(io, c.string_match);
  io.boolean(c.invert);
}

template <typename Io>
void code(Io& io, xds::RouteMatch& m) {
  io.enumeration(m.path.kind, xds::PathMatcher::Kind::kPathSeparatedPrefix);
  io.str(m.path.value);
  io.boolean(m.case_sensitive);
  codeVec(io, m.headers);
  codeVec(io, m.query_parameters);
  codeVec(io, m.claims);
}

template <typename Io>
void code(Io& io, xds::HeaderValueOption& h) {
  io.str(h.key);
  io.str(h.value);
  io.enumeration(h.append, xds::HeaderValueOption::Append::kAppendIfExistsOrAdd);
}

template <typename Io>
void code(Io& io, xds::HeaderMutations& h) {
  codeVec(io, h.request_headers_to_add);
  codeVec(io, h.request_headers_to_remove);
  codeVec(io, h.response_headers_to_add);
  codeVec(io, h.response_headers_to_remove);
}

template <typename Io>
void code(Io& io, xds::WeightedCluster& w) {
  io.str(w.name);
  io.u32(w.weight);
  code(io, w.headers);
  io.str(w.host_rewrite);
}

template <typename Io>
void code(Io& io, int64_t& v) {
  io.i64(v);
}

template <typename Io>
void code(Io& io, xds::RetryPolicy& r) {
  io.u32(r.num_retries);
  io.str(r.retry_on);
  codeVec(io, r.retriable_status_codes);
  codeOpt(io, r.per_try_timeout_ns);
  io.boolean(r.previous_hosts_predicate);
  io.boolean(r.previous_priorities);
  io.u32(r.host_selection_retry_max_attempts);
  codeOpt(io, r.base_interval_ns);
}

template <typename Io>
void code(Io& io, xds::FaultPolicy& f) {
  codeOpt(io, f.delay_ns);
  io.u32(f.delay_per_million);
  codeOpt(io, f.abort_http_status);
  codeOpt(io, f.abort_grpc_status);
  io.u32(f.abort_per_million);
}

template <typename Io>
void code(Io& io, xds::MirrorPolicy& m) {
  io.str(m.cluster);
  io.u32(m.per_million);
}

template <typename Io>
void code(Io& io, xds::HashPolicy& h) {
  io.str(h.header_name);
  io.str(h.cookie_name);
  io.boolean(h.source_ip);
  io.str(h.query_parameter_name);
  // Format v2: cookie generation (R5.5).
  codeOpt(io, h.cookie_ttl_ns);
  io.str(h.cookie_path);
  codeVec(io, h.cookie_attributes);
}

template <typename Io>
void code(Io& io, bool& b) {
  io.boolean(b);
}

template <typename Io>
void code(Io& io, xds::CorsPolicy& c) {
  codeVec(io, c.allow_origin);
  io.str(c.allow_methods);
  io.str(c.allow_headers);
  io.str(c.expose_headers);
  io.str(c.max_age);
  codeOpt(io, c.allow_credentials);
  io.boolean(c.forward_not_matching_preflights);
}

template <typename Io>
void code(Io& io, std::pair<std::string, std::string>& p) {
  io.str(p.first);
  io.str(p.second);
}

template <typename Io>
void code(Io& io, xds::RouteAction& a) {
  io.str(a.cluster);
  codeVec(io, a.weighted);
  io.str(a.prefix_rewrite);
  codeOpt(io, a.regex_rewrite);
  io.str(a.host_rewrite);
  io.i64(a.timeout_ns);
  codeOpt(io, a.retry_policy);
  codeVec(io, a.mirrors);
  codeVec(io, a.hash_policy);
}

template <typename Io>
void code(Io& io, xds::RedirectAction& r) {
  io.str(r.path_redirect);
  io.str(r.prefix_rewrite);
  io.str(r.host_redirect);
  io.u32(r.port_redirect);
  io.str(r.scheme_redirect);
  io.u32(r.response_code);
}

/// A route's match and actions (the ACTN record); its source goes to the source map.
template <typename Io>
void codeRouteBody(Io& io, xds::Route& r) {
  io.str(r.name);
  code(io, r.match);
  io.enumeration(r.action, xds::Route::ActionKind::kNone);
  code(io, r.route);
  code(io, r.redirect);
  io.u32(r.direct_response.status);
  io.str(r.direct_response.body);
  code(io, r.headers);
  codeOpt(io, r.fault);
  codeOpt(io, r.cors);
}

template <typename Io>
void code(Io& io, xds::RouteSource& s) {
  io.str(s.virtual_service);
  io.i32(s.http_index);
  io.i32(s.match_index);
  io.str(s.delegate);
  code(io, s.loc);
  io.enumeration(s.rule_kind, xds::RouteSource::RuleKind::kTcp);
}

template <typename Io>
void code(Io& io, xds::FilterChainMatch& m) {
  codeOpt(io, m.destination_port);
  codeVec(io, m.prefix_ranges);
  codeVec(io, m.server_names);
  io.str(m.transport_protocol);
  codeVec(io, m.application_protocols);
}

template <typename Io>
void code(Io& io, xds::TcpProxy& t) {
  io.str(t.cluster);
  codeVec(io, t.weighted);
  code(io, t.source);
  codeOpt(io, t.idle_timeout_ns);  // format v4
}

template <typename Io>
void code(Io& io, xds::TlsContext& t) {
  io.str(t.mode);
  codeVec(io, t.credential_names);
  io.str(t.server_certificate);
  io.str(t.private_key);
  io.str(t.ca_certificates);
  io.str(t.min_protocol_version);
  io.str(t.max_protocol_version);
  codeVec(io, t.cipher_suites);
  codeVec(io, t.ecdh_curves);
  codeVec(io, t.subject_alt_names);
  codeVec(io, t.verify_certificate_spki);
  codeVec(io, t.verify_certificate_hash);
  codeVec(io, t.alpn);
}

template <typename Io>
void code(Io& io, xds::FilterChain& c) {
  io.str(c.name);
  code(io, c.match);
  io.boolean(c.terminates_tls);
  io.boolean(c.requires_client_certificate);
  io.boolean(c.istio_mutual);
  io.boolean(c.http);
  io.str(c.rds_name);
  codeOpt(io, c.tcp_proxy);
  codeOpt(io, c.tls);  // format v5
}

template <typename Io>
void code(Io& io, xds::Listener& l) {
  io.str(l.name);
  io.str(l.address);
  io.u32(l.port);
  codeVec(io, l.filter_chains);
  codeOpt(io, l.default_filter_chain);
  io.boolean(l.use_original_dst);
  io.boolean(l.has_tls_inspector);
  io.boolean(l.has_http_inspector);
  io.u32(l.server_port);
}

template <typename Io>
void code(Io& io, xds::ProxyIdentity& p) {
  io.enumeration(p.kind, xds::ProxyIdentity::Kind::kGateway);
  io.str(p.name_space);
  code(io, p.labels);
  io.str(p.ip);
  io.u32(p.num_trusted_proxies);  // format v2
}

template <typename Io>
void code(Io& io, xds::Endpoint& e) {
  io.str(e.address);
  io.u32(e.port);
  io.u32(e.weight);
  code(io, e.labels);
}

template <typename Io>
void code(Io& io, xds::RetryBudget& b) {
  io.u32(b.budget_per_million);
  io.u32(b.min_retry_concurrency);
}

template <typename Io>
void code(Io& io, xds::OutlierDetection& o) {
  io.u32(o.consecutive_5xx);
  io.u32(o.enforcing_consecutive_5xx);
  io.u32(o.consecutive_gateway_failure);
  io.u32(o.enforcing_consecutive_gateway_failure);
  io.i64(o.interval_ns);
  io.i64(o.base_ejection_time_ns);
  io.u32(o.max_ejection_percent);
  io.i64(o.max_ejection_time_ns);
  io.boolean(o.split_external_local_origin_errors);
  io.u32(o.consecutive_local_origin_failure);
  io.u32(o.enforcing_consecutive_local_origin_failure);
}

template <typename Io>
void code(Io& io, xds::Cluster& c) {
  io.str(c.name);
  io.str(c.service_host);
  io.u32(c.port);
  io.str(c.subset);
  io.enumeration(c.type, xds::Cluster::DiscoveryType::kNone);
  codeVec(io, c.endpoints);
  io.str(c.lb_policy);
  // Format v2: subset endpoint filter (R4.5) and hash table sizes (R5.5).
  code(io, c.subset_labels);
  io.u64(c.ring_hash_minimum_ring_size);
  io.u64(c.maglev_table_size);
  // Format v3: connection pool, outlier detection and panic threshold (R12, R5.8).
  io.u32(c.healthy_panic_threshold);
  io.u32(c.circuit_breakers.max_connections);
  io.u32(c.circuit_breakers.max_pending_requests);
  io.u32(c.circuit_breakers.max_requests);
  io.u32(c.circuit_breakers.max_retries);
  codeOpt(io, c.circuit_breakers.retry_budget);
  io.u32(c.max_requests_per_connection);
  codeOpt(io, c.idle_timeout_ns);
  codeOpt(io, c.connect_timeout_ns);
  codeOpt(io, c.outlier_detection);
  codeOpt(io, c.tcp_idle_timeout_ns);  // format v4
}

// --- routing tree (runtime/ir/route_tree.h) --------------------------------------------------

template <typename Io>
void code(Io& io, ir::StringTest& t) {
  io.enumeration(t.kind, ir::StringTest::Kind::kRegex);
  io.str(t.value);
  io.boolean(t.ignore_case);
  io.i32(t.regex);
}

template <typename Io>
void code(Io& io, ir::HeaderTest& h) {
  io.str(h.name);
  io.boolean(h.present_match);
  codeOpt(io, h.match);
  io.boolean(h.invert);
  io.boolean(h.treat_missing_as_empty);
}

template <typename Io>
void code(Io& io, ir::QueryTest& q) {
  io.str(q.name);
  codeOpt(io, q.match);
}

template <typename Io>
void code(Io& io, ir::ClaimTest& c) {
  io.str(c.path);
  codeOpt(io, c.match);
  io.boolean(c.invert);
}

template <typename Io>
void code(Io& io, ir::RouteEntry& e) {
  io.str(e.name);
  io.enumeration(e.path_kind, ir::PathKind::kRegex);
  io.str(e.path);
  io.boolean(e.case_sensitive);
  io.i32(e.path_regex);
  codeVec(io, e.headers);
  codeVec(io, e.query_parameters);
  codeVec(io, e.claims);
  io.boolean(e.never_matches);
}

template <typename Io>
void code(Io& io, ir::SwitchCase& c) {
  io.str(c.value);
  codeVec(io, c.routes);
}

template <typename Io>
void code(Io& io, ir::CandidateSet& s) {
  codeVec(io, s.routes);
  io.str(s.switch_header);
  codeVec(io, s.cases);
}

template <typename Io>
void code(Io& io, ir::TrieNode& n) {
  io.str(n.label);
  io.str(n.child_bytes);
  codeVec(io, n.children);
  io.u32(n.prefix_set);
  io.u32(n.exact_set);
  io.u32(n.segment_set);
  io.u32(n.regex_set);
}

template <typename Io>
void code(Io& io, ir::PathTrie& t) {
  codeVec(io, t.nodes);
}

/// A domain map, sorted by key so the same map always encodes to the same bytes.
template <typename Io>
void code(Io& io, ir::DomainMap& m) {
  std::vector<std::pair<std::string, uint32_t>> items(m.begin(), m.end());
  std::sort(items.begin(), items.end());
  io.vec(items, [&](auto& kv) {
    io.str(kv.first);
    io.u32(kv.second);
  });
  if constexpr (Io::kDecoding) {
    m.clear();
    m.reserve(items.size());
    for (auto& [k, v] : items) {
      if (!m.emplace(std::move(k), v).second) {
        io.fail("duplicate domain in the host table");
      }
    }
  }
}

template <typename Io>
void code(Io& io, ir::WildcardGroup& g) {
  io.u32(g.length);
  code(io, g.keys);
}

template <typename Io>
void code(Io& io, ir::HostTable& t) {
  code(io, t.exact);
  codeVec(io, t.suffixes);
  codeVec(io, t.prefixes);
  io.i32(t.default_host);
}

/// The TREE record of one virtual host (its host-table part lives in VHST).
template <typename Io>
void code(Io& io, ir::VirtualHostProgram& v) {
  io.str(v.name);
  codeVec(io, v.routes);
  code(io, v.case_sensitive);
  code(io, v.case_insensitive);
  codeVec(io, v.sets);
  codeVec(io, v.regex_routes);
}

// --- whole sections: the writer and the reader both call these -----------------------------

/// PRXY: proxy identity, listeners (with filter chains and their tcp_proxy sources), DNS table.
template <typename Io>
void codeProxySection(Io& io, xds::ProxyConfig& pc) {
  code(io, pc.proxy);
  codeVec(io, pc.listeners);
  codeVec(io, pc.dns);
}

/// VHST: route configurations and their virtual hosts (name, domains, require_tls, route
/// count; the routes themselves are in TREE, ACTN and SMAP), each followed by its program's
/// host table. Encoding reads programs[i] for route configuration i; decoding appends one
/// program per route configuration and, per virtual host, its route count to *route_counts.
template <typename Io>
void codeVirtualHostsSection(Io& io, xds::ProxyConfig& pc, std::vector<ir::RouteProgram>& programs,
                             std::vector<std::vector<uint32_t>>* route_counts) {
  size_t index = 0;
  io.vec(pc.route_configs, [&](xds::RouteConfiguration& rc) {
    io.str(rc.name);
    io.boolean(rc.ignore_port_in_host_matching);
    if (route_counts != nullptr) {
      route_counts->emplace_back();
    }
    io.vec(rc.virtual_hosts, [&](xds::VirtualHost& vh) {
      io.str(vh.name);
      codeVec(io, vh.domains);
      io.boolean(vh.require_tls);
      auto n = static_cast<uint32_t>(vh.routes.size());
      io.u32(n);
      if (route_counts != nullptr) {
        route_counts->back().push_back(n);
      }
    });
    if constexpr (Io::kDecoding) {
      programs.emplace_back();
      programs.back().name = rc.name;
      programs.back().ignore_port_in_host_matching = rc.ignore_port_in_host_matching;
    }
    code(io, programs[index++].hosts);
  });
}

/// One route configuration's record in TREE: regex pool, per virtual host its tree, problems.
template <typename Io>
void codeTreeRecord(Io& io, ir::RouteProgram& p) {
  codeVec(io, p.regex_patterns);
  codeVec(io, p.virtual_hosts);
  codeVec(io, p.problems);
}

/// ACTN: every route's match and actions, in route configuration / virtual host / route order.
/// Decoding expects the routes vectors already sized (from VHST's counts).
template <typename Io>
void codeActionsSection(Io& io, xds::ProxyConfig& pc) {
  for (auto& rc : pc.route_configs) {
    for (auto& vh : rc.virtual_hosts) {
      for (xds::Route& r : vh.routes) {
        codeRouteBody(io, r);
      }
    }
  }
}

/// SMAP: the input files (SourceRef::file indexes them), then every route's source.
template <typename Io>
void codeSourceMapSection(Io& io, std::vector<std::string>& files, xds::ProxyConfig& pc) {
  codeVec(io, files);
  for (auto& rc : pc.route_configs) {
    for (auto& vh : rc.virtual_hosts) {
      for (xds::Route& r : vh.routes) {
        code(io, r.source);
      }
    }
  }
}

}  // namespace meshc::bundle
