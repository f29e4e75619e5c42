// Names for StatusCode values.
#include "base/status.h"

namespace meshc {

const char* statusCodeName(StatusCode code) {
  switch (code) {
    case StatusCode::kOk:
      return "ok";
    case StatusCode::kNotFound:
      return "not-found";
    case StatusCode::kIoError:
      return "io-error";
    case StatusCode::kInvalidArgument:
      return "invalid-argument";
    case StatusCode::kLimitExceeded:
      return "limit-exceeded";
    case StatusCode::kCorrupt:
      return "corrupt";
    case StatusCode::kUnsupported:
      return "unsupported";
    case StatusCode::kInternal:
      return "internal";
  }
  return "unknown";
}

}  // namespace meshc
