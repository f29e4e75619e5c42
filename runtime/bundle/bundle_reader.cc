// The bundle reader: fixed-order checks, one BundleErrorKind per failure class, then decoding
// through codec.h. Every read is bounds-checked; nothing here asserts on input.
#include "bundle/bundle_reader.h"

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <sstream>

#include "bundle/byte_io.h"
#include "bundle/codec.h"
#include "bundle/crc32c.h"
#include "routing/verify.h"

namespace meshc::bundle {

const char* sectionKindName(uint32_t kind) {
  switch (static_cast<SectionKind>(kind)) {
    case SectionKind::kStrings:
      return "STRS";
    case SectionKind::kProxy:
      return "PRXY";
    case SectionKind::kVirtualHosts:
      return "VHST";
    case SectionKind::kDecisionTree:
      return "TREE";
    case SectionKind::kActions:
      return "ACTN";
    case SectionKind::kClusters:
      return "CLST";
    case SectionKind::kSourceMap:
      return "SMAP";
    case SectionKind::kNativeCode:
      return "NATV";
  }
  return "????";
}

const char* sectionDescription(SectionKind kind) {
  switch (kind) {
    case SectionKind::kStrings:
      return "string table";
    case SectionKind::kProxy:
      return "proxy identity, listeners, filter chains";
    case SectionKind::kVirtualHosts:
      return "route configurations, virtual hosts, host tables";
    case SectionKind::kDecisionTree:
      return "portable decision tree (matchers, path tries, candidate sets)";
    case SectionKind::kActions:
      return "route matches and actions";
    case SectionKind::kClusters:
      return "clusters and endpoints";
    case SectionKind::kSourceMap:
      return "source map (input files, VirtualService, file:line per route)";
    case SectionKind::kNativeCode:
      return "native code (platform sub-header + relocatable object)";
  }
  return "unknown";
}

const char* bundleErrorKindName(BundleErrorKind kind) {
  switch (kind) {
    case BundleErrorKind::kNone:
      return "none";
    case BundleErrorKind::kIo:
      return "io";
    case BundleErrorKind::kTooShort:
      return "too-short";
    case BundleErrorKind::kBadMagic:
      return "bad-magic";
    case BundleErrorKind::kUnsupportedVersion:
      return "unsupported-version";
    case BundleErrorKind::kBadHeaderSize:
      return "bad-header-size";
    case BundleErrorKind::kSizeMismatch:
      return "size-mismatch";
    case BundleErrorKind::kReservedNonZero:
      return "reserved-non-zero";
    case BundleErrorKind::kChecksumMismatch:
      return "checksum-mismatch";
    case BundleErrorKind::kBadSectionTable:
      return "bad-section-table";
    case BundleErrorKind::kSectionOutOfBounds:
      return "section-out-of-bounds";
    case BundleErrorKind::kSectionOverlap:
      return "section-overlap";
    case BundleErrorKind::kMalformedSection:
      return "malformed-section";
    case BundleErrorKind::kInvalidTree:
      return "invalid-tree";
    case BundleErrorKind::kNativeCodeInvalid:
      return "native-code-invalid";
  }
  return "unknown";
}

Expected<std::string> readFileBytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return Status::error(StatusCode::kIoError, path + ": " + std::strerror(errno));
  }
  std::ostringstream s;
  s << in.rdbuf();
  if (in.bad()) {
    return Status::error(StatusCode::kIoError, path + ": read failed");
  }
  return s.str();
}

namespace {

std::string printable(std::string_view s) {
  std::string out;
  for (char c : s) {
    auto u = static_cast<unsigned char>(c);
    if (u >= 0x20 && u < 0x7f && c != '\\' && c != '"') {
      out += c;
    } else {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\x%02x", u);
      out += buf;
    }
  }
  return out;
}

class Reader {
 public:
  Reader(std::string_view bytes, std::string_view name, BundleErrorKind* kind)
      : bytes_(bytes), name_(name), kind_(kind) {
    if (kind_ != nullptr) {
      *kind_ = BundleErrorKind::kNone;
    }
  }

