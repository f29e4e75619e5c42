// TLS server contexts for terminating filter chains.
#include "proxy/tls_context.h"

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include <algorithm>
#include <arpa/inet.h>
#include <cctype>
#include <sys/stat.h>

namespace meshc::proxy {
namespace {

namespace ssl = boost::asio::ssl;

bool isFile(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode);
}

std::string firstExisting(const std::string& dir, std::initializer_list<const char*> names) {
  for (const char* n : names) {
    std::string path = dir + "/" + n;
    if (isFile(path)) {
      return path;
    }
  }
  return {};
}

// The library's reason for the last failure, without anything it read.
std::string opensslReason() {
  unsigned long e = ERR_peek_last_error();
  ERR_clear_error();
  if (e == 0) {
    return "unknown OpenSSL error";
  }
  const char* reason = ERR_reason_error_string(e);
  return reason != nullptr ? reason : "OpenSSL error " + std::to_string(e);
}

// Istio's names (TLSV1_0 ... TLSV1_3, TLS_AUTO) → OpenSSL's; 0 = the default.
bool protocolVersion(const std::string& name, int fallback, int* out) {
  if (name.empty() || name == "TLS_AUTO") {
    *out = fallback;
    return true;
  }
  static const std::pair<const char*, int> kVersions[] = {
      {"TLSV1_0", TLS1_VERSION}, {"TLSV1_1", TLS1_1_VERSION},
      {"TLSV1_2", TLS1_2_VERSION}, {"TLSV1_3", TLS1_3_VERSION}};
  for (const auto& [n, v] : kVersions) {
    if (name == n) {
      *out = v;
      return true;
    }
  }
  return false;
}

// R14.5: Envoy's server cipher preference for TLS ≤ 1.2. BoringSSL's equal-preference groups
// ([A|B]) have no OpenSSL spelling: their members keep their order.
constexpr const char* kEnvoyCiphers =
    "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-ECDSA-CHACHA20-POLY1305:"
    "ECDHE-RSA-AES128-GCM-SHA256:ECDHE-RSA-CHACHA20-POLY1305:"
    "ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384";
constexpr const char* kEnvoyCurves = "X25519:P-256";

std::string joined(const std::vector<std::string>& items, char sep) {
  std::string out;
  for (const std::string& i : items) {
    std::string item = i;
    item.erase(std::remove_if(item.begin(), item.end(),
                              [](char c) { return c == '[' || c == ']'; }),
               item.end());
    std::replace(item.begin(), item.end(), '|', sep);
    if (!out.empty()) {
      out += sep;
    }
    out += item;
  }
  return out;
}

// The SSL_CTX ex_data slot that points back at the ServerTls (one index for the process).
int exIndex() {
  static const int index = SSL_CTX_get_ex_new_index(0, nullptr, nullptr, nullptr, nullptr);
  return index;
}

int verifyPeer(int preverify_ok, X509_STORE_CTX* store) {
  if (preverify_ok != 1) {
    return 0;
  }
  if (X509_STORE_CTX_get_error_depth(store) != 0) {
    return 1;  // only the client's own certificate is pinned
  }
  SSL* ssl = static_cast<SSL*>(
      X509_STORE_CTX_get_ex_data(store, SSL_get_ex_data_X509_STORE_CTX_idx()));
  const auto* self =
      static_cast<const ServerTls*>(SSL_CTX_get_ex_data(SSL_get_SSL_CTX(ssl), exIndex()));
  X509* cert = X509_STORE_CTX_get_current_cert(store);
  if (self == nullptr || !self->acceptsPeer(cert)) {  // fails closed
    X509_STORE_CTX_set_error(store, X509_V_ERR_APPLICATION_VERIFICATION);
    return 0;
  }
  return 1;
}

int selectAlpn(SSL*, const unsigned char** out, unsigned char* outlen, const unsigned char* in,
               unsigned inlen, void* arg) {
  const auto* wire = static_cast<const std::string*>(arg);
  unsigned char* selected = nullptr;
  // Server preference: the first protocol of ours the client also offers.
  if (SSL_select_next_proto(&selected, outlen, reinterpret_cast<const unsigned char*>(wire->data()),
                            static_cast<unsigned>(wire->size()), in,
                            inlen) != OPENSSL_NPN_NEGOTIATED) {
    return SSL_TLSEXT_ERR_NOACK;
  }
  *out = selected;
  return SSL_TLSEXT_ERR_OK;
}

std::string lowerHex(const unsigned char* p, unsigned n) {
  static const char* kDigits = "0123456789abcdef";
  std::string out;
  for (unsigned i = 0; i < n; ++i) {
    out += kDigits[p[i] >> 4];
    out += kDigits[p[i] & 15];
  }
  return out;
}

std::string base64(const unsigned char* p, unsigned n) {
  std::string out(4 * ((n + 2) / 3) + 1, '\0');
  int len = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()), p, static_cast<int>(n));
  out.resize(static_cast<size_t>(len));
  return out;
}

}  // namespace

