#pragma once

#include <expected>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "shared/util/error.hpp"

namespace edgesync {

// Why a service call did not do what was asked. These are expected outcomes
// (bad input, missing object), returned as values; broken infrastructure
// still throws (ConnectionError, StorageError). The names are part of the API:
// to_string() gives the snake_case code the server puts in
// {"error":{"code":...}}, so never rename one, only add.
enum class ServiceErrorCode {
    invalid_email,     // not an acceptable email address
    weak_password,     // fails crypto::check_password_policy (message says why)
    email_taken,       // another live account has this email, in any letter case
    not_found,         // no such account / device / session (or not visible to the caller)
    ambiguous,         // a name matched several objects; `candidates` lists them
    invalid_argument,  // any other malformed input (device name, quota, ...)
    revoked,           // the device is revoked and the operation needs a live one
    account_disabled,  // the account is disabled and the operation needs an active one
    conflict,          // the object changed or is in a state that forbids the operation
};

struct ServiceError {
    ServiceErrorCode code = ServiceErrorCode::invalid_argument;
    std::string message;  // one line, fit for a user; never contains secrets
    // For `ambiguous`: one line per match, "<id>  <name>" (plus "  [revoked]"
    // for a revoked device), so the CLI can print them as they are.
    std::vector<std::string> candidates;
};

template <class T>
using ServiceResult = std::expected<T, ServiceError>;

// std::unexpected(ServiceError{code, message}) — the usual way to fail.
[[nodiscard]] inline std::unexpected<ServiceError> service_error(ServiceErrorCode code,
                                                                 std::string message) {
    return std::unexpected(ServiceError{code, std::move(message), {}});
}

// Stable snake_case name, identical to the enumerator: "not_found", ...
[[nodiscard]] std::string_view to_string(ServiceErrorCode code) noexcept;

// Exit code for the CLI (DESIGN: CLI):
//   invalid_email, weak_password, invalid_argument, ambiguous -> usage (2):
//       the command line must change (another value, a more precise ref);
//   not_found                                                  -> not_found (3);
//   email_taken, revoked, account_disabled, conflict           -> conflict (4):
//       the input is well-formed but the stored state forbids it.
[[nodiscard]] ExitCode to_exit_code(ServiceErrorCode code) noexcept;

// HTTP status for the server: 400 for malformed input and ambiguous refs,
// 404 not_found, 409 email_taken and conflict, 403 revoked and account_disabled.
[[nodiscard]] int to_http_status(ServiceErrorCode code) noexcept;

}  // namespace edgesync
