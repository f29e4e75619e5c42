// Reporter: turns (resource, node, message) into a positioned Diagnostic.
#include "frontend/reporter.h"

namespace meshc::frontend {

namespace {

uint32_t underlineLength(const Node* n) {
  if (n == nullptr || !n->isScalar()) {
    return 1;
  }
  size_t len = n->text().size() + (n->quoted() ? 2 : 0);
  if (n->text().find('\n') != std::string_view::npos) {
    return 1;
  }
  return static_cast<uint32_t>(std::max<size_t>(1, len));
}

}  // namespace

Diagnostic& Reporter::emit(std::string_view id, std::string_view istio_code, Severity sev,
                           const Node* at, std::string message) {
  Diagnostic d;
  d.id = std::string(id);
  d.istio_code = std::string(istio_code);
  d.severity = sev;
  d.message = std::move(message);
  d.loc = at ? at->loc() : resource_.loc;
  d.length = underlineLength(at);
  if (at != nullptr && !at->isScalar() && at->keyLoc().valid()) {
    // A whole map or list is best shown by its key ("redirect:"), not by its first child.
    d.loc = at->keyLoc();
    d.length = std::max<uint32_t>(1, at->keyLength());
  }
  d.resource = resource_.ref();
  sink_.report(std::move(d));
  return sink_.mutableDiagnostics().back();
}

Diagnostic& Reporter::emitAtKey(std::string_view id, std::string_view istio_code, Severity sev,
                                const MapEntry* at, std::string message) {
  Diagnostic& d = emit(id, istio_code, sev, nullptr, std::move(message));
  if (at) {
    d.loc = at->key_loc;
    d.length = static_cast<uint32_t>(std::max<size_t>(1, at->key.size()));
  }
  return d;
}

}  // namespace meshc::frontend
