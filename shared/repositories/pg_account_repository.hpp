#pragma once

#include "shared/repositories/account_repository.hpp"

namespace edgesync {

class PgPool;

// AccountRepository over Postgres. Each method is one statement (one round
// trip, atomic). Ids that are not UUIDs are simply "not found". Thread-safe;
// `pool` must outlive the repository.
class PgAccountRepository final : public AccountRepository {
public:
    explicit PgAccountRepository(PgPool& pool);

    [[nodiscard]] std::expected<Account, AccountError> create(const NewAccount& a) override;
    [[nodiscard]] std::optional<Account> find_by_id(const std::string& id) override;
    [[nodiscard]] std::optional<Account> find_by_email(const std::string& email) override;
    [[nodiscard]] std::vector<Account> list(const AccountListQuery& q) override;
    [[nodiscard]] std::size_t count(const AccountListQuery& q) override;
    [[nodiscard]] bool set_disabled(const std::string& id, bool disabled) override;
    [[nodiscard]] bool set_password_hash(const std::string& id, const std::string& hash) override;
    [[nodiscard]] bool replace_password_hash(const std::string& id, const std::string& expected,
                                             const std::string& hash) override;
    [[nodiscard]] bool soft_delete(const std::string& id) override;
    [[nodiscard]] std::optional<AccountKey> get_key(const std::string& account_id) override;
    [[nodiscard]] bool put_key(const AccountKey& key) override;
    [[nodiscard]] KeyWriteOutcome put_key_if(const AccountKey& key,
                                             std::optional<std::int32_t> expected_version) override;

private:
    PgPool& m_pool;
};

}  // namespace edgesync
