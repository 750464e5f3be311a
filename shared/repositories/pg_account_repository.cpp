#include "shared/repositories/pg_account_repository.hpp"

#include <limits>
#include <stdexcept>

#include <pqxx/pqxx>

#include "shared/db/pg_errors.hpp"
#include "shared/db/pg_fields.hpp"
#include "shared/db/pg_pool.hpp"
#include "shared/util/uuid.hpp"

namespace edgesync {
namespace {

const std::string k_columns =
    "id, email, password_hash, created_at, updated_at, deleted_at, disabled_at, last_seq, "
    "used_bytes, quota_bytes";

// The list filter: $1 = case-insensitive email substring ('' = all),
// $2 = include deleted. strpos needs no LIKE escaping.
const std::string k_filter =
    " WHERE ($1 = '' OR strpos(lower(email), lower($1)) > 0) AND ($2 OR deleted_at IS NULL) ";

constexpr const char* k_create = "es_account_create";
constexpr const char* k_by_id = "es_account_by_id";
constexpr const char* k_by_email = "es_account_by_email";
constexpr const char* k_list = "es_account_list";
constexpr const char* k_count = "es_account_count";
constexpr const char* k_set_disabled = "es_account_set_disabled";
constexpr const char* k_set_password = "es_account_set_password";
constexpr const char* k_replace_password = "es_account_replace_password";
constexpr const char* k_soft_delete = "es_account_soft_delete";
constexpr const char* k_get_key = "es_account_get_key";
constexpr const char* k_put_key = "es_account_put_key";
constexpr const char* k_create_key = "es_account_create_key";
constexpr const char* k_replace_key = "es_account_replace_key";

Account to_account(const pqxx::row& r) {
    Account a;
    a.id = r["id"].c_str();
    a.email = r["email"].c_str();
    a.password_hash = r["password_hash"].c_str();
    a.created_at = pg::to_timestamp(r["created_at"]);
    a.updated_at = pg::to_timestamp(r["updated_at"]);
    a.deleted_at = pg::to_optional_timestamp(r["deleted_at"]);
    a.disabled_at = pg::to_optional_timestamp(r["disabled_at"]);
    a.last_seq = r["last_seq"].as<std::int64_t>();
    a.used_bytes = r["used_bytes"].as<std::int64_t>();
    if (!r["quota_bytes"].is_null()) a.quota_bytes = r["quota_bytes"].as<std::int64_t>();
    return a;
}

std::optional<Account> first_account(const pqxx::result& res) {
    if (res.empty()) return std::nullopt;
    return to_account(res[0]);
}

std::int64_t kdf_limit(std::uint64_t v) {
    if (v > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max()))
        throw std::invalid_argument("account key: KDF limit out of range");
    return static_cast<std::int64_t>(v);
}

}  // namespace

