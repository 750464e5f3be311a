#include "shared/services/service_error.hpp"

namespace edgesync {

std::string_view to_string(ServiceErrorCode code) noexcept {
    switch (code) {
        case ServiceErrorCode::invalid_email:
            return "invalid_email";
        case ServiceErrorCode::weak_password:
            return "weak_password";
        case ServiceErrorCode::email_taken:
            return "email_taken";
        case ServiceErrorCode::not_found:
            return "not_found";
        case ServiceErrorCode::ambiguous:
            return "ambiguous";
        case ServiceErrorCode::invalid_argument:
            return "invalid_argument";
        case ServiceErrorCode::revoked:
            return "revoked";
        case ServiceErrorCode::account_disabled:
            return "account_disabled";
        case ServiceErrorCode::conflict:
            return "conflict";
    }
    return "internal_error";  // unreachable for valid enumerators
}

ExitCode to_exit_code(ServiceErrorCode code) noexcept {
    switch (code) {
        case ServiceErrorCode::invalid_email:
        case ServiceErrorCode::weak_password:
        case ServiceErrorCode::invalid_argument:
        case ServiceErrorCode::ambiguous:
            return ExitCode::usage;
        case ServiceErrorCode::not_found:
            return ExitCode::not_found;
        case ServiceErrorCode::email_taken:
        case ServiceErrorCode::revoked:
        case ServiceErrorCode::account_disabled:
        case ServiceErrorCode::conflict:
            return ExitCode::conflict;
    }
    return ExitCode::failure;
}

int to_http_status(ServiceErrorCode code) noexcept {
    switch (code) {
        case ServiceErrorCode::invalid_email:
        case ServiceErrorCode::weak_password:
        case ServiceErrorCode::invalid_argument:
        case ServiceErrorCode::ambiguous:
            return 400;
        case ServiceErrorCode::not_found:
            return 404;
        case ServiceErrorCode::email_taken:
        case ServiceErrorCode::conflict:
            return 409;
        case ServiceErrorCode::revoked:
        case ServiceErrorCode::account_disabled:
            return 403;
    }
    return 500;
}

}  // namespace edgesync
