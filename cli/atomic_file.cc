// writeFileAtomically(): temporary file + rename (atomic_file.h).
#include "cli/atomic_file.h"

#include <cstdio>
#include <fstream>

namespace meshc::cli {

Status writeFileAtomically(const std::string& path, const std::string& bytes) {
  std::string tmp = path + ".tmp";
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    if (!out) {
      return Status::error(StatusCode::kIoError, "cannot write " + tmp);
    }
    out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    if (!out.flush()) {
      out.close();
      std::remove(tmp.c_str());
      return Status::error(StatusCode::kIoError, "cannot write " + tmp);
    }
  }
  if (std::rename(tmp.c_str(), path.c_str()) != 0) {
    std::remove(tmp.c_str());
    return Status::error(StatusCode::kIoError, "cannot rename " + tmp + " to " + path);
  }
  return Status::ok();
}

}  // namespace meshc::cli