PgAccountRepository::PgAccountRepository(PgPool& pool) : m_pool(pool) {
    // ON CONFLICT targets the partial unique index on lower(email): a taken
    // email is an empty result, not an exception, even under a race.
    m_pool.declare(k_create,
                   "INSERT INTO accounts (email, password_hash, quota_bytes) VALUES ($1, $2, $3) "
                   "ON CONFLICT (lower(email)) WHERE deleted_at IS NULL DO NOTHING "
                   "RETURNING " +
                       k_columns);
    m_pool.declare(k_by_id, "SELECT " + k_columns + " FROM accounts WHERE id = $1");
    m_pool.declare(k_by_email,
                   "SELECT " + k_columns +
                       " FROM accounts WHERE lower(email) = lower($1) AND deleted_at IS NULL");
    m_pool.declare(k_list, "SELECT " + k_columns + " FROM accounts" + k_filter +
                               "ORDER BY created_at, id LIMIT $3 OFFSET $4");
    m_pool.declare(k_count, "SELECT count(*) FROM accounts" + k_filter);
    m_pool.declare(
        k_set_disabled,
        "UPDATE accounts SET disabled_at = CASE WHEN $2 THEN coalesce(disabled_at, now()) "
        "END, updated_at = now() WHERE id = $1 AND deleted_at IS NULL RETURNING id");
    m_pool.declare(k_set_password,
                   "UPDATE accounts SET password_hash = $2, updated_at = now() "
                   "WHERE id = $1 AND deleted_at IS NULL RETURNING id");
    m_pool.declare(k_replace_password,
                   "UPDATE accounts SET password_hash = $3, updated_at = now() "
                   "WHERE id = $1 AND password_hash = $2 AND deleted_at IS NULL RETURNING id");
    // One statement, so one transaction: the account and all its devices.
    m_pool.declare(k_soft_delete,
                   "WITH a AS (UPDATE accounts SET deleted_at = now(), updated_at = now() "
                   "           WHERE id = $1 AND deleted_at IS NULL RETURNING id), "
                   "d AS (UPDATE devices SET revoked_at = coalesce(revoked_at, now()), "
                   "             wrapped_account_key = NULL, updated_at = now() "
                   "       WHERE account_id = $1 AND account_id IN (SELECT id FROM a) "
                   "         AND revoked_at IS NULL) "
                   "SELECT id FROM a");
    m_pool.declare(k_get_key,
                   "SELECT account_id, kdf_salt, kdf_opslimit, kdf_memlimit, nonce, wrapped_key, "
                   "key_version, created_at, updated_at FROM account_keys WHERE account_id = $1");
    m_pool.declare(k_put_key,
                   "INSERT INTO account_keys (account_id, kdf_salt, kdf_opslimit, kdf_memlimit, "
                   "                          nonce, wrapped_key, key_version) "
                   "SELECT id, $2, $3, $4, $5, $6, $7 FROM accounts "
                   " WHERE id = $1 AND deleted_at IS NULL "
                   "ON CONFLICT (account_id) DO UPDATE SET kdf_salt = excluded.kdf_salt, "
                   "  kdf_opslimit = excluded.kdf_opslimit, kdf_memlimit = excluded.kdf_memlimit, "
                   "  nonce = excluded.nonce, wrapped_key = excluded.wrapped_key, "
                   "  key_version = excluded.key_version, updated_at = now() "
                   "RETURNING account_id");
    m_pool.declare(k_create_key,
                   "INSERT INTO account_keys (account_id, kdf_salt, kdf_opslimit, kdf_memlimit, "
                   "                          nonce, wrapped_key, key_version) "
                   "SELECT id, $2, $3, $4, $5, $6, $7 FROM accounts "
                   " WHERE id = $1 AND deleted_at IS NULL "
                   "ON CONFLICT (account_id) DO NOTHING RETURNING account_id");
    m_pool.declare(k_replace_key,
                   "UPDATE account_keys k SET kdf_salt = $2, kdf_opslimit = $3, "
                   "  kdf_memlimit = $4, nonce = $5, wrapped_key = $6, key_version = $7, "
                   "  updated_at = now() "
                   "FROM accounts a WHERE k.account_id = $1 AND a.id = k.account_id "
                   "  AND a.deleted_at IS NULL AND k.key_version = $8 RETURNING k.account_id");
}

std::expected<Account, AccountError> PgAccountRepository::create(const NewAccount& a) {
    return pg::guard("create account", [&]() -> std::expected<Account, AccountError> {
        try {
            const auto res = m_pool.write([&](pqxx::nontransaction& tx) {
                return tx.exec_prepared(k_create, a.email, a.password_hash, a.quota_bytes);
            });
            if (res.empty()) return std::unexpected(AccountError::email_taken);
            return to_account(res[0]);
        } catch (const pqxx::unique_violation&) {
            return std::unexpected(AccountError::email_taken);
        }
    });
}

std::optional<Account> PgAccountRepository::find_by_id(const std::string& id) {
    if (!is_uuid(id)) return std::nullopt;
    return pg::guard("find account", [&] {
        return first_account(
            m_pool.read([&](pqxx::nontransaction& tx) { return tx.exec_prepared(k_by_id, id); }));
    });
}

std::optional<Account> PgAccountRepository::find_by_email(const std::string& email) {
    return pg::guard("find account by email", [&] {
        return first_account(m_pool.read(
            [&](pqxx::nontransaction& tx) { return tx.exec_prepared(k_by_email, email); }));
    });
}

std::vector<Account> PgAccountRepository::list(const AccountListQuery& q) {
    return pg::guard("list accounts", [&] {
        const auto res = m_pool.read([&](pqxx::nontransaction& tx) {
            return tx.exec_prepared(k_list, q.search, q.include_deleted, pg::clamp_bigint(q.limit),
                                    pg::clamp_bigint(q.offset));
        });
        std::vector<Account> out;
        out.reserve(res.size());
        for (const auto& r : res) out.push_back(to_account(r));
        return out;
    });
}

std::size_t PgAccountRepository::count(const AccountListQuery& q) {
    return pg::guard("count accounts", [&] {
        const auto res = m_pool.read([&](pqxx::nontransaction& tx) {
            return tx.exec_prepared1(k_count, q.search, q.include_deleted);
        });
        return res[0].as<std::size_t>();
    });
}

