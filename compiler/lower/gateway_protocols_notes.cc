// Gateway Server protocol classes (istio:pkg/config/protocol, istio:pkg/config/gateway) and the
// notes the gateway lowering emits. Entry points: isTlsServer(), gatewayNote().
#include "lower/gateway_build.h"

namespace meshc::lower::detail {

// --- Protocols (istio:pkg/config/protocol, istio:pkg/config/gateway) ----------------------------

// protocol.Parse with Istio's spelling ("GRPC-Web", "MySQL"), "UnsupportedProtocol" when unknown.
std::string parseProtocol(std::string_view p) {
  std::optional<istio::Protocol> parsed = istio::parseProtocol(p);
  return parsed ? std::string(istio::istioName(*parsed)) : "UnsupportedProtocol";
}

bool isPassThroughServer(const model::Server& s) {
  return s.tls && (s.tls->mode == "PASSTHROUGH" || s.tls->mode == "AUTO_PASSTHROUGH");
}

// IsTLSServer: non-HTTP with TLS settings (filters out httpsRedirect-only HTTP servers).
bool isTlsServer(const model::Server& s) {
  return s.tls && !isHttpProtocol(parseProtocol(s.port.protocol));
}

bool isHttpServer(const model::Server& s) {
  std::string p = parseProtocol(s.port.protocol);
  return isHttpProtocol(p) || (p == "HTTPS" && !isPassThroughServer(s));
}

bool isHttpsServerWithTlsTermination(const model::Server& s) {
  return s.tls && parseProtocol(s.port.protocol) == "HTTPS" && !isPassThroughServer(s);
}

// canMergeProtocols(current, p) as called by mergeGateways: (new is HTTP or equal) and the
// existing one is HTTP.
bool canMergeProtocols(std::string_view incoming, std::string_view existing) {
  return (isHttpProtocol(incoming) || incoming == existing) && isHttpProtocol(existing);
}

// --- Notes ---------------------------------------------------------------------------------------

Diagnostic gatewayNote(std::string id, const model::Gateway& gw, SourceLoc loc, std::string msg) {
  Diagnostic d;
  d.id = std::move(id);
  d.severity = Severity::kInfo;
  d.message = std::move(msg);
  d.loc = loc.valid() ? loc : gw.meta.loc;
  d.resource = ResourceRef{"Gateway", gw.meta.name_space, gw.meta.name};
  return d;
}

Diagnostic vsNote(std::string id, const IndexedVirtualService& vs, SourceLoc loc, std::string msg) {
  Diagnostic d;
  d.id = std::move(id);
  d.severity = Severity::kInfo;
  d.message = std::move(msg);
  d.loc = loc.valid() ? loc : vs.vs.meta.loc;
  d.resource = ResourceRef{"VirtualService", vs.vs.meta.name_space, vs.vs.meta.name};
  return d;
}

std::string joinList(const std::vector<std::string>& v) {
  std::string out;
  for (size_t i = 0; i < v.size(); ++i) {
    out += (i == 0 ? "" : ", ") + v[i];
  }
  return out;
}

}  // namespace meshc::lower::detail
