// A positioned, immutable YAML tree with YAML 1.2 core-schema typing, built from yaml-cpp events.
// Entry point: parseYamlFile(); every node keeps its file:line:col.
#pragma once

#include <cstdint>
#include <memory_resource>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "support/diagnostic.h"
#include "support/source.h"

namespace meshc::frontend {

enum class NodeKind : uint8_t { kNull, kBool, kInt, kFloat, kString, kSeq, kMap };

/// "null", "boolean", "integer", "number", "string", "array", "object" (JSON Schema names).
const char* nodeKindName(NodeKind kind);

class Node;

struct MapEntry {
  std::string_view key;
  SourceLoc key_loc;
  const Node* value;
};

/// One YAML value. Nodes live in a YamlArena and are never mutated after parsing.
class Node {
 public:
  NodeKind kind() const { return kind_; }
  SourceLoc loc() const { return loc_; }
  bool isNull() const { return kind_ == NodeKind::kNull; }
  bool isMap() const { return kind_ == NodeKind::kMap; }
  bool isSeq() const { return kind_ == NodeKind::kSeq; }
  bool isString() const { return kind_ == NodeKind::kString; }
  bool isBool() const { return kind_ == NodeKind::kBool; }
  bool isInt() const { return kind_ == NodeKind::kInt; }
  bool isNumber() const { return kind_ == NodeKind::kInt || kind_ == NodeKind::kFloat; }
  bool isScalar() const { return kind_ != NodeKind::kSeq && kind_ != NodeKind::kMap; }
  /// True when the scalar was quoted or a block scalar (so it is a string whatever it reads).
  bool quoted() const { return quoted_; }
  /// Where the mapping key this value sits under starts (invalid for roots and list items), and
  /// its length: diagnostics about a whole map or list point at its key, not at its first child.
  SourceLoc keyLoc() const { return key_loc_; }
  uint32_t keyLength() const { return key_len_; }

  /// The scalar's text (decoded); empty for collections.
  std::string_view text() const { return text_; }
  bool boolValue() const { return kind_ == NodeKind::kBool && num_.b; }
  int64_t intValue() const { return kind_ == NodeKind::kInt ? num_.i : 0; }
  /// Integers widen to double; non-numbers give 0.
  double numberValue() const {
    return kind_ == NodeKind::kInt ? static_cast<double>(num_.i)
                                   : (kind_ == NodeKind::kFloat ? num_.d : 0.0);
  }

  /// Number of children (map entries or sequence items); 0 for scalars.
  size_t size() const { return size_; }
  std::span<const MapEntry> entries() const {
    return kind_ == NodeKind::kMap ? std::span<const MapEntry>(entries_, size_)
                                   : std::span<const MapEntry>();
  }
  std::span<const Node* const> items() const {
    return kind_ == NodeKind::kSeq ? std::span<const Node* const>(items_, size_)
                                   : std::span<const Node* const>();
  }
  /// The value under key, or nullptr when absent or when this is not a map.
  const Node* get(std::string_view key) const;
  const MapEntry* entry(std::string_view key) const;
  /// A string child's text, or empty when absent or not a string.
  std::string_view str(std::string_view key) const;

 private:
  friend class TreeBuilder;
  NodeKind kind_ = NodeKind::kNull;
  bool quoted_ = false;
  uint32_t size_ = 0;
  SourceLoc loc_;
  SourceLoc key_loc_;
  uint32_t key_len_ = 0;
  std::string_view text_;
  union {
    bool b;
    int64_t i;
    double d;
  } num_{};
  union {
    const MapEntry* entries_;
    const Node* const* items_ = nullptr;
  };
};

/// Owns the memory of every node parsed into it.
class YamlArena {
 public:
  YamlArena() = default;
  YamlArena(const YamlArena&) = delete;
  YamlArena& operator=(const YamlArena&) = delete;
  std::pmr::memory_resource* resource() { return &pool_; }

 private:
  std::pmr::monotonic_buffer_resource pool_{1 << 16};
};

struct YamlDocument {
  const Node* root = nullptr;  // never null for a returned document (an empty document is kNull)
  SourceLoc start;             // first non-blank, non-comment, non-"---" line of the document
  uint32_t index = 0;          // 0-based position in its file
};

struct ParseLimits {
  uint32_t max_depth = 200;                 // nesting levels
  uint64_t max_file_bytes = 256ull << 20;  // larger files are refused with a diagnostic
};

/// Parses every document of one file. Syntax errors, duplicate keys, invalid UTF-8, binary
/// content and limit violations become diagnostics; documents before a syntax error are kept.
std::vector<YamlDocument> parseYamlFile(const SourceManager& sources, uint32_t file,
                                        YamlArena& arena, DiagnosticSink& sink,
                                        const ParseLimits& limits = {});

/// Renders a node as compact JSON (used for messages and for equality of match blocks).
std::string toJson(const Node& node);

}  // namespace meshc::frontend
