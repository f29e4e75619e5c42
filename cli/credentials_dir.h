// `meshc compile --credentials-dir DIR`: the Kubernetes Secrets a gateway's TLS chains name,
// written as DIR/<name>/<key> files, the layout of a mounted Secret that meshproxy --credentials
// DIR reads. Entry points: collectCredentials(), writeCredentials().
#pragma once

#include <string>
#include <vector>

#include "base/status.h"
#include "frontend/model/model.h"
#include "lower/proxy_config.h"
#include "support/source.h"

namespace meshc::cli {

/// One Secret as files: its keys that Istio reads (cert, key, cacert, crl, tls.crt, tls.key,
/// ca.crt, ca.crl, tls.ocsp-staple), decoded, stringData merged over data.
struct CredentialFiles {
  std::string name;                                        // the credential (= Secret) name
  std::vector<std::pair<std::string, std::string>> files;  // key → bytes, sorted by key
};

struct CredentialSet {
  std::vector<CredentialFiles> credentials;  // in the order the chains name them
  /// Referenced credentials that cannot be written: "shop/x" is not in the input, or a name
  /// that is not a Secret of the gateway's namespace (sds://..., ns/name). Names only.
  std::vector<std::string> missing;
  std::vector<std::string> not_secret_names;
};

/// Resolves every credential the TLS chains of `pc` name, as Istio does for a gateway
/// (credentials.ParseResourceName: a bare name is a Secret in the proxy's namespace), plus the
/// "<first name>-cacert" Secret of MUTUAL / OPTIONAL_MUTUAL chains when the input has one (Istio
/// falls back to the credential's own CA otherwise). Fails with kInvalidArgument,
/// "PATH:LINE:COL: Secret NS/NAME: data key "K" is not valid base64", on the first bad value.
Expected<CredentialSet> collectCredentials(const lower::ProxyConfig& pc,
                                           const model::ConfigSet& config,
                                           const SourceManager& sources);

/// Writes DIR/<name>/<key> for every credential: DIR and each DIR/<name> created 0700 (an
/// existing DIR keeps its mode), files 0600, each written atomically; files of Istio's keys the
/// Secret no longer holds are removed so no stale CA stays behind. kIoError naming the path.
Status writeCredentials(const std::string& dir, const CredentialSet& set);

}  // namespace meshc::cli
