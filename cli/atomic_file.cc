// writeFileAtomically(): temporary file + rename (atomic_file.h).
#include "cli/atomic_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

namespace meshc::cli {

Status writeFileAtomically(const std::string& path, const std::string& bytes,
                           FileAccessKind access) {
  std::string tmp = path + ".tmp";
  const bool priv = access == FileAccessKind::kPrivate;
  auto failed = [&tmp](const char* what) {
    std::string reason = std::strerror(errno);
    std::remove(tmp.c_str());
    return Status::error(StatusCode::kIoError, std::string(what) + tmp + ": " + reason);
  };
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, priv ? 0600 : 0666);
  if (fd < 0) {
    return Status::error(StatusCode::kIoError, "cannot write " + tmp + ": " + std::strerror(errno));
  }
  // A temporary file left by an earlier run keeps its mode through O_CREAT: set it.
  if (priv && ::fchmod(fd, 0600) != 0) {
    ::close(fd);
    return failed("cannot restrict ");
  }
  size_t done = 0;
  while (done < bytes.size()) {
    ssize_t n = ::write(fd, bytes.data() + done, bytes.size() - done);
    if (n < 0 && errno == EINTR) {
      continue;
    }
    if (n <= 0) {
      ::close(fd);
      return failed("cannot write ");
    }
    done += static_cast<size_t>(n);
  }
  if (::close(fd) != 0) {
    return failed("cannot write ");
  }
  if (std::rename(tmp.c_str(), path.c_str()) != 0) {
    std::remove(tmp.c_str());
    return Status::error(StatusCode::kIoError, "cannot rename " + tmp + " to " + path);
  }
  return Status::ok();
}

}  // namespace meshc::cli
