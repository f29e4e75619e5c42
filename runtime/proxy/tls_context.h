// The TLS server side of a filter chain that terminates TLS (PROXY-SEMANTICS R14.1, R14.4–R14.6):
// certificates and keys (by credential name under the credentials directory, laid out as a
// mounted Kubernetes Secret, or by file path), client-certificate verification for MUTUAL and
// OPTIONAL_MUTUAL with subjectAltNames / SPKI / certificate-hash pins, protocol versions,
// ciphers, curves and ALPN, with Envoy's defaults where Istio sets nothing. Built when a
// snapshot loads, so a reload re-reads the certificates. Key material never reaches a log or an
// error text. Entry points: ServerTls::create(), credentialFiles().
#pragma once

#include <boost/asio/ssl/context.hpp>
#include <memory>
#include <string>
#include <vector>

#include "base/status.h"
#include "xds/proxy_config.h"

namespace meshc::proxy {

/// Where a credential's files are: `dir/name/` holding cert + key (generic) or tls.crt +
/// tls.key (kubernetes.io/tls), and the CA as cacert or ca.crt in `dir/name-cacert/` or there
/// (Istio's conventions and order for credentialName). Empty strings for what is not there.
struct CredentialFiles {
  std::string certificate, key, ca;
};
CredentialFiles credentialFiles(const std::string& dir, const std::string& name);

class ServerTls {
 public:
  /// The context for `config`, or why it cannot serve (a missing or unreadable file, a key
  /// that does not match its certificate, ISTIO_MUTUAL, an unknown version or cipher list).
  static Expected<std::shared_ptr<ServerTls>> create(const xds::TlsContext& config,
                                                     const std::string& credentials_dir,
                                                     bool http);
  boost::asio::ssl::context& context() { return context_; }
  const xds::TlsContext& config() const { return config_; }
  /// The protocols offered in ALPN (R14.4), those meshproxy speaks on this chain.
  const std::vector<std::string>& alpn() const { return alpn_; }

  /// The client certificate checks beyond the CA (R14.6): subjectAltNames, SPKI and hash
  /// pins. Public for the verify callback.
  bool acceptsPeer(void* x509) const;

 private:
  ServerTls(boost::asio::ssl::context context, xds::TlsContext config)
      : context_(std::move(context)), config_(std::move(config)) {}
  boost::asio::ssl::context context_;
  xds::TlsContext config_;
  std::vector<std::string> alpn_;
  std::string alpn_wire_;  // alpn_ as the ALPN extension's list
};

}  // namespace meshc::proxy
