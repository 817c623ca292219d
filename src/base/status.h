// Errors as values. A Status is OK or carries a code and a message meant for a person; StatusOr<T>
// carries a T or a non-OK Status. Codes map to HTTP in exactly one place (server/http.cc, HttpStatusFor).
#pragma once

#include <cassert>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

namespace quartet {

enum class StatusCode {
  kOk = 0,
  kInvalidArgument,     // the caller's input is malformed
  kNotFound,            // the named thing does not exist
  kAlreadyExists,       // creating something that exists
  kFailedPrecondition,  // the system is not in a state to do this
  kOutOfRange,          // beyond the end (e.g. a tile past the tree)
  kPermissionDenied,    // authenticated but not allowed
  kUnauthenticated,     // no or bad credentials
  kDataLoss,            // stored data is corrupt
  kUnavailable,         // try again later
  kInternal,            // a bug or an environment failure
};

std::string_view StatusCodeName(StatusCode code);

class [[nodiscard]] Status {
 public:
  Status() = default;
  Status(StatusCode code, std::string message) : code_(code), message_(std::move(message)) {}

  static Status Ok() { return Status(); }

  bool ok() const { return code_ == StatusCode::kOk; }
  StatusCode code() const { return code_; }
  const std::string& message() const { return message_; }

  // "CODE_NAME: message", or "OK".
  std::string ToString() const;

  // Returns a copy whose message is "context: message".
  Status WithContext(std::string_view context) const;

  friend bool operator==(const Status&, const Status&) = default;

 private:
  StatusCode code_ = StatusCode::kOk;
  std::string message_;
};

Status InvalidArgumentError(std::string message);
Status NotFoundError(std::string message);
Status AlreadyExistsError(std::string message);
Status FailedPreconditionError(std::string message);
Status OutOfRangeError(std::string message);
Status PermissionDeniedError(std::string message);
Status UnauthenticatedError(std::string message);
Status DataLossError(std::string message);
Status UnavailableError(std::string message);
Status InternalError(std::string message);

template <typename T>
class [[nodiscard]] StatusOr {
 public:
  // Precondition: !status.ok().
  StatusOr(Status status) : value_(std::move(status)) {  // NOLINT: implicit by design
    assert(!std::get<Status>(value_).ok());
  }
  StatusOr(T value) : value_(std::move(value)) {}  // NOLINT: implicit by design

  bool ok() const { return std::holds_alternative<T>(value_); }
  Status status() const { return ok() ? Status::Ok() : std::get<Status>(value_); }

  // Preconditions: ok().
  T& value() & { return std::get<T>(value_); }
  const T& value() const& { return std::get<T>(value_); }
  T&& value() && { return std::get<T>(std::move(value_)); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T&& operator*() && { return std::move(*this).value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

 private:
  std::variant<Status, T> value_;
};

namespace internal {
inline Status ToStatus(const Status& status) { return status; }
template <typename T>
Status ToStatus(const StatusOr<T>& status_or) {
  return status_or.status();
}
}  // namespace internal

}  // namespace quartet

#define QUARTET_CONCAT_INNER(a, b) a##b
#define QUARTET_CONCAT(a, b) QUARTET_CONCAT_INNER(a, b)

// Returns from the enclosing function if `expr` (a Status or StatusOr) is not OK. Nests (a lambda
// inside the expression may use it too): each use names its local uniquely.
#define RETURN_IF_ERROR(expr) \
  QUARTET_RETURN_IF_ERROR_IMPL(QUARTET_CONCAT(quartet_status_, __COUNTER__), expr)
#define QUARTET_RETURN_IF_ERROR_IMPL(status, expr)                    \
  do {                                                                \
    ::quartet::Status status = ::quartet::internal::ToStatus((expr)); \
    if (!status.ok()) return status;                                  \
  } while (false)

// ASSIGN_OR_RETURN(lhs, expr): evaluates the StatusOr `expr`; returns its Status if not OK,
// otherwise moves its value into `lhs` (which may be a declaration such as `auto x`).
#define ASSIGN_OR_RETURN(lhs, expr) \
  QUARTET_ASSIGN_OR_RETURN_IMPL(QUARTET_CONCAT(quartet_status_or_, __COUNTER__), lhs, expr)
#define QUARTET_ASSIGN_OR_RETURN_IMPL(tmp, lhs, expr) \
  auto tmp = (expr);                                  \
  if (!tmp.ok()) return tmp.status();                 \
  lhs = std::move(tmp).value()
