// Meilisearch-shaped errors and the result type every module returns.
//
// An Error carries exactly what a client sees: HTTP status, message, code, type
// and documentation link. Modules return Result<T> instead of throwing;
// exceptions are reserved for start-up and configuration parsing.
#pragma once

#include <string>
#include <string_view>
#include <utility>

#include <boost/system/result.hpp>

namespace miroir {

enum class ErrorType { kInvalidRequest, kInternal, kAuth, kSystem };

enum class ErrorCode {
#define MIROIR_ERROR(id, wire, type, status) id,
#include "miroir/core/error_codes.def"
#undef MIROIR_ERROR
};

// The code's wire name, e.g. "index_not_found".
std::string_view ErrorCodeName(ErrorCode code);
// "invalid_request", "internal", "auth" or "system".
std::string_view ErrorTypeName(ErrorType type);
ErrorType ErrorCodeType(ErrorCode code);
unsigned ErrorCodeStatus(ErrorCode code);

struct Error {
  ErrorCode code = ErrorCode::kInternal;
  std::string message;
  // Defaults to the code's status; a few errors share a code with several
  // statuses in Meilisearch, so callers may override it.
  unsigned status = 0;

  Error() = default;
  Error(ErrorCode c, std::string msg, unsigned http_status = 0)
      : code(c), message(std::move(msg)),
        status(http_status ? http_status : ErrorCodeStatus(c)) {}

  std::string_view code_name() const { return ErrorCodeName(code); }
  std::string_view type_name() const { return ErrorTypeName(ErrorCodeType(code)); }
  std::string link() const;
  // {"message":…,"code":…,"type":…,"link":…} as compact JSON.
  std::string ToJson() const;
};

// Result<T> holds a T or an Error. Result<void> holds nothing or an Error.
template <class T>
using Result = boost::system::result<T, Error>;

// Lets Result<T>::value() throw when it holds an Error (only reached by misuse).
[[noreturn]] void throw_exception_from_error(const Error& e,
                                             const boost::source_location& loc);

}  // namespace miroir

#define MIROIR_CONCAT_INNER(a, b) a##b
#define MIROIR_CONCAT(a, b) MIROIR_CONCAT_INNER(a, b)

// Evaluates `expr` (a Result<T>); on error returns the error from the
// enclosing function, otherwise moves the value into `lhs` (which may be a
// declaration: MIROIR_ASSIGN_OR_RETURN(auto x, F());).
#define MIROIR_ASSIGN_OR_RETURN(lhs, expr) \
  MIROIR_ASSIGN_OR_RETURN_IMPL(MIROIR_CONCAT(miroir_result_, __LINE__), lhs, expr)
#define MIROIR_ASSIGN_OR_RETURN_IMPL(tmp, lhs, expr) \
  auto tmp = (expr);                                 \
  if (!tmp) return std::move(tmp).error();           \
  lhs = std::move(*tmp)

// Evaluates `expr` (a Result<T>) and returns its error, if any.
#define MIROIR_RETURN_IF_ERROR(expr)                      \
  do {                                                    \
    auto miroir_status_ = (expr);                         \
    if (!miroir_status_) return std::move(miroir_status_).error(); \
  } while (0)

// The same two, for coroutines (co_return instead of return).
#define MIROIR_CO_ASSIGN_OR_RETURN(lhs, expr) \
  MIROIR_CO_ASSIGN_OR_RETURN_IMPL(MIROIR_CONCAT(miroir_result_, __LINE__), lhs, expr)
#define MIROIR_CO_ASSIGN_OR_RETURN_IMPL(tmp, lhs, expr) \
  auto tmp = (expr);                                    \
  if (!tmp) co_return std::move(tmp).error();           \
  lhs = std::move(*tmp)
#define MIROIR_CO_RETURN_IF_ERROR(expr)                                \
  do {                                                                 \
    auto miroir_status_ = (expr);                                      \
    if (!miroir_status_) co_return std::move(miroir_status_).error(); \
  } while (0)