bool PgAccountRepository::set_disabled(const std::string& id, bool disabled) {
    if (!is_uuid(id)) return false;
    return pg::guard("disable account", [&] {
        return !m_pool
                    .write([&](pqxx::nontransaction& tx) {
                        return tx.exec_prepared(k_set_disabled, id, disabled);
                    })
                    .empty();
    });
}

bool PgAccountRepository::set_password_hash(const std::string& id, const std::string& hash) {
    if (!is_uuid(id)) return false;
    return pg::guard("set password", [&] {
        return !m_pool
                    .write([&](pqxx::nontransaction& tx) {
                        return tx.exec_prepared(k_set_password, id, hash);
                    })
                    .empty();
    });
}

bool PgAccountRepository::replace_password_hash(const std::string& id, const std::string& expected,
                                                const std::string& hash) {
    if (!is_uuid(id)) return false;
    return pg::guard("replace password", [&] {
        return !m_pool
                    .write([&](pqxx::nontransaction& tx) {
                        return tx.exec_prepared(k_replace_password, id, expected, hash);
                    })
                    .empty();
    });
}

bool PgAccountRepository::soft_delete(const std::string& id) {
    if (!is_uuid(id)) return false;
    return pg::guard("delete account", [&] {
        return !m_pool
                    .write([&](pqxx::nontransaction& tx) {
                        return tx.exec_prepared(k_soft_delete, id);
                    })
                    .empty();
    });
}

std::optional<AccountKey> PgAccountRepository::get_key(const std::string& account_id) {
    if (!is_uuid(account_id)) return std::nullopt;
    return pg::guard("get account key", [&]() -> std::optional<AccountKey> {
        const auto res = m_pool.read(
            [&](pqxx::nontransaction& tx) { return tx.exec_prepared(k_get_key, account_id); });
        if (res.empty()) return std::nullopt;
        const auto& r = res[0];
        AccountKey k;
        k.account_id = r["account_id"].c_str();
        k.kdf_salt = pg::to_bytes(r["kdf_salt"]);
        k.kdf_opslimit = r["kdf_opslimit"].as<std::uint64_t>();
        k.kdf_memlimit = r["kdf_memlimit"].as<std::uint64_t>();
        k.nonce = pg::to_bytes(r["nonce"]);
        k.wrapped_key = pg::to_bytes(r["wrapped_key"]);
        k.key_version = r["key_version"].as<std::int32_t>();
        k.created_at = pg::to_timestamp(r["created_at"]);
        k.updated_at = pg::to_timestamp(r["updated_at"]);
        return k;
    });
}

bool PgAccountRepository::put_key(const AccountKey& key) {
    if (!is_uuid(key.account_id)) return false;
    const auto opslimit = kdf_limit(key.kdf_opslimit);
    const auto memlimit = kdf_limit(key.kdf_memlimit);
    return pg::guard("put account key", [&] {
        return !m_pool
                    .write([&](pqxx::nontransaction& tx) {
                        return tx.exec_prepared(k_put_key, key.account_id, pg::bytea(key.kdf_salt),
                                                opslimit, memlimit, pg::bytea(key.nonce),
                                                pg::bytea(key.wrapped_key), key.key_version);
                    })
                    .empty();
    });
}

KeyWriteOutcome PgAccountRepository::put_key_if(const AccountKey& key,
                                                std::optional<std::int32_t> expected_version) {
    if (!is_uuid(key.account_id)) return KeyWriteOutcome::account_not_found;
    const auto opslimit = kdf_limit(key.kdf_opslimit);
    const auto memlimit = kdf_limit(key.kdf_memlimit);
    const bool stored = pg::guard("put account key", [&] {
        return !m_pool
                    .write([&](pqxx::nontransaction& tx) {
                        if (expected_version)
                            return tx.exec_prepared(k_replace_key, key.account_id,
                                                    pg::bytea(key.kdf_salt), opslimit, memlimit,
                                                    pg::bytea(key.nonce),
                                                    pg::bytea(key.wrapped_key), key.key_version,
                                                    *expected_version);
                        return tx.exec_prepared(k_create_key, key.account_id,
                                                pg::bytea(key.kdf_salt), opslimit, memlimit,
                                                pg::bytea(key.nonce), pg::bytea(key.wrapped_key),
                                                key.key_version);
                    })
                    .empty();
    });
    if (stored) return KeyWriteOutcome::stored;
    // Refused: say why (a second read only on this path).
    const auto account = find_by_id(key.account_id);
    if (!account || account->deleted()) return KeyWriteOutcome::account_not_found;
    return KeyWriteOutcome::precondition_failed;
}

}  // namespace edgesync