  Status fail(BundleErrorKind kind, const std::string& message) {
    if (kind_ != nullptr) {
      *kind_ = kind;
    }
    StatusCode code = kind == BundleErrorKind::kUnsupportedVersion ? StatusCode::kUnsupported
                                                                   : StatusCode::kCorrupt;
    return Status::error(code, std::string(name_) + ": " + message);
  }

  // Header and section table, in the fixed order.
  Status readFrame(BundleHeader& h, std::vector<SectionEntry>& sections) {
    if (bytes_.size() < kBundleHeaderSize) {
      return fail(BundleErrorKind::kTooShort,
                  "the file is " + std::to_string(bytes_.size()) + " bytes, shorter than the " +
                      std::to_string(kBundleHeaderSize) + "-byte bundle header");
    }
    std::string_view magic = bytes_.substr(HeaderOffsets::kMagic, kBundleMagic.size());
    if (magic != kBundleMagic) {
      return fail(BundleErrorKind::kBadMagic, "not a meshc routing bundle (magic \"" +
                                                  printable(magic) + "\", expected \"" +
                                                  printable(kBundleMagic) + "\")");
    }
    h.format_version = loadU32(bytes_, HeaderOffsets::kVersion);
    std::string_view version_field =
        bytes_.substr(HeaderOffsets::kCompilerVersion, kCompilerVersionSize);
    h.compiler_version = std::string(version_field.substr(0, version_field.find('\0')));
    if (h.format_version != 0 && h.format_version < kBundleFormatVersion) {
      // An older layout: the reader cannot fill the fields added since, so it names them.
      return fail(BundleErrorKind::kUnsupportedVersion,
                  "bundle format version " + std::to_string(h.format_version) +
                      " (written by meshc " + printable(h.compiler_version) +
                      ") is older than this reader's version " +
                      std::to_string(kBundleFormatVersion) +
                      ", which adds " +
                      (h.format_version < 2
                           ? std::string("consistent-hash cookie TTL/path/attributes, subset "
                                         "labels, ring-hash and Maglev sizes, trusted proxies, ")
                           : std::string()) +
                      (h.format_version < 3
                           ? std::string("DestinationRule connection pools and outlier "
                                         "detection, ")
                           : std::string()) +
                      (h.format_version < 4 ? std::string("TCP proxy idle timeouts, ")
                                            : std::string()) +
                      "gateway TLS settings: recompile the bundle with this meshc");
    }
    if (h.format_version != kBundleFormatVersion) {
      return fail(BundleErrorKind::kUnsupportedVersion,
                  "bundle format version " + std::to_string(h.format_version) +
                      " (written by meshc " + printable(h.compiler_version) +
                      "); this reader understands version " + std::to_string(kBundleFormatVersion) +
                      " only: load it with that meshc, or recompile the bundle with this one");
    }
    h.header_size = loadU32(bytes_, HeaderOffsets::kHeaderSize);
    if (h.header_size != kBundleHeaderSize) {
      return fail(BundleErrorKind::kBadHeaderSize,
                  "header size field is " + std::to_string(h.header_size) + ", expected " +
                      std::to_string(kBundleHeaderSize));
    }
    h.total_size = loadU64(bytes_, HeaderOffsets::kTotalSize);
    if (h.total_size != bytes_.size()) {
      return fail(BundleErrorKind::kSizeMismatch,
                  "header says the bundle is " + std::to_string(h.total_size) +
                      " bytes, the file is " + std::to_string(bytes_.size()) +
                      (h.total_size > bytes_.size() ? " (truncated?)" : ""));
    }
    h.section_count = loadU32(bytes_, HeaderOffsets::kSectionCount);
    h.flags = loadU32(bytes_, HeaderOffsets::kFlags);
    h.payload_crc = loadU32(bytes_, HeaderOffsets::kPayloadCrc);
    h.input_hash = loadU64(bytes_, HeaderOffsets::kInputHash);
    if (uint32_t r = loadU32(bytes_, HeaderOffsets::kReserved0); r != 0) {
      return fail(BundleErrorKind::kReservedNonZero,
                  "reserved header field at byte 36 is " + std::to_string(r) + ", expected 0");
    }
    for (size_t at = HeaderOffsets::kReserved1; at < kBundleHeaderSize; ++at) {
      if (bytes_[at] != '\0') {
        return fail(BundleErrorKind::kReservedNonZero,
                    "reserved header byte " + std::to_string(at) + " is not 0");
      }
    }
    if ((h.flags & ~kKnownFlags) != 0) {
      return fail(BundleErrorKind::kReservedNonZero,
                  "unknown header flag bits 0x" + hex(h.flags & ~kKnownFlags));
    }
    uint32_t crc = bundleChecksum(bytes_);
    if (crc != h.payload_crc) {
      return fail(BundleErrorKind::kChecksumMismatch,
                  "CRC-32C of the file is 0x" + hex(crc) + ", the header says 0x" +
                      hex(h.payload_crc) + " (the file is damaged)");
    }
    return readSectionTable(h, sections);
  }

