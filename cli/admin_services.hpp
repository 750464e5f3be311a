#pragma once

#include <map>
#include <memory>
#include <string>
#include <string_view>

#include "cli/command.hpp"
#include "shared/models/account.hpp"
#include "shared/models/device.hpp"
#include "shared/services/service_error.hpp"

namespace edgesync {
class AccountService;
class DeviceService;
class SessionService;
}  // namespace edgesync

// The services of shared/services behind the `account`, `device` and
// `session` groups, wired to Postgres (DATABASE_URL) and Redis (REDIS_URL)
// from a command's Context. Business rules stay in the services: this file
// only connects them and turns their errors into edgesync::Error.
namespace edgesync::cli {

// Owns the pools, repositories, publisher and services of one command run.
// Both URLs must be configured (ConfigError, exit 2, otherwise); connections
// open on first use, each bounded by --timeout (ConnectionError, exit 5).
// Single-threaded, like the CLI.
class AdminServices {
  public:
    explicit AdminServices(const Context& context);
    ~AdminServices();
    AdminServices(const AdminServices&) = delete;
    AdminServices& operator=(const AdminServices&) = delete;

    [[nodiscard]] AccountService& accounts();
    [[nodiscard]] DeviceService& devices();
    [[nodiscard]] SessionService& sessions();

    // Connects to Redis now. Commands that change Postgres and then Redis call
    // it first, so an unreachable Redis fails them before anything changed.
    void require_redis();

    // An account by id or email (AccountService::resolve), else throws
    // (exit 2 for a malformed ref, 3 when there is no such account).
    [[nodiscard]] Account account(std::string_view ref, bool include_deleted = false);
    // A device of the account by id or name (DeviceService::resolve), else
    // throws (exit 3; exit 2 listing the candidates when the name is ambiguous).
    [[nodiscard]] Device device(const Account& account, std::string_view ref);
    // Every device of the account (revoked ones too), id -> name.
    [[nodiscard]] std::map<std::string, std::string> device_names(const std::string& account_id);

  private:
    struct Impl;
    std::unique_ptr<Impl> m_impl;
};

// Throws edgesync::Error with the error's message (plus the candidates of an
// ambiguous ref, on the same line) and its exit code (to_exit_code).
[[noreturn]] void throw_service_error(const ServiceError& error);

// The value of `result`, or throw_service_error.
template <class T>
[[nodiscard]] T take(ServiceResult<T> result) {
    if (!result) throw_service_error(result.error());
    return std::move(*result);
}
inline void take(const ServiceResult<void>& result) {
    if (!result) throw_service_error(result.error());
}

// Asks `action`? on a terminal (cli::confirm) and throws Error("aborted:
// nothing was changed", exit 1) when the answer is not yes.
void confirm_or_abort(const Context& context, std::string_view action, bool assume_yes);

}  // namespace edgesync::cli
