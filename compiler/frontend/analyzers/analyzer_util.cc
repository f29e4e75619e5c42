// Helpers shared by the analyzers (see analyzer_util.h).
#include "frontend/analyzers/analyzer_util.h"

#include <algorithm>
#include <cstdio>

namespace meshc::frontend::analyzers {

const Node* child(const Node* n, std::string_view key) {
  return n == nullptr ? nullptr : n->get(key);
}

const Node* childPath(const Node* n, std::initializer_list<std::string_view> keys) {
  for (std::string_view k : keys) {
    n = child(n, k);
    if (n == nullptr) {
      return nullptr;
    }
  }
  return n;
}

std::span<const Node* const> itemsOf(const Node* n) {
  return n == nullptr ? std::span<const Node* const>() : n->items();
}

std::span<const MapEntry> entriesOf(const Node* n) {
  return n == nullptr ? std::span<const MapEntry>() : n->entries();
}

std::string_view textOf(const Node* n) {
  if (n == nullptr || !n->isScalar() || n->isNull()) {
    return {};
  }
  return n->text();
}

std::string_view textAt(const Node* n, std::string_view key) { return textOf(child(n, key)); }

std::optional<int64_t> intOf(const Node* n) {
  if (n == nullptr) {
    return std::nullopt;
  }
  if (n->isInt()) {
    return n->intValue();
  }
  if (!n->isString() || n->text().empty() || n->text().size() > 18) {
    return std::nullopt;
  }
  int64_t v = 0;
  for (char c : n->text()) {
    if (c < '0' || c > '9') {
      return std::nullopt;
    }
    v = v * 10 + (c - '0');
  }
  return v;
}

StringMap stringMapOf(const Node* n) {
  StringMap out;
  for (const MapEntry& e : entriesOf(n)) {
    if (e.value != nullptr && e.value->isScalar()) {
      out.emplace(std::string(e.key), std::string(textOf(e.value)));
    }
  }
  return out;
}

std::vector<std::string> stringListOf(const Node* n) {
  std::vector<std::string> out;
  for (const Node* item : itemsOf(n)) {
    if (item != nullptr && item->isScalar() && !item->isNull()) {
      out.emplace_back(item->text());
    }
  }
  return out;
}

std::string join(const std::vector<std::string>& parts, std::string_view sep) {
  std::string out;
  for (size_t i = 0; i < parts.size(); ++i) {
    if (i > 0) {
      out += sep;
    }
    out += parts[i];
  }
  return out;
}

Diagnostic& report(DiagnosticSink& sink, const Resource& r, std::string_view code, Severity sev,
                   const Node* at, std::string message) {
  Reporter rep(r, sink);
  return rep.emit(code, code, sev, at, std::move(message));
}

void addNote(Diagnostic& d, const Node* at, std::string message) {
  if (at == nullptr) {
    return;
  }
  d.notes.push_back(DiagnosticNote{std::move(message), at->loc()});
}

std::string selectorString(const StringMap& selector) {
  std::string out;
  for (const auto& [key, value] : selector) {  // StringMap is ordered by key
    if (!out.empty()) {
      out += ',';
    }
    out += key;
    out += '=';
    out += value;
  }
  return out;
}

const Node* firstSelectorNode(const Node* selector) {
  const MapEntry* first = nullptr;
  for (const MapEntry& e : entriesOf(selector)) {
    if (first == nullptr || e.key < first->key) {
      first = &e;
    }
  }
  return first != nullptr ? first->value : selector;
}

std::vector<Workload> collectWorkloads(const AnalysisContext& ctx) {
  std::vector<Workload> out;
  out.reserve(ctx.workloads.size());
  for (const Resource* r : ctx.workloads) {
    if (r == nullptr) {
      continue;
    }
    Workload w;
    w.resource = r;
    w.labels = workloadLabels(*r);
    if (r->kind == ResourceKind::kPod) {
      w.annotations = r->annotations;
      w.node_name = std::string(textAt(r->spec, "nodeName"));
    } else {
      const Node* tmpl = child(r->spec, "template");
      w.annotations = stringMapOf(childPath(tmpl, {"metadata", "annotations"}));
      w.node_name = std::string(textAt(child(tmpl, "spec"), "nodeName"));
    }
    out.push_back(std::move(w));
  }
  return out;
}

std::string workloadDisplayName(const Resource& r) {
  if (r.kind == ResourceKind::kPod) {
    return r.name;
  }
  return std::string(resourceKindName(r.kind)) + " " + r.name;
}

std::string toFqdn(std::string_view host, std::string_view ns, const MeshConfig& mesh) {
  if (host.starts_with('*') || host.find('.') != std::string_view::npos) {
    return std::string(host);
  }
  std::string out(host);
  out += '.';
  out += ns;
  out += ".svc.";
  out += mesh.domain_suffix;
  return out;
}

bool exportsToAll(const std::vector<std::string>& export_to) {
  return export_to.empty() || std::find(export_to.begin(), export_to.end(), "*") != export_to.end();
}

std::vector<std::string> exportScopes(const std::vector<std::string>& export_to,
                                      std::string_view own_ns) {
  if (exportsToAll(export_to)) {
    return {"*"};
  }
  std::vector<std::string> out;
  for (const std::string& e : export_to) {
    std::string scope = e == "." ? std::string(own_ns) : e;
    if (std::find(out.begin(), out.end(), scope) == out.end()) {
      out.push_back(std::move(scope));
    }
  }
  return out;
}

FullName shortOrFullName(std::string_view default_ns, std::string_view name) {
  size_t slash = name.find('/');
  if (slash == std::string_view::npos) {
    return FullName{std::string(default_ns), std::string(name)};
  }
  return FullName{std::string(name.substr(0, slash)), std::string(name.substr(slash + 1))};
}

std::optional<FullName> nameFromFqdn(std::string_view host, const MeshConfig& mesh) {
  // Istio matches ^(.+)\.(.+)\.svc\.cluster\.local$ greedily: the namespace is the last label.
  std::string suffix = ".svc." + mesh.domain_suffix;
  if (!host.ends_with(suffix)) {
    return std::nullopt;
  }
  std::string_view rest = host.substr(0, host.size() - suffix.size());
  size_t dot = rest.rfind('.');
  if (dot == std::string_view::npos || dot == 0 || dot + 1 == rest.size()) {
    return std::nullopt;
  }
  return FullName{std::string(rest.substr(dot + 1)), std::string(rest.substr(0, dot))};
}

FullName resourceNameFromHost(std::string_view default_ns, std::string_view host,
                              const MeshConfig& mesh) {
  if (std::optional<FullName> n = nameFromFqdn(host, mesh)) {
    return *n;
  }
  return FullName{std::string(default_ns), std::string(host)};
}

// --- ServiceTable ----------------------------------------------------------------------------

ServiceTable::ServiceTable(const AnalysisContext& ctx) : mesh_(ctx.mesh) {
  for (const Resource* se : ctx.service_entries) {
    ServiceTarget target;
    target.resource = se;
    for (const Node* port : itemsOf(child(se->spec, "ports"))) {
      target.ports.push_back(intOf(child(port, "number")).value_or(0));
    }
    target.workload_selector = stringMapOf(childPath(se->spec, {"workloadSelector", "labels"}));
    std::vector<std::string> scopes =
        exportScopes(stringListOf(child(se->spec, "exportTo")), se->name_space);
    for (const Node* h : itemsOf(child(se->spec, "hosts"))) {
      std::string fqdn = toFqdn(textOf(h), se->name_space, mesh_);
      for (const std::string& scope : scopes) {
        put(scope, fqdn, target);
      }
    }
  }
  // Kubernetes Services come second, so they replace a ServiceEntry with the same FQDN/scope.
  for (const Resource* svc : ctx.services) {
    ServiceTarget target;
    target.resource = svc;
    for (const Node* port : itemsOf(child(svc->spec, "ports"))) {
      target.ports.push_back(intOf(child(port, "port")).value_or(0));
    }
    std::string fqdn = toFqdn(svc->name, svc->name_space, mesh_);
    auto anno = svc->annotations.find("networking.istio.io/exportTo");
    if (anno == svc->annotations.end() || anno->second.empty()) {
      put("*", fqdn, target);
      continue;
    }
    std::string_view list = anno->second;
    size_t start = 0;
    while (start <= list.size()) {
      size_t comma = list.find(',', start);
      std::string_view part = list.substr(
          start, comma == std::string_view::npos ? std::string_view::npos : comma - start);
      while (!part.empty() && (part.front() == ' ' || part.front() == '\t')) {
        part.remove_prefix(1);
      }
      while (!part.empty() && (part.back() == ' ' || part.back() == '\t')) {
        part.remove_suffix(1);
      }
      put(part == "." ? svc->name_space : std::string(part), fqdn, target);
      if (comma == std::string_view::npos) {
        break;
      }
      start = comma + 1;
    }
  }
}

void ServiceTable::put(std::string scope, std::string fqdn, const ServiceTarget& target) {
  std::string key = scope + "/" + fqdn;
  auto it = index_.find(key);
  if (it != index_.end()) {
    entries_[it->second].target = target;
    return;
  }
  index_.emplace(std::move(key), entries_.size());
  entries_.push_back(Entry{std::move(scope), std::move(fqdn), target});
}

const ServiceTarget* ServiceTable::find(std::string_view scope, std::string_view fqdn) const {
  std::string key(scope);
  key += '/';
  key += fqdn;
  auto it = index_.find(key);
  return it == index_.end() ? nullptr : &entries_[it->second].target;
}

const ServiceTarget* ServiceTable::lookup(std::string_view source_ns,
                                          const std::vector<std::string>& export_to,
                                          std::string_view host) const {
  std::string fqdn = toFqdn(host, source_ns, mesh_);
  if (const ServiceTarget* t = find("*", fqdn)) {
    return t;
  }
  if (export_to.empty()) {
    if (const ServiceTarget* t = find(source_ns, fqdn)) {
      return t;
    }
  } else {
    for (const std::string& e : export_to) {
      if (const ServiceTarget* t = find(e == "." ? source_ns : std::string_view(e), fqdn)) {
        return t;
      }
    }
  }
  // Wildcard entries compare against the host as written (not FQDN-ized), as Istio does.
  std::string_view bare = host.starts_with('*') ? host.substr(1) : host;
  for (const Entry& e : entries_) {
    if (!e.fqdn.starts_with('*')) {
      continue;
    }
    if (e.scope != "*" && e.scope != source_ns) {
      continue;
    }
    if (bare.ends_with(std::string_view(e.fqdn).substr(1))) {
      return &e.target;
    }
  }
  return nullptr;
}

// --- Route destinations ------------------------------------------------------------------------

const Node* RouteDestination::hostNode() const {
  if (const Node* h = child(destination, "host")) {
    return h;
  }
  return destination != nullptr ? destination : entry;
}

std::vector<RouteDestination> routeDestinations(const Resource& vs) {
  std::vector<RouteDestination> out;
  for (const char* section : {"tcp", "tls", "http"}) {
    auto rules = itemsOf(child(vs.spec, section));
    for (size_t i = 0; i < rules.size(); ++i) {
      auto routes = itemsOf(child(rules[i], "route"));
      for (size_t j = 0; j < routes.size(); ++j) {
        const Node* dest = child(routes[j], "destination");
        out.push_back(RouteDestination{section, i, j, routes[j],
                                       dest != nullptr && dest->isMap() ? dest : nullptr});
      }
    }
  }
  return out;
}

std::vector<RouteDestination> mirrorDestinations(const Resource& vs) {
  std::vector<RouteDestination> out;
  auto rules = itemsOf(child(vs.spec, "http"));
  for (size_t i = 0; i < rules.size(); ++i) {
    const Node* mirror = child(rules[i], "mirror");
    if (mirror != nullptr && mirror->isMap()) {
      out.push_back(RouteDestination{"mirror", i, 0, mirror, mirror});
    }
    auto mirrors = itemsOf(child(rules[i], "mirrors"));
    for (size_t j = 0; j < mirrors.size(); ++j) {
      const Node* dest = child(mirrors[j], "destination");
      out.push_back(RouteDestination{"mirrors", i, j, mirrors[j],
                                     dest != nullptr && dest->isMap() ? dest : nullptr});
    }
  }
  return out;
}

}  // namespace meshc::frontend::analyzers
