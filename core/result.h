// Result<T>: the error-or-value type for start-up and configuration code.
//
// Hot-path code never uses this (it returns status enums counted per batch); Result is for code
// that runs once: loading config, opening files, binding sockets. GCC 12 has no std::expected,
// so this is a small one of our own.
#pragma once

#include <string>
#include <utility>
#include <variant>

namespace logtally::core {

/// What kind of failure an Error reports.
enum class ErrorCode {
  kConfig,           ///< The configuration is invalid; the message names file, line and column.
  kIo,               ///< A file, socket or other OS resource could not be used.
  kInvalidArgument,  ///< A command-line argument or API input was not acceptable.
  kInternal,         ///< A dependency failed in a way the caller cannot fix.
};

struct Error {
  ErrorCode code = ErrorCode::kInternal;
  std::string message;  ///< One or more lines, each a complete human-readable diagnostic.
};

template <class T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::move(value)) {}      // NOLINT(google-explicit-constructor)
  Result(Error error) : v_(std::move(error)) {}  // NOLINT(google-explicit-constructor)

  [[nodiscard]] bool ok() const noexcept { return v_.index() == 0; }
  explicit operator bool() const noexcept { return ok(); }

  T& value() & { return std::get<0>(v_); }
  const T& value() const& { return std::get<0>(v_); }
  T&& value() && { return std::get<0>(std::move(v_)); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T&& operator*() && { return std::move(*this).value(); }

  [[nodiscard]] const Error& error() const { return std::get<1>(v_); }

 private:
  std::variant<T, Error> v_;
};

/// Result for operations that produce nothing but may fail.
struct Ok {};
using Status = Result<Ok>;

inline Error make_error(ErrorCode code, std::string message) {
  return Error{code, std::move(message)};
}

}  // namespace logtally::core
