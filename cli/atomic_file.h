// Output files that never appear half-written: write a temporary file beside the target, then
// rename it over the target. Entry point: writeFileAtomically().
#pragma once

#include <string>

#include "base/status.h"

namespace meshc::cli {

/// Who may read a written file: kShared is 0666 less the umask (bundles); kPrivate is 0600
/// whatever the umask (key material, e.g. `compile --credentials-dir`).
enum class FileAccessKind { kShared, kPrivate };

/// Writes `bytes` to PATH.tmp, then renames it to `path` (atomic on one file system, so a
/// reader such as meshproxy sees the old file or the new one, never a mix). kIoError naming the
/// file on failure; the temporary file is removed then.
Status writeFileAtomically(const std::string& path, const std::string& bytes,
                           FileAccessKind access = FileAccessKind::kShared);

}  // namespace meshc::cli
