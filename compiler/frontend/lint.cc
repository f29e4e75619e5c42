// The lint pipeline: load, schema, webhook rules, analyzers, suppression, ordering.
#include "frontend/lint.h"

#include <algorithm>
#include <fstream>
#include <sstream>
#include <unordered_map>

#include "frontend/analyzers/analyzer.h"
#include "frontend/reporter.h"
#include "frontend/schema_check.h"
#include "frontend/validation/validate.h"

namespace meshc::frontend {

namespace {

constexpr std::string_view kSuppressAnnotation = "galley.istio.io/analyze-suppress";

// Glob with '*' only, as istioctl's --suppress resource patterns.
bool globMatch(std::string_view pattern, std::string_view text) {
  size_t p = 0;
  size_t t = 0;
  size_t star = std::string_view::npos;
  size_t mark = 0;
  while (t < text.size()) {
    if (p < pattern.size() && pattern[p] == '*') {
      star = p++;
      mark = t;
    } else if (p < pattern.size() && pattern[p] == text[t]) {
      ++p;
      ++t;
    } else if (star != std::string_view::npos) {
      p = star + 1;
      t = ++mark;
    } else {
      return false;
    }
  }
  while (p < pattern.size() && pattern[p] == '*') {
    ++p;
  }
  return p == pattern.size();
}

bool codeMatches(std::string_view code, const Diagnostic& d) {
  return code == "*" || code == d.id || (!d.istio_code.empty() && code == d.istio_code);
}

// Two objects with the same kind, namespace and name: applying both leaves only the later one,
// so the analyzers see only that one (as istioctl's file source keeps the last), and the earlier
// is reported. Returns the superseded resources' indices.
std::vector<bool> findSuperseded(const std::vector<Resource>& resources, DiagnosticSink& sink) {
  std::vector<bool> superseded(resources.size(), false);
  std::unordered_map<std::string, size_t> last;
  for (size_t i = 0; i < resources.size(); ++i) {
    const Resource& r = resources[i];
    if (r.name.empty()) {
      continue;
    }
    std::string key = r.ref().friendlyName();
    auto [it, inserted] = last.emplace(key, i);
    if (inserted) {
      continue;
    }
    const Resource& earlier = resources[it->second];
    superseded[it->second] = true;
    Diagnostic d;
    d.id = "duplicate-resource";
    d.severity = Severity::kWarning;
    d.message = key + " is defined more than once; applying both keeps only this later definition";
    d.loc = r.metadata && r.metadata->get("name") ? r.metadata->get("name")->loc() : r.loc;
    d.length = static_cast<uint32_t>(std::max<size_t>(1, r.name.size()));
    d.resource = r.ref();
    SourceLoc first = earlier.metadata && earlier.metadata->get("name")
                          ? earlier.metadata->get("name")->loc()
                          : earlier.loc;
    d.notes.push_back(DiagnosticNote{"earlier definition, ignored by the cross-resource analyzers",
                                     first});
    sink.report(std::move(d));
    it->second = i;
  }
  return superseded;
}

void buildContextAndAnalyze(std::vector<Resource>& resources, const MeshConfig& mesh,
                            DiagnosticSink& sink, LintResult& result) {
  analyzers::AnalysisContext ctx{mesh, {}, {}, {}, {}, {}, {}, {}, {}, {}, {}, {}, {}};
  std::vector<bool> superseded = findSuperseded(resources, sink);
  for (size_t i = 0; i < resources.size(); ++i) {
    if (superseded[i]) {
      continue;
    }
    const Resource& r = resources[i];
    if (std::find(ctx.present.begin(), ctx.present.end(), r.kind) == ctx.present.end()) {
      ctx.present.push_back(r.kind);
    }
    switch (r.kind) {
      case ResourceKind::kGateway:
        ctx.gateways.push_back(&r);
        break;
      case ResourceKind::kVirtualService:
        ctx.virtual_services.push_back(&r);
        break;
      case ResourceKind::kSidecar:
        ctx.sidecars.push_back(&r);
        break;
      case ResourceKind::kDestinationRule:
        ctx.destination_rules.push_back(&r);
        break;
      case ResourceKind::kServiceEntry:
        ctx.service_entries.push_back(&r);
        break;
      case ResourceKind::kRequestAuthentication:
        ctx.request_authentications.push_back(&r);
        break;
      case ResourceKind::kService:
        ctx.services.push_back(&r);
        break;
      case ResourceKind::kPod:
        ctx.pods.push_back(&r);
        ctx.workloads.push_back(&r);
        break;
      case ResourceKind::kNamespace:
        ctx.namespaces.push_back(&r);
        break;
      case ResourceKind::kSecret:
        ctx.secrets.push_back(&r);
        break;
      case ResourceKind::kDeployment:
      case ResourceKind::kStatefulSet:
      case ResourceKind::kDaemonSet:
      case ResourceKind::kReplicaSet:
      case ResourceKind::kJob:
        ctx.workloads.push_back(&r);
        break;
      case ResourceKind::kEndpointSlice:
        break;  // checked on its own (validateEndpointSlice); no Istio analyzer reads it

    }
  }
  for (const analyzers::AnalyzerInfo& a : analyzers::allAnalyzers()) {
    std::string missing;
    for (ResourceKind k : a.inputs) {
      if (!ctx.has(k)) {
        missing += missing.empty() ? "" : ", ";
        missing += resourceKindName(k);
      }
    }
    if (!missing.empty()) {
      result.analyzers_skipped.emplace_back(a.name, "no " + missing + " in the input");
      continue;
    }
    a.run(ctx, sink);
    result.analyzers_run.emplace_back(a.name);
  }
}

void applySuppressions(const std::vector<Resource>& resources, const LintOptions& options,
                       std::vector<Diagnostic>& diags, LintResult& result) {
  std::unordered_map<std::string, std::string> annotation_by_resource;
  for (const Resource& r : resources) {
    auto it = r.annotations.find(kSuppressAnnotation);
    if (it != r.annotations.end()) {
      annotation_by_resource[r.ref().friendlyName()] = it->second;
    }
  }
  auto suppressed = [&](const Diagnostic& d) {
    if (d.resource.empty()) {
      return false;
    }
    std::string friendly = d.resource.friendlyName();
    if (auto it = annotation_by_resource.find(friendly); it != annotation_by_resource.end()) {
      std::string_view list = it->second;
      // Comma-separated, no trimming (as istioctl), or "*".
      size_t start = 0;
      while (start <= list.size()) {
        size_t comma = list.find(',', start);
        std::string_view code =
            list.substr(start, comma == std::string_view::npos ? std::string_view::npos
                                                                : comma - start);
        if (codeMatches(code, d)) {
          return true;
        }
        if (comma == std::string_view::npos) {
          break;
        }
        start = comma + 1;
      }
    }
    std::string legacy = d.resource.kind + " " + d.resource.name +
                         (d.resource.name_space.empty() ? "" : "." + d.resource.name_space);
    for (const Suppression& s : options.suppressions) {
      if (codeMatches(s.code, d) &&
          (globMatch(s.resource, friendly) || globMatch(s.resource, legacy))) {
        return true;
      }
    }
    return false;
  };
  size_t before = diags.size();
  diags.erase(std::remove_if(diags.begin(), diags.end(), suppressed), diags.end());
  result.suppressed = static_cast<int>(before - diags.size());
}

LintResult lintLoaded(Loader& loader, const MeshConfig& mesh, DiagnosticSink& sink,
                      SourceManager& sources, const LintOptions& options) {
  LintResult result;
  std::vector<Resource>& resources = loader.resources();
  for (Resource& r : resources) {
    r.schema_valid = checkSchema(r, sink);
    if (r.schema_valid && isIstioKind(r.kind)) {
      Reporter rep(r, sink);
      validation::validateResource(r, rep);
    } else if (r.schema_valid && r.kind == ResourceKind::kEndpointSlice) {
      Reporter rep(r, sink);
      validation::validateEndpointSlice(r, rep);
    }
  }
  buildContextAndAnalyze(resources, mesh, sink, result);
  for (const ExtraCheck& check : options.extra_checks) {
    check(resources, mesh, sink);
  }
  std::vector<Diagnostic> diags = std::move(sink.mutableDiagnostics());
  applySuppressions(resources, options, diags, result);
  sortDiagnostics(diags, sources);
  result.diagnostics = std::move(diags);
  result.files = loader.filesRead();
  result.resources = static_cast<int>(resources.size());
  result.skipped_kinds = loader.skippedKinds();
  return result;
}

Expected<MeshConfig> loadMeshConfig(const std::string& path, SourceManager& sources,
                                    DiagnosticSink& sink, std::vector<std::unique_ptr<YamlArena>>& arenas) {
  MeshConfig mesh;
  if (path.empty()) {
    return mesh;
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return Status::error(StatusCode::kNotFound, path + ": cannot read mesh config file");
  }
  std::ostringstream ss;
  ss << in.rdbuf();
  uint32_t id = sources.add(path, std::move(ss).str());
  arenas.push_back(std::make_unique<YamlArena>());
  std::vector<YamlDocument> docs = parseYamlFile(sources, id, *arenas.back(), sink);
  if (docs.empty()) {
    return mesh;
  }
  const Node* root = docs.front().root;
  // An istio ConfigMap carries the MeshConfig as YAML text under data.mesh.
  if (root->isMap() && root->str("kind") == "ConfigMap") {
    const Node* data = root->get("data");
    std::string_view text = data ? data->str("mesh") : std::string_view();
    if (text.empty()) {
      return mesh;
    }
    uint32_t inner = sources.add(path + " (data.mesh)", std::string(text));
    arenas.push_back(std::make_unique<YamlArena>());
    docs = parseYamlFile(sources, inner, *arenas.back(), sink);
    if (docs.empty()) {
      return mesh;
    }
    root = docs.front().root;
  }
  return parseMeshConfig(*root, sink);
}

}  // namespace

std::optional<Suppression> parseSuppression(std::string_view text) {
  size_t eq = text.find('=');
  if (eq == std::string_view::npos || text.find('=', eq + 1) != std::string_view::npos || eq == 0 ||
      eq + 1 == text.size()) {
    return std::nullopt;
  }
  return Suppression{std::string(text.substr(0, eq)), std::string(text.substr(eq + 1))};
}

Expected<LintResult> runLint(const LintOptions& options, SourceManager& sources,
                             std::shared_ptr<LintSession>* keep) {
  auto session = std::make_shared<LintSession>();
  LoaderOptions lo;
  lo.default_namespace = options.default_namespace;
  session->loader = std::make_unique<Loader>(sources, session->sink, lo);
  Expected<MeshConfig> mesh =
      loadMeshConfig(options.mesh_config_path, sources, session->sink, session->arenas);
  if (!mesh) {
    return mesh.status();
  }
  session->mesh = *mesh;
  for (const std::string& p : options.paths) {
    if (Status st = session->loader->addPath(p); !st) {
      return st;
    }
  }
  LintResult result = lintLoaded(*session->loader, session->mesh, session->sink, sources, options);
  if (keep != nullptr) {
    *keep = std::move(session);
  }
  return result;
}

std::vector<Resource> admittedResources(const std::vector<Resource>& resources,
                                        const std::vector<Diagnostic>& diagnostics) {
  std::unordered_map<std::string, bool> rejected;
  for (const Diagnostic& d : diagnostics) {
    if (d.severity == Severity::kError && !d.resource.empty() &&
        (d.istio_code == kIstSchemaError || d.istio_code.empty())) {
      rejected[d.resource.friendlyName()] = true;
    }
  }
  std::vector<Resource> out = resources;
  for (Resource& r : out) {
    if (rejected.count(r.ref().friendlyName()) != 0) {
      r.schema_valid = false;
    }
  }
  return out;
}

LintResult lintTexts(const std::vector<std::pair<std::string, std::string>>& files,
                     SourceManager& sources, const LintOptions& options) {
  DiagnosticSink sink;
  LoaderOptions lo;
  lo.default_namespace = options.default_namespace;
  Loader loader(sources, sink, lo);
  for (const auto& [path, text] : files) {
    loader.addText(path, text);
  }
  MeshConfig mesh;
  std::vector<std::unique_ptr<YamlArena>> arenas;
  if (!options.mesh_config_text.empty()) {
    uint32_t id = sources.add("mesh-config.yaml", options.mesh_config_text);
    arenas.push_back(std::make_unique<YamlArena>());
    std::vector<YamlDocument> docs = parseYamlFile(sources, id, *arenas.back(), sink);
    if (!docs.empty()) {
      mesh = parseMeshConfig(*docs.front().root, sink);
    }
  }
  return lintLoaded(loader, mesh, sink, sources, options);
}

}  // namespace meshc::frontend
