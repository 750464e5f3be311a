#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "shared/crypto/pwhash_limits.hpp"
#include "shared/models/account.hpp"
#include "shared/models/device.hpp"
#include "shared/repositories/account_repository.hpp"
#include "shared/services/service_error.hpp"
#include "shared/util/time.hpp"

namespace edgesync {

class DeviceRepository;
class SessionRepository;
class Publisher;

// What ending an account's access did, for the CLI to report.
struct AccessEnded {
    std::size_t sessions_ended = 0;
    std::size_t devices_revoked = 0;  // devices revoked by this call (already revoked not counted)
};

// One page of `account list`.
struct AccountPage {
    std::vector<Account> accounts;  // ordered by created_at, then id
    std::size_t total = 0;          // how many match the query, all pages together
};

// Everything `account show` prints.
struct AccountSummary {
    Account account;              // also carries used_bytes and quota_bytes (nullopt = unlimited)
    std::vector<Device> devices;  // revoked ones included
    std::size_t live_sessions = 0;
    // Latest of every device's last_seen_at and updated_at and every live
    // session's last_used_at; nullopt when there is none of them.
    std::optional<Timestamp> last_activity;
};

// The account `ref` names: its id (a UUID, any case) or its email (any case,
// surrounding spaces ignored). Deleted accounts are not_found unless
// `include_deleted` (only reachable by id: a deleted account's email is free).
// A ref that is neither a UUID nor contains '@' is invalid_argument with a
// message saying what a ref is. Every place that takes an account from a
// person (CLI `--account`, AccountService::resolve) goes through this.
[[nodiscard]] ServiceResult<Account> resolve_account(AccountRepository& accounts,
                                                     std::string_view ref,
                                                     bool include_deleted = false);

// Account rules shared by the admin CLI and the server.
//
// Ending access always goes in this order: Postgres first (so no new login or
// refresh can succeed), then the sessions in Redis (so every request of an
// existing session fails), then a notice on es:revocations (so servers drop
// live connections at once). Every operation is idempotent, so after an
// infrastructure exception (ConnectionError / StorageError, thrown through
// unchanged) running it again completes it.
//
// Holds references only: the repositories and the publisher must outlive it.
// Thread-safe when they are (the Pg/Redis implementations are).
class AccountService {
  public:
    // `password_limits`: Argon2id cost of new hashes (tests pass
    // crypto::minimum_limits()).
    AccountService(AccountRepository& accounts, DeviceRepository& devices,
                   SessionRepository& sessions, Publisher& publisher,
                   crypto::PwhashLimits password_limits = crypto::interactive_limits());

    // Validates the email (normalize_email) and the password
    // (crypto::check_password_policy), hashes it with Argon2id and stores the
    // account. Errors: invalid_email, weak_password, invalid_argument (negative
    // quota), email_taken. `quota_bytes` nullopt = unlimited.
    [[nodiscard]] ServiceResult<Account> create(std::string_view email, std::string_view password,
                                                std::optional<std::int64_t> quota_bytes = {});

    // resolve_account() over this service's repository.
    [[nodiscard]] ServiceResult<Account> resolve(std::string_view ref,
                                                 bool include_deleted = false);

    // A page of accounts whose email contains `query.search` (any letter
    // case), oldest first. Error: invalid_argument when limit is 0 or above
    // k_account_page_max.
    [[nodiscard]] ServiceResult<AccountPage> list(const AccountListQuery& query);
    static constexpr std::size_t k_account_page_max = 1000;

    // Disabling blocks logins, ends every session and publishes {"account":..}.
    // Disabling a disabled account still ends any session left. not_found for a
    // missing or deleted account.
    [[nodiscard]] ServiceResult<AccessEnded> disable(const std::string& account_id);
    // Lets the account log in again. not_found for a missing or deleted account.
    [[nodiscard]] ServiceResult<void> enable(const std::string& account_id);

    // Soft delete: revokes every device, marks the account deleted (its email
    // can be registered again), ends every session, publishes {"account":..}.
    // not_found for a missing or already deleted account.
    [[nodiscard]] ServiceResult<AccessEnded> remove(const std::string& account_id);

    // Policy, Argon2id hash, store; then ends every session of the account
    // (including the caller's: the server logs in again if it wants) and
    // publishes {"account":..}. Errors: weak_password, not_found. Returns the
    // number of sessions ended (devices_revoked is 0).
    [[nodiscard]] ServiceResult<AccessEnded> change_password(const std::string& account_id,
                                                             std::string_view new_password);

    // Deleted accounts too (for `account show`); not_found only when missing.
    [[nodiscard]] ServiceResult<AccountSummary> summary(const std::string& account_id);

  private:
    // The account if it exists and is not deleted.
    [[nodiscard]] ServiceResult<Account> live_account(const std::string& account_id);
    std::size_t end_sessions(const std::string& account_id);

    AccountRepository& m_accounts;
    DeviceRepository& m_devices;
    SessionRepository& m_sessions;
    Publisher& m_publisher;
    const crypto::PwhashLimits m_password_limits;
};

}  // namespace edgesync
