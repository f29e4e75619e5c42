// SourceManager: line tables are computed once when a file is added.
#include "support/source.h"

namespace meshc {

uint32_t SourceManager::add(std::string path, std::string content) {
  auto f = std::make_unique<SourceFile>();
  f->path = std::move(path);
  f->content = std::move(content);
  f->line_starts.push_back(0);
  const std::string& c = f->content;
  for (size_t i = 0; i < c.size(); ++i) {
    if (c[i] == '\n') {
      f->line_starts.push_back(static_cast<uint32_t>(i + 1));
    }
  }
  files_.push_back(std::move(f));
  return static_cast<uint32_t>(files_.size() - 1);
}

std::string_view SourceManager::lineText(uint32_t file, uint32_t line) const {
  if (file >= files_.size() || line == 0) {
    return {};
  }
  const SourceFile& f = *files_[file];
  if (line > f.line_starts.size()) {
    return {};
  }
  size_t begin = f.line_starts[line - 1];
  size_t end = line < f.line_starts.size() ? f.line_starts[line] : f.content.size();
  std::string_view text(f.content.data() + begin, end - begin);
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) {
    text.remove_suffix(1);
  }
  return text;
}

}  // namespace meshc
