#pragma once

#include <cstdint>
#include <expected>
#include <optional>
#include <string>
#include <vector>

#include "shared/models/account.hpp"

namespace edgesync {

enum class AccountError {
    email_taken,  // another live account has this email (any letter case)
    not_found,
};

// Outcome of a conditional write of the recovery-wrapped key.
enum class KeyWriteOutcome {
    stored,
    precondition_failed,  // create: a key exists; replace: none, or another key_version
    account_not_found,    // missing or deleted account
};

struct AccountListQuery {
    std::string search;            // case-insensitive substring of email; empty = all
    bool include_deleted = false;
    std::size_t limit = 50;
    std::size_t offset = 0;
};

// Accounts and their recovery-wrapped keys. Abstract so services and the CLI can
// be tested against it; PgAccountRepository is the implementation.
// Implementations are thread-safe.
class AccountRepository {
public:
    virtual ~AccountRepository() = default;

    [[nodiscard]] virtual std::expected<Account, AccountError> create(const NewAccount& a) = 0;
    // Deleted accounts are returned too; callers check `deleted()`.
    [[nodiscard]] virtual std::optional<Account> find_by_id(const std::string& id) = 0;
    // Live (not deleted) account with this email, compared case-insensitively.
    [[nodiscard]] virtual std::optional<Account> find_by_email(const std::string& email) = 0;
    [[nodiscard]] virtual std::vector<Account> list(const AccountListQuery& q) = 0;
    [[nodiscard]] virtual std::size_t count(const AccountListQuery& q) = 0;

    // Each returns false when the account does not exist or is deleted.
    [[nodiscard]] virtual bool set_disabled(const std::string& id, bool disabled) = 0;
    [[nodiscard]] virtual bool set_password_hash(const std::string& id, const std::string& hash) = 0;
    // Compare-and-set: replaces the hash only while it is still `expected`, so
    // a login's rehash can never undo a password change that landed meanwhile.
    // False when the hash changed, or the account is missing or deleted.
    [[nodiscard]] virtual bool replace_password_hash(const std::string& id,
                                                     const std::string& expected,
                                                     const std::string& hash) = 0;
    // Soft delete: sets deleted_at, frees the email, revokes every device.
    [[nodiscard]] virtual bool soft_delete(const std::string& id) = 0;

    [[nodiscard]] virtual std::optional<AccountKey> get_key(const std::string& account_id) = 0;
    // Creates or replaces the recovery-wrapped key. False if the account is missing.
    [[nodiscard]] virtual bool put_key(const AccountKey& key) = 0;
    // Compare-and-set in one statement (the server's If-None-Match / If-Match):
    // `expected_version` nullopt creates the key only when the account has
    // none; otherwise replaces it only while its key_version is that value.
    [[nodiscard]] virtual KeyWriteOutcome put_key_if(
        const AccountKey& key, std::optional<std::int32_t> expected_version) = 0;
};

}  // namespace edgesync