  Status readSectionTable(const BundleHeader& h, std::vector<SectionEntry>& sections) {
    constexpr uint32_t kMaxSections = 64;
    if (h.section_count == 0 || h.section_count > kMaxSections) {
      return fail(BundleErrorKind::kBadSectionTable,
                  "section count is " + std::to_string(h.section_count) + ", expected 1.." +
                      std::to_string(kMaxSections));
    }
    uint64_t table_end = kBundleHeaderSize + uint64_t{h.section_count} * kSectionEntrySize;
    if (table_end > bytes_.size()) {
      return fail(BundleErrorKind::kBadSectionTable,
                  "section table of " + std::to_string(h.section_count) + " entries ends at " +
                      std::to_string(table_end) + ", the file is " + std::to_string(bytes_.size()) +
                      " bytes");
    }
    uint64_t previous_end = table_end;
    std::string previous = "the section table";
    for (uint32_t i = 0; i < h.section_count; ++i) {
      size_t at = kBundleHeaderSize + size_t{i} * kSectionEntrySize;
      SectionEntry e{loadU32(bytes_, at), loadU64(bytes_, at + 8), loadU64(bytes_, at + 16)};
      std::string what = std::string("section ") + sectionKindName(e.kind);
      if (std::string(sectionKindName(e.kind)) == "????") {
        return fail(BundleErrorKind::kBadSectionTable, "section table entry " + std::to_string(i) +
                                                           " has unknown kind 0x" + hex(e.kind));
      }
      if (loadU32(bytes_, at + 4) != 0) {
        return fail(BundleErrorKind::kBadSectionTable, what + ": reserved table field is not 0");
      }
      for (const SectionEntry& s : sections) {
        if (s.kind == e.kind) {
          return fail(BundleErrorKind::kBadSectionTable, what + " appears twice");
        }
      }
      if (e.offset > bytes_.size() || e.size > bytes_.size() - e.offset) {
        return fail(BundleErrorKind::kSectionOutOfBounds,
                    what + " ends at " + std::to_string(e.offset + e.size) + ", the file is " +
                        std::to_string(bytes_.size()) + " bytes");
      }
      if (e.offset < previous_end) {
        return fail(BundleErrorKind::kSectionOverlap,
                    what + " starts at " + std::to_string(e.offset) + ", inside " + previous +
                        " (which ends at " + std::to_string(previous_end) + ")");
      }
      if (e.offset % kSectionAlignment != 0) {
        return fail(BundleErrorKind::kSectionOverlap,
                    what + " starts at " + std::to_string(e.offset) + ", not on an " +
                        std::to_string(kSectionAlignment) + "-byte boundary");
      }
      previous_end = e.offset + e.size;
      previous = what;
      sections.push_back(e);
    }
    if (previous_end != bytes_.size()) {
      return fail(BundleErrorKind::kBadSectionTable,
                  std::to_string(bytes_.size() - previous_end) + " bytes follow the last section");
    }
    for (SectionKind k : kRequiredSections) {
      if (find(sections, k).data() == nullptr) {
        return fail(BundleErrorKind::kBadSectionTable,
                    std::string("required section ") + sectionKindName(static_cast<uint32_t>(k)) +
                        " is missing");
      }
    }
    bool has_native = find(sections, SectionKind::kNativeCode).data() != nullptr;
    if (has_native != ((h.flags & kFlagNativeCode) != 0)) {
      return fail(BundleErrorKind::kBadSectionTable,
                  has_native ? "a NATV section is present but the native-code flag is clear"
                             : "the native-code flag is set but there is no NATV section");
    }
    return Status::ok();
  }

