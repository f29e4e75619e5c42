// ServiceEntry analyzers (ISTIO-VALIDATION.md B.13, B.14): TCP ports need addresses, and two
// ServiceEntries must not give one host and port different protocols. Entry points:
// runServiceEntryProtocolAddresses(), runConflictingServiceEntryProtocol().
#include <algorithm>
#include <set>
#include <unordered_map>

#include "base/ascii.h"
#include "frontend/analyzers/analyzer_util.h"

namespace meshc::frontend::analyzers {

namespace {

bool metaTrue(const MeshConfig& mesh, std::string_view key) {
  auto it = mesh.proxy_metadata.find(key);
  return it != mesh.proxy_metadata.end() && it->second == "true";
}

}  // namespace

void runServiceEntryProtocolAddresses(const AnalysisContext& ctx, DiagnosticSink& sink) {
  // DNS capture with address auto-allocation gives every ServiceEntry an address.
  if (metaTrue(ctx.mesh, "ISTIO_META_DNS_CAPTURE") &&
      (metaTrue(ctx.mesh, "ISTIO_META_DNS_AUTO_ALLOCATE") ||
       metaTrue(ctx.mesh, "PILOT_ENABLE_IP_AUTOALLOCATE"))) {
    return;
  }
  for (const Resource* se : ctx.service_entries) {
    if (!itemsOf(child(se->spec, "addresses")).empty() ||
        !itemsOf(childPath(se->root, {"status", "addresses"})).empty()) {
      continue;
    }
    for (const Node* port : itemsOf(child(se->spec, "ports"))) {
      const Node* protocol = child(port, "protocol");
      std::string_view proto = textOf(protocol);
      if (!proto.empty() && ascii::toUpper(proto) != "TCP") {
        continue;
      }
      const Node* at = protocol != nullptr ? protocol : child(port, "name");
      std::optional<int64_t> number = intOf(child(port, "number"));
      report(sink, *se, "IST0134", Severity::kWarning, at != nullptr ? at : port,
             "spec.addresses is required for port " +
                 (number ? std::to_string(*number) : std::string("(unset)")) + " with " +
                 (proto.empty() ? std::string("no protocol (TCP)")
                                : "protocol " + std::string(proto)) +
                 "; expected spec.addresses, or DNS capture with address auto-allocation in the "
                 "mesh config");
    }
  }
}

namespace {

struct ProtocolUse {
  std::string protocol;  // upper-cased; "" when unset
  const Resource* se;
  const Node* port;
};

struct HostPortKey {
  std::string scope;
  std::string host;  // as written
  int64_t port;
  std::vector<ProtocolUse> uses;
};

}  // namespace

void runConflictingServiceEntryProtocol(const AnalysisContext& ctx, DiagnosticSink& sink) {
  std::vector<HostPortKey> keys;  // first-seen order keeps the output deterministic
  std::unordered_map<std::string, size_t> index;
  auto keyText = [](std::string_view scope, std::string_view host, int64_t port) {
    return std::string(scope) + "\n" + std::string(host) + "\n" + std::to_string(port);
  };
  for (const Resource* se : ctx.service_entries) {
    std::vector<std::string> scopes =
        exportScopes(stringListOf(child(se->spec, "exportTo")), se->name_space);
    for (const std::string& scope : scopes) {
      for (const Node* h : itemsOf(child(se->spec, "hosts"))) {
        for (const Node* port : itemsOf(child(se->spec, "ports"))) {
          int64_t number = intOf(child(port, "number")).value_or(0);
          auto [slot, inserted] = index.try_emplace(keyText(scope, textOf(h), number), keys.size());
          if (inserted) {
            keys.push_back(HostPortKey{scope, std::string(textOf(h)), number, {}});
          }
          keys[slot->second].uses.push_back(
              ProtocolUse{ascii::toUpper(textAt(port, "protocol")), se, port});
        }
      }
    }
  }

  std::set<const Resource*> reported;
  for (const HostPortKey& key : keys) {
    std::vector<ProtocolUse> uses = key.uses;
    if (key.scope != "*") {
      // A namespace-scoped entry also meets every entry exported to all namespaces.
      if (auto it = index.find(keyText("*", key.host, key.port)); it != index.end()) {
        const std::vector<ProtocolUse>& all = keys[it->second].uses;
        uses.insert(uses.end(), all.begin(), all.end());
      }
    }
    std::set<std::string> protocols;
    std::set<std::string> names;
    for (const ProtocolUse& u : uses) {
      protocols.insert(u.protocol);
      names.insert(u.se->name_space + "/" + u.se->name);
    }
    if (protocols.size() < 2) {
      continue;
    }
    std::vector<std::string> proto_list;
    for (const std::string& p : protocols) {
      proto_list.push_back(p.empty() ? "(unset)" : p);
    }
    std::string names_text = join(std::vector<std::string>(names.begin(), names.end()), ", ");
    for (const ProtocolUse& u : uses) {
      if (!reported.insert(u.se).second) {
        continue;
      }
      const Node* at = child(u.port, "protocol");
      report(sink, *u.se, "IST0177", Severity::kWarning, at != nullptr ? at : u.port,
             "the ServiceEntries " + names_text + " define host " + quote(key.host) + " port " +
                 std::to_string(key.port) + " with conflicting protocols (" +
                 join(proto_list, ", ") + "); expected one protocol per host and port");
    }
  }
}

}  // namespace meshc::frontend::analyzers
