// Per-proxy configuration as Istio computes it. The data types are the xDS subset of
// runtime/xds/proxy_config.h (shared with bundles and the runtime). Entry point: buildProxyConfig().
#pragma once

#include "frontend/model/model.h"
#include "support/diagnostic.h"
#include "xds/proxy_config.h"

namespace meshc::lower {

// The lowering code and its callers name the xDS types lower::Route, lower::Cluster, ...
using namespace meshc::xds;  // NOLINT(google-build-using-namespace): one vocabulary, two names

/// Positions cross the compile/runtime boundary as plain SourceRefs (same file index).
inline SourceRef toSourceRef(const meshc::SourceLoc& l) { return SourceRef{l.file, l.line, l.column}; }
inline meshc::SourceLoc toSourceLoc(const SourceRef& r) {
  return meshc::SourceLoc{r.file, r.line, r.column};
}

/// What lowering produces for one proxy: the configuration (what a bundle carries) and, beside
/// it, the compile-time notes about choices Istio makes silently (a server dropped for a
/// duplicate port, a VirtualService whose hosts match no server, ...) for `explain` and lint.
struct LoweredProxy {
  ProxyConfig config;
  std::vector<Diagnostic> notes;
};

/// Computes the configuration Istio would push to `proxy`. Never fails: inputs that Istio would
/// ignore are ignored, with a note.
LoweredProxy buildProxyConfig(const model::ConfigSet& config, const ProxyIdentity& proxy);

}  // namespace meshc::lower