  // A section's bytes; data() == nullptr when absent.
  std::string_view find(const std::vector<SectionEntry>& sections, SectionKind kind) const {
    for (const SectionEntry& s : sections) {
      if (s.kind == static_cast<uint32_t>(kind)) {
        return std::string_view(bytes_.data() + s.offset, s.size);
      }
    }
    return std::string_view();
  }

  Status malformed(SectionKind kind, const std::string& message) {
    return fail(
        BundleErrorKind::kMalformedSection,
        std::string("section ") + sectionKindName(static_cast<uint32_t>(kind)) + ": " + message);
  }

  // Runs `decode` over a whole section; any decode error or trailing byte is malformed.
  template <typename F>
  Status decodeSection(const std::vector<SectionEntry>& sections, SectionKind kind, F&& decode) {
    ByteReader in(find(sections, kind));
    DecodeIo io(in, strings_);
    decode(io);
    if (!in.ok()) {
      return malformed(kind, in.error());
    }
    if (!in.atEnd()) {
      return malformed(kind, "at byte " + std::to_string(in.position()) +
                                 ": trailing bytes after the last record");
    }
    return Status::ok();
  }

  Status decodeStrings(const std::vector<SectionEntry>& sections) {
    std::string_view data = find(sections, SectionKind::kStrings);
    ByteReader in(data);
    uint32_t n = in.count(8);
    std::vector<std::pair<uint32_t, uint32_t>> index(n);
    for (auto& [off, size] : index) {
      off = in.u32();
      size = in.u32();
    }
    if (!in.ok()) {
      return malformed(SectionKind::kStrings, in.error());
    }
    std::string_view blob = data.substr(in.position());
    strings_.clear();
    strings_.reserve(n);
    for (uint32_t i = 0; i < n; ++i) {
      auto [off, size] = index[i];
      if (off > blob.size() || size > blob.size() - off) {
        return malformed(SectionKind::kStrings, "string " + std::to_string(i) + " ends at " +
                                                    std::to_string(uint64_t{off} + size) +
                                                    ", the blob is " + std::to_string(blob.size()) +
                                                    " bytes");
      }
      strings_.push_back(blob.substr(off, size));
    }
    return Status::ok();
  }

  Status decodeNative(std::string_view data, NativePlatform& platform, std::string* object) {
    ByteReader in(data);
    uint32_t version = in.u32();
    if (in.ok() && version != kNativeSubHeaderVersion) {
      return fail(BundleErrorKind::kNativeCodeInvalid, "native-code sub-header version " +
                                                           std::to_string(version) + ", expected " +
                                                           std::to_string(kNativeSubHeaderVersion));
    }
    platform.triple = std::string(in.inlineString());
    platform.cpu = std::string(in.inlineString());
    platform.features = std::string(in.inlineString());
    platform.llvm_version = std::string(in.inlineString());
    platform.symbol_prefix = std::string(in.inlineString());
    platform.function_count = in.u32();
    platform.object_size = in.u64();
    if (in.ok() && platform.object_size != data.size() - in.position()) {
      return fail(BundleErrorKind::kNativeCodeInvalid,
                  "native object size is " + std::to_string(platform.object_size) + ", " +
                      std::to_string(data.size() - in.position()) + " bytes follow the sub-header");
    }
    if (!in.ok()) {
      return fail(BundleErrorKind::kNativeCodeInvalid, "native-code sub-header " + in.error());
    }
    if (object != nullptr) {
      object->assign(data.substr(in.position()));
    }
    return Status::ok();
  }

