#pragma once

#include <string>
#include <string_view>
#include <utility>

namespace ferry {

// Error codes. Each maps to one HTTP status and one gRPC code (see
// HttpStatusOf / GrpcCodeOf); the mapping lives only in status.cc.
enum class StatusCode {
  kOk = 0,
  kInvalidArgument,     // caller's input is malformed: 400 / INVALID_ARGUMENT
  kNotFound,            // named thing does not exist: 404 / NOT_FOUND
  kAlreadyExists,       // 409 / ALREADY_EXISTS
  kFailedPrecondition,  // state forbids the call: 409 / FAILED_PRECONDITION
  kOutOfRange,          // a value or size past a limit: 413 / OUT_OF_RANGE
  kResourceExhausted,   // queue full, load shed: 429 / RESOURCE_EXHAUSTED
  kDeadlineExceeded,    // 504 / DEADLINE_EXCEEDED
  kUnavailable,         // not ready, retry later: 503 / UNAVAILABLE
  kUnauthenticated,     // 401 / UNAUTHENTICATED
  kPermissionDenied,    // 403 / PERMISSION_DENIED
  kCancelled,           // caller went away: 499 / CANCELLED
  kDataLoss,            // stored data is corrupt: 500 / DATA_LOSS
  kUnimplemented,       // 501 / UNIMPLEMENTED
  kInternal,            // Ferry's own fault: 500 / INTERNAL
};

// The outcome of an operation: OK, or a code with a human-readable message.
// Messages are part of Ferry's contract (tests pin them).
class [[nodiscard]] Status {
 public:
  Status() = default;  // OK
  Status(StatusCode code, std::string message) : code_(code), message_(std::move(message)) {}

  static Status Ok() { return Status(); }

  bool ok() const { return code_ == StatusCode::kOk; }
  StatusCode code() const { return code_; }
  const std::string& message() const { return message_; }

  // "INVALID_ARGUMENT: message", or "OK".
  std::string ToString() const;

  // Returns a copy whose message is "prefix: message". OK stays OK.
  Status WithContext(std::string_view prefix) const;

 private:
  StatusCode code_ = StatusCode::kOk;
  std::string message_;
};

// Constructors for each code.
Status InvalidArgument(std::string message);
Status NotFound(std::string message);
Status AlreadyExists(std::string message);
Status FailedPrecondition(std::string message);
Status OutOfRange(std::string message);
Status ResourceExhausted(std::string message);
Status DeadlineExceeded(std::string message);
Status Unavailable(std::string message);
Status Unauthenticated(std::string message);
Status PermissionDenied(std::string message);
Status Cancelled(std::string message);
Status DataLoss(std::string message);
Status Unimplemented(std::string message);
Status Internal(std::string message);

// Stable upper-case name of a code, e.g. "NOT_FOUND".
std::string_view StatusCodeName(StatusCode code);
// The one place where a Status becomes a transport status.
int HttpStatusOf(StatusCode code);
int GrpcCodeOf(StatusCode code);

}  // namespace ferry

// Propagates a non-OK Status from an expression to the caller.
#define FERRY_RETURN_IF_ERROR(expr)                \
  do {                                             \
    ::ferry::Status ferry_status_ = (expr);        \
    if (!ferry_status_.ok()) return ferry_status_; \
  } while (false)
