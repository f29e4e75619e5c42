// Helpers shared by the sidecar builder's parts: listener protocol classes, address / CIDR
// formatting, VirtualService notes and alternate virtual host names. Entry points: toCidr(),
// altHosts().
#include "lower/sidecar_builder.h"

namespace meshc::lower::detail {

ListenerProtocol listenerProtocolOf(std::string_view p) {
  if (isHttpProtocol(p)) {
    return ListenerProtocol::kHttp;
  }
  if (isTcpProtocol(p)) {
    return ListenerProtocol::kTcp;
  }
  if (p.empty()) {
    return ListenerProtocol::kAuto;
  }
  return ListenerProtocol::kUnknown;  // UDP: no outbound listener
}

// --- Small address helpers ----------------------------------------------------------------------

std::string formatIpv4(uint32_t v) {
  return std::to_string((v >> 24) & 0xff) + "." + std::to_string((v >> 16) & 0xff) + "." +
         std::to_string((v >> 8) & 0xff) + "." + std::to_string(v & 0xff);
}

// ConvertAddressToCidr: an IP becomes a full-length prefix; "" when the address is 0.0.0.0 or
// unparsable (Istio drops those from prefix_ranges).
std::string toCidr(std::string_view address, bool masked) {
  size_t slash = address.find('/');
  std::string_view ip = address.substr(0, slash);
  uint32_t bits = 0;
  if (slash == std::string_view::npos) {
    bits = parseIpv4Address(ip) ? 32 : 128;
  } else {
    for (char c : address.substr(slash + 1)) {
      if (c < '0' || c > '9' || bits > 128) {
        return "";
      }
      bits = bits * 10 + static_cast<uint32_t>(c - '0');
    }
  }
  if (!isIpLiteral(ip) || ip == "0.0.0.0" || ip == "::") {
    return "";
  }
  std::string addr(ip);
  if (masked) {
    if (std::optional<uint32_t> v = parseIpv4Address(ip); v && bits <= 32) {
      uint32_t mask = bits == 0 ? 0 : (~0u << (32 - bits));
      addr = formatIpv4(*v & mask);
    }
  }
  return addr + "/" + std::to_string(bits);
}

std::string ipv6Compliant(std::string_view host) {
  if (host.find(':') != std::string_view::npos) {
    return "[" + std::string(host) + "]";
  }
  return std::string(host);
}

std::string domainName(std::string_view host, uint32_t port) {
  return ipv6Compliant(host) + ":" + std::to_string(port);
}

Diagnostic makeNote(std::string id, std::string message, const std::string& vs_ref, SourceLoc loc) {
  Diagnostic d;
  d.id = std::move(id);
  d.severity = Severity::kInfo;
  d.message = std::move(message);
  d.loc = loc;
  size_t slash = vs_ref.find('/');
  if (slash != std::string::npos) {
    d.resource = ResourceRef{"VirtualService", vs_ref.substr(0, slash), vs_ref.substr(slash + 1)};
  }
  return d;
}

// GenerateAltVirtualHosts with ports ignored and a Kubernetes proxy DNS domain
// (`<ns>.svc.<suffix>`): the absolute FQDN, then the Kubernetes short forms.
std::vector<std::string> altHosts(std::string_view hostname, std::string_view proxy_domain) {
  std::vector<std::string> out;
  if (!isIpLiteral(hostname)) {
    out.push_back(std::string(hostname) + ".");
  }
  size_t svc_in_domain = proxy_domain.find(".svc.");
  if (svc_in_domain == std::string_view::npos) {
    return out;  // not a Kubernetes-style domain (never the case for meshc's proxies)
  }
  std::string_view shared = proxy_domain.substr(svc_in_domain);  // ".svc.<suffix>"
  if (hostname.size() < shared.size() ||
      hostname.substr(hostname.size() - shared.size()) != shared) {
    return out;
  }
  std::string_view before = proxy_domain.substr(0, svc_in_domain);
  size_t ih = hostname.find(".svc.");
  if (ih == std::string_view::npos || ih == 0) {
    return out;
  }
  size_t ns = hostname.find('.');
  if (ns + 1 >= hostname.size() || ns + 1 > ih) {
    return out;
  }
  std::string name(hostname.substr(0, ns));
  std::string name_ns(hostname.substr(0, ih));
  if (hostname.substr(ns + 1, ih - ns - 1) == before) {
    out.push_back(name);
    out.push_back(name_ns + ".svc");
    out.push_back(name_ns);
  } else {
    out.push_back(name_ns);
    out.push_back(name_ns + ".svc");
  }
  return out;
}

}  // namespace meshc::lower::detail