  const std::vector<std::string_view>& strings() const { return strings_; }

  static std::string hex(uint32_t v) {
    char buf[16];
    std::snprintf(buf, sizeof buf, "%08x", v);
    return buf;
  }

 private:
  std::string_view bytes_;
  std::string_view name_;
  BundleErrorKind* kind_;
  std::vector<std::string_view> strings_;
};

bool sourceRefValid(const xds::SourceRef& loc, size_t files) {
  return loc.file == xds::SourceRef::kNoFile || loc.file < files;
}

// The checks both entry points make, in this order: the frame (length, magic, version, sizes,
// reserved fields, CRC, section table), the strings, proxy and virtual-host sections, and the
// native-code sub-header. readBundle() starts with exactly these, so a file that inspectBundle()
// refuses is refused by readBundle() with the same error class, and `meshc inspect` and
// `meshc simulate --bundle` name the same problem. `native_object` may be null (inspect).
Status readCommonPrefix(Reader& reader, BundleHeader& header, std::vector<SectionEntry>& sections,
                        xds::ProxyConfig& pc, std::vector<ir::RouteProgram>& programs,
                        std::vector<std::vector<uint32_t>>& route_counts,
                        std::optional<NativePlatform>& native, std::string* native_object) {
  if (Status st = reader.readFrame(header, sections); !st) {
    return st;
  }
  if (Status st = reader.decodeStrings(sections); !st) {
    return st;
  }
  if (Status st = reader.decodeSection(sections, SectionKind::kProxy,
                                       [&](DecodeIo& io) { codeProxySection(io, pc); });
      !st) {
    return st;
  }
  if (Status st = reader.decodeSection(
          sections, SectionKind::kVirtualHosts,
          [&](DecodeIo& io) { codeVirtualHostsSection(io, pc, programs, &route_counts); });
      !st) {
    return st;
  }
  if (std::string_view natv = reader.find(sections, SectionKind::kNativeCode);
      natv.data() != nullptr) {
    NativePlatform platform;
    if (Status st = reader.decodeNative(natv, platform, native_object); !st) {
      return st;
    }
    native = std::move(platform);
  }
  return Status::ok();
}

}  // namespace

