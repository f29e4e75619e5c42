// Server-side TLS settings checks (ISTIO-VALIDATION.md G17-G28), shared by Gateway and Sidecar.
// Entry point: validateTLSOptions(); mirrors Istio's validateTLSOptions branch for branch.
#include "frontend/validation/validate_tls.h"

#include <array>
#include <set>
#include <string>
#include <vector>

#include "frontend/istio/cipher_suites.h"

namespace meshc::frontend::validation {

namespace {

constexpr std::array<std::string_view, 6> kModeNames = {
    "PASSTHROUGH", "SIMPLE", "MUTUAL", "AUTO_PASSTHROUGH", "ISTIO_MUTUAL", "OPTIONAL_MUTUAL",
};

// A proto3 string is "set" when non-empty; wrong-typed values are the schema check's business.
const Node* setString(const Node* parent, std::string_view key) {
  const Node* n = parent ? parent->get(key) : nullptr;
  return (n != nullptr && n->isString() && !n->text().empty()) ? n : nullptr;
}

const Node* setList(const Node* parent, std::string_view key) {
  const Node* n = parent ? parent->get(key) : nullptr;
  return (n != nullptr && n->isSeq() && n->size() > 0) ? n : nullptr;
}

// Go prints a sorted []string as "[a b c]".
std::string goList(const std::set<std::string, std::less<>>& items) {
  std::string out = "[";
  for (const std::string& s : items) {
    if (out.size() > 1) {
      out += ' ';
    }
    out += s;
  }
  return out + "]";
}

bool isLegacyMinVersion(const Node* n) {
  if (n == nullptr) {
    return false;
  }
  // TLSProtocol: TLS_AUTO=0, TLSV1_0=1, TLSV1_1=2, TLSV1_2=3, TLSV1_3=4.
  if (n->isString()) {
    return n->text() == "TLSV1_0" || n->text() == "TLSV1_1";
  }
  return n->isInt() && (n->intValue() == 1 || n->intValue() == 2);
}

std::string id(std::string_view prefix, std::string_view suffix) {
  std::string out(prefix);
  out += suffix;
  return out;
}

void checkCipherSuites(const Node* tls, Reporter& rep, std::string_view prefix) {
  const Node* min_version = tls->get("minProtocolVersion");
  const Node* suites = tls->get("cipherSuites");
  bool has_suites = suites != nullptr && suites->isSeq() && suites->size() > 0;
  if (isLegacyMinVersion(min_version) && !has_suites) {
    std::string version = min_version->isString() ? std::string(min_version->text())
                                                  : std::to_string(min_version->intValue());
    rep.warning(id(prefix, "-min-version-ciphers"), min_version,
                "minProtocolVersion " + version +
                    " needs cipherSuites: TLS versions below TLSV1_2 have no compatible ciphers "
                    "by default; found none");
  }
  if (!has_suites) {
    return;
  }
  std::set<std::string, std::less<>> invalid;
  std::set<std::string, std::less<>> valid;
  std::set<std::string, std::less<>> duplicate;
  const Node* first_invalid = nullptr;
  const Node* first_duplicate = nullptr;
  for (const Node* item : suites->items()) {
    if (item == nullptr || !item->isString()) {
      continue;
    }
    std::string cs(item->text());
    if (!istio::isValidCipherSuite(cs)) {
      if (first_invalid == nullptr) {
        first_invalid = item;
      }
      invalid.insert(std::move(cs));
    } else if (!valid.insert(cs).second) {
      if (first_duplicate == nullptr) {
        first_duplicate = item;
      }
      duplicate.insert(std::move(cs));
    }
  }
  if (!invalid.empty()) {
    rep.warning(id(prefix, "-invalid-cipher"), first_invalid,
                "ignoring invalid cipher suites " + goList(invalid) +
                    "; expected OpenSSL names such as ECDHE-RSA-AES128-GCM-SHA256");
  }
  if (!duplicate.empty()) {
    rep.warning(
        id(prefix, "-duplicate-cipher"), first_duplicate,
        "ignoring duplicate cipher suites " + goList(duplicate) + "; expected each suite once");
  }
}

}  // namespace

ServerTlsModeKind serverTlsMode(const Node* tls) {
  const Node* mode = tls ? tls->get("mode") : nullptr;
  if (mode == nullptr || mode->isNull()) {
    return ServerTlsModeKind::kPassthrough;
  }
  if (mode->isInt()) {
    int64_t v = mode->intValue();
    return (v >= 0 && v < static_cast<int64_t>(kModeNames.size()))
               ? static_cast<ServerTlsModeKind>(v)
               : ServerTlsModeKind::kUnknown;
  }
  if (mode->isString()) {
    for (size_t i = 0; i < kModeNames.size(); ++i) {
      if (mode->text() == kModeNames[i]) {
        return static_cast<ServerTlsModeKind>(i);
      }
    }
  }
  return ServerTlsModeKind::kUnknown;
}

std::string_view serverTlsModeName(ServerTlsModeKind mode) {
  size_t i = static_cast<size_t>(mode);
  return i < kModeNames.size() ? kModeNames[i] : std::string_view("UNKNOWN");
}

void validateTLSOptions(const Node* tls, Reporter& rep, std::string_view prefix) {
  if (tls == nullptr || !tls->isMap()) {
    return;  // no tls block at all is valid
  }
  checkCipherSuites(tls, rep, prefix);

  const ServerTlsModeKind mode = serverTlsMode(tls);
  const Node* mode_node = tls->get("mode");
  const Node* at_mode = mode_node != nullptr ? mode_node : tls;
  const Node* server_cert = setString(tls, "serverCertificate");
  const Node* private_key = setString(tls, "privateKey");
  const Node* ca_certs = setString(tls, "caCertificates");
  const Node* ca_crl = setString(tls, "caCrl");
  const Node* credential_name = setString(tls, "credentialName");
  const Node* credential_names = setList(tls, "credentialNames");
  const Node* tls_certs = setList(tls, "tlsCertificates");

  if (mode == ServerTlsModeKind::kIstioMutual) {
    // ISTIO_MUTUAL uses the workload certificate; every user certificate field is an error,
    // and Istio checks nothing else for this mode.
    const std::pair<const Node*, const char*> fields[] = {
        {server_cert, "serverCertificate"},  {private_key, "privateKey"},
        {ca_certs, "caCertificates"},        {tls_certs, "tlsCertificates"},
        {credential_name, "credentialName"}, {credential_names, "credentialNames"},
    };
    for (const auto& [node, name] : fields) {
      if (node != nullptr) {
        rep.error(id(prefix, "-istio-mutual-certs"), node,
                  "ISTIO_MUTUAL TLS cannot have " + std::string(name) +
                      "; expected no certificate fields (the workload certificate is used)");
      }
    }
    return;
  }

  if (mode == ServerTlsModeKind::kPassthrough || mode == ServerTlsModeKind::kAutoPassthrough) {
    const Node* material[] = {ca_crl,    server_cert,     private_key,     ca_certs,
                              tls_certs, credential_name, credential_names};
    for (const Node* node : material) {
      if (node != nullptr) {
        rep.warning(id(prefix, "-passthrough-certs"), node,
                    std::string(serverTlsModeName(mode)) +
                        " mode does not use certificates; they will be ignored");
        break;
      }
    }
  }

  // Only one certificate source may be given; report at the second one in Istio's order.
  std::vector<const Node*> sources;
  if (server_cert != nullptr && private_key != nullptr) {
    sources.push_back(private_key);
  }
  for (const Node* n : {credential_name, credential_names, tls_certs}) {
    if (n != nullptr) {
      sources.push_back(n);
    }
  }
  if (sources.size() > 1) {
    rep.error(id(prefix, "-multiple-cert-sources"), sources[1],
              "expected only one of credentialName, credentialNames, serverCertificate/privateKey "
              "or tlsCertificates; found " +
                  std::to_string(sources.size()));
  }

  const bool terminating = mode == ServerTlsModeKind::kSimple ||
                           mode == ServerTlsModeKind::kMutual ||
                           mode == ServerTlsModeKind::kOptionalMutual;
  if (terminating && (credential_name != nullptr || credential_names != nullptr)) {
    // Credentials are fetched remotely (SDS); Istio skips the file and CRL checks, so G27 is
    // unreachable for these modes.
    return;
  }

  if (terminating) {
    const bool mutual = mode != ServerTlsModeKind::kSimple;
    const std::string what = mutual ? "MUTUAL TLS" : "SIMPLE TLS";
    if (mutual && ca_certs == nullptr) {
      rep.error(id(prefix, "-mutual-ca-missing"), at_mode,
                what + " requires caCertificates (a client CA bundle); found none");
    }
    if (tls_certs != nullptr && tls_certs->size() > 2) {
      rep.warning(id(prefix, "-too-many-certs"), tls_certs,
                  what + " supports up to 2 server certificates; found " +
                      std::to_string(tls_certs->size()));
    }
    auto check_pair = [&](const Node* holder, const Node* at) {
      if (setString(holder, "serverCertificate") == nullptr) {
        rep.error(id(prefix, "-cert-missing"), at,
                  what + " requires serverCertificate; found none");
      }
      if (setString(holder, "privateKey") == nullptr) {
        rep.error(id(prefix, "-cert-missing"), at, what + " requires privateKey; found none");
      }
    };
    if (tls_certs != nullptr) {
      for (const Node* cert : tls_certs->items()) {
        check_pair(cert, cert);
      }
    } else {
      check_pair(tls, at_mode);
    }
  }

  if (ca_crl != nullptr) {
    if (credential_name != nullptr) {
      rep.error(id(prefix, "-crl-credential"), ca_crl,
                "caCrl is not supported with credentialName; expected the CRL inside the "
                "credential");
    }
    if (mode == ServerTlsModeKind::kSimple) {
      rep.error(id(prefix, "-crl-simple"), ca_crl,
                "caCrl is not supported with SIMPLE TLS; expected MUTUAL or OPTIONAL_MUTUAL");
    }
  }
}

}  // namespace meshc::frontend::validation
