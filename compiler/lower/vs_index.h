// VirtualServices as Istio indexes them: names resolved, delegates merged, candidate lists per
// proxy namespace and gateway (SEMANTICS 4.1, 4.4, 4.5). Entry point: VirtualServiceIndex.
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "frontend/model/model.h"
#include "support/diagnostic.h"

namespace meshc::lower {

/// A root VirtualService as Istio indexes it. `vs` is a resolved copy: hosts and every
/// destination host (route, mirror, tcp, tls) short-name expanded in the owning VS's namespace
/// (2.1; a delegate's destinations in the delegate's namespace), top-level and match-level
/// gateways resolved to `ns/name` or `mesh` (2.2), and delegate routes merged in place (4.4).
/// After merging, `vs.http[i].index` is the root rule's index in spec.http.
struct IndexedVirtualService {
  model::VirtualService vs;
  /// Parallel to vs.http: `ns/name` of the delegate VS the rule came from; "" for root rules.
  std::vector<std::string> http_delegate;
  /// The top-level gateways the VS is indexed under (`mesh` when none are listed).
  std::vector<std::string> gateway_names;
  std::string ref() const { return vs.meta.ref(); }
};

/// Resolves names in one VS (2.1, 2.2) without merging delegates.
model::VirtualService resolveVirtualServiceNames(const model::VirtualService& vs,
                                                 std::string_view domain_suffix);

/// True when `export_to` (as written; empty = `mesh_default`, empty too = `*`) makes an object
/// owned by `owner_ns` visible in `target_ns`: `*` everywhere, `.` or `owner_ns` in the owner's
/// namespace, `~` nowhere, any other entry in that namespace (4.5).
bool isExportedTo(const std::vector<std::string>& export_to,
                  const std::vector<std::string>& mesh_default, std::string_view owner_ns,
                  std::string_view target_ns);

/// Merges one delegate's (resolved) HTTP rules into the root rule that delegates to it (4.4).
/// Returns the merged rules in delegate order; a delegate rule whose matches all conflict with
/// every root match is dropped. Names become `root-delegate` (or whichever is non-empty).
std::vector<model::HttpRoute> mergeDelegateHttpRoutes(
    const model::HttpRoute& root, const std::vector<model::HttpRoute>& delegate);

class VirtualServiceIndex {
 public:
  /// Indexes every VS with hosts in `config` in Istio's config order (creation time, name,
  /// namespace). Never fails: a delegate that is missing or not exported to the root's
  /// namespace drops that root rule, with a note (diagnostic id `lower-delegate-*`, info).
  explicit VirtualServiceIndex(const model::ConfigSet& config);

  /// The candidate list for a proxy whose (pod) namespace is `proxy_namespace` and gateway is
  /// `gateway` (`mesh` or `ns/name`): private-to-that-namespace, then exported-to-it, then
  /// public; each part in config order (4.1). Pointers stay valid for the index's lifetime.
  std::vector<const IndexedVirtualService*> candidates(std::string_view proxy_namespace,
                                                       std::string_view gateway) const;

  /// Every root VS (hosts non-empty, delegates merged) in config order, `~`-exported included.
  const std::vector<IndexedVirtualService>& all() const { return all_; }

  /// Notes about delegation problems found while merging.
  const std::vector<Diagnostic>& notes() const { return notes_; }

 private:
  struct Entry {
    size_t index;                          // into all_
    std::vector<std::string> private_ns;   // namespaces in whose private list it is
    std::vector<std::string> exported_ns;  // namespaces it is exported to (other than its own)
    bool is_public = false;
  };
  std::vector<IndexedVirtualService> all_;
  std::vector<Entry> entries_;  // parallel to all_
  std::vector<Diagnostic> notes_;
};

}  // namespace meshc::lower
