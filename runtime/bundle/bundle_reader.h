// Reads a routing bundle: checks it in DESIGN.md section 3's fixed order (length, magic,
// version, header size, total size, reserved fields, CRC-32C, section table bounds and
// overlaps, section contents, decision-tree verifier, native-code platform) and decodes it.
// Entry points: readBundle() (everything), inspectBundle() (header, sections, listeners and
// counts, without decoding routes).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "bundle/format.h"
#include "routing/route_tree.h"
#include "base/status.h"
#include "xds/proxy_config.h"

namespace meshc::bundle {

struct BundleHeader {
  uint32_t format_version = 0;
  uint32_t header_size = 0;
  uint64_t total_size = 0;
  uint32_t section_count = 0;
  uint32_t flags = 0;
  uint32_t payload_crc = 0;
  std::string compiler_version;
  uint64_t input_hash = 0;
};

struct SectionEntry {
  uint32_t kind = 0;
  uint64_t offset = 0;
  uint64_t size = 0;
};

/// The NATV sub-header: where the native code may run.
struct NativePlatform {
  std::string triple;         // "x86_64-pc-linux-gnu"
  std::string cpu;            // "x86-64" (generic) or a host CPU name
  std::string features;       // "+sse2,+cx16,..." as LLVM spells them; "" = the CPU's defaults
  std::string llvm_version;   // "19.1.7"
  std::string symbol_prefix;  // entry points are <prefix><route configuration index>
  uint32_t function_count = 0;
  uint64_t object_size = 0;
};

/// Per route configuration counts, for `meshc inspect`.
struct RouteConfigSummary {
  std::string name;
  uint32_t virtual_hosts = 0;
  uint32_t routes = 0;
};

/// What inspectBundle() reads: no routes are decoded.
struct BundleSummary {
  BundleHeader header;
  std::vector<SectionEntry> sections;
  xds::ProxyIdentity proxy;
  std::vector<xds::Listener> listeners;
  std::vector<RouteConfigSummary> route_configs;
  std::optional<NativePlatform> native;
};

/// A fully decoded and verified bundle.
struct Bundle {
  BundleHeader header;
  std::vector<SectionEntry> sections;
  /// Listeners, route configurations (with every route's match, actions and source), clusters.
  /// RouteSource::loc.file indexes source_files. `notes` is empty (compile-time only).
  xds::ProxyConfig config;
  /// The portable decision tree, parallel to config.route_configs; regexes compiled, verified.
  std::vector<ir::RouteProgram> programs;
  std::vector<std::string> source_files;
  std::optional<NativePlatform> native;
  std::string native_object;  // the relocatable object (empty without native code)
};

/// Reads and verifies `bytes` (named `name` in messages: "routes.mcb: section TREE ends at
/// 4096, the file is 4000 bytes"). On failure returns kCorrupt (kUnsupported for another format
/// version) and, when `error_kind` is given, stores the failure class there (kNone on success).
/// Never crashes on any input.
Expected<Bundle> readBundle(std::string_view bytes, std::string_view name,
                            BundleErrorKind* error_kind = nullptr);

/// The checks of readBundle() up to the section table (CRC included), then the proxy,
/// virtual-host and native sub-header sections only. readBundle() makes exactly these checks
/// first, in the same order, so a bundle this refuses is refused by readBundle() with the same
/// BundleErrorKind (fuzz_bundle checks it); readBundle() may refuse more.
Expected<BundleSummary> inspectBundle(std::string_view bytes, std::string_view name,
                                      BundleErrorKind* error_kind = nullptr);

/// Reads a whole file (for the CLI and meshproxy); kIoError with the OS reason on failure.
Expected<std::string> readFileBytes(const std::string& path);

}  // namespace meshc::bundle
