// The one result type for failures at run time (exceptions are for start-up
// only). A Status is ok, or a code with a short message for logs; a
// Result<T> is a value or a non-ok Status.
//
// Codes say what the caller should do, not which engine failed:
//   not_found    the thing asked for does not exist (a fact, not a failure)
//   exists       a create met an existing one (a fact, not a failure)
//   invalid      the request itself is wrong; retrying will not help
//   unavailable  the engine (database, Redis, network peer) is down or refused
//   timeout      no answer within the bound; the outcome of a write is unknown
//   internal     a bug or an unexpected engine answer
// unavailable and timeout are transient: a push is answered `wait`, an XMPP
// request internal-server-error or resource-constraint, never "nothing
// found". Messages never hold user data (no JIDs, tokens, bodies, secrets).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>

namespace herald {

enum class StatusCode { ok, not_found, exists, invalid, unavailable, timeout, internal };

std::string_view status_code_name(StatusCode code);

class [[nodiscard]] Status {
 public:
  Status() = default;
  Status(StatusCode code, std::string message) : code_(code), message_(std::move(message)) {}
  static Status Ok() { return {}; }

  bool ok() const { return code_ == StatusCode::ok; }
  StatusCode code() const { return code_; }
  const std::string& message() const { return message_; }
  bool is(StatusCode code) const { return code_ == code; }
  // unavailable or timeout: worth trying again later.
  bool transient() const { return code_ == StatusCode::unavailable || code_ == StatusCode::timeout; }
  // "timeout: statement took over 2000 ms", for logs.
  std::string to_string() const;

 private:
  StatusCode code_ = StatusCode::ok;
  std::string message_;
};

inline Status NotFound(std::string m = "not found") { return {StatusCode::not_found, std::move(m)}; }
inline Status Exists(std::string m = "exists") { return {StatusCode::exists, std::move(m)}; }
inline Status Invalid(std::string m) { return {StatusCode::invalid, std::move(m)}; }
inline Status Unavailable(std::string m) { return {StatusCode::unavailable, std::move(m)}; }
inline Status Timeout(std::string m) { return {StatusCode::timeout, std::move(m)}; }
inline Status Internal(std::string m) { return {StatusCode::internal, std::move(m)}; }

// A value, or why there is none. Constructing from an ok Status is a bug
// (it becomes internal).
template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : value_(std::move(value)) {}
  Result(Status status) : status_(std::move(status)) {
    if (status_.ok()) status_ = Internal("Result built from an ok Status without a value");
  }

  bool ok() const { return value_.has_value(); }
  const Status& status() const { return status_; }
  T& value() & { return *value_; }
  const T& value() const& { return *value_; }
  T&& value() && { return std::move(*value_); }
  T* operator->() { return &*value_; }
  const T* operator->() const { return &*value_; }
  T& operator*() & { return *value_; }
  const T& operator*() const& { return *value_; }
  T value_or(T fallback) const& { return value_ ? *value_ : std::move(fallback); }

 private:
  std::optional<T> value_;
  Status status_;  // ok exactly when value_ is set
};

}  // namespace herald
