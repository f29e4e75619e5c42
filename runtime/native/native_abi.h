// The C ABI between generated route-selection code (compiler/codegen) and the runtime that
// calls it: the request block the code reads, the helper functions it calls (resolved through
// ORC absoluteSymbols, never through the dynamic linker) and the result encoding.
// Compatibility: any change here is a native-code ABI change; bump kNativeAbiVersion, which is
// part of the bundle's native sub-header (entry symbol prefix), so old objects are refused.
#pragma once

#include <cstdint>

namespace meshc::native {

/// Bumped on any change to this file. Appears in the entry symbol prefix ("meshc_v1_rc_").
inline constexpr uint32_t kNativeAbiVersion = 1;

extern "C" {

/// A byte string (not NUL-terminated).
struct MeshcStr {
  const char* data;
  uint64_t size;
};

/// What generated code reads. Field offsets are ABI (codegen emits them as constants).
struct MeshcRequest {
  MeshcStr host;        // offset 0: the lookup host (lower-cased; port stripped as configured)
  MeshcStr path;        // offset 16: normalised path, no query
  MeshcStr lower_path;  // offset 32: ASCII lower-cased path
  const void* view;     // offset 48: ir::RequestView* (headers, query, claims)
  const void* program;  // offset 56: ir::RouteProgram* (regexes, regex filters, fallback)
  uint64_t serial;      // offset 64: unique per evaluation (memo key for regex-set results)
};

/// Entry point per route configuration: "<prefix><index>". Returns (virtual host << 32) |
/// route, each 0xffffffff when absent (no virtual host ⇒ both absent).
using MeshcRouteFn = uint64_t (*)(const MeshcRequest*);

/// 1 and *out set when the (lower-cased) header is present (Envoy's joined value), else 0.
int32_t meshc_rt_header(const MeshcRequest* r, const char* name, uint64_t name_size, MeshcStr* out);
/// 1 and *out set when the query parameter is present (first occurrence), else 0.
int32_t meshc_rt_query(const MeshcRequest* r, const char* name, uint64_t name_size, MeshcStr* out);
/// 1 and *out set when the JWT claim (dotted path) is present, else 0.
int32_t meshc_rt_claim(const MeshcRequest* r, const char* path, uint64_t path_size, MeshcStr* out);
/// Envoy StringMatcher: kind 1 prefix, 2 suffix, 3 contains (0 exact and 4 regex are handled
/// by inline code and meshc_rt_regex); ignore_case folds ASCII.
int32_t meshc_rt_string_match(uint32_t kind, uint32_t ignore_case, const char* value,
                              uint64_t value_size, const char* pattern, uint64_t pattern_size);
/// Full match of program regex `regex` (false when it did not compile).
int32_t meshc_rt_regex(const MeshcRequest* r, int32_t regex, const char* value, uint64_t size);
/// Whether the path regex of `route` (a regex route without literal prefix, i.e. in the virtual
/// host's regex list) fully matches the path; the virtual host's RE2::Set runs once per request.
int32_t meshc_rt_regex_route(const MeshcRequest* r, uint32_t vhost, uint32_t route);
/// The tree interpreter's answer for one virtual host (used where code size would explode).
int32_t meshc_rt_select_route(const MeshcRequest* r, uint32_t vhost);
/// Merges two candidate arrays of (route << 32 | candidate id), each sorted, in route order and
/// returns the route of the first candidate `check` accepts, or -1 (virtual hosts that use both
/// the case-sensitive and the case-insensitive path trie).
int32_t meshc_rt_merge2(const MeshcRequest* r, const uint64_t* a, uint64_t a_size,
                        const uint64_t* b, uint64_t b_size,
                        int32_t (*check)(const MeshcRequest*, uint32_t));
/// ASCII case-insensitive equality of equal-length byte strings.
int32_t meshc_rt_equals_ignore_case(const char* a, const char* b, uint64_t size);

}  // extern "C"

/// Name and address of every helper, for absoluteSymbols.
struct HelperSymbol {
  const char* name;
  void* address;
};
/// The helper table (stable order).
const HelperSymbol* helperSymbols(uint32_t* count);

}  // namespace meshc::native
