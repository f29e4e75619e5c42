// writeBundle(): encodes each section with the shared codec (runtime/bundle/codec.h), then the
// string table, then lays out header + section table + aligned payloads and seals the CRC.
#include "emit/bundle_writer.h"

#include <cassert>
#include <filesystem>
#include <system_error>

#include "bundle/byte_io.h"
#include "bundle/codec.h"
#include "bundle/crc32c.h"
#include "bundle/format.h"

namespace meshc::emit {

using bundle::ByteWriter;
using bundle::EncodeIo;
using bundle::SectionKind;

std::string bundleSourcePath(std::string_view path) {
  namespace fs = std::filesystem;
  if (path.empty() || path == "-") {
    return std::string(path);
  }
  fs::path p = fs::path(path).lexically_normal();
  if (p.is_absolute()) {
    std::error_code ec;
    fs::path cwd = fs::current_path(ec);
    if (!ec) {
      fs::path rel = p.lexically_relative(cwd.lexically_normal());
      // Only paths inside the current directory: "../x" would depend on where one stands.
      if (!rel.empty() && *rel.begin() != "..") {
        p = rel;
      }
    }
  }
  std::string out = p.generic_string();
  // lexically_normal keeps a trailing separator for directories; inputs are files.
  while (out.size() > 1 && out.back() == '/') {
    out.pop_back();
  }
  return out;
}

uint64_t hashInputs(const std::vector<std::string_view>& parts) {
  uint64_t h = 0xcbf29ce484222325ull;
  auto mix = [&h](unsigned char c) {
    h ^= c;
    h *= 0x100000001b3ull;
  };
  for (std::string_view p : parts) {
    uint64_t n = p.size();
    for (int i = 0; i < 8; ++i) {
      mix(static_cast<unsigned char>(n >> (8 * i)));
    }
    for (char c : p) {
      mix(static_cast<unsigned char>(c));
    }
  }
  return h;
}

std::string writeBundle(const BundleInputs& inputs) {
  assert(inputs.config != nullptr && inputs.programs != nullptr);
  assert(inputs.programs->size() == inputs.config->route_configs.size());
  // The codec takes mutable references so one description serves both directions; encoding
  // never modifies its input.
  auto& pc = const_cast<xds::ProxyConfig&>(*inputs.config);
  auto& programs = const_cast<std::vector<ir::RouteProgram>&>(*inputs.programs);
  bundle::StringTable strings;
  std::vector<std::pair<SectionKind, std::string>> sections;
  auto encode = [&](SectionKind kind, auto&& body) {
    ByteWriter out;
    EncodeIo io(out, strings);
    body(io);
    sections.emplace_back(kind, std::move(out.buffer()));
  };

  // Section layouts live in runtime/bundle/codec.h, shared with the reader.
  encode(SectionKind::kProxy, [&](EncodeIo& io) { bundle::codeProxySection(io, pc); });
  encode(SectionKind::kVirtualHosts,
         [&](EncodeIo& io) { bundle::codeVirtualHostsSection(io, pc, programs, nullptr); });
  encode(SectionKind::kDecisionTree, [&](EncodeIo& io) {
    for (ir::RouteProgram& p : programs) {
      bundle::codeTreeRecord(io, p);
    }
  });
  encode(SectionKind::kActions, [&](EncodeIo& io) { bundle::codeActionsSection(io, pc); });
  encode(SectionKind::kClusters, [&](EncodeIo& io) { codeVec(io, pc.clusters); });
  encode(SectionKind::kSourceMap, [&](EncodeIo& io) {
    auto files = inputs.source_files;
    bundle::codeSourceMapSection(io, files, pc);
  });
  if (inputs.native) {
    const NativeCode& n = *inputs.native;
    ByteWriter out;
    out.u32(bundle::kNativeSubHeaderVersion);
    out.inlineString(n.platform.triple);
    out.inlineString(n.platform.cpu);
    out.inlineString(n.platform.features);
    out.inlineString(n.platform.llvm_version);
    out.inlineString(n.platform.symbol_prefix);
    out.u32(n.function_count);
    out.u64(n.object.size());
    out.bytes(n.object);
    sections.emplace_back(SectionKind::kNativeCode, std::move(out.buffer()));
  }

  // The string table goes first; every other section refers to it.
  {
    ByteWriter out;
    const auto& all = strings.strings();
    out.u32(static_cast<uint32_t>(all.size()));
    uint32_t offset = 0;
    for (const std::string& s : all) {
      out.u32(offset);
      out.u32(static_cast<uint32_t>(s.size()));
      offset += static_cast<uint32_t>(s.size());
    }
    for (const std::string& s : all) {
      out.bytes(s);
    }
    sections.insert(sections.begin(), {SectionKind::kStrings, std::move(out.buffer())});
  }

  ByteWriter file;
  file.buffer().assign(bundle::kBundleHeaderSize, '\0');
  size_t table_at = file.size();
  file.buffer().append(sections.size() * bundle::kSectionEntrySize, '\0');
  std::vector<std::pair<uint64_t, uint64_t>> placed;
  for (auto& [kind, bytes] : sections) {
    file.padTo(bundle::kSectionAlignment);
    placed.emplace_back(file.size(), bytes.size());
    file.bytes(bytes);
  }
  std::string& b = file.buffer();
  for (size_t i = 0; i < sections.size(); ++i) {
    size_t at = table_at + i * bundle::kSectionEntrySize;
    bundle::storeU32(b, at, static_cast<uint32_t>(sections[i].first));
    bundle::storeU64(b, at + 8, placed[i].first);
    bundle::storeU64(b, at + 16, placed[i].second);
  }
  using H = bundle::HeaderOffsets;
  b.replace(H::kMagic, bundle::kBundleMagic.size(), bundle::kBundleMagic);
  bundle::storeU32(b, H::kVersion, bundle::kBundleFormatVersion);
  bundle::storeU32(b, H::kHeaderSize, bundle::kBundleHeaderSize);
  bundle::storeU64(b, H::kTotalSize, b.size());
  bundle::storeU32(b, H::kSectionCount, static_cast<uint32_t>(sections.size()));
  uint32_t flags = 0;
  if (inputs.native) {
    flags |= bundle::kFlagNativeCode;
  }
  if (pc.proxy.kind == xds::ProxyIdentity::Kind::kGateway) {
    flags |= bundle::kFlagGateway;
  }
  bundle::storeU32(b, H::kFlags, flags);
  std::string version = inputs.compiler_version.substr(0, bundle::kCompilerVersionSize - 1);
  b.replace(H::kCompilerVersion, version.size(), version);
  bundle::storeU64(b, H::kInputHash, inputs.input_hash);
  bundle::storeU32(b, H::kPayloadCrc, bundle::bundleChecksum(b));
  return std::move(b);
}

}  // namespace meshc::emit
