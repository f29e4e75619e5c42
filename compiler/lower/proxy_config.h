// Per-proxy configuration as Istio computes it. The data types are the xDS subset of
// runtime/xds/proxy_config.h (shared with bundles and the runtime). Entry point: buildProxyConfig().
#pragma once

#include "frontend/model/model.h"
#include "xds/proxy_config.h"

namespace meshc::lower {

// The lowering code and its callers name the xDS types lower::Route, lower::Cluster, ...
using namespace meshc::xds;  // NOLINT(google-build-using-namespace): one vocabulary, two names

/// Computes the configuration Istio would push to `proxy`. Never fails: inputs that Istio would
/// ignore are ignored, with a note.
ProxyConfig buildProxyConfig(const model::ConfigSet& config, const ProxyIdentity& proxy);

}  // namespace meshc::lower