CredentialFiles credentialFiles(const std::string& dir, const std::string& name) {
  CredentialFiles f;
  std::string base = dir + "/" + name;
  // Istio's order (pilot credentials/kube/secrets.go): the generic keys before the
  // kubernetes.io/tls ones, and the CA from the -cacert twin before the credential's own.
  f.certificate = firstExisting(base, {"cert", "tls.crt"});
  f.key = firstExisting(base, {"key", "tls.key"});
  f.ca = firstExisting(base + "-cacert", {"cacert", "ca.crt"});
  if (f.ca.empty()) {
    f.ca = firstExisting(base, {"cacert", "ca.crt"});
  }
  return f;
}

bool ServerTls::acceptsPeer(void* x509) const {
  X509* cert = static_cast<X509*>(x509);
  if (!config_.subject_alt_names.empty()) {
    bool matched = false;
    GENERAL_NAMES* names =
        static_cast<GENERAL_NAMES*>(X509_get_ext_d2i(cert, NID_subject_alt_name, nullptr, nullptr));
    for (int i = 0; names != nullptr && i < sk_GENERAL_NAME_num(names) && !matched; ++i) {
      const GENERAL_NAME* n = sk_GENERAL_NAME_value(names, i);
      std::string value;
      if (n->type == GEN_DNS || n->type == GEN_URI || n->type == GEN_EMAIL) {
        const ASN1_IA5STRING* s = n->d.ia5;
        value.assign(reinterpret_cast<const char*>(ASN1_STRING_get0_data(s)),
                     static_cast<size_t>(ASN1_STRING_length(s)));
      } else if (n->type == GEN_IPADD) {
        const int len = ASN1_STRING_length(n->d.ip);
        char text[INET6_ADDRSTRLEN] = {};
        if ((len == 4 || len == 16) &&
            inet_ntop(len == 4 ? AF_INET : AF_INET6, ASN1_STRING_get0_data(n->d.ip), text,
                      sizeof(text)) != nullptr) {
          value = text;  // canonical text, as the SAN would be written
        }
      }
      matched = std::find(config_.subject_alt_names.begin(), config_.subject_alt_names.end(),
                          value) != config_.subject_alt_names.end();
    }
    GENERAL_NAMES_free(names);
    if (!matched) {
      return false;
    }
  }
  if (config_.verify_certificate_spki.empty() && config_.verify_certificate_hash.empty()) {
    return true;
  }
  // Either pin list may accept the certificate (Envoy's CertificateValidationContext).
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned len = 0;
  if (!config_.verify_certificate_hash.empty() &&
      X509_digest(cert, EVP_sha256(), digest, &len) == 1) {
    std::string hex = lowerHex(digest, len);
    for (std::string want : config_.verify_certificate_hash) {
      want.erase(std::remove(want.begin(), want.end(), ':'), want.end());
      std::transform(want.begin(), want.end(), want.begin(),
                     [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
      if (want == hex) {
        return true;
      }
    }
  }
  if (!config_.verify_certificate_spki.empty() &&
      X509_pubkey_digest(cert, EVP_sha256(), digest, &len) == 1) {
    std::string b64 = base64(digest, len);
    if (std::find(config_.verify_certificate_spki.begin(), config_.verify_certificate_spki.end(),
                  b64) != config_.verify_certificate_spki.end()) {
      return true;
    }
  }
  return false;
}

Expected<std::shared_ptr<ServerTls>> ServerTls::create(const xds::TlsContext& config,
                                                       const std::string& credentials_dir,
                                                       bool http) {
  auto fail = [](std::string text) {
    return Status::error(StatusCode::kInvalidArgument, std::move(text));
  };
  if (config.mode == "ISTIO_MUTUAL") {
    return fail("ISTIO_MUTUAL needs the mesh's workload certificates, which meshproxy does not have");
  }
  const bool mutual = config.mode == "MUTUAL";
  const bool optional_mutual = config.mode == "OPTIONAL_MUTUAL";
  // Certificate and key pairs, and the CA for client certificates.
  std::vector<std::pair<std::string, std::string>> pairs;
  std::string ca = config.ca_certificates;
  if (!config.credential_names.empty()) {
    if (credentials_dir.empty()) {
      return fail("credential " + config.credential_names.front() +
                  " needs --credentials DIR (its files under DIR/" +
                  config.credential_names.front() + "/)");
    }
    for (const std::string& name : config.credential_names) {
      CredentialFiles f = credentialFiles(credentials_dir, name);
      if (f.certificate.empty() || f.key.empty()) {
        return fail("credential " + name + ": no tls.crt and tls.key (or cert and key) under " +
                    credentials_dir + "/" + name + "/");
      }
      pairs.emplace_back(f.certificate, f.key);
      if (ca.empty()) {
        ca = f.ca;
      }
    }
  } else {
    if (config.server_certificate.empty() || config.private_key.empty()) {
      return fail("no credentialName and no serverCertificate/privateKey");
    }
    pairs.emplace_back(config.server_certificate, config.private_key);
  }
  if ((mutual || optional_mutual) && ca.empty()) {
    return fail(config.mode + " needs a CA to verify client certificates (caCertificates, or " +
                "ca.crt in the credential or its -cacert twin)");
  }
  int min_version = 0;
  int max_version = 0;
  if (!protocolVersion(config.min_protocol_version, TLS1_2_VERSION, &min_version) ||
      !protocolVersion(config.max_protocol_version, TLS1_3_VERSION, &max_version)) {
    return fail("unknown TLS protocol version " + config.min_protocol_version + "/" +
                config.max_protocol_version);
  }
  ssl::context context(ssl::context::tls_server);
  SSL_CTX* ctx = context.native_handle();
  ERR_clear_error();
  SSL_CTX_set_min_proto_version(ctx, min_version);
  SSL_CTX_set_max_proto_version(ctx, max_version);
  SSL_CTX_set_options(ctx, SSL_OP_CIPHER_SERVER_PREFERENCE | SSL_OP_NO_RENEGOTIATION |
                               SSL_OP_NO_COMPRESSION);
  SSL_CTX_set_mode(ctx, SSL_MODE_RELEASE_BUFFERS);  // idle connections hold no record buffers
  std::string ciphers = config.cipher_suites.empty() ? kEnvoyCiphers : joined(config.cipher_suites, ':');
  if (SSL_CTX_set_cipher_list(ctx, ciphers.c_str()) != 1) {
    return fail("cipher suites " + ciphers + ": " + opensslReason());
  }
  std::string curves = config.ecdh_curves.empty() ? kEnvoyCurves : joined(config.ecdh_curves, ':');
  if (SSL_CTX_set1_groups_list(ctx, curves.c_str()) != 1) {
    return fail("ECDH curves " + curves + ": " + opensslReason());
  }
  for (const auto& [cert, key] : pairs) {
    if (SSL_CTX_use_certificate_chain_file(ctx, cert.c_str()) != 1) {
      return fail("certificate " + cert + ": " + opensslReason());
    }
    if (SSL_CTX_use_PrivateKey_file(ctx, key.c_str(), SSL_FILETYPE_PEM) != 1) {
      return fail("private key " + key + ": " + opensslReason());
    }
    if (SSL_CTX_check_private_key(ctx) != 1) {
      return fail("private key " + key + " does not match certificate " + cert);
    }
  }
  std::shared_ptr<ServerTls> self(new ServerTls(std::move(context), config));
  ctx = self->context_.native_handle();
  // OpenSSL refuses to resume a session (ticket or id) on a context that verifies peers and
  // has no session id context — a fatal error, not a cache miss — so every context gets one:
  // a digest of what decides whom it accepts, so a session never resumes across chains
  // that verify differently (as Envoy derives its own).
  {
    std::string identity = config.mode;
    for (const auto* list : {&config.credential_names, &config.subject_alt_names,
                             &config.verify_certificate_spki, &config.verify_certificate_hash}) {
      for (const std::string& item : *list) {
        identity += '\n' + item;
      }
      identity += '\x1f';
    }
    identity += config.server_certificate + '\n' + ca;
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned len = 0;
    if (EVP_Digest(identity.data(), identity.size(), digest, &len, EVP_sha256(), nullptr) != 1 ||
        SSL_CTX_set_session_id_context(ctx, digest, std::min<unsigned>(len, SSL_MAX_SID_CTX_LENGTH)) != 1) {
      return fail("cannot set the session id context: " + opensslReason());
    }
  }
  if (mutual || optional_mutual) {
    if (SSL_CTX_load_verify_locations(ctx, ca.c_str(), nullptr) != 1) {
      return fail("CA certificates " + ca + ": " + opensslReason());
    }
    if (exIndex() < 0 || SSL_CTX_set_ex_data(ctx, exIndex(), self.get()) != 1) {
      return fail("cannot attach the client-certificate checks: " + opensslReason());
    }
    SSL_CTX_set_verify(ctx,
                       SSL_VERIFY_PEER | (mutual ? SSL_VERIFY_FAIL_IF_NO_PEER_CERT : 0),
                       verifyPeer);
  }
  // R14.4: what Istio offers, limited to what this chain speaks: HTTP/1.1 for HTTP chains
  // (HTTP/2 is not served yet), the bytes as they are for TCP chains.
  for (const std::string& p : config.alpn) {
    if (!http || p == "http/1.1") {
      self->alpn_.push_back(p);
    }
  }
  if (http && !config.alpn.empty() && self->alpn_.empty()) {
    self->alpn_.push_back("http/1.1");
  }
  for (const std::string& p : self->alpn_) {
    self->alpn_wire_ += static_cast<char>(p.size());
    self->alpn_wire_ += p;
  }
  if (!self->alpn_wire_.empty()) {
    SSL_CTX_set_alpn_select_cb(ctx, selectAlpn, &self->alpn_wire_);
  }
  return self;
}

}  // namespace meshc::proxy
