#include "shared/migrate/version_table.hpp"

#include <fmt/format.h>

#include "shared/migrate/lock_key.hpp"

namespace edgesync::migrate::detail {
namespace {

constexpr std::int64_t k_nil_version = -1;  // golang-migrate's database.NilVersion

bool table_exists(pqxx::transaction_base& tx) {
    return tx.exec1("SELECT to_regclass('schema_migrations') IS NOT NULL")[0].as<bool>();
}

}  // namespace

SchemaVersion read_version(pqxx::transaction_base& tx) {
    if (!table_exists(tx)) return {};
    const auto r = tx.exec("SELECT version, dirty FROM schema_migrations LIMIT 1");
    if (r.empty()) return {};
    SchemaVersion v;
    const auto version = r[0][0].as<std::int64_t>();
    if (version != k_nil_version) v.version = version;
    v.dirty = r[0][1].as<bool>();
    return v;
}

void ensure_version_table(pqxx::transaction_base& tx) {
    if (table_exists(tx)) return;
    tx.exec0(
        "CREATE TABLE IF NOT EXISTS schema_migrations "
        "(version bigint not null primary key, dirty boolean not null)");
}

void write_version(pqxx::transaction_base& tx, std::optional<std::int64_t> version, bool dirty) {
    tx.exec0("DELETE FROM schema_migrations");
    if (version || dirty)
        tx.exec_params0("INSERT INTO schema_migrations (version, dirty) VALUES ($1, $2)",
                        version.value_or(k_nil_version), dirty);
}

std::int64_t lock_key(pqxx::connection_base& conn) {
    pqxx::nontransaction tx(conn);
    const auto row = tx.exec1("SELECT current_database(), coalesce(current_schema(), '')");
    return golang_migrate_lock_key(row[0].as<std::string>(), row[1].as<std::string>());
}

AdvisoryLock::AdvisoryLock(pqxx::connection_base& conn, std::int64_t key,
                           const std::function<void(std::string_view)>& on_wait)
    : m_conn(conn), m_key(key) {
    pqxx::nontransaction tx(m_conn);
    if (tx.exec_params1("SELECT pg_try_advisory_lock($1)", m_key)[0].as<bool>()) return;
    if (on_wait)
        on_wait(
            fmt::format("waiting for another migration run to finish (advisory lock {})", m_key));
    tx.exec_params("SELECT pg_advisory_lock($1)", m_key);
}

AdvisoryLock::~AdvisoryLock() {
    try {
        pqxx::nontransaction tx(m_conn);
        tx.exec_params("SELECT pg_advisory_unlock($1)", m_key);
    } catch (...) {  // NOLINT(bugprone-empty-catch)
        // The connection broke: the session, and with it the lock, is gone.
    }
}

}  // namespace edgesync::migrate::detail
