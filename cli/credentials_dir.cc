// `compile --credentials-dir`: resolve the TLS chains' credentials to the input's Secrets and
// write them as files (credentials_dir.h). Key material is only ever decoded into memory and
// written to 0600 files: no message here carries a value.
#include "cli/credentials_dir.h"

#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>
#include <map>
#include <set>

#include "base/quote.h"
#include "cli/atomic_file.h"
#include "frontend/analyzers/credential.h"

namespace meshc::cli {

namespace {

// The Secret keys istiod reads for a gateway credential (pilot/pkg/credentials/kube/secrets.go
// ExtractCertInfo, ExtractRoot): generic cert/key/cacert/crl, kubernetes.io/tls
// tls.crt/tls.key/ca.crt/ca.crl and the OCSP staple. Other keys are not written.
constexpr std::array<std::string_view, 9> kIstioKeys = {
    "ca.crl", "ca.crt", "cacert", "cert", "crl", "key", "tls.crt", "tls.key", "tls.ocsp-staple"};

bool isIstioKey(std::string_view key) {
  return std::find(kIstioKeys.begin(), kIstioKeys.end(), key) != kIstioKeys.end();
}

// A Kubernetes object name (RFC 1123 subdomain): what a bare credentialName must be to name a
// Secret, and what keeps DIR/<name> inside DIR ("..", "/", "sds://..." never pass).
bool isSecretName(std::string_view name) {
  if (name.empty() || name.size() > 253) {
    return false;
  }
  auto alnum = [](char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); };
  if (!alnum(name.front()) || !alnum(name.back())) {
    return false;
  }
  return std::all_of(name.begin(), name.end(),
                     [&alnum](char c) { return alnum(c) || c == '-' || c == '.'; });
}

const model::Secret* findSecret(const model::ConfigSet& config, std::string_view ns,
                                std::string_view name) {
  for (const model::Secret& s : config.secrets) {
    if (s.meta.name_space == ns && s.meta.name == name) {
      return &s;
    }
  }
  return nullptr;
}

// data decoded, then stringData over it (the API server's merge).
Expected<CredentialFiles> secretFiles(const model::Secret& secret, const SourceManager& sources) {
  std::map<std::string, std::string> files;
  for (const model::SecretItem& item : secret.items) {
    if (item.string_data || !isIstioKey(item.key)) {
      continue;
    }
    std::optional<std::string> bytes = frontend::analyzers::decodeBase64(item.value);
    if (!bytes) {
      std::string at = item.loc.valid() ? fmt::format("{}:{}:{}: ", sources.path(item.loc.file),
                                                      item.loc.line, item.loc.column)
                                        : std::string();
      return Status::error(StatusCode::kInvalidArgument,
                           fmt::format("{}Secret {}: data key {} is not valid base64", at,
                                       secret.meta.ref(), quote(item.key)));
    }
    files[item.key] = std::move(*bytes);
  }
  for (const model::SecretItem& item : secret.items) {
    if (item.string_data && isIstioKey(item.key)) {
      files[item.key] = item.value;
    }
  }
  CredentialFiles out;
  out.name = secret.meta.name;
  out.files.assign(files.begin(), files.end());
  return out;
}

Status ioError(const std::string& what, const std::string& path) {
  return Status::error(StatusCode::kIoError,
                       fmt::format("cannot {} {}: {}", what, path, std::strerror(errno)));
}

// mkdir 0700; an existing directory is kept as it is when `keep_mode`, else narrowed to 0700.
Status privateDirectory(const std::string& path, bool keep_mode) {
  if (::mkdir(path.c_str(), 0700) == 0) {
    // mkdir's mode passes through the umask; 0700 must hold whatever the umask is.
    return ::chmod(path.c_str(), 0700) == 0 ? Status::ok() : ioError("restrict", path);
  }
  if (errno != EEXIST) {
    return ioError("create", path);
  }
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) {
    errno = ENOTDIR;
    return ioError("use", path);
  }
  if (!keep_mode && ::chmod(path.c_str(), 0700) != 0) {
    return ioError("restrict", path);
  }
  return Status::ok();
}

}  // namespace

Expected<CredentialSet> collectCredentials(const lower::ProxyConfig& pc,
                                           const model::ConfigSet& config,
                                           const SourceManager& sources) {
  // Names in the order the chains give them; a "-cacert" twin only when the input has it.
  std::vector<std::string> names;
  std::set<std::string> optional;
  auto add = [&names](const std::string& name) {
    if (std::find(names.begin(), names.end(), name) == names.end()) {
      names.push_back(name);
    }
  };
  for (const lower::Listener& l : pc.listeners) {
    for (const lower::FilterChain& c : l.filter_chains) {
      if (!c.tls || c.tls->credential_names.empty()) {
        continue;
      }
      for (const std::string& name : c.tls->credential_names) {
        add(name);
      }
      if (c.tls->mode == "MUTUAL" || c.tls->mode == "OPTIONAL_MUTUAL") {
        std::string ca = c.tls->credential_names.front() + "-cacert";
        add(ca);
        optional.insert(ca);
      }
    }
  }
  CredentialSet out;
  const std::string& ns = pc.proxy.name_space;
  for (const std::string& name : names) {
    if (!isSecretName(name)) {
      if (!optional.count(name)) {
        out.not_secret_names.push_back(name);
      }
      continue;
    }
    const model::Secret* secret = findSecret(config, ns, name);
    if (secret == nullptr) {
      if (!optional.count(name)) {
        out.missing.push_back(ns + "/" + name);
      }
      continue;
    }
    Expected<CredentialFiles> files = secretFiles(*secret, sources);
    if (!files) {
      return files.status();
    }
    out.credentials.push_back(std::move(*files));
  }
  return out;
}

Status writeCredentials(const std::string& dir, const CredentialSet& set) {
  if (Status st = privateDirectory(dir, /*keep_mode=*/true); !st) {
    return st;
  }
  for (const CredentialFiles& c : set.credentials) {
    std::string sub = dir + "/" + c.name;
    if (Status st = privateDirectory(sub, /*keep_mode=*/false); !st) {
      return st;
    }
    for (std::string_view key : kIstioKeys) {
      auto it = std::find_if(c.files.begin(), c.files.end(),
                             [key](const auto& f) { return f.first == key; });
      std::string path = sub + "/" + std::string(key);
      if (it != c.files.end()) {
        if (Status st = writeFileAtomically(path, it->second, FileAccessKind::kPrivate); !st) {
          return st;
        }
      } else if (::unlink(path.c_str()) != 0 && errno != ENOENT) {
        return ioError("remove", path);
      }
    }
  }
  return Status::ok();
}

}  // namespace meshc::cli
