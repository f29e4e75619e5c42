// `meshc inspect`: a bundle's header, sections, listeners, route counts and native-code
// platform, read without decoding any route.
#include <fmt/format.h>

#include <CLI/CLI.hpp>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>

#include "bundle/bundle_reader.h"
#include "cli/commands.h"
#include "cli/routing_input.h"

namespace meshc::cli {

namespace {

struct InspectFlags {
  std::string path;
  std::string output = "text";
};

// A terminating chain's TLS context (format v5) in one line: what meshproxy will load and offer.
std::string tlsLine(const xds::TlsContext& t) {
  std::string certs;
  if (!t.credential_names.empty()) {
    certs = fmt::format("credential {}", fmt::join(t.credential_names, ", "));
  } else if (!t.server_certificate.empty() || !t.private_key.empty()) {
    certs = fmt::format("certificate {}, key {}", t.server_certificate, t.private_key);
  } else {
    certs = "the workload certificate";
  }
  if (!t.ca_certificates.empty()) {
    certs += ", client CA " + t.ca_certificates;
  }
  auto orDefault = [](const std::string& v) { return v.empty() ? std::string("default") : v; };
  std::string line =
      fmt::format("tls {}: {}; versions {}..{}", t.mode, certs, orDefault(t.min_protocol_version),
                  orDefault(t.max_protocol_version));
  auto list = [&line](std::string_view what, const std::vector<std::string>& v) {
    if (!v.empty()) {
      line += fmt::format("; {} {}", what, fmt::join(v, ","));
    }
  };
  list("ciphers", t.cipher_suites);
  list("curves", t.ecdh_curves);
  list("client SANs", t.subject_alt_names);
  if (!t.verify_certificate_spki.empty() || !t.verify_certificate_hash.empty()) {
    line += fmt::format("; pinned client certificates {} SPKI, {} hash",
                        t.verify_certificate_spki.size(), t.verify_certificate_hash.size());
  }
  line += t.alpn.empty() ? "; alpn none" : fmt::format("; alpn {}", fmt::join(t.alpn, ","));
  return line;
}

nlohmann::json tlsToJson(size_t chain, const xds::FilterChain& c) {
  const xds::TlsContext& t = *c.tls;
  return {{"chain", chain},
          {"serverNames", c.match.server_names},
          {"mode", t.mode},
          {"credentialNames", t.credential_names},
          {"serverCertificate", t.server_certificate},
          {"privateKey", t.private_key},
          {"caCertificates", t.ca_certificates},
          {"minProtocolVersion", t.min_protocol_version},
          {"maxProtocolVersion", t.max_protocol_version},
          {"cipherSuites", t.cipher_suites},
          {"ecdhCurves", t.ecdh_curves},
          {"subjectAltNames", t.subject_alt_names},
          {"verifyCertificateSpki", t.verify_certificate_spki},
          {"verifyCertificateHash", t.verify_certificate_hash},
          {"alpn", t.alpn}};
}

std::string listenerLine(const xds::Listener& l) {
  std::string chains;
  for (const xds::FilterChain& c : l.filter_chains) {
    std::string what = c.http ? "http → " + c.rds_name
                              : (c.tcp_proxy ? "tcp → " + (c.tcp_proxy->cluster.empty()
                                                               ? std::string("weighted clusters")
                                                               : c.tcp_proxy->cluster)
                                             : std::string("no forwarding filter"));
    if (!c.match.server_names.empty()) {
      what += " (sni " + fmt::format("{}", fmt::join(c.match.server_names, ",")) + ")";
    }
    chains += fmt::format("\n      chain {}: {}", c.name.empty() ? "(unnamed)" : c.name, what);
    if (c.tls) {
      chains += "\n        " + tlsLine(*c.tls);
    }
  }
  return fmt::format("  {} {}:{}{}", l.name, l.address, l.port, chains);
}

int runInspect(const InspectFlags& flags) {
  Expected<std::string> bytes = bundle::readFileBytes(flags.path);
  if (!bytes) {
    std::cerr << "meshc inspect: " << bytes.status().message() << "\n";
    return kExitUsage;
  }
  bundle::BundleErrorKind kind{};
  Expected<bundle::BundleSummary> s = bundle::inspectBundle(*bytes, flags.path, &kind);
  if (!s) {
    // The same words and exit code as `simulate --bundle`: a bundle that cannot be read is an
    // unusable input, like a missing file.
    std::cerr << "meshc inspect: " << bundleErrorText(s.status(), kind) << "\n";
    return kExitUsage;
  }
  const bundle::BundleHeader& h = s->header;
  bool gateway = (h.flags & bundle::kFlagGateway) != 0;
  if (flags.output == "json") {
    nlohmann::json j;
    j["formatVersion"] = h.format_version;
    j["totalSize"] = h.total_size;
    j["compilerVersion"] = h.compiler_version;
    j["inputHash"] = fmt::format("{:016x}", h.input_hash);
    j["payloadCrc32c"] = fmt::format("{:08x}", h.payload_crc);
    j["proxy"] = {{"kind", gateway ? "gateway" : "sidecar"},
                  {"namespace", s->proxy.name_space},
                  {"labels", s->proxy.labels},
                  {"numTrustedProxies", s->proxy.num_trusted_proxies}};
    j["sections"] = nlohmann::json::array();
    for (const bundle::SectionEntry& e : s->sections) {
      j["sections"].push_back(
          {{"kind", bundle::sectionKindName(e.kind)}, {"offset", e.offset}, {"size", e.size}});
    }
    j["listeners"] = nlohmann::json::array();
    for (const xds::Listener& l : s->listeners) {
      nlohmann::json tls = nlohmann::json::array();
      for (size_t i = 0; i < l.filter_chains.size(); ++i) {
        if (l.filter_chains[i].tls) {
          tls.push_back(tlsToJson(i, l.filter_chains[i]));
        }
      }
      j["listeners"].push_back({{"name", l.name},
                                {"address", l.address},
                                {"port", l.port},
                                {"filterChains", l.filter_chains.size()},
                                {"tlsChains", std::move(tls)}});
    }
    j["routeConfigs"] = nlohmann::json::array();
    for (const bundle::RouteConfigSummary& rc : s->route_configs) {
      j["routeConfigs"].push_back(
          {{"name", rc.name}, {"virtualHosts", rc.virtual_hosts}, {"routes", rc.routes}});
    }
    if (s->native) {
      j["native"] = {{"triple", s->native->triple},
                     {"cpu", s->native->cpu},
                     {"features", s->native->features},
                     {"llvmVersion", s->native->llvm_version},
                     {"objectSize", s->native->object_size}};
    } else {
      j["native"] = nullptr;
    }
    std::cout << j.dump(2) << "\n";
    return kExitClean;
  }
  std::string labels;
  for (const auto& [k, v] : s->proxy.labels) {
    labels += (labels.empty() ? "" : ",") + k + "=" + v;
  }
  std::cout << fmt::format("bundle {}\n", flags.path);
  std::cout << fmt::format("  format version {}, {} bytes, written by meshc {}\n", h.format_version,
                           h.total_size, h.compiler_version);
  std::cout << fmt::format("  input hash {:016x}, payload CRC-32C {:08x} (verified)\n",
                           h.input_hash, h.payload_crc);
  std::cout << fmt::format("  proxy: {} {} in namespace {}\n", gateway ? "gateway" : "sidecar",
                           labels.empty() ? "(no labels)" : labels, s->proxy.name_space);
  std::cout << fmt::format("sections ({}):\n", s->sections.size());
  for (const bundle::SectionEntry& e : s->sections) {
    std::cout << fmt::format("  {} offset {:>8} size {:>8}  {}\n", bundle::sectionKindName(e.kind),
                             e.offset, e.size,
                             bundle::sectionDescription(static_cast<bundle::SectionKind>(e.kind)));
  }
  std::cout << fmt::format("listeners ({}):\n", s->listeners.size());
  for (const xds::Listener& l : s->listeners) {
    std::cout << listenerLine(l) << "\n";
  }
  std::cout << fmt::format("route configurations ({}):\n", s->route_configs.size());
  for (const bundle::RouteConfigSummary& rc : s->route_configs) {
    std::cout << fmt::format("  {}: {} virtual hosts, {} routes\n", rc.name, rc.virtual_hosts,
                             rc.routes);
  }
  if (s->native) {
    std::cout << fmt::format(
        "native code: {} cpu {}{}, LLVM {}, {} bytes, {} entry points\n", s->native->triple,
        s->native->cpu, s->native->features.empty() ? "" : " " + s->native->features,
        s->native->llvm_version, s->native->object_size, s->native->function_count);
  } else {
    std::cout << "native code: none (the runtime evaluates the portable tree)\n";
  }
  return kExitClean;
}

}  // namespace

std::function<int()> setupInspect(CLI::App& sub) {
  auto flags = std::make_shared<InspectFlags>();
  sub.add_option("bundle", flags->path, "the bundle, e.g. routes.mcb")->required();
  sub.add_option("-o,--output", flags->output, "text or json")
      ->check(CLI::IsMember({"text", "json"}));
  return [flags] { return runInspect(*flags); };
}

}  // namespace meshc::cli