Expected<Bundle> readBundle(std::string_view bytes, std::string_view name,
                            BundleErrorKind* error_kind) {
  Reader reader(bytes, name, error_kind);
  Bundle b;
  xds::ProxyConfig& pc = b.config;
  std::vector<std::vector<uint32_t>> route_counts;
  if (Status st = readCommonPrefix(reader, b.header, b.sections, pc, b.programs, route_counts,
                                   b.native, &b.native_object);
      !st) {
    return st;
  }
  if (Status st = reader.decodeSection(
          b.sections, SectionKind::kDecisionTree,
          [&](DecodeIo& io) {
            for (size_t c = 0; c < b.programs.size() && io.ok(); ++c) {
              ir::RouteProgram& p = b.programs[c];
              codeTreeRecord(io, p);
              if (!io.ok()) {
                return;
              }
              if (p.virtual_hosts.size() != route_counts[c].size()) {
                io.fail("route configuration " + p.name + " has " +
                        std::to_string(p.virtual_hosts.size()) + " virtual hosts, VHST says " +
                        std::to_string(route_counts[c].size()));
                return;
              }
              for (size_t v = 0; v < p.virtual_hosts.size(); ++v) {
                if (p.virtual_hosts[v].routes.size() != route_counts[c][v]) {
                  io.fail("route configuration " + p.name + " virtual host " + std::to_string(v) +
                          " has " + std::to_string(p.virtual_hosts[v].routes.size()) +
                          " routes, VHST says " + std::to_string(route_counts[c][v]));
                  return;
                }
              }
            }
          });
      !st) {
    return st;
  }
  // TREE matched VHST's counts (each bounded by its section's size): size the routes.
  for (size_t c = 0; c < pc.route_configs.size(); ++c) {
    auto& vhs = pc.route_configs[c].virtual_hosts;
    for (size_t v = 0; v < vhs.size(); ++v) {
      vhs[v].routes.resize(route_counts[c][v]);
    }
  }
  if (Status st = reader.decodeSection(b.sections, SectionKind::kActions,
                                       [&](DecodeIo& io) { codeActionsSection(io, pc); });
      !st) {
    return st;
  }
  if (Status st = reader.decodeSection(b.sections, SectionKind::kClusters,
                                       [&](DecodeIo& io) { codeVec(io, pc.clusters); });
      !st) {
    return st;
  }
  if (Status st =
          reader.decodeSection(b.sections, SectionKind::kSourceMap,
                               [&](DecodeIo& io) { codeSourceMapSection(io, b.source_files, pc); });
      !st) {
    return st;
  }
  // Cross-section references the codec cannot see.
  const size_t files = b.source_files.size();
  for (const auto& rc : pc.route_configs) {
    for (const auto& vh : rc.virtual_hosts) {
      for (const xds::Route& r : vh.routes) {
        if (!sourceRefValid(r.source.loc, files)) {
          return reader.malformed(SectionKind::kSourceMap, "route " + r.name +
                                                               " refers to input file " +
                                                               std::to_string(r.source.loc.file) +
                                                               " of " + std::to_string(files));
        }
      }
    }
  }
  for (const auto& l : pc.listeners) {
    std::vector<const xds::FilterChain*> chains;
    for (const auto& c : l.filter_chains) {
      chains.push_back(&c);
    }
    if (l.default_filter_chain) {
      chains.push_back(&*l.default_filter_chain);
    }
    for (const xds::FilterChain* c : chains) {
      if (c->tcp_proxy && !sourceRefValid(c->tcp_proxy->source.loc, files)) {
        return reader.malformed(SectionKind::kProxy,
                                "listener " + l.name + " refers to input file " +
                                    std::to_string(c->tcp_proxy->source.loc.file) + " of " +
                                    std::to_string(files));
      }
    }
  }
  for (ir::RouteProgram& p : b.programs) {
    ir::compileProgramRegexes(p);
    if (Status st = ir::verifyRouteProgram(p); !st) {
      return reader.fail(BundleErrorKind::kInvalidTree,
                         "route configuration " + p.name + ": " + st.message());
    }
  }
  // The sub-header was read with the common prefix; its entry count can only be checked
  // against the decoded trees (inspect does not decode them).
  if (b.native && b.native->function_count != b.programs.size()) {
    return reader.fail(BundleErrorKind::kNativeCodeInvalid,
                       "native code has " + std::to_string(b.native->function_count) +
                           " entry points for " + std::to_string(b.programs.size()) +
                           " route configurations");
  }
  return b;
}

Expected<BundleSummary> inspectBundle(std::string_view bytes, std::string_view name,
                                      BundleErrorKind* error_kind) {
  Reader reader(bytes, name, error_kind);
  BundleSummary s;
  xds::ProxyConfig pc;
  std::vector<ir::RouteProgram> programs;
  std::vector<std::vector<uint32_t>> route_counts;
  if (Status st = readCommonPrefix(reader, s.header, s.sections, pc, programs, route_counts,
                                   s.native, nullptr);
      !st) {
    return st;
  }
  s.proxy = std::move(pc.proxy);
  s.listeners = std::move(pc.listeners);
  for (size_t c = 0; c < pc.route_configs.size(); ++c) {
    RouteConfigSummary rs;
    rs.name = pc.route_configs[c].name;
    rs.virtual_hosts = static_cast<uint32_t>(route_counts[c].size());
    for (uint32_t n : route_counts[c]) {
      rs.routes += n;
    }
    s.route_configs.push_back(std::move(rs));
  }
  return s;
}

}  // namespace meshc::bundle
