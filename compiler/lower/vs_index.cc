// VirtualService indexing: name resolution, delegate merging and per-namespace candidate lists
// (SEMANTICS 4.1, 4.4, 4.5; Istio's initVirtualServices / mergeVirtualServicesIfNeeded).
#include "lower/vs_index.h"

#include <algorithm>
#include <map>
#include <optional>

#include "lower/names.h"

namespace meshc::lower {

namespace {

void resolveDestination(model::Destination& d, std::string_view ns, std::string_view domain) {
  d.host = resolveShortName(d.host, ns, domain);
}

void resolveGateways(std::vector<std::string>& gateways, std::string_view ns) {
  for (std::string& g : gateways) {
    g = resolveGatewayName(g, ns);
  }
}

Diagnostic makeNote(std::string id, const model::VirtualService& vs, SourceLoc loc,
                    std::string message) {
  Diagnostic d;
  d.id = std::move(id);
  d.severity = Severity::kInfo;
  d.message = std::move(message);
  d.loc = loc.valid() ? loc : vs.meta.loc;
  d.resource = ResourceRef{"VirtualService", vs.meta.name_space, vs.meta.name};
  return d;
}

// --- Delegate match merging (4.4; Istio's hasConflict / stringMatchConflict) -------------------

// A `{}` or regex `*` StringMatch conflicts with every non-nil counterpart in Istio's
// stringMatchConflict (it falls through to the final `return true`), exactly like a regex does,
// so presence is treated as a regex here.
bool stringMatchConflict(const model::StringMatch* root, const model::StringMatch* leaf) {
  if (root == nullptr || leaf == nullptr) {
    return false;
  }
  using K = model::StringMatch::Kind;
  auto isRegex = [](const model::StringMatch& m) {
    return m.kind == K::kPresent || (m.kind == K::kRegex && !m.value.empty());
  };
  auto exactOf = [](const model::StringMatch& m) {
    return m.kind == K::kExact ? m.value : std::string();
  };
  auto prefixOf = [](const model::StringMatch& m) {
    return m.kind == K::kPrefix ? m.value : std::string();
  };
  bool leaf_any = isRegex(*leaf) || !exactOf(*leaf).empty() || !prefixOf(*leaf).empty();
  bool root_any = isRegex(*root) || !exactOf(*root).empty() || !prefixOf(*root).empty();
  if (isRegex(*root) && leaf_any) {
    return true;
  }
  if (isRegex(*leaf) && root_any) {
    return true;
  }
  if (std::string exact = exactOf(*root); !exact.empty()) {
    if (!prefixOf(*leaf).empty()) {
      return true;
    }
    return exactOf(*leaf) != exact;
  }
  if (std::string prefix = prefixOf(*root); !prefix.empty()) {
    if (std::string lp = prefixOf(*leaf); !lp.empty()) {
      return !lp.starts_with(prefix);
    }
    if (std::string le = exactOf(*leaf); !le.empty()) {
      return !le.starts_with(prefix);
    }
  }
  return true;
}

const model::StringMatch* findKeyed(const std::vector<model::KeyedMatch>& list,
                                    std::string_view key) {
  // Maps in the API: the last entry for a key wins (YAML duplicate keys are rejected anyway).
  const model::StringMatch* found = nullptr;
  for (const model::KeyedMatch& k : list) {
    if (k.key == key) {
      found = &k.match;
    }
  }
  return found;
}

const model::StringMatch* optPtr(const std::optional<model::StringMatch>& m) {
  return m ? &*m : nullptr;
}

bool hasConflict(const model::HttpMatchRequest& root, const model::HttpMatchRequest& leaf) {
  if (stringMatchConflict(optPtr(root.uri), optPtr(leaf.uri)) ||
      stringMatchConflict(optPtr(root.scheme), optPtr(leaf.scheme)) ||
      stringMatchConflict(optPtr(root.method), optPtr(leaf.method)) ||
      stringMatchConflict(optPtr(root.authority), optPtr(leaf.authority))) {
    return true;
  }
  for (const model::KeyedMatch& k : leaf.headers) {
    if (stringMatchConflict(findKeyed(root.headers, k.key), &k.match)) {
      return true;
    }
  }
  for (const model::KeyedMatch& k : leaf.without_headers) {
    if (stringMatchConflict(findKeyed(root.without_headers, k.key), &k.match)) {
      return true;
    }
  }
  for (const model::KeyedMatch& k : leaf.query_params) {
    if (stringMatchConflict(findKeyed(root.query_params, k.key), &k.match)) {
      return true;
    }
  }
  if (root.ignore_uri_case != leaf.ignore_uri_case) {
    return true;
  }
  if (root.port > 0 && leaf.port > 0 && root.port != leaf.port) {
    return true;
  }
  if (!root.source_namespace.empty() && leaf.source_namespace != root.source_namespace) {
    return true;
  }
  for (const auto& [key, value] : leaf.source_labels) {
    auto it = root.source_labels.find(key);
    if (it != root.source_labels.end() && it->second != value) {
      return true;
    }
  }
  if (!root.gateways.empty() && !leaf.gateways.empty()) {
    if (root.gateways.size() < leaf.gateways.size()) {
      return true;
    }
    for (const std::string& g : leaf.gateways) {
      if (std::find(root.gateways.begin(), root.gateways.end(), g) == root.gateways.end()) {
        return true;
      }
    }
  }
  return false;
}

// maps.MergeCopy(root, delegate): the union, delegate winning on clashing keys.
std::vector<model::KeyedMatch> mergeKeyed(const std::vector<model::KeyedMatch>& root,
                                          const std::vector<model::KeyedMatch>& leaf) {
  std::vector<model::KeyedMatch> out;
  for (const model::KeyedMatch& k : root) {
    if (findKeyed(leaf, k.key) == nullptr) {
      out.push_back(k);
    }
  }
  out.insert(out.end(), leaf.begin(), leaf.end());
  return out;
}

std::string joinNames(const std::string& root, const std::string& leaf) {
  if (leaf.empty()) {
    return root;
  }
  if (root.empty()) {
    return leaf;
  }
  return root + "-" + leaf;
}

model::HttpMatchRequest mergeMatch(const model::HttpMatchRequest& root,
                                   const model::HttpMatchRequest& leaf) {
  model::HttpMatchRequest out = leaf;
  out.name = joinNames(root.name, leaf.name);
  if (!out.uri) {
    out.uri = root.uri;
  }
  if (!out.scheme) {
    out.scheme = root.scheme;
  }
  if (!out.method) {
    out.method = root.method;
  }
  if (!out.authority) {
    out.authority = root.authority;
  }
  out.headers = mergeKeyed(root.headers, leaf.headers);
  out.without_headers = mergeKeyed(root.without_headers, leaf.without_headers);
  out.query_params = mergeKeyed(root.query_params, leaf.query_params);
  if (out.port == 0) {
    out.port = root.port;
  }
  for (const auto& [key, value] : root.source_labels) {
    out.source_labels.emplace(key, value);  // delegate's value kept on clashes
  }
  if (out.source_namespace.empty()) {
    out.source_namespace = root.source_namespace;
  }
  if (out.gateways.empty()) {
    out.gateways = root.gateways;
  }
  if (out.stat_prefix.empty()) {
    out.stat_prefix = root.stat_prefix;
  }
  return out;
}

// mergeHTTPMatchRequests: nullopt = conflict (the delegate rule is dropped).
std::optional<std::vector<model::HttpMatchRequest>> mergeMatches(
    const std::vector<model::HttpMatchRequest>& root,
    const std::vector<model::HttpMatchRequest>& leaf) {
  if (root.empty()) {
    return leaf;
  }
  if (leaf.empty()) {
    return root;
  }
  std::vector<model::HttpMatchRequest> out;
  for (const model::HttpMatchRequest& sub : leaf) {
    bool found = false;
    for (const model::HttpMatchRequest& r : root) {
      if (hasConflict(r, sub)) {
        continue;
      }
      out.push_back(mergeMatch(r, sub));
      found = true;
    }
    if (!found) {
      return std::nullopt;
    }
  }
  if (out.empty()) {
    return std::nullopt;
  }
  return out;
}

}  // namespace

model::VirtualService resolveVirtualServiceNames(const model::VirtualService& in,
                                                 std::string_view domain_suffix) {
  model::VirtualService vs = in;
  const std::string& ns = vs.meta.name_space;
  for (std::string& h : vs.hosts) {
    h = resolveShortName(h, ns, domain_suffix);
  }
  resolveGateways(vs.gateways, ns);
  for (model::HttpRoute& http : vs.http) {
    for (model::HttpMatchRequest& m : http.match) {
      resolveGateways(m.gateways, ns);
    }
    for (model::HttpRouteDestination& d : http.route) {
      resolveDestination(d.destination, ns, domain_suffix);
    }
    for (model::HttpMirror& m : http.mirrors) {
      resolveDestination(m.destination, ns, domain_suffix);
    }
  }
  for (model::TcpRoute& tcp : vs.tcp) {
    for (model::L4MatchAttributes& m : tcp.match) {
      resolveGateways(m.gateways, ns);
    }
    for (model::RouteDestination& d : tcp.route) {
      resolveDestination(d.destination, ns, domain_suffix);
    }
  }
  for (model::TlsRoute& tls : vs.tls) {
    for (model::TlsMatchAttributes& m : tls.match) {
      resolveGateways(m.gateways, ns);
    }
    for (model::RouteDestination& d : tls.route) {
      resolveDestination(d.destination, ns, domain_suffix);
    }
  }
  return vs;
}

bool isExportedTo(const std::vector<std::string>& export_to,
                  const std::vector<std::string>& mesh_default, std::string_view owner_ns,
                  std::string_view target_ns) {
  const std::vector<std::string>& list = export_to.empty() ? mesh_default : export_to;
  if (list.empty()) {
    return true;  // the mesh default of defaults is `*`
  }
  for (const std::string& e : list) {
    if (e == "*") {
      return true;
    }
    if ((e == "." && owner_ns == target_ns) || e == target_ns) {
      return true;
    }
  }
  return false;
}

std::vector<model::HttpRoute> mergeDelegateHttpRoutes(
    const model::HttpRoute& root, const std::vector<model::HttpRoute>& delegate) {
  std::vector<model::HttpRoute> out;
  for (const model::HttpRoute& sub : delegate) {
    std::optional<std::vector<model::HttpMatchRequest>> matches =
        mergeMatches(root.match, sub.match);
    if (!matches) {
      continue;
    }
    model::HttpRoute merged = sub;
    merged.match = std::move(*matches);
    merged.name = joinNames(root.name, sub.name);
    merged.delegate.reset();
    if (!merged.rewrite) {
      merged.rewrite = root.rewrite;
    }
    if (!merged.direct_response) {
      merged.direct_response = root.direct_response;
    }
    if (!merged.timeout_ns) {
      merged.timeout_ns = root.timeout_ns;
    }
    if (!merged.retries) {
      merged.retries = root.retries;
    }
    if (!merged.fault) {
      merged.fault = root.fault;
    }
    // `mirror`, `mirrorPercentage` and `mirrors` are inherited separately by Istio; the model
    // folds them into one list, so the delegate inherits the root's list when it has none.
    if (merged.mirrors.empty()) {
      merged.mirrors = root.mirrors;
    }
    if (!merged.cors_policy) {
      merged.cors_policy = root.cors_policy;
    }
    if (merged.headers.request.empty() && merged.headers.response.empty()) {
      merged.headers = root.headers;
    }
    merged.index = root.index;
    out.push_back(std::move(merged));
  }
  return out;
}

VirtualServiceIndex::VirtualServiceIndex(const model::ConfigSet& config) {
  const std::string& domain = config.mesh.domain_suffix;
  std::vector<const model::VirtualService*> sorted;
  for (const model::VirtualService& vs : config.virtual_services) {
    sorted.push_back(&vs);
  }
  std::stable_sort(sorted.begin(), sorted.end(),
                   [](const model::VirtualService* a, const model::VirtualService* b) {
                     return model::configOrderLess(a->meta, b->meta);
                   });

  // Delegates: VSs without hosts, resolved in their own namespace (2.1), keyed by ns/name.
  std::map<std::string, model::VirtualService, std::less<>> delegates;
  for (const model::VirtualService* vs : sorted) {
    if (vs->hosts.empty()) {
      delegates.emplace(vs->meta.ref(), resolveVirtualServiceNames(*vs, domain));
    }
  }

  for (const model::VirtualService* raw : sorted) {
    if (raw->hosts.empty()) {
      continue;
    }
    IndexedVirtualService ivs;
    ivs.vs = resolveVirtualServiceNames(*raw, domain);
    std::vector<model::HttpRoute> merged;
    for (model::HttpRoute& rule : ivs.vs.http) {
      if (!rule.delegate) {
        merged.push_back(std::move(rule));
        ivs.http_delegate.emplace_back();
        continue;
      }
      std::string dns =
          rule.delegate->name_space.empty() ? ivs.vs.meta.name_space : rule.delegate->name_space;
      std::string key = dns + "/" + rule.delegate->name;
      auto it = delegates.find(key);
      if (it == delegates.end()) {
        notes_.push_back(makeNote("lower-delegate-missing", ivs.vs, rule.loc,
                                  "http rule " + std::to_string(rule.index) +
                                      " delegates to VirtualService " + key +
                                      ", which does not exist or has hosts; Istio drops the rule"));
        continue;
      }
      const model::VirtualService& dvs = it->second;
      // Delegate exportTo: `.` means its own namespace; `*` or the root's namespace is needed.
      if (!isExportedTo(dvs.export_to, config.mesh.default_virtual_service_export_to,
                        dvs.meta.name_space, ivs.vs.meta.name_space)) {
        notes_.push_back(makeNote("lower-delegate-not-exported", ivs.vs, rule.loc,
                                  "delegate VirtualService " + key + " is not exported to " +
                                      ivs.vs.meta.name_space + "; Istio drops http rule " +
                                      std::to_string(rule.index)));
        continue;
      }
      std::vector<model::HttpRoute> parts = mergeDelegateHttpRoutes(rule, dvs.http);
      if (parts.size() < dvs.http.size()) {
        notes_.push_back(
            makeNote("lower-delegate-conflict", ivs.vs, rule.loc,
                     std::to_string(dvs.http.size() - parts.size()) + " of " +
                         std::to_string(dvs.http.size()) + " http rules of delegate " + key +
                         " conflict with every match of the root rule and are dropped"));
      }
      for (model::HttpRoute& p : parts) {
        merged.push_back(std::move(p));
        ivs.http_delegate.push_back(key);
      }
    }
    ivs.vs.http = std::move(merged);
    ivs.gateway_names = ivs.vs.gateways.empty()
                            ? std::vector<std::string>{std::string(kMeshGateway)}
                            : ivs.vs.gateways;

    Entry entry;
    entry.index = all_.size();
    const std::string& ns = ivs.vs.meta.name_space;
    if (ivs.vs.export_to.empty()) {
      // Only `.` and `*` of the mesh default are honoured (initVirtualServices).
      const std::vector<std::string>& def = config.mesh.default_virtual_service_export_to;
      bool has_private = std::find(def.begin(), def.end(), ".") != def.end();
      bool has_public = def.empty() || std::find(def.begin(), def.end(), "*") != def.end();
      if (has_private) {
        entry.private_ns.push_back(ns);
      } else if (has_public) {
        entry.is_public = true;
      }
    } else {
      const std::vector<std::string>& ex = ivs.vs.export_to;
      if (std::find(ex.begin(), ex.end(), "*") != ex.end()) {
        entry.is_public = true;
      } else if (std::find(ex.begin(), ex.end(), "~") == ex.end()) {
        std::vector<std::string> seen;
        for (const std::string& e : ex) {
          if (std::find(seen.begin(), seen.end(), e) != seen.end()) {
            continue;  // a set in Istio
          }
          seen.push_back(e);
          if (e == "." || e == ns) {
            entry.private_ns.push_back(ns);
          } else {
            entry.exported_ns.push_back(e);
          }
        }
      }
    }
    all_.push_back(std::move(ivs));
    entries_.push_back(std::move(entry));
  }
}

std::vector<const IndexedVirtualService*> VirtualServiceIndex::candidates(
    std::string_view proxy_namespace, std::string_view gateway) const {
  std::vector<const IndexedVirtualService*> priv, exported, pub;
  for (const Entry& e : entries_) {
    const IndexedVirtualService& ivs = all_[e.index];
    const std::vector<std::string>& gws = ivs.gateway_names;
    if (std::find(gws.begin(), gws.end(), gateway) == gws.end()) {
      continue;
    }
    // A VS listing a gateway twice is appended twice by Istio; keep one copy per gateway entry.
    size_t times = static_cast<size_t>(std::count(gws.begin(), gws.end(), gateway));
    for (size_t t = 0; t < times; ++t) {
      if (e.is_public) {
        pub.push_back(&ivs);
      }
      for (const std::string& ns : e.private_ns) {
        if (ns == proxy_namespace) {
          priv.push_back(&ivs);
        }
      }
      for (const std::string& ns : e.exported_ns) {
        if (ns == proxy_namespace) {
          exported.push_back(&ivs);
        }
      }
    }
  }
  std::vector<const IndexedVirtualService*> out = std::move(priv);
  out.insert(out.end(), exported.begin(), exported.end());
  out.insert(out.end(), pub.begin(), pub.end());
  return out;
}

}  // namespace meshc::lower
