// The routing bundle's on-disk layout (DESIGN.md section 3): the only contract between
// `meshc compile` (compiler/emit) and the runtime reader (bundle_reader.h). All integers are
// little-endian. Entry points: kBundleMagic, BundleHeader, SectionKind, BundleErrorKind.
//
//   offset 0            header (kBundleHeaderSize bytes, below)
//   kBundleHeaderSize   section table: section_count entries of kSectionEntrySize bytes
//                       {u32 kind, u32 reserved (0), u64 offset, u64 size}, ascending offsets
//   ...                 section payloads, each starting on an 8-byte boundary, zero padding
//                       between them; nothing after the last section
//
// The CRC-32C covers the whole file with its own four bytes read as zero (header fields such as
// the compiler version and input hash included), so any damaged byte is caught.
// Section payloads are encoded by codec.h: u8/u32/u64 scalars, strings as u32 indices into
// the string section, vectors as a u32 count followed by the elements.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace meshc::bundle {

/// CRC-32C of a whole bundle with the checksum field read as zero (callers check the length).
uint32_t bundleChecksum(std::string_view bytes);

/// Readable magic. Compatibility: never changes; a different magic is not a meshc bundle.
inline constexpr std::string_view kBundleMagic = "MESHCRB\x1a";  // 8 bytes; \x1a stops `type`

/// Format version. Compatibility: bump on ANY change to this file or to codec.h's encoding;
/// readers refuse every other version and name the meshc release that writes it.
/// History: 1 = meshc 0.1.0; 2 adds HashPolicy cookie TTL/path/attributes, Cluster subset
/// labels and ring-hash/Maglev sizes, ProxyIdentity num_trusted_proxies (header and section
/// table unchanged); 3 adds the Cluster's healthy panic threshold, circuit breakers, max
/// requests per connection, idle and connect timeouts and outlier detection (header and section
/// table unchanged); 4 adds the tcp_proxy idle timeout and the Cluster's tcp.idleTimeout
/// (header and section table unchanged); 5 adds the filter chain's TLS context (header and
/// section table unchanged).
inline constexpr uint32_t kBundleFormatVersion = 5;

/// Header size in bytes. Compatibility: fixed since format version 1.
inline constexpr uint32_t kBundleHeaderSize = 80;
/// Section table entry size. Compatibility: fixed since format version 1.
inline constexpr uint32_t kSectionEntrySize = 24;
/// Payload alignment. Compatibility: fixed since format version 1.
inline constexpr uint32_t kSectionAlignment = 8;
/// Bytes of the compiler version field (NUL-padded ASCII). Compatibility: fixed since version 1.
inline constexpr size_t kCompilerVersionSize = 16;

/// Header field offsets (format versions 1 to 5). Compatibility: fixed since version 1.
struct HeaderOffsets {
  static constexpr size_t kMagic = 0;             // 8 bytes
  static constexpr size_t kVersion = 8;           // u32
  static constexpr size_t kHeaderSize = 12;       // u32, == kBundleHeaderSize
  static constexpr size_t kTotalSize = 16;        // u64, == file size
  static constexpr size_t kSectionCount = 24;     // u32
  static constexpr size_t kFlags = 28;            // u32, kFlag* bits
  static constexpr size_t kPayloadCrc = 32;       // u32, CRC-32C of the file, this field as 0
  static constexpr size_t kReserved0 = 36;        // u32, must be 0
  static constexpr size_t kCompilerVersion = 40;  // 16 bytes
  static constexpr size_t kInputHash = 56;        // u64, FNV-1a 64 of the inputs
  static constexpr size_t kReserved1 = 64;        // 16 bytes, must be 0
};

/// Header flag: the bundle carries a native-code section. Compatibility: bit 0 in version 1.
inline constexpr uint32_t kFlagNativeCode = 1u << 0;
/// Header flag: the bundle is for a gateway (else a sidecar). Compatibility: bit 1 in version 1.
inline constexpr uint32_t kFlagGateway = 1u << 1;
/// Every flag version 1 defines; other bits must be 0.
inline constexpr uint32_t kKnownFlags = kFlagNativeCode | kFlagGateway;

/// Section kinds, four ASCII letters read as a little-endian u32 (shows in a hex dump).
/// Compatibility: values are fixed; a new kind needs a new format version.
enum class SectionKind : uint32_t {
  kStrings = 0x53525453,       // "STRS": u32 count, count x {u32 offset, u32 size}, bytes
  kProxy = 0x59585250,         // "PRXY": proxy identity, listeners, filter chains, DNS table
  kVirtualHosts = 0x54534856,  // "VHST": route configurations, virtual hosts, host tables
  kDecisionTree = 0x45455254,  // "TREE": per virtual host the routes' matchers, tries, sets
  kActions = 0x4e544341,       // "ACTN": per route its Envoy match and actions
  kClusters = 0x54534c43,      // "CLST": clusters with endpoints
  kSourceMap = 0x50414d53,     // "SMAP": input files; per route its VirtualService and file:line
  kNativeCode = 0x5654414e,    // "NATV": platform sub-header + relocatable object
};

/// The sections every bundle has, in file order (kNativeCode, when present, comes last).
inline constexpr SectionKind kRequiredSections[] = {
    SectionKind::kStrings,      SectionKind::kProxy,   SectionKind::kVirtualHosts,
    SectionKind::kDecisionTree, SectionKind::kActions, SectionKind::kClusters,
    SectionKind::kSourceMap};

/// "STRS", "PRXY", ...; "????" for unknown kinds.
const char* sectionKindName(uint32_t kind);
/// What a section holds, for `meshc inspect`.
const char* sectionDescription(SectionKind kind);

/// Why a bundle was refused, in the order the reader checks (DESIGN.md section 3).
enum class BundleErrorKind {
  kNone,
  kIo,                  // the file could not be read
  kTooShort,            // shorter than the header
  kBadMagic,            // not a meshc bundle
  kUnsupportedVersion,  // written by another format version
  kBadHeaderSize,       // header size field is not kBundleHeaderSize
  kSizeMismatch,        // total size field differs from the file size
  kReservedNonZero,     // a reserved field or unknown flag bit is set
  kChecksumMismatch,    // payload CRC-32C differs
  kBadSectionTable,     // table does not fit, unknown/duplicate/missing kind, reserved set
  kSectionOutOfBounds,  // a section ends past the file or starts inside the table
  kSectionOverlap,      // two sections share bytes, or are out of order / misaligned
  kMalformedSection,    // a section's contents do not decode
  kInvalidTree,         // the decision tree fails the verifier
  kNativeCodeInvalid,   // the native-code sub-header or object is malformed
};
/// "too-short", "bad-magic", ...: stable names for tests and `meshc inspect`.
const char* bundleErrorKindName(BundleErrorKind kind);

/// Native-code sub-header (start of the NATV section), version 1:
///   u32 sub-header version (1), then codec strings (inline, not from STRS):
///   target triple, CPU name, CPU features ("+sse2,..."), LLVM version, entry symbol prefix;
///   u32 function count; u64 object size; the ELF relocatable object bytes.
/// Compatibility: the sub-header version changes with any change here.
inline constexpr uint32_t kNativeSubHeaderVersion = 1;

}  // namespace meshc::bundle
