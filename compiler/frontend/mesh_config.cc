// MeshConfig parsing: the handful of fields meshc's checks and routing depend on.
#include "frontend/mesh_config.h"

#include <charconv>
#include <cstdint>

#include "base/quote.h"

namespace meshc::frontend {

namespace {

void typeError(DiagnosticSink& sink, const Node& at, std::string_view field, std::string_view want) {
  Diagnostic d;
  d.id = "mesh-config-invalid";
  d.severity = Severity::kError;
  d.message = "expected " + std::string(want) + " for MeshConfig field " + quote(field) +
              ", found " + nodeKindName(at.kind());
  d.loc = at.loc();
  sink.report(std::move(d));
}

void readString(const Node& root, std::string_view key, std::string* out, DiagnosticSink& sink) {
  const Node* n = root.get(key);
  if (n == nullptr || n->isNull()) {
    return;
  }
  if (!n->isString()) {
    typeError(sink, *n, key, "a string");
    return;
  }
  *out = std::string(n->text());
}

void readStringList(const Node& root, std::string_view key, std::vector<std::string>* out,
                    DiagnosticSink& sink) {
  const Node* n = root.get(key);
  if (n == nullptr || n->isNull()) {
    return;
  }
  if (!n->isSeq()) {
    typeError(sink, *n, key, "a list of strings");
    return;
  }
  out->clear();
  for (const Node* item : n->items()) {
    if (!item->isString()) {
      typeError(sink, *item, key, "a string");
      continue;
    }
    out->push_back(std::string(item->text()));
  }
}

// A uint32 field; protobuf JSON also accepts the number as a decimal string.
void readUint32(const Node& root, std::string_view key, uint32_t* out, DiagnosticSink& sink) {
  const Node* n = root.get(key);
  if (n == nullptr || n->isNull()) {
    return;
  }
  std::string_view text = n->text();
  uint64_t value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (!n->isScalar() || text.empty() || ec != std::errc() || end != text.data() + text.size() ||
      value > UINT32_MAX) {
    typeError(sink, *n, key, "an integer from 0 to 4294967295");
    return;
  }
  *out = static_cast<uint32_t>(value);
}

}  // namespace

MeshConfig parseMeshConfig(const Node& root, DiagnosticSink& sink) {
  MeshConfig mc;
  if (!root.isMap()) {
    if (!root.isNull()) {
      typeError(sink, root, "(root)", "a mapping");
    }
    return mc;
  }
  readString(root, "rootNamespace", &mc.root_namespace, sink);
  readString(root, "ingressService", &mc.ingress_service, sink);
  readString(root, "ingressSelector", &mc.ingress_selector, sink);
  readStringList(root, "defaultServiceExportTo", &mc.default_service_export_to, sink);
  readStringList(root, "defaultVirtualServiceExportTo", &mc.default_virtual_service_export_to, sink);
  readStringList(root, "defaultDestinationRuleExportTo", &mc.default_destination_rule_export_to,
                 sink);
  if (const Node* otp = root.get("outboundTrafficPolicy"); otp != nullptr && otp->isMap()) {
    std::string mode;
    readString(*otp, "mode", &mode, sink);
    if (mode == "ALLOW_ANY" || mode == "REGISTRY_ONLY") {
      mc.outbound_traffic_policy = mode;
    } else if (!mode.empty()) {
      Diagnostic d;
      d.id = "mesh-config-invalid";
      d.severity = Severity::kError;
      d.message = "unknown outboundTrafficPolicy.mode " + quote(mode) +
                  "; expected ALLOW_ANY or REGISTRY_ONLY";
      d.loc = otp->get("mode")->loc();
      sink.report(std::move(d));
    }
  }
  if (const Node* td = root.get("tlsDefaults"); td != nullptr && td->isMap()) {
    readStringList(*td, "ecdhCurves", &mc.tls_defaults.ecdh_curves, sink);
    readStringList(*td, "cipherSuites", &mc.tls_defaults.cipher_suites, sink);
    // MeshConfig.TLSConfig.TLSProtocol names only TLS_AUTO, TLSV1_2 and TLSV1_3 (istio
    // listener_test.go TestApplyDownstreamTLSDefaults). Enum numbers are not read: their values
    // are not confirmed here.
    if (const Node* v = td->get("minProtocolVersion"); v != nullptr && !v->isNull()) {
      std::string_view text = v->isScalar() ? v->text() : std::string_view();
      if (text == "TLSV1_2" || text == "TLSV1_3") {
        mc.tls_defaults.min_protocol_version = std::string(text);
      } else if (text != "TLS_AUTO") {
        Diagnostic d;
        d.id = "mesh-config-invalid";
        d.severity = Severity::kError;
        d.message = "unknown tlsDefaults.minProtocolVersion " + quote(text) +
                    "; expected TLS_AUTO, TLSV1_2 or TLSV1_3";
        d.loc = v->loc();
        sink.report(std::move(d));
      }
    }
  }
  if (const Node* dc = root.get("defaultConfig"); dc != nullptr && dc->isMap()) {
    if (const Node* gt = dc->get("gatewayTopology"); gt != nullptr && gt->isMap()) {
      readUint32(*gt, "numTrustedProxies", &mc.num_trusted_proxies, sink);
    }
    if (const Node* pm = dc->get("proxyMetadata"); pm != nullptr && pm->isMap()) {
      for (const MapEntry& e : pm->entries()) {
        if (e.value->isScalar() && !e.value->isNull()) {
          mc.proxy_metadata[std::string(e.key)] = std::string(e.value->text());
        }
      }
    }
  }
  return mc;
}

}  // namespace meshc::frontend
