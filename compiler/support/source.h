// Source files held in memory, and positions inside them.
// Entry points: SourceManager::add(), SourceManager::lineText(), SourceLoc.
#pragma once

#include <cstdint>
#include <deque>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace meshc {

/// A 1-based position in a SourceManager file; file == kNoFile means "no position".
struct SourceLoc {
  static constexpr uint32_t kNoFile = UINT32_MAX;
  uint32_t file = kNoFile;
  uint32_t line = 0;    // 1-based
  uint32_t column = 0;  // 1-based, in bytes
  bool valid() const { return file != kNoFile; }
  friend bool operator==(const SourceLoc&, const SourceLoc&) = default;
};

/// One input file: its display path and its full content.
struct SourceFile {
  std::string path;
  std::string content;
  std::vector<uint32_t> line_starts;  // offsets of each line's first byte
};

/// Owns every file read in one run; files are never moved once added.
class SourceManager {
 public:
  /// Adds a file and returns its id.
  uint32_t add(std::string path, std::string content);
  const SourceFile& file(uint32_t id) const { return *files_[id]; }
  size_t size() const { return files_.size(); }
  /// The text of a 1-based line, without its line terminator; empty when out of range.
  std::string_view lineText(uint32_t file, uint32_t line) const;
  const std::string& path(uint32_t file) const { return files_[file]->path; }

 private:
  std::deque<std::unique_ptr<SourceFile>> files_;
};

}  // namespace meshc
