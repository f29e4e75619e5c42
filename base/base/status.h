// Status and Expected<T>: failures at a library boundary (I/O, limits, bundle load).
// Entry points: Status::ok(), Status::error(code, message), Expected<T>.
#pragma once

#include <cassert>
#include <string>
#include <utility>
#include <variant>

namespace meshc {

/// Failure classes; each boundary failure carries exactly one.
enum class StatusCode {
  kOk = 0,
  kNotFound,
  kIoError,
  kInvalidArgument,
  kLimitExceeded,
  kCorrupt,
  kUnsupported,
  kInternal,
};

/// Returns a stable lower-case name for a code ("not-found", ...).
const char* statusCodeName(StatusCode code);

class [[nodiscard]] Status {
 public:
  Status() = default;
  static Status ok() { return Status(); }
  static Status error(StatusCode code, std::string message) {
    assert(code != StatusCode::kOk);
    Status s;
    s.code_ = code;
    s.message_ = std::move(message);
    return s;
  }
  bool isOk() const { return code_ == StatusCode::kOk; }
  explicit operator bool() const { return isOk(); }
  StatusCode code() const { return code_; }
  const std::string& message() const { return message_; }

 private:
  StatusCode code_ = StatusCode::kOk;
  std::string message_;
};

/// A value or a non-ok Status. Accessing value() of an error is a programmer bug.
template <typename T>
class [[nodiscard]] Expected {
 public:
  Expected(T value) : v_(std::move(value)) {}  // NOLINT: implicit by design
  Expected(Status status) : v_(std::move(status)) {  // NOLINT
    assert(!std::get<Status>(v_).isOk());
  }
  bool hasValue() const { return v_.index() == 0; }
  explicit operator bool() const { return hasValue(); }
  T& value() & {
    assert(hasValue());
    return std::get<T>(v_);
  }
  const T& value() const& {
    assert(hasValue());
    return std::get<T>(v_);
  }
  T&& value() && {
    assert(hasValue());
    return std::get<T>(std::move(v_));
  }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const Status& status() const {
    assert(!hasValue());
    return std::get<Status>(v_);
  }

 private:
  std::variant<T, Status> v_;
};

}  // namespace meshc
