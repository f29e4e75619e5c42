// EndpointSlice (discovery.k8s.io/v1) checks beyond its JSON schema, after the API server's
// ValidateEndpointSlice (pkg/apis/discovery/validation): addresses of the slice's addressType,
// port names that are unique DNS-1123 labels; plus a warning for a slice no Service owns.
// Entry point: validateEndpointSlice().
#include <set>
#include <string>

#include "base/quote.h"
#include "frontend/validation/validate.h"
#include "frontend/validation/validate_common.h"

namespace meshc::frontend::validation {

namespace {

// IsDNS1123Label as Kubernetes spells it: lower case only (Istio's isDns1123Label is laxer).
bool isLowerDns1123Label(std::string_view s) {
  if (s.empty() || s.size() > 63 || s.front() == '-' || s.back() == '-') {
    return false;
  }
  for (char c : s) {
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-')) {
      return false;
    }
  }
  return true;
}

// IsDNS1123Subdomain: dot-separated lower-case labels, at most 253 characters.
bool isDns1123Subdomain(std::string_view s) {
  if (s.empty() || s.size() > 253) {
    return false;
  }
  size_t start = 0;
  while (true) {
    size_t dot = s.find('.', start);
    if (!isLowerDns1123Label(s.substr(start, dot - start))) {
      return false;
    }
    if (dot == std::string_view::npos) {
      return true;
    }
    start = dot + 1;
  }
}

bool fitsAddressType(std::string_view address, std::string_view type) {
  if (type == "IPv4") {
    return address.find(':') == std::string_view::npos && isIpAddress(address);
  }
  if (type == "IPv6") {
    return address.find(':') != std::string_view::npos &&
           address.find('%') == std::string_view::npos && isIpAddress(address);
  }
  return isDns1123Subdomain(address);  // FQDN
}

const char* addressKind(std::string_view type) {
  if (type == "IPv4") {
    return "an IPv4 address";
  }
  if (type == "IPv6") {
    return "an IPv6 address";
  }
  return "a DNS-1123 subdomain (lower-case host name)";
}

}  // namespace

void validateEndpointSlice(const Resource& r, Reporter& rep) {
  const Node* root = r.root;
  std::string_view address_type = root->str("addressType");
  if (const Node* endpoints = root->get("endpoints")) {
    for (const Node* e : endpoints->items()) {
      const Node* addresses = e != nullptr ? e->get("addresses") : nullptr;
      if (addresses == nullptr) {
        continue;
      }
      for (const Node* a : addresses->items()) {
        if (a == nullptr || !a->isString() || fitsAddressType(a->text(), address_type)) {
          continue;
        }
        rep.error("endpointslice-address", a,
                  "expected " + std::string(addressKind(address_type)) + " (addressType " +
                      std::string(address_type) + "), found " + quote(a->text()));
      }
    }
  }
  if (const Node* ports = root->get("ports")) {
    std::set<std::string, std::less<>> seen;
    for (const Node* p : ports->items()) {
      const Node* name = p != nullptr ? p->get("name") : nullptr;
      std::string_view text = name != nullptr && name->isString() ? name->text() : "";
      if (!text.empty() && !isLowerDns1123Label(text)) {
        rep.error("endpointslice-port-name", name,
                  "expected a DNS-1123 label as port name (lower-case letters, digits and '-', "
                  "at most 63 characters), found " +
                      quote(text));
      }
      if (!seen.insert(std::string(text)).second) {
        rep.error("endpointslice-duplicate-port", name != nullptr ? name : p,
                  "port name " + quote(text) +
                      " appears twice; each port of an EndpointSlice needs its own name");
      }
    }
  }
  if (r.labels.count("kubernetes.io/service-name") == 0) {
    const Node* at = r.metadata != nullptr ? r.metadata->get("name") : nullptr;
    rep.warning("endpointslice-no-service", at,
                "expected a \"kubernetes.io/service-name\" label naming the Service this "
                "EndpointSlice belongs to, found none; no Service takes its endpoints");
  }
}

}  // namespace meshc::frontend::validation
