// Private declarations shared by the RouteCodegen files: MeshcRequest field offsets and small
// helpers on words, tries and routes. Entry point: littleEndianWord().
#pragma once

#include <cstdint>
#include <string_view>

#include "routing/route_tree.h"

namespace meshc::codegen::detail {

// MeshcRequest field offsets (runtime/native/native_abi.h; ABI, static_asserted there).
inline constexpr uint32_t kHostOffset = 0;
inline constexpr uint32_t kPathOffset = 16;
inline constexpr uint32_t kLowerPathOffset = 32;

inline uint64_t littleEndianWord(std::string_view s, size_t at, size_t width) {
  uint64_t v = 0;
  for (size_t i = 0; i < width; ++i) {
    v |= static_cast<uint64_t>(static_cast<uint8_t>(s[at + i])) << (8 * i);
  }
  return v;
}

inline size_t wordWidth(size_t remaining) {
  return remaining >= 8 ? 8 : remaining >= 4 ? 4 : remaining >= 2 ? 2 : 1;
}

inline bool trieUsed(const ir::PathTrie& t) {
  for (const ir::TrieNode& n : t.nodes) {
    if (n.prefix_set != ir::kNoSet || n.exact_set != ir::kNoSet || n.segment_set != ir::kNoSet ||
        n.regex_set != ir::kNoSet) {
      return true;
    }
  }
  return false;
}

inline bool hasResiduals(const ir::RouteEntry& e) {
  return !e.headers.empty() || !e.query_parameters.empty() || !e.claims.empty();
}

}  // namespace meshc::codegen::detail
